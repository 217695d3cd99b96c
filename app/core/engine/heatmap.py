"""Colour rendering of the brightening actually applied, in stops (EV), for people to read.

The map is log2 of the gain each region got (+1 EV = twice as bright), after exposure,
strength and Auto's fade. It uses a diverging, perceptually even cool-warm palette
(Moreland 2009): warm = brightened, neutral grey = left alone, cool = darkened; the scale
runs from -STOPS to +STOPS.
"""
from __future__ import annotations

import cv2
import numpy as np

STOPS = 5.0  # the ends of the scale: the engine's gain cap is 5 stops either way
# Moreland's cool-warm anchors from -STOPS (cool, darkened) to +STOPS (warm, brightened).
_ANCHORS = np.array([
    [59, 76, 192], [98, 130, 234], [141, 176, 254], [184, 208, 249], [221, 221, 221],
    [245, 196, 173], [244, 154, 123], [222, 96, 77], [180, 4, 38]], dtype=np.float32)


def palette() -> np.ndarray:
    """256x3 uint8; index 0 is -STOPS (darkened), 255 is +STOPS (brightened)."""
    pos = np.linspace(0, len(_ANCHORS) - 1, 256)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(_ANCHORS) - 1)
    t = (pos - lo)[:, None]
    return np.round(_ANCHORS[lo] * (1 - t) + _ANCHORS[hi] * t).astype(np.uint8)


_PALETTE = palette()


def gain_heatmap(stops: np.ndarray) -> np.ndarray:
    """Gain in stops (H, W) -> RGB uint8 (H, W, 3)."""
    index = np.clip(np.round((np.asarray(stops) / STOPS + 1.0) * 127.5), 0, 255)
    return _PALETTE[index.astype(np.uint8)]


def heatmap_image(stops_small: np.ndarray, height: int, width: int) -> np.ndarray:
    """Full-size heatmap: colour the small map, then scale the colours up (bilinear)."""
    return cv2.resize(gain_heatmap(stops_small), (width, height),
                      interpolation=cv2.INTER_LINEAR)
