"""Video frames enhanced in their own 4:2:0 form, the photo pipeline run on a reduced copy.

A decoded H.264 frame is a full-size luma plane Y and two half-size chroma planes U, V (BT.601,
limited range, as FFmpeg's default conversion). The photo pipeline (exposure, factor map,
gain-guided denoise, colour, knee) runs on a reduced RGB copy (1/2 or 1/4 of the frame's
size), and its result goes back to the planes as local affine maps:

- ``prepare``: temporal denoise of static regions (a recursive average per 2x2 block: where
  the block's Y, U or V moved more than a few noise sigmas it takes the new frame at once)
  and the reduced RGB copy the pipeline sees, pooled in the same pass, in 16 bits so
  averaged dark levels keep their steps; with it the mean over each copy pixel's block of
  the full-size pixels' brightness V = max(R, G, B) (what the photo path's illumination and
  luma are made of: a noisy pixel's max of three channels reads higher than the max of its
  block's averaged channels, by as much as its colour is grey and its noise high);
- the photo pipeline's plan and per-pixel stage on that copy (the caller's);
- ``finish``: for each reduced pixel, the enhanced and the original copy give a luma map
  ``Y' = o + k * Y`` (k: the pixel's luma gain, shrunk as the photo pipeline shrinks detail
  it brightens: KinD's idea, detail brightened a lot is mostly noise) and chroma maps
  ``U' = o_u + k_c * U`` (k_c: the gain, shrunk as the photo pipeline replaces a pixel's own
  colour by its neighbourhood's where it brightens a lot: chroma noise); the maps are
  upsampled bilinearly and applied to the full-size Y and the half-size U, V. At each reduced
  pixel's own mean the maps give the enhanced copy exactly, so brightness and colour are the
  photo pipeline's and the finer detail is kept, scaled.

This is what makes video fast: the photo stage runs on 1/16 of a 1080p frame's pixels, no
full-size RGB exists, and the encoder gets the planes it wants. Numba kernels (the frozen app
runs them compiled ahead of time: see compiled) with numpy twins that agree within a level
(tested).
"""
from __future__ import annotations

import cv2
import numpy as np

from app.core.engine import compiled, parallel, pixel_rules, pixel_stage, resample

try:
    from numba import njit
except ImportError:
    njit = None

available = njit is not None or compiled.available  # the frozen app: built ahead of time
LUMA_BLACK = 16.0  # limited-range video levels
LUMA_WHITE = 235.0
CHROMA_ZERO = 128.0
MIN_LUMA_STEP = 2.0  # below this many levels above black a luma gain is only noise
MAX_GAIN = 32.0  # 5 stops, the photo pipeline's cap
GAIN_STEPS = 8  # table entries per unit of gain
# BT.601 limited range, as swscale's default and OpenCV's I420 conversions
Y_SCALE = 255.0 / 219.0
C_SCALE = 255.0 / 224.0
YUV_TO_RGB = ((Y_SCALE, 0.0, 1.402 * C_SCALE),
              (Y_SCALE, -0.344136 * C_SCALE, -0.714136 * C_SCALE),
              (Y_SCALE, 1.772 * C_SCALE, 0.0))
RGB_TO_YUV = ((0.299 / Y_SCALE, 0.587 / Y_SCALE, 0.114 / Y_SCALE),
              (-0.168736 / C_SCALE, -0.331264 / C_SCALE, 0.5 / C_SCALE),
              (0.5 / C_SCALE, -0.418688 / C_SCALE, -0.081312 / C_SCALE))


