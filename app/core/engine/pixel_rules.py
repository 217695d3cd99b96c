"""The per-pixel rules and the numba kernel that applies them (see pixel_stage for what the
stage does and why).

Each rule is a plain function of scalars or arrays (arithmetic and np.minimum / np.maximum
only): pixel_stage's numpy version calls them on whole bands, the numba kernel here inlines
compiled copies of them per pixel, and the video's tables (yuv_frame) read the luma and chroma
shares from them, so a tuning change is one edit. The kernel lives in this file with them
because numba's on-disk cache is keyed on the kernel's own file: a rule changed elsewhere
would leave a stale compiled kernel behind.

The kernel does it all without full-size temporaries (released GIL, rows shared among cores
by the caller), each row in three passes over row buffers: the first and last vectorised by
the compiler (maps planar, pixels read as flat rows, no zero-division checks, a branch-free
knee), the table reads between them scalar (LLVM does not gather on these CPUs: each pixel's
eight values come from one cell at fixed offsets). About 7 ns a pixel on one core.
"""
from __future__ import annotations

import types

import numpy as np

try:
    from numba import njit
except ImportError:  # optional: the numpy path is used instead
    njit = None

available = njit is not None
LUMA_STOPS = 4.0
LUMA_SHRINK = 0.95
SHRINK_CAP = 0.95  # some of the detail always stays: a fully flattened region looks waxy
CHROMA_STOPS = 4.0
DEBAND_STOPS = (3.0, 5.0)
DEBAND_SLACK = (1.0, 1.0 / 255)  # noise sigmas, plus a level
# Where a pixel takes its region's colour, it takes the chromaticity, at its own denoised
# brightness less the upward bias of a max of three noisy channels (the photo's own, in
# noise sigmas, measured by analysis.channel_bias, where the channels are alike; none where
# one leads by BIAS_SPREAD sigmas): a grey noisy wall keeps its level, a near-black one is
# not lifted to grey. Taking the region's brightness instead (within 1.5 sigmas of the
# pixel's) let the blurry region model erase what the luma denoise had kept: an air
# conditioner on a noisy wall faded into it (LOL 15, LOL-v2 705).
MAX_CHANNEL_BIAS = 0.85  # E[max of three independent N(0, 1)] = 0.846
BIAS_SPREAD = 2.0
# Isolated outliers (hot pixels, JPEG's ringing in a night sky) and the finest grain pass the
# Wiener shrink as "detail" and become speckles once brightened 4-5 stops (sheet dicm/27):
# from DESPECKLE_STOPS[0] stops of gain up the brightness moves to pipeline's
# despeckle_target (outliers into their neighbours' range, grain to the 3x3 median), fully
# from the second. On the real pairs: LOL-v1 SSIM +0.05, LOL-v2 +0.08, SICE equal, detail
# kept 0.91 / 1.03 / 1.13 (a plain 3x3 median: the same SSIM, detail 0.87 and thin lines
# erased; the neighbours' range alone: +0.03 / +0.06, and LOL 15's wall kept its specks).
DESPECKLE_STOPS = (2.0, 4.0)
DESPECKLE_SIGMAS = 3.0  # see despeckle_pull
DETAIL_SIGMAS = 4.0  # detail this many noise sigmas tall is shrunk half as much as noise
ILLUMINATION_SLACK = (0.02, 2.0)  # share of the fine base, noise sigmas
BLACK_SIGMAS = 6.0
KNEE = 0.9
KNEE_GAIN = 4.0  # the knee starts at KNEE from a gain of 1.25 up, at white for a gain of 1
DITHER_TILE = 64
BLACK_COLOUR = (3.0 / 255, 16.0 / 255)  # smooth brightness from no colour to all of it


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


def despeckled(v, target, stops, denoise):
    """The brightness moved towards its despeckled ``target`` as the gain grows."""
    weight = (_unit((stops - np.float32(DESPECKLE_STOPS[0])) *
                    np.float32(1 / (DESPECKLE_STOPS[1] - DESPECKLE_STOPS[0]))) *
              np.minimum(np.float32(1.0), denoise))
    return v + (target - v) * weight


def despeckle_pull(bounded, median, noise2):
    """The despeckled brightness: a pixel already clipped into its 8 neighbours' range
    (``bounded``: an isolated outlier, a hot pixel or a speck of JPEG ringing, comes down to
    them; an edge or a thin line, whose own neighbours are as bright, does not), then moved
    towards the 3x3 median by as much as the step looks like noise (a Wiener weight; ``noise2``
    the square of DESPECKLE_SIGMAS noise sigmas: grain goes, a line or texture taller than
    that stays)."""
    step = median - bounded
    return bounded + step * (noise2 / (step * step + noise2))


