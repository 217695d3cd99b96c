"""The last, per-pixel stage: gain, gain-guided denoise, colour, highlight knee, dither.

For each pixel, from its brightness V (max of R, G, B), the edge-preserving base B of V, the
factor x_r (the guided upsampling's a * L + b, L the coarse base: the illumination) and the
smoothed colour of its neighbourhood:
- gain g and its log2 from a per-photo table over (x_r, sqrt L): the exposure (SGZ's local
  curve, pushed as far as the target needs, then a global part), the floor to black, the
  strength, the look (shadows, highlights, contrast), the 5-stop cap and Auto's fade are all
  folded into the table once per photo (exposure.Tone); the gain follows the illumination
  L (edge-aware, ~40 px), not each pixel, so local contrast is kept;
- luma denoise, KinD's idea: the detail V - B is kept whole where the pixel is not
  brightened and shrunk as log2(g) grows (LUMA_STOPS stops or more: by LUMA_SHRINK, times the
  Denoise strength); what the base filter calls texture (above its noise eps) is never in the
  detail layer, so edges stay sharp;
- colour: R, G, B keep their ratios (hue and saturation kept exactly), blended towards the
  neighbourhood's R, G, B at this brightness (a guided filter's fit, unbiased, where the max
  of three noisy channels is not) as the gain grows (CHROMA_STOPS stops: fully) and where V is
  within a few noise sigmas of black, whose own colour is only noise; near black that colour
  fades to neutral;
- a soft knee above KNEE rolls highlights off instead of clipping them (R, G, B scaled
  together by the largest, so a bright lamp keeps its colour); pixels that were not
  brightened keep their values up to white;
- triangular dither of one level before rounding to 8 bits, so smooth dark gradients that
  were brightened several times do not band. Deterministic (a fixed tile by position), so
  the same photo always gives the same bytes.

One numba kernel does it all without full-size temporaries (released GIL, rows shared among
cores by the caller), each row in three passes over row buffers that the compiler vectorises
(maps planar, no zero-division checks, a branch-free knee): about 15 ns a pixel on one core,
a third of the single-loop version's cost. The numpy version computes the same numbers for
the frozen app, which ships without numba. They agree within one level (tested).
"""
from __future__ import annotations

import types
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from app.core.engine import exposure

try:
    from numba import njit
except ImportError:  # optional: the numpy path is used instead
    njit = None

available = njit is not None
# Table sizes: the gain is smooth in both; small tables stay in the CPU cache (bigger ones
# cost a third of the kernel's time in misses).
TABLE_FACTORS = 64  # x_r samples in [-1, 1]
TABLE_LEVELS = 256  # base brightness samples in [0, 1]
LUMA_STOPS = 4.0
LUMA_SHRINK = 0.95
SHRINK_CAP = 0.95  # some of the detail always stays: a fully flattened region looks waxy
CHROMA_STOPS = 4.0
DEBAND_STOPS = (3.0, 5.0)
DEBAND_SLACK = (1.0, 1.0 / 255)  # noise sigmas, plus a level
REGION_BIAS = 1.5  # noise sigmas the max of three noisy channels may read too bright
DETAIL_SIGMAS = 4.0  # detail this many noise sigmas tall is shrunk half as much as noise
ILLUMINATION_SLACK = (0.02, 2.0)  # share of the fine base, noise sigmas
BLACK_SIGMAS = 6.0
KNEE = 0.9
KNEE_GAIN = 4.0  # the knee starts at KNEE from a gain of 1.25 up, at white for a gain of 1
DITHER_TILE = 64
BLACK_COLOUR = (3.0 / 255, 16.0 / 255)  # smooth brightness from no colour to all of it


@lru_cache(maxsize=1)
def dither_tile() -> np.ndarray:
    """(64, 64, 3) float32 triangular noise in (-1, 1) levels, the same on every run."""
    rng = np.random.default_rng(20261129)
    shape = (DITHER_TILE, DITHER_TILE, 3)
    tile = (rng.random(shape) - rng.random(shape)).astype(np.float32)
    tile.setflags(write=False)
    return tile


