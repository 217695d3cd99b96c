"""Photo metadata in and out: only real EXIF is copied, every output is tagged as ours, and the
outputs Pillow cannot write with their metadata (16-bit PNG, any TIFF) keep EXIF and ICC.

Why the EXIF filter: Pillow's ``getexif()`` on a TIFF returns the TIFF's own first IFD, pixel
layout included (size, strips, colour model, palette). Written into an output as "EXIF" those
tags describe pixels that are not there, and readers reject the file or show wrong colours.

Why the tag: ``--overwrite`` replaces earlier *outputs* only, so an output must be told apart
from an original. Outputs carry ``Software = Lowlight Studio`` (EXIF tag 305; BMP, which has no
metadata, carries it in the two reserved header fields, which the format leaves to the
writing application). The tag also says which settings made the output, ``Lowlight Studio
(exposure=auto, strength=8, ...)``, so a rerun with other settings can tell which outputs
they would change (:func:`output_made_with`).
"""
from __future__ import annotations

import io
import struct
import zlib

import numpy as np
from PIL import Image, TiffImagePlugin, TiffTags, UnidentifiedImageError

from app.core.media.files import open_regular

SOFTWARE = "Lowlight Studio"
_SOFTWARE_TAG = 0x0131
_ORIENTATION = 0x0112
_BMP_MARK = b"LLST"  # bfReserved1/2 of a BMP we wrote
_SUB_IFDS = (0x8769, 0x8825)  # Exif, GPS
_INTEROP = 0xA005  # inside the Exif IFD
# IFD0 tags that describe the photo (EXIF's TIFF-derived attributes, Windows XP fields):
# description, make, model, orientation, resolution, software, date, artist, white point,
# chromaticities, copyright, rating; the Exif and GPS sub-IFDs.
_IFD0_KEEP = {11, 270, 271, 272, 274, 282, 283, 296, 305, 306, 315, 318, 319, 33432,
              18246, 18249, 40091, 40092, 40093, 40094, 40095, *_SUB_IFDS}


def real_exif(im: Image.Image) -> tuple[bytes | None, int]:
    """(EXIF worth copying, orientation reset to 1; the orientation it had) of an open image."""
    return kept_exif(im.getexif())


def kept_exif(exif: Image.Exif) -> tuple[bytes | None, int]:
    """:func:`real_exif` of EXIF read some other way (a camera RAW's own IFDs)."""
    orientation = int(exif.get(_ORIENTATION, 1) or 1)
    kept = Image.Exif()
    for tag in exif:
        if tag not in _IFD0_KEEP:
            continue
        if tag in _SUB_IFDS:
            if sub := _sub_ifd(exif, tag):
                kept[tag] = sub
        else:
            kept[tag] = exif[tag]
    if _ORIENTATION in kept:
        kept[_ORIENTATION] = 1
    return (kept.tobytes() if len(kept) else None), orientation


def _sub_ifd(exif: Image.Exif, tag: int) -> dict:
    """The Exif or GPS IFD as a dict, its Interop IFD (an offset into the source) included as
    a dict too, so it can be written anywhere."""
    try:
        sub = dict(exif.get_ifd(tag))
        if _INTEROP in sub:
            sub[_INTEROP] = dict(exif.get_ifd(_INTEROP))
    except (OSError, ValueError, KeyError, SyntaxError):
        return {}
    if not sub.get(_INTEROP, True):
        del sub[_INTEROP]
    return sub


def tagged_exif(exif: bytes | None, made_with: str = "") -> Image.Exif:
    """The EXIF to write into an output: the source's (if any) plus our Software tag, with
    the settings that made it when given."""
    tagged = Image.Exif()
    if exif:
        tagged.load(exif)
    tagged[_SOFTWARE_TAG] = f"{SOFTWARE} ({made_with})" if made_with else SOFTWARE
    return tagged


def icc_fits(icc: bytes | None, channels: int) -> bytes | None:
    """The profile if its colour space suits the pixels (a gray file takes a GRAY profile)."""
    if not icc or len(icc) < 20:
        return None
    return icc if (icc[16:20] == b"GRAY") == (channels <= 2) else None


def mark_bmp(data: bytes) -> bytes:
    return data[:6] + _BMP_MARK + data[10:] if data[:2] == b"BM" else data


