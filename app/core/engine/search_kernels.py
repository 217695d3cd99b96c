"""The exposure search's prediction as one numba pass (see exposure.solve_exposure).

The search predicts the result's mean brightness for about thirty exposures on the photo's
six thousand samples. In numpy each try was some forty array operations: 4.7 ms of a
1200x900 photo, on the path that every later step waits for. Here a try is one pass that
the compiler vectorises: the logarithms and powers of two are computed inline (the float's
exponent bits and a short polynomial, within 3e-7 of the library's; numba has no vector
library here, and a library call in the loop kept it scalar, 10 ns a sample). The numbers
are numpy's up to float rounding (tested). numba caches the compiled code beside this file;
the frozen app has it compiled ahead of time (compiled.py).
"""
from __future__ import annotations

import numpy as np

try:
    from llvmlite import ir
    from numba import njit
    from numba.core import types
    from numba.core.extending import intrinsic
except ImportError:  # optional: the numpy prediction is used instead
    njit = None

available = njit is not None
CURVE_STEPS = 8  # exposure.CURVE_STEPS (a constant here, so the curve's loop unrolls)

if available:

    @intrinsic
    def _bits_of(typingctx, x):  # pragma: no cover - compiled
        """A float32's bits as an int32 (no conversion)."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.IntType(32))
        return types.int32(types.float32), codegen

    @intrinsic
    def _float_of(typingctx, i):  # pragma: no cover - compiled
        """An int32's bits as a float32."""
        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], ir.FloatType())
        return types.float32(types.int32), codegen

    _inline = njit(nogil=True, fastmath=True, error_model="numpy", inline="always")

    @_inline
    def _exp2(u):  # pragma: no cover - compiled
        """2 ** u for float32 u (clamped to the normal range): 2 ** n for the nearest
        integer n from the exponent bits, times e ** ((u - n) ln 2) to degree 6 (|.| <=
        0.347: within 3e-7 of the library's, and exact at integers)."""
        u = min(max(u, np.float32(-126.0)), np.float32(126.0))
        n = np.floor(u + np.float32(0.5))
        g = (u - n) * np.float32(0.6931471805599453)
        p = np.float32(1.0) + g * (np.float32(1.0) + g * (np.float32(1 / 2) + g * (
            np.float32(1 / 6) + g * (np.float32(1 / 24) + g * (
                np.float32(1 / 120) + g * np.float32(1 / 720))))))
        return p * _float_of((np.int32(n) + np.int32(127)) << np.int32(23))

    @_inline
    def _log2(x):  # pragma: no cover - compiled
        """log2 of a positive normal float32: its exponent, plus log2 of the mantissa
        taken into [sqrt(1/2), sqrt(2)) by the atanh series to s ** 9 (whose own error is
        1e-9: the result is within a float32 rounding, 2e-7, of the library's)."""
        bits = _bits_of(x)
        e = np.float32(((bits >> np.int32(23)) & np.int32(255)) - np.int32(127))
        m = _float_of((bits & np.int32(0x7FFFFF)) | np.int32(0x3F800000))
        big = m > np.float32(1.4142135623730951)
        m = np.float32(0.5) * m if big else m
        e = e + np.float32(1.0) if big else e
        s = (m - np.float32(1.0)) / (m + np.float32(1.0))
        s2 = s * s
        ln = np.float32(2.0) * s * (np.float32(1.0) + s2 * (np.float32(1 / 3) + s2 * (
            np.float32(1 / 5) + s2 * (np.float32(1 / 7) + s2 * np.float32(1 / 9)))))
        return e + ln * np.float32(1.4426950408889634)

    # Each pass is a loop of its own with one kind of reduction: the pushed curve in the
    # same loop, or a count beside the float sum, kept the compiler from vectorising it.
    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def pushed_lift(above, x_r, lift1, below, push, out):  # pragma: no cover - compiled
        """exposure._Shape.local at ``push`` > 1 into ``out``: SGZ's curve with the factor
        pushed (only lifting: x_r clipped to [-1, 0]), acting below the lights,
        lift1 + (lift_p - lift1) * below, in stops."""
        one = np.float32(1.0)
        zero = np.float32(0.0)
        for i in range(above.size):
            a = above[i]
            xr = min(max(x_r[i] * push, -one), zero)
            v = a
            for _ in range(CURVE_STEPS):
                v = v + xr * (v * v - v)
            out[i] = lift1[i] + (_log2(max(v / a, np.float32(1e-6))) - lift1[i]) * below[i]

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def predict(above, light, base, mean_rgb, fresh, local, stops, lost, knee, white_ramp,
                white_share, max_stops):  # pragma: no cover - compiled
        """(the mean brightness, the share of ``fresh`` samples (1, else 0) pushed to
        ``lost`` or over) at ``stops`` of exposure and the local lift ``local``:
        exposure.solve_exposure's prediction (exposure._Shape's arrays, 1-D float32)."""
        one = np.float32(1.0)
        zero = np.float32(0.0)
        tiny = np.float32(1e-6)
        cap = np.float32(2.0) ** max_stops
        floor = one / cap
        room = one - knee
        to_base2 = np.float32(1.4426950408889634) / room  # exp(-t / room) = 2 ** -(t * this)
        total = np.float32(0.0)  # partial sums in 16 lanes: within 1e-6 of a float64 sum
        blown = np.float32(0.0)
        for i in range(above.size):
            exposed = above[i] * _exp2(min(max(stops + local[i], -max_stops), max_stops))
            # the shoulder (exposure.shoulder), as numpy computes it, without a branch
            over = max(exposed - knee, zero)
            shouldered = min(exposed, knee) + room * (one - _exp2(-over * to_base2))
            g = min(max(max(shouldered, tiny) / light[i], floor), cap)
            peak = g * base[i]
            blown += fresh[i] if peak >= lost else zero
            whiter = one - one / max(exposed, one)
            share = white_share * whiter * min(max((g - one) * white_ramp, zero), one)
            m = g * mean_rgb[i]
            total += min(m + (peak - m) * share, one)
        count = max(above.size, 1)
        return total / count, blown / count