@lru_cache(maxsize=8)  # video re-uses one for several frames, the window for every view
def gain_tables(tone: exposure.Tone) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(gain, log2 gain, share of the way to white), each (TABLE_FACTORS, TABLE_LEVELS)
    float32: row = x_r from -1 to 1, column = the square root of the illumination from 0 to
    1 (half the columns for the darkest quarter, where the floor to black and the strongest
    lifts are)."""
    x_r = np.linspace(-1.0, 1.0, TABLE_FACTORS, dtype=np.float32)[:, None]
    light = np.square(np.linspace(0.0, 1.0, TABLE_LEVELS, dtype=np.float32))[None, :]
    log_g, white = exposure.tone_map(light, x_r, tone)  # broadcasts
    white = np.broadcast_to(white, log_g.shape)
    tables = (np.exp2(log_g).astype(np.float32), log_g.astype(np.float32),
              np.ascontiguousarray(white, dtype=np.float32))
    for table in tables:
        table.setflags(write=False)  # shared by every caller of the cache
    return tables


@dataclass(frozen=True)
class Rows:
    """The rows of a low-resolution map that a band needs, widened to full width (the
    horizontal half of bilinear upsampling, done once per band), and for each output row
    the two rows to lerp between and the weight of the second (the vertical half). Planar,
    channel first, so the kernel reads each channel's row contiguously (it vectorises)."""

    wide: np.ndarray  # (C, k, W) float32
    r0: np.ndarray  # (n,) indices into wide's rows
    r1: np.ndarray
    wy: np.ndarray  # (n,) float32

    def full(self) -> np.ndarray:
        """The upsampled band (n, W, C): what the kernel computes pixel by pixel."""
        a, b = self.wide[:, self.r0], self.wide[:, self.r1]
        return np.moveaxis(a + (b - a) * self.wy[None, :, None], 0, -1)


@dataclass(frozen=True)
class Band:
    """Everything the per-pixel stage needs for rows [top, bottom) of a photo."""

    rgb: np.ndarray  # (n, W, 3) uint8/uint16
    v: np.ndarray  # (n, W) float32 brightness max(R, G, B) in [0, 1]
    base: Rows  # (a, b): the base brightness is a * v + b (fast guided filter)
    coarse: Rows  # (a, b) of the coarse base, for flat regions brightened a lot
    model: Rows  # (a, b): x_r is a * illumination + b
    colour: Rows  # (a_rgb, b_rgb): the region's colour is a * base + b, normalised
    top: int  # the band's first row in the photo (the dither's phase)


# ---- the per-pixel rules, written once -------------------------------------------------
# Plain functions of scalars or arrays (arithmetic and np.minimum / np.maximum only): the
# numpy stage calls them on whole bands, the numba kernel inlines compiled copies of them per
# pixel, and the video's tables (yuv_frame) read the luma and chroma shares from them. They
# live in this file because numba's cache, keyed on the kernel's file, must recompile the
# kernel when a rule changes.

def _unit(x):
    """x clipped to [0, 1]."""
    return np.minimum(np.maximum(x, np.float32(0.0)), np.float32(1.0))


def illumination(coarse, base, sigma):
    """The coarse base, kept within ILLUMINATION_SLACK of the fine one: near a strong edge
    the coarse layer is blurred across it, and a gain that followed it would glow."""
    slack = (np.float32(ILLUMINATION_SLACK[0]) * base +
             np.float32(ILLUMINATION_SLACK[1]) * sigma)
    return base + np.minimum(np.maximum(coarse - base, -slack), slack)


def colour_trust(light):
    """How far a pixel's colour means anything: near black, 8-bit rounding and JPEG's chroma
    quantisation are all the colour there is ((1, 4, 3) is not teal; a dark rim beside an
    orange lamp is not red), so such pixels fade to neutral; colour a few levels up stays."""
    return _unit((light - np.float32(BLACK_COLOUR[0])) *
                   np.float32(1 / (BLACK_COLOUR[1] - BLACK_COLOUR[0])))


def luma_shrink(stops, denoise):
    """The share of the luma detail removed at this gain (KinD: the more a region is
    brightened, the more of its detail is noise), at most SHRINK_CAP."""
    return np.minimum(_unit(stops * np.float32(1 / LUMA_STOPS)) *
                      (np.float32(LUMA_SHRINK) * denoise), np.float32(SHRINK_CAP))


def gain_mix(stops, denoise):
    """The share of a pixel's colour taken from its region for the gain alone."""
    return _unit(stops * np.float32(1 / CHROMA_STOPS)) * np.minimum(np.float32(1.0), denoise)