def has_output_mark(path) -> bool:
    """True if ``path`` is an image that Lowlight Studio wrote (reads the header only)."""
    return output_made_with(path) is not None


def output_made_with(path) -> str | None:
    """The settings recorded in an image Lowlight Studio wrote ("" when it does not say:
    a BMP, an output of an older version); None when Lowlight Studio did not write it."""
    try:
        with open_regular(path) as f:  # a pipe in the output folder is nobody's output
            head = f.read(10)
            if head[:2] == b"BM":
                return "" if head[6:10] == _BMP_MARK else None
            f.seek(0)
            with Image.open(f) as im:
                software = str(im.getexif().get(_SOFTWARE_TAG, ""))
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError):
        return None
    if not software.startswith(SOFTWARE):
        return None
    rest = software[len(SOFTWARE):].strip()
    return rest[1:-1] if rest.startswith("(") and rest.endswith(")") else ""


# ---- 16-bit PNG: OpenCV encodes, the metadata chunks go in after IHDR ---------------------
def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))


def add_png_metadata(png: bytes, exif: Image.Exif, icc: bytes | None) -> bytes:
    """Insert iCCP and eXIf chunks into a PNG made by OpenCV (which writes neither)."""
    ihdr_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    chunks = b""
    if icc:
        chunks += png_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc))
    chunks += png_chunk(b"eXIf", exif.tobytes()[6:])  # without the "Exif\0\0" header
    return png[:ihdr_end] + chunks + png[ihdr_end:]


# ---- TIFF: a small writer (deflate, horizontal predictor) around Pillow's IFD serialiser.
# Pillow's own TIFF writer goes through libtiff for compressed files, and libtiff refuses an
# EXIF sub-IFD ("Error setting from dictionary"): a camera JPEG saved as TIFF failed. It has
# no 16-bit colour modes either.
def encode_tiff(pixels: np.ndarray, exif: Image.Exif, icc: bytes | None) -> bytes:
    """HxW, HxWx2 (gray + alpha), HxWx3 or HxWx4 uint8/uint16 -> a deflate-compressed TIFF
    carrying EXIF and ICC."""
    h, w = pixels.shape[:2]
    spp = 1 if pixels.ndim == 2 else pixels.shape[2]
    bits = pixels.dtype.itemsize * 8
    rows = max(1, min(h, (256 * 1024) // max(1, w * spp * pixels.dtype.itemsize)))  # ~256 KB
    strips = []
    for top in range(0, h, rows):
        band = pixels[top:top + rows].astype(pixels.dtype.newbyteorder("<")).reshape(-1, w, spp)
        diff = band.copy()
        diff[:, 1:] -= band[:, :-1]  # predictor 2 (wraps around, as TIFF expects)
        strips.append(zlib.compress(diff.tobytes(), 6))
    ifd = TiffImagePlugin.ImageFileDirectory_v2(prefix=b"II")
    for tag in exif:
        if tag in _IFD0_KEEP:
            value = _sub_ifd(exif, tag) if tag in _SUB_IFDS else exif[tag]
            if value != {}:
                ifd[tag] = value
    ifd[256], ifd[257] = w, h
    ifd[258] = (bits,) * spp
    ifd[259] = 8  # Adobe deflate
    ifd[262] = 1 if spp <= 2 else 2  # min-is-black or RGB
    ifd[277] = spp
    ifd[278] = rows
    ifd[284] = 1
    ifd[317] = 2  # horizontal differencing
    if spp in (2, 4):
        ifd[338] = 2  # unassociated alpha
    if icc:
        ifd[34675] = icc
        ifd.tagtype[34675] = TiffTags.UNDEFINED
    ifd.tagtype[273] = ifd.tagtype[279] = TiffTags.LONG
    ifd[279] = tuple(len(s) for s in strips)
    # strip offsets relative to the end of the IFD; the serialiser adds where that is
    ifd[273] = tuple(int(x) for x in np.cumsum([0] + [len(s) for s in strips[:-1]]))
    out = io.BytesIO()
    out.write(b"II*\0" + struct.pack("<I", 8))
    out.write(ifd.tobytes(8))
    for s in strips:
        out.write(s)
    return out.getvalue()
