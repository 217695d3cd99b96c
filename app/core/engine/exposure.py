"""Exposure: how bright the result should be, and the per-pixel gain that gets it there.

The gain comes from SGZ's curve: the EFE net's factor map x_r (one value per pixel, the mean
over R, G, B, so colour cannot drift) drives ``x <- x + x_r (x^2 - x)`` eight times on the
pixel's smooth brightness V (max of R, G, B); the gain is curve(V) / V, raised to the strength
exponent and capped. R, G and B are all multiplied by it, so hue and saturation are kept.

The target: explicit (a mean brightness the user chose), or Auto. Auto was chosen by looking
at the dev photos: a photo whose mean brightness m is under AUTO_ANCHOR is lifted towards it
along m' = anchor * (m / anchor) ** AUTO_POWER (a night photo at 0.02 goes to 0.18, one at 0.1
to 0.29, a dim street at 0.23 to 0.37), brighter photos keep their level and fade to no change
at all, and the overall gain is capped by the photo's noise (NOISE_BUDGET levels of amplified
noise), so a photo that is mostly noise (a starry sky, a lens cap) stays dark. A global offset
on x_r, found by bisection on a few thousand sampled pixels, lands the mean on the target.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CURVE_STEPS = 8  # the reference recurrence count at which the target is met
MAX_GAIN = 32.0  # 5 stops: no pixel is lifted (or darkened) more; near-black would be noise
AUTO_ANCHOR = 0.46
AUTO_POWER = 0.3
NOISE_BUDGET = 6.0  # 8-bit levels of noise the overall gain may amplify the input's into
NOISE_FLOOR = 0.5 / 255  # 8-bit quantisation: no estimate goes below half a level
SAMPLE_PIXELS = 6_000
FULL_EFFECT_STOPS = 0.5  # Auto: photos needing less than this fade towards untouched
_BISECTION_STEPS = 24
_LAPLACIAN = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(value: np.ndarray) -> float:
    """Noise standard deviation of a float32 image in [0, 1] (Immerkaer 1996 on the flattest
    half of the pixels, where texture does not pass for noise)."""
    if min(value.shape) < 3:
        return NOISE_FLOOR
    lap = np.abs(cv2.filter2D(value, -1, _LAPLACIAN)[1:-1, 1:-1])
    grad = (np.abs(cv2.Sobel(value, cv2.CV_32F, 1, 0)) +
            np.abs(cv2.Sobel(value, cv2.CV_32F, 0, 1)))[1:-1, 1:-1]
    flat = lap[grad <= np.median(grad)]
    sigma = float(np.sqrt(np.pi / 2) / 6 * flat.mean()) if flat.size else 0.0
    return max(sigma, NOISE_FLOOR)


def curve(v: np.ndarray, x_r: np.ndarray, steps: int = CURVE_STEPS) -> np.ndarray:
    for _ in range(steps):
        v = v + x_r * (v * v - v)
    return v


def strength_exponent(iterations: int) -> float:
    """Strength n scales the brightening in stops: n = 8 meets the target, 16 gives 1.5x the
    stops, 1 gives 0.3x (gentler than the raw recurrence count, which blew out at 16)."""
    return (iterations / CURVE_STEPS) ** 0.6


def gain(base: np.ndarray, x_r: np.ndarray, exponent: float) -> np.ndarray:
    """Gain of each pixel from its smooth brightness and factor (both float32)."""
    b = np.maximum(base, np.float32(1e-4))
    g = (curve(b, x_r) / b) ** np.float32(exponent)
    return np.clip(g, np.float32(1 / MAX_GAIN), np.float32(MAX_GAIN))


def auto_target(mean: float, sigma: float) -> float:
    """Auto's mean brightness for a photo of mean brightness ``mean`` and noise ``sigma``."""
    want = max(mean, AUTO_ANCHOR * (max(mean, 1e-4) / AUTO_ANCHOR) ** AUTO_POWER)
    cap = float(np.clip(NOISE_BUDGET / (sigma * 255.0), 1.0, 16.0))
    return min(want, mean * cap)


def fade_for(target: float, mean: float) -> float:
    """Auto only: 1 for photos that need at least FULL_EFFECT_STOPS, falling to 0 (untouched)
    for well-exposed ones; the gain is raised to this power."""
    stops = np.log2(max(target, 1e-4) / max(mean, 1e-4))
    return float(np.clip(stops / FULL_EFFECT_STOPS, 0.0, 1.0))


@dataclass(frozen=True)
class Samples:
    """An even grid of pixels of a lightly smoothed view of the photo."""

    base: np.ndarray  # smooth brightness V, float32 (gh, gw)
    mean_rgb: np.ndarray  # mean of R, G, B, float32 (gh, gw)


def sample(view: np.ndarray, count: int = SAMPLE_PIXELS) -> Samples:
    """Samples of an RGB float32 view (already at most ~1 MP)."""
    h, w = view.shape[:2]
    smooth = cv2.blur(view, (3, 3))
    k = min(1.0, (count / (h * w)) ** 0.5)
    gh, gw = max(1, round(h * k)), max(1, round(w * k))
    rows = np.minimum(((np.arange(gh) + 0.5) * h / gh).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(gw) + 0.5) * w / gw).astype(np.intp), w - 1)
    grid = smooth[rows][:, cols]
    v = np.maximum(np.maximum(grid[:, :, 0], grid[:, :, 1]), grid[:, :, 2])
    return Samples(v, grid.mean(axis=2))


def solve_offset(samples: Samples, x_r: np.ndarray, target: float, exponent: float) -> float:
    """The offset d (x_r + d, clipped to [-1, 1]) at which the predicted mean brightness is
    ``target``; the mean falls as d grows, and d = +-2 saturates x_r."""
    def mean_after(d: float) -> float:
        g = gain(samples.base, np.clip(x_r + np.float32(d), -1.0, 1.0), exponent)
        return float(np.minimum(g * samples.mean_rgb, 1.0).mean())

    lo, hi = -2.0, 2.0
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        if mean_after(mid) > target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
