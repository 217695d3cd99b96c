"""Across video frames: the factor map is computed per frame on a tiny copy, so sensor noise
would wobble it. :class:`TemporalSmoother` keeps an exponential moving average of the low-res
map and resets it on scene cuts; :func:`enhance_frame` runs one frame through it."""
from __future__ import annotations

import numpy as np

from app.core.engine import resample
from app.core.settings import EnhanceSettings


class TemporalSmoother:
    """EMA of the low-res factor map across frames, reset when the scene changes."""

    def __init__(self, weight: float = 0.85, cut_threshold: float = 0.12):
        self.weight = weight  # share of the previous estimate kept each frame
        self.cut_threshold = cut_threshold  # mean abs change of the small frame = a new scene
        self._factor: np.ndarray | None = None
        self._frame: np.ndarray | None = None

    def __call__(self, small_frame: np.ndarray, factor: np.ndarray) -> np.ndarray:
        cut = (self._frame is None or self._frame.shape != small_frame.shape or
               float(np.abs(small_frame - self._frame).mean()) > self.cut_threshold)
        self._frame = small_frame
        if cut:
            self._factor = factor
        else:
            self._factor = self.weight * self._factor + (1 - self.weight) * factor
        return self._factor


def enhance_frame(enhancer, rgb: np.ndarray, s: EnhanceSettings, smoother) -> np.ndarray:
    # One thread: the decoder and the encoder's threads keep the other cores busy, and a
    # parallel kernel would only wait for them at its barriers.
    if smoother is None:
        return enhancer.enhance(rgb, s.exposure, s.iterations, s.scale, threads=1).image
    h, w = rgb.shape[:2]
    small_frame = resample.downscale(rgb, *resample.low_res_size(h, w, s.scale), 255.0)
    factor, _ = enhancer.factor_from_small(rgb, small_frame, s.exposure, threads=1)
    return enhancer.recur_with_factor(rgb, smoother(small_frame, factor), s.iterations,
                                      threads=1)
