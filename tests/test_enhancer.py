import numpy as np
import pytest
import torch

from app.core import Enhancer
from app.core.engine import enhancer as enhancer_module
from app.core.model.net import SGZ
from app.core.model.weights import load_model
from app.paths import default_weights


def reference(model: SGZ, img: np.ndarray, exposure: float, iterations: int, scale: int):
    """The plain torch float32 path, rounded to uint8."""
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        out, _ = model(x, exposure, iterations, scale)
    return (out.clamp(0, 1) * 255 + 0.5).to(torch.uint8)[0].permute(1, 2, 0).numpy()


def test_shipped_weights_load_with_both_backends(enhancer):
    assert default_weights().exists() and default_weights().with_suffix(".onnx").exists()
    assert load_model().conditioned
    # the fast CPU path is picked automatically, and says so
    assert enhancer.backend_name == "onnxruntime (CPU) + fused kernel"


@pytest.mark.parametrize("backend, full_res", [("onnx", "fused"), ("onnx", "table"),
                                               ("torch", "fused"), ("torch", "table")])
def test_every_backend_matches_the_float_reference_within_one_level(backend, full_res,
                                                                   dark_photo):
    model = load_model()
    # the bare model (no exposure lock), as the reference is
    e = Enhancer(backend=backend, exposure_lock=False, full_res=full_res)
    for exposure, iterations, scale in [(0.6, 8, 12), (0.4, 3, 4), (0.8, 16, 1)]:
        got = e.enhance(dark_photo, exposure, iterations, scale).image
        diff = np.abs(got.astype(int) - reference(model, dark_photo, exposure, iterations, scale))
        assert diff.max() <= 1, (exposure, iterations, scale)


def test_the_bare_model_is_conditioned_on_exposure(dark_photo):
    bare = Enhancer(exposure_lock=False)
    means = [bare.enhance(dark_photo, a).image.mean() for a in (0.3, 0.5, 0.7)]
    assert means[0] + 3 < means[1] < means[2] - 3, means


def test_exposure_lock_lands_brightness_on_alpha_without_adding_a_cast(enhancer, dark_photo):
    def cast(img):
        m = img.reshape(-1, 3).mean(0) / 255
        return np.abs(m - m.mean()).mean()

    for alpha in (0.4, 0.5, 0.6, 0.7):
        out = enhancer.enhance(dark_photo, alpha).image
        assert abs(out.mean() / 255 - alpha) < 0.02, alpha
        assert cast(out) <= cast(dark_photo) + 0.005
    bright = np.clip(dark_photo.astype(int) * 6, 0, 255).astype(np.uint8)
    assert enhancer.enhance(bright, 0.4).image.mean() < bright.mean()  # it darkens too


def test_higher_exposure_gives_brighter_output(enhancer, dark_photo):
    means = [enhancer.enhance(dark_photo, a).image.mean() for a in (0.3, 0.45, 0.6, 0.75)]
    assert all(b > a + 3 for a, b in zip(means, means[1:])), means
    assert means[2] > dark_photo.mean() * 2


def test_more_iterations_brighten_more(enhancer, dark_photo):
    means = [enhancer.enhance(dark_photo, 0.6, n).image.mean() for n in (1, 4, 8)]
    assert means[0] < means[1] < means[2]


def test_result_keeps_dtype_and_shape_for_gray_rgba_and_16bit(enhancer, dark_photo):
    gray = dark_photo[..., 1]
    r = enhancer.enhance(gray)
    assert r.image.shape == gray.shape and r.image.dtype == np.uint8
    assert r.image.mean() > gray.mean() * 1.5
    rgba = np.dstack([dark_photo, np.full(gray.shape, 77, np.uint8)])
    r = enhancer.enhance(rgba)
    assert r.image.shape == rgba.shape and (r.image[..., 3] == 77).all()
    deep = dark_photo.astype(np.uint16) * 257
    r16 = enhancer.enhance(deep)
    assert r16.image.dtype == np.uint16 and r16.image.shape == deep.shape
    r8 = enhancer.enhance(dark_photo)
    assert np.abs(r16.image / 257.0 - r8.image).max() <= 1.5  # same look at both depths
    assert r8.factor.shape == dark_photo.shape and r8.factor.dtype == np.float32
    assert -1 <= r8.factor.min() and r8.factor.max() <= 1


