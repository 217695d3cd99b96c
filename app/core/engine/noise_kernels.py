"""The noise measure's filters as one numba pass (see exposure.noise_sigma).

Immerkaer's Laplacian and the Sobel gradient that picks the flat half of the photo took five
OpenCV and numpy passes over the analysis view and a masked sum (1.9 ms of a 1200x900
photo's 38); here they are one pass each, 0.3 ms together. The numbers are the filters' own
up to float rounding (the sums are taken in another order). numba caches the compiled code
beside this file; the frozen app has them compiled ahead of time (compiled.py).
"""
from __future__ import annotations

try:
    from numba import njit
except ImportError:  # optional: OpenCV's filters are used instead
    njit = None

available = njit is not None

if available:

    @njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"}, error_model="numpy")
    def noise_planes(v, lap, grad):  # pragma: no cover - compiled
        """|Laplacian| (exposure's 3x3 kernel) and |d/dx| + |d/dy| (Sobel) of the inner
        pixels of ``v`` (h, w) into ``lap`` and ``grad`` (h - 2, w - 2)."""
        h, w = v.shape
        two, four = v.dtype.type(2.0), v.dtype.type(4.0)
        for y in range(1, h - 1):
            up, mid, down = v[y - 1], v[y], v[y + 1]
            lap_row, grad_row = lap[y - 1], grad[y - 1]
            for x in range(w - 2):
                a, b, c = up[x], up[x + 1], up[x + 2]
                d, e, f = mid[x], mid[x + 1], mid[x + 2]
                g, k, i = down[x], down[x + 1], down[x + 2]
                lap_row[x] = abs((a + c) + (g + i) - two * ((b + d) + (f + k)) + four * e)
                gx = (c + two * f + i) - (a + two * d + g)
                gy = (g + two * k + i) - (a + two * b + c)
                grad_row[x] = abs(gx) + abs(gy)

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def flat_sum(lap, grad, threshold):  # pragma: no cover - compiled
        """(sum of ``lap`` where ``grad`` <= ``threshold``, how many such pixels)."""
        total = 0.0
        count = 0
        h, w = lap.shape
        for y in range(h):
            for x in range(w):
                if grad[y, x] <= threshold:
                    total += lap[y, x]
                    count += 1
        return total, count
