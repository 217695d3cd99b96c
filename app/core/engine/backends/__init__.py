"""Ways to run the EFE net on the small copy of an image, and the choice among them.

Every backend maps a float32 (h, w, 3) image in [0, 1] and an exposure alpha to the factor map
x_r, float32 (h, w, 3) in [-1, 1]. The rest of the pipeline is shared (app.core.engine.pipeline).
"""
from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from pathlib import Path
from typing import Protocol

import numpy as np

BACKENDS = ("auto", "opencv", "onnx", "torch")


class EFEBackend(Protocol):
    name: str  # what ran, for the status bar and --verbose: "onnxruntime (CPU)", ...

    def factor(self, small: np.ndarray, exposure: float, threads: int | None = None
               ) -> np.ndarray:
        """``threads=1``: stay in the calling thread; None: use the cores it was set up for."""


def make_backend(weights: Path, backend: str = "auto", threads: int | None = None
                 ) -> EFEBackend:
    """The fastest backend here for ``backend="auto"``: torch on a GPU, else OpenCV DNN on
    the CPU (about 7x onnxruntime for this tiny net at photo sizes, which is itself 4-9x
    torch eager), else onnxruntime, else torch on the CPU."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    onnx_path = weights.with_suffix(".onnx")
    if backend == "auto" and not _torch_gpu_available():
        if onnx_path.exists():
            try:
                return _opencv(onnx_path, threads)
            except Exception:  # noqa: BLE001 - no DNN module, or cv2.error reading the net
                pass
        backend = "onnx" if onnx_path.exists() and _has_onnxruntime() else "torch"
    if backend == "opencv":
        if not onnx_path.exists():
            raise FileNotFoundError(f"ONNX weights not found: {onnx_path}")
        return _opencv(onnx_path, threads)
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
    return TorchEFE(load_model(weights))


def _torch_gpu_available() -> bool:
    # Importing torch costs a second or two of start-up: only do it where a GPU may exist.
    if not _gpu_likely() or importlib.util.find_spec("torch") is None:
        return False
    from app.core.engine.backends.torch_backend import best_device

    return best_device().type != "cpu"


def _gpu_likely() -> bool:
    if sys.platform == "darwin":
        return platform.machine() == "arm64"  # Apple silicon: MPS
    if sys.platform == "win32":
        return shutil.which("nvidia-smi") is not None
    return Path("/proc/driver/nvidia").exists() or Path("/dev/nvidiactl").exists()


def _opencv(onnx_path: Path, threads: int | None) -> EFEBackend:
    from app.core.engine.backends.opencv_backend import OpenCvEFE

    return OpenCvEFE(onnx_path, threads)


def _has_onnxruntime() -> bool:
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True
