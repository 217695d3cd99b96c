"""Exposure lock: land the output's mean brightness on the user's alpha.

The conditioned EFE net aims at alpha, but a purely local curve model under SGZ's spatial
consistency loss under-brightens very dark photos and over-brightens already bright ones. So
the engine predicts the result on an even grid of about SAMPLE_PIXELS real pixels (through the
n = 8 recurrence table) and shifts x_r by a global offset per channel, found by false position,
so that the mean brightness at the reference strength n = 8 equals alpha and the channel
imbalance (colour cast) stays what it was in the input instead of growing with the brightening.
The shift keeps x_r's spatial pattern (what the net learned) and stays inside SGZ's curve family
(x_r is clipped to [-1, 1]); other n then act as a gentler or stronger version of the exposure.
"""
from __future__ import annotations

import cv2
import numpy as np

from app.core.engine.recurrence import factor_to_table_row, level_table

REFERENCE_ITERATIONS = 8
SAMPLE_PIXELS = 6_000
# Share of the input's absolute channel imbalance kept: 1 would keep a cast exactly as strong
# as in the dark original; SGZ's grey-world colour loss pulls towards neutral, and so do we,
# gently, which also absorbs the error of predicting from samples.
CAST_KEEP = 0.9
_STEPS = 7  # false-position steps at most: converges to well below one level of brightness
_CONVERGED = 2e-4  # mean brightness error (0.05 of a level) at which the search stops early


def sample_grid(image: np.ndarray, max_value: float, count: int = SAMPLE_PIXELS
                ) -> tuple[np.ndarray, tuple[int, int]]:
    """About ``count`` real pixels on an even grid, float32 (gh, gw, 3) in [0, 1]."""
    h, w = image.shape[:2]
    k = min(1.0, (count / (h * w)) ** 0.5)
    gh, gw = max(1, round(h * k)), max(1, round(w * k))
    rows = np.minimum(((np.arange(gh) + 0.5) * h / gh).astype(np.intp), h - 1)
    cols = np.minimum(((np.arange(gw) + 0.5) * w / gw).astype(np.intp), w - 1)
    return image[rows][:, cols].astype(np.float32) * np.float32(1.0 / max_value), (gh, gw)


class _MeanPredictor:
    """Per-channel mean output (in [0, 1]) at n = 8 of the sampled pixels for x_r shifted by an
    offset per channel, looked up in the recurrence table. The table row is affine in x_r, so
    the rows of the unshifted map are computed once and each evaluation only adds and clips
    (one pass) before the lookup."""

    def __init__(self, levels: np.ndarray, x_r: np.ndarray):
        self.levels = levels  # (3, N) input levels 0..255 (fractional for 16-bit sources)
        self.rows = factor_to_table_row(x_r)
        self.buf = np.empty_like(self.rows)
        self.table = level_table(REFERENCE_ITERATIONS)
        self.last_row = np.float32(self.table.shape[0] - 1)
        # table rows per unit of x_r (the slope of the affine map)
        self.row_step = factor_to_table_row(np.float32(1.0)) - factor_to_table_row(np.float32(0.0))

    def __call__(self, offsets: np.ndarray) -> np.ndarray:
        np.add(self.rows, (offsets * self.row_step).astype(np.float32)[:, None], out=self.buf)
        np.clip(self.buf, 0.0, self.last_row, out=self.buf)  # x_r stays in [-1, 1]
        return self._lookup(self.buf)

    def at_row(self, row: float) -> np.ndarray:
        """Means with x_r = -1 (row 0, brightest) or +1 (last row, darkest) everywhere."""
        self.buf.fill(row)
        return self._lookup(self.buf)

    def _lookup(self, rows: np.ndarray) -> np.ndarray:
        out = cv2.remap(self.table, self.levels, rows, cv2.INTER_LINEAR,
                        borderMode=cv2.BORDER_REPLICATE)
        return out.sum(axis=1) / np.float32(255.0 * out.shape[1])


def exposure_offsets(pixels: np.ndarray, small: np.ndarray, target: float) -> np.ndarray:
    """Per-channel offsets d_c such that, at n = 8, the output's mean brightness is ``target``
    and each channel sits (CAST_KEEP times) as far from that mean as it did in the input, so
    brightening does not amplify a colour cast: the absolute imbalance is kept, not multiplied."""
    from app.core.engine.resample import upscale

    # channels as rows: remap works along long rows much faster than down 3-wide columns
    x = np.ascontiguousarray(pixels.reshape(-1, 3).T)
    r = np.ascontiguousarray(upscale(small, *pixels.shape[:2]).reshape(-1, 3).T)
    mean_after = _MeanPredictor(x * np.float32(255.0), r)
    deviation = CAST_KEEP * (x.mean(axis=1) - x.mean())
    # Where the curve cannot reach the target (photos that are mostly pure black, or white),
    # move all channels' goals together so the colour balance holds at the reachable limit.
    darkest = mean_after.at_row(mean_after.last_row)
    brightest = mean_after.at_row(0.0)
    common = np.clip(target, (darkest - deviation).max(), (brightest - deviation).min())
    goal = common + deviation
    # Illinois false position on g(d) = mean(d) - goal, which falls from g(-2) >= 0 to
    # g(2) <= 0 (offsets of +-2 saturate x_r at -+1): a few evaluations instead of ~14. The
    # three channels are solved side by side (one lookup per step), with plain floats: numpy's
    # per-call overhead on 3-element arrays cost as much as the lookups.
    goal = goal.tolist()
    lo, hi = [-2.0] * 3, [2.0] * 3
    g_lo = [b - t for b, t in zip(brightest.tolist(), goal)]
    g_hi = [b - t for b, t in zip(darkest.tolist(), goal)]
    last = [0] * 3  # which end moved last: +1 lo, -1 hi
    d = [0.0] * 3
    for _ in range(_STEPS):
        for c in range(3):
            span = g_lo[c] - g_hi[c]
            d[c] = (lo[c] + g_lo[c] * (hi[c] - lo[c]) / span if span > 1e-12
                    else 0.5 * (lo[c] + hi[c]))
        g = [m - t for m, t in zip(mean_after(np.array(d)).tolist(), goal)]
        if max(abs(v) for v in g) < _CONVERGED:
            break
        for c in range(3):
            if g[c] > 0:  # still too bright: the root lies between d and hi
                if last[c] == 1:  # Illinois: the same end moved twice, halve the other's value
                    g_hi[c] *= 0.5
                lo[c], g_lo[c], last[c] = d[c], g[c], 1
            else:
                if last[c] == -1:
                    g_lo[c] *= 0.5
                hi[c], g_hi[c], last[c] = d[c], g[c], -1
    return np.array(d, np.float32)
