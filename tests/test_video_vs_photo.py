"""The video's reduced-resolution stage against the photo path on the same frame (issue #24:
at 4 stops and more the video must stay within 2-4 levels of what the photo path makes of
the frame). The frame is the decoded one (4:2:0, as the video engine sees it), the first of
its shot (no temporal average yet), darkened so the explicit exposure needs 2, 3, 4 and 5
stops of gain (the last is held at about 4.3 by the 5-stop cap: the target is out of reach).
Measured: mean absolute difference of R, G and B, 8-bit, per pixel."""
import numpy as np
import pytest
from clips import detailed_scene

from app.core import EnhanceSettings
from app.core.engine.video_enhancer import VideoEnhancer, as_i420
from app.core.media.yuv import i420_to_rgb

TARGET = 0.4


def frame(scene: np.ndarray, stops: int, noise: float, seed: int) -> np.ndarray:
    """The scene with its mean at TARGET / 2^stops, sensor noise, 8-bit, decoded from 4:2:0."""
    rng = np.random.default_rng(seed)
    img = scene * (TARGET / 2 ** stops / scene.mean()) + rng.normal(0, noise, scene.shape)
    rgb = (np.clip(img, 0, 1) * 255).round().astype(np.uint8)
    return i420_to_rgb(as_i420(rgb))


def difference(enhancer, rgb: np.ndarray) -> tuple[float, float]:
    """(levels between the video and the photo path, the photo's median gain in stops)."""
    settings = EnhanceSettings(exposure=TARGET)
    photo = enhancer.enhance(rgb, settings)
    video = VideoEnhancer(enhancer, settings, 25.0)(rgb)
    return (float(np.abs(video.astype(np.float32) - photo.image).mean()),
            float(np.median(photo.gain_small)))


@pytest.mark.parametrize("size", [(720, 1280), (360, 640)],
                         ids=["720p (quarter-size copy)", "360p (half-size copy)"])
@pytest.mark.parametrize("stops", [2, 3, 4, 5])
def test_within_4_levels_of_the_photo_path(enhancer, size, stops):
    """Detail (a 3-pixel texture, one-pixel lines) and colour edges, 2 levels of noise.
    Measured at 2, 3, 4, 4.3 stops: 720p 1.3, 1.8, 1.8, 3.0 levels (1.4, 1.9, 2.5, 3.4
    before the copy was rendered with the full-size pixels' brightness and chroma was
    rounded once; 2.5, 3.2, 6.4, 16.6 when the copy was planned and rendered as a photo of
    its own), 360p 1.5, 1.9, 2.1, 3.0 (1.5, 2.1, 3.0, 4.0; 3.2, 4.8, 7.2, 7.9)."""
    rgb = frame(detailed_scene(*size), stops, 0.008, seed=stops)
    levels, gain = difference(enhancer, rgb)
    assert gain > min(stops, 4.2) - 0.2  # the gain asked for is the gain measured
    assert levels <= 4.0, (stops, gain, levels)


@pytest.mark.parametrize("stops", [2, 3, 4, 5])
def test_a_night_street_follows_the_photo_path(enhancer, stops):
    """The bundled night scene (lit windows on dark walls) at 720p: 2.3, 2.8, 3.8, 3.7 levels
    at 2.4, 3.2, 4.1, 4.5 stops (2.5, 3.5, 4.3, 4.3 when the copy was rendered with its own
    brightness, the max of averaged channels, and one frame-wide correction for what it
    lacks: the grey sky above the roofs came out 3.5 levels dark, the coloured walls
    bright; 3.9, 4.6, 8.2, 10.9 before that). What remains from 4 stops is half fine detail
    (the photo's per-pixel Wiener shrink and despeckle keep more grain than the video's
    shrink of the full-size luma) and half the copy's own rendering (the despeckle's
    share, found once for the frame)."""
    from app.bench.samples import synthetic_photo

    scene = synthetic_photo(1280, 720).astype(np.float32) / 255
    levels, _ = difference(enhancer, frame(scene, stops, 0.008, seed=stops))
    assert levels <= 4.0, (stops, levels)
