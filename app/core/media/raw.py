"""Camera RAW -> upright 16-bit sRGB with rawpy (LibRaw), EXIF kept where the file has it.

Development is deliberately plain, so the enhancer starts from what the camera saw: the
camera's white balance, 16 bits a channel, no auto-brightening (LibRaw would otherwise stretch
the histogram of a night shot before we look at it), sRGB primaries and curve, AHD demosaic.
LibRaw turns the pixels by the file's orientation itself; the EXIF copied then says 1, so the
orientation is applied exactly once.

EXIF: most RAW files are TIFF-structured (DNG, CR2, NEF, ARW, PEF, SRW; ORF and RW2 with their
own magic number), so their IFD0 and Exif sub-IFD are read in place. Others (CR3, RAF) carry
it in their embedded JPEG preview, where there is one.
"""
from __future__ import annotations

import io
import struct
from collections.abc import Callable

import numpy as np
from PIL import Image, UnidentifiedImageError

from app.core.media.metadata import kept_exif

_EXIF_IFD = 0x8769
DEVELOP = dict(use_camera_wb=True, no_auto_bright=True, output_bps=16)


class RawReadError(ValueError):
    """Not a RAW file LibRaw can develop; the message says why (without the file's name)."""


def decode_raw(data: bytes, check_size: Callable[[int, int], None]
               ) -> tuple[np.ndarray, bytes | None]:
    """RAW file bytes -> (HxWx3 uint16 RGB, upright; EXIF worth copying, orientation 1).
    ``check_size(width, height)`` may refuse the photo from its header, before developing."""
    if not data:
        raise RawReadError("the file is empty (0 bytes)")
    import rawpy  # here, not at import: 50 ms, and only RAW files need it

    try:
        with rawpy.imread(io.BytesIO(data)) as raw:
            check_size(raw.sizes.width, raw.sizes.height)
            exif = _tiff_exif(data) or _preview_exif(raw)
            pixels = raw.postprocess(**DEVELOP)
    except rawpy.LibRawFileUnsupportedError:
        raise RawReadError("LibRaw does not read this camera's RAW files (or the file is "
                           "not a RAW)") from None
    except rawpy.LibRawError as exc:
        raise RawReadError("not a readable camera RAW file (corrupt, truncated or an "
                           f"unsupported format; LibRaw: {_text(exc)})") from None
    exif_bytes = kept_exif(exif)[0] if exif is not None else None
    return np.ascontiguousarray(pixels), exif_bytes


def _text(exc: Exception) -> str:
    arg = exc.args[0] if exc.args else exc
    return arg.decode(errors="replace") if isinstance(arg, bytes) else str(arg)


def _tiff_exif(data: bytes) -> Image.Exif | None:
    """IFD0 of a TIFF-structured RAW, if it leads to an Exif sub-IFD."""
    if data[:2] not in (b"II", b"MM"):
        return None
    if data[2:4] not in (b"*\0", b"\0*"):  # ORF (IIRO), RW2 (IIU\0): TIFF with another magic
        data = data[:2] + (b"*\0" if data[:2] == b"II" else b"\0*") + data[4:]
    exif = Image.Exif()
    try:
        exif.load(data)
        return exif if exif.get_ifd(_EXIF_IFD) else None
    except (OSError, SyntaxError, ValueError, KeyError, struct.error):
        return None


def _preview_exif(raw) -> Image.Exif | None:
    """The EXIF of the embedded JPEG preview (Fuji RAF, some CR3)."""
    import rawpy

    try:
        thumb = raw.extract_thumb()
        if thumb.format != rawpy.ThumbFormat.JPEG:
            return None
        with Image.open(io.BytesIO(thumb.data)) as im:
            exif = im.getexif()
            return exif if len(exif) else None
    except (rawpy.LibRawError, UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None