def colour_mix(stops, light, sigma, trust, denoise):
    """A pixel takes the region's colour as it is brightened, and wholly where its own
    colour is noise or rounding (within BLACK_SIGMAS noise sigmas of black, or untrusted)."""
    near_black = _unit(np.float32(1.0) - light / (np.float32(BLACK_SIGMAS) * sigma))
    return (np.maximum(np.maximum(_unit(stops * np.float32(1 / CHROMA_STOPS)), near_black),
                       np.float32(1.0) - trust) * np.minimum(np.float32(1.0), denoise))


def deband(base, light, stops, sigma, denoise):
    """The base pulled towards the illumination where the gain is high enough to show
    rounding steps, by at most DEBAND_SLACK noise sigmas plus a level (a rounding step is
    all it needs to cross; more drew a glow from lit areas into the dark beside them)."""
    reach = np.float32(DEBAND_SLACK[0]) * sigma + np.float32(DEBAND_SLACK[1])
    weight = (_unit((stops - np.float32(DEBAND_STOPS[0])) *
                      np.float32(1 / (DEBAND_STOPS[1] - DEBAND_STOPS[0]))) *
              np.minimum(np.float32(1.0), denoise))
    return base + np.minimum(np.maximum(light - base, -reach), reach) * weight


def detail_kept(detail, shrink, sigma):
    """The share of the detail kept: the gain-guided shrink, applied in full to detail at
    the noise's amplitude and hardly to detail well above it (a Wiener-like soft threshold
    at DETAIL_SIGMAS noise sigmas), so texture and edges stay while noise goes."""
    noise = np.maximum(np.float32(DETAIL_SIGMAS) * sigma, np.float32(1e-4))
    noise2 = noise * noise
    return np.float32(1.0) - shrink * noise2 / (detail * detail + noise2)


def region_level(peak, base, sigma):
    """The brightness the region's colour stands for: its own (an average of the channels,
    unbiased, where the base is the max of three noisy channels and reads up to a sigma too
    bright in the dark), but never above the pixel's base nor more than REGION_BIAS noise
    sigmas below it: a region model that misfits across an edge (a lit opening beside a dark
    wall) would otherwise draw a haze into the dark."""
    return np.minimum(np.maximum(peak, base - np.float32(REGION_BIAS) * sigma), base)


def toward_white(channel, peak, white):
    """A channel moved ``white`` of the way to the pixel's largest (see
    exposure.white_share): over-exposed colours go pale instead of staying saturated."""
    return channel + (peak - channel) * white


def soft_tanh(x):
    """tanh for x >= 0 (Lambert's continued fraction, clamped): within 2e-4 of it, and
    unlike the library call it vectorises."""
    x = np.minimum(x, np.float32(4.97))
    x2 = x * x
    num = x * (np.float32(135135.0) + x2 * (np.float32(17325.0) +
                                             x2 * (np.float32(378.0) + x2)))
    den = np.float32(135135.0) + x2 * (np.float32(62370.0) +
                                        x2 * (np.float32(3150.0) + np.float32(28.0) * x2))
    return np.minimum(num / den, np.float32(1.0))


def knee_scale(peak, gain):
    """What the pixel's channels are multiplied by so that its largest, ``peak``, rolls off
    towards white instead of clipping. The knee starts lower the more the pixel was
    brightened: unbrightened pixels keep their values up to white, brightened ones roll off
    from KNEE (R, G, B scaled together, so a bright lamp keeps its colour)."""
    peak = np.maximum(peak, np.float32(1e-6))
    room = np.maximum(np.float32(1 - KNEE) * _unit((gain - np.float32(1.0)) *
                                                     np.float32(KNEE_GAIN)),
                      np.float32(1e-6))
    start = np.float32(1.0) - room
    kneed = (np.minimum(peak, start) +
             room * soft_tanh(np.maximum(peak - start, np.float32(0.0)) / room))
    return np.minimum(kneed, np.float32(1.0)) / peak


