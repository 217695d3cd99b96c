"""Undo and redo of the settings (Ctrl+Z, Ctrl+Shift+Z), for the photo on screen.

The steps live in the session, one :class:`app.session.history.History` per photo; this
adds the timer: a slider drag sends dozens of changes, gathered into one pending step that
is committed once the controls have been still for QUIET_MS, or at once when the user undoes
(so undo always returns to the settings before the last change, however quick)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core import EnhanceSettings
from app.gui.timers import debounce_timer
from app.session.history import History

QUIET_MS = 600


class SettingsHistory(QObject):
    changed = Signal()  # what can be undone or redone changed

    def __init__(self, initial: EnhanceSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.steps = History(initial)
        self._timer = debounce_timer(self, QUIET_MS, self.commit)

    def use(self, steps: History) -> None:
        """Another photo is on screen: its own steps (the last photo's pending change is
        committed to its own)."""
        self.commit()
        self.steps = steps
        self.changed.emit()

    @property
    def current(self) -> EnhanceSettings:
        return self.steps.current

    def note(self, settings: EnhanceSettings) -> None:
        """The controls now show ``settings`` (a user's change, a preset, a reset)."""
        if self.steps.note(settings):
            self._timer.start()
        else:
            self._timer.stop()  # moved back to where it was: nothing to remember
        self.changed.emit()

    def commit(self) -> None:
        self._timer.stop()
        if self.steps.commit():
            self.changed.emit()

    def can_undo(self) -> bool:
        return self.steps.can_undo()

    def can_redo(self) -> bool:
        return self.steps.can_redo()

    def undo(self) -> EnhanceSettings | None:
        self._timer.stop()
        found = self.steps.undo()
        self.changed.emit()
        return found

    def redo(self) -> EnhanceSettings | None:
        found = self.steps.redo()
        self.changed.emit()
        return found
