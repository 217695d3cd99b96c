"""A finished photo's small before/after for its row of the batch list.

Made in the batch's thread, as each photo ends (QImage, not QPixmap, may be made there).
Pillow's draft mode decodes a JPEG at 1/8 size, so a 50 MP photo costs milliseconds; what
Pillow cannot open small (camera RAW, 16-bit TIFF) goes through the engine's reader.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from PySide6.QtGui import QImage

from app.core import read_image, to_uint8
from app.gui.convert import to_qimage

THUMB = 72  # pixels, the longer side of each half
GAP = 2


def small(path: Path, size: int = THUMB) -> np.ndarray | None:
    """The photo at most ``size`` pixels wide and high (RGB, 8-bit); None if unreadable."""
    try:
        with Image.open(path) as im:
            im.draft("RGB", (size, size))
            im = ImageOps.exif_transpose(im)
            if im.mode in ("RGB", "L", "RGBA", "P"):
                im = im.convert("RGB")
                im.thumbnail((size, size))
                return np.asarray(im)
    except Exception:  # noqa: BLE001 - not for Pillow: the engine's reader below
        pass
    try:
        pixels, _ = read_image(path)
    except Exception:  # noqa: BLE001 - no thumbnail is all it costs
        return None
    pixels = to_uint8(pixels)
    if pixels.ndim == 2:
        pixels = np.repeat(pixels[..., None], 3, axis=2)
    im = Image.fromarray(np.ascontiguousarray(pixels[..., :3]))
    im.thumbnail((size, size))
    return np.asarray(im)


def before_after(source: Path, output: Path) -> QImage | None:
    """The source and its output side by side, same height; the output alone if the source
    cannot be shown; None if neither can."""
    after = small(output)
    if after is None:
        return None
    before = small(source)
    if before is None:
        return to_qimage(np.ascontiguousarray(after))
    h = min(before.shape[0], after.shape[0])
    halves = [np.asarray(Image.fromarray(a).resize((max(1, round(a.shape[1] * h / a.shape[0])),
                                                    h))) for a in (before, after)]
    gap = np.full((h, GAP, 3), 255, np.uint8)
    return to_qimage(np.ascontiguousarray(np.concatenate([halves[0], gap, halves[1]], axis=1)))
