"""Bilinear resampling that matches torch's F.interpolate(mode="bilinear", align_corners=False)
(half-pixel centres, no antialiasing), done on the CPU with numpy and cv2.

The upsampling works on bands of output rows, so a 100-megapixel photo never needs its full
factor map in memory; the whole image is just one band, so tiled and untiled results are the
same numbers.
"""
from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from app.core.engine import compiled, reduce_kernels
from app.core.settings import low_res_size  # noqa: F401 - part of this module's API


def pixel_max(dtype) -> float:
    """Full-scale value of an 8 or 16-bit pixel type."""
    return 255.0 if np.dtype(dtype) == np.uint8 else 65535.0


def bilinear_taps(out_size: int, in_size: int, start: int = 0, stop: int | None = None
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices i0, i1 and weight of i1 for output positions [start, stop) (the
    caller's own copies: the same sizes come back for every band of every photo of a
    folder, ~10 us each time to compute)."""
    stop = out_size if stop is None else stop
    return tuple(taps.copy() for taps in _bilinear_taps(out_size, in_size, start, stop))


@lru_cache(maxsize=256)
def _bilinear_taps(out_size: int, in_size: int, start: int, stop: int
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pos = (np.arange(start, stop, dtype=np.float64) + 0.5) * (in_size / out_size) - 0.5
    pos = np.maximum(pos, 0.0)
    i0 = np.minimum(np.floor(pos).astype(np.intp), in_size - 1)
    i1 = np.minimum(i0 + 1, in_size - 1)
    return i0, i1, (pos - i0).astype(np.float32)


def plain_pixels(image: np.ndarray, channels: int | None = 3) -> bool:
    """Whether ``image`` is what the compiled passes read as flat rows: contiguous 8 or
    16-bit (h, w, C) pixels, with ``channels`` of them (any number: None)."""
    return (image.ndim == 3 and image.dtype in (np.uint8, np.uint16) and
            image.flags.c_contiguous and channels in (None, image.shape[2]))


def shared_plane(image: np.ndarray) -> np.ndarray | None:
    """The one (h, w) plane behind an (h, w, C) view whose channels all read the same memory
    (a gray photo seen as RGB without a copy: np.broadcast_to, channel stride 0), else None.
    Whole-image steps work on that plane and copy their small result to the channels: the
    same numbers, without a full-size colour copy (OpenCV and reshape would make one)."""
    if image.ndim == 3 and image.shape[2] > 1 and image.strides[2] == 0:
        return image[:, :, 0]
    return None


def downscale(image: np.ndarray, out_h: int, out_w: int, max_value: float) -> np.ndarray:
    """Bilinear downscale of an HxWxC array to out_h x out_w, as float32 in [0, 1].

    Gathers only the four pixels each output sample needs before converting anything to float,
    so it costs almost nothing even for huge images. The arithmetic per sample is the usual
    rows-then-columns lerp, so the numbers match torch's interpolate.
    """
    plane = shared_plane(image)
    if plane is not None:  # gray as RGB: one plane's samples, in every channel
        return np.repeat(downscale(plane[:, :, None], out_h, out_w, max_value),
                         image.shape[2], axis=2)
    h, w = image.shape[:2]
    channels = image.shape[2] if image.ndim == 3 else 1
    r0, r1, wy = bilinear_taps(out_h, h)
    c0, c1, wx = bilinear_taps(out_w, w)
    run = _sampler(image)
    if run is not None:  # the same numbers, compiled
        out = np.empty((out_h, out_w, channels), np.float32)
        run(image, r0, r1, wy, c0, c1, wx, np.float32(1.0 / max_value), out)
        return out
    # Flat column indices of the left taps, then of the right taps, every channel.
    cols = (np.concatenate([c0, c1])[:, None] * channels + np.arange(channels)).ravel()
    # the rows first: reshaping a view (RGBA's colours) would copy the whole image
    top = image[r0].reshape(out_h, w * channels)[:, cols].astype(np.float32)  # (out_h, 2*out_w*C)
    bottom = image[r1].reshape(out_h, w * channels)[:, cols].astype(np.float32)
    lerped = top + (bottom - top) * wy[:, None]
    left, right = lerped.reshape(out_h, 2, out_w, channels).transpose(1, 0, 2, 3)
    out = left + (right - left) * wx[None, :, None]
    return out * np.float32(1.0 / max_value)


def _sampler(image: np.ndarray):
    """reduce_kernels.bilinear_samples (numba's or built ahead of time) where it takes this
    image (contiguous 8 or 16-bit (h, w, C)), else None."""
    if not plain_pixels(image, channels=None):
        return None
    if reduce_kernels.available:
        return reduce_kernels.bilinear_samples
    return compiled.bilinear_samples if compiled.has("bilinear_samples_u8") else None


def resize(image: np.ndarray, size: tuple[int, int], interpolation: int) -> np.ndarray:
    """cv2.resize of (h, w, C) pixels to (h', w', C) without a full-size copy of a view,
    which OpenCV would make: a gray photo seen as RGB (:func:`shared_plane`) is resized once
    and the result copied to the channels, interleaved channels (RGBA's colours) one at a
    time. The same numbers: OpenCV resizes each channel alike."""
    plane = shared_plane(image)
    if plane is not None:
        small = cv2.resize(plane, size, interpolation=interpolation)
        return np.repeat(small.reshape(size[1], size[0], 1), image.shape[2], axis=2)
    if image.strides[1:] == (image.shape[2] * image.itemsize, image.itemsize):
        return cv2.resize(image, size, interpolation=interpolation)
    small = np.empty((size[1], size[0], image.shape[2]), image.dtype)
    for c in range(image.shape[2]):
        small[:, :, c] = cv2.resize(np.ascontiguousarray(image[:, :, c]), size,
                                    interpolation=interpolation).reshape(size[1], size[0])
    return small


def upscale_rows(low: np.ndarray, out_h: int, out_w: int, start: int, stop: int) -> np.ndarray:
    """Rows [start, stop) of the bilinear upscale of ``low`` (h, w, C float32) to out_h x out_w."""
    h, w = low.shape[:2]
    r0, r1, wy = bilinear_taps(out_h, h, start, stop)
    top, bottom = low[r0], low[r1]
    rows = top + (bottom - top) * wy[:, None, None]
    if w == out_w:
        return np.ascontiguousarray(rows)
    # Height is unchanged here, so cv2's vertical pass is the identity; only columns resample.
    out = cv2.resize(rows, (out_w, stop - start), interpolation=cv2.INTER_LINEAR)
    return out.reshape(stop - start, out_w, -1)


def upscale(low: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    return upscale_rows(low, out_h, out_w, 0, out_h)
