import math

import pytest
import torch

from app.core.model.losses import (
    ColorConstancyLoss,
    ExposureLoss,
    FactorTVLoss,
    SpatialConsistencyLoss,
    ZeroReferenceLoss,
    focal_loss,
)


def test_exposure_loss_is_squared_distance_of_patch_means_to_target():
    img = torch.full((2, 3, 32, 32), 0.5)
    assert ExposureLoss()(img, 0.6).item() == pytest.approx(0.01, abs=1e-7)
    per_image = ExposureLoss()(img, torch.tensor([0.5, 0.7]))
    assert per_image.item() == pytest.approx((0 + 0.04) / 2, abs=1e-7)


def test_exposure_loss_uses_16x16_patches():
    img = torch.zeros(1, 3, 16, 32)
    img[..., 16:] = 1.0  # one dark patch, one white patch
    assert ExposureLoss()(img, 0.5).item() == pytest.approx(0.25)


def test_colour_loss_is_charbonnier_of_squared_channel_gaps():
    img = torch.empty(1, 3, 4, 4)
    img[:, 0], img[:, 1], img[:, 2] = 0.6, 0.4, 0.4
    expected = math.sqrt(0.04 ** 2 + 0.04 ** 2 + 0 + 1e-6)
    assert ColorConstancyLoss()(img).item() == pytest.approx(expected, rel=1e-5)
    grey = torch.full((1, 3, 4, 4), 0.3)
    assert ColorConstancyLoss()(grey).item() == pytest.approx(1e-3, rel=1e-4)  # sqrt(eps)


def test_spatial_loss_zero_when_contrast_kept_and_counts_diagonals_at_half():
    original = torch.rand(1, 3, 16, 16)
    assert SpatialConsistencyLoss()(original, original).item() == pytest.approx(0, abs=1e-12)
    # 8x8 image = 2x2 regions. Uniform c on zero: each adjacent direction sees the (zero) padding
    # for half of the regions (4 * c^2/2), each diagonal for 3 of 4 (4 * 0.5 * 3c^2/4).
    c = 0.3
    loss = SpatialConsistencyLoss()(torch.full((1, 3, 8, 8), c), torch.zeros(1, 3, 8, 8))
    assert loss.item() == pytest.approx(3.5 * c * c, rel=1e-5)
    no_diag = SpatialConsistencyLoss(diagonal_weight=0.0)(torch.full((1, 3, 8, 8), c),
                                                          torch.zeros(1, 3, 8, 8))
    assert no_diag.item() == pytest.approx(2.0 * c * c, rel=1e-5)


def test_tv_loss_penalises_gradients_and_channel_differences():
    flat = torch.zeros(1, 3, 4, 4)
    assert FactorTVLoss()(flat).item() == 0
    red_only = flat.clone()
    red_only[:, 0] = 1.0  # no spatial change, channels differ: cross term (1 + 1 + 0) / 3
    assert FactorTVLoss(cross_weight=1.0)(red_only).item() == pytest.approx(2 / 3)
    assert FactorTVLoss()(red_only).item() == pytest.approx(1e-3 * 2 / 3)
    ramp = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 3, 4, 4)  # dw = 1 in every channel
    assert FactorTVLoss()(ramp).item() == pytest.approx(2 * 3 * 1.0)  # summed over channels


def test_focal_loss_against_hand_computed_value():
    logits = torch.tensor([0.0, math.log(3.0)]).view(1, 2, 1, 1)  # p = 0.25, 0.75
    expected = 0.25 ** 2 * -math.log(0.75)
    assert focal_loss(logits, gamma=2.0).item() == pytest.approx(expected, rel=1e-5)
    assert focal_loss(logits, gamma=0.0).item() == pytest.approx(-math.log(0.75), rel=1e-5)


def test_total_loss_weights_and_gradient_flow():
    loss_fn = ZeroReferenceLoss(segmenter=None)
    assert loss_fn.weights["semantic"] == 0
    x = torch.rand(2, 3, 32, 32) * 0.2
    x_r = torch.zeros(2, 3, 32, 32, requires_grad=True)
    enhanced = x + x_r * (x * x - x)
    total, parts = loss_fn(x, enhanced, x_r, torch.tensor([0.5, 0.6]))
    total.backward()
    assert set(parts) == {"tv", "spatial", "color", "exposure"}
    assert x_r.grad.abs().sum() > 0
    # a dark image under a 0.5 target: making x_r negative (brightening) must lower the loss
    assert x_r.grad.mean() > 0
