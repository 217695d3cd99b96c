"""The filmstrip along the bottom of the Photo tab: the folder's photos and videos as
thumbnails, with each one's flag and stars, and a filter.

A QListView over a model of the catalog's shown files: only the thumbnails the view paints
are asked for, made in a small pool of background threads (:mod:`app.session.thumbnails`,
cached on disk), so a folder of 1,000 photos opens at once and fills in as it is scrolled.
Clicking a thumbnail (or the arrow keys in the strip) opens that file; Ctrl/Shift-click
selects several for paste, sync and export.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QRect,
    QRunnable,
    QSize,
    Qt,
    QThreadPool,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import EnhanceSettings, is_video
from app.gui.convert import to_qimage
from app.session.catalog import ALL, NOT_REJECTED, PICKS, RATED, Catalog, Filter
from app.session.thumbnails import ThumbnailEngine, ThumbnailStore

THUMB_SIZE = QSize(112, 76)  # the cell; the picture keeps its aspect inside it
CELL = QSize(120, 96)
LOADERS = 2  # background threads: the engine's thread keeps a core
FLAG_COLOURS = {"pick": QColor("#16a34a"), "reject": QColor("#dc2626")}
PATH_ROLE = Qt.UserRole + 1
EDITS_ROLE = Qt.UserRole + 2
FILTER_CHOICES = (("All photos", Filter(ALL)), ("Picks", Filter(PICKS)),
                  ("Not rejected", Filter(NOT_REJECTED)),
                  *((f"Rated \u2605{n} and up", Filter(RATED, n)) for n in range(1, 6)))


class _Made(QObject):
    done = Signal(str, object, object)  # path, QImage or None (unreadable), the settings


class _Thumbnail(QRunnable):
    """One thumbnail, as ``look`` makes it (None: the original)."""

    def __init__(self, store: ThumbnailStore, path: Path, made: _Made,
                 look: EnhanceSettings | None, enhance: ThumbnailEngine | None):
        super().__init__()
        self.store, self.path, self.made = store, path, made
        self.look, self.enhance = look, enhance

    def run(self) -> None:
        try:
            if self.look is None or self.enhance is None:
                pixels = self.store.thumbnail(self.path)
            else:
                pixels = self.store.enhanced(self.path, self.look, self.enhance)
            image = to_qimage(pixels)
        except Exception:  # noqa: BLE001 - an unreadable file shows as such, once opened
            image = None
        self.made.done.emit(str(self.path), image, self.look)


class FilmstripModel(QAbstractListModel):
    """The catalog's shown files; thumbnails asked for only when painted."""

    def __init__(self, catalog: Catalog, store: ThumbnailStore | None = None,
                 parent: QObject | None = None, enhance: ThumbnailEngine | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.store = store or ThumbnailStore()
        self.enhance = enhance  # None: the originals are shown
        self.rows: list[Path] = []
        self.pixmaps: dict[Path, QPixmap | None] = {}  # None: could not be made
        self.asked: dict[Path, EnhanceSettings | None] = {}  # and with which settings
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(LOADERS)
        self._made = _Made()
        self._made.done.connect(self._arrived)

    def reload(self) -> None:
        """The catalog's folder or filter changed."""
        self.beginResetModel()
        self.rows = self.catalog.visible()
        self.endResetModel()

    def forget(self) -> None:
        """A new folder: old thumbnails go, requests still running are ignored."""
        self.pool.clear()
        self.pixmaps.clear()
        self.asked.clear()

    def row_of(self, path: Path | None) -> int:
        try:
            return self.rows.index(path)
        except ValueError:
            return -1

    def refresh(self, path: Path) -> None:
        """The file's flag or stars changed: repaint it."""
        row = self.row_of(path)
        if row >= 0:
            self.dataChanged.emit(self.index(row), self.index(row))

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(self.rows)

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        path = self.rows[index.row()]
        if role == Qt.DisplayRole:
            return path.name
        if role == Qt.ToolTipRole:
            return str(path)
        if role == PATH_ROLE:
            return path
        if role == EDITS_ROLE:
            return self.catalog.edits(path)
        if role == Qt.DecorationRole:
            look = self.catalog.edits(path).settings if self.enhance is not None else None
            if path not in self.asked or self.asked[path] != look:
                # new, or its settings changed: asked again (the old one shows till then)
                self.asked[path] = look
                self.pool.start(_Thumbnail(self.store, path, self._made, look, self.enhance))
            return self.pixmaps.get(path)
        return None

    def _arrived(self, path: str, image, look) -> None:
        p = Path(path)
        if p not in self.asked or self.asked[p] != look:
            return  # from a folder no longer shown, or settings changed since
        self.pixmaps[p] = None if image is None else QPixmap.fromImage(image)
        self.refresh(p)

    def shutdown(self) -> None:
        """The window closes: thumbnails not started are dropped, running ones finish."""
        self.forget()
        self.pool.waitForDone(10_000)


class FilmstripDelegate(QStyledItemDelegate):
    """A thumbnail, its name, its flag (a coloured bar) and its stars."""

    def sizeHint(self, _option, _index) -> QSize:  # noqa: N802
        return CELL

    def paint(self, p: QPainter, option, index) -> None:
        p.save()
        r = option.rect.adjusted(2, 2, -2, -2)
        if option.state & QStyle.State_Selected:
            p.fillRect(r, option.palette.highlight())
        pixmap = index.data(Qt.DecorationRole)
        box = QRect(r.left() + 2, r.top() + 2, r.width() - 4, THUMB_SIZE.height())
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.scaled(box.size(), Qt.KeepAspectRatio, Qt.SmoothTransformation)
            p.drawPixmap(box.left() + (box.width() - scaled.width()) // 2,
                         box.top() + (box.height() - scaled.height()) // 2, scaled)
        else:
            p.fillRect(box, option.palette.mid())
        path = index.data(PATH_ROLE)
        if path is not None and is_video(path):
            p.setPen(QColor("white"))
            p.drawText(box.adjusted(4, 2, -4, -2), Qt.AlignLeft | Qt.AlignTop, "\u25b6")
        edits = index.data(EDITS_ROLE)
        if edits is not None and edits.flag:
            p.fillRect(QRect(box.left(), box.bottom() - 3, box.width(), 4),
                       FLAG_COLOURS[edits.flag])
            if edits.flag == "reject":
                p.fillRect(box, QColor(0, 0, 0, 110))
        stars = "\u2605" * edits.rating if edits is not None else ""
        if stars:  # on the picture's corner, so the name keeps the line
            width = p.fontMetrics().horizontalAdvance(stars) + 6
            badge = QRect(box.right() - width, box.top(), width, p.fontMetrics().height())
            p.fillRect(badge, QColor(0, 0, 0, 150))
            p.setPen(QColor("#f59e0b"))
            p.drawText(badge, Qt.AlignCenter, stars)
        text = QRect(r.left() + 2, box.bottom() + 2, r.width() - 4, r.bottom() - box.bottom() - 2)
        p.setPen(option.palette.highlightedText().color() if option.state & QStyle.State_Selected
                 else option.palette.windowText().color())
        name = p.fontMetrics().elidedText(index.data(Qt.DisplayRole), Qt.ElideMiddle,
                                          text.width())
        p.drawText(text, Qt.AlignHCenter | Qt.AlignVCenter, name)
        p.restore()


class Filmstrip(QWidget):
    """Emits ``chosen(path)`` when the user moves to another file in the strip."""

    chosen = Signal(object)
    filter_changed = Signal()

    def __init__(self, catalog: Catalog, store: ThumbnailStore | None = None,
                 parent: QWidget | None = None, enhance: ThumbnailEngine | None = None):
        super().__init__(parent)
        self.catalog = catalog
        self.model = FilmstripModel(catalog, store, self, enhance)
        self.view = QListView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(FilmstripDelegate(self.view))
        self.view.setFlow(QListView.LeftToRight)
        self.view.setWrapping(False)
        self.view.setUniformItemSizes(True)  # 1,000 rows laid out without asking each
        self.view.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        self.view.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.view.setFixedHeight(CELL.height() + self.view.horizontalScrollBar().sizeHint()
                                 .height() + 6)
        self.view.selectionModel().currentChanged.connect(self._current_changed)
        self.view.selectionModel().selectionChanged.connect(self._selection_changed)
        self.filter = QComboBox()
        for label, f in FILTER_CHOICES:
            self.filter.addItem(label, f)
        self.filter.setToolTip("Show all the folder's files, the picks (P), those not "
                               "rejected (X) or those rated at least so many stars (1-5)")
        self.filter.setFocusPolicy(Qt.ClickFocus)
        self.filter.currentIndexChanged.connect(self._filter_chosen)
        self.count = QLabel()
        head = self.head = QHBoxLayout()
        head.setContentsMargins(0, 0, 0, 0)
        head.addWidget(self.count, 1)
        head.addWidget(self.filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(head)
        layout.addWidget(self.view)
        self._quiet = False

    def add_tool(self, action) -> QToolButton:
        """A button for ``action`` beside the filter (copy, paste, sync, export)."""
        button = QToolButton()
        button.setDefaultAction(action)
        button.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        button.setFocusPolicy(Qt.NoFocus)
        self.head.insertWidget(self.head.count() - 1, button)
        return button

    # ---- from the catalog to the view ---------------------------------------------------
    def show_folder(self) -> None:
        """The catalog opened a folder: list it, the current file selected."""
        self.model.forget()
        self.reload()

    def reload(self) -> None:
        self._quiet = True
        try:
            self.model.reload()
            self._select(self.catalog.current)
        finally:
            self._quiet = False
        self._count()

    def show_current(self, path: Path | None) -> None:
        """The window opened ``path`` (from the strip, the keyboard or elsewhere)."""
        row = self.model.row_of(path)
        if row < 0 or self.view.currentIndex().row() == row:
            return
        self._quiet = True
        try:
            self._select(path)
        finally:
            self._quiet = False

    def _select(self, path: Path | None) -> None:
        row = self.model.row_of(path)
        sel = self.view.selectionModel()
        if row < 0:
            sel.clearSelection()
            return
        index = self.model.index(row)
        sel.setCurrentIndex(index, QItemSelectionModel.ClearAndSelect)
        self.view.scrollTo(index)

    def _count(self) -> None:
        shown, total = len(self.model.rows), len(self.catalog.paths)
        folder = self.catalog.folder.name if self.catalog.folder else ""
        self.count.setText(f"{folder}: {total} files" if shown == total else
                           f"{folder}: {shown} of {total} files shown")

    # ---- from the user ------------------------------------------------------------------
    def selected(self) -> list[Path]:
        rows = sorted(i.row() for i in self.view.selectionModel().selectedIndexes())
        return [self.model.rows[r] for r in rows]

    def _current_changed(self, current, _previous) -> None:
        if not self._quiet and current.isValid():
            self.chosen.emit(self.model.rows[current.row()])

    def _selection_changed(self, *_args) -> None:
        self.catalog.selection = self.selected()

    def _filter_chosen(self, _i: int) -> None:
        self.catalog.set_filter(self.filter.currentData())
        self.reload()
        self.filter_changed.emit()
