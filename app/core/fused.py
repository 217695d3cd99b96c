"""The full-resolution stage as one compiled kernel (numba): upsample x_r and run the n-step
recurrence row by row, without full-size temporaries.

Per row it interpolates the two neighbouring low-res rows, then the columns, then applies the
float32 recurrence to the whole row at once (a loop numba vectorises), and rounds back to the
image's depth. About twice as fast as the OpenCV table path and exact to float32. Compiled on
first use and cached on disk (NUMBA_CACHE_DIR, or next to this file). Numba's default thread
pool must not be entered from two threads at once, so calls are serialised by a lock (each call
already uses every core).
"""
from __future__ import annotations

import threading

import numpy as np

from app.core import resample

try:
    from numba import config, njit, prange, set_num_threads
except ImportError:  # optional: the OpenCV table path is used instead
    njit = None

_LOCK = threading.Lock()
available = njit is not None

if available:

    @njit(parallel=True, cache=True, nogil=True, fastmath=True)
    def _kernel(image, small, r0, r1, wy, c0, c1, wx, iterations, top_value, out):
        rows, n = image.shape
        scale = np.float32(1.0) / np.float32(top_value)
        for y in prange(rows):
            a = small[r0[y]]
            b = small[r1[y]]
            t = wy[y]
            low = np.empty(a.shape[0], np.float32)
            for j in range(a.shape[0]):
                low[j] = a[j] + (b[j] - a[j]) * t
            x_r = np.empty(n, np.float32)
            for i in range(n):
                x_r[i] = low[c0[i]] + (low[c1[i]] - low[c0[i]]) * wx[i]
            v = np.empty(n, np.float32)
            for i in range(n):
                v[i] = np.float32(image[y, i]) * scale
            for _ in range(iterations):
                for i in range(n):
                    v[i] = v[i] + x_r[i] * (v[i] * v[i] - v[i])
            for i in range(n):
                q = v[i] * np.float32(top_value) + np.float32(0.5)
                q = min(max(q, np.float32(0.0)), np.float32(top_value))
                out[y, i] = q
        return out


def column_taps(out_w: int, in_w: int, channels: int) -> tuple[np.ndarray, ...]:
    """Column taps expanded per channel, indexing a (h, w * channels) row."""
    c0, c1, wx = resample.bilinear_taps(out_w, in_w)
    ch = np.arange(channels)
    return ((c0[:, None] * channels + ch).ravel(), (c1[:, None] * channels + ch).ravel(),
            np.repeat(wx, channels))


def recur_rows(image: np.ndarray, small: np.ndarray, iterations: int, top: int, bottom: int,
               columns: tuple[np.ndarray, ...], out: np.ndarray, threads: int | None = None
               ) -> None:
    """Rows [top, bottom) of the enhanced image into ``out`` (same rows), HxWx3 arrays."""
    h_img, w_img, c = image.shape
    r0, r1, wy = resample.bilinear_taps(h_img, small.shape[0], top, bottom)
    top_value = resample.pixel_max(image.dtype)
    flat = small.reshape(small.shape[0], -1)
    with _LOCK:
        if threads:
            set_num_threads(min(threads, config.NUMBA_NUM_THREADS))
        _kernel(image[top:bottom].reshape(bottom - top, w_img * c), flat, r0, r1, wy,
                *columns, iterations, top_value, out[top:bottom].reshape(bottom - top, -1))


def warm_up() -> None:
    """Compile (or load from the cache) the kernels for 8 and 16-bit images."""
    if not available:
        return
    small = np.zeros((2, 2, 3), np.float32)
    for dtype in (np.uint8, np.uint16):
        img = np.zeros((4, 4, 3), dtype)
        recur_rows(img, small, 1, 0, 4, column_taps(4, 2, 3), np.empty_like(img))
