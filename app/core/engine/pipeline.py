"""The photo pipeline around the EFE net, in two halves.

``fit_tone`` + ``make_plan`` look at the whole photo once, on a small copy and the photo's
analysis (noise, samples, the neighbourhood colour of every region: see analysis): the
exposure target (Auto or the user's), the net's factor map as a linear model of the local
brightness (the guided filter's coefficients, so the map can be upsampled along
full-resolution edges) and the global exposure in stops. ``render`` applies a plan to rows
of the full-resolution photo in bands (halo rows make the bands seamless: banded and whole
results are the same numbers), so memory stays bounded on 100-megapixel photos and the
bands can be shared among cores. Video reuses and smooths plans across frames; the window
renders a plan on the displayed pixels.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache

import cv2
import numpy as np

from app.core.engine import (
    bases,
    exposure,
    guided,
    parallel,
    pixel_rules,
    pixel_stage,
    resample,
    white_balance,
)
from app.core.engine.analysis import Measure, brightness
from app.core.engine.bases import (
    BASE_EPS_SIGMAS,
    BASE_HALO,
    COARSE_SCALE,
    Luma,
    base_scales,
    luma,
)
from app.core.media.image_modes import gray_of
from app.core.settings import EXPOSURE_RANGE, EnhanceSettings

MODEL_RADIUS = 4  # guided upsampling of the factor map, at the net's resolution
MODEL_EPS = 1e-3
LOCAL_WEIGHT = 0.5
BAND_PIXELS = 1 << 19  # per band and thread: its float temporaries stay around 25 MB
# a photo whose bands, one a thread, are at most this many BAND_PIXELS is rendered in one
# round: slimmer bands each pay for their context rows again (a 1080p photo's 270-row bands
# on two cores did 70% more base work than its 540-row ones: 10% of the whole)
ONE_ROUND_BANDS = 2
MIN_ROWS_PER_THREAD = 64


@dataclass(frozen=True)
class EnhancementPlan:
    """Everything decided from the whole photo; :func:`render` applies it to any rows."""

    model_a: np.ndarray  # x_r ~ a * base brightness + b, at the net's resolution (h, w)
    model_b: np.ndarray
    tone: exposure.Tone  # exposure level (so the mean lands on the target), strength, look
    target: float  # the mean brightness aimed at
    reachable: float  # the mean brightness the plan gives (below target: the lights stop it)
    sigma: float
    denoise: float
    colour: np.ndarray  # neighbourhood colour model (6, hq, wq), see neighbourhood_colour
    gain_small: np.ndarray  # log2 of the gain applied (stops), at the net's resolution
    channel_bias: float = 0.0  # Measure.channel_bias
    channel_gains: tuple[float, float, float] = white_balance.NEUTRAL  # the white balance
    # the rendered pixels are 1/reduction of the picture the plan is for (a video frame's
    # reduced copy): the bases' windows are the picture's (see base_scales)
    reduction: int = 1
    # how far the rendered pixels' brightness reads under the picture's (a reduced copy's
    # averaged channels lack most of the upward bias of a max of three noisy ones): the gain
    # is that of the picture's own illumination, this much higher
    light_bias: float = 0.0

    @cached_property
    def factor_model(self) -> np.ndarray:
        """(2, h, w): model_a and model_b as one planar array, as the bands widen it (made
        once per plan, not per band)."""
        return np.stack([self.model_a, self.model_b])

    def tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if self.light_bias:
            return _raised_tables(self.tone, self.light_bias)
        return pixel_stage.gain_tables(self.tone)

    @property
    def despeckles(self) -> bool:
        """Whether any region is brightened enough for the despeckle: only such a photo
        pays for it (pixel_rules.DESPECKLE_STOPS). Never on a reduced copy: its pixels are
        averages of the picture's (what the despeckle takes, a hot pixel or a speck, is
        averaged away already), and a 3x3 median of a quarter-size copy is a 12x12 one of
        the frame, which erased one-pixel lines."""
        return (self.denoise > 0 and self.reduction == 1 and
                float(self.gain_small.max()) > pixel_rules.DESPECKLE_STOPS[0])


@lru_cache(maxsize=4)
def _raised_tables(tone: exposure.Tone, bias: float) -> tuple[np.ndarray, ...]:
    """pixel_stage.gain_tables for pixels whose illumination reads ``bias`` under the
    picture's: on the same grid, the gain the picture's illumination there gets."""
    x_r = np.linspace(-1.0, 1.0, pixel_stage.TABLE_FACTORS, dtype=np.float32)[:, None]
    light = np.square(np.linspace(0.0, 1.0, pixel_stage.TABLE_LEVELS, dtype=np.float32))
    log_g, white = exposure.tone_map((light + np.float32(bias))[None, :], x_r, tone)
    tables = (np.exp2(log_g).astype(np.float32), log_g.astype(np.float32),
              np.ascontiguousarray(np.broadcast_to(white, log_g.shape), dtype=np.float32))
    for table in tables:
        table.setflags(write=False)  # shared by every caller of the cache
    return tables


def choose_target(settings: EnhanceSettings, m: Measure, noise: float | None = None
                  ) -> tuple[float, float]:
    """(target mean brightness, fade): the user's target at full effect, or Auto's (its
    noise cap from ``noise`` where given, else from the measured noise)."""
    target = aim(settings, m.mean, m.sigma if noise is None else noise)
    return target, fade(settings, target, m)


def aim(settings: EnhanceSettings, mean: float, sigma: float) -> float:
    """The target mean brightness: the user's, or Auto's for a photo of this mean
    brightness and noise (all the net needs: it can start before the samples are read)."""
    if not settings.auto_exposure:
        return float(settings.exposure)
    return exposure.auto_target(mean, sigma)


def fade(settings: EnhanceSettings, target: float, m: Measure) -> float:
    """Auto's fade towards untouched for a ``target`` (exposure.fade_for); 1 otherwise."""
    if not settings.auto_exposure:
        return 1.0
    return exposure.fade_for(target, m.mean, exposure.shadow_level(m.samples))


