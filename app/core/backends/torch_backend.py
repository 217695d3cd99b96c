"""EFE net (and, on a GPU, the whole pipeline) in PyTorch: CUDA, Apple MPS or CPU."""
from __future__ import annotations

import numpy as np
import torch

from app.core.model import SGZ, with_exposure_map


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
        torch.set_flush_denormal(True)
        self.device = device or best_device()
        self.model = model.to(self.device).eval()
        self.name = describe(self.device)

    @property
    def on_gpu(self) -> bool:
        return self.device.type != "cpu"

    @torch.inference_mode()
    def factor(self, small: np.ndarray, exposure: float) -> np.ndarray:
        x = torch.from_numpy(np.ascontiguousarray(small.transpose(2, 0, 1)))[None].to(self.device)
        if self.model.conditioned:
            x = with_exposure_map(x, exposure)
        x_r = self.model.efe(x)
        return x_r[0].permute(1, 2, 0).float().cpu().numpy()

    @torch.inference_mode()
    def enhance_float(self, image: np.ndarray, max_value: float, exposure: float,
                      iterations: int, scale: int) -> tuple[np.ndarray, np.ndarray]:
        """Whole pipeline on the device: HxWx3 array -> (enhanced float [0,1], x_r full size)."""
        x = torch.from_numpy(np.ascontiguousarray(image)).to(self.device)
        x = x.permute(2, 0, 1)[None].float() / max_value
        out, x_r = self.model(x, exposure, iterations, scale)
        to_np = lambda t: t[0].permute(1, 2, 0).clamp_(-1, 1).cpu().numpy()  # noqa: E731
        return to_np(out), to_np(x_r)
