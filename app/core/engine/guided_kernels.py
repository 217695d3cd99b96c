"""The guided filter's coefficients in two numba passes (see guided.coefficients).

OpenCV's box filters are fast, but a guided filter's coefficients take four to fourteen of
them and as many numpy passes for the arithmetic between: the bases' 1/2 copy of a 1200x900
photo took 1.2 ms, the colour model's 1/4 copy 1.7-1.9 ms. Here the window sums, the
coefficients and their own window means are two passes, a row at a time, the windows' sums
taken straight (no running sums), edges mirrored as OpenCV's BORDER_REFLECT. The numbers are
OpenCV's up to float rounding (its sums are running doubles). numba caches the compiled code
beside this file; the frozen app has it compiled ahead of time (compiled.py).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

try:
    from numba import njit
except ImportError:  # optional: OpenCV's box filters are used instead
    njit = None

available = njit is not None


def window_taps(centres: np.ndarray, n: int, radius: int) -> np.ndarray:
    """(len(centres), 2r+1): the indices of each window's pixels along an axis of n,
    mirrored at the edges without repeating the edge pixel (OpenCV's BORDER_REFLECT_101,
    gfedcb|abcdefgh|gfedcba, as its box filter's default), for any n."""
    offsets = np.asarray(centres, np.intp)[:, None] + np.arange(-radius, radius + 1)
    if n == 1:
        return np.zeros_like(offsets)
    period = offsets % (2 * n - 2)
    return np.where(period < n, period, 2 * n - 2 - period).astype(np.intp)


def reflected(n: int, radius: int) -> np.ndarray:
    """Indices 0..n-1 of positions -radius..n+radius-1 mirrored at the edges without
    repeating the edge pixel (OpenCV's BORDER_REFLECT, fedcba|abcdef|fedcba), for any n (the
    caller's own copy, as resample.bilinear_taps')."""
    return _reflected(n, radius).copy()


@lru_cache(maxsize=64)
def _reflected(n: int, radius: int) -> np.ndarray:
    period = np.arange(-radius, n + radius) % (2 * n)
    return np.where(period < n, period, 2 * n - 1 - period).astype(np.intp)


if available:

    @njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"}, error_model="numpy")
    def _across(column, radius, cols, out):  # pragma: no cover - compiled
        """The (2r+1)-wide sums along a row of ``column`` (w + 2r: the sums down the
        windows' rows in [r, r + w)) into ``out`` (w), its edge columns mirrored first."""
        w = out.shape[0]
        for t in range(radius):  # the mirrored columns
            column[t] = column[radius + cols[t]]
            column[radius + w + t] = column[radius + cols[radius + w + t]]
        for x in range(w):
            out[x] = column[x]
        for t in range(1, 2 * radius + 1):
            shifted = column[t:t + w]
            for x in range(w):
                out[x] += shifted[x]

    @njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"}, error_model="numpy")
    def _window_sums(planes, y, rows, cols, radius, sums, column):  # pragma: no cover
        """The (2r+1)^2 window sums of each of ``planes`` (C, n, w) along row y into
        ``sums`` (C, w): the rows ``rows[y:y + 2r + 1]``, each at ``index % n`` (n: the
        image's height, or a ring of 2r + 1 rows); ``column``: a (w + 2r) buffer."""
        count, ring, w = planes.shape
        size = 2 * radius + 1
        inner = column[radius:radius + w]
        for q in range(count):
            plane = planes[q]
            first = plane[rows[y] % ring]
            for x in range(w):
                inner[x] = first[x]
            for t in range(1, size):
                row = plane[rows[y + t] % ring]
                for x in range(w):
                    inner[x] += row[x]
            _across(column, radius, cols, sums[q])

    @njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"}, error_model="numpy")
    def _unaveraged(count, scale, eps, sums, products, var, source, a_row,
                    b_row):  # pragma: no cover - compiled
        """A row of the coefficients of source ``source`` before their window means, from
        the row's window sums (``count`` planes: 1, the guide filtering itself) times
        ``scale``, and the guide's variance ``var``."""
        w = a_row.shape[0]
        mean_i = sums[0]
        if count == 1:  # the guide filtering itself: its covariance is its variance
            for x in range(w):
                a = var[x] / (var[x] + eps)
                a_row[x] = a
                m = mean_i[x] * scale
                b_row[x] = m - a * m
        else:
            mean_p, cross = sums[source + 1], products[source + 1]
            for x in range(w):
                m = mean_i[x] * scale
                p = mean_p[x] * scale
                a = (cross[x] * scale - m * p) / (var[x] + eps)
                a_row[x] = a
                b_row[x] = p - a * m

    @njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"}, error_model="numpy")
    def coefficients(planes, radius, eps, rows, cols, out):  # pragma: no cover - compiled
        """A guided filter's box-averaged (a, b) into ``out`` (2C, h, w): a of each source,
        then b. ``planes`` (1 + C, h, w): the guide, then the C sources; C = 0 for the
        guide filtering itself (then out is (2, h, w)). ``rows``/``cols``: :func:`reflected`
        tables for the radius. The unaveraged coefficients are kept for the 2r + 1 rows
        their means need only (a ring): a 24 MP photo's bases would take 48 MB more."""
        count, h, w = planes.shape
        sources = max(1, count - 1)
        size = 2 * radius + 1
        scale = np.float32(1.0 / (size * size))
        column = np.empty(w + 2 * radius, np.float32)
        sums = np.empty((count, w), np.float32)
        products = np.empty((count, w), np.float32)  # guide * guide, guide * each source
        var = np.empty(w, np.float32)
        ring = np.empty((2 * sources, size, w), np.float32)
        averaged = np.empty((2 * sources, w), np.float32)
        inner = column[radius:radius + w]
        ready = 0  # rows of the ring filled so far
        for y in range(h):
            while ready <= min(y + radius, h - 1):
                _window_sums(planes, ready, rows, cols, radius, sums, column)
                for q in range(count):
                    for x in range(w):
                        inner[x] = np.float32(0.0)
                    for t in range(size):
                        guide, other = planes[0, rows[ready + t]], planes[q, rows[ready + t]]
                        for x in range(w):
                            inner[x] += guide[x] * other[x]
                    _across(column, radius, cols, products[q])
                mean_i, squares = sums[0], products[0]
                for x in range(w):
                    m = mean_i[x] * scale
                    var[x] = squares[x] * scale - m * m
                slot = ready % size
                for c in range(sources):
                    _unaveraged(count, scale, eps, sums, products, var, c, ring[c, slot],
                                ring[sources + c, slot])
                ready += 1
            # the window means of the coefficients about row y: rows y - r .. y + r (the
            # mirrored ones among them) are all in the ring
            _window_sums(ring, y, rows, cols, radius, averaged, column)
            for q in range(2 * sources):
                row, total = out[q, y], averaged[q]
                for x in range(w):
                    row[x] = total[x] * scale

    @njit(cache=True, nogil=True, error_model="numpy")
    def window_sums(plane, row_taps, col_taps, squared, out):  # pragma: no cover - compiled
        """Sums of the windows of an integer ``plane`` (h, w) (of its squares if
        ``squared``) centred on a grid, exactly, into ``out`` (gh, gw) float64: window i, j
        covers rows ``row_taps[i]`` and columns ``col_taps[j]`` (each (gh or gw, k))."""
        w = plane.shape[1]
        gh, k = row_taps.shape
        gw = col_taps.shape[0]
        column = np.empty(w, np.int64)
        for i in range(gh):
            for x in range(w):
                column[x] = 0
            for t in range(k):
                row = plane[row_taps[i, t]]
                if squared:
                    for x in range(w):
                        value = np.int64(row[x])
                        column[x] += value * value
                else:
                    for x in range(w):
                        column[x] += row[x]
            for j in range(gw):
                total = np.int64(0)
                for t in range(k):
                    total += column[col_taps[j, t]]
                out[i, j] = total

    @njit(cache=True, nogil=True, error_model="numpy")
    def channel_window_sums(red, green, blue, row_taps, col_taps, out):  # pragma: no cover
        """:func:`window_sums` of three integer channels (h, w), of their largest V and of
        V's square, in one pass: ``out`` (5, gh, gw) float64, in that order."""
        w = red.shape[1]
        gh, k = row_taps.shape
        gw = col_taps.shape[0]
        columns = np.zeros((5, w), np.int64)
        for i in range(gh):
            columns[:] = 0
            sum_r, sum_g, sum_b, sum_v, sum_vv = (columns[0], columns[1], columns[2],
                                                  columns[3], columns[4])
            for t in range(k):
                y = row_taps[i, t]
                r_row, g_row, b_row = red[y], green[y], blue[y]
                for x in range(w):
                    r, g, b = np.int64(r_row[x]), np.int64(g_row[x]), np.int64(b_row[x])
                    v = max(max(r, g), b)
                    sum_r[x] += r
                    sum_g[x] += g
                    sum_b[x] += b
                    sum_v[x] += v
                    sum_vv[x] += v * v
            for q in range(5):
                column = columns[q]
                row = out[q, i]
                for j in range(gw):
                    total = np.int64(0)
                    for t in range(k):
                        total += column[col_taps[j, t]]
                    row[j] = total
