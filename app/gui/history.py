"""Undo and redo of the settings (Ctrl+Z, Ctrl+Shift+Z).

A slider drag sends dozens of changes; undo should step over the whole drag, so changes are
gathered into one pending step that is committed once the controls have been still for
QUIET_MS, or at once when the user undoes (so undo always returns to the settings before
the last change, however quick)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.core.settings import EnhanceSettings
from app.gui.timers import debounce_timer

QUIET_MS = 600
MAX_STEPS = 200


class SettingsHistory(QObject):
    changed = Signal()  # what can be undone or redone changed

    def __init__(self, initial: EnhanceSettings, parent: QObject | None = None):
        super().__init__(parent)
        self._steps = [initial.validated()]
        self._index = 0
        self._pending: EnhanceSettings | None = None
        self._timer = debounce_timer(self, QUIET_MS, self.commit)

    @property
    def current(self) -> EnhanceSettings:
        return self._steps[self._index]

    def reset(self, settings: EnhanceSettings) -> None:
        """Another photo is open: undo starts again from its settings (it never reaches
        back into the previous photo's)."""
        self._timer.stop()
        self._steps, self._index, self._pending = [settings.validated()], 0, None
        self.changed.emit()

    def note(self, settings: EnhanceSettings) -> None:
        """The controls now show ``settings`` (a user's change, a preset, a reset)."""
        settings = settings.validated()
        if settings == self.current:
            self._pending = None  # moved back to where it was: nothing to remember
            self._timer.stop()
        else:
            self._pending = settings
            self._timer.start()
        self.changed.emit()

    def commit(self) -> None:
        self._timer.stop()
        if self._pending is None or self._pending == self.current:
            self._pending = None
            return
        del self._steps[self._index + 1:]
        self._steps.append(self._pending)
        self._pending = None
        if len(self._steps) > MAX_STEPS:
            del self._steps[0]
        self._index = len(self._steps) - 1
        self.changed.emit()

    def can_undo(self) -> bool:
        return self._index > 0 or self._pending is not None

    def can_redo(self) -> bool:
        return self._pending is None and self._index < len(self._steps) - 1

    def undo(self) -> EnhanceSettings | None:
        """The settings before the last change (None if there is none)."""
        self.commit()
        if self._index == 0:
            return None
        self._index -= 1
        self.changed.emit()
        return self.current

    def redo(self) -> EnhanceSettings | None:
        if not self.can_redo():
            return None
        self._index += 1
        self.changed.emit()
        return self.current
