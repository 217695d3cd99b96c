"""Colour rendering of the enhancement factor x_r for people to read.

x_r < 0 brightens a pixel (x + x_r (x^2 - x) grows when x_r is negative), x_r > 0 darkens it.
The map uses a diverging, perceptually even cool-warm palette (Moreland 2009): warm = brightened,
cool = darkened, neutral grey = left alone. The per-pixel value is the mean over R, G, B.
"""
from __future__ import annotations

import numpy as np

# Moreland's cool-warm anchors from x_r = +1 (cool, darkens) to x_r = -1 (warm, brightens).
_ANCHORS = np.array([
    [59, 76, 192], [98, 130, 234], [141, 176, 254], [184, 208, 249], [221, 221, 221],
    [245, 196, 173], [244, 154, 123], [222, 96, 77], [180, 4, 38]], dtype=np.float32)


def palette() -> np.ndarray:
    """256x3 uint8; index 0 is x_r = +1 (darkening), index 255 is x_r = -1 (brightening)."""
    pos = np.linspace(0, len(_ANCHORS) - 1, 256)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(_ANCHORS) - 1)
    t = (pos - lo)[:, None]
    return np.round(_ANCHORS[lo] * (1 - t) + _ANCHORS[hi] * t).astype(np.uint8)


_PALETTE = palette()


def factor_heatmap(x_r: np.ndarray) -> np.ndarray:
    """x_r (H, W, 3) or (H, W) float in [-1, 1] -> RGB uint8 (H, W, 3)."""
    value = x_r.mean(axis=2) if x_r.ndim == 3 else x_r
    index = np.clip(np.round((1.0 - value) * 127.5), 0, 255).astype(np.uint8)
    return _PALETTE[index]


def heatmap_image(small_factor: np.ndarray, height: int, width: int) -> np.ndarray:
    """Full-size heatmap: colour the small x_r map, then scale the colours up (bilinear), which
    is what upsampling x_r first would show, at a fraction of the time and memory."""
    import cv2

    return cv2.resize(factor_heatmap(small_factor), (width, height),
                      interpolation=cv2.INTER_LINEAR)
