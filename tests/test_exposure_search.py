"""The exposure search's compiled prediction (app/core/engine/search_kernels.py) is the numpy
prediction's, and numba is asked for wide vectors only where they pay
(app/core/engine/vector_width.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from app.core.engine import exposure, search_kernels

needs_numba = pytest.mark.skipif(not search_kernels.available, reason="numba not installed")


def _samples(seed: int) -> tuple[exposure.Samples, np.ndarray]:
    """A night photo's samples: mostly dark, a few lamps at white, factors of both signs."""
    rng = np.random.default_rng(seed)
    base = (rng.random((60, 80)) ** 3).astype(np.float32)
    base[:3, :10] = 1.0  # lamps
    mean_rgb = (base * rng.uniform(0.5, 1.0, base.shape)).astype(np.float32)
    return exposure.Samples(base, mean_rgb, 0.004), rng.uniform(-1.0, 0.3, base.shape).astype(
        np.float32)


def _numpy_only(monkeypatch):
    from app.core.engine import compiled

    monkeypatch.setattr(search_kernels, "available", False)
    monkeypatch.setattr(compiled, "available", False)


def test_the_curve_steps_are_the_exposures():
    assert search_kernels.CURVE_STEPS == exposure.CURVE_STEPS


@needs_numba
@pytest.mark.parametrize("black", [0.0, 0.006])
def test_the_compiled_prediction_is_numpys(black, monkeypatch):
    samples, x_r = _samples(1)
    tries = [(s, p) for s in (-4.0, 0.0, 0.7, 1.5, 3.0, 6.0) for p in (1.0, 1.8, 4.0)]
    fast = exposure._predictor(samples, x_r, black, exposure.HIGHLIGHT)
    _numpy_only(monkeypatch)
    plain = exposure._predictor(samples, x_r, black, exposure.HIGHLIGHT)
    assert fast.__name__ != plain.__name__  # two different implementations were compared
    for stops, push in tries:
        (mean, blown), (mean_np, blown_np) = fast(stops, push), plain(stops, push)
        assert mean == pytest.approx(mean_np, abs=2e-6), (stops, push)
        assert blown == pytest.approx(blown_np, abs=1e-9), (stops, push)
    # and the tries span what the search sees: dark to blown, nothing to most blown
    means = [plain(s, p)[0] for s, p in tries]
    assert min(means) < 0.1 and max(means) > 0.6


@needs_numba
@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("target, explicit", [(0.35, False), (0.5, True), (0.7, True)])
def test_the_compiled_search_finds_numpys_exposure(seed, target, explicit, monkeypatch):
    """The same stops and push to the search's own resolution, pushed or not."""
    samples, x_r = _samples(seed)
    fast = exposure.solve_exposure(samples, x_r, target, 0.004, explicit)
    _numpy_only(monkeypatch)
    plain = exposure.solve_exposure(samples, x_r, target, 0.004, explicit)
    assert fast[0] == pytest.approx(plain[0], abs=2e-3)
    assert fast[1] == pytest.approx(plain[1], abs=1e-3)
    assert fast[2] == pytest.approx(plain[2], abs=1e-4)


@needs_numba
def test_the_inline_powers_and_logarithms_are_the_librarys():
    """search_kernels' bit-trick 2 ** u and log2 agree with float64 to float32 precision
    over the ranges the search uses, and 2 ** n is exact at integers."""
    from numba import njit

    @njit
    def powers(u, out):
        for i in range(u.size):
            out[i] = search_kernels._exp2(u[i])

    @njit
    def logarithms(x, out):
        for i in range(x.size):
            out[i] = search_kernels._log2(x[i])

    u = np.linspace(-20.0, 12.0, 20_001, dtype=np.float32)
    got = np.empty_like(u)
    powers(u, got)
    np.testing.assert_allclose(got, np.exp2(u.astype(np.float64)), rtol=3e-7)
    whole = np.arange(-20, 13, dtype=np.float32)
    powers(whole, got[:whole.size])
    np.testing.assert_array_equal(got[:whole.size], np.exp2(whole))
    x = np.geomspace(1e-6, 1e4, 20_001).astype(np.float32)
    logs = np.empty_like(x)
    logarithms(x, logs)
    exact = np.log2(x.astype(np.float64))
    # within float32 rounding of the result (an ulp grows with |log2 x|), plus a little
    assert np.all(np.abs(logs - exact) <= 1e-7 + 6e-8 * np.abs(exact))


_CHILD = """
import json, os, sys
if sys.argv[1] == "numba first":
    import numba  # noqa: F401
import llvmlite.binding as llvm
from app.core.engine import vector_width
import numba.core.config
llvm.initialize_native_target()
features = llvm.get_host_cpu_features()
print(json.dumps({"asked": os.environ.get("NUMBA_CPU_FEATURES", ""),
                  "numba": numba.core.config.CPU_FEATURES or "",
                  "late": all(features.get(f, False) for f in vector_width._LATE_AVX512),
                  "again": vector_width.prefer_wide_vectors()}))
"""


@needs_numba
@pytest.mark.parametrize("case", ["engine first", "numba first", "NUMBA_CPU_NAME",
                                  "NUMBA_ENABLE_AVX"])
def test_wide_vectors_are_asked_for_on_late_avx512_only(case):
    """Importing the engine asks numba for 512-bit vectors on a CPU with AVX-512 that does
    not slow down for them (Ice Lake, Zen 4 and later), nowhere else, only before numba is
    imported, and never over a user's own choice; numba takes what was asked."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    if case.startswith("NUMBA_"):
        env[case] = "generic" if case == "NUMBA_CPU_NAME" else "0"
    said = json.loads(subprocess.run([sys.executable, "-c", _CHILD, case], env=env,
                                     check=True, capture_output=True, text=True,
                                     timeout=120).stdout)
    assert said["again"] is False  # asked once, on importing the engine, never again
    if case == "engine first" and said["late"]:
        assert said["asked"].endswith(",-prefer-256-bit") and "+avx512f" in said["asked"]
        assert said["numba"] == said["asked"]
    else:
        assert said["asked"] == "" and said["numba"] == ""
