"""The settings panel: exposure alpha, recurrence count, scale/quality."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.core.settings import EXPOSURE_RANGE, ITERATIONS_RANGE, EnhanceSettings

QUALITY_CHOICES = (("Fast (1/16)", 16), ("Standard (1/12)", 12), ("Fine (1/8)", 8),
                   ("Finest (1/4)", 4))


class ControlsPanel(QWidget):
    """Emits ``changed(EnhanceSettings)`` whenever a control moves (live preview)."""

    changed = Signal(object)

    def __init__(self, settings: EnhanceSettings, parent: QWidget | None = None):
        super().__init__(parent)
        form = QFormLayout(self)
        lo, hi = EXPOSURE_RANGE
        self.exposure_slider = QSlider(Qt.Horizontal)
        self.exposure_slider.setRange(int(lo * 100), int(hi * 100))
        self.exposure_slider.setToolTip("Target brightness of the result (alpha)")
        self.exposure_spin = QDoubleSpinBox()
        self.exposure_spin.setRange(lo, hi)
        self.exposure_spin.setSingleStep(0.01)
        self.exposure_spin.setDecimals(2)
        self.exposure_reset = QToolButton()
        self.exposure_reset.setText("Reset")
        self.exposure_reset.setToolTip("Back to the default exposure (0.60)")
        row = QHBoxLayout()
        row.addWidget(self.exposure_slider, 1)
        row.addWidget(self.exposure_spin)
        row.addWidget(self.exposure_reset)
        form.addRow("Exposure", row)

        lo, hi = ITERATIONS_RANGE
        self.iterations_slider = QSlider(Qt.Horizontal)
        self.iterations_slider.setRange(lo, hi)
        self.iterations_slider.setToolTip("Recurrence count n: how many times the curve is "
                                          "applied (more = stronger)")
        self.iterations_spin = QSpinBox()
        self.iterations_spin.setRange(lo, hi)
        row = QHBoxLayout()
        row.addWidget(self.iterations_slider, 1)
        row.addWidget(self.iterations_spin)
        form.addRow("Strength (n)", row)

        self.scale_combo = QComboBox()
        for label, scale in QUALITY_CHOICES:
            self.scale_combo.addItem(label, scale)
        self.scale_combo.setToolTip("Resolution the enhancement factor is computed at")
        form.addRow("Detail", self.scale_combo)

        self.set_settings(settings)
        self.exposure_slider.valueChanged.connect(
            lambda v: self._sync(self.exposure_spin, v / 100))
        self.exposure_spin.valueChanged.connect(
            lambda v: self._sync(self.exposure_slider, round(v * 100)))
        self.exposure_reset.clicked.connect(
            lambda: self.exposure_spin.setValue(EnhanceSettings().exposure))
        self.iterations_slider.valueChanged.connect(
            lambda v: self._sync(self.iterations_spin, v))
        self.iterations_spin.valueChanged.connect(
            lambda v: self._sync(self.iterations_slider, v))
        self.scale_combo.currentIndexChanged.connect(lambda _: self._emit())

    def _sync(self, other, value) -> None:
        other.blockSignals(True)
        other.setValue(value)
        other.blockSignals(False)
        self._emit()

    def _emit(self) -> None:
        self.changed.emit(self.settings())

    def settings(self) -> EnhanceSettings:
        return EnhanceSettings(round(self.exposure_spin.value(), 2), self.iterations_spin.value(),
                               int(self.scale_combo.currentData()))

    def set_settings(self, s: EnhanceSettings) -> None:
        for w in (self.exposure_slider, self.exposure_spin, self.iterations_slider,
                  self.iterations_spin, self.scale_combo):
            w.blockSignals(True)
        self.exposure_slider.setValue(round(s.exposure * 100))
        self.exposure_spin.setValue(s.exposure)
        self.iterations_slider.setValue(s.iterations)
        self.iterations_spin.setValue(s.iterations)
        index = self.scale_combo.findData(s.scale)
        self.scale_combo.setCurrentIndex(index if index >= 0 else 1)
        for w in (self.exposure_slider, self.exposure_spin, self.iterations_slider,
                  self.iterations_spin, self.scale_combo):
            w.blockSignals(False)
