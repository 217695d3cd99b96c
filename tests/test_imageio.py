import io

import numpy as np
import pytest
from PIL import Image

from app.core.media.images import ImageReadError, ImageWriteError, read_image, write_image


def _jpeg_with_orientation(path, pixels, orientation):
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "LowlightCam"  # camera make
    Image.fromarray(pixels).save(path, exif=exif.tobytes(), quality=95)


def test_exif_rotation_is_applied_and_camera_data_kept(tmp_path):
    pixels = np.zeros((20, 40, 3), np.uint8)
    pixels[:, :10] = 200  # bright left edge
    _jpeg_with_orientation(tmp_path / "r.jpg", pixels, 6)  # rotate 90 CW to display
    img, meta = read_image(tmp_path / "r.jpg")
    assert img.shape == (40, 20, 3)
    assert img[:5].mean() > 150  # the left edge is now the top edge
    write_image(tmp_path / "o.jpg", img, meta=meta)
    with Image.open(tmp_path / "o.jpg") as out:
        exif = out.getexif()
        assert exif[0x0112] == 1 and exif[0x010F] == "LowlightCam"
        assert out.size == (20, 40)


def test_sixteen_bit_png_and_tiff_round_trip(tmp_path):
    pixels = (np.random.default_rng(0).random((10, 12, 3)) * 65535).astype(np.uint16)
    for name in ("a.png", "a.tif"):
        write_image(tmp_path / name, pixels)
        back, _ = read_image(tmp_path / name)
        assert back.dtype == np.uint16
        np.testing.assert_array_equal(back, pixels)


def test_icc_profile_is_carried(tmp_path):
    from PIL import ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    Image.new("RGB", (8, 8), (10, 20, 30)).save(tmp_path / "p.jpg", icc_profile=icc)
    img, meta = read_image(tmp_path / "p.jpg")
    assert meta.icc_profile == icc
    write_image(tmp_path / "q.png", img, meta=meta)
    with Image.open(tmp_path / "q.png") as out:
        assert out.info.get("icc_profile") == icc


@pytest.mark.parametrize("content,message", [(b"", "empty"), (b"hello", "not a readable"),
                                             (None, "cannot read")])
def test_bad_files_raise_readable_errors(tmp_path, content, message):
    path = tmp_path / "x.jpg"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageReadError, match=message):
        read_image(path)


def test_truncated_jpeg_is_an_error_or_a_partial_image_never_a_crash(tmp_path):
    buf = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 90, np.uint8)).save(buf, "JPEG")
    (tmp_path / "t.jpg").write_bytes(buf.getvalue()[:200])
    with pytest.raises(ImageReadError):
        read_image(tmp_path / "t.jpg")


def test_writes_are_atomic_and_leave_nothing_behind_on_failure(tmp_path):
    (tmp_path / "taken.png").mkdir()  # a folder sits where the file should go: rename fails
    with pytest.raises(ImageWriteError, match="cannot write"):
        write_image(tmp_path / "taken.png", np.zeros((4, 4, 3), np.uint8))
    with pytest.raises(ImageWriteError, match="cannot write"):
        write_image(tmp_path / "missing" / "x.png", np.zeros((4, 4, 3), np.uint8))
    write_image(tmp_path / "ok.png", np.zeros((4, 4, 3), np.uint8))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ok.png", "taken.png"]


def test_cmyk_and_grayscale_jpeg_decode(tmp_path):
    Image.new("CMYK", (16, 8), (0, 0, 0, 200)).save(tmp_path / "c.jpg")
    img, _ = read_image(tmp_path / "c.jpg")
    assert img.shape == (8, 16, 3)
    Image.new("L", (16, 8), 40).save(tmp_path / "g.jpg")
    img, _ = read_image(tmp_path / "g.jpg")
    assert img.shape == (8, 16)
