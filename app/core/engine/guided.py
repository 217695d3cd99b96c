"""He, Sun & Tang's guided filter on box filters (O(1) per pixel whatever the radius).

The output is locally a linear function of the guide, q = a * I + b, so it follows the
guide's edges: the engine uses it three ways. Self-guided on the luminance it splits an image
into an edge-preserving base and a detail layer (flat regions, where the local variance is
under ``eps``, are averaged: that is noise; edges and texture above it are kept). Joint, it
upsamples the low-resolution factor map along the full-resolution edges (the "fast guided
filter": coefficients at low resolution, then q = up(a) * I + up(b)), which is what keeps
bright lamps from glowing into dark walls. And it smooths the colour of dark, noisy regions
without bleeding across edges.
"""
from __future__ import annotations

import cv2
import numpy as np

from app.core.engine import compiled, guided_kernels


def box(x: np.ndarray, radius: int) -> np.ndarray:
    """Mean over a (2r+1)^2 window, edges mirrored."""
    k = 2 * radius + 1
    return cv2.boxFilter(x, -1, (k, k), borderType=cv2.BORDER_REFLECT)


def box_into(x: np.ndarray, radius: int, out: np.ndarray) -> None:
    """:func:`box` of a 2-D ``x`` into ``out`` (a plane of a planar array of its type:
    OpenCV would put another type's result elsewhere and leave ``out`` as it was)."""
    if x.dtype != out.dtype or x.shape != out.shape:
        raise ValueError(f"a {x.dtype} {x.shape} plane cannot be filtered into a "
                         f"{out.dtype} {out.shape} one")
    k = 2 * radius + 1
    cv2.boxFilter(x, -1, (k, k), dst=out, borderType=cv2.BORDER_REFLECT)


class BoxMeans:
    """:func:`box`-style window means of a plane (OpenCV's box filter: the edges mirrored
    without repeating the edge pixel), read at chosen pixels only, from one integral image:
    a filter over the whole plane subsampled after did 9-25x the work. Windows up to
    ``reach`` pixels from their centre; ``squares``: the means of the squares too. One
    plane at a time: on interleaved channels numpy's strided arithmetic was 5x slower."""

    def __init__(self, plane: np.ndarray, reach: int, squares: bool = False):
        self.reach = reach
        self.shape = plane.shape
        padded = cv2.copyMakeBorder(plane, reach, reach, reach, reach, cv2.BORDER_REFLECT_101)
        # 8-bit sums fit 32-bit integers (up to 8 MP); anything else is summed in doubles
        exact = plane.dtype == np.uint8 and padded.size * 255 < 2 ** 31
        depth = cv2.CV_32S if exact else cv2.CV_64F
        if squares:
            self.sums, self.squares = cv2.integral2(padded, sdepth=depth, sqdepth=cv2.CV_64F)
        else:
            self.sums, self.squares = cv2.integral(padded, sdepth=depth), None

    def means(self, rows: np.ndarray, cols: np.ndarray, radius: int,
              of_squares: bool = False) -> np.ndarray:
        """(len(rows), len(cols)) float64: the means of the (2r+1)^2 windows centred on
        the grid rows x cols (r <= reach)."""
        shift = self.reach - radius
        y0, x0 = rows + shift, cols + shift
        return self._corners(of_squares, lambda dy, dx: np.ix_(y0 + dy, x0 + dx), radius)

    def means_every(self, step: int, radius: int, of_squares: bool = False) -> np.ndarray:
        """:meth:`means` on every step-th row and column from the first (strided views of
        the table rather than a gather)."""
        (h, w), shift = self.shape, self.reach - radius
        return self._corners(of_squares, lambda dy, dx: (
            slice(shift + dy, shift + dy + h, step), slice(shift + dx, shift + dx + w, step)),
            radius)

    def _corners(self, of_squares: bool, at, radius: int) -> np.ndarray:
        """The window sums from the table's four corners (``at(dy, dx)``: the index of the
        corners dy, dx from each window's top left), as means."""
        if radius > self.reach:  # the table has no margin for it: the reads would be wrong
            raise ValueError(f"a window of radius {radius} reaches past {self.reach}")
        table, size = self.squares if of_squares else self.sums, 2 * radius + 1
        total = table[at(size, size)] - table[at(0, size)] - table[at(size, 0)] + table[at(0, 0)]
        return total * (1.0 / (size * size))


