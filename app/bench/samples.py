"""Test photos for the benchmarks, made on the fly (nothing from ../shared is used)."""
from __future__ import annotations

import numpy as np


def synthetic_photo(width: int, height: int) -> np.ndarray:
    """The bundled night scene resized, with fresh noise: realistic statistics, any size."""
    import cv2

    from app.core.media.images import read_image
    from app.paths import sample_image

    base, _ = read_image(sample_image())
    img = cv2.resize(base, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.int16)
    img += np.random.default_rng(0).integers(-3, 4, img.shape, dtype=np.int16)
    return np.clip(img, 0, 255).astype(np.uint8)
