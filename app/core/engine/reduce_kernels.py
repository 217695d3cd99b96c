"""The colour model's reduced copy as one numba pass (see analysis.colour_copy).

OpenCV's area reduction is vectorised for a factor of 2 only: a 1200x900 photo's 1/4 copy
took 1.1 ms, as long as the colour model fitted on it. Here each row of k x k blocks is
summed down its k rows (vectorised) and then across (k values a channel), and rounded as
OpenCV rounds its 8 or 16-bit result (the sum times 1/k^2 in float, to the nearest, ties to
even): the same numbers exactly, in 0.5 ms. numba caches the compiled code beside this file;
the frozen app has it compiled ahead of time (compiled.py).
"""
from __future__ import annotations

import numpy as np

try:
    from numba import njit
except ImportError:  # optional: OpenCV's resize is used instead
    njit = None

available = njit is not None

if available:

    @njit(cache=True, nogil=True, error_model="numpy")
    def block_means(rgb, k, scale, out):  # pragma: no cover - compiled
        """Means of the k x k blocks of ``rgb`` (h, w, 3) integers, h and w multiples of k,
        rounded to integers as OpenCV's INTER_AREA resize does, times ``scale``, into
        ``out`` (h / k, w / k, 3) float32."""
        rows, columns, _ = out.shape
        width = columns * k * 3
        column_sums = np.empty(width, np.int32)
        inverse = np.float32(1.0 / (k * k))
        for i in range(rows):
            first = rgb[i * k].reshape(-1)
            for x in range(width):
                column_sums[x] = np.int32(first[x])
            for t in range(1, k):
                row = rgb[i * k + t].reshape(-1)
                for x in range(width):
                    column_sums[x] += np.int32(row[x])
            dst = out[i].reshape(-1)
            for j in range(columns * 3):
                base = (j // 3) * 3 * k + j % 3
                total = np.int32(0)
                for t in range(k):
                    total += column_sums[base + 3 * t]
                dst[j] = np.rint(np.float32(total) * inverse) * scale
