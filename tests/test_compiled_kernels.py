"""The frozen app's kernels, compiled ahead of time (app/core/engine/compiled.py): built by
build_scripts/compile_kernels.py, loaded without numba, the numba kernel's numbers within a
level, and much faster than the numpy twin they replace."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

_CHILD = """
import importlib.util, json, sys, time
sys.modules["numba"] = None  # as in the frozen app
name = "app.core.engine." + sys.argv[1].rsplit("/", 1)[1].split(".")[0]
spec = importlib.util.spec_from_file_location(name, sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules[name] = module
if not name.endswith("_v3"):  # the generic build, even where a v3 build lies in the tree
    sys.modules["app.core.engine._compiled_kernels_v3"] = None
import numpy as np
from app.core import Enhancer
from app.bench.samples import synthetic_photo
img = synthetic_photo(320, 240)
engine = Enhancer(threads=1)
out = engine.enhance(img).image
deep = engine.enhance(img.astype(np.uint16) * 257).image
rgba = engine.enhance(np.dstack([img, img[:, :, :1]])).image  # a view: not contiguous
np.save(sys.argv[2], np.dstack([out, rgba]))
np.save(sys.argv[3], deep)
np.save(sys.argv[4], video_frames())
from app.core.engine import yuv_frame
from app.core.engine import compiled, guided, guided_kernels, noise_kernels, reduce_kernels
from app.core.engine import search_kernels
print(json.dumps({"backend": engine.backend_name, "gil_free": gil_free(engine),
                  "reduce": [reduce_kernels.available, compiled.has("block_means_u16"),
                             compiled.has("channel_planes_u16"),
                             compiled.has("bilinear_samples_u16")],
                  "guided": [guided_kernels.available, guided._kernels() is compiled.module,
                             type(guided.window_means(img[:, :, 0], 4)).__name__,
                             compiled.has("channel_window_sums_u16")],
                  "search": [search_kernels.available, hasattr(compiled.module, "predict")],
                  "video": yuv_frame._prepare.__module__,
                  "noise": [noise_kernels.available, hasattr(compiled.module, "flat_sum")],
                  "sigma": engine.noise_of(img)}))
"""

_GIL = """
def gil_free(engine):
    # How often this thread ran Python while another ran the compiled kernel: never if the
    # kernel held the GIL (this thread could not run at all), thousands of times if not.
    # Only stamps well inside each call count: the calls' own Python parts, before and after
    # the kernel, may hand this thread the GIL for a switch interval.
    import threading
    from app.core.engine import pipeline, pixel_stage
    photo = synthetic_photo(1600, 1000)
    plan = engine.plan(photo, engine_settings())
    band = pipeline.band(photo, plan, 0, 1000)
    out, tables, calls, done = np.empty_like(photo), plan.tables(), [], threading.Event()
    def render():
        for _ in range(8):
            start = time.perf_counter()
            pixel_stage.compose(band, tables, plan.sigma, plan.denoise, out)
            calls.append((start, time.perf_counter()))
        done.set()
    sys.setswitchinterval(0.0005)
    stamps = []
    worker = threading.Thread(target=render)
    worker.start()
    while not done.is_set():
        stamps.append(time.perf_counter())
    worker.join()
    stamps = np.array(stamps)
    margin = 0.003
    return int(sum(np.count_nonzero((stamps > a + margin) & (stamps < b - margin))
                   for a, b in calls if b - a > 3 * margin))


def engine_settings():
    from app.core import EnhanceSettings
    return EnhanceSettings().validated()
"""

_FRAMES = """
def video_frames():
    from app.core.engine import yuv_frame
    from app.core.media.yuv import rgb_to_i420
    rng = np.random.default_rng(3)
    frames, state = [], None
    for k in range(3):
        rgb = (synthetic_photo(160, 120).astype(np.float32) * 0.4 +
               rng.normal(0, 3, (120, 160, 3))).clip(0, 255).astype(np.uint8)
        state, copy, _ = yuv_frame.prepare(rgb_to_i420(rgb), state, 4.0, 0.5, 4)
        lifted = (copy.astype(np.uint32) * 3).clip(0, 65535).astype(np.uint16)
        frames.append(yuv_frame.finish(copy, lifted, state, 1.0))
    return np.stack(frames)
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="numba's ahead-of-time compiler links with the C compiler")
def test_the_kernels_compiled_ahead_of_time_run_without_numba(tmp_path):
    """Both builds (any x86-64, and x86-64-v3 where this CPU runs it) load without numba,
    are the ones the engine then uses, release the GIL while they run, and give numba's
    numbers."""
    import numpy as np

    from app.bench.samples import synthetic_photo
    from app.core import Enhancer
    from app.core.engine import compiled

    subprocess.run([sys.executable, str(ROOT / "build_scripts" / "compile_kernels.py"),
                    "--out", str(tmp_path)], check=True, timeout=600, cwd=ROOT)
    builds = {"compiled": next(tmp_path.glob("_compiled_kernels.*"))}
    v3 = next(tmp_path.glob("_compiled_kernels_v3.*"), None)  # built on x86-64 only
    if compiled.runs_v3():
        assert v3 is not None
        builds["compiled (AVX2)"] = v3
    img = synthetic_photo(320, 240)
    numba = Enhancer(threads=1)
    rgba = numba.enhance(np.dstack([img, img[:, :, :1]])).image
    expected = (("a.npy", np.dstack([numba.enhance(img).image, rgba]), 1),
                ("b.npy", numba.enhance(img.astype(np.uint16) * 257).image, 257),
                ("c.npy", _video_frames(), 1))
    for stage, built in builds.items():
        child = subprocess.run([sys.executable, "-c", _FRAMES + _GIL + _CHILD, str(built),
                                *(str(tmp_path / n) for n in ("a.npy", "b.npy", "c.npy"))],
                               check=True, timeout=600, cwd=ROOT, capture_output=True,
                               text=True)
        said = json.loads(child.stdout.strip().splitlines()[-1])
        assert said["backend"].endswith("+ " + stage), said["backend"]
        # the kernels release the GIL (a photo's bands share the cores, as numba's do)
        assert said["gil_free"] > 1000, said["gil_free"]
        assert said["video"] == "app.core.engine.compiled"
        assert said["noise"] == [False, True]  # the noise measure's kernels compiled too
        assert said["search"] == [False, True]  # and the exposure search's
        assert said["guided"] == [False, True, "GridMeans", True]  # and the guided filters'
        assert said["reduce"] == [False, True, True, True]  # colour copy, planes, samples
        assert said["sigma"] == pytest.approx(numba.noise_of(img), rel=1e-5)
        for name, mine, level in expected:
            theirs = np.load(tmp_path / name).astype(int)
            assert np.abs(mine.astype(int) - theirs).max() <= level, (stage, name)


def _video_frames():
    import numpy as np

    from app.bench.samples import synthetic_photo

    scope = {"np": np, "synthetic_photo": synthetic_photo}
    exec(_FRAMES, scope)  # noqa: S102 - the same code as the child's
    return scope["video_frames"]()