def net_exposure(target: float) -> float:
    """The exposure the net is conditioned on (it was trained on this range)."""
    return float(np.clip(target, *EXPOSURE_RANGE))


@dataclass(frozen=True)
class ToneFit:
    """The exposure half of a plan: the factor model and the tone that meets the target."""

    model_a: np.ndarray
    model_b: np.ndarray
    tone: exposure.Tone
    target: float
    reachable: float
    gain_small: np.ndarray


def fit_tone(small: np.ndarray, x_r_small: np.ndarray, m: Measure, target: float, fade: float,
             settings: EnhanceSettings) -> ToneFit:
    """``small``: the net's input (h, w, 3) float32; ``x_r_small``: its output (h, w, 3)."""
    v_small = brightness(small)
    x_r = np.ascontiguousarray(x_r_small.mean(axis=2))
    a, b = fit_factor_model(v_small, x_r)
    a, b = toward_global(a, b, v_small, x_r)
    tone, reachable = solve_tone(m, a, b, target, fade, settings)
    # the gain read from the tables the render reads (made here for it: they are kept),
    # not the tone map again: 0.45 ms of a 1200x900 photo's plan, and the gain the render
    # applies (at the toe that takes the floor to black the table's columns are coarser
    # than the ramp: there it reads up to ~2 stops above the exact tone map, for pixels
    # that go to black either way)
    gain = pixel_stage.read_tables(pixel_stage.gain_tables(tone)[:1], v_small,
                                   np.clip(a * v_small + b, -1, 1).astype(np.float32))[0]
    return ToneFit(a, b, tone, target, reachable, np.log2(gain))


def make_plan(fit: ToneFit, colour: np.ndarray, m: Measure, settings: EnhanceSettings
              ) -> EnhancementPlan:
    """``colour``: the photo's neighbourhood colour model (analysis.colour_model)."""
    return EnhancementPlan(fit.model_a, fit.model_b, fit.tone, fit.target, fit.reachable,
                           m.sigma, settings.denoise_strength, colour, fit.gain_small,
                           m.channel_bias,
                           m.white_gains if settings.white_balance else white_balance.NEUTRAL)


def fit_factor_model(v_small: np.ndarray, x_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The net's factor map (averaged over R, G, B: (h, w)) as a local linear model of the
    small copy's brightness, x_r ~ a * v + b (a guided filter's coefficients), so it can be
    upsampled along full-resolution edges. Photos and video frames share it."""
    return guided.coefficients(v_small, x_r, MODEL_RADIUS, MODEL_EPS)


def toward_global(a: np.ndarray, b: np.ndarray, v: np.ndarray, x_r: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The local factor model moved LOCAL_WEIGHT of the way from the photo-wide fit of x_r
    against the brightness (one curve for all, which keeps the order of lightness) to the
    net's own local model (which adapts each region, and reorders lightness more the harder
    it is pushed)."""
    va = v.ravel().astype(np.float64)
    xa = x_r.ravel().astype(np.float64)
    var = float(va.var())
    slope = float(((va - va.mean()) * (xa - xa.mean())).mean() / var) if var > 1e-8 else 0.0
    offset = float(xa.mean() - slope * va.mean())
    k = np.float32(LOCAL_WEIGHT)
    return ((slope + k * (a - slope)).astype(np.float32),
            (offset + k * (b - offset)).astype(np.float32))


