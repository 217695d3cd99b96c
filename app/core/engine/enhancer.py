"""The engine's entry point: ``Enhancer().enhance(image, exposure, iterations)``.

Pipeline: the image (any size, uint8/uint16, gray/RGB/RGBA) is downscaled by ``scale``, the EFE
net computes the factor map x_r on that small copy, and the recurrence runs at full resolution
in bands of rows, so memory stays bounded on huge photos. On a GPU the whole pipeline runs in
torch; on a CPU the EFE runs on onnxruntime (torch as fallback) and 8-bit images use the
tabulated recurrence.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.core.engine import exposure_lock, fused, recurrence, resample
from app.core.settings import EnhanceSettings
from app.paths import default_weights

log = logging.getLogger(__name__)
# ~256k values per band (1 MB float32 buffers): the band's temporaries stay in the CPU cache,
# and memory stays flat however big the photo.
BAND_ELEMENTS = 1 << 18
# The fused kernel needs no per-band temporaries beyond a few widened low-res rows, so its bands
# are only there for progress, cancellation and bounded memory on huge photos: a 1200x900 photo
# is one band (each band costs a thread-pool dispatch, ~0.3 ms at 1080p).
FUSED_BAND_ELEMENTS = 1 << 22
BACKENDS = ("auto", "onnx", "torch")


@dataclass
class EnhanceResult:
    image: np.ndarray  # same dtype and shape as the input
    factor_small: np.ndarray  # x_r at the EFE's resolution, float32 (h, w, 3)
    backend: str
    seconds: float
    exposure_offsets: np.ndarray | None = None  # per-channel shift the exposure lock added
    _full_factor: np.ndarray | None = field(default=None, repr=False)

    @property
    def factor(self) -> np.ndarray:
        """x_r at full resolution, float32 HxWx3 (upsampled on first access)."""
        if self._full_factor is None:
            h, w = self.image.shape[:2]
            self._full_factor = resample.upscale(self.factor_small, h, w)
        return self._full_factor


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
    once (pass ``threads=1`` then, so the calls do not fight over the cores)."""

    def __init__(self, weights: str | Path | None = None, backend: str = "auto",
                 threads: int | None = None, exposure_lock: bool = True,
                 full_res: str = "auto"):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.weights = Path(weights or default_weights())
        if not (self.weights.exists() or self.weights.with_suffix(".onnx").exists()):
            raise FileNotFoundError(f"model weights not found: {self.weights}")
        self._torch = None
        self.threads = threads
        self.exposure_lock = exposure_lock
        self.efe = self._make_backend(backend, threads)
        if full_res not in ("auto", "fused", "table"):
            raise ValueError("full_res must be auto, fused or table")
        # The full-resolution stage on a CPU: one compiled kernel (numba) when available,
        # else OpenCV's remap over the recurrence table.
        self.fused = fused.available and full_res != "table"
        if full_res == "fused" and not fused.available:
            raise ImportError("the fused full-resolution kernel needs numba")
        if self.fused:
            fused.warm_up()

    def _make_backend(self, backend: str, threads: int | None):
        onnx_path = self.weights.with_suffix(".onnx")
        if backend == "auto" and not self._torch_gpu_available():
            backend = "onnx" if onnx_path.exists() and _has_onnxruntime() else "torch"
        if backend == "onnx":
            from app.core.engine.backends.onnx_backend import OnnxEFE

            if not onnx_path.exists():
                raise FileNotFoundError(f"ONNX weights not found: {onnx_path}")
            return OnnxEFE(onnx_path, threads)
        import torch

        from app.core.engine.backends.torch_backend import TorchEFE
        from app.core.model.weights import load_model

        if threads:
            torch.set_num_threads(threads)
        self._torch = TorchEFE(load_model(self.weights))
        return self._torch

    @staticmethod
    def _torch_gpu_available() -> bool:
        # Importing torch costs a second or two of start-up: only do it where a GPU may exist.
        if not _gpu_likely() or importlib.util.find_spec("torch") is None:
            return False
        from app.core.engine.backends.torch_backend import best_device

        return best_device().type != "cpu"

    @property
    def backend_name(self) -> str:
        if self._torch is not None and self._torch.on_gpu:
            return self.efe.name
        stage = "fused kernel" if self.fused else "OpenCV table"
        return f"{self.efe.name} + {stage}"

    def factor_small(self, image: np.ndarray, exposure: float = 0.6, scale: int = 12,
                     threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(x_r on the downscaled copy, float32 (h, w, 3); the exposure lock's offset, already
        added) for an RGB uint8/uint16 image."""
        h, w = image.shape[:2]
        small_image = resample.downscale(image, *resample.low_res_size(h, w, scale),
                                         resample.pixel_max(image.dtype))
        return self.factor_from_small(image, small_image, exposure, threads)

    def factor_from_small(self, image: np.ndarray, small_image: np.ndarray,
                          exposure: float = 0.6, threads: int | None = None
                          ) -> tuple[np.ndarray, np.ndarray]:
        """As :meth:`factor_small`, for a caller that already has the downscaled copy."""
        x_r = self.efe.factor(small_image, float(exposure), threads)
        if not self.exposure_lock:
            return x_r, np.zeros(3, np.float32)
        pixels, _ = exposure_lock.sample_grid(image, resample.pixel_max(image.dtype))
        offsets = exposure_lock.exposure_offsets(pixels, x_r, float(exposure))
        return np.clip(x_r + offsets, -1.0, 1.0), offsets

    def enhance(self, image: np.ndarray, exposure: float = 0.6, iterations: int = 8,
                scale: int = 12, progress: Callable[[float], None] | None = None,
                threads: int | None = None) -> EnhanceResult:
        """Enhance an image array. ``progress`` gets fractions in [0, 1] as bands finish and may
        raise to cancel (e.g. a worker's cancellation exception). ``threads=1`` keeps the call
        in the calling thread, so several such calls can run at once (batch workers); by
        default one call uses every core."""
        s = EnhanceSettings(exposure, iterations, scale).validated()
        if image.dtype not in (np.uint8, np.uint16):
            raise ValueError(f"expected uint8 or uint16 pixels, got {image.dtype}")
        if image.size == 0:
            raise ValueError("the image is empty")
        start = time.perf_counter()
        rgb, alpha = _split_channels(image)
        small, offsets = self.factor_small(rgb, s.exposure, s.scale, threads)
        out = self.recur_with_factor(rgb, small, s.iterations, progress, threads)
        result = _merge_channels(out, image, alpha)
        return EnhanceResult(result, small, self.backend_name, time.perf_counter() - start,
                             offsets)

    def recur_with_factor(self, rgb: np.ndarray, small: np.ndarray, iterations: int,
                          progress: Callable[[float], None] | None = None,
                          threads: int | None = None) -> np.ndarray:
        """The full-resolution stage alone, for a given low-res factor map (video smoothing)."""
        if self._torch is not None and self._torch.on_gpu:
            return self._torch.recur(rgb, small, iterations)
        return self._recur_in_bands(rgb, small, iterations, progress,
                                    threads or self.threads or os.cpu_count())

    def _recur_in_bands(self, rgb: np.ndarray, small: np.ndarray, iterations: int,
                        progress: Callable[[float], None] | None, threads: int) -> np.ndarray:
        h, w, _ = rgb.shape
        out = np.empty_like(rgb)
        if self.fused:
            rows = max(1, FUSED_BAND_ELEMENTS // (w * 3))

            def band(top: int, bottom: int) -> None:
                fused.recur_rows(rgb, small, iterations, top, bottom, out, threads)
        else:
            rows = max(1, min(BAND_ELEMENTS // (w * 3), 4096))
            band = self._table_bands(rgb, small, iterations, rows, out)
        for top in range(0, h, rows):
            bottom = min(h, top + rows)
            band(top, bottom)
            if progress is not None:
                progress(bottom / h)
        return out

    @staticmethod
    def _table_bands(rgb: np.ndarray, small: np.ndarray, iterations: int, rows: int,
                     out: np.ndarray) -> Callable[[int, int], None]:
        """The OpenCV path, one band of at most ``rows`` rows per call (8-bit: table lookup,
        deeper images: the float loop)."""
        h, w, _ = rgb.shape
        eight_bit = rgb.dtype == np.uint8
        # The table-row transform is affine, so it is applied to the small map before upsampling.
        guide = recurrence.factor_to_table_row(small) if eight_bit else small
        scratch = recurrence.TableScratch(rows * w * 3) if eight_bit else None

        def band(top: int, bottom: int) -> None:
            band_guide = resample.upscale_rows(guide, h, w, top, bottom)
            if eight_bit:
                recurrence.recur_uint8_by_table(rgb[top:bottom], band_guide, iterations,
                                                out=out[top:bottom], scratch=scratch)
            else:
                x = rgb[top:bottom].astype(np.float32) / np.float32(resample.pixel_max(rgb.dtype))
                x = recurrence.recur_float(x, band_guide, iterations)
                out[top:bottom] = _from_float(x, rgb.dtype)

        return band


def _from_float(x: np.ndarray, dtype: np.dtype) -> np.ndarray:
    top = resample.pixel_max(dtype)
    return (np.clip(x, 0.0, 1.0) * np.float32(top) + np.float32(0.5)).astype(dtype)


def _gpu_likely() -> bool:
    if sys.platform == "darwin":
        return platform.machine() == "arm64"  # Apple silicon: MPS
    if sys.platform == "win32":
        return shutil.which("nvidia-smi") is not None
    return Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists()


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True
