"""Exposure lock: land the output's mean brightness on the user's alpha.

The conditioned EFE net aims at alpha, but a purely local curve model under SGZ's spatial
consistency loss under-brightens very dark photos and over-brightens already bright ones. So
the engine measures the result on an even grid of about SAMPLE_PIXELS real pixels and shifts
x_r by a global offset per channel, found by bisection, so that the mean brightness at the
reference strength n = 8 equals alpha and the channel imbalance (colour cast) stays what it was
in the input instead of growing with the brightening. The shift keeps x_r's spatial pattern
(what the net learned) and stays inside SGZ's curve family (x_r is clipped to [-1, 1]); other n
then act as a gentler or stronger version of the same exposure.
"""
from __future__ import annotations

import numpy as np

REFERENCE_ITERATIONS = 8
SAMPLE_PIXELS = 20_000
_STEPS = 16  # bisection on [-2, 2]: 4 / 2^16 precision, far below one level


def sample_grid(image: np.ndarray, max_value: float, count: int = SAMPLE_PIXELS
                ) -> tuple[np.ndarray, tuple[int, int]]:
    """About ``count`` real pixels on an even grid, float32 (gh, gw, 3) in [0, 1]."""
    h, w = image.shape[:2]
    k = min(1.0, (count / (h * w)) ** 0.5)
    gh, gw = max(1, round(h * k)), max(1, round(w * k))
    rows = np.minimum(((np.arange(gh) + 0.5) * h / gh).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(gw) + 0.5) * w / gw).astype(np.intp), w - 1)
    return image[rows][:, cols].astype(np.float32) * np.float32(1.0 / max_value), (gh, gw)


def _channel_means_after(x: np.ndarray, x_r: np.ndarray, iterations: int) -> np.ndarray:
    y = x.copy()
    for _ in range(iterations):
        y += x_r * (y * y - y)
    return y.mean(axis=0)


def exposure_offsets(pixels: np.ndarray, small: np.ndarray, target: float) -> np.ndarray:
    """Per-channel offsets d_c such that, at n = 8, the output's mean brightness is ``target``
    and each channel sits as far from that mean as it did in the input (so brightening does not
    amplify a colour cast: the absolute channel imbalance is kept, not multiplied)."""
    from app.core.resample import upscale

    x = pixels.reshape(-1, 3)
    r = upscale(small, *pixels.shape[:2]).reshape(-1, 3)  # x_r at the sample points
    deviation = x.mean(axis=0) - x.mean()
    # Where the curve cannot reach the target (photos that are mostly pure black, or white),
    # move all channels' goals together so the colour balance holds at the reachable limit.
    darkest = _channel_means_after(x, np.ones_like(r), REFERENCE_ITERATIONS)
    brightest = _channel_means_after(x, -np.ones_like(r), REFERENCE_ITERATIONS)
    common = np.clip(target, (darkest - deviation).max(), (brightest - deviation).min())
    goal = (common + deviation).astype(np.float32)
    lo = np.full(3, -2.0, np.float32)  # each channel's brightness falls as its offset rises
    hi = np.full(3, 2.0, np.float32)
    for _ in range(_STEPS):
        mid = 0.5 * (lo + hi)
        too_bright = _channel_means_after(x, np.clip(r + mid, -1.0, 1.0),
                                          REFERENCE_ITERATIONS) > goal
        lo = np.where(too_bright, mid, lo)
        hi = np.where(too_bright, hi, mid)
    return 0.5 * (lo + hi)
