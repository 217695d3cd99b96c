"""The engine's entry point: ``Enhancer().enhance(image, settings)``.

One photo: a small copy goes through the EFE net (conditioned on the exposure target), the
pipeline (app.core.engine.pipeline) turns its factor map into a plan, and the plan is rendered
at full resolution in bands. Images may be gray, RGB or RGBA, 8 or 16 bits; the result has the
same shape and type.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.core.engine import (
    allocator,
    compiled,
    parallel,
    pipeline,
    pixel_rules,
    pixel_stage,
    resample,
    yuv_frame,
)
from app.core.engine import analysis as analysis_module
from app.core.engine.analysis import Analysis, colour_model, measure, measure_and_copy
from app.core.engine.backends import make_backend
from app.core.media.image_modes import gray_of
from app.core.settings import EnhanceSettings
from app.paths import default_weights


@dataclass
class EnhanceResult:
    image: np.ndarray  # same dtype and shape as the input
    plan: pipeline.EnhancementPlan
    backend: str
    seconds: float

    note: str = ""  # why the exposure is not what was asked for ("" when it is)

    @property
    def gain_small(self) -> np.ndarray:
        """The brightening applied, in stops (log2 of the gain), at the map's resolution."""
        return self.plan.gain_small


def _split_channels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """-> (HxWx3 colour, alpha or None); gray is seen as three equal channels without a
    copy (a read-only view, channel stride 0: resample.shared_plane), which the pipeline
    renders band by band into a gray result."""
    if image.ndim == 2:
        return np.broadcast_to(image[:, :, None], (*image.shape, 3)), None
    if image.ndim == 3 and image.shape[2] == 1:
        return np.broadcast_to(image, (*image.shape[:2], 3)), None
    if image.ndim == 3 and image.shape[2] in (3, 4):
        rgb = image[:, :, :3]
        if resample.shared_plane(rgb) is not None:  # a caller's view: a colour photo here
            rgb = np.ascontiguousarray(rgb)
        return rgb, image[:, :, 3] if image.shape[2] == 4 else None
    raise ValueError(f"expected a gray, RGB or RGBA image, got shape {image.shape}")


def _merge_channels(rgb: np.ndarray, like: np.ndarray) -> np.ndarray:
    """The rendered result in ``like``'s layout (the pipeline renders gray from a gray view
    and RGBA given the alpha: no full-size copy here)."""
    if like.ndim == 2 or like.shape[2] == 1:
        # integers, a band at a time: a float copy of 196 MP took 2.8 GB
        gray = rgb if rgb.ndim == 2 else gray_of(rgb)
        return gray if like.ndim == 2 else gray[:, :, None]
    return rgb


# A new photo's brightness planes are found ahead of the render, on the core that would
# wait for the exposure search, up to this size (1080p: they cost 8 bytes a pixel, more than
# the photo itself, while on bigger photos the search is a small share of the time)
LUMA_AHEAD_PIXELS = 2_500_000
# ... and their bases too up to this size. At 1080p the other core, which finds them,
# once had 7 ms more to do than this one; since the exposure search was compiled it sat idle
# 5 ms waiting for this one's net and colour model, and the bands then found the bases
# themselves: 37.0 ms a 1080p photo with them found ahead against 40.1
BASES_AHEAD_PIXELS = 2_500_000


