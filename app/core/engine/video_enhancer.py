"""Video: the photo pipeline frame after frame, with what frames can share.

Frames are enhanced in their decoded 4:2:0 planes (:mod:`app.core.engine.yuv_frame`): the
photo pipeline runs on a reduced RGB copy (1/4 of a 1080p frame's size) and its result is
carried back to the full-size luma and half-size chroma as local affine maps, so the
per-pixel photo stage costs a sixteenth of what it would on the whole frame.

- Shots and the light (:class:`ShotTracker`, on a small copy of the decoded luma only, so a
  split video's warm-up can replay it without enhancing): a cut is a frame whose log
  brightness correlates poorly with the previous one's (independent of the level, so dark
  footage cuts are caught, and a light switched on is not a cut); inside a shot the change of
  the light itself is the mean log-ratio (of the middle half) of the frame to the previous
  one aligned on it (phase correlation), so a pan to a darker part of the scene is content,
  not light.
- Exposure: at each cut it is solved as for a photo (noise, Auto or the user's target, the
  global stops). Inside a shot it follows the scene's own solution, solved every SOLVE_EVERY
  frames, smoothed with a time constant of
  FOLLOW_SECONDS (a pan's end reaches its own exposure within 2-3 s; noise between solves
  does not pump). The target is raised by LIGHT_KEPT of the light's own change since the
  shot began (a fade or a light switched on stays visible, where a camera's auto-exposure
  cancels it; that memory fades over LIGHT_MEMORY_SECONDS), and where the light changed
  the exposure moves at once rather than settling.
- The factor map's linear model is smoothed over time with a motion-aware weight: where the
  small frame changed, the new map is taken at once, so it does not trail moving content.
- Temporal denoise: a recursive average of the planes where they are static (the difference
  to the average is within a few noise sigmas), the frame itself where something moved; kept
  in float so averaged dark levels do not posterise once brightened. The photo's spatial
  denoise still runs on top, so the Denoise control covers both.

Everything but the shot's plan (taken at its first frame) forgets within a few seconds, so
:meth:`VideoEnhancer.resume` rebuilds the state at any frame from the shot's first frame, the
tracker's state and a few seconds of frames (split videos, the window's paused frame).
"""
from __future__ import annotations

import copy as _copy
import math
from dataclasses import replace

import cv2
import numpy as np

from app.core.engine import analysis, exposure, pipeline, pixel_rules, resample, yuv_frame
from app.core.media.yuv import i420_to_rgb, rgb_to_i420
from app.core.settings import EnhanceSettings

FOLLOW_SECONDS = 0.6  # time constant of the exposure following the scene inside a shot
LIGHT_KEPT = 0.7  # share of the light's own change (a fade, a lamp) the exposure keeps
LIGHT_MEMORY_SECONDS = 30.0  # ... fading over this long (a sunset is followed in the end)
CUT_CORRELATION = 0.5  # log-brightness correlation with the previous frame below this = cut
TRACK_ROWS = 96  # the tracker's copy of the luma: about this many rows
TRACK_FLOOR = 6.0 / 255  # darker pixels (the offset and noise bend their ratio) are not read
LIGHT_JUMP = 0.5  # stops of the light's change between solves that the exposure takes at once
MAX_SHIFT = 0.25  # share of the frame a pan may move between two frames and still be aligned
MAP_WEIGHT = 0.6  # share of the previous map kept where nothing moved
MAP_MOTION = 0.15  # change of small log brightness at which the old map is dropped
STATIC_WEIGHT = 0.2  # temporal denoise: share of a static pixel's new value (~9 frames)
MOTION_SIGMAS = 3.0  # a difference over this many noise sigmas is motion
SOLVE_EVERY = 4  # frames between exposure solves inside a shot
# frames between runs of the net inside a shot: the map is a linear model of the brightness,
# so a frame-old one still follows moving content's own brightness
NET_EVERY = 2
# the neighbourhood colour at 1/8 of the frame (a photo's is at 1/4: at 1/8 of a 1080p frame
# it costs 3 ms a frame, at 1/4 15), in a window the size of the photo's on the frame (3x3
# at 1/8, 7x7 at 1/4: 24 and 28 pixels): the photo's 7x7 at 1/8 bled colour into neighbours
VIDEO_COLOUR_SCALE = 8
VIDEO_COLOUR_RADIUS = max(1, round(((2 * analysis.COLOUR_RADIUS + 1) * analysis.COLOUR_SCALE /
                                    VIDEO_COLOUR_SCALE - 1) / 2))
