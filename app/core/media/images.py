"""Reading and writing photos without losing anything: 8/16-bit, EXIF, ICC, atomic writes.

Pixels are decoded with OpenCV (fast, 16-bit aware) and metadata is read with Pillow. EXIF
orientation is applied on read, so outputs are upright, and the EXIF written back says so
(orientation 1). TIFFs in other colour models than gray/RGB (CMYK, palette, YCbCr, Lab) are
converted by Pillow (gray + alpha, Lab, premultiplied alpha: see image_modes). The size is
read from the header and checked against a pixel limit before anything is decoded. Outputs
are written to a temporary file in the target folder and renamed, so no reader ever sees a
half-written image under its final name.
"""
from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from app.core.media.camera_formats import (
    CAMERA_SUFFIXES,
    cannot_read,
    is_raw,
    register_heif,
)
from app.core.media.files import NotRegularFile, open_regular
from app.core.media.image_modes import (
    as_gray_alpha,
    encode_png16_gray_alpha,
    la_to_rgba,
    lab_to_rgb,
    layout_of,
    unpremultiply,
)
from app.core.media.metadata import (
    add_png_metadata,
    encode_tiff,
    icc_fits,
    mark_bmp,
    real_exif,
    tagged_exif,
)
from app.core.media.raw import RawReadError, decode_raw
from app.core.media.tempfiles import TargetExists, TempFile

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"} | CAMERA_SUFFIXES
FORMAT_SUFFIX = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp", "bmp": ".bmp"}
_SUFFIX_FORMAT = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff",
                  ".tiff": "tiff", ".webp": "webp", ".bmp": "bmp"}
# Our own limit, checked from the header before decoding (a 48 KB 1-bit PNG can say 400 MP),
# replaces Pillow's decompression-bomb check, whose fixed limit would refuse what a user allowed.
DEFAULT_MAX_MEGAPIXELS = 200
Image.MAX_IMAGE_PIXELS = None
_PILLOW_PHOTOMETRIC = {3, 5, 6, 8, 9, 10}  # palette, CMYK, YCbCr, Lab: OpenCV gets these wrong
register_heif()  # HEIC/HEIF through Pillow (OpenCV cannot), when pillow-heif is installed
# The most pixels a JPEG can hold per byte of file: a flat black one is ~85 (baseline) to ~255
# (optimised Huffman); 80 times that margin still refuses a 3 KB file that claims 195 MP,
# which the decoders would fill with gray at full size (gigabytes) and call it done.
JPEG_MAX_PIXELS_PER_BYTE = 20_000


class ImageReadError(ValueError):
    """The file is missing, empty, truncated or not an image we can decode."""


class ImageTooLarge(ImageReadError):
    """More pixels than the limit allows; refused before decoding."""


class ImageWriteError(OSError):
    """The output could not be written (folder missing or read-only, disk full...)."""


@dataclass
class ImageMeta:
    format: str | None = None  # "jpeg", "png", ...
    exif: bytes | None = None  # real EXIF only, orientation reset to 1 (pixels are upright)
    icc_profile: bytes | None = None
    frames: int = 1  # an animated WebP/PNG or a multipage TIFF: only the first is read
    gray_alpha: bool = False  # gray + alpha: decoded as RGBA (what the engine takes)


def format_for_path(path: Path) -> str:
    try:
        return _SUFFIX_FORMAT[Path(path).suffix.lower()]
    except KeyError:
        raise ValueError(f"unsupported output format {Path(path).suffix!r}; use one of "
                         f"{', '.join(sorted(FORMAT_SUFFIX))}") from None


