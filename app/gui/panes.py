"""Image panes: synchronised zoom/pan views (with a full-resolution detail tile on top of the
screen-sized preview at 100% and above), the heatmap legend, and the titled pane."""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
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
    hovered = Signal(float, float)  # the photo's pixel under the cursor; (-1, -1): left
    step = Signal(int)  # Left/Right with nothing to pan: the previous/next photo

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.item = QGraphicsPixmapItem()
        self.item.setTransformationMode(Qt.SmoothTransformation)
        self.scene().addItem(self.item)
        self.detail = self._detail_item()
        self.scene().addItem(self.detail)
        self.setFocusPolicy(Qt.StrongFocus)  # arrow keys pan, +/- zoom: the image has focus
        self.setDragMode(QGraphicsView.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.AnchorUnderMouse)
        self.setRenderHint(QPainter.SmoothPixmapTransform)
        self.setFrameShape(QFrame.NoFrame)
        self.setBackgroundBrush(self.palette().window().color().darker(115))
        self.setMouseTracking(True)
        self.fit_mode = True
        self._fitting = False
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self._scrolled)

    def _scrolled(self) -> None:
        if not self._fitting:
            self.view_changed.emit()

    @staticmethod
    def _detail_item(parent=None) -> QGraphicsPixmapItem:
        """Real pixels of a region at scale 1, drawn over the enlarged preview."""
        item = QGraphicsPixmapItem(parent)
        item.setZValue(1)
        item.setTransformationMode(Qt.SmoothTransformation)
        item.hide()
        return item

    def set_detail(self, pixmap: QPixmap | None, x: int = 0, y: int = 0) -> None:
        """Show ``pixmap`` (full-resolution pixels) with its top-left at image pixel (x, y);
        None hides the tile."""
        place_tile(self.detail, pixmap, x, y)

    def visible_rect(self) -> QRectF:
        """The part of the image (in its own pixels) that the viewport shows."""
        # corner to corner: mapping the QRect itself came out a pixel off at some scrolls
        port = self.viewport()
        seen = QRectF(self.mapToScene(0, 0), self.mapToScene(port.width(), port.height()))
        return seen.intersected(self.sceneRect())

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
        was_fit, self.fit_mode = self.fit_mode, True
        moved = self.has_image() and self._fit_in_view()
        if moved or not was_fit:
            self.view_changed.emit()

    def _fit_in_view(self) -> bool:
        """fitInView, announced once, and only if the view moved (True then). It scales to
        1 and back, scrolling on the way: every preview is set in fit mode, and telling the
        other views each step took 4 ms of every slider move."""
        before = (self.transform(), self.horizontalScrollBar().value(),
                  self.verticalScrollBar().value())
        self._fitting = True
        try:
            self.fitInView(self.sceneRect(), Qt.KeepAspectRatio)
        finally:
            self._fitting = False
        return before != (self.transform(), self.horizontalScrollBar().value(),
                          self.verticalScrollBar().value())

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

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        super().mouseMoveEvent(event)
        at = self.mapToScene(event.position().toPoint())
        self.hovered.emit(at.x(), at.y())

    def leaveEvent(self, event) -> None:  # noqa: N802
        super().leaveEvent(event)
        self.hovered.emit(-1.0, -1.0)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """Left/Right go to the previous/next photo while the whole photo is in view (there
        is nothing to pan); zoomed in, they pan."""
        keys = {Qt.Key_Left: -1, Qt.Key_Right: 1}
        if event.key() in keys and self.fit_mode and not event.modifiers():
            self.step.emit(keys[event.key()])
            return
        super().keyPressEvent(event)

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.zoom_by(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fit_mode:
            self.fit()
        else:
            self.view_changed.emit()  # more or less of the photo is visible now

    def copy_view_from(self, other: ImageView) -> None:
        if other.fit_mode:
            self.fit_mode = True
            if self.has_image() and self._fit_in_view():
                self.view_changed.emit()
            return
        self.fit_mode = False
        self.setTransform(other.transform())
        mine, theirs = self.viewport().size(), other.viewport().size()
        if abs(mine.width() - theirs.width()) <= 2 and abs(mine.height() - theirs.height()) <= 2:
            self.horizontalScrollBar().setValue(other.horizontalScrollBar().value())
            self.verticalScrollBar().setValue(other.verticalScrollBar().value())
        else:  # the split view is much bigger than a pane: keep the same centre
            self.centerOn(other.mapToScene(other.viewport().rect().center()))


def place_tile(item: QGraphicsPixmapItem, pixmap: QPixmap | None, x: int, y: int) -> None:
    if pixmap is None or pixmap.isNull():
        item.hide()
        return
    item.setPixmap(pixmap)
    item.setPos(x, y)
    item.show()


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


GAIN_MAP, RAW_MAP = "gain", "raw"
LEGEND_TIPS = {
    GAIN_MAP: "Brightening applied to each region, in stops (EV): +1 EV is twice as bright. "
              "Warm = brightened, grey = unchanged, blue = darkened. It follows Exposure and "
              "Strength.",
    RAW_MAP: "The model's raw map, before exposure and strength: how much it would lift each "
             "region by itself (+1 = most, 0 = none; darkening is never applied).",
}


class HeatmapLegend(QWidget):
    """The colour bar under the heatmap: what the colours mean, for the map shown."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.stops = HEATMAP_STOPS  # the scale's ends: fitted to the photo's range
        self.set_mode(GAIN_MAP)

    def set_range(self, stops: float) -> None:
        self.stops = stops
        self.update()

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.setToolTip(LEGEND_TIPS[mode])
        self.update()

    def labels(self) -> tuple[str, str, str]:
        if self.mode == RAW_MAP:
            return "-1 darken", "0 model leaves it", "+1 lift"
        return f"-{self.stops:g} EV", "0 EV unchanged", f"+{self.stops:g} EV"

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
        left, middle, right = self.labels()
        # a narrow pane: the middle label shortened ("0 EV unchanged" -> "0 EV"), or left out
        advance = self.fontMetrics().horizontalAdvance
        room = text.width() - advance(left) - advance(right) - 24
        middle = next((m for m in (middle, " ".join(middle.split()[:2]), "")
                       if advance(m) <= room), "")
        p.drawText(text, Qt.AlignLeft | Qt.AlignVCenter, left)
        p.drawText(text, Qt.AlignHCenter | Qt.AlignVCenter, middle)
        p.drawText(text, Qt.AlignRight | Qt.AlignVCenter, right)
        p.end()


FOOTER_HEIGHT = 34
TITLE_HEIGHT = 26


class FittingTitle(QLabel):
    """A pane's title that never widens its pane: where the whole title does not fit, it
    drops what is in brackets ("Brightening (stops)" -> "Brightening"), then takes its
    ``short`` form ("EV"), then elides."""

    def __init__(self, text: str, short: str = ""):
        super().__init__()
        self._full, self._short = "", ""
        # in a narrow window the heatmap's long title took the input and the result down to
        # a sliver each
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        self.setAlignment(Qt.AlignCenter)
        self.setText(text, short)

    def setText(self, text: str, short: str = "") -> None:  # noqa: N802 - Qt's name
        self._full, self._short = text, short
        self._fit()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        metrics, room = self.fontMetrics(), max(0, self.width() - 8)
        forms = [t for t in (self._full, self._full.split(" (")[0], self._short) if t]
        shown = next((t for t in forms if metrics.horizontalAdvance(t) <= room),
                     metrics.elidedText(forms[-1], Qt.ElideRight, room))
        self.setToolTip(self._full if shown != self._full else "")
        super().setText(shown)


class Pane(QWidget):
    """A titled image view with a footer of fixed height (the legend, or a caption), so all
    panes' views are the same size and zoom/pan can be shared one to one."""

    def __init__(self, title: str, footer: QWidget | None = None,
                 parent: QWidget | None = None, corner: QWidget | None = None,
                 short_title: str = ""):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.title = FittingTitle(title, short_title)
        self.title.setStyleSheet("font-weight: 600; padding: 2px;")
        self.view = ImageView()
        head = QWidget()
        head.setFixedHeight(TITLE_HEIGHT)  # every pane's view the same height, corner or not
        row = QHBoxLayout(head)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.title, 1)
        if corner is not None:  # e.g. the heatmap's choice of map, beside the title
            row.addWidget(corner)
        layout.addWidget(head)
        layout.addWidget(self.view, 1)
        self.footer = footer if footer is not None else QLabel()
        self.footer.setFixedHeight(FOOTER_HEIGHT)
        if isinstance(self.footer, QLabel):
            # a long caption must not widen its pane: the panes stay the same size
            self.footer.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)
            self.footer.setAlignment(Qt.AlignCenter)
            self.footer.setStyleSheet("color: palette(mid);")
        layout.addWidget(self.footer)


ViewState = tuple[float, float, float]  # zoom, centre as fractions of the photo's width, height


def zoomed_state(view: ImageView) -> ViewState | None:
    """The zoom and centre of a zoomed-in view (None when it fits the photo), so the next
    photo opens at the same zoom and place, as when comparing a burst at 100%."""
    rect = view.sceneRect()
    if view.fit_mode or not view.has_image() or rect.isEmpty():
        return None
    centre = view.mapToScene(view.viewport().rect().center())
    return view.zoom(), centre.x() / rect.width(), centre.y() / rect.height()


def restore_zoom(view: ImageView, state: ViewState | None) -> None:
    if state is None:
        return
    zoom, fx, fy = state
    rect = view.sceneRect()
    view.zoom_to(zoom)
    view.centerOn(fx * rect.width(), fy * rect.height())
