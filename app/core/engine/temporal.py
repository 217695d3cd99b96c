"""Video: the photo pipeline frame after frame, with what frames can share.

- Exposure per shot, not per frame. At the first frame and after each cut the exposure is
  solved as for a photo (noise, Auto or the user's target, the global stops); inside a shot
  the stops only drift towards each frame's own solution with a time constant of
  ADAPT_SECONDS, so a fade-in or a light switched on stays visible instead of being cancelled
  the way a camera's auto-exposure would.
- Cuts are found on the net's small copy by the correlation of its log brightness with the
  previous frame's: independent of the absolute level, so dark footage cuts are caught, and a
  light switched on (same scene, brighter) is not a cut.
- The factor map's linear model is smoothed over time with a motion-aware weight: where the
  small frame changed, the new map is taken at once, so it does not trail moving content.
- Temporal denoise: a recursive average of the input where it is static (the difference to
  the average is within a few noise sigmas), the frame itself where something moved; kept in
  16-bit so averaged dark levels do not posterise once brightened. The photo's spatial
  denoise still runs on top, so the Denoise control covers both.
"""
from __future__ import annotations

import numpy as np

from app.core.engine import exposure, guided, parallel, pipeline, resample
from app.core.settings import EnhanceSettings

try:
    from numba import njit
except ImportError:
    njit = None

ADAPT_SECONDS = 4.0  # time constant of the exposure's drift inside a shot
CUT_CORRELATION = 0.5  # log-brightness correlation with the previous frame below this = cut
MAP_WEIGHT = 0.6  # share of the previous map kept where nothing moved
MAP_MOTION = 0.15  # change of small log brightness at which the old map is dropped
STATIC_WEIGHT = 0.2  # temporal denoise: share of a static pixel's new value (~9 frames)
MOTION_SIGMAS = 3.0  # a difference over this many noise sigmas is motion
SOLVE_EVERY = 4  # frames between exposure solves inside a shot
VIDEO_COLOUR_SCALE = 8  # neighbourhood colour at 1/8 (1/4 for photos): temporal denoise helps


def log_brightness(small: np.ndarray) -> np.ndarray:
    return np.log(pipeline.brightness(small) + np.float32(1 / 255))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 1e-12 else 1.0


