"""Turn, straighten and crop the open photo: the Frame row of the settings panel. The
changes are kept in the photo's edits and applied before the enhancement, so the preview,
the 100% view, Save and the export of the picks all show the same framing.

Choosing a ratio crops to its largest centred rectangle, in the photo's own orientation (4:3
on a portrait photo is 3:4); "Original" is the whole frame; the crop tool then moves and
resizes the rectangle by hand, keeping the ratio chosen ("Free": any)."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QHBoxLayout, QToolButton, QWidget

from app.core import Crop, PhotoEdits
from app.core.photo_edits import MAX_STRAIGHTEN

FREE, ORIGINAL = "Free", "Original"
RATIOS = ((FREE, None), (ORIGINAL, ORIGINAL), ("1:1", 1.0), ("4:3", 4 / 3), ("3:2", 3 / 2),
          ("16:9", 16 / 9))


def oriented(ratio, width: int, height: int) -> float | None:
    """The ratio's width over height in a frame of ``width`` x ``height`` (long over short
    turned to the frame's orientation; "Original" is the frame's own); None for free."""
    if ratio is None or width <= 0 or height <= 0:
        return None
    if ratio == ORIGINAL:
        return width / height
    return ratio if width >= height else 1 / ratio


def centred_crop(width: int, height: int, ratio) -> Crop:
    """The largest centred rectangle of ``ratio`` inside a frame of ``width`` x ``height``."""
    wanted = oriented(ratio, width, height)
    if wanted is None:
        return Crop()
    frame = width / height
    if abs(frame - wanted) < 1e-3:
        return Crop()
    if frame > wanted:  # too wide: trim the sides
        keep = wanted / frame
        return Crop((1 - keep) / 2, 0.0, (1 + keep) / 2, 1.0).validated()
    keep = frame / wanted
    return Crop(0.0, (1 - keep) / 2, 1.0, (1 + keep) / 2).validated()


def ratio_label(crop: Crop, width: int, height: int) -> str:
    """The ratio whose centred crop is ``crop`` (within a pixel or so: straightening
    rounds the frame's size); "Original" for the whole frame, "Free" for any other."""
    if crop.is_full:
        return ORIGINAL
    edges = (crop.left, crop.top, crop.right, crop.bottom)
    for label, ratio in RATIOS[2:]:
        c = centred_crop(width, height, ratio)
        if max(abs(a - b) for a, b in zip(edges, (c.left, c.top, c.right, c.bottom))) < 0.004:
            return label
    return FREE


def turned_crop(crop: Crop, delta: int) -> Crop:
    """The same kept rectangle after a quarter turn (+1 clockwise, -1 anticlockwise)."""
    left, top, right, bottom = crop.left, crop.top, crop.right, crop.bottom
    if delta % 4 == 1:
        return Crop(1 - bottom, left, 1 - top, right)
    if delta % 4 == 3:
        return Crop(top, 1 - right, bottom, 1 - left)
    return crop


class GeometryBar(QWidget):
    """Emits ``turn(+1|-1)``, ``straighten(degrees)``, ``ratio(value)`` and
    ``crop_tool(on)``."""

    turn = Signal(int)
    straighten = Signal(float)
    ratio = Signal(object)
    crop_tool = Signal(bool)

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
        self.angle.setPrefix("\u2220 ")  # an angle: the straightening
        self.angle.setKeyboardTracking(False)  # typed angles apply on Enter, not per digit
        self.angle.setToolTip("Straighten: turn the photo by a few degrees (positive is "
                              "clockwise); the corners are cropped so none is empty")
        self.tool = QToolButton()
        self.tool.setIcon(qta.icon("fa5s.crop-alt"))
        self.tool.setCheckable(True)
        self.tool.setToolTip("Crop by hand (R): drag the rectangle or its corners on the "
                             "photo, then click here or press R again")
        self.crop = QComboBox()
        for label, value in RATIOS:
            self.crop.addItem(label, value)
        self.crop.setToolTip("Crop ratio: the largest centred rectangle of it (Original: the "
                             "whole photo; Free: any rectangle, by hand)")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for w in (self.left, self.right, self.angle, self.tool, self.crop):
            w.setFocusPolicy(Qt.ClickFocus)
            row.addWidget(w)
        row.addStretch(1)
        self.left.clicked.connect(lambda: self.turn.emit(-1))
        self.right.clicked.connect(lambda: self.turn.emit(1))
        self.angle.valueChanged.connect(lambda v: self.straighten.emit(float(v)))
        self.crop.activated.connect(lambda i: self.ratio.emit(self.crop.itemData(i)))
        self.tool.toggled.connect(self.crop_tool.emit)

    def chosen_ratio(self):
        return self.crop.currentData()

    def show_edits(self, edits: PhotoEdits, frame: tuple[int, int] | None,
                   enabled: bool) -> None:
        """Show the open photo's geometry; ``frame`` = its turned, straightened size."""
        self.setEnabled(enabled)
        self.angle.blockSignals(True)
        self.angle.setValue(edits.straighten)
        self.angle.blockSignals(False)
        label = ratio_label(edits.crop, *frame) if frame else ORIGINAL
        self.crop.setCurrentIndex(self.crop.findText(label))

    def set_tool(self, on: bool) -> None:
        self.tool.blockSignals(True)
        self.tool.setChecked(on)
        self.tool.blockSignals(False)
