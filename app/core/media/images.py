"""Reading and writing photos without losing anything: 8/16-bit, EXIF, ICC, atomic writes.

Pixels are decoded with OpenCV (fast, 16-bit aware) and metadata is read with Pillow. EXIF
orientation is applied on read, so outputs are upright, and the EXIF written back says so
(orientation 1). Outputs are written to a temporary file in the target folder and renamed, so no
reader ever sees a half-written image under its final name.
"""
from __future__ import annotations

import functools
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".webp"}
FORMAT_SUFFIX = {"jpeg": ".jpg", "png": ".png", "tiff": ".tif", "webp": ".webp", "bmp": ".bmp"}
_SUFFIX_FORMAT = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".tif": "tiff",
                  ".tiff": "tiff", ".webp": "webp", ".bmp": "bmp"}
_SIXTEEN_BIT_FORMATS = {"png", "tiff"}
_EXIF_ORIENTATION = 0x0112
Image.MAX_IMAGE_PIXELS = 400_000_000  # allow big panoramas, still stop decompression bombs


class ImageReadError(ValueError):
    """The file is missing, empty, truncated or not an image we can decode."""


class ImageWriteError(OSError):
    """The output could not be written (folder missing or read-only, disk full...)."""


@dataclass
class ImageMeta:
    format: str | None = None  # "jpeg", "png", ...
    exif: bytes | None = None  # with orientation reset to 1 (pixels are upright)
    icc_profile: bytes | None = None


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
           7: lambda a: np.rot90(a, 1)[::-1], 8: lambda a: np.rot90(a, 1)}
    op = ops.get(orientation)
    return np.ascontiguousarray(op(pixels)) if op else pixels


def _read_meta(data: bytes) -> tuple[ImageMeta, int]:
    try:
        with Image.open(io.BytesIO(data)) as im:
            exif = im.getexif()
            orientation = int(exif.get(_EXIF_ORIENTATION, 1) or 1)
            if orientation != 1:
                exif[_EXIF_ORIENTATION] = 1
            return ImageMeta((im.format or "").lower() or None,
                             exif.tobytes() if len(exif) else None,
                             im.info.get("icc_profile")), orientation
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return ImageMeta(), 1


def _decode_with_pillow(data: bytes) -> np.ndarray | None:
    """Fallback for what OpenCV cannot decode (e.g. some CMYK or palette files)."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            if im.mode in ("I;16", "I;16B", "I;16L"):
                return np.asarray(im, dtype=np.uint16)
            return np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None


def decode_image(data: bytes, name: str = "image") -> tuple[np.ndarray, ImageMeta]:
    """Bytes -> (RGB/RGBA/gray array, uint8 or uint16, upright; metadata)."""
    if not data:
        raise ImageReadError(f"{name}: the file is empty (0 bytes)")
    pixels = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        pixels = _decode_with_pillow(data)
        if pixels is None:
            raise ImageReadError(f"{name}: not a readable image (corrupt, truncated or an "
                                 "unsupported format)")
    elif pixels.ndim == 3 and pixels.shape[2] == 3:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGR2RGB)
    elif pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = cv2.cvtColor(pixels, cv2.COLOR_BGRA2RGBA)
    if pixels.dtype not in (np.uint8, np.uint16):
        raise ImageReadError(f"{name}: {pixels.dtype} pixels are not supported (8 or 16-bit only)")
    meta, orientation = _read_meta(data)
    return _orient(pixels, orientation), meta


def read_image(path: str | os.PathLike) -> tuple[np.ndarray, ImageMeta]:
    path = Path(path)
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise ImageReadError(f"{path.name}: is a folder, not an image") from None
    except OSError as exc:
        raise ImageReadError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    return decode_image(data, path.name)


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels
    return ((pixels.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)


def encode_image(pixels: np.ndarray, fmt: str, quality: int = 95,
                 meta: ImageMeta | None = None) -> bytes:
    """Array -> file bytes. 16-bit is kept for PNG and TIFF, reduced to 8-bit otherwise."""
    if fmt not in FORMAT_SUFFIX:
        raise ValueError(f"unsupported output format {fmt!r}")
    if pixels.dtype == np.uint16 and fmt in _SIXTEEN_BIT_FORMATS:
        bgr = pixels
        if pixels.ndim == 3:
            code = cv2.COLOR_RGBA2BGRA if pixels.shape[2] == 4 else cv2.COLOR_RGB2BGR
            bgr = cv2.cvtColor(pixels, code)
        ok, buf = cv2.imencode(FORMAT_SUFFIX[fmt], bgr)
        if not ok:
            raise ImageWriteError(f"could not encode a 16-bit {fmt.upper()}")
        return buf.tobytes()
    pixels = to_uint8(pixels)
    if fmt in ("jpeg", "bmp") and pixels.ndim == 3 and pixels.shape[2] == 4:
        pixels = pixels[..., :3]  # no alpha in JPEG/BMP
    image = Image.fromarray(np.ascontiguousarray(pixels))
    kwargs: dict = {}
    if meta is not None and fmt != "bmp":
        if meta.exif:
            kwargs["exif"] = meta.exif
        if meta.icc_profile:
            kwargs["icc_profile"] = meta.icc_profile
    if fmt in ("jpeg", "webp"):
        kwargs["quality"] = int(quality)
    if fmt == "png":
        kwargs["compress_level"] = 1  # fast; PNG is lossless at every level
    if fmt == "tiff":
        kwargs["compression"] = "tiff_deflate"
    out = io.BytesIO()
    image.save(out, format=fmt.upper(), **kwargs)
    return out.getvalue()


@functools.cache
def new_file_mode() -> int:
    """Permissions a plain new file gets here (0o666 minus the umask); mkstemp's are 0o600."""
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write to a temporary file beside ``path``, flush, then rename over it."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ImageWriteError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ImageWriteError(f"cannot write {path.name}: {exc.strerror or exc}") from None
        raise


def write_image(path: str | os.PathLike, pixels: np.ndarray, quality: int = 95,
                meta: ImageMeta | None = None, fmt: str | None = None) -> Path:
    """Encode and write atomically; the format follows the suffix unless ``fmt`` is given."""
    path = Path(path)
    atomic_write_bytes(path, encode_image(pixels, fmt or format_for_path(path), quality, meta))
    return path
