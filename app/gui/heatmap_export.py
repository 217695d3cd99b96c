"""The saved heatmap (Ctrl+Shift+H, ``NAME_factor.png``): the map at the photo's size with
its colour scale under it, labelled, so the file reads without the app."""
from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from app.core import heatmap_palette
from app.gui.convert import from_qimage, to_qimage


def legend_height(height: int) -> int:
    return max(40, height // 14)


def heatmap_with_legend(heat: np.ndarray, height: int, width: int,
                        labels: tuple[str, str, str]) -> np.ndarray:
    """``heat`` (small RGB) scaled to ``width`` x ``height`` (bilinear, as the core does),
    with a strip below: the palette from end to end and ``labels`` (left, middle, right)."""
    big = cv2.resize(heat, (width, height), interpolation=cv2.INTER_LINEAR)
    strip = legend_height(height)
    canvas = np.full((height + strip, width, 3), 255, np.uint8)
    canvas[:height] = big
    bar_h = strip // 2 - 2
    ramp = heatmap_palette()[np.linspace(0, 255, width).round().astype(int)]
    canvas[height + 2:height + 2 + bar_h] = ramp[None]
    image = to_qimage(canvas)
    p = QPainter(image)
    font = QFont()
    font.setPixelSize(max(10, strip // 2 - 6))
    p.setFont(font)
    p.setPen(QColor(20, 20, 20))
    text = QRectF(6, height + 2 + bar_h, width - 12, strip - bar_h - 2)
    left, middle, right = labels
    p.drawText(text, Qt.AlignLeft | Qt.AlignVCenter, left)
    p.drawText(text, Qt.AlignHCenter | Qt.AlignVCenter, middle)
    p.drawText(text, Qt.AlignRight | Qt.AlignVCenter, right)
    p.end()
    return from_qimage(image.convertToFormat(QImage.Format_RGB888))