@pytest.mark.parametrize("full_res", ["fused", "table"])
def test_banded_processing_matches_one_pass(full_res, dark_photo, monkeypatch):
    e = Enhancer(full_res=full_res)
    whole = e.enhance(dark_photo).image
    for name in ("BAND_ELEMENTS", "FUSED_BAND_ELEMENTS"):
        monkeypatch.setattr(enhancer_module, name, 320 * 3 * 2)  # 2-row bands
    seen = []
    banded = e.enhance(dark_photo, progress=seen.append).image
    np.testing.assert_array_equal(whole, banded)
    assert len(seen) > 10 and seen[-1] == 1.0


@pytest.mark.parametrize("threads, height", [(2, 75), (3, 61)])
def test_efe_in_strips_on_several_cores_matches_one_run(threads, height, monkeypatch):
    from app.core.engine.backends.onnx_backend import OnnxEFE

    efe = OnnxEFE(default_weights().with_suffix(".onnx"), threads=threads)
    small = np.random.default_rng(3).random((height, 100, 3), dtype=np.float32) * 0.3
    whole = efe.factor(small, 0.6, threads=1)
    np.testing.assert_allclose(efe.factor(small, 0.6), whole, atol=1e-6)
    # the check can see seams: with too little context the strips' edges are wrong
    monkeypatch.setattr(OnnxEFE, "HALO", 0)
    assert np.abs(efe.factor(small, 0.6) - whole).max() > 1e-3


def test_full_resolution_rows_shared_among_threads_match_one_thread(dark_photo):
    from app.core.engine import fused

    if not fused.available:
        pytest.skip("numba not installed")
    small = Enhancer().factor_small(dark_photo)[0]
    one, three = np.zeros_like(dark_photo), np.zeros_like(dark_photo)
    h = dark_photo.shape[0]
    fused.recur_rows(dark_photo, small, 8, 0, h, one, threads=1)
    fused.recur_rows(dark_photo, small, 8, 0, h, three, threads=3)  # 3 row ranges, 2 pooled
    np.testing.assert_array_equal(one, three)
    assert one.mean() > dark_photo.mean() + 20  # every row was written


def test_bad_arguments_are_clear_errors(enhancer, dark_photo):
    with pytest.raises(ValueError, match="exposure"):
        enhancer.enhance(dark_photo, exposure=3)
    with pytest.raises(ValueError, match="iterations"):
        enhancer.enhance(dark_photo, iterations=0)
    with pytest.raises(ValueError, match="uint8 or uint16"):
        enhancer.enhance(dark_photo.astype(np.float64))
    with pytest.raises(FileNotFoundError):
        Enhancer("/nonexistent/weights.pt")


def test_gpu_full_resolution_stage_matches_the_cpu_tables(dark_photo):
    """The device path (upsample + recurrence in torch) run here on the CPU device."""
    e = Enhancer(backend="torch")
    for img in (dark_photo, dark_photo.astype(np.uint16) * 257):
        small, offsets = e.factor_small(img)
        assert offsets.shape == (3,)
        on_device = e._torch.recur(img, small, 8)
        banded = e.enhance(img).image
        assert on_device.dtype == img.dtype
        tolerance = 1 if img.dtype == np.uint8 else 257
        assert np.abs(on_device.astype(int) - banded.astype(int)).max() <= tolerance


@pytest.mark.parametrize("full_res", ["fused", "table"])
def test_very_wide_and_very_tall_images(full_res):
    e = Enhancer(full_res=full_res)
    wide = np.full((20, 12000, 3), 25, np.uint8)  # 36000 values a row: over OpenCV's remap limit
    tall = np.full((40000, 3, 3), 25, np.uint8)
    for img in (wide, tall):
        out = e.enhance(img).image
        assert out.shape == img.shape and out.mean() > 100
