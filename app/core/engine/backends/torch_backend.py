"""EFE net in PyTorch: CUDA, Apple MPS or CPU (the rest of the pipeline is on the CPU)."""
from __future__ import annotations

import numpy as np
import torch

from app.core.model.net import SGZ, with_exposure_map


def best_device() -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe(device: torch.device) -> str:
    if device.type == "cuda":
        return f"torch (CUDA: {torch.cuda.get_device_name(device)})"
    return f"torch ({device.type.upper()})"


class TorchEFE:
    def __init__(self, model: SGZ, device: torch.device | None = None):
        self.device = device or best_device()
        self.model = model.to(self.device).eval()
        self.name = describe(self.device)

    @property
    def on_gpu(self) -> bool:
        return self.device.type != "cpu"

    @torch.inference_mode()
    def factor(self, small: np.ndarray, exposure: float, threads: int | None = None
               ) -> np.ndarray:
        # torch's own thread count is set once for the process (Enhancer(threads=...))
        x = torch.from_numpy(np.ascontiguousarray(small.transpose(2, 0, 1)))[None].to(self.device)
        if self.model.conditioned:
            x = with_exposure_map(x, exposure)
        # subnormals slow CPU torch 10-40x: flushed during the net only, then the thread's
        # floating-point mode is given back (threads started later inherit it: x264's rate
        # control would then give other bytes for the same frames)
        torch.set_flush_denormal(True)
        try:
            x_r = self.model.efe(x)
        finally:
            torch.set_flush_denormal(False)
        return x_r[0].permute(1, 2, 0).float().cpu().numpy()
