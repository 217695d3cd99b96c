"""Natural results, on hand-made images whose right answer is known."""
import cv2
import numpy as np
import pytest

from app.core import Enhancer


@pytest.fixture(scope="module")
def engine():
    return Enhancer()


def noisy(img: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).round().astype(np.uint8)


def hue(rgb: np.ndarray) -> float:
    """Hue in degrees of the mean colour of an RGB patch."""
    mean = rgb.reshape(-1, 3).mean(0).astype(np.float32)[None, None]
    return float(cv2.cvtColor(mean / 255, cv2.COLOR_RGB2HSV_FULL)[0, 0, 0]) * 360 / 256


def saturation(rgb: np.ndarray) -> float:
    m = rgb.reshape(-1, 3).mean(0)
    return float((m.max() - m.min()) / max(m.max(), 1e-6))


def test_a_coloured_gradient_keeps_its_hue_and_saturation(engine):
    ramp = np.linspace(8, 60, 256, dtype=np.float32)[None, :, None]
    warm = np.broadcast_to(ramp * np.array([1.0, 0.62, 0.3], np.float32), (96, 256, 3))
    cool = np.broadcast_to(ramp * np.array([0.35, 0.55, 1.0], np.float32), (96, 256, 3))
    img = np.vstack([warm, cool]).round().astype(np.uint8)
    out = engine.enhance(img).image
    assert out.mean() > img.mean() * 2
    for rows in (slice(10, 86), slice(106, 182)):
        for cols in (slice(60, 120), slice(180, 240)):
            a, b = img[rows, cols], out[rows, cols]
            assert abs(hue(a) - hue(b)) < 3, (hue(a), hue(b))
            assert 0.9 < saturation(b) / saturation(a) < 1.15


def test_near_black_colour_noise_does_not_turn_teal(engine):
    """One level of red is JPEG rounding, not a colour: (1, 4, 3) must not become teal."""
    img = np.full((120, 160, 3), (1, 4, 3), np.uint8)
    img[::2, ::3] = (0, 4, 3)
    img[40:80, 60:100] = (90, 70, 40)  # something lit, so Auto has a scene to expose
    out = engine.enhance(img).image.astype(int)
    wall = out[:30, :30].reshape(-1, 3).mean(0)
    assert wall.max() - wall.min() < 6, wall  # neutral, not (0, 102, 114)


def test_denoise_smooths_a_dark_noisy_patch_and_can_be_turned_off(engine):
    img = noisy(np.full((160, 160, 3), 14.0), 3.0)
    img[60:100, 60:100] = noisy(np.full((40, 40, 3), 60.0), 3.0, 1)
    on = engine.enhance(img, exposure=0.45).image.astype(np.float32)
    off = engine.enhance(img, exposure=0.45, denoise="off").image.astype(np.float32)
    flat = (slice(5, 50), slice(5, 50))
    assert abs(on[flat].mean() - off[flat].mean()) < 6  # same brightness
    assert on[flat].std() < 0.6 * off[flat].std(), (on[flat].std(), off[flat].std())
    # colour noise goes first: the channels of a grey patch agree
    spread = on[flat].max(axis=2) - on[flat].min(axis=2)
    assert spread.mean() < 0.5 * (off[flat].max(axis=2) - off[flat].min(axis=2)).mean()


def test_denoise_keeps_faint_objects_on_a_noisy_dark_wall(engine):
    """Poles a couple of noise sigmas brighter than the dark wall behind them (LOL 15's air
    conditioner): the denoise takes the grain, not the poles, whose step stays nearly as
    tall as without it (the region colour model, blurred over ~30 pixels, once lent the
    pixels its brightness: 0.63 of the step was left here)."""
    img = noisy(np.full((200, 300, 3), 8.0), 3.0)
    inside, wall = np.zeros((200, 300), bool), np.zeros((200, 300), bool)
    for x0 in range(40, 260, 40):
        img[40:160, x0:x0 + 16] = noisy(np.full((120, 16, 3), 14.0), 3.0, x0)
        inside[50:150, x0 + 1:x0 + 15] = True
    wall[50:150, 5:30] = True

    def step(out):
        y = out.astype(np.float32).mean(axis=2)
        return y[inside].mean() - y[wall].mean()

    on, off = (engine.enhance(img, denoise=d).image for d in ("auto", "off"))
    assert step(on) > 0.72 * step(off), (step(on), step(off))  # 0.82 now
    assert on[wall].std() < 0.3 * off[wall].std()  # and the grain went


def test_the_bias_of_a_max_of_noisy_channels_is_measured_per_photo():
    """Independent noise in R, G and B reads 0.85 sigma too bright in their max; noise that
    the channels share (demosaiced, JPEG) does not, and the denoise takes back only what
    the photo has."""
    from app.core.engine import analysis

    rng = np.random.default_rng(8)
    own = np.clip(40 + rng.normal(0, 4, (300, 400, 3)), 0, 255).round().astype(np.uint8)
    shared = np.clip(40 + rng.normal(0, 4, (300, 400, 1)).repeat(3, axis=2), 0, 255)
    shared = shared.round().astype(np.uint8)
    assert 0.6 < analysis.measure(own).channel_bias <= 0.85
    assert analysis.measure(shared).channel_bias < 0.1


