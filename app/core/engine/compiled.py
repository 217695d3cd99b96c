"""The per-pixel kernels compiled ahead of time, for the frozen app.

The double-click app ships without numba (with LLVM it would not fit the bundle), and the
numpy twin of the per-pixel stage is about ten times slower than the kernel. So the build
(build_scripts/compile_kernels.py, numba's ahead-of-time compiler) turns the same kernels of
pixel_rules into a small C extension that loads without numba, twice: ``_compiled_kernels``
for any x86-64 CPU (no AVX), and ``_compiled_kernels_v3`` for x86-64-v3 (AVX2 and FMA, every
Intel CPU since 2013's Haswell and every AMD one since 2015's Excavator), loaded where the
CPU runs it. Either releases the GIL while it runs, as numba's kernels do (a photo's bands
share the cores), and gives the numba kernel's numbers within one level: the frozen app's
1200x900 photo in 17-18 ms (AVX2) or 23 ms (any x86-64), about numba's own; with the GIL
held it took 39 and 45 ms when those were 22 and 28. Where neither was built (a development
install: numba runs the kernels itself) ``module`` is None.
"""
from __future__ import annotations

import numpy as np

# what x86-64-v3 code needs, as numpy names the CPU's features (the BMI, LZCNT and MOVBE
# instructions it also allows came with AVX2 on every CPU that has it)
V3_FEATURES = ("AVX", "AVX2", "FMA3", "F16C")


def runs_v3() -> bool:
    """Whether this CPU runs x86-64-v3 code (numpy's own dispatch has looked)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return False
    return all(features.get(name, False) for name in V3_FEATURES)


module = None
if runs_v3():
    try:
        from app.core.engine import _compiled_kernels_v3 as module
    except ImportError:  # not built: the generic build, or numba
        module = None
if module is None:
    try:
        from app.core.engine import _compiled_kernels as module
    except ImportError:  # not built: numba, or the numpy twin, does the work
        module = None

# What the kernels' arguments mean, beyond their types: raised when a meaning changes under
# the same signature (2: the per-pixel kernel's gain table as corner cells, 2026-12-03). A
# build that says another (or nothing) is not used: its images would be wrong, silently.
LAYOUT = 2
if module is not None and getattr(module, "layout", lambda: 1)() != LAYOUT:
    module = None

available = module is not None
# what the status bar and --verbose call it
name = ("compiled (AVX2)" if available and module.__name__.endswith("_v3") else "compiled")


def has(kernel: str) -> bool:
    """Whether the built extension has this kernel (one built before it was added has not:
    its caller then computes in numpy)."""
    return available and hasattr(module, kernel)


def _typed(export: str, pixels: np.ndarray):
    """The build's ``export`` for this pixel type (each kernel is built for 8 and 16 bits)."""
    return getattr(module, f"{export}_{'u8' if pixels.dtype == np.uint8 else 'u16'}")


def kernel(rgb: np.ndarray, *args) -> None:
    """pixel_rules.kernel's arguments and effect (contiguous arrays, as compiled code takes
    them: pixel_stage.compose, its one caller, sees to it)."""
    _typed("kernel", rgb)(rgb, *args)


def luma_planes(rgb: np.ndarray, *args) -> None:
    """pixel_rules.luma_planes's arguments and effect (``rgb`` contiguous: its callers,
    bases.luma and analysis.brightness, see to it)."""
    _typed("luma", rgb)(rgb, *args)


# yuv_frame's kernels (video frames in their planes), the same arguments and effects
def yuv_prepare(y, u, v, *args) -> None:
    module.yuv_prepare(*map(np.ascontiguousarray, (y, u, v)), *args)


def yuv_to_rgb16(acc, scale, out) -> None:
    module.yuv_to_rgb16(acc, scale, out)


def yuv_lead(avg_u, avg_v, pool, out) -> None:
    module.yuv_lead(avg_u, avg_v, pool, out)


def yuv_maps(source, enhanced, tables, maps) -> None:
    module.yuv_maps(np.ascontiguousarray(source), np.ascontiguousarray(enhanced), tables,
                    maps)


def yuv_apply(avg, *args) -> None:
    *rest, plane = args
    into = plane if plane.flags.c_contiguous else np.empty(plane.shape, plane.dtype)
    module.yuv_apply(np.ascontiguousarray(avg), *rest, into)
    if into is not plane:
        plane[...] = into


# guided_kernels': the guided filters' coefficients and the analysis' window sums
def window_sums(plane, *args) -> None:
    _typed("window_sums", plane)(plane, *args)


def channel_window_sums(red, *args) -> None:
    _typed("channel_window_sums", red)(red, *args)


# reduce_kernels': the colour model's reduced copy, channel planes, the net's samples
def block_means(rgb, *args) -> None:
    _typed("block_means", rgb)(rgb, *args)


def channel_planes(rgb, out) -> None:
    _typed("channel_planes", rgb)(rgb, out)


def bilinear_samples(rgb, *args) -> None:
    _typed("bilinear_samples", rgb)(rgb, *args)
