"""The video stage's 4:2:0 path (app.core.engine.yuv_frame): the photo pipeline's result on a
reduced copy carried back to the planes, and its numpy twin for the frozen app."""
import numpy as np
import pytest

from app.core import Enhancer, EnhanceSettings
from app.core.engine import yuv_frame
from app.core.engine.video_enhancer import VideoEnhancer
from app.core.media.yuv import i420_to_rgb, rgb_to_i420


def textured(h: int, w: int, seed: int = 0) -> np.ndarray:
    """Dark RGB with fine texture (one-pixel stripes), coloured regions and noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w]
    base = 30 + 20 * (x / w) + 8 * ((x + y) % 2)
    img = np.stack([base * 1.2, base, base * 0.7], axis=2) + rng.normal(0, 2, (h, w, 3))
    img[h // 4:h // 2, w // 4:w // 2] = [90, 40, 20]  # a warm lamp-lit patch
    return np.clip(img, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("reduction", [2, 4])
@pytest.mark.parametrize("size", [(96, 128), (90, 126)])  # a whole ratio, and not
def test_numba_and_numpy_agree(size, reduction):
    i420 = rgb_to_i420(textured(*size))
    state, copy, light = yuv_frame.prepare(i420, None, 1.0, 1.0, reduction)
    state2, copy2, light2 = yuv_frame.prepare(i420, None, 1.0, 1.0, reduction, use_numba=False)
    assert np.abs(copy.astype(int) - copy2).max() <= 1
    assert np.abs(light - light2).max() < 1e-4
    enhanced = np.clip(copy.astype(np.float32) * 2.5, 0, 65535).astype(np.uint16)
    a = yuv_frame.finish(copy, enhanced, state, 1.0).astype(int)
    b = yuv_frame.finish(copy, enhanced, state2, 1.0, use_numba=False)
    assert np.abs(a - b).max() <= 2 and np.abs(a - b).mean() < 0.1
    # rows shared among threads: the same bytes (the dither keeps its phase)
    split = yuv_frame.finish(copy, enhanced, state, 1.0, threads=3)
    assert np.array_equal(split, a)
    _, copy3, _ = yuv_frame.prepare(i420, None, 1.0, 1.0, reduction, threads=3)
    assert np.array_equal(copy3, copy)


@pytest.mark.parametrize("reduction", [2, 4])
def test_an_untouched_copy_gives_the_frame_back(reduction):
    i420 = rgb_to_i420(textured(96, 128))
    state, copy, _ = yuv_frame.prepare(i420, None, 1.0, 1.0, reduction)
    out = yuv_frame.finish(copy, copy, state, 1.0).astype(int)
    assert np.abs(out - i420).max() <= 2  # the dither's level, and 16-bit rounding


@pytest.mark.parametrize("reduction", [2, 4])
def test_a_gain_reaches_full_size_detail_shrunk_as_the_photo_pipeline_shrinks_it(reduction):
    """The copy brightened 2x: the output's luma is 2x too, and the one-pixel stripes that
    only exist at full size come back brightened, with the detail shrink of 1 stop
    (pixel_stage.LUMA_SHRINK / LUMA_STOPS: 0.775 of the gain at Denoise 1), not lost."""
    rgb = textured(96, 128)
    i420 = rgb_to_i420(rgb)
    state, copy, _ = yuv_frame.prepare(i420, None, 1.0, 1.0, reduction)
    enhanced = (copy.astype(np.float32) * 2).astype(np.uint16)
    y_in = i420[:96].astype(float) - 16
    y_out = yuv_frame.finish(copy, enhanced, state, 1.0)[:96].astype(float) - 16
    region = (slice(60, 90), slice(70, 120))  # stripes, away from the lamp's edges
    assert y_out[region].mean() == pytest.approx(2 * y_in[region].mean(), rel=0.03)
    stripes_in = np.abs(np.diff(y_in[region], axis=1)).mean()
    stripes_out = np.abs(np.diff(y_out[region], axis=1)).mean()
    assert stripes_out == pytest.approx(2 * 0.775 * stripes_in, rel=0.15)


def test_the_frozen_apps_video_path_matches(enhancer):
    """The numpy kernels (no numba in the frozen app) give the same clip within a level or
    two, temporal denoise and all."""
    numpy_engine = Enhancer(use_numba=False)
    rng = np.random.default_rng(5)
    scene = textured(72, 96)
    frames = [np.clip(scene + rng.normal(0, 3, scene.shape), 0, 255).astype(np.uint8)
              for _ in range(4)]
    fast = VideoEnhancer(enhancer, EnhanceSettings(), 25.0)
    slow = VideoEnhancer(numpy_engine, EnhanceSettings(), 25.0)
    for f in frames:
        diff = np.abs(fast(f).astype(int) - slow(f))
    assert diff.mean() < 0.5 and np.percentile(diff, 99.9) <= 3


def test_odd_sized_frames_keep_their_size(enhancer):
    video = VideoEnhancer(enhancer, EnhanceSettings(), 25.0)
    dark = textured(75, 101) // 4
    out = video(dark)
    assert out.shape == (75, 101, 3) and out.mean() > 2 * dark.mean()


@pytest.mark.parametrize("size", [(96, 128), (90, 126)])
def test_the_pooled_copy_is_the_half_size_copy_averaged(size):
    """Where the planes divide evenly the 1/4 copy is pooled in the same pass as the
    temporal average; elsewhere it is reduced from the half-size copy: the same picture."""
    i420 = rgb_to_i420(textured(*size))
    _, half, _ = yuv_frame.prepare(i420, None, 1.0, 1.0, 2)
    _, quarter, _ = yuv_frame.prepare(i420, None, 1.0, 1.0, 4)
    assert np.abs(yuv_frame.reduce(half, 4).astype(int) - quarter).max() <= 2


@pytest.mark.parametrize("reduction", [2, 4, 8])
def test_the_copys_brightness_is_the_full_size_pixels_averaged(reduction):
    """The brightness the copy is rendered with is the mean, over each copy pixel's block,
    of the decoded frame's V = max(R, G, B), not the max of the block's averaged channels
    (lower wherever noise spreads the channels: at 1/4, 4 pixels of one block's chroma
    differ)."""
    import cv2

    rng = np.random.default_rng(1)
    rgb = np.clip(textured(96, 128) * 0.3 + rng.normal(0, 4, (96, 128, 3)), 0, 255)
    i420 = rgb_to_i420(rgb.astype(np.uint8))
    _, copy, light = yuv_frame.prepare(i420, None, 1.0, 1.0, reduction)
    decoded = i420_to_rgb(i420).max(axis=2).astype(np.float32) / 255
    expected = cv2.resize(decoded, light.shape[::-1], interpolation=cv2.INTER_AREA)
    assert np.abs(light - expected).mean() < 0.3 / 255  # 8-bit RGB's rounding
    own = copy.max(axis=2) / 65535
    assert light.mean() - own.mean() > (0.2 / 255 if reduction > 2 else -0.05 / 255)


def test_rgb_and_planes_round_trip():
    rgb = np.repeat(np.repeat(textured(48, 64)[::2, ::2], 2, 0), 2, 1)  # 2x2 blocks share chroma
    assert np.abs(i420_to_rgb(rgb_to_i420(rgb)).astype(int) - rgb).max() <= 2
    # a decoded frame encoded again is the same frame (chroma rounded once, not twice)
    i420 = rgb_to_i420(textured(48, 64))
    assert (rgb_to_i420(i420_to_rgb(i420)) == i420).mean() > 0.97
