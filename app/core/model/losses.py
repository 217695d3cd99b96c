"""SGZ's five zero-reference losses, one small module each.

All take images as (N, 3, H, W) tensors in [0, 1] and return a scalar tensor.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# (dy, dx) to each neighbour of a region; diagonals count half (SGZ's 8-neighbour L_spa).
_ADJACENT = ((0, -1), (0, 1), (-1, 0), (1, 0))
_DIAGONAL = ((-1, -1), (-1, 1), (1, -1), (1, 1))


def _neighbour_difference(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """x minus its neighbour at offset (dy, dx), zero-padded at the border like a 3x3 conv."""
    padded = F.pad(x, (1, 1, 1, 1))
    h, w = x.shape[-2:]
    return x - padded[..., 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]


class SpatialConsistencyLoss(nn.Module):
    """Keep the contrast between neighbouring 4x4 regions: the differences of the region means
    to their 4 adjacent neighbours (weight 1) and 4 diagonal ones (weight 0.5) in the enhanced
    image should match those in the input."""

    def __init__(self, region: int = 4, diagonal_weight: float = 0.5):
        super().__init__()
        self.region = region
        self.diagonal_weight = diagonal_weight

    def forward(self, enhanced: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
        e = F.avg_pool2d(enhanced.mean(1, keepdim=True), self.region)
        o = F.avg_pool2d(original.mean(1, keepdim=True), self.region)
        total = torch.zeros((), device=enhanced.device)
        for offsets, weight in ((_ADJACENT, 1.0), (_DIAGONAL, self.diagonal_weight)):
            for dy, dx in offsets:
                d = _neighbour_difference(o, dy, dx) - _neighbour_difference(e, dy, dx)
                total = total + weight * (d * d).mean()
        return total


class ColorConstancyLoss(nn.Module):
    """Grey-world prior in Charbonnier form: sqrt(Drg^2 + Drb^2 + Dgb^2 + eps), where Dxy is
    the squared difference of the channel means."""

    def __init__(self, eps: float = 1e-6):
        super().__init__()
        self.eps = eps

    def forward(self, enhanced: torch.Tensor) -> torch.Tensor:
        r, g, b = enhanced.mean((2, 3)).unbind(1)
        drg, drb, dgb = (r - g) ** 2, (r - b) ** 2, (g - b) ** 2
        return torch.sqrt(drg ** 2 + drb ** 2 + dgb ** 2 + self.eps).mean()


class ExposureLoss(nn.Module):
    """Mean squared distance of 16x16 patch brightness (mean of R, G, B) to the target level,
    which may differ per image (the sampled alpha)."""

    def __init__(self, patch: int = 16):
        super().__init__()
        self.patch = patch

    def forward(self, enhanced: torch.Tensor, target: torch.Tensor | float) -> torch.Tensor:
        level = F.avg_pool2d(enhanced.mean(1, keepdim=True), self.patch)
        target = torch.as_tensor(target, dtype=level.dtype, device=level.device)
        return ((level - target.reshape(-1, 1, 1, 1)) ** 2).mean()


class FactorTVLoss(nn.Module):
    """Smoothness of the enhancement factor x_r, as in the Zero-DCE/SGZ code: squared vertical
    and horizontal differences summed over the channels (averaged over pixels and images), plus a
    cross-channel term, the squared differences between the R, G and B factors, which keeps the
    enhancement from shifting colours. The cross term is weighted lightly: at the spatial terms'
    weight its gradient drowns the exposure loss and the net never learns the alpha control."""

    def __init__(self, cross_weight: float = 1e-3):
        super().__init__()
        self.cross_weight = cross_weight

    def forward(self, x_r: torch.Tensor) -> torch.Tensor:
        channels = x_r.shape[1]
        dh = (x_r[:, :, 1:, :] - x_r[:, :, :-1, :]) ** 2
        dw = (x_r[:, :, :, 1:] - x_r[:, :, :, :-1]) ** 2
        r, g, b = x_r.unbind(1)
        cross = ((r - g) ** 2 + (r - b) ** 2 + (g - b) ** 2) / 3
        return 2 * channels * (dh.mean() + dw.mean()) + self.cross_weight * cross.mean()


class SemanticFocalLoss(nn.Module):
    """Focal loss beta * (1 - p_t)^gamma * -log p_t of a frozen segmentation net's prediction on the
    enhanced image against its own argmax pseudo-labels: it pushes the enhancement towards images
    the segmentation net reads with confidence."""

    def __init__(self, segmenter: nn.Module, gamma: float = 2.0, beta: float = 1.0):
        super().__init__()
        self.segmenter = segmenter
        self.gamma = gamma
        self.beta = beta

    def forward(self, enhanced: torch.Tensor) -> torch.Tensor:
        return focal_loss(self.segmenter(enhanced), self.gamma, self.beta)


def focal_loss(logits: torch.Tensor, gamma: float = 2.0, beta: float = 1.0) -> torch.Tensor:
    """Focal loss of per-pixel class logits (N, K, H, W) against their own argmax."""
    log_p = F.log_softmax(logits, 1)
    labels = log_p.argmax(1, keepdim=True).detach()
    log_pt = log_p.gather(1, labels)
    pt = log_pt.exp()
    return (beta * (1 - pt) ** gamma * -log_pt).mean()


class ZeroReferenceLoss(nn.Module):
    """Weighted sum of the five losses; weights default to the SGZ/Zero-DCE++ code."""

    def __init__(self, segmenter: nn.Module | None = None, tv: float = 1600.0,
                 spatial: float = 1.0, color: float = 5.0, exposure: float = 10.0,
                 semantic: float = 0.1):
        super().__init__()
        self.weights = {"tv": tv, "spatial": spatial, "color": color, "exposure": exposure,
                        "semantic": semantic if segmenter is not None else 0.0}
        self.tv, self.spatial = FactorTVLoss(), SpatialConsistencyLoss()
        self.color, self.exposure = ColorConstancyLoss(), ExposureLoss()
        self.semantic = SemanticFocalLoss(segmenter) if segmenter is not None else None

    def forward(self, original: torch.Tensor, enhanced: torch.Tensor, x_r: torch.Tensor,
                target: torch.Tensor | float) -> tuple[torch.Tensor, dict[str, float]]:
        parts = {
            "tv": self.tv(x_r),
            "spatial": self.spatial(enhanced, original),
            "color": self.color(enhanced),
            "exposure": self.exposure(enhanced, target),
        }
        if self.semantic is not None:
            parts["semantic"] = self.semantic(enhanced)
        total = sum(self.weights[k] * v for k, v in parts.items())
        return total, {k: float(v.detach()) for k, v in parts.items()}