def solve_tone(m: Measure, a: np.ndarray, b: np.ndarray, target: float, fade: float,
               settings: EnhanceSettings) -> tuple[exposure.Tone, float]:
    """The tone for a factor model (a, b) at the net's resolution: the exposure that meets
    ``target`` on the photo's samples, with the settings' strength and look; and the mean
    brightness that exposure reaches (at the reference strength and a neutral look)."""
    gh, gw = m.samples.base.shape
    at_samples = (cv2.resize(a, (gw, gh), interpolation=cv2.INTER_LINEAR) * m.samples.base +
                  cv2.resize(b, (gw, gh), interpolation=cv2.INTER_LINEAR))
    black = exposure.black_level(m.samples, m.sigma)
    x_r = np.clip(at_samples, -1, 1)
    stops, push, reachable = exposure.solve_exposure(m.samples, x_r, target, black,
                                                     explicit=not settings.auto_exposure)
    return exposure.Tone(stops, push, exposure.strength_exponent(settings.iterations), fade,
                         black, settings.shadows, settings.highlights, settings.contrast,
                         target), reachable


def render(rgb: np.ndarray, plan: EnhancementPlan, progress: Callable[[float], None] | None = None,
           threads: int = 1, use_numba: bool = True, known: Luma | None = None,
           alpha: np.ndarray | None = None) -> np.ndarray:
    """The enhanced photo (same dtype; gray, RGBA: see :func:`render_rows`) for a plan;
    bands of rows, ``threads`` at a time. ``known``: the photo's :func:`luma`, where it was
    found beforehand."""
    return render_rows(rgb, plan, 0, rgb.shape[0], progress, threads, use_numba, known, alpha)