class GridMeans:
    """:class:`BoxMeans`' numbers (the same, exactly) for an integer plane, summed straight
    at the chosen pixels by guided_kernels.window_sums, with no integral image: the
    analysis reads its windows at a few tens of thousands of pixels of a 300,000-pixel
    view, and the three channels' tables alone took 0.7 ms of a 1200x900 photo's 16."""

    def __init__(self, plane: np.ndarray, reach: int, squares: bool = False):
        self.reach = reach
        self.shape = plane.shape
        self.plane = np.ascontiguousarray(plane)
        self.squares = squares

    def means(self, rows: np.ndarray, cols: np.ndarray, radius: int,
              of_squares: bool = False) -> np.ndarray:
        """As :meth:`BoxMeans.means`."""
        if radius > self.reach:
            raise ValueError(f"a window of radius {radius} reaches past {self.reach}")
        if of_squares and not self.squares:
            raise ValueError("these means were made without the squares")
        (h, w), size = self.shape, 2 * radius + 1
        out = np.empty((len(rows), len(cols)), np.float64)
        run = guided_kernels.window_sums if guided_kernels.available else compiled.window_sums
        run(self.plane, guided_kernels.window_taps(rows, h, radius),
            guided_kernels.window_taps(cols, w, radius), of_squares, out)
        out *= 1.0 / (size * size)
        return out

    def means_every(self, step: int, radius: int, of_squares: bool = False) -> np.ndarray:
        """As :meth:`BoxMeans.means_every`."""
        h, w = self.shape
        return self.means(np.arange(0, h, step), np.arange(0, w, step), radius, of_squares)


def channel_means_every(channels: list[GridMeans], step: int, radius: int) -> np.ndarray:
    """(5, gh, gw): the means of every step-th pixel's window (as :meth:`GridMeans.means_every`)
    of three channels' GridMeans, of their largest V and of V's square, in one pass
    (guided_kernels.channel_window_sums: five separate reads took 1.1 ms of a 1200x900
    photo's analysis)."""
    (h, w), size = channels[0].shape, 2 * radius + 1
    if radius > min(c.reach for c in channels):
        raise ValueError(f"a window of radius {radius} reaches past the means' reach")
    rows, cols = np.arange(0, h, step), np.arange(0, w, step)
    out = np.empty((5, len(rows), len(cols)), np.float64)
    run = (guided_kernels.channel_window_sums if guided_kernels.available else
           compiled.channel_window_sums)
    run(*(c.plane for c in channels), guided_kernels.window_taps(rows, h, radius),
        guided_kernels.window_taps(cols, w, radius), out)
    out *= 1.0 / (size * size)
    return out


def window_means(plane: np.ndarray, reach: int, squares: bool = False
                 ) -> BoxMeans | GridMeans:
    """Window means of a plane read at chosen pixels: :class:`GridMeans` for an 8 or 16-bit
    plane where the kernel is compiled, else :class:`BoxMeans` (the same numbers)."""
    compiled_here = guided_kernels.available or compiled.has("window_sums_u8")
    if compiled_here and plane.dtype in (np.uint8, np.uint16):
        return GridMeans(plane, reach, squares)
    return BoxMeans(plane, reach, squares)