def _orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1..8) to an HxW[xC] array."""
    ops = {2: lambda a: a[:, ::-1], 3: lambda a: a[::-1, ::-1], 4: lambda a: a[::-1],
           5: lambda a: a.swapaxes(0, 1), 6: lambda a: np.rot90(a, -1),
           7: lambda a: a[::-1, ::-1].swapaxes(0, 1), 8: lambda a: np.rot90(a, 1)}
    op = ops.get(orientation)
    return np.ascontiguousarray(op(pixels)) if op else pixels


def check_size(width: int, height: int, name: str, max_pixels: int | None) -> None:
    if max_pixels and width * height > max_pixels:
        raise ImageTooLarge(f"{name}: {width}x{height} is {width * height / 1e6:.0f} megapixels, "
                            f"over the limit of {max_pixels / 1e6:g} megapixels (raise the "
                            "limit to process it)")


def _read_header(source, name: str, max_pixels: int | None) -> tuple[ImageMeta, int, bool]:
    """(metadata, EXIF orientation, decode with Pillow?) from the header; nothing decoded."""
    try:
        with Image.open(source) as im:
            check_size(*im.size, name, max_pixels)
            if im.format == "JPEG":
                _check_jpeg_length(*im.size, _length(source), name)
            exif, orientation = real_exif(im)
            photometric = im.tag_v2.get(262) if im.format == "TIFF" else None
            return (ImageMeta((im.format or "").lower() or None, exif,
                              im.info.get("icc_profile"), _frames(im),
                              im.mode in ("LA", "La")), orientation,
                    photometric in _PILLOW_PHOTOMETRIC or _gray_palette(im))
    except ImageReadError:  # too large, or a header that the data cannot back
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, KeyError):
        return ImageMeta(), 1, False


def _length(source) -> int:
    at = source.tell()
    end = source.seek(0, io.SEEK_END)
    source.seek(at)
    return end


def _check_jpeg_length(width: int, height: int, size: int, name: str) -> None:
    if width * height > size * JPEG_MAX_PIXELS_PER_BYTE:
        raise ImageReadError(f"{name}: the header says {width}x{height} "
                             f"({width * height / 1e6:.0f} megapixels) but the file holds "
                             f"only {size} bytes: truncated or damaged")


def _frames(im: Image.Image) -> int:
    try:
        return max(1, int(getattr(im, "n_frames", 1)))
    except (OSError, ValueError, SyntaxError, EOFError):  # a damaged later page
        return 1


def _gray_palette(im: Image.Image) -> bool:
    """A palette of grays only, no transparency: one channel is enough (OpenCV makes three)."""
    if im.mode != "P" or "transparency" in im.info:
        return False
    palette = np.asarray(im.getpalette() or [0, 0, 1]).reshape(-1, 3)
    return bool((palette == palette[:, :1]).all())


def _decode_with_pillow(data: bytes) -> np.ndarray | None:
    """Pillow's decoding and colour conversion; gray stays one channel, alpha is kept."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode == "LAB":
                return lab_to_rgb(im)
            if im.mode in ("LA", "La"):
                return la_to_rgba(im)
            if im.mode in ("I;16", "I;16B", "I;16L"):
                return _pillow_pixels(im, np.uint16)
            if im.mode in ("1", "L") or _gray_palette(im):
                return _pillow_pixels(im if im.mode == "L" else im.convert("L"))
            alpha = "A" in im.getbands() or "transparency" in im.info
            mode = "RGBA" if alpha else "RGB"
            return _pillow_pixels(im if im.mode == mode else im.convert(mode))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


_STRIP_BYTES = 1 << 24


