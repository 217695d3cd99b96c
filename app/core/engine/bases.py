"""A photo's brightness planes and its edge-aware bases (see pipeline.band).

The brightness V = max(R, G, B), its despeckled copy (where a plan brightens enough to
need it) and the two self-guided filters' coefficients on reduced copies of it: the fine
base (1/2 size: a 9x9 window at full size for the cost of a 5x5) separates noise from
texture; the coarse one (1/8: about 40x40) smooths what 8-bit rounding and JPEG blocks left
in flat regions that are brightened a lot, where the fine window is narrower than one
rounding step. Bands need their context rows, and start on multiples of COARSE_SCALE; a
whole photo's planes and bases may be found once, ahead of its bands (:class:`Luma`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np

from app.core.engine import compiled, guided, pixel_rules, pixel_stage, resample
from app.core.engine.analysis import brightness

BASE_SCALE = 2
COARSE_SCALE = 8
BASE_RADIUS = 2
BASE_HALO = 4 * COARSE_SCALE * (BASE_RADIUS + 1)
BASE_EPS_SIGMAS = 2.0  # local variation under this many noise sigmas is treated as noise


class Plan(Protocol):
    """What of a pipeline.EnhancementPlan decides which planes and bases it renders with."""

    sigma: float
    reduction: int

    @property
    def despeckles(self) -> bool: ...


@dataclass(frozen=True)
class Luma:
    """A photo's brightness V and its despeckled copy (None where not despeckled) for a
    noise ``sigma``; ``bases``: where found ahead, the whole photo's fine and coarse base
    coefficients (see pipeline.band) on the copy a despeckling plan uses."""

    v: np.ndarray
    despeckled: np.ndarray | None
    sigma: float
    bases: tuple[np.ndarray, np.ndarray] | None = None

    def usable(self, plan: Plan) -> bool:
        """Whether these planes are the ones a plan renders with (the same noise; the
        despeckled copy there if the plan despeckles)."""
        return self.sigma == plan.sigma and (self.despeckled is not None or
                                             not plan.despeckles)

    def bases_for(self, plan: Plan) -> tuple[np.ndarray, np.ndarray] | None:
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
        bases = coefficients(target, base_scales(), eps)
    return Luma(v, target, sigma, bases)


_RING = np.array([[1, 1, 1], [1, 0, 1], [1, 1, 1]], np.uint8)


def despeckle_target(v: np.ndarray, sigma: float) -> np.ndarray:
    """Where the brightness goes where a pixel is brightened a lot (pixel_rules.despeckled
    and despeckle_pull): first into the range of its 8 neighbours, then towards the 3x3
    median by as much as the step looks like noise."""
    if v.size == 1:  # a one-pixel photo has no neighbours (their range would be empty)
        return v.copy()
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


def coefficients(v: np.ndarray, scales: tuple[tuple[int, int], ...], eps: float
                       ) -> tuple[np.ndarray, ...]:
    """For each (k, radius) of ``scales``, a self-guided filter's coefficients (2, h/k, w/k)
    on the 1/k copy of rows of the photo's brightness. A coarser copy is made from a finer
    one whose reduction divides its own (the 1/8 from the 1/2: a quarter of the reading)."""
    smalls: dict[int, np.ndarray] = {1: v}
    found = []
    for k, radius in scales:
        finer = max(j for j in smalls if k % j == 0)
        small = smalls[finer] if finer == k else block_means(smalls[finer], k // finer)
        smalls[k] = small
        found.append(guided.coefficients(small, small, radius, eps, stacked=True))
    return tuple(found)


def rows_for(ab: np.ndarray, k: int, h: int, w: int, lo: int, top: int, bottom: int
               ) -> pixel_stage.Rows:
    """:func:`_base_coefficients` of rows [lo, ...) of the photo, as the rows that output
    rows [top, bottom) need. ``lo`` is a multiple of k, so the copy is a slice of the whole
    photo's 1/k copy and bands are seamless."""
    blocks = -(-h // k)
    r0, r1, wy = resample.bilinear_taps(k * blocks, blocks, top, bottom)
    return widen(ab, k * ab.shape[2], r0 - lo // k, r1 - lo // k, wy, w)


def block_means(v: np.ndarray, k: int) -> np.ndarray:
    """Means of k x k blocks (edges replicated to whole blocks)."""
    h, w = v.shape
    pad_h, pad_w = -h % k, -w % k
    if pad_h or pad_w:
        v = np.pad(v, ((0, pad_h), (0, pad_w)), mode="edge")
    return cv2.resize(v, (v.shape[1] // k, v.shape[0] // k), interpolation=cv2.INTER_AREA)


def widen(low: np.ndarray, width: int, r0: np.ndarray, r1: np.ndarray, wy: np.ndarray,
           crop: int | None = None) -> pixel_stage.Rows:
    """The rows of ``low`` (C, h, w: planar) that taps r0/r1 use, widened to ``width``
    columns (bilinear, half-pixel centres), optionally cropped to ``crop`` columns; planar
    (one resize per channel, of its rows as they lie, straight into place)."""
    first, last = int(r0.min()), int(r1.max()) + 1
    rows, channels = last - first, low.shape[0]
    wide = np.empty((channels, rows, width), np.float32)
    for c in range(channels):
        cv2.resize(low[c, first:last], (width, rows), dst=wide[c],
                   interpolation=cv2.INTER_LINEAR)
    if crop is not None and crop < width:
        wide = np.ascontiguousarray(wide[:, :, :crop])
    return pixel_stage.Rows(wide, r0 - first, r1 - first, wy)