def coefficients(guide: np.ndarray, src: np.ndarray, radius: int, eps: float,
                 stacked: bool = False):
    """Window-averaged (a, b) of the local linear model src ~ a * guide + b (float32 2-D
    guide; src 2-D or HxWxC, each channel its own model). ``stacked``: one planar (2, h, w)
    array instead (2-D src), as the bands widen it (a plane at a time, no copy)."""
    kernels = _kernels()
    if kernels is not None and src.ndim == 3 and _all_float32(guide, src):
        out = stacked_channels(guide, src, radius, eps)
        channels = src.shape[2]
        return (np.moveaxis(out[:channels], 0, -1), np.moveaxis(out[channels:], 0, -1))
    if kernels is not None and _all_float32(guide, src):
        planes = guide[None] if src is guide else np.stack((guide, src))
        out = _fused(kernels, planes, radius, eps)
        return out if stacked else (out[0], out[1])
    if src.ndim == 3:
        guide3 = guide[:, :, None]
        mean_i = box(guide, radius)[:, :, None]
        var_i = box(guide * guide, radius)[:, :, None] - mean_i * mean_i
        mean_p = box(src, radius)
        cov = box(guide3 * src, radius) - mean_i * mean_p
    else:  # in place where it can be: the bases' 1/2 copy is a quarter of a photo
        mean_i = box(guide, radius)
        var_i = box(guide * guide, radius)
        var_i -= mean_i * mean_i
        if src is guide:  # self-guided: the source's mean and covariance are the guide's
            mean_p, cov = mean_i, var_i
        else:
            mean_p = box(src, radius)
            cov = box(guide * src, radius)
            cov -= mean_i * mean_p
    denominator = var_i + np.float32(eps)
    in_place = cov.shape == denominator.shape and cov.dtype == denominator.dtype
    a = np.divide(cov, denominator, out=denominator if in_place else None)
    b = a * mean_i
    np.subtract(mean_p, b, out=b)
    if stacked:
        out = np.empty((2, *a.shape), a.dtype)
        box_into(a, radius, out[0])
        box_into(b, radius, out[1])
        return out
    return box(a, radius), box(b, radius)


def stacked_channels(guide: np.ndarray, src: np.ndarray, radius: int, eps: float
                     ) -> np.ndarray:
    """:func:`coefficients` of an HxWxC ``src`` as one planar (2C, h, w) float32 array (a of
    every channel, then b), a channel at a time into place: the same numbers as all at once,
    with a third of the temporaries (the colour model of 1.5 MP: 130 MB, now about 80)."""
    kernels = _kernels()
    if kernels is not None and _all_float32(guide, src):
        planes = np.empty((1 + src.shape[2], *guide.shape), np.float32)
        planes[0] = guide
        planes[1:] = src.transpose(2, 0, 1)
        return _fused(kernels, planes, radius, eps)
    mean_i = box(guide, radius)
    var_i = box(guide * guide, radius)
    var_i -= mean_i * mean_i
    var_i += np.float32(eps)
    channels = src.shape[2]
    out = np.empty((2 * channels, *guide.shape), np.float32)
    for c in range(channels):
        p = np.ascontiguousarray(src[:, :, c])
        mean_p = box(p, radius)
        cov = box(guide * p, radius)
        cov -= mean_i * mean_p
        a = cov / var_i
        del cov
        b = mean_p - a * mean_i
        box_into(a, radius, out[c])
        box_into(b, radius, out[channels + c])
    return out


def _kernels():
    """guided_kernels' compiled passes (numba's, or the frozen app's built ahead of time),
    or None: OpenCV's box filters then."""
    if guided_kernels.available:
        return guided_kernels
    return compiled.module if compiled.has("guided_coefficients") else None


def _all_float32(*arrays: np.ndarray) -> bool:
    return all(a.dtype == np.float32 for a in arrays)


def _fused(kernels, planes: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """guided_kernels.coefficients of (1 + C, h, w) planes: (2C, h, w) (2 for the guide
    alone), in two passes."""
    count, h, w = planes.shape
    shape = (2 * max(1, count - 1), h, w)
    out = np.empty(shape, np.float32)
    run = kernels.coefficients if kernels is guided_kernels else kernels.guided_coefficients
    run(np.ascontiguousarray(planes), radius, np.float32(eps),
        guided_kernels.reflected(h, radius), guided_kernels.reflected(w, radius), out)
    return out
