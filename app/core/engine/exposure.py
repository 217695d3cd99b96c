"""Exposure: how bright the result should be, and the per-pixel gain that gets it there.

The gain of a pixel depends on its illumination L (an edge-aware smooth brightness, V = max of
R, G, B) and the EFE net's factor x_r there (the mean over R, G, B, so colour cannot drift):
a global exposure in stops, plus LOCAL_SHARE of the lifting SGZ's curve
``x <- x + x_r (x^2 - x)`` (eight steps) gives L, then a monotone shoulder that rolls the
exposed illumination off towards white; the strength exponent scales the stops; capped at
MAX_STOPS. R, G and B are all multiplied by it, so hue and saturation are kept.

The target: explicit (a mean brightness the user chose), or Auto, chosen by looking at the dev
photos and by the synthetic pairs of build_scripts/evaluate.py: a photo whose mean brightness
m is under AUTO_ANCHOR is aimed at anchor * (m / anchor) ** AUTO_POWER (0.02 -> 0.34 before
the noise cap, 0.1 -> 0.41, 0.25 -> 0.46), capped by the photo's noise (NOISE_BUDGET levels of
amplified noise, so a photo that is mostly noise stays dark); a photo that would gain under
UNTOUCHED_STOPS is left as it is, and the effect fades in up to FULL_EFFECT_STOPS. The global
exposure, found by bisection on a few thousand sampled pixels, lands the mean on the target
unless that would push more than CLIP_BUDGET of the photo into its highlights (for Auto, where
the shoulder keeps under a third of their contrast; for an explicit target, within 1% of
white).
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

CURVE_STEPS = 8  # the reference recurrence count at which the target is met
MAX_STOPS = 5.0  # no pixel is lifted (or darkened) more; near-black would only show noise
# Share of SGZ's local shaping kept on top of the global exposure. All of it (1) flattens a
# photo like a strong tone-mapper (a darkened photo restored to its own brightness scored
# 16.8 dB against the original, a plain gain 28 dB); none (0) is a plain exposure, which
# leaves shadows dark beside lit areas and leans on the highlight knee. On the synthetic
# pairs at the original's brightness half costs 3.7 dB against none; at Auto 0.25 (with
# SHOULDER 0.75) scores 19.1 dB against 17.3 for 0.5 / 0.6 (plain SGZ 15.4), and on the
# contact sheets night scenes keep deeper blacks with less grey lift in rooms and streets
# and lamps keep their glow small (backlit daylight: its shadows a little less lifted).
LOCAL_SHARE = 0.25
# The exposed illumination rolls off above SHOULDER towards white (monotone, C1), so what
# was already bright is compressed in order instead of clipped: SGZ's own curve leaves
# white at white, and so does this. Above the shoulder the contrast is kept in proportion
# (1 - out) / (1 - SHOULDER). 0.6 cost 1.6 dB on the pairs at the original's brightness.
SHOULDER = 0.75
# Auto stops raising the exposure where CLIP_BUDGET of the photo that was not a highlight
# (illumination under HIGHLIGHT) would be pushed over HIGHLIGHT, where the shoulder keeps
# under a third of its contrast: lamps then keep a small glow and a lit aquarium its fish
# (a laxer rule brightened night scenes with lamps by 0.03-0.1, sheets dicm/17, sci/1482).
HIGHLIGHT = 0.92
CLIP_BUDGET = 0.02
# An explicit target was chosen by the user: it stops only where CLIP_BUDGET of the photo
# would be taken to within 1% of white (under 1/25 of its contrast left), i.e. where it
# would really clip; with the lower local share a scene with a lit window would otherwise
# stop short (an exposure of 0.7 came out at 103 levels against 98 for 0.5; now 152 / 128).
EXPLICIT_HIGHLIGHT = 0.99
AUTO_ANCHOR = 0.5
AUTO_POWER = 0.12
# 8-bit levels of noise the overall gain may amplify the input's into. The noise is measured
# on the pipeline's decimated analysis view (pipeline.ANALYSIS_PIXELS); there JPEG's
# smoothing no longer hides it, and a 640x480 photo reads 1.3-3x noisier than at full
# resolution (median 2.4x on the synthetic pairs), so the budget of 6 set on full-resolution
# estimates held noisy dim photos (sigma 3-5 levels) at 1.2-2x. 9 lifts them to 1.8-3x;
# near-black and noise-only photos stay dark (sheets: real64/450, real64/126, dicm/27).
NOISE_BUDGET = 9.0
NOISE_FLOOR = 0.5 / 255  # 8-bit quantisation: no estimate goes below half a level
SAMPLE_PIXELS = 6_000
SAMPLE_BLUR = 9
FULL_EFFECT_STOPS = 1.0  # Auto: photos needing less than this fade towards untouched
UNTOUCHED_STOPS = 0.3  # and those needing less than this are left as they are
_BISECTION_STEPS = 14  # 15 stops of range to 0.001
_LAPLACIAN = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(value: np.ndarray) -> float:
    """Noise standard deviation of a float32 image in [0, 1] (Immerkaer 1996 on the flattest
    half of the pixels, where texture does not pass for noise)."""
    if min(value.shape) < 3:
        return NOISE_FLOOR
    lap = np.abs(cv2.filter2D(value, -1, _LAPLACIAN)[1:-1, 1:-1])
    grad = (np.abs(cv2.Sobel(value, cv2.CV_32F, 1, 0)) +
            np.abs(cv2.Sobel(value, cv2.CV_32F, 0, 1)))[1:-1, 1:-1]
    # the median from every third pixel each way: a sixth of the time, the same split
    sub = grad[::3, ::3].ravel()
    flat = grad <= np.partition(sub, sub.size // 2)[sub.size // 2]
    count = int(np.count_nonzero(flat))
    sigma = float(np.sqrt(np.pi / 2) / 6 * lap.sum(where=flat) / count) if count else 0.0
    return max(sigma, NOISE_FLOOR)


def curve(v: np.ndarray, x_r: np.ndarray, steps: int = CURVE_STEPS) -> np.ndarray:
    for _ in range(steps):
        v = v + x_r * (v * v - v)
    return v


def strength_exponent(iterations: int) -> float:
    """Strength n scales the brightening in stops: n = 8 meets the target, 16 gives 1.5x the
    stops, 1 gives 0.3x (gentler than the raw recurrence count, which blew out at 16)."""
    return (iterations / CURVE_STEPS) ** 0.6


def shoulder(x: np.ndarray) -> np.ndarray:
    """x below SHOULDER unchanged; above it an exponential roll-off that approaches 1."""
    k = np.float32(SHOULDER)
    over = np.maximum(x - k, np.float32(0.0))
    return np.minimum(x, k) + (np.float32(1.0) - k) * (
        np.float32(1.0) - np.exp(-over / (np.float32(1.0) - k)))


def log_gain(light: np.ndarray, x_r: np.ndarray, stops: float, exponent: float) -> np.ndarray:
    """Stops of gain for a pixel of illumination ``light`` and factor ``x_r`` (float32 arrays
    that broadcast): a global exposure of ``stops`` with a highlight shoulder, plus
    LOCAL_SHARE of the lifting that SGZ's curve gives this pixel (dark regions lifted more
    than bright ones), the stops and the lifting scaled by the strength exponent, capped at
    MAX_STOPS either way."""
    return exposed_log_gain(light, local_lift(light, x_r), stops, exponent)


def local_lift(light: np.ndarray, x_r: np.ndarray) -> np.ndarray:
    """Stops by which SGZ's curve lifts a pixel of this illumination (the part of the gain
    that does not depend on the exposure). Only lifting is kept (x_r <= 0): the net,
    conditioned on a dark target, would also darken bright regions, and a lit monument
    would end up greyer than its sky."""
    b = np.maximum(light, np.float32(1e-4))
    return np.log2(np.maximum(curve(b, np.minimum(x_r, np.float32(0.0))) / b,
                              np.float32(1e-6)))


def exposed_log_gain(light: np.ndarray, local: np.ndarray, stops: float, exponent: float
                     ) -> np.ndarray:
    """:func:`log_gain` from the :func:`local_lift` already found."""
    b = np.maximum(light, np.float32(1e-4))
    lift = np.float32(exponent) * (np.float32(stops) + np.float32(LOCAL_SHARE) * local)
    exposed = shoulder(b * np.exp2(np.clip(lift, np.float32(-MAX_STOPS), np.float32(MAX_STOPS))))
    total = np.log2(np.maximum(exposed, np.float32(1e-6)) / b)
    return np.clip(total, np.float32(-MAX_STOPS), np.float32(MAX_STOPS))


def auto_target(mean: float, sigma: float) -> float:
    """Auto's mean brightness for a photo of mean brightness ``mean`` and noise ``sigma``."""
    want = max(mean, AUTO_ANCHOR * (max(mean, 1e-4) / AUTO_ANCHOR) ** AUTO_POWER)
    cap = float(np.clip(NOISE_BUDGET / (sigma * 255.0), 1.0, 16.0))
    return min(want, mean * cap)


