"""Small JPEGs of the folder's photos and videos for the filmstrip, cached in the user's
cache folder under a key of the file's path, size and modification time (an edited file
gets a new thumbnail; the old one is just never read again).

The strip shows each photo as its settings make it (a folder of night shots as thumbnails
of their dark originals is a row of black squares): the engine runs on the small copy, in
the strip's background threads, and that is cached too, under the settings as well.

Making one is the slow part (a 24 MP JPEG is decoded at 1/8 scale by Pillow's draft mode,
in ~20 ms; a RAW or HEIC is read whole); it runs in the GUI's background threads, never in
the event loop. Everything here is thread-safe: each call writes its own file atomically.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.core import EnhanceSettings, is_video, read_frame, read_image
from app.paths import cache_dir

SIDE = 192  # long side, pixels: sharp at the filmstrip's size on a 2x screen too
QUALITY = 85
DRAFT_SUFFIXES = {".jpg", ".jpeg"}


def thumbnail_folder() -> Path:
    return cache_dir() / "thumbnails"


def shrink(image: np.ndarray, side: int = SIDE) -> np.ndarray:
    """8-bit RGB, the long side at most ``side`` (area-averaged)."""
    import cv2

    if image.dtype != np.uint8:
        image = (image >> 8).astype(np.uint8) if image.dtype == np.uint16 else \
            np.clip(image * 255, 0, 255).astype(np.uint8)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=2)
    image = image[..., :3]
    h, w = image.shape[:2]
    f = side / max(h, w)
    if f < 1:
        image = cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))),
                           interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image)


def _quick_jpeg(path: Path, side: int) -> np.ndarray | None:
    """A JPEG decoded at the smallest scale still above ``side`` (upright); None if Pillow
    cannot (then the full reader says why)."""
    from PIL import Image, ImageOps

    try:
        with Image.open(path) as im:
            im.draft("RGB", (side, side))
            return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    except Exception:  # noqa: BLE001 - the full reader below gives the real reason
        return None


def render(path: Path, side: int = SIDE) -> np.ndarray:
    """The file's thumbnail pixels (RGB uint8); raises the readers' errors."""
    path = Path(path)
    if is_video(path):
        return shrink(read_frame(path, 0.0), side)
    pixels = _quick_jpeg(path, side) if path.suffix.lower() in DRAFT_SUFFIXES else None
    if pixels is None:
        pixels, _ = read_image(path)
    return shrink(pixels, side)


class ThumbnailStore:
    def __init__(self, folder: str | os.PathLike | None = None, side: int = SIDE):
        self.folder = Path(folder) if folder is not None else thumbnail_folder()
        self.side = side

    def cached_path(self, path: Path, look: str = "") -> Path | None:
        """Where ``path``'s thumbnail is kept (``look``: the settings it was enhanced with,
        "" for the original); None if the file cannot be stat'ed."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        key = f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}|{self.side}|{look}"
        digest = hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()
        return self.folder / digest[:2] / f"{digest}.jpg"

    def thumbnail(self, path: Path) -> np.ndarray:
        """The cached thumbnail, else a new one (kept for next time; a cache that cannot be
        written costs only the time to make it again)."""
        return self._cached(self.cached_path(path), lambda: render(path, self.side))

    def enhanced(self, path: Path, settings: EnhanceSettings,
                 enhance: Callable[[np.ndarray, EnhanceSettings], np.ndarray]) -> np.ndarray:
        """The thumbnail as ``settings`` make it (``enhance``: the engine on the small copy),
        cached under the settings too."""
        look = repr(settings.validated())
        return self._cached(self.cached_path(path, look),
                            lambda: enhance(self.thumbnail(path), settings))

    def _cached(self, where: Path | None, make: Callable[[], np.ndarray]) -> np.ndarray:
        import cv2

        if where is not None and where.exists():
            found = cv2.imread(str(where), cv2.IMREAD_COLOR)
            if found is not None:
                return np.ascontiguousarray(found[..., ::-1])
        pixels = make()
        if where is not None:
            try:
                self._keep(where, pixels)
            except OSError:
                pass
        return pixels

    @staticmethod
    def _keep(where: Path, pixels: np.ndarray) -> None:
        import cv2

        ok, data = cv2.imencode(".jpg", pixels[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        if not ok:
            return
        where.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".thumb-", suffix=".part", dir=where.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data.tobytes())
            os.replace(tmp, where)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


class ThumbnailEngine:
    """Enhances thumbnails in the strip's background threads: one engine, made on first
    use by ``make_enhancer`` (the window's factory), each call on its calling thread."""

    def __init__(self, make_enhancer: Callable[[], object]):
        self._make, self._enhancer = make_enhancer, None
        self._lock = threading.Lock()

    def __call__(self, pixels: np.ndarray, settings: EnhanceSettings) -> np.ndarray:
        with self._lock:
            if self._enhancer is None:
                self._enhancer = self._make()
        return self._enhancer.enhance(pixels, settings, threads=1).image
