"""A photo's memory (issue #23): a gray photo is seen as three channels without a copy and
rendered band by band into a gray result, RGBA into place, and no whole-image step makes a
full-size copy; the bytes are the same as before, and the peak stays near three times the
photo's decoded size."""
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.core import Enhancer, EnhanceSettings
from app.core.engine import analysis, guided, resample
from app.core.media import images
from app.core.media.image_modes import gray_of


@pytest.fixture(scope="module")
def engines():
    return {True: Enhancer(), False: Enhancer(use_numba=False)}


def _three_channel_path(e, rgb, settings, threads):
    """What the engine did before: plan and render an explicit 3-channel copy."""
    rgb = np.ascontiguousarray(rgb)
    plan = e.plan(rgb, settings, threads)
    return plan, e.render(rgb, plan, threads=threads)


@pytest.mark.parametrize("numba", [True, False])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_gray_gives_the_bytes_of_its_three_channel_copy(engines, dark_photo, numba, dtype):
    e, s = engines[numba], EnhanceSettings().validated()
    gray = gray_of(dark_photo)
    if dtype == np.uint16:
        noise = np.random.default_rng(2).integers(0, 257, gray.shape, dtype=np.uint16)
        gray = gray.astype(np.uint16) * 257 + noise
    for threads in (1, 2):
        plan, rgb_out = _three_channel_path(e, np.repeat(gray[:, :, None], 3, axis=2), s,
                                            threads)
        expected = gray_of(rgb_out)
        result = e.enhance(gray, s, threads=threads)
        np.testing.assert_array_equal(result.image, expected)
        np.testing.assert_array_equal(result.plan.gain_small, plan.gain_small)
        np.testing.assert_array_equal(result.plan.colour, plan.colour)
        np.testing.assert_array_equal(e.enhance(gray[:, :, None], s, threads=threads).image,
                                      expected[:, :, None])
        gray_plan = e.plan_image(gray, s)
        np.testing.assert_array_equal(e.render_image(gray, gray_plan, threads=threads),
                                      expected)
        np.testing.assert_array_equal(e.render_rows(gray, gray_plan, 37, 151, threads=threads),
                                      expected[37:151])
        assert e.noise_of(gray) == e.noise_of(np.repeat(gray[:, :, None], 3, axis=2))
    assert plan.despeckles  # the despeckle ran on the gray view's bands


@pytest.mark.parametrize("numba", [True, False])
def test_rgba_and_gray_alpha_give_the_bytes_of_their_colours_and_alpha(engines, dark_photo,
                                                                        numba):
    e, s = engines[numba], EnhanceSettings().validated()
    alpha = np.random.default_rng(3).integers(0, 256, dark_photo.shape[:2], dtype=np.uint8)
    gray = gray_of(dark_photo)
    # gray + alpha is decoded as RGBA (image_modes.la_to_rgba)
    for rgba in (np.dstack([dark_photo, alpha]), np.dstack([gray, gray, gray, alpha])):
        _, rgb_out = _three_channel_path(e, rgba[:, :, :3], s, 2)
        expected = np.dstack([rgb_out, alpha])
        np.testing.assert_array_equal(e.enhance(rgba, s, threads=2).image, expected)
        np.testing.assert_array_equal(e.render_rows(rgba, e.plan_image(rgba, s), 11, 99),
                                      expected[11:99])


def test_a_colour_photo_that_is_a_view_of_one_plane_stays_a_colour_photo(enhancer,
                                                                        dark_photo):
    """Only a gray photo is rendered gray: a caller's own 3 or 4-channel view of one plane
    is a colour photo (its channels are dithered apart)."""
    gray = gray_of(dark_photo)
    rgb = np.broadcast_to(gray[:, :, None], (*gray.shape, 3))
    rgba = np.broadcast_to(gray[:, :, None], (*gray.shape, 4))
    for view in (rgb, rgba):
        result = enhancer.enhance(view, threads=2).image
        np.testing.assert_array_equal(result,
                                      enhancer.enhance(view.copy(), threads=2).image)
        assert result.shape == view.shape


def test_the_net_keeps_no_strips_activations_after_a_big_map(monkeypatch):
    """A cv2.dnn.Net holds every activation of its largest run: after a map run in strips
    the calling thread's net is dropped (and read again, the same numbers)."""
    from app.core.engine.backends import strips

    efe = Enhancer(backend="opencv", threads=1).efe
    small = np.random.default_rng(8).random((75, 100, 3), dtype=np.float32) * 0.3
    whole = efe.factor(small, 0.6, threads=1)
    assert efe._local.net is not None  # one run: kept
    monkeypatch.setattr(strips, "LARGE_INPUT", 1500)
    for _ in range(2):
        np.testing.assert_allclose(efe.factor(small, 0.6, threads=1), whole, atol=1e-6)
        assert efe._local.net is None