def fade_for(target: float, mean: float) -> float:
    """Auto only: 1 for photos that need at least FULL_EFFECT_STOPS, falling to 0 (untouched)
    for well-exposed ones that need less than UNTOUCHED_STOPS; the gain is raised to this
    power."""
    stops = np.log2(max(target, 1e-4) / max(mean, 1e-4))
    return float(np.clip((stops - UNTOUCHED_STOPS) / (FULL_EFFECT_STOPS - UNTOUCHED_STOPS),
                         0.0, 1.0))


@dataclass(frozen=True)
class Samples:
    """An even grid of pixels of a lightly smoothed view of the photo."""

    base: np.ndarray  # smooth brightness V, float32 (gh, gw)
    mean_rgb: np.ndarray  # mean of R, G, B, float32 (gh, gw)


def sample(view: np.ndarray, scale: float = 1.0, count: int = SAMPLE_PIXELS) -> Samples:
    """Samples of an RGB view (already at most ~1 MP; integers times ``scale`` or floats)."""
    h, w = view.shape[:2]
    # the gain follows the illumination (a coarse, edge-aware base): a wide blur stands in
    smooth = cv2.boxFilter(view, cv2.CV_32F, (SAMPLE_BLUR, SAMPLE_BLUR))
    k = min(1.0, (count / (h * w)) ** 0.5)
    gh, gw = max(1, round(h * k)), max(1, round(w * k))
    rows = np.minimum(((np.arange(gh) + 0.5) * h / gh).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(gw) + 0.5) * w / gw).astype(np.intp), w - 1)
    grid = smooth[rows][:, cols] * np.float32(scale)
    v = np.maximum(np.maximum(grid[:, :, 0], grid[:, :, 1]), grid[:, :, 2])
    return Samples(v, grid.mean(axis=2))


