"""A neutral white balance (off by default): the light's colour cast estimated and mostly
taken out.

Low-light photos carry their light's colour: sodium streets orange, LED rooms green or blue,
a camera's auto white balance lost in the dark. Brightening keeps a pixel's R:G:B, so the cast
comes up with the picture. The light's colour is the mean of the pixels whose colour means
something (not near black, not clipped), each weighted by how grey it is ((1 - saturation)
squared: walls, floors, skin in shadow count; an aquarium's blue wall hardly does, which
grey-world and shades-of-grey took for the light, turning the crowd in front of it red).
A light that is itself strongly coloured (saturation over LIGHT_SATURATION[0], fading out by
LIGHT_SATURATION[1]: a sodium lamp's near-monochrome orange) says nothing about what is
white, and is left as it is. The correction goes STRENGTH of the way to neutral, in stops, so
a warm light stays a little warm as the eye remembers it, and no channel moves more than
MAX_STOPS. The gains keep the photo's mean brightness; they are applied to the result's R, G
and B (every pixel's gain keeps its R:G:B, so scaling the channels before or after it is the
same).
"""
from __future__ import annotations

import numpy as np

LIGHT_SATURATION = (0.45, 0.7)  # 1 - min / max of the light's colour
MIN_LEVEL = 0.03  # near-black colour is noise and JPEG rounding
MAX_LEVEL = 0.95  # clipped pixels have lost their colour
STRENGTH = 0.8
MAX_STOPS = 1.0
MIN_PIXELS = 200
SAMPLE_PIXELS = 20_000  # the light's colour needs no more (14 ms on 150,000, 2 on these)
NEUTRAL = (1.0, 1.0, 1.0)


def light_sample(view: np.ndarray, scale: float) -> np.ndarray:
    """The pixels :func:`gains_for` reads the light's colour from, of an RGB view of the
    photo (integers times ``scale`` or floats in [0, 1]): (n, 3) float32 in [0, 1]."""
    px = view.reshape(-1, 3)
    return px[::max(1, len(px) // SAMPLE_PIXELS)].astype(np.float32) * np.float32(scale)


def gains_for(px: np.ndarray) -> tuple[float, float, float]:
    """R, G, B gains that take out the colour cast of a :func:`light_sample`'s light."""
    v = _channel_max(px)
    px = px[(v > MIN_LEVEL) & (v < MAX_LEVEL)]
    if len(px) < MIN_PIXELS:
        return NEUTRAL
    low = np.minimum(np.minimum(px[:, 0], px[:, 1]), px[:, 2])
    sat = 1.0 - low / np.maximum(_channel_max(px), 1e-6)
    weight = np.square(1.0 - sat)
    light = (px * weight[:, None]).sum(axis=0, dtype=np.float64) / max(float(weight.sum()),
                                                                        1e-9)
    if light.min() <= 0:
        return NEUTRAL
    colour = 1.0 - light.min() / light.max()
    lo, hi = LIGHT_SATURATION
    trust = float(np.clip((hi - colour) / (hi - lo), 0.0, 1.0))
    light /= light.mean()
    stops = np.clip(-np.log2(light) * STRENGTH * trust, -MAX_STOPS, MAX_STOPS)
    gains = np.exp2(stops)
    means = px.mean(axis=0, dtype=np.float64)
    gains *= means.sum() / max(float((gains * means).sum()), 1e-9)  # same mean brightness
    return tuple(float(g) for g in gains)


def _channel_max(px: np.ndarray) -> np.ndarray:
    """The largest of each row's three values (numpy's max over a 3-wide axis is ~50x
    slower than two element-wise maxima)."""
    return np.maximum(np.maximum(px[:, 0], px[:, 1]), px[:, 2])