class Enhancer:
    """Loads weights once; ``enhance`` may be called repeatedly and from several threads at
    once (pass ``threads=1`` then, so the calls do not fight over the cores).

    ``use_numba=False`` forces the numpy version of the per-pixel stage (otherwise the
    compiled kernel runs: numba's, or the frozen app's built ahead of time, see compiled)."""

    def __init__(self, weights: str | Path | None = None, backend: str = "auto",
                 threads: int | None = None, use_numba: bool = True):
        self.weights = Path(weights or default_weights())
        if not (self.weights.exists() or self.weights.with_suffix(".onnx").exists()):
            raise FileNotFoundError(f"model weights not found: {self.weights}")
        self.threads = threads
        allocator.keep_freed_memory()  # each photo's planes reuse the last one's pages
        self.efe = make_backend(self.weights, backend, threads)
        self.use_numba = use_numba and pixel_stage.available
        if self.use_numba:
            pixel_stage.warm_up()
            yuv_frame.warm_up()

    @property
    def backend_name(self) -> str:
        stage = ("numpy" if not self.use_numba else
                 "numba" if pixel_rules.available else compiled.name)
        return f"{self.efe.name} + {stage}"

    def factor(self, small: np.ndarray, target: float, threads: int | None = 1) -> np.ndarray:
        """The net's factor map x_r (h, w, 3) for a small copy (float32 in [0, 1]), the net
        conditioned on the exposure ``target`` aims at (video frames ask for it here)."""
        return self.efe.factor(small, pipeline.net_exposure(target), threads)

    def analyse(self, rgb: np.ndarray, threads: int | None = None) -> Analysis:
        """What depends on the RGB photo alone (noise, exposure samples, colour model): a
        value. Whoever plans the same photo again (a live preview on every slider move)
        keeps it and passes it to :meth:`plan`; the engine keeps nothing, so a result never
        depends on what ran before."""
        m, copy = measure_and_copy(rgb, self._cores(threads))
        return Analysis(m, colour_model(copy, m.sigma))

    def plan(self, rgb: np.ndarray, settings: EnhanceSettings, threads: int | None = None,
             noise: float | None = None, analysis: Analysis | None = None
             ) -> pipeline.EnhancementPlan:
        """Look at the whole RGB photo once: exposure, factor map, colour (see pipeline).
        ``noise``: when ``rgb`` is a reduced copy, the full-size photo's noise, so Auto caps
        the gain as it would for the photo itself (a reduced copy is less noisy).
        ``analysis``: this photo's :meth:`analyse`, when the caller kept it."""
        return self._plan(rgb, settings, threads, noise, analysis)[0]

    def _plan(self, rgb: np.ndarray, settings: EnhanceSettings, threads: int | None = None,
              noise: float | None = None, analysis: Analysis | None = None,
              with_luma: bool = False) -> tuple[pipeline.EnhancementPlan, pipeline.Luma | None]:
        """:meth:`plan`, and (``with_luma``, a new photo of up to LUMA_AHEAD_PIXELS on
        several cores) the render's :func:`pipeline.luma`, found while the exposure is
        searched for: that core would otherwise wait."""
        h, w = rgb.shape[:2]

        def small_copy() -> np.ndarray:  # the net's input
            return resample.downscale(rgb, *resample.low_res_size(h, w, settings.scale),
                                      resample.pixel_max(rgb.dtype))

        if analysis is None and self._cores(threads) > 1:
            return self._plan_new_photo(rgb, settings, noise, small_copy,
                                        with_luma and h * w <= LUMA_AHEAD_PIXELS)
        small = small_copy()
        analysis = analysis or self.analyse(rgb, 1)
        m = analysis.measure
        target, fade = pipeline.choose_target(settings, m, noise)
        fit = pipeline.fit_tone(small, self.factor(small, target, threads), m, target, fade,
                                settings)
        return pipeline.make_plan(fit, analysis.colour, m, settings), None

    def _plan_new_photo(self, rgb: np.ndarray, settings: EnhanceSettings,
                        noise: float | None, small_copy: Callable[[], np.ndarray],
                        ahead: bool) -> tuple[pipeline.EnhancementPlan, pipeline.Luma | None]:
        """A new photo planned on two cores, each piece as soon as what it needs is known:
        here the noise and the mean (all the target needs), the net, the exposure search,
        then the colour model; on the other core the net's small copy, the samples, the
        colour copy, then what needs the noise (the brightness planes and bases ahead). As
        fork-and-join rounds (measure, then plan) each round waited for its slower half: 2
        ms of a 1200x900 photo's 21. Measured at 1200x900 and 1080p, the two cores end
        within 1 ms of each other this way (the colour model on the other core kept this
        one waiting 3-5 ms once the exposure search was compiled). The small copy was made
        here up to 1.5 MP until the colour copy and the guided filters were compiled: since
        then this core waits for nothing, and side by side a 1200x900 photo took 16.9 ms
        with the copy made there against 17.5 here (800x600: 9.0 against 9.7)."""
        view, scale = analysis_module.analysis_view(rgb)
        noise_known: Future[float] = Future()
        small_known: Future[np.ndarray] = Future()
        samples_known: Future[tuple] = Future()
        copy_known: Future[np.ndarray] = Future()
        with_bases = rgb.shape[0] * rgb.shape[1] <= BASES_AHEAD_PIXELS

        def other_core():
            try:
                small_known.set_result(small_copy())
                samples_known.set_result(analysis_module.view_samples(view, scale))
                copy_known.set_result(analysis_module.colour_copy(rgb))
            except BaseException as error:  # whatever this core still owed fails with it
                for known in (small_known, samples_known, copy_known):
                    if not known.done():
                        known.set_exception(error)
                raise
            if not ahead:
                return None
            sigma = noise_known.result()
            # whether the plan despeckles is known only after the search: guessed yes
            return pipeline.luma(rgb, sigma, settings.denoise_strength > 0, self.use_numba,
                                 with_bases=with_bases)

        other = parallel.start(other_core)
        try:
            sigma, mean = analysis_module.noise_and_mean(view, scale)
            noise_known.set_result(sigma)
            target = pipeline.aim(settings, mean, sigma if noise is None else noise)
            small = small_known.result()
            x_r = self.factor(small, target, 1)
            m = analysis_module.assemble(sigma, mean, *samples_known.result())
            fit = pipeline.fit_tone(small, x_r, m, target, pipeline.fade(settings, target, m),
                                    settings)
            colour = analysis_module.colour_model(copy_known.result(), sigma)
        except BaseException as error:  # the other core must not wait for what never comes
            if not noise_known.done():
                noise_known.set_exception(error)
            raise
        return pipeline.make_plan(fit, colour, m, settings), other.result()

    def render(self, rgb: np.ndarray, plan: pipeline.EnhancementPlan,
               progress: Callable[[float], None] | None = None, threads: int | None = None,
               alpha: np.ndarray | None = None) -> np.ndarray:
        """Apply a plan to an RGB photo (or a crop of the same photo's pixels); gray seen as
        RGB gives gray, ``alpha`` RGBA (pipeline.render_rows)."""
        return pipeline.render(rgb, plan, progress, self._cores(threads), self.use_numba,
                               alpha=alpha)

    def _cores(self, threads: int | None) -> int:
        return threads or self.threads or os.cpu_count() or 1

    def enhance(self, image: np.ndarray, settings: EnhanceSettings | None = None, *,
                progress: Callable[[float], None] | None = None, threads: int | None = None,
                **changes) -> EnhanceResult:
        """Enhance an image array with ``settings`` (default: Auto everything), with any
        field replaced by a keyword (``enhance(img, exposure=0.5)``). ``progress`` gets
        fractions in [0, 1] as bands finish and may raise to cancel. ``threads=1`` keeps the
        call in the calling thread, so several such calls can run at once (batch workers)."""
        s = replace(settings or EnhanceSettings(), **changes).validated()
        if image.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected uint8 or uint16 pixels, got {image.dtype}")
        if image.size == 0:
            raise ValueError("the image is empty")
        start = time.perf_counter()
        rgb, alpha = _split_channels(image)
        plan, luma = self._plan(rgb, s, threads, with_luma=True)
        out = pipeline.render(rgb, plan, progress, self._cores(threads), self.use_numba, luma,
                              alpha)
        return EnhanceResult(_merge_channels(out, image), plan, self.backend_name,
                             time.perf_counter() - start, pipeline.exposure_note(plan, s))

    # ---- one plan, any rows: the window's 100% view and its save share a plan -------------
    def plan_image(self, image: np.ndarray, settings: EnhanceSettings,
                   threads: int | None = None, noise: float | None = None,
                   analysis: Analysis | None = None) -> pipeline.EnhancementPlan:
        """:meth:`plan` for any gray, RGB or RGBA image, with the settings validated."""
        return self.plan(_split_channels(image)[0], settings.validated(), threads, noise,
                         analysis)

    def analyse_image(self, image: np.ndarray) -> Analysis:
        """:meth:`analyse` for any gray, RGB or RGBA image."""
        return self.analyse(_split_channels(image)[0])

    def render_image(self, image: np.ndarray, plan: pipeline.EnhancementPlan,
                     progress: Callable[[float], None] | None = None,
                     threads: int | None = None) -> np.ndarray:
        """The whole image (gray, RGB or RGBA) with a plan from :meth:`plan_image`: what
        :meth:`enhance` returns for the same settings, without planning again."""
        rgb, alpha = _split_channels(image)
        return _merge_channels(self.render(rgb, plan, progress, threads, alpha), image)

    def render_rows(self, image: np.ndarray, plan: pipeline.EnhancementPlan, top: int, bottom: int,
                    progress: Callable[[float], None] | None = None,
                    threads: int | None = None) -> np.ndarray:
        """Rows [top, bottom) of :meth:`render_image`'s result, exactly, rendering only
        those rows (plus the context the filters need)."""
        rgb, alpha = _split_channels(image)
        out = pipeline.render_rows(rgb, plan, top, bottom, progress, self._cores(threads),
                                   self.use_numba, alpha=alpha)
        return _merge_channels(out, image[top:bottom])

    @staticmethod
    def exposure_note(plan: pipeline.EnhancementPlan, settings: EnhanceSettings) -> str:
        """Why a plan's exposure is not what ``settings`` asked for ("" when it is)."""
        return pipeline.exposure_note(plan, settings.validated())

    @staticmethod
    def factor_map(image: np.ndarray, plan: pipeline.EnhancementPlan) -> np.ndarray:
        """The net's raw factor map in [-1, 1] (small), for display beside the gain map."""
        return pipeline.raw_factor(_split_channels(image)[0], plan)

    @staticmethod
    def noise_of(image: np.ndarray) -> float:
        """The noise of an image's brightness, as a plan's ``sigma``: a plan made on one copy
        of a photo and rendered on a smaller, less noisy copy (the window's preview) denoises
        for the noise of the pixels it renders."""
        return measure(_split_channels(image)[0]).sigma
