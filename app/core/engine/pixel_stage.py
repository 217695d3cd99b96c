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
  detail layer, so edges stay sharp; from DESPECKLE_STOPS up, V is despeckled first
  (outliers into their neighbours' range, grain towards the 3x3 median);
- colour: R, G, B keep their ratios (hue and saturation kept exactly), blended towards the
  neighbourhood's R, G, B at this brightness (a guided filter's fit, unbiased, where the max
  of three noisy channels is not) as the gain grows (CHROMA_STOPS stops: fully) and where V is
  within a few noise sigmas of black, whose own colour is only noise; near black that colour
  fades to neutral;
- what the exposure took past white moves towards the pixel's largest channel (a third
  table: exposure.white_share), so over-exposed colours go pale rather than saturated;
- a soft knee above KNEE rolls highlights off instead of clipping them (R, G, B scaled
  together by the largest, so a bright lamp keeps its colour); pixels that were not
  brightened keep their values up to white;
- triangular dither of one level before rounding to 8 bits, so smooth dark gradients that
  were brightened several times do not band. Deterministic (a fixed tile by position), so
  the same photo always gives the same bytes.

The rules themselves, written once, and the numba kernel that applies them are in
pixel_rules (the frozen app, which has no numba, runs the same kernel compiled ahead of
time: see compiled); here are the tables, the bands and the numpy version, which computes the
same numbers where neither is there. They agree within one level (tested).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from app.core.engine import compiled, exposure, pixel_rules
from app.core.engine.pixel_rules import (
    DITHER_TILE,
    channel_bias,
    colour_mix,
    colour_trust,
    deband,
    despeckled,
    detail_kept,
    illumination,
    knee_scale,
    luma_shrink,
    toward_white,
)

# the per-pixel kernel runs compiled: by numba, or built ahead of time (the frozen app)
available = pixel_rules.available or compiled.available
# Table sizes: the gain is smooth in both; small tables stay in the CPU cache (bigger ones
# cost a third of the kernel's time in misses).
TABLE_FACTORS = 64  # x_r samples in [-1, 1]
TABLE_LEVELS = 256  # base brightness samples in [0, 1]


@lru_cache(maxsize=1)
def dither_tile() -> np.ndarray:
    """(64, 64, 3) float32 triangular noise in (-1, 1) levels, the same on every run."""
    rng = np.random.default_rng(20261129)
    shape = (DITHER_TILE, DITHER_TILE, 3)
    tile = (rng.random(shape) - rng.random(shape)).astype(np.float32)
    tile.setflags(write=False)
    return tile


DITHER_KEPT_WIDTH = 2048  # up to this width the dither's rows are kept for the next band


def dither_rows(width: int, dithered: bool = True) -> np.ndarray:
    """The dither tile repeated along rows of ``width`` pixels, planar (DITHER_TILE, 3,
    width), as the kernel reads it (zeros where not ``dithered``: 16-bit output). Kept for
    photos up to DITHER_KEPT_WIDTH wide (0.1 ms a band); a wider photo's (4.6 MB at 6000)
    is made for each band: kept, it split the heap that allocator keeps for the next photo,
    whose peak over it rose from 1.5x to 1.9x its decoded size at 24 MP."""
    if width <= DITHER_KEPT_WIDTH:
        return _kept_dither_rows(width, dithered)
    return _dither_rows(width, dithered)


@lru_cache(maxsize=2)  # a photo's bands share one
def _kept_dither_rows(width: int, dithered: bool) -> np.ndarray:
    return _dither_rows(width, dithered)


def _dither_rows(width: int, dithered: bool) -> np.ndarray:
    if not dithered:
        rows = np.zeros((DITHER_TILE, 3, width), np.float32)
    else:
        tile = dither_tile()
        rows = np.ascontiguousarray(tile[:, np.arange(width) % DITHER_TILE].transpose(0, 2, 1))
    rows.setflags(write=False)
    return rows


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


