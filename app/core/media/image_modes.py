"""Colour models the decoders get wrong, read from the file's own header: gray + alpha, Lab
and premultiplied alpha; and gray + alpha written back as such.

What OpenCV and Pillow do with them, tried one by one:
- an 8-bit gray + alpha TIFF: OpenCV drops the alpha (gray only); Pillow reads it;
- a 16-bit gray + alpha TIFF: OpenCV makes it 8-bit gray, Pillow cannot open it: refused;
- a 16-bit gray + alpha PNG: Pillow calls it RGBA, so the header's colour type says gray;
- a CIELab TIFF: OpenCV's (libtiff's) conversion gives L* 50 neutral as (132, 122, 106);
  Pillow reads 8-bit Lab (a* and b* as signed bytes), converted here to sRGB (the frozen app
  ships without Pillow's colour management); 16-bit Lab and Lab with alpha open in neither:
  refused;
- associated (premultiplied) alpha: OpenCV returns the premultiplied colours, which written
  with plain alpha would darken every half-transparent pixel.
"""
from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image, TiffImagePlugin

from app.core.media.metadata import png_chunk

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_GRAY_ALPHA = 4  # IHDR colour type
_TIFF_LAB = {8: "CIELab", 9: "ICCLab", 10: "ITULab"}  # photometric interpretation
_TIFF_GRAY = {0, 1}  # min-is-white, min-is-black
_ASSOCIATED_ALPHA = 1  # ExtraSamples value
_BAND_BYTES = 1 << 24  # work on ~16 MB of pixels at a time: no full-size wide copy


@dataclass(frozen=True)
class Layout:
    """What a PNG's or TIFF's header says its pixels are (nothing decoded)."""

    gray_alpha: bool = False
    lab: bool = False  # a TIFF in CIELab: Pillow decodes it, lab_to_rgb converts it
    associated_alpha: bool = False  # colours premultiplied by the alpha
    refusal: str = ""  # a layout that no decoder here reads right: the reason


