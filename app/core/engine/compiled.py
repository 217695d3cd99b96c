"""The per-pixel kernels compiled ahead of time, for the frozen app.

The double-click app ships without numba (with LLVM it would not fit the bundle), and the
numpy twin of the per-pixel stage is about ten times slower than the kernel. So the build
(build_scripts/compile_kernels.py, numba's ahead-of-time compiler) turns the same kernels of
pixel_rules into a small C extension, ``_compiled_kernels``, that loads without numba. It is
compiled for any x86-64 CPU (no AVX), holds the GIL while it runs, and gives the numba
kernel's numbers within one level. Where it was not built (a development install: numba
runs the kernels itself) ``module`` is None.
"""
from __future__ import annotations

import numpy as np

try:
    from app.core.engine import _compiled_kernels as module
except ImportError:  # not built: numba, or the numpy twin, does the work
    module = None

available = module is not None


def has(kernel: str) -> bool:
    """Whether the built extension has this kernel (one built before it was added has not:
    its caller then computes in numpy)."""
    return available and hasattr(module, kernel)


def kernel(rgb: np.ndarray, *args) -> None:
    """pixel_rules.kernel's arguments and effect. Compiled code takes contiguous arrays
    only (numba compiles a version per layout at run time): an RGBA photo's RGB view is
    copied a band at a time, and written back likewise."""
    *rest, out = args
    into = out if out.flags.c_contiguous else np.empty(out.shape, out.dtype)
    (module.kernel_u8 if rgb.dtype == np.uint8 else module.kernel_u16)(
        np.ascontiguousarray(rgb), *rest, into)
    if into is not out:
        out[...] = into


def luma_planes(rgb: np.ndarray, *args) -> None:
    """pixel_rules.luma_planes's arguments and effect (``rgb`` contiguous: pipeline.luma,
    its one caller, sees to it)."""
    (module.luma_u8 if rgb.dtype == np.uint8 else module.luma_u16)(rgb, *args)


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
