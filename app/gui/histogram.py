"""The output's histogram (luminance and R, G, B) with shadow and highlight clipping warnings,
and the overlay that paints clipped pixels on the image (J, as in Lightroom): blue where the
shadows are pure black, red where a channel is at full scale."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from app.core import to_uint8

LUMA = (2126, 7152, 722)  # Rec. 709 weights in 1/10000, on the 8-bit values shown
SHADOW_COLOUR = (40, 110, 255)
HIGHLIGHT_COLOUR = (255, 30, 30)
CORNER = 9  # size of the clipping triangles
# Luminance by table look-up in integers (exact rounding, and fast on a 1.4 MP preview:
# float arithmetic over the whole image took a quarter of a second).
_LEVELS = np.arange(256, dtype=np.uint32)
_TABLES = [(_LEVELS * w).astype(np.uint32) for w in LUMA]


def _rgb8(image: np.ndarray) -> np.ndarray:
    a = to_uint8(image)
    if a.ndim == 2:
        return np.repeat(a[:, :, None], 3, axis=2)
    if a.shape[2] == 1:
        return np.repeat(a, 3, axis=2)
    return a[:, :, :3]


def luminance(image: np.ndarray) -> np.ndarray:
    """8-bit luminance of a gray, RGB or RGBA image: round(0.2126 R + 0.7152 G + 0.0722 B),
    halves rounded up, computed exactly in integers."""
    rgb = _rgb8(image)
    y = _TABLES[0][rgb[:, :, 0]]
    y += _TABLES[1][rgb[:, :, 1]]
    y += _TABLES[2][rgb[:, :, 2]]
    y += 5000
    y //= 10000
    return y.astype(np.uint8)


def histograms(image: np.ndarray) -> np.ndarray:
    """(4, 256) pixel counts per 8-bit level: luminance, R, G, B."""
    rgb = _rgb8(image)
    planes = (luminance(rgb), rgb[:, :, 0], rgb[:, :, 1], rgb[:, :, 2])
    return np.stack([np.bincount(p.ravel(), minlength=256) for p in planes])


def clipped(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Masks of clipped shadows (every channel at 0) and highlights (any channel at 255)."""
    rgb = _rgb8(image)
    peak = np.maximum(np.maximum(rgb[:, :, 0], rgb[:, :, 1]), rgb[:, :, 2])
    return peak == 0, peak == 255


def summary(image: np.ndarray) -> tuple[np.ndarray, float, float]:
    """(histograms, fraction of shadows clipped, fraction of highlights clipped)."""
    counts = histograms(image)
    shadows, highlights = clipped(image)
    total = max(1, shadows.size)
    return counts, float(shadows.sum()) / total, float(highlights.sum()) / total


def clipping_overlay(image: np.ndarray) -> np.ndarray:
    """An 8-bit RGB copy with the clipped pixels painted in the warning colours."""
    out = _rgb8(image).copy()
    shadows, highlights = clipped(image)
    out[shadows] = SHADOW_COLOUR
    out[highlights] = HIGHLIGHT_COLOUR
    return out


