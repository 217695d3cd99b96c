"""numpy <-> Qt image conversion (the only place that knows QImage's memory layout)."""
from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage, QPixmap

from app.core import to_uint8


def to_qimage(pixels: np.ndarray) -> QImage:
    """Gray/RGB/RGBA uint8 or uint16 array -> QImage (deep copy, safe to keep)."""
    a = np.ascontiguousarray(to_uint8(pixels))
    if a.ndim == 2:
        fmt, h, w = QImage.Format_Grayscale8, a.shape[0], a.shape[1]
    elif a.shape[2] == 4:
        fmt, (h, w) = QImage.Format_RGBA8888, a.shape[:2]
    else:
        a = np.ascontiguousarray(a[..., :3])
        fmt, (h, w) = QImage.Format_RGB888, a.shape[:2]
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


def to_pixmap(pixels: np.ndarray) -> QPixmap:
    return QPixmap.fromImage(to_qimage(pixels))


def from_qimage(image: QImage) -> np.ndarray:
    """QImage (e.g. from the clipboard) -> RGB uint8 array."""
    rgb = image.convertToFormat(QImage.Format_RGB888)
    h, w, stride = rgb.height(), rgb.width(), rgb.bytesPerLine()
    buf = np.frombuffer(rgb.constBits(), np.uint8, count=h * stride).reshape(h, stride)
    return buf[:, :w * 3].reshape(h, w, 3).copy()
