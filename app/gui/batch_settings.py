"""The Batch tab's settings: where they come from (the Photo tab, a preset, each photo's own
edits, or changed here) and the same controls as the Photo tab to see and change them."""
from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QMessageBox, QVBoxLayout, QWidget

from app.core import EditStore, EnhanceSettings, PresetError, PresetStore
from app.gui.controls import ControlsPanel, settings_in_words

PHOTO_TAB = None  # the source combo's data: None, a preset's name, or one of these
EACH_PHOTO = "\0each-photo"
EDITED_HERE = "\0edited-here"
EACH_PHOTO_WORDS = ("Each photo's own settings, turn and crop, as saved in the Photo tab "
                    "(photos never edited get Auto)")


class BatchSettings(QWidget):
    """``source`` chooses; ``editor`` shows what every file gets and takes changes (moving a
    control makes the source "Changed here"); ``applied`` says it in words."""

    changed = Signal()

    def __init__(self, settings_source, presets: PresetStore,
                 edits: EditStore | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.settings_source = settings_source  # callable -> the Photo tab's EnhanceSettings
        self.preset_store = presets
        self.edit_store = edits or EditStore()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout()
        self.source = QComboBox()
        self.source.setToolTip("The settings every file gets: those of the Photo tab, a "
                               "preset, each photo's own (saved with it in the Photo tab), "
                               "or changed below")
        form.addRow("Settings", self.source)
        self.applied = QLabel()  # what every file gets, in the Photo tab's words
        self.applied.setWordWrap(True)
        form.addRow("Applies", self.applied)
        layout.addLayout(form)
        self.editor = ControlsPanel(settings_source())
        layout.addWidget(self.editor)
        self.editor.changed.connect(self._edited)
        self.source.currentIndexChanged.connect(lambda _: self.show_settings())
        self.refresh_presets()

    def refresh_presets(self) -> None:
        """Re-read the presets (the Photo tab saved, renamed or deleted one)."""
        chosen = self.source.currentData()
        self.source.blockSignals(True)
        self.source.clear()
        self.source.addItem("Current settings of the Photo tab", PHOTO_TAB)
        self.source.addItem("Each photo's own settings", EACH_PHOTO)
        try:
            names = self.preset_store.names()
        except PresetError as exc:
            names = []
            self.source.setToolTip(str(exc))
        for name in names:
            self.source.addItem(f"Preset: {name}", name)
        self.source.addItem("Changed here", EDITED_HERE)
        self.source.setCurrentIndex(max(0, self.source.findData(chosen)))
        self.source.blockSignals(False)
        self.show_settings()

    @property
    def per_photo(self) -> bool:
        return self.source.currentData() == EACH_PHOTO

    def show_settings(self) -> None:
        """Show the chosen settings in the controls and in words (the Photo tab's may have
        moved, a preset may have gone)."""
        choice = self.source.currentData()
        self.editor.setEnabled(choice != EACH_PHOTO)
        try:
            if choice == EACH_PHOTO:
                self.applied.setText(EACH_PHOTO_WORDS)
                return
            if choice != EDITED_HERE:
                self.editor.set_settings(self._source_settings(choice))
            self.applied.setText(settings_in_words(self.editor.settings()))
        except (PresetError, ValueError) as exc:
            self.applied.setText(str(exc))
        finally:
            self.changed.emit()

    def _source_settings(self, choice) -> EnhanceSettings:
        return self.settings_source() if choice is PHOTO_TAB else self.preset_store.get(choice)

    def _edited(self, _settings) -> None:
        """A control moved here: these are now the batch's own settings."""
        index = self.source.findData(EDITED_HERE)
        if self.source.currentIndex() != index:
            self.source.blockSignals(True)
            self.source.setCurrentIndex(index)
            self.source.blockSignals(False)
        self.show_settings()

    def chosen(self) -> EnhanceSettings:
        """The settings every file gets (each photo's own: the defaults, replaced per photo);
        PresetError if the chosen preset has gone."""
        choice = self.source.currentData()
        if choice == EACH_PHOTO:
            return EnhanceSettings()
        if choice != EDITED_HERE:
            self.editor.set_settings(self._source_settings(choice))
        return self.editor.settings()

    def settings_for(self):
        """What run_batch takes as ``settings_for``: each photo's own edits, or None."""
        return self.edit_store.load if self.per_photo else None


def ask_replace_changed(parent: QWidget, changed: int, answered: Callable[[bool], None],
                        cancelled: Callable[[], None]) -> QMessageBox:
    """Ask (window-modal, not blocking) whether a rerun replaces the ``changed`` earlier
    outputs that other settings made: ``answered(True)`` replace them, ``answered(False)``
    keep them (skipped), ``cancelled()`` start nothing."""
    box = QMessageBox(QMessageBox.Question, "Replace outputs?",
                      f"{changed} earlier output(s) in the output folder were made with other "
                      "settings.", parent=parent)
    box.setInformativeText("Replace them with outputs of these settings? The outputs made "
                           "with these settings are kept; originals are never touched.")
    replace = box.addButton("Replace them", QMessageBox.AcceptRole)
    keep = box.addButton("Keep them (skip)", QMessageBox.RejectRole)
    box.addButton(QMessageBox.Cancel)
    box.setDefaultButton(replace)

    def clicked(button) -> None:
        if button in (replace, keep):
            answered(button is replace)
        else:
            cancelled()

    box.buttonClicked.connect(clicked)
    box.open()
    return box
