"""The last, per-pixel stage: gain, gain-guided denoise, colour, highlight knee, dither.

For each pixel, from its brightness V (max of R, G, B), the edge-preserving base B of V, the
factor x_r (the guided upsampling's a * L + b, L the coarse base: the illumination) and the
smoothed colour of its neighbourhood:
- gain g and its log2 from a per-photo table over (x_r, L): the global exposure, the curve's
  local shaping, the strength exponent, the 5-stop cap and Auto's fade are all folded into
  the table once per photo; the gain follows the illumination L (edge-aware, ~40 px), not
  each pixel, so local contrast is kept;
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
cores by the caller); the numpy version computes the same numbers for the frozen app, which
ships without numba. They agree within one level (tested).
"""
from __future__ import annotations

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
LUMA_SHRINK = 0.9
CHROMA_STOPS = 2.5
DEBAND_STOPS = (1.5, 3.0)
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
def gain_tables(stops: float, exponent: float, fade: float) -> tuple[np.ndarray, np.ndarray]:
    """(gain, log2 gain), each (TABLE_FACTORS, TABLE_LEVELS) float32: row = x_r from -1 to 1,
    column = base brightness from 0 to 1."""
    x_r = np.linspace(-1.0, 1.0, TABLE_FACTORS, dtype=np.float32)[:, None]
    base = np.linspace(0.0, 1.0, TABLE_LEVELS, dtype=np.float32)[None, :]
    log_g = exposure.log_gain(base, x_r, stops, exponent) * np.float32(fade)  # broadcasts
    tables = np.exp2(log_g).astype(np.float32), log_g.astype(np.float32)
    for table in tables:
        table.setflags(write=False)  # shared by every caller of the cache
    return tables


@dataclass(frozen=True)
class Rows:
    """The rows of a low-resolution map that a band needs, widened to full width (the
    horizontal half of bilinear upsampling, done once per band), and for each output row
    the two rows to lerp between and the weight of the second (the vertical half)."""

    wide: np.ndarray  # (k, W, C) float32
    r0: np.ndarray  # (n,) indices into wide
    r1: np.ndarray
    wy: np.ndarray  # (n,) float32

    def full(self) -> np.ndarray:
        """The upsampled band (n, W, C): what the kernel computes pixel by pixel."""
        a, b = self.wide[self.r0], self.wide[self.r1]
        return a + (b - a) * self.wy[:, None, None]


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


def _illumination(coarse, base, sigma):
    """The coarse base, kept within ILLUMINATION_SLACK of the fine one: near a strong edge
    the coarse layer is blurred across it, and a gain that followed it would glow."""
    slack = (np.float32(ILLUMINATION_SLACK[0]) * base +
             np.float32(ILLUMINATION_SLACK[1] * sigma))
    return base + np.clip(coarse - base, -slack, slack)


def colour_trust(base):
    """How far a pixel's colour means anything: near black, 8-bit rounding and JPEG's chroma
    quantisation are all the colour there is ((1, 4, 3) is not teal; a dark rim beside an
    orange lamp is not red), so such pixels fade to neutral; colour a few levels up stays."""
    return np.minimum(np.maximum((base - np.float32(BLACK_COLOUR[0])) *
                                 np.float32(1 / (BLACK_COLOUR[1] - BLACK_COLOUR[0])),
                                 np.float32(0.0)), np.float32(1.0))