@pytest.mark.parametrize("fused", [True, False])
def test_the_colour_model_channel_by_channel_is_the_model_of_all_three(fused, monkeypatch):
    """The same numbers a channel at a time as all at once, with the fused kernels
    (guided_kernels) or OpenCV's box filters."""
    if not fused:
        monkeypatch.setattr(guided, "_kernels", lambda: None)
    copy = np.random.default_rng(5).random((53, 71, 3), np.float32)
    v = analysis.brightness(copy)
    eps = (analysis.COLOUR_EPS_SIGMAS * 0.02) ** 2
    a, b = guided.coefficients(v, copy, analysis.COLOUR_RADIUS, eps)  # all three at once
    np.testing.assert_array_equal(analysis.colour_model(copy, 0.02),
                                  np.moveaxis(np.dstack([a, b]), 2, 0))
    for radius, shape in ((1, (9, 7, 2)), (4, (40, 33, 3)), (2, (1, 5, 3))):
        src = np.random.default_rng(radius).random(shape, np.float32)
        guide = src.max(axis=2)
        a, b = guided.coefficients(guide, src, radius, 1e-3)
        np.testing.assert_array_equal(guided.stacked_channels(guide, src, radius, 1e-3),
                                      np.moveaxis(np.dstack([a, b]), 2, 0))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_whole_image_steps_read_a_view_as_its_copy(dtype):
    """Gray seen as RGB (stride 0) and RGBA's colours are views; OpenCV and reshape would
    copy them whole, so these steps work on the plane or a channel at a time instead."""
    rng = np.random.default_rng(6)
    top = np.iinfo(dtype).max
    gray = rng.integers(0, top // 4, (97, 131), dtype=dtype)
    rgba = rng.integers(0, top // 4, (97, 131, 4), dtype=dtype)
    for view in (np.broadcast_to(gray[:, :, None], (97, 131, 3)), rgba[:, :, :3]):
        copy = np.ascontiguousarray(view)
        np.testing.assert_array_equal(analysis.colour_copy(view), analysis.colour_copy(copy))
        np.testing.assert_array_equal(resample.downscale(view, 9, 13, float(top)),
                                      resample.downscale(copy, 9, 13, float(top)))
        m, n = analysis.measure(view), analysis.measure(copy)
        assert (m.sigma, m.mean, m.channel_bias, m.white_gains) == (
            n.sigma, n.mean, n.channel_bias, n.white_gains)
        np.testing.assert_array_equal(m.samples.base, n.samples.base)
    assert resample.shared_plane(np.broadcast_to(gray[:, :, None], (97, 131, 3))) is not None
    assert resample.shared_plane(rgba[:, :, :3]) is None


@pytest.mark.parametrize("mode", ["L", "I;16", "RGB", "RGBA", "1"])
def test_pillow_pixels_in_strips_are_the_whole_array(monkeypatch, mode):
    rng = np.random.default_rng(7)
    if mode == "I;16":
        im = Image.fromarray(rng.integers(0, 65536, (23, 17), dtype=np.uint16))
    else:
        im = Image.fromarray(rng.integers(0, 256, (23, 17, 4), dtype=np.uint8)).convert(mode)
    dtype = np.uint16 if mode == "I;16" else None
    for size in (1, 40, 1 << 24):
        monkeypatch.setattr(images, "_STRIP_BYTES", size)
        np.testing.assert_array_equal(images._pillow_pixels(im, dtype), np.asarray(im, dtype))


@pytest.mark.skipif(not Path("/proc/self/status").exists(),
                    reason="the peak is read from Linux's /proc")
def test_a_gray_photo_peaks_at_about_three_times_its_decoded_size():
    """A fresh process, a 6000 x 6000 gray photo (34 MB) on two cores: its peak over the
    engine's loaded size is under 3.5x the photo plus the engine's working memory, which
    does not grow with the photo past ~25 MP (the colour model's 1.5 MP, the net's strips,
    two bands: ~110 MB; the share it takes falls as photos grow: a 14000 x 14000 gray
    photo peaks at ~3.2x in all, bench.photo). Before: 16x, 560 MB (a full-size colour copy
    of the gray photo, a colour result, the net in 250,000-pixel strips)."""
    from app.bench.photo import memory_run

    m = memory_run(6000, 6000, gray=True, again=False, threads=2)
    assert m["ok"], m
    assert m["peak_mb"] - m["model_loaded_mb"] < 3.5 * m["decoded_mb"] + 110, m
