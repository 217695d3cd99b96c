"""Presets in the window: pick one to apply it; save the current settings under a name,
rename or delete the chosen one. The same JSON store as the batch tab and the CLI
(``lowlight enhance --preset NAME``), so a preset made here works everywhere."""
from __future__ import annotations

from collections.abc import Callable

import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QToolButton,
    QWidget,
)

from app.core import EnhanceSettings, PresetError, PresetStore
from app.gui.controls import settings_caption

UNSAVED = "Current settings (not a preset)"


def ask_name(parent: QWidget, title: str, label: str, default: str = "") -> str | None:
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.Normal, default)
    return text if ok else None


def confirm(parent: QWidget, title: str, question: str) -> bool:
    return QMessageBox.question(parent, title, question) == QMessageBox.Yes


class PresetBar(QWidget):
    """Emits ``apply(settings)`` when a preset is picked, ``error(message)`` when the store
    refuses, and ``presets_changed`` after a save, rename or delete."""

    apply = Signal(object)
    error = Signal(str)
    presets_changed = Signal()

    def __init__(self, store: PresetStore, current: Callable[[], EnhanceSettings],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.current = store, current
        # dialogs, replaceable in tests (they would block)
        self.ask_name = lambda title, label, default="": ask_name(self, title, label, default)
        self.confirm = lambda title, question: confirm(self, title, question)
        self.combo = QComboBox()
        self.combo.setMinimumContentsLength(18)
        self.combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setToolTip("Presets: named settings. Pick one to apply it (Ctrl+Z undoes "
                              "it). They are also offered in the Batch tab and on the command "
                              "line: lowlight enhance --preset NAME")
        self.save_btn = self._button("fa5s.plus", "Save the current settings as a preset...",
                                     self.save_current)
        self.rename_btn = self._button("fa5s.i-cursor", "Rename the chosen preset...",
                                       self.rename_chosen)
        self.delete_btn = self._button("fa5s.trash-alt", "Delete the chosen preset...",
                                       self.delete_chosen)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.combo, 1)
        for b in (self.save_btn, self.rename_btn, self.delete_btn):
            row.addWidget(b)
        self.combo.activated.connect(self._picked)
        self._known: dict[str, EnhanceSettings] = {}
        self.refresh()

    def _button(self, icon: str, tip: str, slot) -> QToolButton:
        b = QToolButton()
        b.setIcon(qta.icon(icon))
        b.setToolTip(tip)
        b.setAccessibleName(tip.rstrip("."))
        b.clicked.connect(slot)
        return b

    def presets(self) -> dict[str, EnhanceSettings]:
        try:
            return self.store.load()
        except PresetError as exc:
            self.error.emit(str(exc))
            return {}

    def refresh(self) -> None:
        """Re-read the store and show the preset that matches the current settings."""
        presets = self._known = self.presets()
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(UNSAVED, None)
        for name, s in presets.items():
            self.combo.addItem(name, name)
            self.combo.setItemData(self.combo.count() - 1, settings_caption(s), 3)  # tooltip
        self.combo.blockSignals(False)
        self.show_match(self.current(), presets)

    def show_match(self, settings: EnhanceSettings, presets=None) -> None:
        """Select the preset equal to ``settings``, or the 'current settings' entry."""
        presets = self._known if presets is None else presets  # no file read per change
        s = settings.validated()
        name = next((n for n, p in presets.items() if p == s), None)
        index = self.combo.findData(name) if name is not None else 0
        self.combo.setCurrentIndex(max(0, index))
        chosen = self.chosen() is not None
        self.rename_btn.setEnabled(chosen)
        self.delete_btn.setEnabled(chosen)

    def chosen(self) -> str | None:
        return self.combo.currentData()

    def _picked(self, index: int) -> None:
        name = self.combo.itemData(index)
        if name is None:
            return
        try:
            self.apply.emit(self.store.get(name))
        except PresetError as exc:
            self.error.emit(str(exc))
        self.refresh()

    def _do(self, action) -> None:
        try:
            action()
        except PresetError as exc:
            self.error.emit(str(exc))
        self.refresh()
        self.presets_changed.emit()

    def save_current(self) -> None:
        name = self.ask_name("Save preset", "Name of the new preset (an existing name is "
                             "replaced):", self.chosen() or "")
        if name is not None:
            self._do(lambda: self.store.save(name, self.current()))

    def rename_chosen(self) -> None:
        old = self.chosen()
        if old is None:
            return
        new = self.ask_name("Rename preset", f"New name for {old!r}:", old)
        if new is not None:
            self._do(lambda: self.store.rename(old, new))

    def delete_chosen(self) -> None:
        name = self.chosen()
        if name is not None and self.confirm("Delete preset", f"Delete the preset {name!r}?"):
            self._do(lambda: self.store.delete(name))
