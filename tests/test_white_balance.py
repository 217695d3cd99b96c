"""Issue 21's optional neutral white balance: off by default, takes most of a cast out, keeps
the brightness, and travels with the other settings (presets, the CLI, the report)."""
import subprocess
import sys

import numpy as np
import pytest

from app.core import EnhanceSettings
from app.core.presets import from_dict, to_dict


@pytest.fixture
def green_room():
    """A dark room under green LED light: every surface's G well above its R and B."""
    rng = np.random.default_rng(12)
    y, x = np.mgrid[0:180, 0:240].astype(np.float32)
    v = 0.05 + 0.04 * np.sin(x / 17) ** 2 + 0.03 * (y / 180)
    img = np.stack([v * 0.6, v, v * 0.7], axis=2) + rng.normal(0, 0.003, (180, 240, 3))
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


def cast(img):
    m = img.reshape(-1, 3).astype(np.float64).mean(axis=0)
    return float(np.log2(m.max() / m.min()))


def test_off_by_default_and_takes_most_of_a_cast_out(enhancer, green_room):
    plain = enhancer.enhance(green_room).image
    balanced = enhancer.enhance(green_room, white_balance=True).image
    assert EnhanceSettings().white_balance is False
    assert cast(plain) > 0.6  # the room keeps its green without it
    assert cast(balanced) < 0.5 * cast(plain)  # most of it goes
    assert abs(balanced.mean() - plain.mean()) < 0.06 * plain.mean()  # same brightness


def test_a_neutral_photo_is_left_neutral(enhancer):
    rng = np.random.default_rng(3)
    grey = np.clip(rng.normal(30, 6, (120, 160, 1)).repeat(3, axis=2), 0, 255).astype(np.uint8)
    out = enhancer.enhance(grey, white_balance=True).image
    np.testing.assert_allclose(out, enhancer.enhance(grey).image, atol=2)


def test_white_balance_travels_with_the_settings(tmp_path, green_room):
    s = EnhanceSettings(white_balance=True)
    assert s.by_name()["white_balance"] is True
    assert from_dict(to_dict(s)) == s.validated()
    assert from_dict({"exposure": "auto"}).white_balance is False  # older presets: off
    with pytest.raises(ValueError, match="white balance"):
        EnhanceSettings(white_balance="yes").validated()
    from PIL import Image

    Image.fromarray(green_room).save(tmp_path / "room.png")
    outs = {}
    for flag in ("--white-balance", "--no-white-balance"):
        r = subprocess.run([sys.executable, "-m", "app.cli", "enhance", str(tmp_path / "room.png"),
                            "-o", str(tmp_path / flag), flag], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, r.stderr
        outs[flag] = np.asarray(Image.open(tmp_path / flag / "room.png"))
    assert cast(outs["--white-balance"]) < 0.5 * cast(outs["--no-white-balance"])


def test_the_window_has_the_white_balance_and_undoes_it(qtbot, window, tmp_path, green_room):
    from PIL import Image

    photo = tmp_path / "room.png"
    Image.fromarray(green_room).save(photo)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.controls.white_balance.setChecked(True)
    assert window.controls.settings().white_balance is True
    assert "white balance" in window.output_pane.footer.text()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.act_undo.trigger()
    assert not window.controls.white_balance.isChecked()
    assert "white balance" not in window.output_pane.footer.text()
