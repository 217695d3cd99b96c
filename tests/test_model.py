import numpy as np
import torch

from app.core.model.net import SGZ, EFENet, load_state, recurrent_enhance
from app.core.model.weights import load_model, save_weights


def test_efe_shapes_and_range():
    net = EFENet(4)
    x_r = net(torch.rand(2, 4, 17, 23))
    assert x_r.shape == (2, 3, 17, 23)
    assert x_r.abs().max() <= 1
    # depthwise-separable blocks of 32 channels, no batch norm
    assert net.e_conv2.depth_conv.groups == 32 and net.e_conv5.depth_conv.in_channels == 64
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())


def test_recurrence_formula():
    x = torch.tensor([0.2, 0.5])
    x_r = torch.tensor([-1.0, 0.5])
    step = x + x_r * (x * x - x)
    assert torch.allclose(recurrent_enhance(x, x_r, 1), step)
    assert torch.allclose(recurrent_enhance(x, x_r, 2), step + x_r * (step * step - step))


def test_full_model_upsamples_factor_to_input_size():
    m = SGZ()
    out, x_r = m(torch.rand(1, 3, 120, 90), 0.5, 8, 12)
    assert out.shape == x_r.shape == (1, 3, 120, 90)


def test_plain_sgz_state_dict_with_original_names_loads():
    original = EFENet(3).state_dict()  # keys e_conv1.depth_conv.weight ... as in the SGZ code
    assert "e_conv7.point_conv.bias" in original
    m = load_state(SGZ(conditioned=False), {f"module.{k}": v for k, v in original.items()})
    assert not m.conditioned
    out, _ = m(torch.rand(1, 3, 24, 24), iterations=8, scale=1)
    assert out.shape == (1, 3, 24, 24)


def test_saved_weights_reload_and_onnx_twin_agrees(tmp_path):
    import onnxruntime as ort

    m = SGZ()
    with torch.no_grad():
        m.efe.e_conv1.point_conv.bias[0] = 1e-42  # a subnormal: must be flushed on save
    save_weights(m.state_dict(), tmp_path / "w.pt")
    again = load_model(tmp_path / "w.pt")
    assert again.efe.e_conv1.point_conv.bias[0].item() == 0.0
    x = torch.rand(1, 4, 20, 30)
    with torch.no_grad():
        expected = again.efe(x).numpy()
    sess = ort.InferenceSession(str(tmp_path / "w.onnx"), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-5)
