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
from functools import lru_cache

import cv2
import numpy as np

from app.core.engine import (
    compiled,
    exposure,
    guided,
    parallel,
    pixel_rules,
    pixel_stage,
    resample,
    white_balance,
)
from app.core.engine.analysis import Measure, brightness
from app.core.media.image_modes import gray_of
from app.core.settings import EXPOSURE_RANGE, EnhanceSettings

# Base/detail split: fast guided filters (coefficients on a reduced copy, upsampled). The
# fine base (1/2 size: a 9x9 window at full size for the cost of a 5x5) separates noise from
# texture; the coarse one (1/8: about 40x40) smooths what 8-bit rounding and JPEG blocks left
# in flat regions that are brightened a lot, where the fine window is narrower than one
# rounding step. Bands need their context rows, and start on multiples of COARSE_SCALE.
BASE_SCALE = 2
COARSE_SCALE = 8
BASE_RADIUS = 2
BASE_HALO = 4 * COARSE_SCALE * (BASE_RADIUS + 1)
BASE_EPS_SIGMAS = 2.0  # local variation under this many noise sigmas is treated as noise
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
    colour: np.ndarray  # neighbourhood colour model (hq, wq, 6), see neighbourhood_colour
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
    log_gain = exposure.log_gain(v_small, np.clip(a * v_small + b, -1, 1), tone)
    return ToneFit(a, b, tone, target, reachable, log_gain.astype(np.float32))


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


@dataclass(frozen=True)
class Luma:
    """A photo's brightness V and its despeckled copy (None where not despeckled) for a
    noise ``sigma``; ``bases``: where found ahead, the whole photo's fine and coarse base
    coefficients (see :func:`band`) on the copy a despeckling plan uses."""

    v: np.ndarray
    despeckled: np.ndarray | None
    sigma: float
    bases: tuple[np.ndarray, np.ndarray] | None = None

    def usable(self, plan: EnhancementPlan) -> bool:
        """Whether these planes are the ones a plan renders with (the same noise; the
        despeckled copy there if the plan despeckles)."""
        return self.sigma == plan.sigma and (self.despeckled is not None or
                                             not plan.despeckles)

    def bases_for(self, plan: EnhancementPlan) -> tuple[np.ndarray, np.ndarray] | None:
        """The bases found ahead, if a plan renders with them (a photo's own pixels, found
        on the plane the plan's bases need)."""
        if self.bases is None or plan.reduction != 1 or not plan.despeckles:
            return None
        return self.bases if self.usable(plan) else None


def luma(rgb: np.ndarray, sigma: float, despeckle: bool, use_numba: bool = True,
         with_bases: bool = False) -> Luma:
    """V = max(R, G, B) of rows of a photo and, if ``despeckle``, :func:`despeckle_target` of
    it for a photo of noise ``sigma`` (numba: one pass each, no temporaries; the same
    numbers). ``with_bases`` (a whole photo's, despeckled): its bases too, so its bands
    only widen them (found once, not again for every band's context rows)."""
    if not (use_numba and (pixel_rules.available or compiled.available)):
        v = brightness(rgb)
        target = despeckle_target(v, sigma) if despeckle else None
    else:
        v = np.empty(rgb.shape[:2], np.float32)
        target = np.empty_like(v) if despeckle else v
        run = pixel_rules.luma_planes if pixel_rules.available else compiled.luma_planes
        run(np.ascontiguousarray(rgb), np.float32(1.0 / resample.pixel_max(rgb.dtype)),
            np.float32(pixel_rules.despeckle_noise2(sigma)), despeckle, v, target)
        target = target if despeckle else None
    bases = None
    if with_bases and despeckle:
        eps = (BASE_EPS_SIGMAS * sigma) ** 2
        bases = _base_coefficients(target, base_scales(), eps)
    return Luma(v, target, sigma, bases)


def band(rgb: np.ndarray, plan: EnhancementPlan, model: np.ndarray, top: int, bottom: int,
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
    ahead = None if known is None else known.bases_for(plan)
    if ahead is not None:  # the whole photo's coefficients (lo = 0): only widened here
        fine, coarse = (_base_rows(ab, k, h, w, 0, top, bottom)
                        for ab, (k, _) in zip(ahead, base_scales(), strict=True))
    else:
        scales = base_scales(plan.reduction)
        fine, coarse = (_base_rows(ab, k, h, w, lo, top, bottom) for ab, (k, _) in zip(
            _base_coefficients(target, scales, (BASE_EPS_SIGMAS * plan.sigma) ** 2), scales,
            strict=True))
    v = np.ascontiguousarray(v[top - lo:bottom - lo])
    target = v if not despeckle else np.ascontiguousarray(target[top - lo:bottom - lo])
    # rows of a view (gray seen as RGB, RGBA's colours) copied: the kernel's usual layout
    return pixel_stage.Band(np.ascontiguousarray(rgb[top:bottom]), v, target, fine, coarse,
                        _widen(model, w, *resample.bilinear_taps(h, model.shape[0], top, bottom)),
                        _widen(plan.colour, w,
                               *resample.bilinear_taps(h, plan.colour.shape[0], top, bottom)),
                        top)


_RING = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8)


