"""Turn, straighten and crop the open photo: a row of the settings panel. The changes are
kept in the photo's edits and applied before the enhancement, so the preview, the 100% view,
Save and the export of the picks all show the same framing.

Cropping keeps the largest centred rectangle of the chosen ratio, in the photo's own
orientation (4:3 on a portrait photo is 3:4)."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QToolButton, QWidget

from app.core import Crop, PhotoEdits, straightened_size
from app.core.photo_edits import MAX_STRAIGHTEN

WHOLE = "Whole photo"
RATIOS = ((WHOLE, None), ("1:1", 1.0), ("4:3", 4 / 3), ("3:2", 3 / 2), ("16:9", 16 / 9))


def centred_crop(width: int, height: int, ratio: float | None) -> Crop:
    """The largest centred rectangle of ``ratio`` (long side over short side, turned to the
    frame's orientation) inside a frame of ``width`` x ``height``."""
    if ratio is None or width <= 0 or height <= 0:
        return Crop()
    wanted = ratio if width >= height else 1 / ratio
    frame = width / height
    if abs(frame - wanted) < 1e-3:
        return Crop()
    if frame > wanted:  # too wide: trim the sides
        keep = wanted / frame
        return Crop((1 - keep) / 2, 0.0, (1 + keep) / 2, 1.0).validated()
    keep = frame / wanted
    return Crop(0.0, (1 - keep) / 2, 1.0, (1 + keep) / 2).validated()


def ratio_label(crop: Crop, width: int, height: int) -> str | None:
    """The ratio whose centred crop is ``crop`` (within a pixel or so: straightening
    rounds the frame's size), or None for another crop."""
    edges = (crop.left, crop.top, crop.right, crop.bottom)
    for label, ratio in RATIOS:
        c = centred_crop(width, height, ratio)
        if max(abs(a - b) for a, b in zip(edges, (c.left, c.top, c.right, c.bottom))) < 0.004:
            return label
    return None


class GeometryBar(QWidget):
    """Emits ``turn(+1|-1)``, ``straighten(degrees)`` and ``ratio(value or None)``."""

    turn = Signal(int)
    straighten = Signal(float)
    ratio = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.left = QToolButton()
        self.left.setIcon(qta.icon("fa5s.undo"))
        self.left.setToolTip("Turn the photo 90\u00b0 anticlockwise (Ctrl+[)")
        self.right = QToolButton()
        self.right.setIcon(qta.icon("fa5s.redo"))
        self.right.setToolTip("Turn the photo 90\u00b0 clockwise (Ctrl+])")
        self.angle = QDoubleSpinBox()
        self.angle.setRange(-MAX_STRAIGHTEN, MAX_STRAIGHTEN)
        self.angle.setSingleStep(0.5)
        self.angle.setDecimals(1)
        self.angle.setSuffix("\u00b0")
        self.angle.setPrefix("Straighten ")
        self.angle.setKeyboardTracking(False)  # typed angles apply on Enter, not per digit
        self.angle.setToolTip("Straighten: turn the photo by a few degrees (positive is "
                              "clockwise); the corners are cropped so none is empty")
        self.crop = QComboBox()
        for label, value in RATIOS:
            self.crop.addItem(label, value)
        self.crop.setToolTip("Crop to a ratio: the largest centred rectangle of it")
        for w in (self.left, self.right, self.angle, self.crop):
            w.setFocusPolicy(Qt.ClickFocus)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.left, self.right, self.angle, self.crop):
            row.addWidget(w)
        row.addStretch(1)
        self.left.clicked.connect(lambda: self.turn.emit(-1))
        self.right.clicked.connect(lambda: self.turn.emit(1))
        self.angle.valueChanged.connect(lambda v: self.straighten.emit(float(v)))
        self.crop.activated.connect(lambda i: self.ratio.emit(self.crop.itemData(i)))

    def show_edits(self, edits: PhotoEdits, frame: tuple[int, int] | None,
                   enabled: bool) -> None:
        """Show the open photo's geometry; ``frame`` = its turned, straightened size."""
        self.setEnabled(enabled)
        self.angle.blockSignals(True)
        self.angle.setValue(edits.straighten)
        self.angle.blockSignals(False)
        label = ratio_label(edits.crop, *frame) if frame else WHOLE
        if label is None:
            self.crop.setCurrentIndex(-1)
        else:
            self.crop.setCurrentIndex(self.crop.findText(label))


class GeometryController(QObject):
    """Turns the bar's (and the menu's) changes into the open photo's edits, and shows them."""

    def __init__(self, window, bar: GeometryBar):
        super().__init__(window)
        self.window, self.bar = window, bar
        self.session = window.session
        bar.turn.connect(self.turn)
        bar.straighten.connect(lambda deg: self._apply(straighten=deg))
        bar.ratio.connect(self.set_ratio)

    def frame(self, edits: PhotoEdits | None = None) -> tuple[int, int] | None:
        """The open photo's size turned and straightened as ``edits`` say (before the crop)."""
        original = self.session.original
        if original is None:
            return None
        edits = edits or self.session.edits
        h, w = original.shape[:2]
        if edits.quarter_turns % 2:
            w, h = h, w
        return straightened_size(w, h, edits.straighten)

    def turn(self, delta: int) -> None:
        """A quarter turn; a crop of a common ratio turns with the photo, another is
        dropped (its edges meant other sides)."""
        e = self.session.edits
        frame = self.frame()
        if frame is None or not self.session.in_catalog:
            return
        label = ratio_label(e.crop, *frame)
        ratio = dict(RATIOS).get(label)
        turned = PhotoEdits(quarter_turns=(e.quarter_turns + delta) % 4, straighten=e.straighten)
        self._apply(quarter_turns=turned.quarter_turns,
                    crop=centred_crop(*self.frame(turned), ratio))

    def set_ratio(self, ratio: float | None) -> None:
        frame = self.frame()
        if frame is not None:
            self._apply(crop=centred_crop(*frame, ratio))

    def _apply(self, **changes) -> None:
        if not self.session.in_catalog:
            return
        if self.session.set_geometry(**changes):
            self.window.browser.save_timer.start()
            self.window.reshow_image()
        self.show()

    def show(self) -> None:
        self.bar.show_edits(self.session.edits, self.frame(), self.session.in_catalog)
