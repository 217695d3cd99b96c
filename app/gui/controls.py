"""The settings panel: Exposure (Auto or a target), Strength, Denoise (Auto or a strength),
Shadows, Highlights, Contrast, Map detail. Plain words; tooltips say what each does."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QSlider,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.core.settings import (
    AUTO,
    DENOISE_RANGE,
    EXPOSURE_RANGE,
    ITERATIONS_RANGE,
    LOOK_NAMES,
    LOOK_RANGE,
    EnhanceSettings,
)

QUALITY_CHOICES = (("Fast (1/16)", 16), ("Standard (1/12)", 12), ("Fine (1/8)", 8),
                   ("Finest (1/4)", 4))
MANUAL_EXPOSURE = 0.45  # where the slider starts when Auto is first switched off
MANUAL_DENOISE = 1.0


def settings_caption(s: EnhanceSettings) -> str:
    """The settings in a few plain words, for the output pane's footer."""
    exposure = "Auto exposure" if s.exposure == AUTO else f"exposure {float(s.exposure):.2f}"
    denoise = ("denoise auto" if s.denoise == AUTO else
               "no denoise" if float(s.denoise) == 0 else f"denoise {float(s.denoise):.2f}")
    look = "".join(f", {name} {getattr(s, name):+.2f}" for name in LOOK_NAMES
                   if getattr(s, name))
    white = ", white balance" if s.white_balance else ""
    return f"{exposure}, strength {s.iterations}, {denoise}, detail 1/{s.scale}{look}{white}"


LOOK_TIPS = {
    "shadows": "Shadows: how much the local map lifts the dark regions (-1 half as much, "
               "+1 twice as much); the lights are not touched.",
    "highlights": "Highlights: hold the lights down (-) to keep a lamp or a sky in check, "
                  "or lift them (+), by up to half a stop.",
    "contrast": "Contrast: a flatter (-) or punchier (+) tone curve about the photo's "
                "mid-tone.",
}


class _LookSlider(QWidget):
    """A -1..1 slider with a spin box, 0 in the middle (neutral); double-click resets."""

    changed = Signal()

    def __init__(self, tooltip: str, parent: QWidget | None = None):
        super().__init__(parent)
        lo, hi = LOOK_RANGE
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(round(lo * 100), round(hi * 100))
        self.spin = QDoubleSpinBox()
        self.spin.setRange(lo, hi)
        self.spin.setSingleStep(0.05)
        self.spin.setDecimals(2)
        for w in (self, self.slider, self.spin):
            w.setToolTip(tooltip)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.spin)
        self.slider.valueChanged.connect(lambda v: self._sync(self.spin, v / 100))
        self.spin.valueChanged.connect(lambda v: self._sync(self.slider, round(v * 100)))

    def _sync(self, other, value) -> None:
        other.blockSignals(True)
        other.setValue(value)
        other.blockSignals(False)
        self.changed.emit()

    def value(self) -> float:
        return round(self.spin.value(), 2)

    def set_value(self, value: float) -> None:
        for w in (self.slider, self.spin):
            w.blockSignals(True)
        self.slider.setValue(round(value * 100))
        self.spin.setValue(value)
        for w in (self.slider, self.spin):
            w.blockSignals(False)


def settings_in_words(s: EnhanceSettings) -> str:
    """The settings under the Photo tab's own labels, for the Batch tab."""
    exposure = "Auto" if s.exposure == AUTO else f"{float(s.exposure):.2f}"
    denoise = ("Auto" if s.denoise == AUTO else
               "off" if float(s.denoise) == 0 else f"{float(s.denoise):.2f}")
    detail = next((label for label, scale in QUALITY_CHOICES if scale == s.scale),
                  f"1/{s.scale}")
    look = "".join(f" \u00b7 {name.capitalize()} {getattr(s, name):+.2f}" for name in LOOK_NAMES
                   if getattr(s, name))
    white = " \u00b7 White balance" if s.white_balance else ""
    return (f"Exposure {exposure} \u00b7 Strength {s.iterations} \u00b7 Denoise {denoise} "
            f"\u00b7 Map detail {detail}{look}{white}")


class _AutoNumber(QWidget):
    """An "Auto" check box beside a slider and a spin box that stand for one number; the
    number is greyed out while Auto is on."""

    changed = Signal()

    def __init__(self, lo: float, hi: float, step: float, decimals: int, fallback: float,
                 tooltip: str, parent: QWidget | None = None):
        super().__init__(parent)
        self._k = 10 ** decimals
        self.fallback = fallback
        self.auto = QCheckBox("Auto")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(round(lo * self._k), round(hi * self._k))
        self.spin = QDoubleSpinBox()
        self.spin.setRange(lo, hi)
        self.spin.setSingleStep(step)
        self.spin.setDecimals(decimals)
        for w in (self, self.auto, self.slider, self.spin):
            w.setToolTip(tooltip)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.auto)
        row.addWidget(self.slider, 1)
        row.addWidget(self.spin)
        self.slider.valueChanged.connect(lambda v: self._sync(self.spin, v / self._k))
        self.spin.valueChanged.connect(lambda v: self._sync(self.slider, round(v * self._k)))
        self.auto.toggled.connect(self._auto_toggled)

    def _sync(self, other, value) -> None:
        other.blockSignals(True)
        other.setValue(value)
        other.blockSignals(False)
        self.changed.emit()

    def _auto_toggled(self, on: bool) -> None:
        self.slider.setEnabled(not on)
        self.spin.setEnabled(not on)
        self.changed.emit()

    def value(self) -> float | str:
        return AUTO if self.auto.isChecked() else round(self.spin.value(), 2)

    def set_value(self, value: float | str) -> None:
        for w in (self.auto, self.slider, self.spin):
            w.blockSignals(True)
        auto = value == AUTO
        number = self.fallback if auto else float(value)
        self.auto.setChecked(auto)
        self.slider.setValue(round(number * self._k))
        self.spin.setValue(number)
        self.slider.setEnabled(not auto)
        self.spin.setEnabled(not auto)
        for w in (self.auto, self.slider, self.spin):
            w.blockSignals(False)