def test_a_step_edge_has_no_halo_or_overshoot(engine):
    img = np.full((120, 240, 3), 12, np.uint8)
    img[:, 120:] = 170  # a bright window beside a dark wall
    out = engine.enhance(img, exposure=0.5).image.astype(np.float32).mean(axis=2)
    dark, bright = out[:, :100].mean(), out[:, 140:].mean()
    assert dark > 12 * 2  # the wall was brightened
    profile = out[60]
    # no dark rim or glow: the dark side stays flat right up to the edge, the bright side
    # too (within 3% of its level; a gain that followed a blurred illumination overshot by
    # 17 levels here)
    # (within 8 levels of 60: the base the gain follows is blurred over the last 2-3 pixels
    # before the edge, and the local curve's gain falls faster with it than a global gain)
    assert np.abs(profile[100:119] - dark).max() < 8, profile[95:125]
    # (within 5%: the local curve lifts the lower illumination next to the edge a little
    # more; it was 3% when the exposure was mostly a global gain)
    assert np.abs(profile[121:140] - bright).max() < 0.05 * bright, profile[115:145]
    assert profile[119] <= profile[121]


def test_a_well_exposed_photo_comes_back_nearly_untouched(engine):
    rng = np.random.default_rng(5)
    y, x = np.mgrid[0:200, 0:300].astype(np.float32)
    img = np.stack([90 + 80 * np.sin(x / 40), 120 + 60 * np.cos(y / 30),
                    110 + 50 * np.sin((x + y) / 50)], axis=2)
    img = np.clip(img + rng.normal(0, 2, img.shape), 0, 255).round().astype(np.uint8)
    out = engine.enhance(img).image.astype(np.float32)
    mse = ((out - img) ** 2).mean()
    assert 10 * np.log10(255 ** 2 / mse) > 32


def test_near_black_noise_is_not_lifted_to_grey(engine):
    img = noisy(np.full((200, 200, 3), 2.0), 1.5)
    out = engine.enhance(img).image
    # (Auto's noise budget is 20 levels since it was calibrated on real pairs: the photo
    # stays dark grey, 32 of 255; it came to 28 with the budget of 9)
    assert out.mean() < 36, out.mean()


def test_an_explicit_exposure_lands_on_target_where_reachable(engine, dark_photo):
    for target in (0.25, 0.3, 0.35):
        out = engine.enhance(dark_photo, exposure=target).image
        assert abs(out.mean() / 255 - target) < 0.05, (target, out.mean() / 255)
    # a bright target is reached by lifting the room, not by blowing out the lit window
    out = engine.enhance(dark_photo, exposure=0.8).image
    assert abs(out.mean() / 255 - 0.8) < 0.05
    assert (out.max(axis=2) >= 254).mean() < 0.03


def test_highlights_are_rolled_off_not_clipped(engine):
    """A lit lamp shade (bright, with detail) in a dark room keeps its detail."""
    img = np.full((160, 160, 3), 10, np.uint8)
    y, x = np.mgrid[0:60, 0:60]
    shade = 200 + 40 * np.sin(x / 4.0) * np.cos(y / 5.0)
    img[50:110, 50:110] = np.stack([shade, shade * 0.9, shade * 0.7], axis=2).astype(np.uint8)
    # (the shade's pattern is 25 px across, inside the illumination that the local curve
    # compresses near white: it keeps a fifth of its contrast at the reference strength)
    for strength, detail in ((8, 3.0), (16, 1.2)):
        lamp = engine.enhance(img, iterations=strength).image[55:105, 55:105]
        assert (lamp.max(axis=2) >= 254).mean() < 0.02  # not a blown-out disc
        # its pattern is still there (std 19.6 in the input), compressed at most strength
        assert lamp[..., 0].astype(float).std() > detail, strength


def test_a_smooth_dark_ramp_does_not_band_in_8_bits(engine):
    """Brightening 10x turns each input level into a 10-level jump; the deband (the coarse
    base in flat regions brightened a lot), the denoise and the dither must smooth those
    jumps into a ramp."""
    ramp = np.linspace(4, 36, 640, dtype=np.float32)
    img = np.broadcast_to(ramp[None, :, None], (96, 640, 3)).round().astype(np.uint8)

    def jumps(denoise):
        out = engine.enhance(img, exposure=0.5, denoise=denoise).image.astype(np.float32)
        profile = out[:, :, 1].mean(axis=0)  # the eye sees the average across the ramp
        return np.abs(np.diff(profile[10:-10]))

    on, off = jumps("auto"), jumps("off")
    assert off.max() > 6  # without it, the rounding steps show (the test can fail)
    # (the deband starts at 3 stops since it smeared texture in dark rooms: at 2.3 stops
    # here, the denoise and the dither do it alone)
    assert on.max() < 0.5 * off.max(), (on.max(), off.max())


def test_strength_is_usable_over_its_whole_range(engine, dark_photo):
    for n in (1, 4, 8, 12, 16):
        out = engine.enhance(dark_photo, iterations=n).image
        assert (out.max(axis=2) >= 254).mean() < 0.05, n  # never blown out
        assert out.mean() > dark_photo.mean()


def test_heatmap_shows_the_gain_in_stops(engine, dark_photo):
    r = engine.enhance(dark_photo, exposure=0.5)
    applied = np.log2(r.image.astype(np.float32).mean() / dark_photo.astype(np.float32).mean())
    assert 0.5 < r.gain_small.mean() / applied < 2.0
    flat = engine.enhance(dark_photo, iterations=1)
    assert flat.gain_small.mean() < r.gain_small.mean()


def test_white_and_bright_photos_keep_their_highlights(engine):
    """The highlight knee is for what was brightened: a snow scene keeps its whites."""
    for level in (255, 240, 200):
        img = np.full((80, 80, 3), level, np.uint8)
        out = engine.enhance(img).image.astype(int)
        assert np.abs(out - level).max() <= 1, level