class Histogram(QWidget):
    """Emits ``toggle_overlay`` when a clipping triangle is clicked."""

    toggle_overlay = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.counts: np.ndarray | None = None
        self.shadows = self.highlights = 0.0  # fractions of pixels clipped
        self.overlay_on = False
        self.shown_for = 0  # id of the preview whose histogram is drawn
        self._plot: QPixmap | None = None  # the curves, drawn once per summary and size
        self.setMinimumSize(200, 90)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Expanding)
        self._tips()

    def set_summary(self, found: tuple[np.ndarray, float, float] | None) -> None:
        """What :func:`summary` found (the worker computes it), or None to clear."""
        if found is None:
            self.counts, self.shadows, self.highlights = None, 0.0, 0.0
        else:
            self.counts, self.shadows, self.highlights = found
        self._plot = None
        self._tips()
        self.update()

    def set_overlay(self, on: bool) -> None:
        self.overlay_on = on
        self._tips()
        self.update()

    def summary(self) -> str:
        return (f"Clipped: shadows {100 * self.shadows:.1f}%, highlights "
                f"{100 * self.highlights:.1f}% of the pixels")

    def _tips(self) -> None:
        state = "on" if self.overlay_on else "off"
        self.setToolTip("Histogram of the enhanced photo: luminance (grey) and red, green, "
                        f"blue. {self.summary()}. Click a corner triangle or press J to "
                        f"show clipped pixels on the image (now {state}): blue = pure "
                        "black, red = a channel at full brightness.")

    def mousePressEvent(self, event) -> None:  # noqa: N802
        x = event.position().x()
        if event.position().y() <= 3 * CORNER and (x <= 3 * CORNER or
                                                  x >= self.width() - 3 * CORNER):
            self.toggle_overlay.emit()

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.drawPixmap(0, 0, self.plot())
        self._corner(p, True, self.shadows > 0, SHADOW_COLOUR)
        self._corner(p, False, self.highlights > 0, HIGHLIGHT_COLOUR)
        p.end()

    def plot(self) -> QPixmap:
        """The curves, kept: the widget is repainted more often than its data changes, and
        drawing them (256 points a curve, in Python) held the engine's thread back during
        slider drags."""
        ratio = self.devicePixelRatioF()
        size = self.size() * ratio
        if self._plot is not None and self._plot.size() == size:
            return self._plot
        self._plot = QPixmap(size)
        self._plot.setDevicePixelRatio(ratio)
        p = QPainter(self._plot)
        self._draw_curves(p)
        p.end()
        return self._plot

    def _draw_curves(self, p: QPainter) -> None:
        p.fillRect(self.rect(), QColor(32, 32, 32))
        if self.counts is not None:
            area = QRectF(2, 2, self.width() - 4, self.height() - 4)
            # scale by the tallest inner level: a spike of clipped pixels at 0 or 255 must
            # not flatten the rest (the triangles report those)
            peak = max(1.0, float(np.sqrt(self.counts[:, 1:255].max())))
            p.setRenderHint(QPainter.Antialiasing)
            p.setCompositionMode(QPainter.CompositionMode_Plus)
            for counts, colour in zip(self.counts[1:], ((170, 40, 40), (40, 150, 40),
                                                        (50, 70, 190))):
                p.setPen(Qt.NoPen)
                p.setBrush(QColor(*colour))
                p.drawPath(_area(counts, peak, area))
            p.setCompositionMode(QPainter.CompositionMode_SourceOver)
            p.setPen(QPen(QColor(235, 235, 235), 1.2))
            p.setBrush(Qt.NoBrush)
            p.drawPath(_area(self.counts[0], peak, area))

    def _corner(self, p: QPainter, left: bool, lit: bool, colour) -> None:
        x0 = 3 if left else self.width() - 3
        step = CORNER if left else -CORNER
        tri = QPolygonF([QPointF(x0, 3), QPointF(x0 + step, 3), QPointF(x0, 3 + CORNER)])
        p.setPen(QPen(QColor(200, 200, 200), 1))
        p.setBrush(QColor(*colour) if lit else QColor(70, 70, 70))
        if self.overlay_on:
            p.setPen(QPen(QColor(255, 255, 255), 2))
        p.drawPolygon(tri)


def _area(counts: np.ndarray, peak: float, area: QRectF) -> QPainterPath:
    """The outline of one channel's histogram (square-root scale) as a closed path."""
    heights = np.minimum(np.sqrt(counts.astype(np.float64)) / peak, 1.0)
    path = QPainterPath(QPointF(area.left(), area.bottom()))
    for i, h in enumerate(heights):
        path.lineTo(area.left() + area.width() * i / 255, area.bottom() - area.height() * h)
    path.lineTo(area.right(), area.bottom())
    path.closeSubpath()
    return path