class ControlsPanel(QWidget):
    """Emits ``changed(EnhanceSettings)`` whenever a control moves (live preview)."""

    changed = Signal(object)
    was_reset = Signal(str)  # the defaults, in words

    def __init__(self, settings: EnhanceSettings, parent: QWidget | None = None):
        super().__init__(parent)
        form = self.form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(4)
        self.exposure = _AutoNumber(
            *EXPOSURE_RANGE, 0.01, 2, MANUAL_EXPOSURE,
            "Exposure: Auto brightens dark photos to a natural level, leaves well-exposed "
            "ones alone and keeps noise-only skies dark. Untick it to choose the mean "
            "brightness of the result yourself (0.2 dark to 0.9 very bright).")
        self.exposure_reset = QToolButton()
        self.exposure_reset.setText("Reset all")
        self.exposure_reset.setToolTip("Reset every setting to its default (Auto exposure, "
                                       "strength 8, Auto denoise, standard map detail); "
                                       "Ctrl+R, and Ctrl+Z undoes it")
        row = QHBoxLayout()
        row.addWidget(self.exposure, 1)
        row.addWidget(self.exposure_reset)
        form.addRow("Exposure", row)

        lo, hi = ITERATIONS_RANGE
        self.iterations_slider = QSlider(Qt.Horizontal)
        self.iterations_slider.setRange(lo, hi)
        self.iterations_spin = QSpinBox()
        self.iterations_spin.setRange(lo, hi)
        for w in (self.iterations_slider, self.iterations_spin):
            w.setToolTip("Strength: how much of the brightening is applied. 8 reaches the "
                         "exposure; lower is gentler, higher lifts the shadows further "
                         "(highlights are rolled off, never clipped).")
        row = QHBoxLayout()
        row.addWidget(self.iterations_slider, 1)
        row.addWidget(self.iterations_spin)
        form.addRow("Strength", row)

        self.denoise = _AutoNumber(
            *DENOISE_RANGE, 0.05, 2, MANUAL_DENOISE,
            "Denoise: removes the noise, colour blotches and JPEG blocks that brightening "
            "reveals, more where a region was brightened more. Auto = 1; 0 turns it off, "
            "2 is the strongest.")
        form.addRow("Denoise", self.denoise)

        self.look = {name: _LookSlider(LOOK_TIPS[name]) for name in LOOK_NAMES}
        for name, widget in self.look.items():
            form.addRow(name.capitalize(), widget)

        self.white_balance = QCheckBox("Neutral")
        self.white_balance.setToolTip(
            "White balance: take out most of the light's colour cast (a green LED room, a "
            "blue dusk). Off by default: a night's colour is often the point; a sodium "
            "street's orange is left as it is.")
        form.addRow("White balance", self.white_balance)

        self.scale_combo = QComboBox()
        for label, scale in QUALITY_CHOICES:
            self.scale_combo.addItem(label, scale)
        self.scale_combo.setToolTip("Map detail: how finely the brightening follows the "
                                    "scene. Finer follows small lights and shadows more "
                                    "closely and costs a little more time.")
        form.addRow("Map detail", self.scale_combo)

        self.set_settings(settings)
        self.exposure.changed.connect(self._emit)
        self.denoise.changed.connect(self._emit)
        for widget in self.look.values():
            widget.changed.connect(self._emit)
        self.exposure_reset.clicked.connect(self.reset_settings)
        self.iterations_slider.valueChanged.connect(
            lambda v: self._sync(self.iterations_spin, v))
        self.iterations_spin.valueChanged.connect(
            lambda v: self._sync(self.iterations_slider, v))
        self.scale_combo.currentIndexChanged.connect(lambda _: self._emit())
        self.white_balance.toggled.connect(lambda _: self._emit())

    def _sync(self, other, value) -> None:
        other.blockSignals(True)
        other.setValue(value)
        other.blockSignals(False)
        self._emit()

    def insert_row(self, row: int, label: str, widget: QWidget) -> None:
        self.form.insertRow(row, label, widget)

    def _emit(self) -> None:
        self.changed.emit(self.settings())

    def reset_settings(self) -> None:
        """Every setting back to its default; says so through ``was_reset``."""
        self.set_settings(EnhanceSettings(), emit=True)
        self.was_reset.emit(settings_caption(self.settings()))

    def settings(self) -> EnhanceSettings:
        return EnhanceSettings(self.exposure.value(), self.iterations_spin.value(),
                               int(self.scale_combo.currentData()), self.denoise.value(),
                               white_balance=self.white_balance.isChecked(),
                               **{name: w.value() for name, w in self.look.items()})

    def set_settings(self, s: EnhanceSettings, emit: bool = False) -> None:
        s = s.validated()
        widgets = (self.iterations_slider, self.iterations_spin, self.scale_combo,
                   self.white_balance)
        for w in widgets:
            w.blockSignals(True)
        self.exposure.set_value(s.exposure)
        self.denoise.set_value(s.denoise)
        for name, widget in self.look.items():
            widget.set_value(getattr(s, name))
        self.iterations_slider.setValue(s.iterations)
        self.iterations_spin.setValue(s.iterations)
        index = self.scale_combo.findData(s.scale)
        self.scale_combo.setCurrentIndex(index if index >= 0 else 1)
        self.white_balance.setChecked(s.white_balance)
        for w in widgets:
            w.blockSignals(False)
        if emit:
            self._emit()