def despeckle_noise2(sigma):
    """``noise2`` of :func:`despeckle_pull` for a photo's noise sigma."""
    return float(max(DESPECKLE_SIGMAS * sigma, 1e-4) ** 2)


def detail_kept(detail, shrink, sigma):
    """The share of the detail kept: the gain-guided shrink, applied in full to detail at
    the noise's amplitude and hardly to detail well above it (a Wiener-like soft threshold
    at DETAIL_SIGMAS noise sigmas), so texture and edges stay while noise goes."""
    noise = np.maximum(np.float32(DETAIL_SIGMAS) * sigma, np.float32(1e-4))
    noise2 = noise * noise
    return np.float32(1.0) - shrink * noise2 / (detail * detail + noise2)


def toward_white(channel, peak, white):
    """A channel moved ``white`` of the way to the pixel's largest (see
    exposure.white_share): over-exposed colours go pale instead of staying saturated."""
    return channel + (peak - channel) * white


def channel_bias(q0, q1, q2, sigma, bias):
    """The upward bias of the max of three noisy channels whose means are q0, q1, q2
    (``bias``: the photo's, in noise sigmas, where the channels are alike)."""
    hi = np.maximum(np.maximum(q0, q1), q2)
    lo = np.minimum(np.minimum(q0, q1), q2)
    lead = hi - (q0 + q1 + q2 - hi - lo)  # how far the largest leads the middle one
    return (bias * sigma *
            _unit(np.float32(1.0) - lead / (np.float32(BIAS_SPREAD) * sigma +
                                            np.float32(1e-6))))


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


