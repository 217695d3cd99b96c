"""What the engine learns from a photo before planning it: a value, found once.

``analyse`` measures a decimated view of the photo (its noise, the upward bias of a max of
noisy channels, exposure samples, the mean brightness, the light's colour) and fits the
neighbourhood colour model on a reduced copy. A live preview plans the same photo on every
slider move: whoever does keeps the :class:`Analysis` and passes it back, and the engine keeps
no cache, so a result never depends on what ran before.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from app.core.engine import (
    compiled,
    exposure,
    guided,
    parallel,
    pixel_rules,
    reduce_kernels,
    resample,
    white_balance,
)

ANALYSIS_PIXELS = 300_000  # noise and samples are measured on a decimated view this size
CHANNEL_BIAS_WINDOW = 5
COLOUR_SCALE = 4  # neighbourhood colour is found at 1/4 of the photo's size,
COLOUR_PIXELS = 1_500_000  # or smaller for huge photos (its filters need ~40 floats a pixel)
COLOUR_RADIUS = 3
COLOUR_EPS_SIGMAS = 3.0


@dataclass(frozen=True)
class Measure:
    samples: exposure.Samples
    sigma: float  # noise of the brightness V, in [0, 1] units
    mean: float  # mean brightness (mean of R, G, B) in [0, 1]
    channel_bias: float = 0.0  # V's upward bias in flat regions, in noise sigmas
    # the pixels the light's colour is read from (white_balance.light_sample; None: neutral)
    light_sample: np.ndarray | None = None

    @cached_property
    def white_gains(self) -> tuple[float, float, float]:
        """The neutral white balance's gains (white_balance), found when a plan asks for
        it: the balance is off by default, and its 0.8 ms was a thirtieth of a photo."""
        if self.light_sample is None:
            return white_balance.NEUTRAL
        return white_balance.gains_for(self.light_sample)


@dataclass(frozen=True)
class Analysis:
    """What depends on the photo alone, found once and held by whoever plans it again."""

    measure: Measure
    colour: np.ndarray  # the neighbourhood colour model, see neighbourhood_colour


def to_float(rgb: np.ndarray) -> np.ndarray:
    return rgb.astype(np.float32) * np.float32(1.0 / resample.pixel_max(rgb.dtype))


def brightness(rgb: np.ndarray) -> np.ndarray:
    """V = max(R, G, B) as float32 in [0, 1] (numpy's max over a 3-wide last axis is ~20x
    slower than two element-wise maxima; a contiguous 8 or 16-bit photo's in one compiled
    pass, pixel_rules.luma_planes, the same numbers: the analysis view's 0.26 -> 0.07 ms)."""
    run = (pixel_rules.luma_planes if pixel_rules.available else
           compiled.luma_planes if compiled.available else None)
    if run is not None and resample.plain_pixels(rgb):
        v = np.empty(rgb.shape[:2], np.float32)
        run(rgb, np.float32(1.0 / resample.pixel_max(rgb.dtype)), np.float32(0.0), False, v, v)
        return v
    v = np.maximum(np.maximum(rgb[:, :, 0], rgb[:, :, 1]), rgb[:, :, 2])
    if v.dtype.kind == "f":
        return v.astype(np.float32, copy=False)
    return v.astype(np.float32) * np.float32(1.0 / resample.pixel_max(rgb.dtype))


def measure(rgb: np.ndarray) -> Measure:
    """Noise, mean brightness and exposure samples from a decimated view of the photo
    (decimation, unlike averaging, keeps the per-pixel noise that is being measured)."""
    return measure_and_copy(rgb, 1, copy=False)[0]


def measure_and_copy(rgb: np.ndarray, threads: int = 1, copy: bool = True
                     ) -> tuple[Measure, np.ndarray | None]:
    """The photo's :class:`Measure` and (``copy``) the colour model's reduced copy: two
    independent halves of about equal cost, side by side on two cores (the noise and the
    copy; :func:`view_samples`)."""
    view, scale = analysis_view(rgb)

    def noise_and_copy():
        return noise_and_mean(view, scale), colour_copy(rgb) if copy else None

    if threads > 1:
        ((sigma, mean), reduced), sampled = parallel.run_all(
            [noise_and_copy, lambda: view_samples(view, scale)])
    else:
        ((sigma, mean), reduced), sampled = noise_and_copy(), view_samples(view, scale)
    return assemble(sigma, mean, *sampled), reduced


def noise_and_mean(view: np.ndarray, scale: float) -> tuple[float, float]:
    """The analysis view's noise sigma (of the brightness V) and mean brightness: all that
    an exposure target needs."""
    return (exposure.noise_sigma(brightness(view)),
            float(np.mean(cv2.mean(view)[:3])) * scale)


def view_samples(view: np.ndarray, scale: float
                 ) -> tuple[exposure.Samples, np.ndarray, float]:
    """What the analysis view gives without its noise: the exposure samples, the light's
    colour's pixels and the channels' excess (:func:`channel_excess`)."""
    means = exposure.channel_means(view, max(exposure.FLOOR_BLUR, CHANNEL_BIAS_WINDOW) // 2)
    return (exposure.sample(view, scale, means=means), white_balance.light_sample(view, scale),
            channel_excess(view, scale, means))


def assemble(sigma: float, mean: float, samples: exposure.Samples, light: np.ndarray,
             excess: float) -> Measure:
    """The :class:`Measure` of :func:`noise_and_mean` and :func:`view_samples`' parts (the
    channel bias is the excess in noise sigmas)."""
    bias = float(np.clip(excess / max(sigma, 1e-6), 0.0, pixel_rules.MAX_CHANNEL_BIAS))
    return Measure(samples, sigma, mean, bias, light)


def analysis_view(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """(every step-th pixel of the photo, the scale of its values to [0, 1]): what the
    noise and the samples are measured on."""
    h, w = rgb.shape[:2]
    # every other pixel at least: JPEG and demosaicing make neighbours' noise alike, so a
    # view at full density reads it 1.3-3x lower than every size above ANALYSIS_PIXELS does,
    # and Auto's noise cap would depend on the photo's size
    step = max(2, int(np.ceil((h * w / ANALYSIS_PIXELS) ** 0.5)))
    # every step-th pixel (of whole steps): OpenCV's nearest-neighbour resize picks exactly
    # those, ten times faster than numpy's strided copy; integers, no float copy of it all
    hs, ws = max(1, h // step), max(1, w // step)
    view = resample.resize(rgb[:hs * step, :ws * step], (ws, hs), cv2.INTER_NEAREST)
    if view.ndim == 2:  # a 1-pixel-wide result loses its channel axis
        view = view.reshape(hs, ws, -1)
    return view, 1.0 / resample.pixel_max(rgb.dtype)


def channel_excess(view: np.ndarray, scale: float,
                   means: list[guided.BoxMeans | guided.GridMeans] | None = None
                   ) -> float:
    """How far V = max(R, G, B) reads above the largest channel's mean in the flattest
    half of the photo (0 where nothing is flat), in [0, 1] units: the upward bias of a max
    of noisy channels, which the denoise takes back where it gives a pixel its region's
    colour. Divided by the noise sigma, it is the photo's channel bias: 0.85 for
    independent channel noise (E[max of three N(0, 1)]); real photos, whose channels' noise
    is alike after demosaicing and JPEG, read 0.1-0.4 (LOL) and 0 (SICE); assuming 0.85 for
    all darkened them (LOL-v2 -0.4 dB). ``means``: its channels' window means, if made."""
    radius = CHANNEL_BIAS_WINDOW // 2
    means = means or exposure.channel_means(view, radius)
    # the windows' means at every third pixel each way (windows of 5 overlap, so the same
    # medians as at every pixel)
    if all(isinstance(m, guided.GridMeans) for m in means):  # one pass for all five
        red, green, blue, mean_v, mean_vv = guided.channel_means_every(means, 3, radius)
    else:
        red, green, blue = (m.means_every(3, radius) for m in means)
        v = guided.BoxMeans(np.maximum(np.maximum(view[:, :, 0], view[:, :, 1]), view[:, :, 2]),
                            radius, squares=True)
        mean_v, mean_vv = v.means_every(3, radius), v.means_every(3, radius, of_squares=True)
    top = np.maximum(np.maximum(red, green), blue)
    var = ((mean_vv - mean_v * mean_v) * (scale * scale)).ravel()
    bias = ((mean_v - top) * scale).ravel()
    flat = bias[var <= _median(var)]
    return _median(flat) if flat.size else 0.0


def _median(x: np.ndarray) -> float:
    return float(np.partition(x, x.size // 2)[x.size // 2])


def neighbourhood_colour(rgb: np.ndarray, sigma: float, scale: int = COLOUR_SCALE,
                         radius: int = COLOUR_RADIUS) -> np.ndarray:
    """The colour of each region as a model to evaluate at full resolution: per channel, a
    guided filter's (a, b) of R, G, B against the brightness V on a 1/COLOUR_SCALE copy
    (INTER_AREA averages the colour noise first; bright pixels weigh more than noisy dark
    ones). (6, h, w) float32: a_rgb, b_rgb, planar. Evaluating a * V + b with the
    full-resolution brightness keeps colour from bleeding across edges, which upsampling
    the colour itself did (orange rims round lit towers)."""
    return colour_model(colour_copy(rgb, scale), sigma, radius)


def colour_copy(rgb: np.ndarray, scale: int = COLOUR_SCALE) -> np.ndarray:
    """The reduced float copy :func:`colour_model` fits (it needs no noise estimate, so it
    can be made while the noise is measured)."""
    h, w = rgb.shape[:2]
    scale = max(scale, int(np.ceil((h * w / COLOUR_PIXELS) ** 0.5)))
    size = (max(1, w // scale), max(1, h // scale))
    kernel = (reduce_kernels.block_means if reduce_kernels.available else
              compiled.block_means if compiled.has("block_means_u8") else None)
    if (kernel is not None and h % scale == 0 and w % scale == 0 and
            resample.plain_pixels(rgb)):
        # whole blocks of a plain RGB array: OpenCV's numbers in half the time
        out = np.empty((size[1], size[0], 3), np.float32)
        kernel(rgb, scale, np.float32(1.0 / resample.pixel_max(rgb.dtype)), out)
        return out
    return to_float(resample.resize(rgb, size, cv2.INTER_AREA))


def colour_model(copy: np.ndarray, sigma: float, radius: int = COLOUR_RADIUS) -> np.ndarray:
    """(6, h, w): a_rgb, b_rgb, planar (a channel at a time: guided.stacked_channels)."""
    return guided.stacked_channels(brightness(copy), copy, radius,
                                   (COLOUR_EPS_SIGMAS * sigma) ** 2)