def compose_numpy(band: Band, tables: tuple[np.ndarray, np.ndarray], sigma: float,
                  denoise: float, out: np.ndarray) -> None:
    """The band into ``out`` ((n, W, 3), the band's dtype), vectorised."""
    rgb, v = band.rgb, band.v
    top = np.float32(255.0 if rgb.dtype == np.uint8 else 65535.0)
    ab = band.base.full()
    base = ab[:, :, 0] * v + ab[:, :, 1]
    ab = band.coarse.full()
    # the coarse model is applied to the fine base, not to V: near strong edges its slope is
    # about 1 and V's noise would pass straight into the illumination (grain round lamps)
    coarse = _illumination(ab[:, :, 0] * base + ab[:, :, 1], base, sigma)
    ab = band.model.full()
    x_r = ab[:, :, 0] * coarse + ab[:, :, 1]
    g_table, lg_table = tables
    col = np.clip(coarse, 0.0, 1.0) * np.float32(TABLE_LEVELS - 1)
    row = (np.clip(x_r, -1.0, 1.0) + np.float32(1.0)) * np.float32((TABLE_FACTORS - 1) / 2)
    g = cv2.remap(g_table, col, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    lg = cv2.remap(lg_table, col, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shrink = np.clip(lg * np.float32(1 / LUMA_STOPS), 0, 1) * np.float32(LUMA_SHRINK * denoise)
    np.minimum(shrink, np.float32(0.95), out=shrink)
    smooth = base + (coarse - base) * (np.clip((lg - np.float32(DEBAND_STOPS[0])) *
                                               np.float32(1 / (DEBAND_STOPS[1] - DEBAND_STOPS[0])),
                                               0, 1) * np.float32(min(1.0, denoise)))
    luma = smooth + (v - smooth) * (np.float32(1.0) - shrink)
    mix = np.maximum(np.clip(lg * np.float32(1 / CHROMA_STOPS), 0, 1),
                     np.clip(1 - coarse / np.float32(BLACK_SIGMAS * sigma), 0, 1))
    mix *= np.float32(min(1.0, denoise))
    cm = band.colour.full()
    region = np.maximum(cm[:, :, 0:3] * base[:, :, None] + cm[:, :, 3:6], 0.0)
    neutral = region.mean(axis=2, keepdims=True)
    region = neutral + (region - neutral) * colour_trust(coarse)[:, :, None]
    # the region's colour plus this pixel's (denoised) detail, spread in that colour
    peak = np.maximum(np.maximum(region[:, :, 0], region[:, :, 1]), region[:, :, 2])
    den = region + (region / np.maximum(peak, np.float32(1e-6))[:, :, None]) * (
        luma - base)[:, :, None]
    own = rgb.astype(np.float32) * (luma / (top * np.maximum(v, np.float32(1e-6))))[:, :, None]
    lin = (own + (den - own) * mix[:, :, None]) * g[:, :, None]
    peak = np.maximum(np.maximum(lin[:, :, 0], lin[:, :, 1]), lin[:, :, 2])
    # the knee starts lower the more a pixel was brightened: unbrightened pixels keep their
    # values up to white, brightened ones roll off from KNEE
    room = np.float32(1 - KNEE) * np.clip((g - 1) * np.float32(KNEE_GAIN), 0, 1)
    start = np.float32(1.0) - room
    over = peak > start
    scale = np.minimum(np.float32(1.0), np.float32(1.0) / np.maximum(peak, np.float32(1e-6)))
    soft = over & (room > np.float32(1e-4))
    k, r = start[soft], room[soft]
    scale[soft] = (k + r * np.tanh((peak[soft] - k) / r)) / peak[soft]
    res = lin * (scale * top)[:, :, None] + np.float32(0.5)
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

    @njit(cache=True, nogil=True, fastmath=True)
    def _kernel(rgb, v, bw, br0, br1, bwy, sw, sr0, sr1, swy, mw, mr0, mr1, mwy,
                cw, cr0, cr1, cwy,
                table, sigma, denoise, first_row, dither, top, use_dither,
                out):  # pragma: no cover - compiled
        h, w = v.shape
        nl = table.shape[1] - 1
        nf = table.shape[0] - 1
        half_nf = np.float32(0.5 * nf)
        luma = np.float32(LUMA_SHRINK) * np.float32(denoise)
        chroma_k = np.float32(min(1.0, denoise))
        black = np.float32(1.0) / np.float32(BLACK_SIGMAS * sigma)
        slack_noise = np.float32(ILLUMINATION_SLACK[1]) * sigma
        one = np.float32(1.0)
        zero = np.float32(0.0)
        knee = np.float32(KNEE)
        knee_gain = np.float32(KNEE_GAIN)
        for y in range(h):
            # the two low-resolution rows of each map that this row lerps between
            b0, b1, bt = bw[br0[y]], bw[br1[y]], bwy[y]
            s0, s1, st = sw[sr0[y]], sw[sr1[y]], swy[y]
            m0, m1, mt = mw[mr0[y]], mw[mr1[y]], mwy[y]
            k0_, k1_, kt = cw[cr0[y]], cw[cr1[y]], cwy[y]
            drow = dither[(first_row + y) % DITHER_TILE]
            for x in range(w):
                vv = v[y, x]
                ba = b0[x, 0] + (b1[x, 0] - b0[x, 0]) * bt
                bb = b0[x, 1] + (b1[x, 1] - b0[x, 1]) * bt
                bb = ba * vv + bb
                ma = m0[x, 0] + (m1[x, 0] - m0[x, 0]) * mt
                mb = m0[x, 1] + (m1[x, 1] - m0[x, 1]) * mt
                sa = s0[x, 0] + (s1[x, 0] - s0[x, 0]) * st
                sb = s0[x, 1] + (s1[x, 1] - s0[x, 1]) * st
                ll = sa * bb + sb  # the illumination: the coarse model on the fine base,
                slack = np.float32(ILLUMINATION_SLACK[0]) * bb + slack_noise  # near the fine
                ll = bb + min(max(ll - bb, -slack), slack)
                r = min(max(ma * ll + mb, -one), one)
                fc = min(max(ll, zero), one) * nl
                fr = (r + one) * half_nf
                c0 = min(int(fc), nl - 1)
                r0 = min(int(fr), nf - 1)
                tc = fc - c0
                tr = fr - r0
                g0 = table[r0, c0, 0] + (table[r0, c0 + 1, 0] - table[r0, c0, 0]) * tc
                g1 = table[r0 + 1, c0, 0] + (table[r0 + 1, c0 + 1, 0] - table[r0 + 1, c0, 0]) * tc
                g = g0 + (g1 - g0) * tr
                l0 = table[r0, c0, 1] + (table[r0, c0 + 1, 1] - table[r0, c0, 1]) * tc
                l1 = table[r0 + 1, c0, 1] + (table[r0 + 1, c0 + 1, 1] - table[r0 + 1, c0, 1]) * tc
                lg = l0 + (l1 - l0) * tr
                shrink = min(min(max(lg * np.float32(1 / LUMA_STOPS), zero), one) * luma,
                             np.float32(0.95))
                ws = min(max((lg - np.float32(DEBAND_STOPS[0])) *
                             np.float32(1 / (DEBAND_STOPS[1] - DEBAND_STOPS[0])), zero),
                         one) * chroma_k
                sm = bb + (ll - bb) * ws
                lum = sm + (vv - sm) * (one - shrink)
                mix = max(min(max(lg * np.float32(1 / CHROMA_STOPS), zero), one),
                          min(max(one - ll * black, zero), one)) * chroma_k
                q0 = max((k0_[x, 0] + (k1_[x, 0] - k0_[x, 0]) * kt) * bb +
                         (k0_[x, 3] + (k1_[x, 3] - k0_[x, 3]) * kt), zero)
                q1 = max((k0_[x, 1] + (k1_[x, 1] - k0_[x, 1]) * kt) * bb +
                         (k0_[x, 4] + (k1_[x, 4] - k0_[x, 4]) * kt), zero)
                q2 = max((k0_[x, 2] + (k1_[x, 2] - k0_[x, 2]) * kt) * bb +
                         (k0_[x, 5] + (k1_[x, 5] - k0_[x, 5]) * kt), zero)
                trust = min(max((ll - np.float32(BLACK_COLOUR[0])) *
                                np.float32(1 / (BLACK_COLOUR[1] - BLACK_COLOUR[0])), zero), one)
                neutral = (q0 + q1 + q2) * np.float32(1 / 3)
                q0 = neutral + (q0 - neutral) * trust
                q1 = neutral + (q1 - neutral) * trust
                q2 = neutral + (q2 - neutral) * trust
                detail = (lum - bb) / max(max(q0, q1), max(q2, np.float32(1e-6)))
                own = lum / (top * max(vv, np.float32(1e-6)))
                p0 = np.float32(rgb[y, x, 0]) * own
                p1 = np.float32(rgb[y, x, 1]) * own
                p2 = np.float32(rgb[y, x, 2]) * own
                p0 = (p0 + (q0 * (one + detail) - p0) * mix) * g
                p1 = (p1 + (q1 * (one + detail) - p1) * mix) * g
                p2 = (p2 + (q2 * (one + detail) - p2) * mix) * g
                peak = max(max(p0, p1), p2)
                room = (one - knee) * min(max((g - one) * knee_gain, zero), one)
                start = one - room
                scale = top
                if peak > start:
                    if room > np.float32(1e-4):
                        scale = top * (start + room * np.tanh((peak - start) / room)) / peak
                    else:
                        scale = top / peak
                dx = x % DITHER_TILE
                for ch in range(3):
                    pc = p0 if ch == 0 else (p1 if ch == 1 else p2)
                    q = pc * scale + np.float32(0.5)
                    if use_dither:
                        q += drow[dx, ch]
                    out[y, x, ch] = min(max(q, zero), top)


def _interleaved(tables: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(rows, levels, 2): gain and log2 gain side by side, one cache line for both."""
    return np.ascontiguousarray(np.dstack(tables))


def compose(band: Band, tables: tuple[np.ndarray, np.ndarray], sigma: float, denoise: float,
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
    tables = gain_tables(0.0, 1.0, 1.0)
    taps = (np.zeros(2, np.intp), np.zeros(2, np.intp), np.zeros(2, np.float32))
    for dtype in (np.uint8, np.uint16):
        band = Band(np.zeros((2, 2, 3), dtype), np.zeros((2, 2), np.float32),
                    Rows(np.zeros((1, 2, 2), np.float32), *taps),
                    Rows(np.zeros((1, 2, 2), np.float32), *taps),
                    Rows(np.zeros((1, 2, 2), np.float32), *taps),
                    Rows(np.zeros((1, 2, 6), np.float32), *taps), 0)
        compose(band, tables, 0.01, 1.0, np.empty_like(band.rgb))