def despeckle_target(v: np.ndarray, sigma: float) -> np.ndarray:
    """Where the brightness goes where a pixel is brightened a lot (pixel_rules.despeckled
    and despeckle_pull): first into the range of its 8 neighbours, then towards the 3x3
    median by as much as the step looks like noise."""
    # OpenCV's filters: out-of-image neighbours are ignored by erode and dilate (their border
    # is +-inf), replicated by the median; pixel_rules.luma_planes does the same
    bounded = cv2.min(cv2.max(v, cv2.erode(v, _RING)), cv2.dilate(v, _RING))
    return pixel_rules.despeckle_pull(bounded, cv2.medianBlur(v, 3),
                                      np.float32(pixel_rules.despeckle_noise2(sigma)))


def base_scales(reduction: int = 1) -> tuple[tuple[int, int], tuple[int, int]]:
    """((reduction, radius) of the fine base, (...) of the coarse one) for pixels that are
    1/``reduction`` of the picture: the same windows on the picture as a photo's (a video's
    1/4 copy took its bases 4x wider, and the gain, which follows them, glowed round lit
    things and flattened what lay beside them). Where the fine base's reduction would be
    under one pixel it is taken at the copy's own size with its window shrunk to match."""
    fine = ((BASE_SCALE // reduction, BASE_RADIUS) if reduction <= BASE_SCALE else
            (1, max(1, round(BASE_RADIUS * BASE_SCALE / reduction))))
    return fine, (max(1, COARSE_SCALE // reduction), BASE_RADIUS)


def _base_coefficients(v: np.ndarray, scales: tuple[tuple[int, int], ...], eps: float
                       ) -> tuple[np.ndarray, ...]:
    """For each (k, radius) of ``scales``, a self-guided filter's coefficients (h/k, w/k, 2)
    on the 1/k copy of rows of the photo's brightness. A coarser copy is made from a finer
    one whose reduction divides its own (the 1/8 from the 1/2: a quarter of the reading)."""
    smalls: dict[int, np.ndarray] = {1: v}
    found = []
    for k, radius in scales:
        finer = max(j for j in smalls if k % j == 0)
        small = smalls[finer] if finer == k else _block_means(smalls[finer], k // finer)
        smalls[k] = small
        found.append(guided.coefficients(small, small, radius, eps, stacked=True))
    return tuple(found)


def _base_rows(ab: np.ndarray, k: int, h: int, w: int, lo: int, top: int, bottom: int
               ) -> pixel_stage.Rows:
    """:func:`_base_coefficients` of rows [lo, ...) of the photo, as the rows that output
    rows [top, bottom) need. ``lo`` is a multiple of k, so the copy is a slice of the whole
    photo's 1/k copy and bands are seamless."""
    blocks = -(-h // k)
    r0, r1, wy = resample.bilinear_taps(k * blocks, blocks, top, bottom)
    return _widen(ab, k * ab.shape[1], r0 - lo // k, r1 - lo // k, wy, w)


def _block_means(v: np.ndarray, k: int) -> np.ndarray:
    """Means of k x k blocks (edges replicated to whole blocks)."""
    h, w = v.shape
    pad_h, pad_w = -h % k, -w % k
    if pad_h or pad_w:
        v = np.pad(v, ((0, pad_h), (0, pad_w)), mode="edge")
    return cv2.resize(v, (v.shape[1] // k, v.shape[0] // k), interpolation=cv2.INTER_AREA)


def _widen(low: np.ndarray, width: int, r0: np.ndarray, r1: np.ndarray, wy: np.ndarray,
           crop: int | None = None) -> pixel_stage.Rows:
    """The rows of ``low`` (h, w, C) that taps r0/r1 use, widened to ``width`` columns
    (bilinear, half-pixel centres), optionally cropped to ``crop`` columns; planar (one
    contiguous resize per channel, straight into place)."""
    first, last = int(r0.min()), int(r1.max()) + 1
    rows, channels = last - first, low.shape[2]
    wide = np.empty((channels, rows, width), np.float32)
    for c in range(channels):
        cv2.resize(np.ascontiguousarray(low[first:last, :, c]), (width, rows),
                   dst=wide[c], interpolation=cv2.INTER_LINEAR)
    if crop is not None and crop < width:
        wide = np.ascontiguousarray(wide[:, :, :crop])
    return pixel_stage.Rows(wide, r0 - first, r1 - first, wy)


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
    model = np.dstack([plan.model_a, plan.model_b])
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
            lambda a=a, b=b: _render_band(rgb, plan, model, tables, 2 * a, min(h, 2 * b),
                                          out[2 * a - first:min(h, 2 * b) - first], use_numba,
                                          known, alpha)
            for a, b in group])
        if progress is not None:
            progress((min(h, 2 * group[-1][1]) - first) / (last - first))
    return out[top - first:bottom - first]


def _render_band(rgb: np.ndarray, plan: EnhancementPlan, model: np.ndarray,
                 tables: tuple[np.ndarray, ...], top: int, bottom: int, dst: np.ndarray,
                 use_numba: bool, known: Luma | None, alpha: np.ndarray | None) -> None:
    """Rows [top, bottom) into ``dst``: RGB straight into place; gray (2-D ``dst``) or RGBA
    through a buffer the band's size."""
    direct = dst.ndim == 3 and dst.shape[2] == 3
    colour = dst if direct else np.empty((bottom - top, rgb.shape[1], 3), rgb.dtype)
    pixel_stage.compose(band(rgb, plan, model, top, bottom, use_numba, known), tables,
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
