"""SGZ's Enhancement Factor Extraction (EFE) net and the recurrent image enhancement.

The EFE net is seven depthwise-separable 3x3 blocks of 32 channels with symmetric skip
concatenations, no normalisation and no resampling inside; a tanh gives the factor x_r in
[-1, 1]. It runs on a copy downscaled by ``scale`` and x_r is upsampled back; the recurrence
``x = x + x_r * (x^2 - x)`` then runs n times at full resolution.

Two variants share the code: the plain SGZ net (3 input channels, the original parameter names
e_conv1..e_conv7 with depth_conv/point_conv) and the exposure-conditioned one, which takes a
fourth channel filled with the target exposure alpha (KinD-style), so one model serves every
exposure setting.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from app.core.settings import low_res_size

CHANNELS = 32


class DepthwiseSeparableConv(nn.Module):
    """3x3 depthwise conv followed by a 1x1 pointwise conv (names as in the SGZ code)."""

    def __init__(self, in_ch: int, out_ch: int):
        super().__init__()
        self.depth_conv = nn.Conv2d(in_ch, in_ch, 3, padding=1, groups=in_ch)
        self.point_conv = nn.Conv2d(in_ch, out_ch, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.point_conv(self.depth_conv(x))


class EFENet(nn.Module):
    """x (N, C, h, w) in [0, 1] -> x_r (N, 3, h, w) in [-1, 1]. C = 3 (plain) or 4 (+ alpha map)."""

    def __init__(self, in_channels: int = 4, channels: int = CHANNELS):
        super().__init__()
        c = channels
        self.in_channels = in_channels
        self.e_conv1 = DepthwiseSeparableConv(in_channels, c)
        self.e_conv2 = DepthwiseSeparableConv(c, c)
        self.e_conv3 = DepthwiseSeparableConv(c, c)
        self.e_conv4 = DepthwiseSeparableConv(c, c)
        self.e_conv5 = DepthwiseSeparableConv(2 * c, c)
        self.e_conv6 = DepthwiseSeparableConv(2 * c, c)
        self.e_conv7 = DepthwiseSeparableConv(2 * c, 3)

    @property
    def conditioned(self) -> bool:
        return self.in_channels == 4

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = F.relu(self.e_conv1(x))
        x2 = F.relu(self.e_conv2(x1))
        x3 = F.relu(self.e_conv3(x2))
        x4 = F.relu(self.e_conv4(x3))
        x5 = F.relu(self.e_conv5(torch.cat([x3, x4], 1)))
        x6 = F.relu(self.e_conv6(torch.cat([x2, x5], 1)))
        return torch.tanh(self.e_conv7(torch.cat([x1, x6], 1)))


def recurrent_enhance(x: torch.Tensor, x_r: torch.Tensor, iterations: int) -> torch.Tensor:
    """Apply the light-enhancement curve x <- x + x_r (x^2 - x) ``iterations`` times."""
    for _ in range(iterations):
        x = x + x_r * (x * x - x)
    return x


def with_exposure_map(x: torch.Tensor, exposure: torch.Tensor | float) -> torch.Tensor:
    """Append the alpha map: a channel filled with each image's exposure target."""
    n, _, h, w = x.shape
    alpha = torch.as_tensor(exposure, dtype=x.dtype, device=x.device).reshape(-1, 1, 1, 1)
    return torch.cat([x, alpha.expand(n, 1, h, w)], 1)


class SGZ(nn.Module):
    """Full SGZ enhancer: downscale -> EFE -> upsample x_r -> n recurrences at full size.

    Resampling is bilinear with half-pixel centres and no antialiasing (F.interpolate's default),
    the convention the fast CPU backend reproduces with cv2 exactly.
    """

    def __init__(self, conditioned: bool = True):
        super().__init__()
        self.efe = EFENet(4 if conditioned else 3)

    @property
    def conditioned(self) -> bool:
        return self.efe.conditioned

    def factor(self, x: torch.Tensor, exposure: torch.Tensor | float = 0.6, scale: int = 12
               ) -> torch.Tensor:
        """x_r at full resolution for images x (N, 3, H, W) in [0, 1]."""
        h, w = x.shape[-2:]
        small = x if scale == 1 else F.interpolate(
            x, size=low_res_size(h, w, scale), mode="bilinear", align_corners=False)
        x_r = self.efe(with_exposure_map(small, exposure) if self.conditioned else small)
        if scale != 1:
            x_r = F.interpolate(x_r, size=(h, w), mode="bilinear", align_corners=False)
        return x_r

    def forward(self, x: torch.Tensor, exposure: torch.Tensor | float = 0.6, iterations: int = 8,
                scale: int = 12) -> tuple[torch.Tensor, torch.Tensor]:
        x_r = self.factor(x, exposure, scale)
        return recurrent_enhance(x, x_r, iterations), x_r


def load_state(model: SGZ, state: dict) -> SGZ:
    """Load a state dict saved by this project ("efe.e_conv1...") or by the original SGZ code
    ("e_conv1.depth_conv.weight", optionally with a "module." prefix)."""
    state = {k.removeprefix("module."): v for k, v in state.items()}
    if not any(k.startswith("efe.") for k in state):
        state = {f"efe.{k}": v for k, v in state.items()}
    model.load_state_dict(state)
    return model


def flush_subnormals(state: dict) -> dict:
    """Zero float32 subnormals: they make CPU convolutions several times slower."""
    tiny = torch.finfo(torch.float32).tiny
    return {k: torch.where(v.abs() < tiny, torch.zeros_like(v), v) if v.is_floating_point() else v
            for k, v in state.items()}