if available:

    _inline = njit(nogil=True, fastmath=True, error_model="numpy", inline="always")
    # the rules compiled for one pixel: their helpers resolve to compiled copies too
    _compiled_helpers = {**globals(), "_unit": _inline(_unit), "soft_tanh": _inline(soft_tanh)}

    def _compiled(rule):
        return _inline(types.FunctionType(rule.__code__, _compiled_helpers, rule.__name__))

    def _njit_strict(rule):
        """A rule compiled without fastmath: IEEE division, no fused multiply-adds, so it
        gives the numpy version's numbers exactly."""
        return njit(nogil=True, inline="always")(
            types.FunctionType(rule.__code__, _compiled_helpers, rule.__name__))

    _illumination = _compiled(illumination)
    _colour_trust = _compiled(colour_trust)
    _luma_shrink = _compiled(luma_shrink)
    _colour_mix = _compiled(colour_mix)
    _deband = _compiled(deband)
    _despeckled = _compiled(despeckled)
    _detail_kept = _compiled(detail_kept)
    _knee_scale = _compiled(knee_scale)
    _toward_white = _compiled(toward_white)
    _channel_bias = _compiled(channel_bias)
    _despeckle_pull = _njit_strict(despeckle_pull)
    # log2 from the float's bits, within a float32 rounding of the library's (tested there).
    # numba's cache of the kernel is keyed on this file: a change to it must come with one
    # here (or a cleared cache)
    from app.core.engine.search_kernels import _log2

    # fastmath without reassociation, reciprocals or contraction: min/max vectorise, and
    # the numbers are despeckle_target's exactly
    @njit(cache=True, nogil=True, fastmath={"nnan", "ninf", "nsz"}, error_model="numpy")
    def luma_planes(rgb, scale, noise2, despeckle, v, target):  # pragma: no cover - compiled
        """V = max(R, G, B) * scale into ``v`` and, if ``despeckle``, its despeckled copy
        into ``target`` (bases.despeckle_target's numbers: out-of-image neighbours ignored
        by the range, replicated by the median), in two passes with no temporaries."""
        h, w = v.shape
        pixels = rgb.reshape(h, 3 * w)  # see the kernel's pass 3
        for y in range(h):
            px = pixels[y]
            row = v[y]
            for x in range(w):
                row[x] = np.float32(max(max(px[3 * x], px[3 * x + 1]), px[3 * x + 2])) * scale
        if not despeckle:
            return
        # each column of three sorted once, for the three windows that share it
        low = np.empty(w, np.float32)
        middle = np.empty(w, np.float32)
        high = np.empty(w, np.float32)
        for y in range(1, h - 1):
            up, mid, down, out = v[y - 1], v[y], v[y + 1], target[y]
            for x in range(w):
                a, b = min(up[x], mid[x]), max(up[x], mid[x])
                low[x] = min(a, down[x])
                c = max(a, down[x])
                middle[x], high[x] = min(b, c), max(b, c)
            # x is the left neighbour: indices that cannot be negative let the loop vectorise
            for x in range(w - 2):
                # the median of 9 from sorted columns: the median of (the largest of their
                # lows, the median of their middles, the smallest of their highs), as the
                # last ten exchanges of Paeth's network find it (min/max only, so the
                # compiler vectorises along the row); the 8 neighbours' range: the side
                # columns' and the pixels above and below
                median = _median3(max(max(low[x], low[x + 1]), low[x + 2]),
                                  _median3(middle[x], middle[x + 1], middle[x + 2]),
                                  min(min(high[x], high[x + 1]), high[x + 2]))
                lo = min(min(low[x], low[x + 2]), min(up[x + 1], down[x + 1]))
                hi = max(max(high[x], high[x + 2]), max(up[x + 1], down[x + 1]))
                out[x + 1] = _despeckle_pull(min(max(mid[x + 1], lo), hi), median, noise2)
        for y in range(h):  # the photo's edges
            inner = 0 < y < h - 1
            for x in range(0, w, max(1, w - 1) if inner else 1):
                target[y, x] = _edge_pixel(v, y, x, noise2)

    @njit(nogil=True)
    def _edge_pixel(v, y, x, noise2):  # pragma: no cover - compiled
        """luma_planes at the photo's edge: the range over the neighbours inside it, the
        median over replicated ones (as OpenCV's erode, dilate and medianBlur)."""
        h, w = v.shape
        lo, hi = np.float32(np.inf), np.float32(-np.inf)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                yy, xx = y + dy, x + dx
                if (dy or dx) and 0 <= yy < h and 0 <= xx < w:
                    lo, hi = min(lo, v[yy, xx]), max(hi, v[yy, xx])
        if lo > hi:  # a one-pixel photo: nothing to despeckle against
            return v[y, x]
        r0, r1, r2 = v[max(y - 1, 0)], v[y], v[min(y + 1, h - 1)]
        x0, x2 = max(x - 1, 0), min(x + 1, w - 1)
        return _despeckle_pull(min(max(r1[x], lo), hi), _median9(
            r0[x0], r0[x], r0[x2], r1[x0], r1[x], r1[x2], r2[x0], r2[x], r2[x2]), noise2)

    @njit(inline="always")
    def _sort2(a, b):  # pragma: no cover - compiled
        return min(a, b), max(a, b)

    @njit(inline="always")
    def _median3(a, b, c):  # pragma: no cover - compiled
        return max(min(a, b), min(max(a, b), c))

    @njit(inline="always")
    def _median9(p0, p1, p2, p3, p4, p5, p6, p7, p8):  # pragma: no cover - compiled
        """The median of nine values (Paeth's 19-exchange network)."""
        p1, p2 = _sort2(p1, p2)
        p4, p5 = _sort2(p4, p5)
        p7, p8 = _sort2(p7, p8)
        p0, p1 = _sort2(p0, p1)
        p3, p4 = _sort2(p3, p4)
        p6, p7 = _sort2(p6, p7)
        p1, p2 = _sort2(p1, p2)
        p4, p5 = _sort2(p4, p5)
        p7, p8 = _sort2(p7, p8)
        p0, p3 = _sort2(p0, p3)
        p5, p8 = _sort2(p5, p8)
        p4, p7 = _sort2(p4, p7)
        p3, p6 = _sort2(p3, p6)
        p1, p4 = _sort2(p1, p4)
        p2, p5 = _sort2(p2, p5)
        p4, p7 = _sort2(p4, p7)
        p4, p2 = _sort2(p4, p2)
        p6, p4 = _sort2(p6, p4)
        p4, p2 = _sort2(p4, p2)
        return p4

    # error_model="numpy": no zero-division checks (the divisors are clamped above zero),
    # whose branches kept the loops from vectorising; each row runs in passes that do
    @njit(cache=True, nogil=True, fastmath=True, error_model="numpy")
    def kernel(rgb, v, v_despeckled, bw, br0, br1, bwy, sw, sr0, sr1, swy, mw, mr0, mr1, mwy,
                cw, cr0, cr1, cwy,
                table, sigma, bias, gains, denoise, first_row, dither, top,
                out):  # pragma: no cover - compiled
        """``table``: the gain and the white share, each cell's four corners side by side
        (pixel_stage.corner_table); ``dither``: (DITHER_TILE, 3, w) the dither's rows,
        planar (pixel_stage.dither_rows: zeros where none)."""
        h, w = v.shape
        nf, nl = table.shape[0], table.shape[1]  # cells: one fewer than the samples
        corners = table.reshape(table.size)
        last_cell = np.uint32(table.size - 8)
        flat_rgb, flat_out = rgb.reshape(h, 3 * w), out.reshape(h, 3 * w)  # contiguous
        half_nf = np.float32(0.5 * nf)
        one = np.float32(1.0)
        zero = np.float32(0.0)
        tiny = np.float32(1e-6)
        gr, gg, gb = gains[0], gains[1], gains[2]
        # one row's intermediate values between the passes
        base = np.empty(w, np.float32)
        light = np.empty(w, np.float32)
        cell = np.empty(w, np.int32)
        t_col = np.empty(w, np.float32)
        t_row = np.empty(w, np.float32)
        gain = np.empty(w, np.float32)
        stops = np.empty(w, np.float32)
        whites = np.empty(w, np.float32)
        red = np.empty(w, np.float32)
        green = np.empty(w, np.float32)
        blue = np.empty(w, np.float32)
        for y in range(h):
            vrow = v[y]
            vdrow = v_despeckled[y]
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
                cell[x] = (r0 * nl + c0) * np.int32(8)
                t_col[x] = fc - c0
                t_row[x] = fr - r0
            # pass 2: the gain and the white share from the table (a scalar loop: LLVM does
            # not gather on these CPUs), each pixel's eight values from one 32-byte cell at
            # constant offsets (unsigned: no wrap-around of negative indices); then the
            # gain's log2 computed, not read (a third fewer loads; in pass 3's loop it kept
            # that loop from vectorising)
            for x in range(w):
                # within the table whatever the maps held: a NaN's integer is the most
                # negative one, and a read outside the table could crash the app
                i, tc, tr = min(np.uint32(cell[x]), last_cell), t_col[x], t_row[x]
                g0 = corners[i] + (corners[i + 1] - corners[i]) * tc
                g1 = corners[i + 2] + (corners[i + 3] - corners[i + 2]) * tc
                gain[x] = g0 + (g1 - g0) * tr
                w0 = corners[i + 4] + (corners[i + 5] - corners[i + 4]) * tc
                w1 = corners[i + 6] + (corners[i + 7] - corners[i + 6]) * tc
                whites[x] = w0 + (w1 - w0) * tr
            for x in range(w):
                stops[x] = _log2(gain[x])
            # pass 3: denoise, colour, knee, dither
            ca0, ca1, cd0, cd1 = cw[0, cr0[y]], cw[0, cr1[y]], cw[3, cr0[y]], cw[3, cr1[y]]
            cb0, cb1, ce0, ce1 = cw[1, cr0[y]], cw[1, cr1[y]], cw[4, cr0[y]], cw[4, cr1[y]]
            cc0, cc1, cf0, cf1 = cw[2, cr0[y]], cw[2, cr1[y]], cw[5, cr0[y]], cw[5, cr1[y]]
            kt = cwy[y]
            # the channels read from (and at the end written to) a flat row at 3x, 3x + 1,
            # 3x + 2: read as [x, c] of the 3-D array the two loops took 1 ms of a 1200x900
            # band's 4.6, flat 0.3 (the compiler then vectorises the interleaving)
            pixels = flat_rgb[y]
            for x in range(w):
                red[x] = np.float32(pixels[3 * x])
                green[x] = np.float32(pixels[3 * x + 1])
                blue[x] = np.float32(pixels[3 * x + 2])
            trow = dither[(first_row + y) % DITHER_TILE]
            d0, d1, d2 = trow[0], trow[1], trow[2]
            for x in range(w):
                vv, bb, ll, g, lg = vrow[x], base[x], light[x], gain[x], stops[x]
                sm = _deband(bb, ll, lg, sigma, denoise)
                dd = _despeckled(vv, vdrow[x], lg, denoise) - sm
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
                ratio = max(lum - _channel_bias(q0, q1, q2, sigma, bias), zero) / (qp + tiny)
                own = lum / (top * max(vv, tiny))
                p0 = red[x] * own
                p1 = green[x] * own
                p2 = blue[x] * own
                p0 = (p0 + ((q0 + tiny) * ratio - p0) * mix) * g
                p1 = (p1 + ((q1 + tiny) * ratio - p1) * mix) * g
                p2 = (p2 + ((q2 + tiny) * ratio - p2) * mix) * g
                p0, p1, p2 = p0 * gr, p1 * gg, p2 * gb  # the white balance (1, 1, 1 if off)
                peak = max(max(p0, p1), p2)
                wh = whites[x]
                p0 = _toward_white(p0, peak, wh)
                p1 = _toward_white(p1, peak, wh)
                p2 = _toward_white(p2, peak, wh)
                scale = top * _knee_scale(peak, g)
                red[x] = min(max(p0 * scale + np.float32(0.5) + d0[x], zero), top)
                green[x] = min(max(p1 * scale + np.float32(0.5) + d1[x], zero), top)
                blue[x] = min(max(p2 * scale + np.float32(0.5) + d2[x], zero), top)
            dst = flat_out[y]
            for x in range(w):
                dst[3 * x] = red[x]
                dst[3 * x + 1] = green[x]
                dst[3 * x + 2] = blue[x]