def read_tables(tables: tuple[np.ndarray, ...], light: np.ndarray, x_r: np.ndarray
                ) -> list[np.ndarray]:
    """:func:`gain_tables`' tables (some of them) read where pixels of illumination
    ``light`` and factor ``x_r`` (float32 arrays alike) fall, bilinearly, as the kernel does."""
    col = np.sqrt(np.clip(light, 0.0, 1.0)) * np.float32(TABLE_LEVELS - 1)
    row = (np.clip(x_r, -1.0, 1.0) + np.float32(1.0)) * np.float32((TABLE_FACTORS - 1) / 2)
    return [cv2.remap(t, col, row, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            for t in tables]


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
    v_despeckled: np.ndarray  # bases.despeckle_target of v (or v where none is needed)
    base: Rows  # (a, b): the base brightness is a * v + b (fast guided filter)
    coarse: Rows  # (a, b) of the coarse base, for flat regions brightened a lot
    model: Rows  # (a, b): x_r is a * illumination + b
    colour: Rows  # (a_rgb, b_rgb): the region's colour is a * base + b, normalised
    top: int  # the band's first row in the photo (the dither's phase)


def compose_numpy(band: Band, tables: tuple[np.ndarray, ...], sigma: float,
                  denoise: float, out: np.ndarray, bias: float = 0.0,
                  gains: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> None:
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
    g, white = read_tables((tables[0], tables[2]), light, x_r)
    lg = np.log2(g)  # as the kernel does: the log2 of the interpolated gain
    smooth = deband(base, light, lg, sigma, denoise)
    detail = despeckled(v, band.v_despeckled, lg, denoise) - smooth
    luma = smooth + detail * detail_kept(detail, luma_shrink(lg, denoise), sigma)
    trust = colour_trust(light)
    mix = colour_mix(lg, light, sigma, trust, denoise)
    cm = band.colour.full()
    region = np.maximum(cm[:, :, 0:3] * base[:, :, None] + cm[:, :, 3:6], 0.0)
    neutral = region.mean(axis=2, keepdims=True)
    region = neutral + (region - neutral) * trust[:, :, None]
    # the region's colour at this pixel's own denoised brightness (see pixel_rules)
    peak = np.maximum(np.maximum(region[:, :, 0], region[:, :, 1]), region[:, :, 2])
    level = luma - channel_bias(region[:, :, 0], region[:, :, 1], region[:, :, 2], sigma,
                                np.float32(bias))
    den = (region + np.float32(1e-6)) * (np.maximum(level, 0.0) /
                                          (peak + np.float32(1e-6)))[:, :, None]
    own = rgb.astype(np.float32) * (luma / (top * np.maximum(v, np.float32(1e-6))))[:, :, None]
    lin = (own + (den - own) * mix[:, :, None]) * g[:, :, None]
    if gains != (1.0, 1.0, 1.0):
        lin *= np.asarray(gains, np.float32)  # the white balance
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


# the last few photos' corner tables, by the tables they were made from (gain_tables and the
# plans keep theirs, so a photo's bands and a video's frames share one); a photo's bands ask
# for it side by side
_CORNERS_KEPT = 8
_corners: dict[tuple[int, int], tuple[tuple[np.ndarray, ...], np.ndarray]] = {}
_corners_lock = threading.Lock()


def corner_table(tables: tuple[np.ndarray, ...]) -> np.ndarray:
    """(rows - 1, levels - 1, 8): for each cell of :func:`gain_tables`' grid, the gain at its
    four corners (top-left, top-right, bottom-left, bottom-right), then the white share at
    them: the kernel reads a pixel's eight values from one 32-byte cell at fixed offsets
    (from the interleaved grid its pass 2 took 5.2 ms a 1200x900 band instead of 4.5: the
    index arithmetic of eight reads, not the memory). Made once for each table."""
    key = (id(tables[0]), id(tables[2]))
    with _corners_lock:
        kept = _corners.get(key)
        if kept is not None and kept[0][0] is tables[0] and kept[0][1] is tables[2]:
            return kept[1]
        gain, white = tables[0], tables[2]
        rows, cols = gain.shape[0] - 1, gain.shape[1] - 1
        cells = np.empty((rows, cols, 8), np.float32)
        for k, (dr, dc) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
            cells[:, :, k] = gain[dr:dr + rows, dc:dc + cols]
            cells[:, :, 4 + k] = white[dr:dr + rows, dc:dc + cols]
        cells.setflags(write=False)
        if len(_corners) >= _CORNERS_KEPT:
            del _corners[next(iter(_corners))]  # the oldest
        # holding the tables keeps their ids from naming other tables
        _corners[key] = ((gain, white), cells)
        return cells


def compose(band: Band, tables: tuple[np.ndarray, ...], sigma: float, denoise: float,
            out: np.ndarray, use_numba: bool = True, bias: float = 0.0,
            gains: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> None:
    """The per-pixel stage for a band of rows (see the module's docstring); ``bias``: the
    photo's channel bias in noise sigmas (analysis.channel_bias); ``gains``: R, G, B
    multipliers of the white balance."""
    if not (use_numba and available):
        compose_numpy(band, tables, sigma, denoise, out, bias, gains)
        return
    b, s, m, c = band.base, band.coarse, band.model, band.colour
    run = pixel_rules.kernel if pixel_rules.available else compiled.kernel
    # the kernel reads and writes pixels as flat rows: contiguous ones (an RGB band's rows
    # are; a gray or RGBA band's are copied)
    into = out if out.flags.c_contiguous else np.empty(out.shape, out.dtype)
    run(
        np.ascontiguousarray(band.rgb), band.v, band.v_despeckled, b.wide, b.r0, b.r1, b.wy,
        s.wide, s.r0, s.r1, s.wy, m.wide, m.r0, m.r1, m.wy, c.wide, c.r0, c.r1, c.wy,
        corner_table(tables), np.float32(sigma), np.float32(bias),
        np.asarray(gains, np.float32), np.float32(denoise), band.top,
        dither_rows(band.rgb.shape[1], band.rgb.dtype == np.uint8),
        np.float32(255.0 if band.rgb.dtype == np.uint8 else 65535.0), into)
    if into is not out:
        out[...] = into


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernel for 8 and 16-bit images."""
    if not pixel_rules.available:
        return
    tables = gain_tables(exposure.Tone(0.0))
    taps = (np.zeros(2, np.intp), np.zeros(2, np.intp), np.zeros(2, np.float32))
    for dtype in (np.uint8, np.uint16):
        band = Band(np.zeros((2, 2, 3), dtype), np.zeros((2, 2), np.float32),
                    np.zeros((2, 2), np.float32),
                    Rows(np.zeros((2, 1, 2), np.float32), *taps),
                    Rows(np.zeros((2, 1, 2), np.float32), *taps),
                    Rows(np.zeros((2, 1, 2), np.float32), *taps),
                    Rows(np.zeros((6, 1, 2), np.float32), *taps), 0)
        compose(band, tables, 0.01, 1.0, np.empty_like(band.rgb))