def band(rgb: np.ndarray, plan: EnhancementPlan, top: int, bottom: int,
         use_numba: bool = True, known: Luma | None = None) -> pixel_stage.Band:
    """What the per-pixel stage needs for rows [top, bottom) (``top`` even); ``known``: the
    whole photo's :func:`luma`, if found beforehand (or found here for the band's rows)."""
    h, w = rgb.shape[:2]
    # The bases' coefficients come from reduced copies of the band plus context rows; both
    # ends on multiples of COARSE_SCALE, so every band's copies are slices of the photo's.
    lo = max(0, (top - BASE_HALO) // COARSE_SCALE * COARSE_SCALE)
    hi = min(h, bottom + BASE_HALO)
    hi = min(h, -(-hi // COARSE_SCALE) * COARSE_SCALE)
    # the bases are found on the despeckled brightness, or a speck tall enough to pass for
    # texture would stay in the base (pixels not brightened keep their own values anyway)
    despeckle = plan.despeckles
    if known is None or not known.usable(plan):
        lum, first = luma(rgb[lo:hi], plan.sigma, despeckle, use_numba), lo
    else:  # the whole photo's: its rows at the context's ends saw their true neighbours,
        lum, first = known, 0  # which the band's rows are too far from to feel
    v = lum.v[lo - first:hi - first]
    target = lum.despeckled[lo - first:hi - first] if despeckle else v
    scales = base_scales(plan.reduction)
    ahead = None if known is None else known.bases_for(plan)
    if ahead is not None:  # the whole photo's coefficients (from row 0): only widened here
        coefficients, from_row = ahead, 0
    else:
        coefficients, from_row = bases.coefficients(target, scales,
                                                    (BASE_EPS_SIGMAS * plan.sigma) ** 2), lo
    fine, coarse = (bases.rows_for(ab, k, h, w, from_row, top, bottom)
                    for ab, (k, _) in zip(coefficients, scales, strict=True))
    model = plan.factor_model
    v = np.ascontiguousarray(v[top - lo:bottom - lo])
    target = v if not despeckle else np.ascontiguousarray(target[top - lo:bottom - lo])
    # rows of a view (gray seen as RGB, RGBA's colours) copied: the kernel's usual layout
    return pixel_stage.Band(
        np.ascontiguousarray(rgb[top:bottom]), v, target, fine, coarse,
        bases.widen(model, w, *resample.bilinear_taps(h, model.shape[1], top, bottom)),
        bases.widen(plan.colour, w, *resample.bilinear_taps(h, plan.colour.shape[1], top,
                                                               bottom)),
        top)


def render_rows(rgb: np.ndarray, plan: EnhancementPlan, top: int, bottom: int,
                progress: Callable[[float], None] | None = None, threads: int = 1,
                use_numba: bool = True, known: Luma | None = None,
                alpha: np.ndarray | None = None) -> np.ndarray:
    """Rows [top, bottom) of the enhanced photo, without rendering the rest (the window's
    100% view; :func:`render` is all the rows). Bands are full-width, start on even rows
    (the half-size copies stay aligned) and take context rows and the photo's global taps,
    so any rows are exactly the saved file's; the caller crops columns. Gray seen as RGB
    (resample.shared_plane) gives gray rows, each band made gray as it is rendered (never a
    full-size colour result); ``alpha`` (all the photo's rows) gives RGBA, in place."""
    h, w = rgb.shape[:2]
    if not 0 <= top < bottom <= h:
        raise ValueError(f"rows [{top}, {bottom}) are outside a photo {h} rows high")
    first, last = top // 2 * 2, min(h, -(-bottom // 2) * 2)  # even, as render's bands
    channels = () if resample.shared_plane(rgb) is not None else (3 if alpha is None else 4,)
    out = np.empty((last - first, w, *channels), rgb.dtype)
    tables = plan.tables()
    _ = plan.factor_model  # made here, once, rather than by the first bands side by side
    rows = max(2, BAND_PIXELS // w // 2 * 2)
    threads = max(1, min(threads, (last - first) // MIN_ROWS_PER_THREAD or 1))
    # rounds of `threads` equal bands; a remainder under ~70% of a round is spread over the
    # bands (up to 1.7x BAND_PIXELS each) instead of taking a round of slim bands, each of
    # which would pay for its context rows
    rounds = (1 if (last - first) * w <= ONE_ROUND_BANDS * BAND_PIXELS * threads else
              max(1, int((last - first) / (rows * threads) + 0.3)))
    parts = parallel.split_range(first // 2, (last + 1) // 2, rounds * threads)
    for k in range(0, len(parts), threads):
        group = parts[k:k + threads]
        parallel.run_all([
            lambda a=a, b=b: _render_band(rgb, plan, tables, 2 * a, min(h, 2 * b),
                                          out[2 * a - first:min(h, 2 * b) - first], use_numba,
                                          known, alpha)
            for a, b in group])
        if progress is not None:
            progress((min(h, 2 * group[-1][1]) - first) / (last - first))
    return out[top - first:bottom - first]


def _render_band(rgb: np.ndarray, plan: EnhancementPlan,
                 tables: tuple[np.ndarray, ...], top: int, bottom: int, dst: np.ndarray,
                 use_numba: bool, known: Luma | None, alpha: np.ndarray | None) -> None:
    """Rows [top, bottom) into ``dst``: RGB straight into place; gray (2-D ``dst``) or RGBA
    through a buffer the band's size."""
    direct = dst.ndim == 3 and dst.shape[2] == 3
    colour = dst if direct else np.empty((bottom - top, rgb.shape[1], 3), rgb.dtype)
    pixel_stage.compose(band(rgb, plan, top, bottom, use_numba, known), tables,
                        plan.sigma, plan.denoise, colour, use_numba, plan.channel_bias,
                        plan.channel_gains)
    if dst.ndim == 2:
        dst[...] = gray_of(colour)
    elif not direct:
        dst[:, :, :3] = colour
        dst[:, :, 3] = alpha[top:bottom]


def raw_factor(rgb: np.ndarray, plan: EnhancementPlan) -> np.ndarray:
    """The net's raw factor map in [-1, 1] at the map's resolution, for display: the plan's
    linear model evaluated on the small copy's brightness (before exposure and strength)."""
    h, w = plan.model_a.shape
    v = brightness(resample.downscale(rgb, h, w, resample.pixel_max(rgb.dtype)))
    return np.clip(plan.model_a * v + plan.model_b, -1.0, 1.0).astype(np.float32)


REACH_SLACK = 0.03  # a target missed by more than this is reported as out of reach


def exposure_note(plan: EnhancementPlan, settings: EnhanceSettings) -> str:
    """Why the result is not what the exposure asked for, in plain words ("" when it is):
    a target the lights do not let the photo reach, or a photo Auto leaves as it is."""
    if settings.auto_exposure:
        if plan.tone.fade <= 0.0:
            return "already well exposed: left as it is"
        if plan.tone.fade < 1.0:
            return "nearly well exposed: brightened gently"
        return ""
    if plan.reachable < plan.target - REACH_SLACK:
        return (f"brightest reachable without blowing out the lights: "
                f"{plan.reachable:.2f}")
    return ""
