"""The engine's entry point: ``Enhancer().enhance(image, settings)``.

One photo: a small copy goes through the EFE net (conditioned on the exposure target), the
pipeline (app.core.engine.pipeline) turns its factor map into a plan, and the plan is rendered
at full resolution in bands. Images may be gray, RGB or RGBA, 8 or 16 bits; the result has the
same shape and type.
"""
from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.core.engine import compose, parallel, pipeline, resample, yuv_frame
from app.core.engine.backends import make_backend
from app.core.settings import EnhanceSettings
from app.paths import default_weights


@dataclass
class EnhanceResult:
    image: np.ndarray  # same dtype and shape as the input
    plan: pipeline.Plan
    backend: str
    seconds: float

    @property
    def gain_small(self) -> np.ndarray:
        """The brightening applied, in stops (log2 of the gain), at the map's resolution."""
        return self.plan.gain_small


ANALYSES_KEPT = 2  # photos whose analysis (noise, colour model) is kept for re-planning


def _fingerprint(rgb: np.ndarray) -> tuple:
    """Identity of a photo's pixels: shape, type and a hash of every pixel, so the same
    pixels get the same analysis whatever ran before (a buffer reused for another photo
    whose sampled pixels match must not; ~2 ms a megapixel)."""
    return rgb.shape, rgb.dtype.str, hashlib.sha1(np.ascontiguousarray(rgb)).digest()