def compose_numpy(band: Band, tables: tuple[np.ndarray, ...], sigma: float,
                  denoise: float, out: np.ndarray) -> None:
    """The band into ``out`` ((n, W, 3), the band's dtype), vectorised."""
    rgb, v = band.rgb, band.v
    sigma, denoise = np.float32(sigma), np.float32(denoise)
    top = np.float32(255.0 if rgb.dtype == np.uint8 else 65535.0)
    ab = band.base.full()
    base = ab[:, :, 0] * v + ab[:, :, 1]
    ab = band.coarse.full()
    # the coarse model is applied to the fine base, not to V: near strong edges its slope is
    # about 1 and V's noise would pass straight into the illumination (grain round lamps)
    light = illumination(ab[:, :, 0] * base + ab[:, :, 1], base, sigma)
    ab = band.model.full()
    x_r = ab[:, :, 0] * light + ab[:, :, 1]
    col = np.sqrt(np.clip(light, 0.0, 1.0)) * np.float32(TABLE_LEVELS - 1)
    row = (np.clip(x_r, -1.0, 1.0) + np.float32(1.0)) * np.float32((TABLE_FACTORS - 1) / 2)
    g, lg, white = (cv2.remap(t, col, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                    for t in tables)
    smooth = deband(base, light, lg, sigma, denoise)
    luma = smooth + (v - smooth) * detail_kept(v - smooth, luma_shrink(lg, denoise), sigma)
    trust = colour_trust(light)
    mix = colour_mix(lg, light, sigma, trust, denoise)
    cm = band.colour.full()
    region = np.maximum(cm[:, :, 0:3] * base[:, :, None] + cm[:, :, 3:6], 0.0)
    neutral = region.mean(axis=2, keepdims=True)
    region = neutral + (region - neutral) * trust[:, :, None]
    # the region's colour plus this pixel's (denoised) detail, spread in that colour
    peak = np.maximum(np.maximum(region[:, :, 0], region[:, :, 1]), region[:, :, 2])
    level = region_level(peak, base, sigma)
    den = (region + np.float32(1e-6)) * (np.maximum(level + luma - base, 0.0) /
                                          (peak + np.float32(1e-6)))[:, :, None]
    own = rgb.astype(np.float32) * (luma / (top * np.maximum(v, np.float32(1e-6))))[:, :, None]
    lin = (own + (den - own) * mix[:, :, None]) * g[:, :, None]
    peak = np.maximum(np.maximum(lin[:, :, 0], lin[:, :, 1]), lin[:, :, 2])
    lin = toward_white(lin, peak[:, :, None], white[:, :, None])
    res = lin * (knee_scale(peak, g) * top)[:, :, None] + np.float32(0.5)
    if rgb.dtype == np.uint8:
        res += _tiled_dither(band.top, *rgb.shape[:2])
    np.clip(res, 0, top, out=res)
    out[...] = res.astype(rgb.dtype)


def _tiled_dither(first_row: int, h: int, w: int) -> np.ndarray:
    tile = dither_tile()
    rows = (np.arange(first_row, first_row + h) % DITHER_TILE)
    cols = np.arange(w) % DITHER_TILE
    return tile[rows][:, cols]


if available:

    _inline = njit(nogil=True, fastmath=True, error_model="numpy", inline="always")
    # the rules compiled for one pixel: their helpers resolve to compiled copies too
    _compiled_helpers = {**globals(), "_unit": _inline(_unit), "soft_tanh": _inline(soft_tanh)}

    def _compiled(rule):
        return _inline(types.FunctionType(rule.__code__, _compiled_helpers, rule.__name__))

    _illumination = _compiled(illumination)
    _colour_trust = _compiled(colour_trust)
    _luma_shrink = _compiled(luma_shrink)
    _colour_mix = _compiled(colour_mix)
    _deband = _compiled(deband)
    _detail_kept = _compiled(detail_kept)
    _region_level = _compiled(region_level)
    _knee_scale = _compiled(knee_scale)
    _toward_white = _compiled(toward_white)

    # error_model="numpy": no zero-division checks (the divisors are clamped above zero),
    # whose branches kept the loops from vectorising; each row runs in passes that do
    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def _kernel(rgb, v, bw, br0, br1, bwy, sw, sr0, sr1, swy, mw, mr0, mr1, mwy,
                cw, cr0, cr1, cwy,
                table, sigma, denoise, first_row, dither, top, use_dither,
                out):  # pragma: no cover - compiled
        h, w = v.shape
        nl = table.shape[1] - 1
        nf = table.shape[0] - 1
        half_nf = np.float32(0.5 * nf)
        one = np.float32(1.0)
        zero = np.float32(0.0)
        tiny = np.float32(1e-6)
        # one row's intermediate values between the passes
        base = np.empty(w, np.float32)
        light = np.empty(w, np.float32)
        col = np.empty(w, np.int32)
        row = np.empty(w, np.int32)
        t_col = np.empty(w, np.float32)
        t_row = np.empty(w, np.float32)
        gain = np.empty(w, np.float32)
        stops = np.empty(w, np.float32)
        whites = np.empty(w, np.float32)
        red = np.empty(w, np.float32)
        green = np.empty(w, np.float32)
        blue = np.empty(w, np.float32)
        tile = np.zeros((DITHER_TILE, 3, w), np.float32)  # the dither, planar, row-long
        if use_dither:
            for ty in range(DITHER_TILE):
                for c in range(3):
                    for x in range(w):
                        tile[ty, c, x] = dither[ty, x % DITHER_TILE, c]
        for y in range(h):
            vrow = v[y]
            # pass 1: the bases, the illumination and where the gain table is read
            ba0, ba1, bb0, bb1 = bw[0, br0[y]], bw[0, br1[y]], bw[1, br0[y]], bw[1, br1[y]]
            sa0, sa1, sb0, sb1 = sw[0, sr0[y]], sw[0, sr1[y]], sw[1, sr0[y]], sw[1, sr1[y]]
            ma0, ma1, mb0, mb1 = mw[0, mr0[y]], mw[0, mr1[y]], mw[1, mr0[y]], mw[1, mr1[y]]
            bt, st, mt = bwy[y], swy[y], mwy[y]
            for x in range(w):
                bb = ((ba0[x] + (ba1[x] - ba0[x]) * bt) * vrow[x] +
                      bb0[x] + (bb1[x] - bb0[x]) * bt)
                # the illumination: the coarse model on the fine base, kept near the fine
                ll = _illumination((sa0[x] + (sa1[x] - sa0[x]) * st) * bb + sb0[x] +
                                   (sb1[x] - sb0[x]) * st, bb, sigma)
                r = min(max((ma0[x] + (ma1[x] - ma0[x]) * mt) * ll +
                            mb0[x] + (mb1[x] - mb0[x]) * mt, -one), one)
                base[x] = bb
                light[x] = ll
                fc = np.sqrt(min(max(ll, zero), one)) * nl
                fr = (r + one) * half_nf
                c0 = min(np.int32(fc), np.int32(nl - 1))
                r0 = min(np.int32(fr), np.int32(nf - 1))
                col[x] = c0
                row[x] = r0
                t_col[x] = fc - c0
                t_row[x] = fr - r0
            # pass 2: gain, its log2 and the white share from the table (gathers)
            for x in range(w):
                c0, r0, tc, tr = col[x], row[x], t_col[x], t_row[x]
                g0 = table[r0, c0, 0] + (table[r0, c0 + 1, 0] - table[r0, c0, 0]) * tc
                g1 = table[r0 + 1, c0, 0] + (table[r0 + 1, c0 + 1, 0] - table[r0 + 1, c0, 0]) * tc
                gain[x] = g0 + (g1 - g0) * tr
                l0 = table[r0, c0, 1] + (table[r0, c0 + 1, 1] - table[r0, c0, 1]) * tc
                l1 = table[r0 + 1, c0, 1] + (table[r0 + 1, c0 + 1, 1] - table[r0 + 1, c0, 1]) * tc
                stops[x] = l0 + (l1 - l0) * tr
                w0 = table[r0, c0, 2] + (table[r0, c0 + 1, 2] - table[r0, c0, 2]) * tc
                w1 = table[r0 + 1, c0, 2] + (table[r0 + 1, c0 + 1, 2] - table[r0 + 1, c0, 2]) * tc
                whites[x] = w0 + (w1 - w0) * tr
            # pass 3: denoise, colour, knee, dither
            ca0, ca1, cd0, cd1 = cw[0, cr0[y]], cw[0, cr1[y]], cw[3, cr0[y]], cw[3, cr1[y]]
            cb0, cb1, ce0, ce1 = cw[1, cr0[y]], cw[1, cr1[y]], cw[4, cr0[y]], cw[4, cr1[y]]
            cc0, cc1, cf0, cf1 = cw[2, cr0[y]], cw[2, cr1[y]], cw[5, cr0[y]], cw[5, cr1[y]]
            kt = cwy[y]
            pixels = rgb[y]
            for x in range(w):
                red[x] = np.float32(pixels[x, 0])
                green[x] = np.float32(pixels[x, 1])
                blue[x] = np.float32(pixels[x, 2])
            trow = tile[(first_row + y) % DITHER_TILE]
            d0, d1, d2 = trow[0], trow[1], trow[2]
            for x in range(w):
                vv, bb, ll, g, lg = vrow[x], base[x], light[x], gain[x], stops[x]
                sm = _deband(bb, ll, lg, sigma, denoise)
                dd = vv - sm
                lum = sm + dd * _detail_kept(dd, _luma_shrink(lg, denoise), sigma)
                trust = _colour_trust(ll)
                mix = _colour_mix(lg, ll, sigma, trust, denoise)
                q0 = max((ca0[x] + (ca1[x] - ca0[x]) * kt) * bb + cd0[x] + (cd1[x] - cd0[x]) * kt,
                         zero)
                q1 = max((cb0[x] + (cb1[x] - cb0[x]) * kt) * bb + ce0[x] + (ce1[x] - ce0[x]) * kt,
                         zero)
                q2 = max((cc0[x] + (cc1[x] - cc0[x]) * kt) * bb + cf0[x] + (cf1[x] - cf0[x]) * kt,
                         zero)
                neutral = (q0 + q1 + q2) * np.float32(1 / 3)
                q0 = neutral + (q0 - neutral) * trust
                q1 = neutral + (q1 - neutral) * trust
                q2 = neutral + (q2 - neutral) * trust
                qp = max(max(q0, q1), q2)
                level = _region_level(qp, bb, sigma)
                ratio = max(level + lum - bb, zero) / (qp + tiny)
                own = lum / (top * max(vv, tiny))
                p0 = red[x] * own
                p1 = green[x] * own
                p2 = blue[x] * own
                p0 = (p0 + ((q0 + tiny) * ratio - p0) * mix) * g
                p1 = (p1 + ((q1 + tiny) * ratio - p1) * mix) * g
                p2 = (p2 + ((q2 + tiny) * ratio - p2) * mix) * g
                peak = max(max(p0, p1), p2)
                wh = whites[x]
                p0 = _toward_white(p0, peak, wh)
                p1 = _toward_white(p1, peak, wh)
                p2 = _toward_white(p2, peak, wh)
                scale = top * _knee_scale(peak, g)
                red[x] = min(max(p0 * scale + np.float32(0.5) + d0[x], zero), top)
                green[x] = min(max(p1 * scale + np.float32(0.5) + d1[x], zero), top)
                blue[x] = min(max(p2 * scale + np.float32(0.5) + d2[x], zero), top)
            dst = out[y]
            for x in range(w):
                dst[x, 0] = red[x]
                dst[x, 1] = green[x]
                dst[x, 2] = blue[x]


def _interleaved(tables: tuple[np.ndarray, ...]) -> np.ndarray:
    """(rows, levels, 3): gain, log2 gain and white share side by side, one cache line."""
    return np.ascontiguousarray(np.dstack(tables))


def compose(band: Band, tables: tuple[np.ndarray, ...], sigma: float, denoise: float,
            out: np.ndarray, use_numba: bool = True) -> None:
    """The per-pixel stage for a band of rows (see the module's docstring)."""
    if not (use_numba and available):
        compose_numpy(band, tables, sigma, denoise, out)
        return
    b, s, m, c = band.base, band.coarse, band.model, band.colour
    _kernel(band.rgb, band.v, b.wide, b.r0, b.r1, b.wy, s.wide, s.r0, s.r1, s.wy,
            m.wide, m.r0, m.r1, m.wy,
            c.wide, c.r0, c.r1, c.wy, _interleaved(tables),
            np.float32(sigma), np.float32(denoise), band.top, dither_tile(),
            np.float32(255.0 if band.rgb.dtype == np.uint8 else 65535.0),
            band.rgb.dtype == np.uint8, out)


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernel for 8 and 16-bit images."""
    if not available:
        return
    tables = gain_tables(exposure.Tone(0.0))
    taps = (np.zeros(2, np.intp), np.zeros(2, np.intp), np.zeros(2, np.float32))
    for dtype in (np.uint8, np.uint16):
        band = Band(np.zeros((2, 2, 3), dtype), np.zeros((2, 2), np.float32),
                    Rows(np.zeros((2, 1, 2), np.float32), *taps),
                    Rows(np.zeros((2, 1, 2), np.float32), *taps),
                    Rows(np.zeros((2, 1, 2), np.float32), *taps),
                    Rows(np.zeros((6, 1, 2), np.float32), *taps), 0)
        compose(band, tables, 0.01, 1.0, np.empty_like(band.rgb))
