"""Video that follows the scene, measured on generated clips (frames fed straight to the
engine's video stage; the file round trip is covered in test_video.py): a static noisy scene,
a slow fade-in, hard cuts between different dark scenes, a light switched on."""
import numpy as np
import pytest
from clips import dark_scene, two_sided_scene

from app.core import EnhanceSettings
from app.core.engine.video_enhancer import VideoEnhancer

FPS = 25.0
H, W = 144, 256


@pytest.fixture(params=[2, 4], ids=["half-size copy", "quarter-size copy"])
def reduction(request):
    """The photo stage's copy of each frame: small clips use 1/2, from 720p up 1/4."""
    return request.param


@pytest.fixture(scope="module")
def scenes():
    a = dark_scene(H, W // 2, seed=3)[:, :W]  # (H, W, 3) floats in [0, 1]
    b = np.flipud(dark_scene(H, W // 2, seed=11)[:, :W]) * np.array([0.8, 0.9, 1.2])
    return a, b


def shoot(scene: np.ndarray, light: float, rng: np.random.Generator, noise: float = 0.012
          ) -> np.ndarray:
    """One frame: the scene under ``light``, fresh sensor noise, 8-bit."""
    img = scene * light + rng.normal(0, noise, scene.shape)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def run(enhancer, frames, settings=None, **kw) -> tuple[np.ndarray, VideoEnhancer]:
    video = VideoEnhancer(enhancer, settings or EnhanceSettings(), FPS, **kw)
    return np.stack([video(f) for f in frames]), video


def means(frames: np.ndarray) -> np.ndarray:
    return frames.reshape(len(frames), -1).mean(axis=1)


def test_static_scene_does_not_breathe(enhancer, scenes, reduction):
    rng = np.random.default_rng(0)
    frames = [shoot(scenes[0], 1.0, rng) for _ in range(40)]
    out, video = run(enhancer, frames, reduction=reduction)
    jitter = np.abs(np.diff(means(out), n=2)).mean()
    assert jitter <= 0.5, jitter
    assert video.cuts == 0
    assert out.mean() > 2 * scenes[0].mean() * 255  # and it was brightened


def test_a_fade_in_survives(enhancer, scenes, reduction):
    """The light rises 3.7x over two seconds: at least a quarter of that (in log terms) must
    still show, not be cancelled like a camera's auto-exposure would."""
    rng = np.random.default_rng(1)
    light = np.geomspace(0.27, 1.0, 50)
    frames = [shoot(scenes[0], k, rng) for k in light]
    out, video = run(enhancer, frames, reduction=reduction)
    m_in, m_out = means(np.stack(frames)), means(out)
    kept = np.log(m_out[-5:].mean() / m_out[:5].mean()) / np.log(m_in[-5:].mean() /
                                                                m_in[:5].mean())
    assert kept >= 0.25, kept
    assert video.cuts == 0


def test_a_light_switched_on_stays_on_and_settles(enhancer, scenes, reduction):
    rng = np.random.default_rng(2)
    frames = [shoot(scenes[0], 0.35 if i < 20 else 1.0, rng) for i in range(50)]
    out, video = run(enhancer, frames, reduction=reduction)
    m_in, m_out = means(np.stack(frames)), means(out)
    kept = np.log(m_out[25:].mean() / m_out[:20].mean()) / np.log(m_in[25:].mean() /
                                                                  m_in[:20].mean())
    assert kept >= 0.25, kept
    settled = m_out[40:].mean()
    assert abs(m_out[25] - settled) <= 3, (m_out[20:30], settled)  # 5 frames after


def test_a_hard_cut_in_the_dark_resets_at_once(enhancer, scenes, reduction):
    """Both shots are dark (their frames differ by less than 0.12 of full scale, which the old
    detector needed): the new shot must look right 5 frames after the cut."""
    rng = np.random.default_rng(3)
    first = [shoot(scenes[0], 0.6, rng) for _ in range(20)]
    second = [shoot(scenes[1], 0.35, rng) for _ in range(25)]
    assert np.abs(first[-1].astype(float) - second[0]).mean() / 255 < 0.12
    out, video = run(enhancer, first + second, reduction=reduction)
    assert video.cuts == 1
    alone, _ = run(enhancer, [shoot(scenes[1], 0.35, rng) for _ in range(25)],
                   reduction=reduction)
    settled = means(alone)[10:].mean()  # the second shot enhanced on its own
    # within 5 levels: the two runs plan the shot on frames with other noise, and the
    # floor to black and the push of the local curve follow the noise a little
    assert abs(means(out)[25] - settled) <= 5, (means(out)[20:30], settled)


def test_temporal_denoise_halves_the_noise_without_ghosts(enhancer, scenes, reduction):
    rng = np.random.default_rng(4)
    frames = []
    for i in range(30):
        f = shoot(scenes[0], 1.0, rng, noise=0.02)
        x = 20 + 6 * i  # a bright box crossing the frame
        f[60:90, x:x + 30] = 200
        frames.append(f)
    with_t, _ = run(enhancer, frames, reduction=reduction)
    without, _ = run(enhancer, frames, temporal_denoise=False, reduction=reduction)
    static = (slice(100, 140), slice(10, 240))  # below the moving box

    def temporal_noise(out):
        block = out[15:, static[0], static[1]].astype(np.float32)
        return block.std(axis=0).mean()

    assert temporal_noise(with_t) * 2 <= temporal_noise(without), (
        temporal_noise(with_t), temporal_noise(without))
    # no ghost: where the box was two frames ago, the last frame shows what per-frame
    # processing shows there (the background), not a trail of the box
    behind = (slice(62, 88), slice(20 + 6 * 27 - 12, 20 + 6 * 27 - 2))
    trail = with_t[-1][behind].astype(np.float32).mean() - without[-1][behind].mean()
    assert abs(trail) < 6, trail
    box = (slice(62, 88), slice(20 + 6 * 29 + 2, 20 + 6 * 29 + 28))
    assert abs(with_t[-1][box].astype(np.float32).mean() - without[-1][box].mean()) < 6


def pan(panorama: np.ndarray, rng, start: int, stop: int, moving: int, still: int
        ) -> list[np.ndarray]:
    """A camera panning from column ``start`` to ``stop`` in ``moving`` frames, then still."""
    cols = list(np.linspace(start, stop, moving).round().astype(int)) + [stop] * still
    return [shoot(panorama[:, c:c + W], 1.0, rng) for c in cols]


@pytest.mark.parametrize("direction", ["lit to dark", "dark to lit"])
def test_a_pan_ends_where_the_view_alone_would(enhancer, direction):
    """Lit side (0.6) to dark side (0.05) of one scene in 3 s, then 6 s still: the end is
    within 15% of the same view enhanced as its own clip (the exposure of the shot's first
    frame held the old scene: 0.37x and 1.49x before)."""
    scene = two_sided_scene(H, W)
    rng = np.random.default_rng(6)
    ends = (0, 2 * W) if direction == "lit to dark" else (2 * W, 0)
    frames = pan(scene, rng, *ends, moving=int(3 * FPS), still=int(6 * FPS))
    out, video = run(enhancer, frames)
    alone, _ = run(enhancer, pan(scene, rng, ends[1], ends[1], 1, int(3 * FPS)))
    end, own = means(out)[-25:].mean(), means(alone)[-25:].mean()
    assert abs(end / own - 1) <= 0.15, (end, own, means(out)[::25])
    # settled within 3 s of the pan's end
    settle = means(out)[int(6 * FPS):int(6 * FPS) + 10].mean()
    assert abs(settle / own - 1) <= 0.15, (settle, own)


def test_a_slow_fade_keeps_half_its_stops(enhancer, scenes):
    """The light rises 4x over 4 s inside one shot (a dimmer): at least half of it, in
    stops, shows in the output."""
    rng = np.random.default_rng(7)
    light = np.geomspace(0.25, 1.0, int(4 * FPS))
    frames = [shoot(scenes[0], k, rng) for k in light] + [
        shoot(scenes[0], 1.0, rng) for _ in range(int(FPS))]
    out, video = run(enhancer, frames)
    m_in, m_out = means(np.stack(frames)), means(out)
    kept = np.log(m_out[-10:].mean() / m_out[:5].mean()) / np.log(m_in[-10:].mean() /
                                                                 m_in[:5].mean())
    assert kept >= 0.5, kept
    assert video.cuts == 0


def test_a_static_scene_does_not_pump_over_seconds(enhancer, scenes):
    """8 s of a still, noisy camera: the exposure follows the scene's own solution every few
    frames, so noise in those solutions must not show as a slow breathing either."""
    rng = np.random.default_rng(8)
    out, video = run(enhancer, [shoot(scenes[0], 1.0, rng, noise=0.02)
                                for _ in range(int(8 * FPS))])
    m = means(out)
    seconds = m[:int(8 * FPS)].reshape(8, -1).mean(axis=1)
    assert seconds.max() - seconds.min() <= 1.5, seconds  # levels, over 8 s
    assert np.abs(np.diff(m, n=2)).mean() <= 0.5
    assert video.cuts == 0


def test_the_tracker_reads_a_dimmer_not_a_pan_at_1080p():
    """One step of a slow fade (1.4% a frame) is read as light even in 8-bit 1080p frames;
    a pan towards the dark side of a scene, and a still camera, are not."""
    import cv2

    from app.core.engine.video_enhancer import ShotTracker, as_i420

    rng = np.random.default_rng(9)
    scene = cv2.resize(two_sided_scene(H, W).astype(np.float32), (5760, 1080))

    def frame(col: int, light: float) -> np.ndarray:
        img = scene[:, col:col + 1920] * light + rng.normal(0, 0.01, (1080, 1920, 3))
        return as_i420((np.clip(img, 0, 1) * 255).round().astype(np.uint8))

    def light(a: np.ndarray, b: np.ndarray) -> float:
        tracker = ShotTracker(FPS)
        assert tracker.update(a) and not tracker.update(b)
        return tracker.light

    step = np.log2(1.014)
    assert 0.7 * step <= light(frame(0, 0.3), frame(0, 0.3 * 1.014)) <= 1.3 * step
    # a 40-pixel step of a pan across the lit-to-dark edge (2.6 stops over 1150 pixels:
    # 0.09 stops a pixel there, unaligned)
    assert abs(light(frame(2000, 0.5), frame(2040, 0.5))) <= 0.25 * step
    assert abs(light(frame(0, 0.5), frame(0, 0.5))) <= 0.1 * step
