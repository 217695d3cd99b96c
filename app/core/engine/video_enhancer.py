"""Video: the photo pipeline frame after frame, with what frames can share.

Frames are enhanced in their decoded 4:2:0 planes (:mod:`app.core.engine.yuv_frame`): the
photo pipeline runs on a reduced RGB copy (1/4 of a 1080p frame's size) and its result is
carried back to the full-size luma and half-size chroma as local affine maps, so the
per-pixel photo stage costs a sixteenth of what it would on the whole frame.

- Exposure per shot, not per frame. At the first frame and after each cut the exposure is
  solved as for a photo (noise, Auto or the user's target, the global stops); inside a shot
  the stops only drift towards each frame's own solution, and only by what lies beyond a
  dead band of DRIFT_DEAD_BAND stops, with a time constant of ADAPT_SECONDS, so a fade-in or
  a light switched on stays visible instead of being cancelled the way a camera's
  auto-exposure would.
- Cuts are found on the net's small copy by the correlation of its log brightness with
  the previous frame's: independent of the absolute level, so dark footage cuts are caught,
  and a light switched on (same scene, brighter) is not a cut.
- The factor map's linear model is smoothed over time with a motion-aware weight: where the
  small frame changed, the new map is taken at once, so it does not trail moving content.
- Temporal denoise: a recursive average of the planes where they are static (the difference
  to the average is within a few noise sigmas), the frame itself where something moved; kept
  in float so averaged dark levels do not posterise once brightened. The photo's spatial
  denoise still runs on top, so the Denoise control covers both.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from app.core.engine import exposure, guided, pipeline, resample, yuv_frame
from app.core.media.yuv import i420_to_rgb, rgb_to_i420
from app.core.settings import EnhanceSettings

ADAPT_SECONDS = 8.0  # time constant of the exposure's drift inside a shot: slow, so a light
# switched on or a fade stays visible (Auto would cancel most of it, as a camera's AE does)
DRIFT_DEAD_BAND = 1.0  # stops between the shot's exposure and a frame's own that are kept
CUT_CORRELATION = 0.5  # log-brightness correlation with the previous frame below this = cut
MAP_WEIGHT = 0.6  # share of the previous map kept where nothing moved
MAP_MOTION = 0.15  # change of small log brightness at which the old map is dropped
STATIC_WEIGHT = 0.2  # temporal denoise: share of a static pixel's new value (~9 frames)
MOTION_SIGMAS = 3.0  # a difference over this many noise sigmas is motion
SOLVE_EVERY = 4  # frames between exposure solves inside a shot
# frames between runs of the net inside a shot: the map is a linear model of the brightness,
# so a frame-old one still follows moving content's own brightness
NET_EVERY = 2
VIDEO_COLOUR_SCALE = 8


def log_brightness(v: np.ndarray) -> np.ndarray:
    return np.log(v + np.float32(1 / 255))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 1e-12 else 1.0


class VideoEnhancer:
    """Call :meth:`i420` with each decoded yuv420p frame of one clip, in order (or call the
    object with RGB frames); returns the enhanced frame in the same form."""

    def __init__(self, enhancer, settings: EnhanceSettings, fps: float,
                 temporal_denoise: bool = True, reduction: int | None = None):
        self.enhancer = enhancer
        self.s = settings.validated()
        self.reduction = reduction  # of the photo stage's copy; None: by the frame's size
        self.adapt = 1.0 / max(1.0, fps * ADAPT_SECONDS)
        self.temporal_denoise = temporal_denoise and self.s.denoise_strength > 0
        self.cuts = 0  # how many cuts were found (tests, logs)
        self._log_small: np.ndarray | None = None
        self._model: np.ndarray | None = None  # (h, w, 2) smoothed linear model of x_r
        self._shot: pipeline.EnhancementPlan | None = None  # the shot's first plan
        self._stops = 0.0
        self._noise = 0.0  # the shot's noise at full size, [0, 1] units
        self._frames_in_shot = 0
        self._moved: np.ndarray | None = None  # small frame's change since the net last ran
        self._state: yuv_frame.FrameState | None = None  # temporal denoise

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """An RGB uint8 frame (odd sizes are padded to 4:2:0's even ones and cropped back)."""
        h, w = rgb.shape[:2]
        if h % 2 or w % 2:
            rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        return i420_to_rgb(self.i420(rgb_to_i420(rgb)))[:h, :w]

    def i420(self, frame: np.ndarray) -> np.ndarray:
        """A (H * 3/2, W) yuv420p uint8 frame, enhanced."""
        h = frame.shape[0] * 2 // 3
        w = frame.shape[1]
        size = resample.low_res_size(h, w, self.s.scale)
        weight, limit = 1.0, 1.0
        if self.temporal_denoise and self._shot is not None:
            weight = 1.0 - (1.0 - STATIC_WEIGHT) * min(1.0, self.s.denoise_strength)
            limit = MOTION_SIGMAS * self._noise * 255.0
        if not self.temporal_denoise:
            self._state = None
        reduction = self.reduction or yuv_frame.reduction_for(h, w)
        use_numba = self.enhancer.use_numba
        # one thread throughout: decoding and x264 keep the other cores busy, and sharing
        # rows among threads cost a third more CPU time than it saved in wall time
        self._state, copy = yuv_frame.prepare(frame, self._state, limit, weight, reduction,
                                              use_numba)
        small = resample.downscale(copy, *size, 65535.0)
        log_small = log_brightness(pipeline.brightness(small))
        cut = (self._log_small is None or self._log_small.shape != log_small.shape or
               correlation(log_small, self._log_small) < CUT_CORRELATION)
        moved = None if cut else np.abs(log_small - self._log_small)
        self._log_small = log_small
        if cut and self._shot is not None:
            self.cuts += 1
            # the average starts again from this frame (blocks that happened to match the
            # last shot's were averaged with it above)
            self._state, copy = yuv_frame.prepare(frame, None, limit, weight, reduction,
                                                  use_numba)
        if cut:
            self._new_shot(frame, copy, reduction)
        else:
            self._follow(small, moved)
        plan = self._plan_for(copy, reduction)
        enhanced = pipeline.render(copy, plan, None, 1, use_numba)
        return yuv_frame.finish(copy, enhanced, self._state, self.s.denoise_strength,
                                use_numba)

    def _new_shot(self, frame: np.ndarray, copy: np.ndarray, reduction: int) -> None:
        """At the first frame and at each cut: the shot's plan, as for a photo."""
        # the full-size frame's noise (the reduced copy has much less), for Auto's cap as a
        # photo of this frame would get and for the motion threshold; RGB only at cuts
        self._noise = pipeline.measure(i420_to_rgb(frame)).sigma
        # a scale over the reduction keeps the net's input (the map's detail) the size it
        # would be for the full frame
        scale = max(1, round(self.s.scale / reduction))
        self._shot = self.enhancer.plan(copy, replace(self.s, scale=scale), threads=1,
                                        noise=self._noise)
        self._stops = self._shot.tone.stops
        self._model = np.dstack([self._shot.model_a, self._shot.model_b])
        self._frames_in_shot = 0
        self._moved = None

    def _follow(self, small: np.ndarray, moved: np.ndarray) -> None:
        """Inside a shot: this frame's map, blended with the last where nothing moved, and the
        exposure drifting slowly towards this frame's solution."""
        shot = self._shot
        self._frames_in_shot += 1
        v_small = pipeline.brightness(small)
        # motion since the net last ran (frames in between kept the older map)
        self._moved = moved if self._moved is None else np.maximum(self._moved, moved)
        if self._frames_in_shot % NET_EVERY == 0:
            moved, self._moved = self._moved, None
            x_r = self.enhancer.efe.factor(small, pipeline.net_exposure(shot.target), 1)
            a, b = guided.coefficients(v_small, np.ascontiguousarray(x_r.mean(axis=2)),
                                       pipeline.MODEL_RADIUS, pipeline.MODEL_EPS)
            keep = (MAP_WEIGHT * np.clip(1.0 - moved / MAP_MOTION, 0.0, 1.0))[:, :, None]
            self._model = (keep * self._model + (1 - keep) * np.dstack([a, b])
                           ).astype(np.float32)
        if self._frames_in_shot % SOLVE_EVERY:
            return  # the exposure drifts over seconds: solving every few frames is enough
        step = 2  # every other sample of the small frame (thousands) is plenty for a mean
        v_s, m_s = v_small[::step, ::step], small[::step, ::step].mean(axis=2)
        samples = exposure.Samples(np.ascontiguousarray(v_s), m_s)
        at_samples = self._model[::step, ::step, 0] * v_s + self._model[::step, ::step, 1]
        target = shot.target
        if self.s.auto_exposure:
            target = exposure.auto_target(float(small.mean()), self._noise)
        # the shot keeps its push of the local curve; the global stops follow the scene
        wanted, _, _ = exposure.solve_exposure(samples, np.clip(at_samples, -1, 1), target,
                                               shot.tone.black,
                                               explicit=not self.s.auto_exposure)
        # only what lies beyond the dead band is followed: a light switched on inside a shot
        # keeps its change (Auto alone would cancel most of it), a scene that changes a lot
        # (walking from a dark street into a lit hall) is still followed, slowly
        excess = np.sign(wanted - self._stops) * max(0.0, abs(wanted - self._stops) -
                                                     DRIFT_DEAD_BAND)
        self._stops += excess * min(1.0, self.adapt * SOLVE_EVERY)

    def _plan_for(self, copy: np.ndarray, reduction: int) -> pipeline.EnhancementPlan:
        shot = self._shot
        a, b = self._model[:, :, 0], self._model[:, :, 1]
        # neighbourhood colour at 1/8 of the frame (1/4 for photos): temporal denoise helps
        colour = pipeline.neighbourhood_colour(copy, shot.sigma,
                                               max(1, VIDEO_COLOUR_SCALE // reduction))
        return pipeline.EnhancementPlan(np.ascontiguousarray(a), np.ascontiguousarray(b),
                             replace(shot.tone, stops=self._stops), shot.target,
                             shot.reachable, shot.sigma,
                             shot.denoise, colour, shot.gain_small)
