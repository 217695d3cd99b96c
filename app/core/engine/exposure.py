"""Exposure: how bright the result should be, and the per-pixel gain that gets it there.

The gain of a pixel depends on its illumination L (an edge-aware smooth brightness, V = max of
R, G, B) and the EFE net's factor x_r there (the mean over R, G, B, so colour cannot drift),
through a :class:`Tone`: SGZ's curve ``x <- x + x_r (x^2 - x)`` (eight steps) lifts the dark
regions and keeps white at white, at full strength; a global exposure in stops under a
monotone shoulder; where the lights stop the stops short of the target, the curve pushed
harder in the shadows and mid-tones; a toe that takes the photo's floor to black; the
strength exponent and the look (shadows, highlights, contrast) on top; capped at MAX_STOPS.
R, G and B are all multiplied by it, so hue and saturation are kept.

The target: explicit (a mean brightness the user chose), or Auto, calibrated on real pairs (a
dark and a well-exposed shot of the same scene, build_scripts/evaluate.py): a photo of mean
brightness m is aimed at anchor * (m / anchor) ** AUTO_POWER (0.03 -> 0.38, 0.06 -> 0.42,
0.1 -> 0.46), capped by the photo's noise (NOISE_BUDGET levels of amplified noise, so a photo
that is mostly noise stays dark); a photo that needs little in its mean and in its darkest
quarter is left as it is (:func:`fade_for`). The exposure is found by bisection on a few
thousand sampled pixels (:func:`solve_exposure`).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from app.core.engine import (
    compiled,
    guided,
    noise_kernels,
    reduce_kernels,
    resample,
    search_kernels,
)

CURVE_STEPS = 8  # the reference recurrence count at which the target is met
MAX_STOPS = 5.0  # no pixel is lifted (or darkened) more; near-black would only show noise
# How far the net's factor map may be scaled up to reach a target: x_r times MAX_PUSH
# (clipped at -1, SGZ's strongest step) before a global exposure takes over.
MAX_PUSH = 4.0
PUSH_FADE = (0.3, 0.8)  # the extra push fades out over this illumination
CONTRAST_POWER = 0.4  # contrast +-1: the tone curve's power 2 ** +-0.4 about the pivot
HIGHLIGHT_STOPS = 0.5  # highlights +-1: the lights moved by up to half a stop
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
CLIP_BUDGET = 0.04
# An explicit target was chosen by the user: it stops only where CLIP_BUDGET of the photo
# would be taken to within 1% of white (under 1/25 of its contrast left), i.e. where it
# would really clip; with the lower local share a scene with a lit window would otherwise
# stop short (an exposure of 0.7 came out at 103 levels against 98 for 0.5; now 152 / 128).
EXPLICIT_HIGHLIGHT = 0.99
# Pushing the local curve for an explicit target takes mid-tones near white, never the
# lights (SGZ's curve keeps white at white): a wider budget lets the slider reach its target
# on night scenes with lamps.
PUSH_BUDGET = 0.12
# Over-exposed pixels go pale (white_share): all of the way beyond white that they are
# (1 - 1 / exposure), from a gain of 1 up to 1 + 1 / WHITE_RAMP.
WHITE_SHARE = 1.0
WHITE_RAMP = 4.0
AUTO_ANCHOR = 0.6
AUTO_POWER = 0.15
# 8-bit levels of noise the overall gain may amplify the input's into. The noise is measured
# on the analysis' decimated analysis view (analysis.ANALYSIS_PIXELS); there JPEG's
# smoothing no longer hides it, and a 640x480 photo reads 1.3-3x noisier than at full
# resolution (median 2.4x on the synthetic pairs), so the budget of 6 set on full-resolution
# estimates held noisy dim photos (sigma 3-5 levels) at 1.2-2x. 9 lifts them to 1.8-3x;
# near-black and noise-only photos stay dark (sheets: real64/450, real64/126, dicm/27).
NOISE_BUDGET = 25.0
NOISE_FLOOR = 0.5 / 255  # 8-bit quantisation: no estimate goes below half a level
SAMPLE_PIXELS = 6_000
SHADOW_AIM = 0.15  # Auto lifts a photo whose darkest quarter's illumination is under this
# Auto: photos needing less than the first figure (in stops) are left as they are, and the
# effect fades in up to the second
MEAN_FADE_STOPS = (0.6, 1.2)
SHADOW_FADE_STOPS = (0.3, 0.6)
_BISECTION_STEPS = 14  # 15 stops of range to 0.001
TARGET_SLACK = 0.01  # a mean this close to the target needs no push
BLACK_PERCENTILE = 0.5
FLOOR_BLUR = 9
BLACK_MAX = 0.01
TOE_WIDTH = 3.0
BLACK_NOISE_SIGMAS = 3.0
_LAPLACIAN = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)


def noise_sigma(value: np.ndarray) -> float:
    """Noise standard deviation of a float32 image in [0, 1] (Immerkaer 1996 on the flattest
    half of the pixels, where texture does not pass for noise)."""
    if min(value.shape) < 3:
        return NOISE_FLOOR
    kernels = (noise_kernels if noise_kernels.available else
               compiled.module if compiled.has("flat_sum") else None)
    if kernels is not None:  # one pass each (noise_kernels); the same numbers
        lap = np.empty((value.shape[0] - 2, value.shape[1] - 2), np.float32)
        grad = np.empty_like(lap)
        kernels.noise_planes(np.ascontiguousarray(value, np.float32), lap, grad)
    else:
        lap = np.abs(cv2.filter2D(value, -1, _LAPLACIAN)[1:-1, 1:-1])
        grad = (np.abs(cv2.Sobel(value, cv2.CV_32F, 1, 0)) +
                np.abs(cv2.Sobel(value, cv2.CV_32F, 0, 1)))[1:-1, 1:-1]
    # the median from every third pixel each way: a sixth of the time, the same split
    sub = grad[::3, ::3].ravel()
    threshold = np.partition(sub, sub.size // 2)[sub.size // 2]
    if kernels is not None:
        total, count = kernels.flat_sum(lap, grad, threshold)
    else:
        flat = grad <= threshold
        total, count = float(lap.sum(where=flat)), int(np.count_nonzero(flat))
    sigma = float(np.sqrt(np.pi / 2) / 6 * total / count) if count else 0.0
    return max(sigma, NOISE_FLOOR)


def curve(v: np.ndarray, x_r: np.ndarray, steps: int = CURVE_STEPS) -> np.ndarray:
    """SGZ's recurrence v <- v + x_r (v^2 - v), ``steps`` times (in place in a copy: the
    exposure search runs it on its samples for every push it tries)."""
    v, x_r = np.asarray(v), np.asarray(x_r)
    v = np.array(np.broadcast_to(v, np.broadcast_shapes(v.shape, x_r.shape)),
                 np.result_type(v, x_r))
    step = np.empty_like(v)
    for _ in range(steps):
        np.multiply(v, v, out=step)
        np.subtract(step, v, out=step)
        np.multiply(x_r, step, out=step)
        np.add(v, step, out=v)
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


@dataclass(frozen=True)
class Tone:
    """How a photo's illumination is mapped: everything the per-pixel gain depends on besides
    the pixel's own illumination L and the net's factor x_r (hashable: gain tables are cached
    by it).

    ``stops`` is a global exposure under the shoulder, on top of SGZ's local curve (the net's
    x_r, conditioned on the target, at ``push`` times its strength: dark regions lifted,
    white kept white). A target is met by the stops while the lights allow it, and beyond
    that by pushing the local curve harder, which lifts the shadows and mid-tones and leaves
    the lights where they are.
    ``black`` is the illumination taken to black (the sensor's and JPEG's raised floor, which
    brightening would otherwise turn into a grey veil)."""

    stops: float
    push: float = 1.0
    exponent: float = 1.0  # strength: the stops are scaled by it
    fade: float = 1.0  # Auto's fade towards untouched (the stops are scaled by it)
    black: float = 0.0
    shadows: float = 0.0  # -1..1: the local lift of the dark scaled by 2 ** shadows
    highlights: float = 0.0  # -1..1: the lights held down (-) or lifted (+)
    contrast: float = 0.0  # -1..1: a gentler or stronger tone curve about the pivot
    pivot: float = 0.18  # the illumination contrast turns about (the photo's mid-tone)


def log_gain(light: np.ndarray, x_r: np.ndarray, tone: Tone) -> np.ndarray:
    """Stops of gain for a pixel of illumination ``light`` and factor ``x_r`` (float32 arrays
    that broadcast), capped at MAX_STOPS either way."""
    return tone_map(light, x_r, tone)[0]


def tone_map(light: np.ndarray, x_r: np.ndarray, tone: Tone
             ) -> tuple[np.ndarray, np.ndarray]:
    """(stops of gain, share of the way to white) for pixels of illumination ``light`` and
    factor ``x_r``: see :func:`white_share`."""
    shape = _Shape(light, x_r, tone.black)
    exposed = shape.exposed(shape.local(tone.push, tone.shadows), tone)
    log_g = shape.log_gain_of(exposed, tone)
    return log_g, white_share(exposed, log_g, tone.fade)


def white_share(exposed: np.ndarray, log_g: np.ndarray, fade: float = 1.0) -> np.ndarray:
    """How far a pixel's channels move towards its largest: the share of its exposed
    illumination beyond white (1 - 1 / exposed), as a camera's channels clip one after the
    other and film's dyes fade to white. Without it an over-exposed sodium-lit street keeps
    its full saturation under the shoulder and turns into a red wash (sheet sci/2015_02243
    at exposure 0.5); with it the lights and what is pushed past white go pale. Only pixels
    that were brightened (ramped in as the knee is, pixel_rules.KNEE_GAIN): a lamp keeps its
    colour."""
    over = np.float32(1.0) - np.float32(1.0) / np.maximum(exposed, np.float32(1.0))
    brightened = np.clip((np.exp2(log_g) - np.float32(1.0)) * np.float32(WHITE_RAMP), 0.0, 1.0)
    return (np.float32(WHITE_SHARE * fade) * over * brightened).astype(np.float32)


class _Shape:
    """What the gain of a set of pixels needs that does not depend on the exposure: their
    illumination above the floor to black and SGZ's local lift (the exposure search
    evaluates the gain many times for the same pixels)."""

    def __init__(self, light: np.ndarray, x_r: np.ndarray, black: float):
        one, tiny = np.float32(1.0), np.float32(1e-4)
        self.x_r = x_r
        self.light = np.maximum(light, tiny)
        # the floor to black: a toe that takes the floor to black and fades out by
        # TOE_WIDTH floors above it (subtracting the floor everywhere darkened real shadows
        # too: -0.3 dB on the real pairs)
        if black > 0:
            b = np.float32(black)
            fade = np.clip((light - b) / (b * np.float32(TOE_WIDTH)), 0.0, 1.0)
            self.above = np.maximum(light - b * (one - fade), tiny)
        else:
            self.above = self.light
        self.lift1 = _local_lift(self.above, x_r, 1.0)
        # what is below the lights: where the push beyond the net's own strength and the
        # Shadows control act (SGZ's curve pushed hard flattens what is bright: a lamp
        # shade would lose its pattern)
        t = np.clip((self.above - np.float32(PUSH_FADE[0])) /
                    np.float32(PUSH_FADE[1] - PUSH_FADE[0]), 0.0, 1.0)
        self.below = one - t * t * (np.float32(3.0) - np.float32(2.0) * t)

    def local(self, push: float, shadows: float = 0.0) -> np.ndarray:
        """The local lift in stops at this push of the curve, with the Shadows control."""
        local = self.lift1
        if push > 1.0:
            local = local + (_local_lift(self.above, self.x_r, push) - local) * self.below
        if shadows:
            local = local * np.exp2(np.float32(shadows) * self.below)
        return local

    def exposed(self, local: np.ndarray, tone: Tone) -> np.ndarray:
        """The illumination after the exposure and the look, before the shoulder (over 1:
        beyond white)."""
        lift = np.float32(tone.exponent) * (np.float32(tone.stops) + local)
        out = self.above * np.exp2(np.clip(lift, np.float32(-MAX_STOPS), np.float32(MAX_STOPS)))
        return _look(out, tone)

    def log_gain_of(self, exposed: np.ndarray, tone: Tone) -> np.ndarray:
        total = np.log2(np.maximum(shoulder(exposed), np.float32(1e-6)) / self.light)
        return (np.clip(total, np.float32(-MAX_STOPS), np.float32(MAX_STOPS)) *
                np.float32(tone.fade))

    def log_gain(self, local: np.ndarray, tone: Tone) -> np.ndarray:
        return self.log_gain_of(self.exposed(local, tone), tone)


def _local_lift(light: np.ndarray, x_r: np.ndarray, push: float) -> np.ndarray:
    """Stops by which SGZ's curve, with the net's factor ``push`` times as strong, lifts a
    pixel of this illumination. Only lifting is kept (x_r <= 0): the net, conditioned on a
    dark target, would also darken bright regions, and a lit monument would end up greyer
    than its sky."""
    r = np.clip(x_r * np.float32(push), -1.0, 0.0).astype(np.float32)
    return np.log2(np.maximum(curve(light, r) / light, np.float32(1e-6)))


def _look(out: np.ndarray, tone: Tone) -> np.ndarray:
    """Contrast and highlights on the exposed illumination (both monotone in it)."""
    if tone.contrast:
        # a power about the pivot in linear light: steeper (or flatter) mid-tones
        pivot = np.float32(max(tone.pivot, 1e-3))
        power = np.float32(2.0 ** (CONTRAST_POWER * tone.contrast))
        out = pivot * np.power(np.maximum(out, np.float32(1e-6)) / pivot, power)
    if tone.highlights:
        # up to HIGHLIGHT_STOPS on what is bright, smoothly from mid-grey up
        t = np.clip((out - np.float32(0.3)) / np.float32(0.7), 0.0, 1.0)
        weight = t * t * (np.float32(3.0) - np.float32(2.0) * t)
        out = out * np.exp2(np.float32(HIGHLIGHT_STOPS * tone.highlights) * weight)
    return out


def auto_target(mean: float, sigma: float) -> float:
    """Auto's mean brightness for a photo of mean brightness ``mean`` and noise ``sigma``."""
    want = max(mean, AUTO_ANCHOR * (max(mean, 1e-4) / AUTO_ANCHOR) ** AUTO_POWER)
    cap = float(np.clip(NOISE_BUDGET / (sigma * 255.0), 1.0, 16.0))
    return min(want, mean * cap)