def planes(i420: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Views of Y (H, W), U and V (H/2, W/2) in PyAV's (H * 3/2, W) yuv420p array."""
    h = i420.shape[0] * 2 // 3
    w = i420.shape[1]
    chroma = i420[h:].reshape(-1)
    quarter = (h // 2) * (w // 2)
    return (i420[:h], chroma[:quarter].reshape(h // 2, w // 2),
            chroma[quarter:].reshape(h // 2, w // 2))


def reduction_for(height: int, width: int) -> int:
    """How much smaller than the frame the photo stage's copy is: 4 from about 720p up (the
    stage then costs about what decoding does), 2 for small frames, whose detail is scarce."""
    return 4 if height * width >= 900_000 else 2


class FrameState:
    """The temporal average of one clip's planes (float32, 0-255 levels)."""

    def __init__(self, y: np.ndarray, u: np.ndarray, v: np.ndarray):
        self.y = y.astype(np.float32)
        self.u = u.astype(np.float32)
        self.v = v.astype(np.float32)


def prepare(i420: np.ndarray, state: FrameState | None, limit: float, weight: float,
            reduction: int = 2, use_numba: bool = True, threads: int = 1
            ) -> tuple[FrameState, np.ndarray, np.ndarray]:
    """(state, the photo stage's copy: RGB uint16 at 1/``reduction`` of the frame's size,
    its brightness: the mean of the full-size pixels' V = max(R, G, B) over each copy
    pixel's block, float32 in [0, 1]): ``state`` updated with this frame (None or a new
    shot: started from it); ``limit``: the Y/U/V difference in levels that is motion,
    ``weight``: a static block's share of the new frame (1: no temporal denoise). A copy at
    1/4 is pooled in the same pass where the planes divide evenly (no half-size RGB is
    made), else reduced from the half-size one."""
    y, u, v = planes(i420)
    if state is None or state.y.shape != y.shape:
        state, weight = FrameState(y, u, v), 1.0
    hh, hw = u.shape
    pool = 2 if reduction >= 4 and hh % 2 == 0 and hw % 2 == 0 else 1
    acc = np.zeros((hh // pool, hw // pool, 3), np.float32)  # summed Y - 16, U - 128, V - 128
    numba = use_numba and available
    kernel = _prepare if numba else _prepare_numpy
    limit, weight = np.float32(max(limit, 1e-3)), np.float32(weight)
    _by_rows(hh // pool, threads, lambda a, b: kernel(
        y[2 * pool * a:2 * pool * b], u[pool * a:pool * b], v[pool * a:pool * b],
        state.y[2 * pool * a:2 * pool * b], state.u[pool * a:pool * b],
        state.v[pool * a:pool * b], limit, weight, pool, acc[a:b]))
    copy = np.empty(acc.shape, np.uint16)
    (_to_rgb16 if numba else _to_rgb16_numpy)(acc, np.float32(1.0 / (4 * pool * pool)), copy)
    # V = max(R, G, B) of a full-size pixel is its luma's share (R, G and B's alike) plus its
    # chroma's largest share: summed over a copy pixel's block, the luma's sum (in acc) and
    # 4x each chroma sample's (clipped to the levels on the block, not per pixel: V is
    # under black only where Y is, which noise leaves rare; over white in lamps, which are
    # not brightened)
    lead = np.zeros(acc.shape[:2], np.float32)
    (_lead if numba else _lead_numpy)(state.u, state.v, pool, lead)
    light = (np.float32(YUV_TO_RGB[0][0]) * acc[:, :, 0] + np.float32(4.0) * lead) * np.float32(
        1.0 / (4 * pool * pool * 255))
    np.clip(light, np.float32(0.0), np.float32(1.0), out=light)
    if reduction <= 2 * pool:
        return state, copy, light
    # reduce() takes a half-size copy: a pooled one stands for a half-size copy pool x larger
    return state, reduce(copy, reduction // pool), reduce(light, reduction // pool)


def _by_rows(rows: int, threads: int, work) -> None:
    """``work(first, stop)`` on row ranges, ``threads`` at a time (the kernels release the
    GIL; rows are independent)."""
    parallel.run_all([lambda a=a, b=b: work(a, b)
                      for a, b in parallel.split_range(0, rows, min(threads, rows // 16 or 1))])


def reduce(half: np.ndarray, reduction: int) -> np.ndarray:
    """The copy the photo stage sees: 1/``reduction`` of the frame (the half-size RGB, or
    its brightness, averaged further)."""
    if reduction <= 2:
        return half
    k = reduction // 2
    h, w = half.shape[:2]
    return cv2.resize(half, (max(1, round(w / k)), max(1, round(h / k))),
                      interpolation=cv2.INTER_AREA)


def finish(source: np.ndarray, enhanced: np.ndarray, state: FrameState, denoise: float,
           use_numba: bool = True, threads: int = 1) -> np.ndarray:
    """The output frame as a (H * 3/2, W) yuv420p uint8 array, from the photo stage's copy
    before (``source``) and after (``enhanced``), both RGB uint16, and the frame's averaged
    planes."""
    h, w = state.y.shape
    out = np.empty((h * 3 // 2, w), np.uint8)
    y_out, u_out, v_out = planes(out)
    maps = np.empty((5, *source.shape[:2]), np.float32)  # o_y, k_y, o_u, o_v, k_c
    tables = gain_tables(denoise)
    tile = pixel_stage.dither_tile()
    numba = use_numba and available
    (_maps if numba else _maps_numpy)(source, enhanced, tables, maps)
    apply = _apply if numba else _apply_numpy
    for plane, avg, o, k, channel in ((y_out, state.y, maps[0], maps[1], 0),
                                      (u_out, state.u, maps[2], maps[4], 1),
                                      (v_out, state.v, maps[3], maps[4], 2)):
        _apply_plane(apply, plane, avg, o, k, tile, channel, threads)
    return out


def _apply_plane(apply, plane, avg, o, k, tile, channel: int, threads: int) -> None:
    """``plane`` = o + k * avg (centred on black or on zero chroma), maps upsampled."""
    ph, pw = plane.shape
    r0, r1, wy = resample.bilinear_taps(ph, o.shape[0])
    cols = resample.bilinear_taps(pw, o.shape[1])
    centre, lo, hi = ((LUMA_BLACK, LUMA_BLACK, LUMA_WHITE) if channel == 0 else
                      (CHROMA_ZERO, 0.0, 255.0))
    _by_rows(ph, threads, lambda a, b: apply(
        avg[a:b], o, k, r0[a:b], r1[a:b], wy[a:b], *cols, tile, channel, np.float32(centre),
        np.float32(lo), np.float32(hi), a, plane[a:b]))


def gain_tables(denoise: float) -> np.ndarray:
    """(2, n): for gains 0, 1/8, ... MAX_GAIN, what share of it reaches the detail of the
    luma (compose's luma shrink) and of the chroma (compose's colour mix towards the
    neighbourhood: the pixel's own colour is mostly noise where it is brightened a lot)."""
    k = np.arange(int(MAX_GAIN * GAIN_STEPS) + 1, dtype=np.float32) / GAIN_STEPS
    stops = np.log2(np.maximum(k, 1.0))
    denoise = np.float32(denoise)
    luma = 1.0 - pixel_rules.luma_shrink(stops, denoise)
    chroma = 1.0 - pixel_rules.gain_mix(stops, denoise)
    return np.stack([luma, chroma]).astype(np.float32)


# ---- numpy versions (no numba, no kernels built ahead of time) -----------------------------

def _block_mean(plane: np.ndarray) -> np.ndarray:
    h, w = plane.shape
    return plane.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3), dtype=np.float32)


def _prepare_numpy(y, u, v, avg_y, avg_u, avg_v, limit, weight, pool, acc) -> None:
    fy, fu, fv = (p.astype(np.float32) for p in (y, u, v))
    h, w = y.shape
    dy = np.abs(fy - avg_y).reshape(h // 2, 2, w // 2, 2).max(axis=(1, 3))
    d = np.maximum(np.maximum(dy, np.abs(fu - avg_u)), np.abs(fv - avg_v))
    k = np.clip(weight + (d - limit) / limit, weight, 1.0).astype(np.float32)
    avg_y += (fy - avg_y) * np.repeat(np.repeat(k, 2, 0), 2, 1)
    avg_u += (fu - avg_u) * k
    avg_v += (fv - avg_v) * k
    sums = np.dstack([4 * _block_mean(avg_y) - np.float32(4 * LUMA_BLACK),
                      avg_u - np.float32(CHROMA_ZERO), avg_v - np.float32(CHROMA_ZERO)])
    sums[:, :, 1:] *= 4  # every channel summed over the 2x2 luma block
    hh, hw = u.shape
    acc += sums.reshape(hh // pool, pool, hw // pool, pool, 3).sum(axis=(1, 3))


def _lead_numpy(avg_u, avg_v, pool, out) -> None:
    """``out`` += the largest of a chroma sample's shares of R, G and B (at least 0: weighted
    as luma weighs R, G and B they add up to 0), summed over pool x pool samples."""
    cu, cv = avg_u - np.float32(CHROMA_ZERO), avg_v - np.float32(CHROMA_ZERO)
    lead = np.maximum(np.maximum(np.float32(YUV_TO_RGB[0][2]) * cv,
                                 np.float32(YUV_TO_RGB[1][1]) * cu +
                                 np.float32(YUV_TO_RGB[1][2]) * cv),
                      np.float32(YUV_TO_RGB[2][1]) * cu)
    hh, hw = avg_u.shape
    out += lead.reshape(hh // pool, pool, hw // pool, pool).sum(axis=(1, 3))


def _to_rgb16_numpy(acc, scale, out) -> None:
    rgb = (acc * scale) @ np.array(YUV_TO_RGB, np.float32).T
    out[...] = np.clip(rgb * np.float32(65535 / 255) + np.float32(0.5), 0, 65535)


def _maps_numpy(source, enhanced, tables, maps) -> None:
    to_yuv = np.array(RGB_TO_YUV, np.float32).T * np.float32(255 / 65535)
    before = source.astype(np.float32) @ to_yuv  # centred: Y - 16, U - 128, V - 128
    after = enhanced.astype(np.float32) @ to_yuv
    k = np.clip(after[:, :, 0] / np.maximum(before[:, :, 0], np.float32(MIN_LUMA_STEP)),
                np.float32(0.0), np.float32(MAX_GAIN))
    index = np.minimum((k * GAIN_STEPS).astype(np.intp), tables.shape[1] - 1)
    k_y, k_c = k * tables[0][index], k * tables[1][index]
    maps[0] = after[:, :, 0] - k_y * before[:, :, 0]
    maps[1] = k_y
    maps[2] = after[:, :, 1] - k_c * before[:, :, 1]
    maps[3] = after[:, :, 2] - k_c * before[:, :, 2]
    maps[4] = k_c


def _tile(tile, h, w, first_row=0):
    n = tile.shape[0]
    return tile[np.arange(first_row, first_row + h) % n][:, np.arange(w) % n]


def _apply_numpy(avg, o, k, r0, r1, wy, c0, c1, wx, tile, channel, centre, lo, hi, first_row,
                 out) -> None:
    def up(m):
        rows = m[r0] + (m[r1] - m[r0]) * wy[:, None]
        return rows[:, c0] + (rows[:, c1] - rows[:, c0]) * wx[None, :]

    h, w = out.shape
    res = (up(o) + up(k) * (avg - centre) + centre + np.float32(0.5) +
           _tile(tile, h, w, first_row)[:, :, channel])
    out[...] = np.clip(res, lo, hi)


# ---- numba kernels --------------------------------------------------------------------------

if njit is not None:
    # error_model="numpy": no zero-division checks (divisors are clamped), which keep loops
    # from vectorising

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def _prepare(y, u, v, avg_y, avg_u, avg_v, limit, weight, pool, acc):  # pragma: no cover
        hh, hw = u.shape
        inv = np.float32(1.0) / limit
        one = np.float32(1.0)
        four = np.float32(4.0)
        for i in range(hh):
            y0, y1 = y[2 * i], y[2 * i + 1]
            a0, a1 = avg_y[2 * i], avg_y[2 * i + 1]
            out = acc[i // pool]
            for j in range(hw):
                x = 2 * j
                p00, p01, p10, p11 = a0[x], a0[x + 1], a1[x], a1[x + 1]
                n00, n01 = np.float32(y0[x]), np.float32(y0[x + 1])
                n10, n11 = np.float32(y1[x]), np.float32(y1[x + 1])
                cu, cv = avg_u[i, j], avg_v[i, j]
                nu, nv = np.float32(u[i, j]), np.float32(v[i, j])
                d = max(max(max(abs(n00 - p00), abs(n01 - p01)),
                            max(abs(n10 - p10), abs(n11 - p11))),
                        max(abs(nu - cu), abs(nv - cv)))
                k = min(max(weight + (d - limit) * inv, weight), one)
                p00 += (n00 - p00) * k
                p01 += (n01 - p01) * k
                p10 += (n10 - p10) * k
                p11 += (n11 - p11) * k
                a0[x], a0[x + 1], a1[x], a1[x + 1] = p00, p01, p10, p11
                cu += (nu - cu) * k
                cv += (nv - cv) * k
                avg_u[i, j], avg_v[i, j] = cu, cv
                cell = out[j // pool]
                cell[0] += p00 + p01 + p10 + p11 - four * np.float32(LUMA_BLACK)
                cell[1] += four * (cu - np.float32(CHROMA_ZERO))
                cell[2] += four * (cv - np.float32(CHROMA_ZERO))

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def _lead(avg_u, avg_v, pool, out):  # pragma: no cover
        hh, hw = avg_u.shape
        rv, gu = np.float32(YUV_TO_RGB[0][2]), np.float32(YUV_TO_RGB[1][1])
        gv, bu = np.float32(YUV_TO_RGB[1][2]), np.float32(YUV_TO_RGB[2][1])
        zero = np.float32(CHROMA_ZERO)
        row = np.empty(hw, np.float32)
        for i in range(hh):
            cu, cv = avg_u[i], avg_v[i]
            for j in range(hw):  # vectorised
                du, dv = cu[j] - zero, cv[j] - zero
                row[j] = max(max(rv * dv, gu * du + gv * dv), bu * du)
            dst = out[i // pool]
            if pool == 2:  # the sums vectorise too
                for k in range(hw // 2):
                    dst[k] += row[2 * k] + row[2 * k + 1]
            else:
                for k in range(hw // pool):
                    for p in range(pool):
                        dst[k] += row[pool * k + p]

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def _to_rgb16(acc, scale, out):  # pragma: no cover
        h, w = out.shape[:2]
        to16 = np.float32(65535.0 / 255.0) * scale
        ry, rv = np.float32(YUV_TO_RGB[0][0]) * to16, np.float32(YUV_TO_RGB[0][2]) * to16
        gu, gv = np.float32(YUV_TO_RGB[1][1]) * to16, np.float32(YUV_TO_RGB[1][2]) * to16
        bu = np.float32(YUV_TO_RGB[2][1]) * to16
        top = np.float32(65535.0)
        zero = np.float32(0.0)
        half_level = np.float32(0.5)
        for i in range(h):
            for j in range(w):
                ly, cu, cv = acc[i, j, 0], acc[i, j, 1], acc[i, j, 2]
                out[i, j, 0] = min(max(ry * ly + rv * cv + half_level, zero), top)
                out[i, j, 1] = min(max(ry * ly + gu * cu + gv * cv + half_level, zero), top)
                out[i, j, 2] = min(max(ry * ly + bu * cu + half_level, zero), top)

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def _maps(source, enhanced, tables, maps):  # pragma: no cover
        hq, wq = source.shape[:2]
        m = np.empty((3, 3), np.float32)
        for r in range(3):
            for c in range(3):
                m[r, c] = np.float32(RGB_TO_YUV[r][c] * 255.0 / 65535.0)
        steps = np.float32(GAIN_STEPS)
        last = tables.shape[1] - 1
        for i in range(hq):
            for j in range(wq):
                b0, b1, b2 = (np.float32(source[i, j, 0]), np.float32(source[i, j, 1]),
                              np.float32(source[i, j, 2]))
                e0, e1, e2 = (np.float32(enhanced[i, j, 0]), np.float32(enhanced[i, j, 1]),
                              np.float32(enhanced[i, j, 2]))
                y_in = m[0, 0] * b0 + m[0, 1] * b1 + m[0, 2] * b2
                y_out = m[0, 0] * e0 + m[0, 1] * e1 + m[0, 2] * e2
                k = min(max(y_out / max(y_in, np.float32(MIN_LUMA_STEP)), np.float32(0.0)),
                        np.float32(MAX_GAIN))
                t = min(int(k * steps), last)
                k_y = k * tables[0, t]
                k_c = k * tables[1, t]
                maps[0, i, j] = y_out - k_y * y_in
                maps[1, i, j] = k_y
                maps[2, i, j] = (m[1, 0] * e0 + m[1, 1] * e1 + m[1, 2] * e2 -
                                 k_c * (m[1, 0] * b0 + m[1, 1] * b1 + m[1, 2] * b2))
                maps[3, i, j] = (m[2, 0] * e0 + m[2, 1] * e1 + m[2, 2] * e2 -
                                 k_c * (m[2, 0] * b0 + m[2, 1] * b1 + m[2, 2] * b2))
                maps[4, i, j] = k_c

    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def _apply(avg, o, k, r0, r1, wy, c0, c1, wx, tile, channel, centre, lo, hi, first_row,
               out):  # pragma: no cover
        h, w = out.shape
        wq = o.shape[1]
        n = tile.shape[0]
        f = w // wq if w % wq == 0 else 0  # a whole ratio: fixed weights, no gathers
        row_o = np.empty(wq + 2, np.float32)  # this output row's maps, lerped vertically
        row_k = np.empty(wq + 2, np.float32)  # (edges repeated on both sides)
        full_o = np.empty(w, np.float32)  # ... and horizontally
        full_k = np.empty(w, np.float32)
        weight = np.empty(max(f, 1), np.float32)
        side = np.empty(max(f, 1), np.int64)
        for p in range(f):  # output column f * j + p lerps with column j - 1 or j + 1
            offset = (p + 0.5) / f - 0.5
            weight[p] = abs(offset)
            side[p] = -1 if offset < 0 else 1
        dither = np.empty((n, w), np.float32)  # with the centre and rounding folded in
        for yy in range(n):
            for x in range(w):
                dither[yy, x] = tile[yy, x % n, channel] + centre + np.float32(0.5)
        for y in range(h):
            a, b, t = r0[y], r1[y], wy[y]
            for j in range(wq):
                row_o[j + 1] = o[a, j] + (o[b, j] - o[a, j]) * t
                row_k[j + 1] = k[a, j] + (k[b, j] - k[a, j]) * t
            row_o[0], row_k[0] = row_o[1], row_k[1]
            row_o[wq + 1], row_k[wq + 1] = row_o[wq], row_k[wq]
            if f:
                for p in range(f):
                    s, nb = weight[p], side[p]
                    for j in range(1, wq + 1):
                        full_o[f * (j - 1) + p] = row_o[j] + (row_o[j + nb] - row_o[j]) * s
                        full_k[f * (j - 1) + p] = row_k[j] + (row_k[j + nb] - row_k[j]) * s
            else:
                for x in range(w):
                    p, q, s = c0[x] + 1, c1[x] + 1, wx[x]
                    full_o[x] = row_o[p] + (row_o[q] - row_o[p]) * s
                    full_k[x] = row_k[p] + (row_k[q] - row_k[p]) * s
            d = dither[(first_row + y) % n]
            src = avg[y]
            dst = out[y]
            for x in range(w):
                v = full_o[x] + full_k[x] * (src[x] - centre) + d[x]
                dst[x] = min(max(v, lo), hi)
elif compiled.available:
    _prepare, _to_rgb16, _lead = compiled.yuv_prepare, compiled.yuv_to_rgb16, compiled.yuv_lead
    _maps, _apply = compiled.yuv_maps, compiled.yuv_apply
else:
    _prepare = _prepare_numpy
    _to_rgb16 = _to_rgb16_numpy
    _lead = _lead_numpy
    _maps = _maps_numpy
    _apply = _apply_numpy


def warm_up() -> None:
    """Compile (or load from numba's cache) the kernels."""
    if njit is None:
        return
    i420 = np.zeros((12, 8), np.uint8)
    for reduction in (2, 4):
        state, copy, _ = prepare(i420, None, 1.0, 1.0, reduction)
        finish(copy, copy, state, 1.0)
