"""The crop rectangle drawn over the photo while the crop tool is on: the parts cut away are
dimmed, the rule of thirds is drawn inside, and it is moved by dragging inside it and
resized by its corners, keeping the chosen ratio if there is one. Coordinates are the
photo's pixels (the views' scene), the whole turned and straightened frame."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsObject

from app.core import Crop

HANDLE_PX = 14  # how near a corner (in screen pixels) a press grabs it
MIN_SHARE = 0.02  # the rectangle keeps at least 2% of the frame each way
CORNERS = ("tl", "tr", "bl", "br")


class CropFrame(QGraphicsObject):
    def __init__(self, bounds: QRectF, crop: Crop, ratio: float | None = None):
        super().__init__()
        self.bounds = QRectF(bounds)
        self.ratio = ratio  # width over height, in the frame's orientation; None: free
        self.rect = QRectF(bounds.left() + crop.left * bounds.width(),
                           bounds.top() + crop.top * bounds.height(),
                           (crop.right - crop.left) * bounds.width(),
                           (crop.bottom - crop.top) * bounds.height())
        self.setZValue(2)  # above the photo and its 100% tile
        self.setAcceptedMouseButtons(Qt.LeftButton)
        self._grab: str | None = None
        self._start: tuple[QPointF, QRectF] | None = None

    # ---- the result ---------------------------------------------------------------------
    def crop(self) -> Crop:
        b, r = self.bounds, self.rect
        return Crop(max(0.0, (r.left() - b.left()) / b.width()),
                    max(0.0, (r.top() - b.top()) / b.height()),
                    min(1.0, (r.right() - b.left()) / b.width()),
                    min(1.0, (r.bottom() - b.top()) / b.height())).validated()

    def set_rect(self, rect: QRectF) -> None:
        self.rect = QRectF(rect).normalized().intersected(self.bounds)
        self.update()

    # ---- painting -----------------------------------------------------------------------
    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.bounds

    def paint(self, p, _option, _widget=None) -> None:
        b, r = self.bounds, self.rect
        shade = QColor(0, 0, 0, 130)
        for part in (QRectF(b.left(), b.top(), b.width(), r.top() - b.top()),
                     QRectF(b.left(), r.bottom(), b.width(), b.bottom() - r.bottom()),
                     QRectF(b.left(), r.top(), r.left() - b.left(), r.height()),
                     QRectF(r.right(), r.top(), b.right() - r.right(), r.height())):
            if part.width() > 0 and part.height() > 0:
                p.fillRect(part, shade)
        pen = QPen(QColor(255, 255, 255, 110))
        pen.setCosmetic(True)
        p.setPen(pen)
        for i in (1, 2):  # the rule of thirds
            x = r.left() + r.width() * i / 3
            y = r.top() + r.height() * i / 3
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
            p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
        pen = QPen(QColor("white"), 2)
        pen.setCosmetic(True)
        p.setPen(pen)
        p.drawRect(r)
        size = self._handle_size()
        for corner in self._corners().values():
            p.fillRect(QRectF(corner.x() - size / 4, corner.y() - size / 4, size / 2, size / 2),
                       QColor("white"))

    def _handle_size(self) -> float:
        views = self.scene().views() if self.scene() else []
        scale = views[0].transform().m11() if views else 1.0
        return HANDLE_PX / max(scale, 1e-6)

    def _corners(self) -> dict[str, QPointF]:
        r = self.rect
        return {"tl": r.topLeft(), "tr": r.topRight(), "bl": r.bottomLeft(),
                "br": r.bottomRight()}

    # ---- dragging -----------------------------------------------------------------------
    def grab_at(self, pos: QPointF) -> str | None:
        """Which part a press at ``pos`` takes: a corner, "move" (inside), or None."""
        size = self._handle_size()
        for name, corner in self._corners().items():
            if abs(pos.x() - corner.x()) <= size and abs(pos.y() - corner.y()) <= size:
                return name
        return "move" if self.rect.contains(pos) else None

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._grab = self.grab_at(event.pos())
        if self._grab is None:
            event.ignore()  # outside: the view pans as usual
            return
        self._start = (event.pos(), QRectF(self.rect))
        event.accept()

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._grab is None or self._start is None:
            return
        if self._grab == "move":
            self.drag_by(event.pos() - self._start[0], self._start[1])
        else:
            self.drag_corner(self._grab, event.pos(), self._start[1])

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        self._grab = self._start = None
        event.accept()

    def drag_by(self, delta: QPointF, start: QRectF) -> None:
        """Move the rectangle by ``delta`` from ``start``, staying inside the frame."""
        b = self.bounds
        x = min(max(start.left() + delta.x(), b.left()), b.right() - start.width())
        y = min(max(start.top() + delta.y(), b.top()), b.bottom() - start.height())
        self.set_rect(QRectF(x, y, start.width(), start.height()))

    def drag_corner(self, corner: str, pos: QPointF, start: QRectF) -> None:
        """Put ``corner`` at ``pos`` (the opposite one stays), keeping the ratio if set."""
        b = self.bounds
        fixed = {"tl": start.bottomRight(), "tr": start.bottomLeft(),
                 "bl": start.topRight(), "br": start.topLeft()}[corner]
        sx = 1 if corner in ("tr", "br") else -1
        sy = 1 if corner in ("bl", "br") else -1
        room_w = (b.right() - fixed.x()) if sx > 0 else (fixed.x() - b.left())
        room_h = (b.bottom() - fixed.y()) if sy > 0 else (fixed.y() - b.top())
        w = min(max(abs(pos.x() - fixed.x()), MIN_SHARE * b.width()), room_w)
        h = min(max(abs(pos.y() - fixed.y()), MIN_SHARE * b.height()), room_h)
        if self.ratio:
            if w / h > self.ratio:
                w = h * self.ratio
            else:
                h = w / self.ratio
        x = fixed.x() if sx > 0 else fixed.x() - w
        y = fixed.y() if sy > 0 else fixed.y() - h
        self.set_rect(QRectF(x, y, w, h))
