"""Before/after on one large view, as in Lightroom: the same zoom, pan, wheel and 100% as the
panes (it is an :class:`ImageView`), with the after image shown right of a divider that stays
put on screen while the photo is panned under it. Only the divider's handle moves the
divider; a drag anywhere else pans."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QGraphicsRectItem, QWidget

from app.gui.panes import ImageView, place_tile

HANDLE = 8  # px either side of the divider line that grab it
KNOB = 11  # radius of the round handle in the middle of the line


class SplitView(ImageView):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.position = 0.5  # the divider, as a fraction of the viewport's width
        self.show_before = False  # "\\": the before image everywhere, in place
        self._dragging = False
        # The after side: a clip rectangle (right of the divider) holding its preview and its
        # full-resolution tile, above the before side's.
        self.after_clip = QGraphicsRectItem()
        self.after_clip.setFlag(QGraphicsItem.ItemClipsChildrenToShape)
        self.after_clip.setPen(Qt.NoPen)
        self.after_clip.setZValue(2)
        self.after_item = QGraphicsPixmapItem(self.after_clip)
        self.after_item.setTransformationMode(Qt.SmoothTransformation)
        self.after_detail = self._detail_item(self.after_clip)
        self.scene().addItem(self.after_clip)
        # the divider is drawn in viewport coordinates: repaint it whole on every scroll
        self.setViewportUpdateMode(ImageView.FullViewportUpdate)
        self.setMouseTracking(True)
        self.view_changed.connect(self._update_clip)
        self.setMinimumSize(200, 150)

    # ---- content ------------------------------------------------------------------------
    def set_images(self, before: QPixmap, after: QPixmap | None,
                   display_size: tuple[int, int]) -> None:
        """The two previews (``display_size``: the photo's own size, the scene's units)."""
        self.set_pixmap(before, display_size)
        self.set_after(after)

    def set_after(self, after: QPixmap | None) -> None:
        if after is None or after.isNull():
            self.after_item.setPixmap(QPixmap())
        else:
            self.after_item.setPixmap(after)
            self.after_item.setScale(self.sceneRect().width() / after.width())
        self._update_clip()

    def set_after_detail(self, pixmap: QPixmap | None, x: int = 0, y: int = 0) -> None:
        place_tile(self.after_detail, pixmap, x, y)

    def has_after(self) -> bool:
        return not self.after_item.pixmap().isNull()

    def set_show_before(self, on: bool) -> None:
        self.show_before = on
        self.after_clip.setVisible(not on)
        self.viewport().update()

    # ---- the divider --------------------------------------------------------------------
    def divider_x(self) -> float:
        """The divider's x in viewport pixels."""
        return self.position * self.viewport().width()

    def set_position(self, fraction: float) -> None:
        self.position = min(1.0, max(0.0, fraction))
        self._update_clip()
        self.viewport().update()

    def _update_clip(self) -> None:
        scene = self.sceneRect()
        x = self.mapToScene(round(self.divider_x()), 0).x()
        self.after_clip.setRect(QRectF(QPointF(max(x, scene.left()), scene.top()),
                                       scene.bottomRight()))

    def _near_divider(self, x: float) -> bool:
        return abs(x - self.divider_x()) <= HANDLE

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._update_clip()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.LeftButton and self._near_divider(event.position().x()):
            self._dragging = True
            event.accept()
            return
        super().mousePressEvent(event)  # pans (scroll-hand drag)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self.set_position(event.position().x() / max(1, self.viewport().width()))
            event.accept()
            return
        if not event.buttons():
            near = self._near_divider(event.position().x())
            self.viewport().setCursor(Qt.SplitHCursor if near else Qt.OpenHandCursor)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._dragging:
            self._dragging = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def drawForeground(self, painter: QPainter, _rect) -> None:  # noqa: N802
        if not self.has_image():
            return
        painter.save()
        painter.resetTransform()  # viewport pixels from here on
        painter.setRenderHint(QPainter.Antialiasing)
        h, w = self.viewport().height(), self.viewport().width()
        if self.show_before:
            self._label(painter, 8, "Before (\\ shows the after)", left=True)
            painter.restore()
            return
        x = self.divider_x()
        painter.setPen(QPen(QColor(255, 255, 255, 220), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, h))
        painter.setBrush(QColor(40, 40, 40, 200))
        painter.drawEllipse(QPointF(x, h / 2), KNOB, KNOB)
        painter.drawText(QRectF(x - KNOB, h / 2 - KNOB, 2 * KNOB, 2 * KNOB), Qt.AlignCenter,
                         "\u2194")
        self._label(painter, 8, "Before", left=True)
        self._label(painter, w - 8, "After", left=False)
        painter.restore()

    @staticmethod
    def _label(painter: QPainter, x: float, text: str, left: bool) -> None:
        """A caption on a dark chip, readable over any photo or the grey margin."""
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        chip = QRectF(x if left else x - width, 8, width, 20)
        painter.setPen(Qt.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(chip, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(chip, Qt.AlignCenter, text)
