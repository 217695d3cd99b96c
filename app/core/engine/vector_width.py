"""Let numba's kernels use the CPU's 512-bit vectors where they pay.

LLVM compiles for the host CPU but, on every CPU with AVX-512, prefers 256-bit vectors: on
the first such chips (Skylake-SP) the wide ones lowered the clock for the whole core. From
Ice Lake on (and on AMD's Zen 4) they no longer do, and the per-pixel kernel ran 12% faster
with them on this project's machines, with the same bytes out (one pixel in 270,000 a level
apart: sums taken in another order). numba reads its target once, when it is imported, so
this runs first (app.core.engine's __init__). A user's own NUMBA_CPU_NAME,
NUMBA_CPU_FEATURES or NUMBA_ENABLE_AVX is left alone.
"""
from __future__ import annotations

import os
import sys

# the mark of the chips whose wide vectors do not slow the core (Ice Lake, Zen 4 and later)
_LATE_AVX512 = ("avx512f", "avx512vbmi2")
# a user's own choice of numba's target (NUMBA_ENABLE_AVX=0 included: numba honours it only
# when it picks the features itself)
_USERS_OWN = ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES", "NUMBA_ENABLE_AVX")


def prefer_wide_vectors() -> bool:
    """Ask numba for 512-bit vectors on a CPU whose wide vectors do not slow it; whether it
    was asked. Only before numba is imported."""
    if "numba" in sys.modules or any(name in os.environ for name in _USERS_OWN):
        return False
    try:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        features = llvm.get_host_cpu_features()
    except ImportError:  # no numba either: nothing to tune
        return False
    except (RuntimeError, OSError):  # LLVM cannot load, or cannot tell here: numba decides
        return False
    if not all(features.get(name, False) for name in _LATE_AVX512):
        return False
    os.environ["NUMBA_CPU_FEATURES"] = features.flatten() + ",-prefer-256-bit"
    return True