def fade_for(target: float, mean: float, shadow: float = 1.0) -> float:
    """Auto only: 1 for photos that need the brightening, in their mean (MEAN_FADE_STOPS) or
    in their shadows (``shadow``: the darkest quarter's illumination, see
    :func:`shadow_level`; SHADOW_FADE_STOPS), falling to 0 (untouched) for well-exposed ones
    that need little in both; the gain is raised to this power. A backlit face has a good
    mean and dark shadows: it is lifted; a well-exposed photo with no dark regions is not
    (a mean 0.38 grass bokeh came out 24 dB from itself when the mean alone faded in from
    0.3 stops)."""
    def ramp(stops: float, span: tuple[float, float]) -> float:
        return float(np.clip((stops - span[0]) / (span[1] - span[0]), 0.0, 1.0))

    return max(ramp(np.log2(max(target, 1e-4) / max(mean, 1e-4)), MEAN_FADE_STOPS),
               ramp(np.log2(SHADOW_AIM / max(shadow, 1e-4)), SHADOW_FADE_STOPS))


def shadow_level(samples: Samples) -> float:
    """Mean illumination of the darkest quarter of the photo."""
    base = np.sort(samples.base, axis=None)
    return float(base[:max(1, base.size // 4)].mean())


@dataclass(frozen=True)
class Samples:
    """An even grid of pixels of the photo."""

    base: np.ndarray  # brightness V, float32 (gh, gw)
    mean_rgb: np.ndarray  # mean of R, G, B, float32 (gh, gw)
    floor: float | None = None  # the darkest smooth regions' V (None: from ``base``)


def sample(view: np.ndarray, scale: float = 1.0, count: int = SAMPLE_PIXELS,
           means: list[guided.BoxMeans | guided.GridMeans] | None = None) -> Samples:
    """Samples of an RGB view (already at most ~1 MP; integers times ``scale`` or floats);
    ``means``: its channels' window means, if made already (reaching FLOOR_BLUR // 2)."""
    h, w = view.shape[:2]
    # single pixels, not a smoothed view: the tone curve is concave, so the mean of its gain
    # over a region's pixels is below its gain at the region's mean; a 9x9 box read the
    # render's mean 0.02-0.05 too bright and explicit targets fell short by as much
    k = min(1.0, (count / (h * w)) ** 0.5)
    gh, gw = max(1, round(h * k)), max(1, round(w * k))
    rows = np.minimum(((np.arange(gh) + 0.5) * h / gh).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(gw) + 0.5) * w / gw).astype(np.intp), w - 1)
    grid = view[rows][:, cols].astype(np.float32) * np.float32(scale)
    v = _channel_max(grid)
    # the floor to black is read on a smoothed view: single pixels' noise reaches below it
    means = means or channel_means(view, FLOOR_BLUR // 2)
    blurred = [m.means(rows, cols, FLOOR_BLUR // 2) for m in means]
    floor = float(np.percentile(np.maximum(np.maximum(blurred[0], blurred[1]), blurred[2]),
                                BLACK_PERCENTILE)) * scale
    return Samples(v, grid.mean(axis=2), floor)


def channel_means(view: np.ndarray, reach: int) -> list[guided.BoxMeans | guided.GridMeans]:
    """The window means of an RGB view's channels (see guided.window_means)."""
    return [guided.window_means(plane, reach) for plane in _channel_planes(view)]


def _channel_planes(view: np.ndarray) -> list[np.ndarray]:
    """An RGB view's channels, each a contiguous plane."""
    run = (reduce_kernels.channel_planes if reduce_kernels.available else
           compiled.channel_planes if compiled.has("channel_planes_u8") else None)
    if run is None or not resample.plain_pixels(view):
        return [np.ascontiguousarray(view[:, :, c]) for c in range(3)]
    planes = np.empty((3, *view.shape[:2]), view.dtype)
    run(view, planes)
    return list(planes)


def _channel_max(rgb: np.ndarray) -> np.ndarray:
    """max(R, G, B) per pixel (two element-wise maxima: numpy's max over a 3-wide axis is
    ~50x slower)."""
    return np.maximum(np.maximum(rgb[:, :, 0], rgb[:, :, 1]), rgb[:, :, 2])


def solve_exposure(samples: Samples, x_r: np.ndarray, target: float, black: float = 0.0,
                   explicit: bool = False) -> tuple[float, float, float]:
    """(stops, push, the mean brightness they reach) at which the predicted mean brightness
    is ``target`` at the reference strength and a neutral look (strength, shadows,
    highlights and contrast act on top). First the global stops, with the local curve at
    its own strength (push 1), but no more than pushes CLIP_BUDGET of the photo into its
    highlights that were not there already: over HIGHLIGHT for Auto, within 1% of white
    (EXPLICIT_HIGHLIGHT) for an ``explicit`` target, which the user chose. Where the lights
    stop the stops short of the target (a street beside lamps), the local curve is pushed
    up to MAX_PUSH under the same budget: the shadows and mid-tones come up, the lamps
    stay."""
    predict = _predictor(samples, x_r, black, EXPLICIT_HIGHLIGHT if explicit else HIGHLIGHT)

    def bisect(lo: float, hi: float, at, budget: float = CLIP_BUDGET) -> float:
        for _ in range(_BISECTION_STEPS):
            mid = 0.5 * (lo + hi)
            mean, blown = at(mid)
            if mean < target and blown <= budget:
                lo = mid
            else:
                hi = mid
        return lo

    stops = bisect(-MAX_STOPS, 2 * MAX_STOPS, lambda s: predict(s, 1.0))
    mean, _ = predict(stops, 1.0)
    if mean >= target - TARGET_SLACK:
        return stops, 1.0, mean
    push = bisect(1.0, MAX_PUSH, lambda p: predict(stops, p),
                  PUSH_BUDGET if explicit else CLIP_BUDGET)
    return stops, push, predict(stops, push)[0]


def _predictor(samples: Samples, x_r: np.ndarray, black: float, lost: float
               ) -> Callable[[float, float], tuple[float, float]]:
    """(stops, push) -> (the predicted mean brightness, the share of the samples that were
    not highlights pushed to ``lost`` or over), at the reference strength and a neutral
    look: compiled where it can be (search_kernels: one pass, the same numbers up to
    rounding), else in numpy."""
    shape = _Shape(samples.base, x_r, black)
    fresh = samples.base < np.float32(HIGHLIGHT)  # not a highlight yet
    kernels = (search_kernels if search_kernels.available else
               compiled.module if compiled.has("predict") else None)
    if kernels is not None:
        def flat(x: np.ndarray) -> np.ndarray:
            """A writable float32 copy, 1-D (one compiled version for every array)."""
            return np.array(np.broadcast_to(x, samples.base.shape), np.float32).ravel()

        above, lift1, factors = flat(shape.above), flat(shape.lift1), flat(x_r)
        below, work = flat(shape.below), np.empty(above.size, np.float32)
        arrays = (above, flat(shape.light), flat(samples.base), flat(samples.mean_rgb),
                  flat(fresh))
        constants = tuple(np.float32(c) for c in (lost, SHOULDER, WHITE_RAMP, WHITE_SHARE,
                                                   MAX_STOPS))

        def compiled_prediction(stops: float, push: float) -> tuple[float, float]:
            local = lift1
            if push > 1.0:
                kernels.pushed_lift(above, factors, lift1, below, np.float32(push), work)
                local = work
            mean, blown = kernels.predict(*arrays, local, np.float32(stops), *constants)
            return float(mean), float(blown)

        return compiled_prediction
    count = float(samples.base.size)
    lost = np.float32(lost)

    def prediction(stops: float, push: float) -> tuple[float, float]:
        tone = Tone(stops, push, black=black)
        exposed = shape.exposed(shape.local(push), tone)
        log_g = shape.log_gain_of(exposed, tone)
        g = np.exp2(log_g)
        peak = g * samples.base
        blown = np.count_nonzero(fresh & (peak >= lost)) / count
        mean_rgb = g * samples.mean_rgb
        mean_rgb += (peak - mean_rgb) * white_share(exposed, log_g)
        return float(np.minimum(mean_rgb, 1.0).mean()), blown

    return prediction


def black_level(samples: Samples, sigma: float) -> float:
    """The illumination taken to black: the darkest smooth regions' level (a sensor's or a
    JPEG's raised floor), at most BLACK_MAX and not above what noise alone explains."""
    floor = (float(np.percentile(samples.base, BLACK_PERCENTILE)) if samples.floor is None
             else samples.floor)
    return float(min(floor, BLACK_MAX, BLACK_NOISE_SIGMAS * sigma + 2.0 / 255))
