"""The colour model's reduced copy as one numba pass (see analysis.colour_copy), a photo's
channels as planes (exposure.channel_means) and the net's bilinear samples
(resample.downscale).

OpenCV's area reduction is vectorised for a factor of 2 only: a 1200x900 photo's 1/4 copy
took 1.1 ms, as long as the colour model fitted on it. Here each row of k x k blocks is
summed down its k rows and then across (k values a channel), both vectorised, and rounded
as OpenCV rounds its 8 or 16-bit result (the sum times 1/k^2 in float, to the nearest, ties
to even): the same numbers exactly, in 0.5 ms. numba caches the compiled code beside this file;
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
        column_sums = np.zeros(width + 3 * k, np.int32)  # the tail: see the sums across
        across = np.empty(width, np.int32)
        inverse = np.float32(1.0 / (k * k))
        # rows flat (R, G, B, R, ...): a block's sums across are shifted copies of the row
        # added (vectorised), one of every 3k read; indexing [x, c] and summing each
        # block's k columns in turn kept the loops scalar (1.1 ms against 0.5)
        flat_rgb = rgb.reshape(rgb.shape[0], rgb.shape[1] * 3)
        flat_out = out.reshape(rows, columns * 3)
        for i in range(rows):
            first = flat_rgb[i * k]
            for x in range(width):
                column_sums[x] = np.int32(first[x])
            for t in range(1, k):
                row = flat_rgb[i * k + t]
                for x in range(width):
                    column_sums[x] += np.int32(row[x])
            for x in range(width):
                across[x] = column_sums[x]
            for t in range(1, k):  # reads past width only for sums that are not kept
                shifted = column_sums[3 * t:3 * t + width]
                for x in range(width):
                    across[x] += shifted[x]
            dst = flat_out[i]
            for c in range(columns):
                first_sum = 3 * k * c
                for channel in range(3):
                    dst[3 * c + channel] = (np.rint(np.float32(across[first_sum + channel]) *
                                                    inverse) * scale)

    @njit(cache=True, nogil=True, error_model="numpy")
    def channel_planes(rgb, out):  # pragma: no cover - compiled
        """The channels of ``rgb`` (h, w, 3), each into its plane of ``out`` (3, h, w), from
        flat rows (vectorised: numpy's three strided copies of the analysis view took
        0.24 ms, this 0.04)."""
        h, w = out.shape[1], out.shape[2]
        flat_rgb = rgb.reshape(h, 3 * w)
        for y in range(h):
            row, red, green, blue = flat_rgb[y], out[0, y], out[1, y], out[2, y]
            for x in range(w):
                red[x] = row[3 * x]
                green[x] = row[3 * x + 1]
                blue[x] = row[3 * x + 2]

    @njit(cache=True, nogil=True, error_model="numpy")
    def bilinear_samples(rgb, r0, r1, wy, c0, c1, wx, scale, out):  # pragma: no cover
        """resample.downscale's samples of ``rgb`` (h, w, C) integers into ``out`` (oh, ow,
        C) float32: rows r0/r1 lerped by wy, then columns c0/c1 by wx, times ``scale``, in
        the order numpy computes them (the same numbers), reading only the four pixels each
        sample needs (numpy's gathers copied whole rows: 0.14 -> 0.06 ms at 1200x900)."""
        rows, columns, channels = out.shape
        for i in range(rows):
            top, bottom, ty = rgb[r0[i]], rgb[r1[i]], wy[i]
            for j in range(columns):
                left_x, right_x, tx = c0[j], c1[j], wx[j]
                for c in range(channels):
                    upper, lower = np.float32(top[left_x, c]), np.float32(bottom[left_x, c])
                    left = upper + (lower - upper) * ty
                    upper, lower = np.float32(top[right_x, c]), np.float32(bottom[right_x, c])
                    right = upper + (lower - upper) * ty
                    out[i, j, c] = (left + (right - left) * tx) * scale
