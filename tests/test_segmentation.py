import pytest
import torch

from app.core.model.losses import SemanticFocalLoss

seg = pytest.importorskip("app.core.model.segmentation")


@pytest.fixture(scope="module")
def segmenter():
    try:
        return seg.build_segmenter()
    except seg.BackboneUnavailable as exc:
        pytest.skip(str(exc))


def test_segmenter_is_frozen_and_gives_stride4_logits(segmenter):
    assert not any(p.requires_grad for p in segmenter.parameters())
    segmenter.train()
    assert not segmenter.training  # stays in eval mode: BatchNorm statistics never move
    out = segmenter(torch.rand(1, 3, 64, 96))
    assert out.shape == (1, 19, 16, 24)


def test_top_down_layers_are_gaussian_std_001(segmenter):
    w = torch.cat([m.weight.flatten() for m in [*segmenter.smooth, *segmenter.lateral]])
    assert abs(w.std().item() - 0.01) < 0.001


def test_backbone_carries_imagenet_weights(segmenter):
    # pretrained BatchNorm statistics are far from the defaults (mean 0, var 1)
    bn = segmenter.backbone._bn0
    assert bn.running_mean.abs().sum() > 0.1


def test_semantic_loss_has_gradient_to_the_image(segmenter):
    img = torch.rand(1, 3, 64, 64, requires_grad=True)
    loss = SemanticFocalLoss(segmenter)(img)
    loss.backward()
    assert img.grad is not None and img.grad.abs().sum() > 0


def test_unknown_backbone_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown backbone"):
        seg.build_segmenter("resnet-9000")