class VideoEnhancer:
    """Call with each RGB uint8 frame of one clip, in order; returns the enhanced frame."""

    def __init__(self, enhancer, settings: EnhanceSettings, fps: float,
                 temporal_denoise: bool = True):
        self.enhancer = enhancer
        self.s = settings.validated()
        self.adapt = 1.0 / max(1.0, fps * ADAPT_SECONDS)
        self.temporal_denoise = temporal_denoise and self.s.denoise_strength > 0
        self.cuts = 0  # how many cuts were found (tests, logs)
        self._log_small: np.ndarray | None = None
        self._model: np.ndarray | None = None  # (h, w, 2) smoothed linear model of x_r
        self._shot: pipeline.Plan | None = None  # the shot's first plan (exposure, noise)
        self._stops = 0.0
        self._frames_in_shot = 0
        self._average: np.ndarray | None = None  # temporal denoise state, float32

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        small = resample.downscale(rgb, *resample.low_res_size(h, w, self.s.scale), 255.0)
        log_small = log_brightness(small)
        cut = (self._log_small is None or self._log_small.shape != log_small.shape or
               correlation(log_small, self._log_small) < CUT_CORRELATION)
        if cut:
            self.cuts += self._log_small is not None
            self._shot = self.enhancer.plan(rgb, self.s, threads=1)
            self._stops = self._shot.stops
            self._model = np.dstack([self._shot.model_a, self._shot.model_b])
            self._average = None
            self._frames_in_shot = 0
        else:
            self._follow(rgb, small, log_small)
        self._log_small = log_small
        frame = self._denoised(rgb)
        plan = self._plan_for(rgb)
        # every core: the per-pixel stage costs 2-3x decoding and encoding a frame together,
        # so the decode and encode threads leave the other core mostly idle
        out = pipeline.render(frame, plan, None, parallel.CORES, self.enhancer.use_numba)
        if out.dtype != np.uint8:
            out = ((out.astype(np.uint32) + 128) // 257).astype(np.uint8)
        return out

    def _follow(self, rgb: np.ndarray, small: np.ndarray, log_small: np.ndarray) -> None:
        """Inside a shot: this frame's map, blended with the last where nothing moved, and the
        exposure drifting slowly towards this frame's solution."""
        shot = self._shot
        x_r = self.enhancer.efe.factor(small, pipeline.net_exposure(shot.target), 1)
        v_small = pipeline.brightness(small)
        a, b = guided.coefficients(v_small, np.ascontiguousarray(x_r.mean(axis=2)),
                                   pipeline.MODEL_RADIUS, pipeline.MODEL_EPS)
        moved = np.abs(log_small - self._log_small)
        keep = (MAP_WEIGHT * np.clip(1.0 - moved / MAP_MOTION, 0.0, 1.0))[:, :, None]
        self._model = (keep * self._model + (1 - keep) * np.dstack([a, b])).astype(np.float32)
        self._frames_in_shot += 1
        if self._frames_in_shot % SOLVE_EVERY:
            return  # the exposure drifts over seconds: solving every few frames is enough
        step = 2  # every other sample of the small frame (thousands) is plenty for a mean
        v_s, m_s = v_small[::step, ::step], small[::step, ::step].mean(axis=2)
        samples = exposure.Samples(np.ascontiguousarray(v_s), m_s)
        at_samples = self._model[::step, ::step, 0] * v_s + self._model[::step, ::step, 1]
        target = shot.target
        if self.s.auto_exposure:
            target = exposure.auto_target(float(small.mean()), shot.sigma)
        wanted = exposure.solve_stops(samples, np.clip(at_samples, -1, 1), target)
        self._stops += (wanted - self._stops) * min(1.0, self.adapt * SOLVE_EVERY)

    def _plan_for(self, rgb: np.ndarray) -> pipeline.Plan:
        shot = self._shot
        a, b = self._model[:, :, 0], self._model[:, :, 1]
        return pipeline.Plan(np.ascontiguousarray(a), np.ascontiguousarray(b), self._stops,
                             shot.exponent, shot.fade, shot.target, shot.sigma,
                             shot.denoise,
                             pipeline.neighbourhood_colour(rgb, shot.sigma, VIDEO_COLOUR_SCALE),
                             shot.gain_small)

    def _denoised(self, rgb: np.ndarray) -> np.ndarray:
        """The frame with static regions averaged over time, as uint16 (or as it is)."""
        if not self.temporal_denoise:
            return rgb
        if self._average is None or self._average.shape != rgb.shape:
            self._average = rgb.astype(np.float32)
        else:
            limit = np.float32(MOTION_SIGMAS * self._shot.sigma * 255.0)
            weight = np.float32(1.0 - (1.0 - STATIC_WEIGHT) * min(1.0, self.s.denoise_strength))
            _average_static(rgb, self._average, limit, weight)
        return (self._average * np.float32(257.0) + np.float32(0.5)).astype(np.uint16)


def _average_static_numpy(rgb, average, limit, weight) -> None:
    frame = rgb.astype(np.float32)
    diff = np.abs(frame - average).max(axis=2, keepdims=True)
    # weight for static pixels, 1 (take the frame) where the difference says motion
    w = np.clip(weight + (diff - limit) / limit, weight, 1.0)
    average += (frame - average) * w


if njit is not None:

    @njit(cache=True, nogil=True, fastmath=True)
    def _average_static(rgb, average, limit, weight):  # pragma: no cover - compiled
        h, w, _ = rgb.shape
        inv = np.float32(1.0) / limit
        for y in range(h):
            for x in range(w):
                d = np.float32(0.0)
                for c in range(3):
                    d = max(d, abs(np.float32(rgb[y, x, c]) - average[y, x, c]))
                k = min(max(weight + (d - limit) * inv, weight), np.float32(1.0))
                for c in range(3):
                    average[y, x, c] += (np.float32(rgb[y, x, c]) - average[y, x, c]) * k
else:
    _average_static = _average_static_numpy
