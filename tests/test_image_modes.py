"""Colour models the decoders get wrong (issue #23): gray + alpha in 16-bit PNG and in TIFF,
CIELab TIFF, premultiplied alpha. Each is read right or refused by name, and gray + alpha is
written back as gray + alpha where the format holds it. The files are made here byte by byte
from the PNG and TIFF specifications, not by the code under test."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image, TiffImagePlugin

from app.core import OutputOptions, discover, run_batch
from app.core.media.image_modes import gray_of
from app.core.media.images import ImageReadError, read_image, write_image
from app.core.settings import EnhanceSettings


def _png(pixels: np.ndarray, colour_type: int) -> bytes:
    """An uncompressed-filter PNG of 16-bit samples (HxWxC)."""
    h, w = pixels.shape[:2]
    raw = b"".join(b"\0" + pixels[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind, payload):
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _tiff(samples: np.ndarray, photometric: int, extra: tuple = ()) -> bytes:
    """An uncompressed one-strip TIFF of HxWxC samples as they are stored."""
    h, w, spp = samples.shape
    data = samples.astype(samples.dtype.newbyteorder("<")).tobytes()
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    ifd[256], ifd[257] = w, h
    ifd[258] = (samples.dtype.itemsize * 8,) * spp
    ifd[259], ifd[262], ifd[277], ifd[278], ifd[284] = 1, photometric, spp, h, 1
    if extra:
        ifd[338] = extra
    ifd.tagtype[273] = ifd.tagtype[279] = 4
    ifd[279], ifd[273] = (len(data),), (0,)
    return b"II*\0" + struct.pack("<I", 8) + ifd.tobytes(8) + data


def _gray_alpha16(h=6, w=8) -> np.ndarray:
    rng = np.random.default_rng(0)
    return np.dstack([rng.integers(0, 65536, (h, w)), rng.integers(0, 65536, (h, w))]
                     ).astype(np.uint16)


def test_a_16_bit_gray_alpha_png_is_read_whole_and_written_back_as_such(tmp_path):
    la = _gray_alpha16()
    (tmp_path / "la.png").write_bytes(_png(la, 4))
    pixels, meta = read_image(tmp_path / "la.png")
    assert pixels.dtype == np.uint16 and meta.gray_alpha
    np.testing.assert_array_equal(pixels, la[..., [0, 0, 0, 1]])
    write_image(tmp_path / "out.png", pixels, meta=meta)
    data = (tmp_path / "out.png").read_bytes()
    assert (data[24], data[25]) == (16, 4)  # IHDR: 16 bits, gray + alpha
    back, _ = read_image(tmp_path / "out.png")
    np.testing.assert_array_equal(back, pixels)
    with Image.open(tmp_path / "out.png") as im:  # our tag is in it, as in every output
        assert im.getexif()[0x0131] == "Lowlight Studio"


def test_a_16_bit_gray_alpha_png_stays_gray_alpha_through_a_batch(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    la = _gray_alpha16(48, 64)
    la[..., 0] //= 8  # dark
    (src / "mask.png").write_bytes(_png(la, 4))
    report = run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(tmp_path / "o"))
    assert report.count("done") == 1
    out = (tmp_path / "o" / "mask_enhanced.png").read_bytes()
    assert (out[24], out[25]) == (16, 4)
    back, _ = read_image(tmp_path / "o" / "mask_enhanced.png")
    np.testing.assert_array_equal(back[..., 3], la[..., 1])  # the alpha untouched
    assert back[..., 0].mean() > la[..., 0].mean()  # and the gray brightened


def test_an_8_bit_gray_alpha_tiff_keeps_its_alpha(tmp_path):
    la = _gray_alpha16()[..., :2].astype(np.uint8)
    (tmp_path / "la.tif").write_bytes(_tiff(la, 1, (2,)))
    pixels, meta = read_image(tmp_path / "la.tif")
    assert meta.gray_alpha
    np.testing.assert_array_equal(pixels, la[..., [0, 0, 0, 1]])
    write_image(tmp_path / "out.tif", pixels, meta=meta)
    with Image.open(tmp_path / "out.tif") as im:
        assert im.mode == "LA"
        np.testing.assert_array_equal(np.asarray(im), la)


def test_premultiplied_alpha_is_divided_out(tmp_path):
    straight = np.array([[[200, 100, 40, 128], [200, 100, 40, 255], [0, 0, 0, 0]]], np.uint8)
    stored = straight.copy()
    stored[..., :3] = np.round(straight[..., :3] * (straight[..., 3:] / 255))
    for bits, scale in ((8, 1), (16, 257)):
        path = tmp_path / f"pm{bits}.tif"
        path.write_bytes(_tiff((stored.astype(np.uint32) * scale).astype(f"u{bits // 8}"),
                               2, (1,)))
        pixels, _ = read_image(path)
        assert np.abs(pixels.astype(int) - straight.astype(int) * scale).max() <= 2 * scale
    la = stored[..., [0, 3]]
    (tmp_path / "pm_gray.tif").write_bytes(_tiff(la, 1, (1,)))
    pixels, _ = read_image(tmp_path / "pm_gray.tif")
    np.testing.assert_allclose(pixels[0, :2, 0], [200, 200], atol=2)


def test_a_cielab_tiff_becomes_its_srgb_colours(tmp_path):
    # L* 0-100 as 0-255, a* and b* as signed bytes (TIFF 6.0, section 23); sRGB by hand for
    # the first three (L* 50 gray is sRGB 119), the rest as Little CMS converts them
    colours = [(50, 0, 0, (119, 119, 119)), (50, 50, 0, None), (50, 0, -40, None),
               (80, -30, 40, None), (20, 10, 10, None), (95, 0, 5, None), (0, 0, 0, (0, 0, 0)),
               (100, 0, 0, (255, 255, 255))]
    stored = np.array([[(round(big_l * 2.55), a & 0xFF, b & 0xFF)
                        for big_l, a, b, _ in colours]], np.uint8)
    (tmp_path / "lab.tif").write_bytes(_tiff(stored, 8))
    pixels, meta = read_image(tmp_path / "lab.tif")
    assert pixels.shape == (1, len(colours), 3) and meta.icc_profile is None
    image_cms = pytest.importorskip("PIL.ImageCms")
    with Image.open(tmp_path / "lab.tif") as im:
        to_srgb = image_cms.buildTransform(image_cms.createProfile("LAB"),
                                           image_cms.createProfile("sRGB"), "LAB", "RGB")
        lcms = np.asarray(image_cms.applyTransform(im, to_srgb)).astype(int)
    for i, (*lab, known) in enumerate(colours):
        if known is not None:
            assert np.abs(pixels[0, i] - np.array(known)).max() <= 1, (lab, pixels[0, i])
        assert np.abs(pixels[0, i] - lcms[0, i]).max() <= 2, (lab, pixels[0, i], lcms[0, i])


@pytest.mark.parametrize("name,samples,photometric,extra,message", [
    ("lab16.tif", np.zeros((2, 3, 3), np.uint16), 8, (), r"CIELab TIFF \(16-bit"),
    ("lab_alpha.tif", np.zeros((2, 3, 4), np.uint8), 8, (2,), r"CIELab TIFF \(8-bit, 4 chan"),
    ("icclab.tif", np.zeros((2, 3, 3), np.uint8), 9, (), r"ICCLab TIFF"),
    ("la16.tif", np.zeros((2, 3, 2), np.uint16), 1, (2,), r"gray \+ alpha TIFF \(16-bit\)"),
])
def test_layouts_no_decoder_here_reads_right_are_refused_by_name(tmp_path, name, samples,
                                                                 photometric, extra, message):
    (tmp_path / name).write_bytes(_tiff(samples, photometric, extra))
    with pytest.raises(ImageReadError, match=f"{name}: {message}"):
        read_image(tmp_path / name)


def test_gray_alpha_goes_out_as_much_as_each_format_holds(tmp_path):
    la = _gray_alpha16(4, 5)[..., :2].astype(np.uint8)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    pixels, meta = read_image(tmp_path / "la.png")
    for suffix, mode in ((".webp", "RGBA"), (".jpg", "L"), (".bmp", "L"), (".tif", "LA")):
        write_image(tmp_path / f"out{suffix}", pixels, meta=meta)
        with Image.open(tmp_path / f"out{suffix}") as im:
            assert im.mode == mode, suffix
    with Image.open(tmp_path / "out.webp") as im:
        np.testing.assert_array_equal(np.asarray(im)[..., 3], la[..., 1])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_gray_of_is_the_rounded_mean_in_integers(dtype):
    top = np.iinfo(dtype).max
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, top + 1, (300, 7, 3)).astype(dtype)
    rgb[0, :3] = [[top, top, top], [top, top, top - 1], [0, 0, 1]]
    expected = np.round(rgb.astype(np.float64).mean(axis=2)).astype(dtype)
    np.testing.assert_array_equal(gray_of(rgb), expected)
