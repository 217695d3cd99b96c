"""Orientation (issue #23): a TIFF's is applied once, and every EXIF orientation of a JPEG,
PNG or WebP comes out upright, 7 (transverse) not taken for 5 (transpose)."""
from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from app.core.media.images import read_image, write_image
from app.core.media.metadata import encode_tiff


def _asymmetric(h: int = 32, w: int = 48) -> np.ndarray:
    """Blocks of 8 (JPEG-friendly) that no flip or turn maps onto another orientation."""
    img = np.full((h, w, 3), 20, np.uint8)
    img[:8, :8] = (200, 30, 30)  # top-left red
    img[:8, -8:] = (30, 200, 30)  # top-right green
    img[-8:, :16] = (30, 30, 200)  # bottom-left, wider, blue
    return img


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """What a viewer shows: Pillow's own reading of the EXIF orientation."""
    im = Image.fromarray(pixels)
    im.getexif()[0x0112] = orientation
    return np.asarray(ImageOps.exif_transpose(im))


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


# ---- 1: a TIFF's orientation is applied once (the decoders turn TIFFs themselves) -------
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiff_orientation_is_applied_once(tmp_path, bits, orientation):
    px = _asymmetric()
    path = tmp_path / "o.tif"
    if bits == 8:
        Image.fromarray(px).save(path, tiffinfo={0x0112: orientation})
    else:
        path.write_bytes(encode_tiff(px.astype(np.uint16) * 257, _exif(orientation), None))
    got, meta = read_image(path)
    want = _upright(px, orientation)
    np.testing.assert_array_equal(got, want if bits == 8 else want.astype(np.uint16) * 257)
    write_image(tmp_path / "out.tif", got, meta=meta)  # the output says upright, and is
    with Image.open(tmp_path / "out.tif") as out:
        assert out.getexif().get(0x0112, 1) == 1
        assert out.size == (want.shape[1], want.shape[0])


# ---- 4: orientation 7 (transverse) is not taken for 5 (transpose) -----------------------
@pytest.mark.parametrize("fmt, options", [("jpg", {"quality": 100, "subsampling": 0}),
                                          ("png", {}), ("webp", {"lossless": True})])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_png_webp_every_orientation_is_upright(tmp_path, fmt, options, orientation):
    px = _asymmetric()
    path = tmp_path / f"o.{fmt}"
    Image.fromarray(px).save(path, exif=_exif(orientation).tobytes(), **options)
    got, _ = read_image(path)
    want = _upright(px, orientation)
    assert got.shape == want.shape
    assert np.abs(got.astype(int) - want).max() <= 8  # JPEG's rounding only