def _split_channels(image: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """-> (HxWx3 colour, alpha or None); gray is replicated to three channels."""
    if image.ndim == 2:
        return np.repeat(image[:, :, None], 3, axis=2), None
    if image.ndim == 3 and image.shape[2] == 1:
        return np.repeat(image, 3, axis=2), None
    if image.ndim == 3 and image.shape[2] == 3:
        return image, None
    if image.ndim == 3 and image.shape[2] == 4:
        return image[:, :, :3], image[:, :, 3]
    raise ValueError(f"expected a gray, RGB or RGBA image, got shape {image.shape}")


def _merge_channels(rgb: np.ndarray, like: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    if like.ndim == 2 or like.shape[2] == 1:
        gray = np.round(rgb.astype(np.float32).mean(axis=2)).astype(like.dtype)
        return gray if like.ndim == 2 else gray[:, :, None]
    if alpha is not None:
        return np.dstack([rgb, alpha])
    return rgb


class Enhancer:
    """Loads weights once; ``enhance`` may be called repeatedly and from several threads at
    once (pass ``threads=1`` then, so the calls do not fight over the cores).

    ``use_numba=False`` forces the numpy version of the per-pixel stage (what the frozen app,
    which ships without numba, runs)."""

    def __init__(self, weights: str | Path | None = None, backend: str = "auto",
                 threads: int | None = None, use_numba: bool = True):
        self.weights = Path(weights or default_weights())
        if not (self.weights.exists() or self.weights.with_suffix(".onnx").exists()):
            raise FileNotFoundError(f"model weights not found: {self.weights}")
        self.threads = threads
        self.efe = make_backend(self.weights, backend, threads)
        self.use_numba = use_numba and compose.available
        self._cache: list[tuple] = []  # (fingerprint, analysis) of the last photos
        self._cache_lock = threading.Lock()
        if self.use_numba:
            compose.warm_up()
            yuv_frame.warm_up()

    @property
    def backend_name(self) -> str:
        stage = "numba" if self.use_numba else "numpy"
        return f"{self.efe.name} + {stage}"

    def plan(self, rgb: np.ndarray, settings: EnhanceSettings, threads: int | None = None,
             noise: float | None = None) -> pipeline.Plan:
        """Look at the whole RGB photo once: exposure, factor map, colour (see pipeline).
        ``noise``: when ``rgb`` is a reduced copy, the full-size photo's noise, so Auto caps
        the gain as it would for the photo itself (a reduced copy is less noisy)."""
        h, w = rgb.shape[:2]
        small = resample.downscale(rgb, *resample.low_res_size(h, w, settings.scale),
                                   resample.pixel_max(rgb.dtype))
        key = _fingerprint(rgb)
        cached = self._cached(key)
        parallel_parts = self._cores(threads) > 1
        if cached is None and parallel_parts:
            # a new photo on several cores: its independent parts side by side (the noise
            # beside the colour model's copy; the net beside the colour model's fit)
            m, copy = parallel.run_all([lambda: pipeline.measure(rgb),
                                        lambda: pipeline.colour_copy(rgb)])
            target, fade = pipeline.choose_target(settings, m, noise)
            x_r, colour = parallel.run_all([
                lambda: self.efe.factor(small, pipeline.net_exposure(target), 1),
                lambda: pipeline.colour_model(copy, m.sigma)])
            self._keep(key, (m, colour))
        else:
            m, colour = cached or self._analysis(rgb, key)
            target, fade = pipeline.choose_target(settings, m, noise)
            x_r = self.efe.factor(small, pipeline.net_exposure(target), threads)
        return pipeline.make_plan(colour, small, x_r, m, target, fade, settings)

    def _analysis(self, rgb: np.ndarray, key: tuple) -> tuple[pipeline.Measure, np.ndarray]:
        """What depends on the photo alone (noise, samples, colour model)."""
        m = pipeline.measure(rgb)
        found = (m, pipeline.neighbourhood_colour(rgb, m.sigma))
        self._keep(key, found)
        return found

    def _cached(self, key: tuple):
        """The analysis of a photo seen lately: a live preview re-plans the same pixels on
        every slider move."""
        with self._cache_lock:
            for cached_key, cached in self._cache:
                if cached_key == key:
                    return cached
        return None

    def _keep(self, key: tuple, analysis) -> None:
        with self._cache_lock:
            # two photos: the window's preview copy and the full photo its 100% view and
            # save render take turns
            self._cache = [(key, analysis), *self._cache[:ANALYSES_KEPT - 1]]

    def render(self, rgb: np.ndarray, plan: pipeline.Plan,
               progress: Callable[[float], None] | None = None, threads: int | None = None
               ) -> np.ndarray:
        """Apply a plan to an RGB photo (or a crop of the same photo's pixels)."""
        return pipeline.render(rgb, plan, progress, self._cores(threads), self.use_numba)

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
        plan = self.plan(rgb, s, threads)
        out = self.render(rgb, plan, progress, threads)
        return EnhanceResult(_merge_channels(out, image, alpha), plan, self.backend_name,
                             time.perf_counter() - start)

    # ---- one plan, any rows: the window's 100% view and its save share a plan -------------
    def plan_image(self, image: np.ndarray, settings: EnhanceSettings,
                   threads: int | None = None, noise: float | None = None) -> pipeline.Plan:
        """:meth:`plan` for any gray, RGB or RGBA image, with the settings validated."""
        return self.plan(_split_channels(image)[0], settings.validated(), threads, noise)

    def render_image(self, image: np.ndarray, plan: pipeline.Plan,
                     progress: Callable[[float], None] | None = None,
                     threads: int | None = None) -> np.ndarray:
        """The whole image (gray, RGB or RGBA) with a plan from :meth:`plan_image`: what
        :meth:`enhance` returns for the same settings, without planning again."""
        rgb, alpha = _split_channels(image)
        return _merge_channels(self.render(rgb, plan, progress, threads), image, alpha)

    def render_rows(self, image: np.ndarray, plan: pipeline.Plan, top: int, bottom: int,
                    progress: Callable[[float], None] | None = None,
                    threads: int | None = None) -> np.ndarray:
        """Rows [top, bottom) of :meth:`render_image`'s result, exactly, rendering only
        those rows (plus the context the filters need)."""
        rgb, alpha = _split_channels(image)
        out = pipeline.render_rows(rgb, plan, top, bottom, progress, self._cores(threads),
                                   self.use_numba)
        return _merge_channels(out, image[top:bottom],
                               None if alpha is None else alpha[top:bottom])

    @staticmethod
    def factor_map(image: np.ndarray, plan: pipeline.Plan) -> np.ndarray:
        """The net's raw factor map in [-1, 1] (small), for display beside the gain map."""
        return pipeline.raw_factor(_split_channels(image)[0], plan)

    @staticmethod
    def noise_of(image: np.ndarray) -> float:
        """The noise of an image's brightness, as a plan's ``sigma``: a plan made on one copy
        of a photo and rendered on a smaller, less noisy copy (the window's preview) denoises
        for the noise of the pixels it renders."""
        return pipeline.measure(_split_channels(image)[0]).sigma
