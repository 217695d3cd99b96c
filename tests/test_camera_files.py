"""Camera RAW (rawpy/LibRaw) and HEIC (pillow-heif) in, through the CLI, the batch and the
window (issue #25): 16-bit, camera white balance, no auto-brightening, orientation applied
once, EXIF kept, outputs 16-bit TIFF (RAW) and JPEG (HEIC) unless a format is chosen, and the
camera files that cannot be read named before a batch starts. The files are made here
(camera_files.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from camera_files import CAMERA_MAKE, exif_of, linear_scene, make_dng, make_heic, to_srgb8
from PIL import Image

from app.cli import main as cli
from app.core import OutputOptions, discover, read_image, run_batch
from app.core.media import camera_formats
from app.core.media.metadata import has_output_mark
from app.core.settings import EnhanceSettings

# Where the scene's red patch (top left when stored) lands for each EXIF orientation.
RED_CORNER = {1: (0, 0), 3: (-1, -1), 6: (0, -1), 8: (-1, 0)}


def _corner(pixels: np.ndarray, corner: tuple[int, int]) -> np.ndarray:
    """Mean colour of an 8x8 block in that corner (0 = first rows/columns, -1 = last)."""
    rows = slice(0, 8) if corner[0] == 0 else slice(-8, None)
    cols = slice(0, 8) if corner[1] == 0 else slice(-8, None)
    return pixels[rows, cols].reshape(-1, pixels.shape[2]).mean(0)


def _is_red(rgb: np.ndarray) -> bool:
    return rgb[0] > 1.8 * rgb[1] and abs(rgb[1] - rgb[2]) < 0.1 * rgb[0]


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_dng_reads_as_upright_16_bit_rgb_with_camera_white_balance(tmp_path, orientation):
    scene = linear_scene()
    pixels, meta = read_image(make_dng(tmp_path / "night.DNG", scene, orientation))
    h, w = scene.shape[:2]
    assert pixels.dtype == np.uint16 and pixels.shape == (
        (w, h, 3) if orientation in (6, 8) else (h, w, 3))
    assert _is_red(_corner(pixels, RED_CORNER[orientation]))  # turned once, not twice
    gray = _corner(pixels, tuple(-1 - c for c in RED_CORNER[orientation]))  # opposite corner
    assert np.ptp(gray) < 0.01 * gray.mean()  # the camera's white balance made it neutral
    # no auto-brightening: linear 0.06 on the sRGB-like curve, about 0.21 (auto: near white)
    field = np.median(pixels[..., 1]) / 65535
    assert 0.17 < field < 0.25, field
    exif = Image.Exif()
    exif.load(meta.exif)
    assert exif[271] == CAMERA_MAKE and exif[274] == 1  # kept; the pixels are upright
    assert exif.get_ifd(0x8769)[0x8827] == 3200  # ISO


@pytest.mark.parametrize("orientation", [1, 6, 8])
def test_heic_reads_upright_with_its_exif(tmp_path, orientation):
    scene = linear_scene()
    pixels, meta = read_image(make_heic(tmp_path / "phone.HEIC", to_srgb8(scene), orientation))
    h, w = scene.shape[:2]
    assert pixels.dtype == np.uint8 and pixels.shape == (
        (w, h, 3) if orientation in (6, 8) else (h, w, 3))
    assert _is_red(_corner(pixels, RED_CORNER[orientation]).astype(float))
    exif = Image.Exif()
    exif.load(meta.exif)
    assert exif[271] == CAMERA_MAKE and exif.get(274, 1) == 1


def test_cli_enhances_raw_to_16_bit_tiff_and_heic_to_jpeg_by_default(tmp_path):
    src = tmp_path / "card"
    src.mkdir()
    dng = make_dng(src / "IMG_0001.DNG", linear_scene(), orientation=6)
    heic = make_heic(src / "IMG_0002.HEIC", to_srgb8(linear_scene()), orientation=6)
    before = {p: p.read_bytes() for p in (dng, heic)}
    out = tmp_path / "out"
    assert cli(["enhance", str(dng), str(heic), "-o", str(out)]) == 0
    tiff, jpeg = out / "IMG_0001.tif", out / "IMG_0002.jpg"
    assert sorted(p.name for p in out.iterdir()) == [tiff.name, jpeg.name]
    enhanced, _ = read_image(tiff)
    original, _ = read_image(dng)
    assert enhanced.dtype == np.uint16 and enhanced.shape == original.shape == (96, 64, 3)
    assert enhanced.mean() > 1.3 * original.mean()  # brightened
    assert _is_red(_corner(enhanced, RED_CORNER[6]))  # still upright: turned once only
    photo, _ = read_image(jpeg)
    assert photo.dtype == np.uint8 and photo.shape == (96, 64, 3)
    for path in (tiff, jpeg):
        exif = exif_of(path)
        assert exif[271] == CAMERA_MAKE and exif.get(274, 1) == 1 and has_output_mark(path)
    assert exif_of(tiff)[0x8827] == 3200  # ISO
    assert all(p.read_bytes() == data for p, data in before.items())  # originals untouched

    chosen = tmp_path / "chosen"
    assert cli(["enhance", str(dng), "-o", str(chosen), "--format", "png"]) == 0
    assert read_image(chosen / "IMG_0001.png")[0].dtype == np.uint16  # 16-bit PNG
    assert cli(["enhance", str(dng), "-o", str(chosen), "--format", "jpeg"]) == 0
    assert read_image(chosen / "IMG_0001.jpg")[0].dtype == np.uint8


def test_batch_of_a_card_gives_each_shot_its_own_output_and_reruns_skip(tmp_path, enhancer):
    card = tmp_path / "DCIM"
    card.mkdir()
    scene = linear_scene()
    make_dng(card / "IMG_0001.DNG", scene)
    Image.fromarray(to_srgb8(scene)).save(card / "IMG_0001.JPG", quality=90)  # RAW+JPEG pair
    make_heic(card / "IMG_0002.HEIC", to_srgb8(scene))
    Image.fromarray(to_srgb8(scene)).save(card / "IMG_0002.JPG", quality=90)
    out = tmp_path / "out"
    items = discover([card], exclude=out)
    assert [it.status for it in items] == ["", "", "", ""]
    report = run_batch(items, enhancer, EnhanceSettings(), OutputOptions(out))
    assert [o.status for o in report.outcomes] == ["done"] * 4, report.outcomes
    outputs = {Path(o.source).name: Path(o.output).name for o in report.outcomes}
    assert outputs["IMG_0001.DNG"] == "IMG_0001_enhanced.tif"
    assert outputs["IMG_0001.JPG"] == "IMG_0001_enhanced.jpg"
    # a HEIC and a JPEG of the same name would share IMG_0002_enhanced.jpg: numbered
    assert {outputs["IMG_0002.HEIC"], outputs["IMG_0002.JPG"]} == {
        "IMG_0002_enhanced.jpg", "IMG_0002_enhanced (2).jpg"}
    assert read_image(out / "IMG_0001_enhanced.tif")[0].dtype == np.uint16
    again = run_batch(discover([card], exclude=out), enhancer, EnhanceSettings(),
                      OutputOptions(out))
    assert [o.status for o in again.outcomes] == ["skipped"] * 4  # outputs recognised as ours


def test_camera_files_that_cannot_be_read_are_named_before_the_batch(tmp_path, enhancer,
                                                                     monkeypatch):
    d = tmp_path / "card"
    d.mkdir()
    make_dng(d / "good.dng", linear_scene())
    (d / "fake.CR2").write_bytes(b"not really a raw file")
    (d / "empty.NEF").write_bytes(b"")
    Image.fromarray(to_srgb8(linear_scene())).save(d / "renamed.heic", format="JPEG")
    (d / "sigma.X3F").write_bytes(b"FOVb" + bytes(60))
    items = {it.source.name: it for it in discover([d])}
    assert items["good.dng"].status == ""
    assert (items["fake.CR2"].status, items["fake.CR2"].reason) == (
        "failed", "not a camera RAW file (its contents are of another kind)")
    assert items["empty.NEF"].status == "failed" and "empty" in items["empty.NEF"].reason
    assert items["renamed.heic"].status == "failed" and "HEIC" in items["renamed.heic"].reason
    assert items["sigma.X3F"].status == "skipped" and "X3F" in items["sigma.X3F"].reason
    report = run_batch(list(items.values()), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "out"))
    assert report.summary().startswith("1 done, 1 skipped, 3 failed"), report.outcomes

    # an install without rawpy names every RAW, and the window's reader says the same
    monkeypatch.setattr(camera_formats, "_installed", lambda module: module != "rawpy")
    item = discover([d / "good.dng"])[0]
    assert (item.status, item.reason) == (
        "skipped", "camera RAW needs the rawpy package (pip install rawpy)")
    with pytest.raises(ValueError, match="needs the rawpy package"):
        read_image(d / "good.dng")


def test_window_opens_raw_and_heic_and_saves_raw_as_16_bit_tiff(qtbot, window, tmp_path):
    from app.gui.opening import FILE_FILTER

    assert "*.dng" in FILE_FILTER and "*.heic" in FILE_FILTER and "*.cr3" in FILE_FILTER
    dng = make_dng(tmp_path / "night.dng", linear_scene(), orientation=8)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(dng)
    assert window.image.dtype == np.uint16 and window.image.shape == (96, 64, 3)
    target = window.exporter.default_output_path()
    assert target.name == "night_enhanced.tif"
    window.exporter.save_to(target)
    qtbot.waitUntil(target.exists, timeout=15000)
    saved, _ = read_image(target)
    assert saved.dtype == np.uint16 and saved.shape == (96, 64, 3)
    heic = make_heic(tmp_path / "phone.heic", to_srgb8(linear_scene()))
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(heic)
    assert window.exporter.default_output_path().name == "phone_enhanced.jpg"


def test_batch_tab_names_unreadable_camera_files_before_start(qtbot, window, tmp_path):
    d = tmp_path / "card"
    d.mkdir()
    make_dng(d / "a.dng", linear_scene())
    (d / "b.NEF").write_bytes(b"not really a raw file")
    window.batch.add_paths([d])
    assert [window.batch.status_of(r) for r in range(2)] == ["queued", "failed"]
    assert "not a camera RAW" in window.batch.table.item(1, 2).text()