def solve_stops(samples: Samples, x_r: np.ndarray, target: float, explicit: bool = False
                ) -> float:
    """The global exposure in stops at which the predicted mean brightness is ``target`` at
    the reference strength (8; other strengths then give less or more of it),
    but no more than pushes CLIP_BUDGET of the photo into its highlights that were not
    there already (a photo that is mostly black cannot reach a mid-grey mean by lifting its
    few lit parts to white): over HIGHLIGHT for Auto, within 1% of white (EXPLICIT_HIGHLIGHT)
    for an ``explicit`` target, which the user chose. Both measures rise with the stops."""
    lost = np.float32(EXPLICIT_HIGHLIGHT if explicit else HIGHLIGHT)
    fresh = samples.base < np.float32(HIGHLIGHT)  # not a highlight yet
    # what does not depend on the stops, found once: exposed_log_gain's gain is
    # clip(shoulder(b * clip(2^stops * lifted, 2^-5, 2^5)) / b, 2^-5, 2^5), in linear terms
    # (no log2 and exp2 at every step of the search)
    b = np.maximum(samples.base, np.float32(1e-4))
    lifted = np.exp2(np.float32(LOCAL_SHARE) * local_lift(samples.base, x_r))
    lo_gain, hi_gain = np.float32(2.0 ** -MAX_STOPS), np.float32(2.0 ** MAX_STOPS)
    count = float(b.size)

    def after(stops: float) -> tuple[float, float]:
        exposed = shoulder(b * np.clip(np.float32(2.0 ** stops) * lifted, lo_gain, hi_gain))
        g = np.clip(np.maximum(exposed, np.float32(1e-6)) / b, lo_gain, hi_gain)
        blown = np.count_nonzero(fresh & (g * samples.base >= lost)) / count
        return float(np.minimum(g * samples.mean_rgb, 1.0).mean()), blown

    lo, hi = -MAX_STOPS, 2 * MAX_STOPS
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        mean, blown = after(mid)
        if mean < target and blown <= CLIP_BUDGET:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)