def layout_of(data: bytes) -> Layout:
    if data[:8] == _PNG_SIGNATURE and data[12:16] == b"IHDR" and len(data) > 25:
        return Layout(gray_alpha=data[25] == _PNG_GRAY_ALPHA)
    if data[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return _tiff_layout(data)
    return Layout()


def _tiff_layout(data: bytes) -> Layout:
    try:
        bigtiff = data[2:4] in (b"+\0", b"\0+")
        ifd = TiffImagePlugin.ImageFileDirectory_v2(data[:16 if bigtiff else 8])
        source = io.BytesIO(data)
        source.seek(ifd.next)
        ifd.load(source)
        photometric = int(ifd.get(262, 1))
        samples = int(ifd.get(277, 1))
        bits = max(ifd.get(258, (8,)) or (8,))
        extra = tuple(ifd.get(338, ()) or ())
    except (OSError, ValueError, KeyError, TypeError, struct.error, SyntaxError):
        return Layout()  # the decoders say what is wrong with it
    associated = bool(extra) and extra[0] == _ASSOCIATED_ALPHA
    if photometric in _TIFF_LAB:
        if photometric != 8 or bits != 8 or samples != 3:
            return Layout(lab=True, refusal=(
                f"{_TIFF_LAB[photometric]} TIFF ({bits}-bit, {samples} channels) is not "
                "supported: only 8-bit CIELab without alpha is; save it as RGB"))
        return Layout(lab=True)
    if photometric in _TIFF_GRAY and samples >= 2:
        if bits != 8:
            return Layout(gray_alpha=True, refusal=(
                f"gray + alpha TIFF ({bits}-bit) is not supported: only 8-bit is (the "
                "decoders here would drop its alpha); save it as a 16-bit PNG or RGBA TIFF"))
        return Layout(gray_alpha=True, associated_alpha=associated)
    return Layout(associated_alpha=associated and samples >= 4)


# CIE XYZ (D50, TIFF's Lab white) -> linear sRGB, with Bradford's adaptation to D65
_XYZ_D50_TO_SRGB = np.array([[3.1338561, -1.6168667, -0.4906146],
                             [-0.9787684, 1.9161415, 0.0334540],
                             [0.0719453, -0.2289914, 1.4052427]], np.float32)
_D50_WHITE = np.array([0.96422, 1.0, 0.82521], np.float32)


def lab_to_rgb(im: Image.Image) -> np.ndarray:
    """An 8-bit Lab image (Pillow's mode LAB as read from a TIFF: L* 0-100 as 0-255, a* and
    b* as signed bytes) -> 8-bit sRGB, a band at a time; outside sRGB's gamut is clipped."""
    lab = np.asarray(im)
    out = np.empty(lab.shape, np.uint8)
    for rows in _bands(lab, _BAND_BYTES // 32):  # ~60 bytes of floats a pixel below
        band = lab[rows]
        fy = (band[..., 0].astype(np.float32) * np.float32(100 / 255) + 16) / 116
        f = np.stack([fy + band[..., 1].view(np.int8) / np.float32(500), fy,
                      fy - band[..., 2].view(np.int8) / np.float32(200)], axis=-1)
        xyz = np.where(f > 6 / 29, f ** 3, (f - np.float32(4 / 29)) * np.float32(108 / 841))
        linear = np.clip((xyz * _D50_WHITE) @ _XYZ_D50_TO_SRGB.T, 0, 1)
        srgb = np.where(linear <= 0.0031308, linear * 12.92,
                        1.055 * linear ** np.float32(1 / 2.4) - 0.055)
        out[rows] = np.round(srgb * 255)
    return out


def _bands(pixels: np.ndarray, size: int = _BAND_BYTES):
    """Row slices of ``pixels`` of about ``size`` bytes each."""
    row = max(1, pixels[:1].nbytes)
    step = max(1, size // row)
    for top in range(0, pixels.shape[0], step):
        yield slice(top, top + step)


def unpremultiply(pixels: np.ndarray) -> np.ndarray:
    """Colours divided by the alpha (the last channel), in place, rounded; where the alpha is
    0 the colour is unknown and stays 0."""
    top = np.iinfo(pixels.dtype).max
    for rows in _bands(pixels):
        band = pixels[rows]
        alpha = band[..., -1:].astype(np.uint32)  # 65535 * 65535 + 32767 fits in 32 bits
        colour = (band[..., :-1].astype(np.uint32) * top + alpha // 2) // np.maximum(alpha, 1)
        band[..., :-1] = np.where(alpha > 0, np.minimum(colour, top), 0)
    return pixels


def gray_of(rgb: np.ndarray) -> np.ndarray:
    """The rounded mean of the three colours, in integers and a band at a time (a float copy
    of a 14000 x 14000 photo is gigabytes). A mean of three integers is never halfway."""
    out = np.empty(rgb.shape[:2], rgb.dtype)
    wide = np.uint16 if rgb.dtype == np.uint8 else np.uint32
    for rows in _bands(rgb):
        band = rgb[rows]
        total = band[..., 0].astype(wide)
        total += band[..., 1]
        total += band[..., 2]
        total += 1
        total //= 3
        out[rows] = total
    return out


def as_gray_alpha(pixels: np.ndarray, fmt: str) -> np.ndarray:
    """A gray + alpha photo's RGBA result in the most the format holds: gray + alpha (PNG,
    8-bit TIFF), gray (JPEG, BMP: no alpha), RGBA (WebP, which has no gray; 16-bit TIFF,
    which nothing here would read back with its alpha)."""
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        return pixels
    if fmt in ("jpeg", "bmp"):
        return gray_of(pixels)
    if fmt == "png" or (fmt == "tiff" and pixels.dtype == np.uint8):
        return np.dstack([gray_of(pixels), pixels[..., 3]])
    return pixels


def encode_png16_gray_alpha(pixels: np.ndarray) -> bytes:
    """HxWx2 uint16 -> a PNG of colour type 4 (OpenCV writes 1, 3 or 4 channels only and
    Pillow no 16-bit gray + alpha), deflate level 1 like the app's other PNGs."""
    h, w = pixels.shape[:2]
    packer = zlib.compressobj(1)
    idat = []
    for rows in _bands(pixels):
        band = pixels[rows].astype(">u2").reshape(-1, w * 2)
        lines = np.zeros((band.shape[0], 1 + w * 4), np.uint8)  # filter byte 0, then samples
        lines[:, 1:] = band.view(np.uint8)
        idat.append(packer.compress(lines.tobytes()))
    idat.append(packer.flush())
    payload = b"".join(idat)
    chunks = [png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, _PNG_GRAY_ALPHA, 0, 0, 0))]
    step = 1 << 20  # many readers expect IDAT chunks well under the 2 GB limit
    chunks += [png_chunk(b"IDAT", payload[i:i + step]) for i in range(0, len(payload), step)]
    chunks.append(png_chunk(b"IEND", b""))
    return _PNG_SIGNATURE + b"".join(chunks)


def la_to_rgba(im: Image.Image) -> np.ndarray:
    """Pillow's gray + alpha (LA, or La premultiplied) -> RGBA pixels."""
    la = np.array(im)  # a writable copy: La is divided in place
    if im.mode == "La":
        unpremultiply(la)
    return np.dstack([la[..., 0], la[..., 0], la[..., 0], la[..., 1]])