def _pillow_pixels(im: Image.Image, dtype=None) -> np.ndarray:
    """np.asarray(im, dtype), ~16 MB of rows at a time into one array: Pillow's own
    conversion holds two more full-size copies beside the image (its chunks of bytes and
    their join: a gray palette PNG peaked at 4x its pixels, now 3x with the palette image)."""
    w, h = im.size
    row = np.asarray(im.crop((0, 0, w, 1)), dtype)
    out = np.empty((h, *row.shape[1:]), row.dtype)
    step = max(1, _STRIP_BYTES // max(1, row.nbytes))
    for top in range(0, h, step):
        out[top:top + step] = np.asarray(im.crop((0, top, w, min(h, top + step))), dtype)
    return out


def decode_image(data: bytes, name: str = "image",
                 max_pixels: int | None = DEFAULT_MAX_MEGAPIXELS * 1_000_000
                 ) -> tuple[np.ndarray, ImageMeta]:
    """Bytes -> (RGB/RGBA/gray array, uint8 or uint16, upright; metadata)."""
    if not data:
        raise ImageReadError(f"{name}: the file is empty (0 bytes)")
    meta, orientation, use_pillow = _read_header(io.BytesIO(data), name, max_pixels)
    layout = layout_of(data)  # what the header says, where the decoders would get it wrong
    if layout.refusal:
        raise ImageReadError(f"{name}: {layout.refusal}")
    meta.gray_alpha = meta.gray_alpha or layout.gray_alpha
    if layout.lab:
        meta.icc_profile = None  # the pixels become sRGB: a Lab profile no longer fits
    pixels = None
    if not (use_pillow or layout.lab or (layout.gray_alpha and meta.format == "tiff")):
        pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        pixels = _decode_with_pillow(data)  # Pillow divides premultiplied alpha itself
        if pixels is None:
            raise ImageReadError(f"{name}: not a readable image (corrupt, truncated or an "
                                 "unsupported format)")
    elif pixels.ndim == 3 and pixels.shape[2] in (3, 4):
        code = cv2.COLOR_BGR2RGB if pixels.shape[2] == 3 else cv2.COLOR_BGRA2RGBA
        pixels = cv2.cvtColor(pixels, code)
        if layout.associated_alpha and pixels.shape[2] == 4:
            unpremultiply(pixels)
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(f"{name}: {pixels.dtype} pixels are not supported (8 or 16-bit only)")
    # OpenCV's and Pillow's TIFF decoders turn the pixels by the TIFF's orientation tag
    # themselves: turning them again would undo or double it.
    return (pixels if meta.format == "tiff" else _orient(pixels, orientation)), meta


def read_image(path: str | os.PathLike,
               max_pixels: int | None = DEFAULT_MAX_MEGAPIXELS * 1_000_000
               ) -> tuple[np.ndarray, ImageMeta]:
    """Decode a photo; one over ``max_pixels`` (None: no limit) is refused from its header."""
    path = Path(path)
    if why := cannot_read(path.suffix):  # a camera format this install has no reader for
        raise ImageReadError(f"{path.name}: {why}")
    raw = is_raw(path.suffix)  # LibRaw's: Pillow and OpenCV would misread a RAW as a TIFF
    try:
        with open_regular(path) as f:  # a pipe or a device is refused, never read
            if max_pixels and not raw:  # before reading the whole file, let alone decoding it
                _read_header(f, path.name, max_pixels)
                f.seek(0)
            data = f.read()
    except NotRegularFile as exc:
        raise ImageReadError(f"{path.name}: {exc}") from None
    except IsADirectoryError:
        raise ImageReadError(f"{path.name}: is a folder, not an image") from None
    except OSError as exc:
        raise ImageReadError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    if raw:
        return _develop_raw(data, path.name, max_pixels)
    return decode_image(data, path.name, max_pixels)


def _develop_raw(data: bytes, name: str, max_pixels: int | None) -> tuple[np.ndarray, ImageMeta]:
    try:
        pixels, exif = decode_raw(data, lambda w, h: check_size(w, h, name, max_pixels))
    except RawReadError as exc:
        raise ImageReadError(f"{name}: {exc}") from None
    return pixels, ImageMeta("raw", exif, None)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def encode_image(pixels: np.ndarray, fmt: str, quality: int = 95,
                 meta: ImageMeta | None = None, made_with: str = "") -> bytes:
    """Array -> file bytes. 16-bit is kept for PNG and TIFF, reduced to 8-bit otherwise. The
    source's EXIF and ICC go along, and the EXIF says Lowlight Studio wrote the file (with
    ``made_with``, the settings, when given)."""
    if fmt not in FORMAT_SUFFIX:
        raise ValueError(f"unsupported output format {fmt!r}")
    if meta is not None and meta.gray_alpha:
        pixels = as_gray_alpha(pixels, fmt)
    exif = tagged_exif(meta.exif if meta else None, made_with)
    icc = icc_fits(meta.icc_profile if meta else None, 1 if pixels.ndim == 2 else pixels.shape[2])
    if fmt == "tiff":
        return encode_tiff(pixels if pixels.dtype == np.uint16 else to_uint8(pixels), exif, icc)
    if pixels.dtype == np.uint16 and fmt == "png" and pixels.ndim == 3 and pixels.shape[2] == 2:
        return add_png_metadata(encode_png16_gray_alpha(pixels), exif, icc)
    if pixels.dtype == np.uint16 and fmt == "png":
        bgr = pixels
        if pixels.ndim == 3:
            code = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
            bgr = cv2.cvtColor(pixels, code)
        ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise ImageWriteError("could not encode a 16-bit PNG")
        return add_png_metadata(buf.tobytes(), exif, icc)
    pixels = to_uint8(pixels)
    if fmt in ("jpeg", "bmp") and pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[..., :3]  # no alpha in JPEG/BMP
    image = Image.fromarray(np.ascontiguousarray(pixels))
    kwargs: dict = {}
    if fmt != "bmp":
        kwargs["exif"] = exif.tobytes()
        if icc:
            kwargs["icc_profile"] = icc
    if fmt in ("jpeg", "webp"):
        kwargs["quality"] = int(quality)
    if fmt == "png":
        kwargs["compress_level"] = 1  # fast; PNG is lossless at every level
    out = io.BytesIO()
    image.save(out, format=fmt.upper(), **kwargs)
    return mark_bmp(out.getvalue()) if fmt == "bmp" else out.getvalue()


@functools.cache
def new_file_mode() -> int:
    """Permissions a plain new file gets here (0o666 minus the umask); mkstemp's are 0o600."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes,
                       replace: bool | Callable[[Path], bool] = True) -> None:
    """Write to a locked temporary file beside ``path``, flush, then rename over it;
    ``replace`` False (or a predicate) keeps an existing file (see TempFile.commit)."""
    path = Path(path)
    try:
        temp = TempFile(path)
    except OSError as exc:
        raise ImageWriteError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        with open(temp.fd, "wb", closefd=False) as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        temp.commit(new_file_mode(), replace)
    except BaseException as exc:
        temp.discard()
        if isinstance(exc, TargetExists):
            raise ImageWriteError(str(exc)) from None
        if isinstance(exc, OSError):
            raise ImageWriteError(f"cannot write {path.name}: {exc.strerror or exc}") from None
        raise


def write_image(path: str | os.PathLike, pixels: np.ndarray, quality: int = 95,
                meta: ImageMeta | None = None, fmt: str | None = None) -> Path:
    """Encode and write atomically; the format follows the suffix unless ``fmt`` is given."""
    path = Path(path)
    atomic_write_bytes(path, encode_image(pixels, fmt or format_for_path(path), quality, meta))
    return path
