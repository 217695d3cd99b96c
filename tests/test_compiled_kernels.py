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
spec = importlib.util.spec_from_file_location("app.core.engine._compiled_kernels", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.modules["app.core.engine._compiled_kernels"] = module
import numpy as np
from app.core import Enhancer
from app.bench.samples import synthetic_photo
img = synthetic_photo(320, 240)
engine = Enhancer(threads=1)
out = engine.enhance(img).image
deep = engine.enhance(img.astype(np.uint16) * 257).image
np.save(sys.argv[2], out)
np.save(sys.argv[3], deep)
print(json.dumps({"backend": engine.backend_name}))
"""


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("cc") is None and shutil.which("gcc") is None,
                    reason="numba's ahead-of-time compiler links with the C compiler")
def test_the_kernels_compiled_ahead_of_time_run_without_numba(tmp_path):
    import numpy as np

    from app.bench.samples import synthetic_photo
    from app.core import Enhancer

    subprocess.run([sys.executable, str(ROOT / "build_scripts" / "compile_kernels.py"),
                    "--out", str(tmp_path)], check=True, timeout=600, cwd=ROOT)
    built = next(tmp_path.glob("_compiled_kernels*"))
    child = subprocess.run([sys.executable, "-c", _CHILD, str(built), str(tmp_path / "a.npy"),
                            str(tmp_path / "b.npy")], check=True, timeout=600, cwd=ROOT,
                           capture_output=True, text=True)
    assert json.loads(child.stdout.strip().splitlines()[-1])["backend"].endswith("+ compiled")
    img = synthetic_photo(320, 240)
    numba = Enhancer(threads=1)
    for name, source, level in (("a.npy", img, 1), ("b.npy", img.astype(np.uint16) * 257, 257)):
        mine = numba.enhance(source).image.astype(int)
        theirs = np.load(tmp_path / name).astype(int)
        assert np.abs(mine - theirs).max() <= level
