"""Camera files the tests make themselves: a small Adobe DNG (an RGGB mosaic of a linear scene,
written with Pillow's TIFF directory writer, so no DNG library is needed) and HEIC files
(pillow-heif). Both carry EXIF (make, orientation, exposure) like a camera's."""
from __future__ import annotations

import io
import struct
from fractions import Fraction
from pathlib import Path

import numpy as np
from PIL import Image, TiffImagePlugin, TiffTags

CAMERA_MAKE = "LowlightTestCam"
# XYZ (D65) -> linear sRGB, the camera matrix of a camera whose sensor is sRGB
_XYZ_TO_SRGB = (3.2406, -1.5372, -0.4986, -0.9689, 1.8758, 0.0415, 0.0557, -0.2040, 1.0570)


def linear_scene(h: int = 64, w: int = 96, level: float = 0.06) -> np.ndarray:
    """A dark linear scene (0..1 floats, HxWx3): a gray field, a red patch at the top left
    and a neutral patch at the bottom right (for white balance and orientation checks)."""
    scene = np.full((h, w, 3), level)
    scene[:h // 4, :w // 4] = (level * 4, level, level)  # red: top left
    scene[-h // 4:, -w // 4:] = level * 3  # neutral gray: bottom right
    return scene


def make_dng(path: Path, scene: np.ndarray, orientation: int = 1,
             neutral: tuple[float, float, float] = (0.5, 1.0, 0.7), black: int = 256,
             white: int = 16383) -> Path:
    """Write ``scene`` (linear, HxWx3) as an uncompressed 16-bit RGGB DNG. ``neutral`` is the
    camera's AsShotNeutral: how a gray looks to the sensor, so the raw red and blue are scaled
    by it and the camera white balance must undo that."""
    h, w = scene.shape[:2]
    cfa = np.empty((h, w))
    cfa[0::2, 0::2] = scene[0::2, 0::2, 0] * neutral[0]
    cfa[0::2, 1::2] = scene[0::2, 1::2, 1] * neutral[1]
    cfa[1::2, 0::2] = scene[1::2, 0::2, 1] * neutral[1]
    cfa[1::2, 1::2] = scene[1::2, 1::2, 2] * neutral[2]
    data = (black + np.clip(cfa, 0, 1) * (white - black)).round().astype("<u2").tobytes()
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")

    def put(tag: int, value, kind: int) -> None:
        ifd[tag] = value
        ifd.tagtype[tag] = kind

    def rationals(values) -> tuple:
        return tuple(Fraction(v).limit_denominator(10000) for v in values)

    put(254, 0, TiffTags.LONG)  # the full-size image
    put(256, w, TiffTags.LONG)
    put(257, h, TiffTags.LONG)
    put(258, 16, TiffTags.SHORT)
    put(259, 1, TiffTags.SHORT)  # uncompressed
    put(262, 32803, TiffTags.SHORT)  # colour filter array
    put(271, CAMERA_MAKE, TiffTags.ASCII)
    put(272, "Test DNG", TiffTags.ASCII)
    put(273, 0, TiffTags.LONG)  # the strip follows the directory (offset fixed below)
    put(274, orientation, TiffTags.SHORT)
    put(277, 1, TiffTags.SHORT)
    put(278, h, TiffTags.LONG)
    put(279, len(data), TiffTags.LONG)
    put(284, 1, TiffTags.SHORT)
    put(33421, (2, 2), TiffTags.SHORT)  # CFA repeat
    put(33422, b"\x00\x01\x01\x02", TiffTags.BYTE)  # R G / G B
    put(50706, b"\x01\x04\x00\x00", TiffTags.BYTE)  # DNG 1.4
    put(50708, CAMERA_MAKE + " DNG", TiffTags.ASCII)
    put(50714, black, TiffTags.LONG)
    put(50717, white, TiffTags.LONG)
    put(50721, rationals(_XYZ_TO_SRGB), TiffTags.SIGNED_RATIONAL)  # ColorMatrix1
    put(50778, 21, TiffTags.SHORT)  # calibrated under D65
    put(50728, rationals(neutral), TiffTags.RATIONAL)  # AsShotNeutral
    exposure = {0x829A: TiffImagePlugin.IFDRational(1, 30), 0x8827: 3200}  # 1/30 s, ISO 3200
    put(0x8769, exposure, TiffTags.LONG)
    out = io.BytesIO()
    out.write(b"II*\0" + struct.pack("<I", 8))
    out.write(ifd.tobytes(8))  # strip offsets are relative to the directory's end
    out.write(data)
    path.write_bytes(out.getvalue())
    return path


def to_srgb8(scene: np.ndarray) -> np.ndarray:
    """The scene as an 8-bit sRGB picture (for HEIC and JPEG twins of a DNG)."""
    v = np.clip(scene, 0, 1)
    srgb = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)
    return (srgb * 255).round().astype(np.uint8)


def make_heic(path: Path, pixels: np.ndarray, orientation: int = 1, quality: int = 95) -> Path:
    """Write an 8-bit RGB array as HEIC with EXIF; pillow-heif stores the orientation as the
    HEIF transform (irot/imir), as phones do, and the pixels as given."""
    from pillow_heif import register_heif_opener

    register_heif_opener()
    exif = Image.Exif()
    exif[271] = CAMERA_MAKE
    exif[274] = orientation
    Image.fromarray(pixels).save(path, format="HEIF", quality=quality, exif=exif.tobytes())
    return path


def exif_of(path: Path) -> dict:
    """The EXIF tags of a file: its first directory's and its Exif sub-IFD's, in one dict."""
    with Image.open(path) as im:
        exif = im.getexif()
        return {**exif, **exif.get_ifd(0x8769)}
