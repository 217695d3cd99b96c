"""Image panes: synchronised zoom/pan views, the heatmap legend, and the split-slider compare."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QLinearGradient, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.core import HEATMAP_STOPS, heatmap_palette

ZOOM_STEP = 1.25


class ImageView(QGraphicsView):
    """A zoomable, pannable view of one image; emits ``view_changed`` when the user moves it."""

    view_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.SmoothTransformation)
        self.scene().addItem(self.item)
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setRenderHint(QPainter.SmoothPixmapTransform)
        self.setFrameShape(QFrame.NoFrame)
        self.setBackgroundBrush(self.palette().window().color().darker(115))
        self.fit_mode = True
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self.view_changed)

    def has_image(self) -> bool:
        return not self.item.pixmap().isNull()

    def set_pixmap(self, pixmap: QPixmap, display_size: tuple[int, int] | None = None) -> None:
        """Show ``pixmap``; ``display_size`` (w, h) keeps scene coordinates equal across panes
        when a preview is shown in place of the full image."""
        self.item.setPixmap(pixmap)
        w, h = display_size or (pixmap.width(), pixmap.height())
        if pixmap.width():
            self.item.setScale(w / pixmap.width())
        self.setSceneRect(QRectF(0, 0, w, h))
        if self.fit_mode:
            self.fit()

    def fit(self) -> None:
        self.fit_mode = True
        if self.has_image():
            self.fitInView(self.sceneRect(), Qt.KeepAspectRatio)
        self.view_changed.emit()

    def zoom_to(self, factor: float) -> None:
        self.fit_mode = False
        self.resetTransform()
        self.scale(factor, factor)
        self.view_changed.emit()

    def zoom_by(self, step: float) -> None:
        self.fit_mode = False
        self.scale(step, step)
        self.view_changed.emit()

    def zoom(self) -> float:
        return self.transform().m11()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fit_mode:
            self.fit()

    def copy_view_from(self, other: ImageView) -> None:
        if other.fit_mode:
            self.fit_mode = True
            if self.has_image():
                self.fitInView(self.sceneRect(), Qt.KeepAspectRatio)
            return
        self.fit_mode = False
        self.setTransform(other.transform())
        self.horizontalScrollBar().setValue(other.horizontalScrollBar().value())
        self.verticalScrollBar().setValue(other.verticalScrollBar().value())


class ViewSync:
    """Keeps zoom and pan identical across views: whoever moves, the others follow."""

    def __init__(self, views: list[ImageView]):
        self.views = views
        self._busy = False
        for v in views:
            v.view_changed.connect(lambda v=v: self._follow(v))

    def _follow(self, leader: ImageView) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            for v in self.views:
                if v is not leader:
                    v.copy_view_from(leader)
        finally:
            self._busy = False


class HeatmapLegend(QWidget):
    """The colour bar under the heatmap: what the colours mean."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.setToolTip("Brightening applied to each region, in stops (EV): +1 EV is twice "
                        "as bright. Warm = brightened, grey = unchanged, blue = darkened.")

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        bar = QRectF(8, 4, self.width() - 16, 12)
        grad = QLinearGradient(bar.topLeft(), bar.topRight())
        colours = heatmap_palette()
        for i in range(0, 256, 15):
            grad.setColorAt(i / 255, QColor(*map(int, colours[i])))
        grad.setColorAt(1.0, QColor(*map(int, colours[255])))
        p.fillRect(bar, grad)
        p.setPen(self.palette().windowText().color())
        text = QRectF(8, 17, self.width() - 16, 16)
        stops = int(HEATMAP_STOPS)
        p.drawText(text, Qt.AlignLeft | Qt.AlignVCenter, f"-{stops} EV")
        p.drawText(text, Qt.AlignHCenter | Qt.AlignVCenter, "0 EV unchanged")
        p.drawText(text, Qt.AlignRight | Qt.AlignVCenter, f"+{stops} EV")
        p.end()


FOOTER_HEIGHT = 34


class Pane(QWidget):
    """A titled image view with a footer of fixed height (the legend, or a caption), so all
    panes' views are the same size and zoom/pan can be shared one to one."""

    def __init__(self, title: str, footer: QWidget | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignCenter)
        self.title.setStyleSheet("font-weight: 600; padding: 2px;")
        self.view = ImageView()
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        self.footer = footer if footer is not None else QLabel()
        self.footer.setFixedHeight(FOOTER_HEIGHT)
        if isinstance(self.footer, QLabel):
            self.footer.setAlignment(Qt.AlignCenter)
            self.footer.setStyleSheet("color: palette(mid);")
        layout.addWidget(self.footer)


class SplitView(QWidget):
    """Before/after on one large view with a draggable divider."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.before = QImage()
        self.after = QImage()
        self.position = 0.5
        self.setMouseTracking(True)
        self.setCursor(Qt.SplitHCursor)
        self.setMinimumSize(200, 150)

    def set_images(self, before: QImage, after: QImage) -> None:
        self.before, self.after = before, after
        self.update()

    def _target(self) -> QRectF:
        if self.before.isNull():
            return QRectF()
        size = self.before.size().scaled(self.size(), Qt.KeepAspectRatio)
        return QRectF((self.width() - size.width()) / 2, (self.height() - size.height()) / 2,
                      size.width(), size.height())

    def paintEvent(self, _event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window().color().darker(115))
        target = self._target()
        if target.isNull():
            p.end()
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform)
        x = target.left() + target.width() * self.position
        p.drawImage(target, self.before)
        if not self.after.isNull():
            p.save()
            p.setClipRect(QRectF(QPointF(x, target.top()), target.bottomRight()))
            p.drawImage(target, self.after)
            p.restore()
        p.setPen(QPen(QColor(255, 255, 255, 220), 2))
        p.drawLine(QPointF(x, target.top()), QPointF(x, target.bottom()))
        p.drawText(target.adjusted(8, 8, -8, -8), Qt.AlignLeft | Qt.AlignTop, "before")
        p.drawText(target.adjusted(8, 8, -8, -8), Qt.AlignRight | Qt.AlignTop, "after")
        p.end()

    def _move(self, x: float) -> None:
        target = self._target()
        if target.width() > 0:
            self.position = min(1.0, max(0.0, (x - target.left()) / target.width()))
            self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self._move(event.position().x())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & Qt.LeftButton:
            self._move(event.position().x())