SETTLE_SECONDS = 4.0  # after this long and SETTLE_FRAMES, the state (but the shot's plan)
SETTLE_FRAMES = 30  # no longer depends on the frames before: 6.7 time constants of the
# exposure; the temporal denoise keeps 0.8 of the past a frame (0.8^30 = 0.1%)


_NO_COLOUR = np.zeros((1, 1, 6), np.float32)  # the shot's plan: each frame fits its own


def log_brightness(v: np.ndarray) -> np.ndarray:
    return np.log(v + np.float32(1 / 255))


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    den = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum()) / den if den > 1e-12 else 1.0


def as_i420(rgb: np.ndarray) -> np.ndarray:
    """An RGB uint8 frame as the engine's yuv420p array (odd sizes padded with their edge)."""
    h, w = rgb.shape[:2]
    if h % 2 or w % 2:
        rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
    return rgb_to_i420(rgb)


class ShotTracker:
    """Cuts, and the light's own change inside the shot, from each frame's luma alone (cheap:
    a warm-up can run it over a minute of frames it does not enhance). ``frames``: frames
    since the shot's first; ``light``: the light's change since then in stops (fading)."""

    def __init__(self, fps: float):
        self.leak = 1.0 / max(1.0, fps * LIGHT_MEMORY_SECONDS)
        self.prev: np.ndarray | None = None  # log2 luma of the last frame, small
        self.light = 0.0
        self.frames = 0

    def copy(self) -> ShotTracker:
        return _copy.deepcopy(self)

    def update(self, i420: np.ndarray) -> bool:
        """Take the next frame; True if it starts a shot."""
        h = i420.shape[0] * 2 // 3
        w = i420.shape[1]
        k = max(1, round(h / TRACK_ROWS))
        th, tw = max(1, h // k), max(1, w // k)
        # whole k x k blocks (OpenCV's fast path), in float: 8-bit rounding of the average
        # would hide a slow fade's 1% a frame
        luma = cv2.resize(i420[:min(h, th * k), :min(w, tw * k)].astype(np.float32), (tw, th),
                          interpolation=cv2.INTER_AREA)
        linear = np.maximum(luma - np.float32(yuv_frame.LUMA_BLACK), 0) * np.float32(
            1 / (yuv_frame.LUMA_WHITE - yuv_frame.LUMA_BLACK))
        log = np.log2(linear + np.float32(1 / 255))
        prev, self.prev = self.prev, log
        if prev is None or prev.shape != log.shape or correlation(log, prev) < CUT_CORRELATION:
            self.light, self.frames = 0.0, 0
            return True
        self.light = self.light * (1.0 - self.leak) + light_change(prev, log)
        self.frames += 1
        return False


def light_change(prev: np.ndarray, log: np.ndarray) -> float:
    """Stops by which the light changed between two log2 luma copies: the log-ratio of the
    pixels they share once ``prev`` is moved onto ``log`` (a pan or a shake is content)."""
    h, w = log.shape
    floor = np.float32(np.log2(TRACK_FLOOR + 1 / 255))
    dx = dy = 0.0
    if min(h, w) >= 8:
        window = cv2.createHanningWindow((w, h), cv2.CV_32F)
        (dx, dy), _ = cv2.phaseCorrelate(prev, log, window)
        if abs(dx) > MAX_SHIFT * w or abs(dy) > MAX_SHIFT * h:
            return 0.0  # no trustworthy alignment: read no change of light
        # each moved half way: both interpolated alike (interpolating one alone smooths its
        # noise, and the median of the ratio then drifts on a static scene)
        prev, log = (cv2.warpAffine(img, np.float32([[1, 0, k * dx], [0, 1, k * dy]]), (w, h),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                     for img, k in ((prev, 0.5), (log, -0.5)))
    mx, my = math.ceil(abs(dx)) + 1, math.ceil(abs(dy)) + 1
    a, b = prev[my:h - my, mx:w - mx], log[my:h - my, mx:w - mx]
    lit = (a > floor) & (b > floor)
    if np.count_nonzero(lit) < 0.1 * max(1, a.size):
        return 0.0  # nearly black: nothing to read the light on
    # the middle half's mean: moving things are left out as by a median, but unlike one it
    # is not held at zero by 8-bit steps that a slow fade crosses a few pixels at a time
    d = np.sort(b[lit] - a[lit])
    return float(d[d.size // 4:max(d.size // 4 + 1, 3 * d.size // 4)].mean())


class VideoEnhancer:
    """Call :meth:`i420` with each decoded yuv420p frame of one clip, in order (or call the
    object with RGB frames); returns the enhanced frame in the same form."""

    def __init__(self, enhancer, settings: EnhanceSettings, fps: float,
                 temporal_denoise: bool = True, reduction: int | None = None):
        self.enhancer = enhancer
        self.s = settings.validated()
        self.reduction = reduction  # of the photo stage's copy; None: by the frame's size
        self.follow = 1.0 - math.exp(-SOLVE_EVERY / max(1.0, fps * FOLLOW_SECONDS))
        self.temporal_denoise = temporal_denoise and self.s.denoise_strength > 0
        self.tracker = ShotTracker(fps)
        self.cuts = 0  # how many cuts were found (tests, logs)
        self._log_small: np.ndarray | None = None
        self._model: np.ndarray | None = None  # (h, w, 2) smoothed linear model of x_r
        self._shot: pipeline.EnhancementPlan | None = None  # the shot's first plan
        self._scene = 0.0  # the frames' own stops, followed (see _follow)
        self._offset = 0.0  # the photo plan's stops less the follower's, at the shot's start
        self._light_solved = 0.0  # the tracker's light at the last solve
        self._push = self._fade = 1.0
        self._target = 0.0
        self._noise = 0.0  # the shot's noise at full size, [0, 1] units
        self._moved: np.ndarray | None = None  # small frame's change since the net last ran
        self._state: yuv_frame.FrameState | None = None  # temporal denoise
        self._resumed = False  # the next frame re-solves at once (see resume)
        # small, plan, the copy and its brightness (see gain_stops)
        self._last: tuple[np.ndarray, pipeline.EnhancementPlan, np.ndarray,
                          np.ndarray] | None = None

    def __call__(self, rgb: np.ndarray) -> np.ndarray:
        """An RGB uint8 frame (odd sizes are padded to 4:2:0's even ones and cropped back)."""
        h, w = rgb.shape[:2]
        return i420_to_rgb(self.i420(as_i420(rgb)))[:h, :w]

    @property
    def stops(self) -> float:
        """The global exposure applied now."""
        return self._scene + self._offset

    def gain_stops(self) -> np.ndarray:
        """The last frame's brightening in stops at the net's resolution (the heatmap)."""
        small, plan, copy, light = self._last
        v = analysis.brightness(small)
        x_r = np.clip(plan.model_a * v + plan.model_b, -1, 1)
        # at the illumination the gain is looked up at: the full-size pixels' brightness,
        # which the small copy's averaged channels read lower (see _on_copy)
        lift = float(light.mean()) - float(analysis.brightness(copy).mean())
        return exposure.log_gain(v + np.float32(lift + plan.light_bias), x_r,
                                 plan.tone).astype(np.float32)

    def resume(self, tracker: ShotTracker) -> None:
        """Continue the shot planned by the last frame (its first) at a later frame, with
        the tracker as it was after the frame before that one: the exposure is solved at
        once on the next frame, the denoise and the map start from it."""
        self.tracker = tracker.copy()
        self._state = self._log_small = self._moved = None
        self._resumed = True

    def i420(self, frame: np.ndarray) -> np.ndarray:
        """A (H * 3/2, W) yuv420p uint8 frame, enhanced."""
        h = frame.shape[0] * 2 // 3
        w = frame.shape[1]
        size = resample.low_res_size(h, w, self.s.scale)
        cut = self.tracker.update(frame) or self._shot is None
        if cut:
            self._resumed = False
            if self._shot is not None:
                self.cuts += 1
            self._state = None  # the average starts again from this frame
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
        self._state, copy, light = yuv_frame.prepare(frame, self._state, limit, weight,
                                                     reduction, use_numba)
        small = resample.downscale(copy, *size, 65535.0)
        log_small = log_brightness(analysis.brightness(small))
        moved = (np.full(log_small.shape, np.inf, np.float32)
                 if self._log_small is None or self._log_small.shape != log_small.shape
                 else np.abs(log_small - self._log_small))
        self._log_small = log_small
        if cut:
            self._new_shot(frame, light, small, reduction)
        else:
            self._follow(small, moved)
        plan = self._plan_for(copy, reduction)
        self._last = small, plan, copy, light
        # the illumination and the luma from the full-size pixels' brightness, as the photo
        # path's: the copy's own (the max of averaged channels) lacks their noise's upward
        # bias, by as much as a region is grey and noisy, and the gain and the levels with it
        enhanced = pipeline.render(copy, plan, None, 1, use_numba,
                                   pipeline.Luma(light, None, plan.sigma))
        return yuv_frame.finish(copy, enhanced, self._state, self.s.denoise_strength,
                                use_numba)

    def _new_shot(self, frame: np.ndarray, light: np.ndarray, small: np.ndarray,
                  reduction: int) -> None:
        """At the first frame and at each cut: the shot's plan, as for a photo of the frame."""
        # planned on the full-size frame (RGB only at cuts): its noise, exposure samples and
        # floor to black are what the photo path reads on this frame (the reduced copy is
        # 2-4x less noisy, and its maxima of three channels less biased: planned on it, the
        # exposure and the floor to black came out otherwise, 5-15 levels at 4-5 stops)
        rgb = i420_to_rgb(frame)
        m = analysis.measure(rgb)
        self._noise = m.sigma
        shot = self.enhancer.plan(rgb, self.s, threads=1,
                                  analysis=analysis.Analysis(m, _NO_COLOUR))
        self._shot = self._on_copy(shot, m, rgb, light, reduction)
        shot = self._shot
        self._model = np.dstack([shot.model_a, shot.model_b])
        self._push, self._fade, self._target = shot.tone.push, shot.tone.fade, shot.target
        self._moved = None
        # the follower solves on the net's copy, the photo plan on its own samples: their
        # difference at the shot's start is kept, so the exposure does not creep after a cut
        self._light_solved = 0.0
        self._scene = self._solve(small)[0]
        self._offset = shot.tone.stops - self._scene

    @staticmethod
    def _on_copy(shot: pipeline.EnhancementPlan, m: analysis.Measure, rgb: np.ndarray,
                 light: np.ndarray, reduction: int) -> pipeline.EnhancementPlan:
        """The frame's plan made to render its reduced copy as the photo path renders the
        frame. The bases' windows stay the frame's (``reduction``) and the noise the frame's
        (the bases' eps and the detail's Wiener threshold measure a region's contrast, which
        the copy keeps while its own noise falls 2-4x). The copy is rendered with the
        full-size pixels' brightness averaged over its blocks (``light``: see
        yuv_frame.prepare), which carries the upward bias of V = max(R, G, B) of noisy
        pixels region by region as the photo path's illumination and luma do. What it
        still lacks, measured once as the frame's mean V less its own, is the photo path's
        despeckle (its bases are found on the despeckled V, and its brightness moves to it
        as the gain grows) and 8-bit RGB's rounding: the gain is looked up that much
        otherwise (light_bias), and the photo's correction of the bias, where a pixel takes
        its region's colour, is taken less what the brightness lacks."""
        luma = pipeline.luma(rgb, m.sigma, shot.despeckles)  # V and its despeckled copy
        own = float(light.mean())
        lacks = float(luma.v.mean()) - own
        lacks_base = float(luma.despeckled.mean()) - own if shot.despeckles else lacks
        lacks_luma = float(pixel_rules.despeckled(
            np.float32(lacks), np.float32(lacks_base),
            np.float32(np.median(shot.gain_small)), np.float32(shot.denoise)))
        sigma = max(m.sigma, 1e-6)
        return replace(shot, reduction=reduction, light_bias=lacks_base,
                       channel_bias=(m.channel_bias * sigma - lacks_luma) / sigma)

    def _follow(self, small: np.ndarray, moved: np.ndarray) -> None:
        """Inside a shot: this frame's map, blended with the last where nothing moved, and the
        exposure following the scene's own (every SOLVE_EVERY frames)."""
        frames = self.tracker.frames
        # where the light itself changed the exposure moves with it at once (the kept share
        # is right from this frame, no settling); the scene's own changes (a pan) are
        # followed smoothly
        at_once = self._resumed or abs(self.tracker.light - self._light_solved) >= LIGHT_JUMP
        self._resumed = False
        if at_once:  # the net is conditioned on where the exposure now aims
            self._target = self._aim(small)[0]
        # motion since the net last ran (frames in between kept the older map)
        self._moved = moved if self._moved is None else np.maximum(self._moved, moved)
        if frames % NET_EVERY == 0 or at_once:
            moved, self._moved = self._moved, None
            x_r = self.enhancer.factor(small, self._target, 1)
            a, b = pipeline.fit_factor_model(analysis.brightness(small),
                                             np.ascontiguousarray(x_r.mean(axis=2)))
            keep = (MAP_WEIGHT * np.clip(1.0 - moved / MAP_MOTION, 0.0, 1.0))[:, :, None]
            self._model = (keep * self._model + (1 - keep) * np.dstack([a, b])
                           ).astype(np.float32)
        if frames % SOLVE_EVERY and not at_once:
            return  # solving every few frames is plenty for a time constant of seconds
        scene, push, fade, target = self._solve(small)
        self._light_solved = self.tracker.light
        k = 1.0 if at_once else self.follow
        self._scene += k * (scene - self._scene)
        self._push += k * (push - self._push)
        self._fade += k * (fade - self._fade)
        self._target += k * (target - self._target)

    def _aim(self, small: np.ndarray) -> tuple[float, float]:
        """(target, Auto's fade) for this frame: the target raised by LIGHT_KEPT of the
        light's change since the shot began; Auto's target and fade are those of the frame
        with that change divided out."""
        shot = self._shot
        light = self.tracker.light
        target, fade = shot.target, 1.0
        if self.s.auto_exposure:
            undo = np.float32(2.0 ** -light)
            m_s = small[::2, ::2].mean(axis=2)
            mean = float(m_s.mean()) * float(undo)
            target = exposure.auto_target(mean, self._noise)
            v_s = analysis.brightness(small)[::2, ::2] * undo
            fade = exposure.fade_for(target, mean, exposure.shadow_level(
                exposure.Samples(v_s, m_s)))
        return min(1.0, target * 2.0 ** (LIGHT_KEPT * light)), fade

    def _solve(self, small: np.ndarray) -> tuple[float, float, float, float]:
        """(stops, push, Auto's fade, target): this frame's own solution, aimed as
        :meth:`_aim` says."""
        step = 2  # every other sample of the small frame (thousands) is plenty for a mean
        v_s = np.ascontiguousarray(analysis.brightness(small)[::step, ::step])
        samples = exposure.Samples(v_s, small[::step, ::step].mean(axis=2))
        at_samples = self._model[::step, ::step, 0] * v_s + self._model[::step, ::step, 1]
        target, fade = self._aim(small)
        stops, push, _ = exposure.solve_exposure(samples, np.clip(at_samples, -1, 1), target,
                                                 self._shot.tone.black,
                                                 explicit=not self.s.auto_exposure)
        return stops, push, fade, target

    def _plan_for(self, copy: np.ndarray, reduction: int) -> pipeline.EnhancementPlan:
        shot = self._shot
        a, b = self._model[:, :, 0], self._model[:, :, 1]
        colour = analysis.neighbourhood_colour(copy, shot.sigma,
                                               max(1, VIDEO_COLOUR_SCALE // reduction),
                                               VIDEO_COLOUR_RADIUS)
        tone = replace(shot.tone, stops=self.stops, push=self._push, fade=self._fade)
        # the shot's plan with what follows the frames: what else it holds (noise, the bias of
        # the max of three noisy channels, ...) is the shot's
        return replace(shot, model_a=np.ascontiguousarray(a), model_b=np.ascontiguousarray(b),
                       tone=tone, target=self._target, colour=colour)
