"""Undo and redo (Ctrl+Z, Ctrl+Shift+Z) of the photo on screen: its settings, its turn and
its crop.

The steps live in the session, one :class:`app.session.history.History` per photo, each a
:class:`app.session.history.Step` (settings and framing); this adds the timer: a slider
drag sends dozens of changes, gathered into one pending step that is committed once the
controls have been still for QUIET_MS, or at once when the user undoes (so undo always
returns to the edits before the last change, however quick). A turn or a crop is a step of
its own at once (:meth:`SettingsHistory.record`)."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from app.gui.timers import debounce_timer
from app.session.history import History, Step

QUIET_MS = 600


class SettingsHistory(QObject):
    changed = Signal()  # what can be undone or redone changed

    def __init__(self, initial, parent: QObject | None = None):
        """``initial``: a :class:`Step` (or bare settings, for a history of settings)."""
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
    def current(self):
        return self.steps.current

    def note(self, edits) -> None:
        """The photo's edits are now ``edits`` (a user's change, a preset, a reset)."""
        if self.steps.note(edits):
            self._timer.start()
        else:
            self._timer.stop()  # moved back to where it was: nothing to remember
        self.changed.emit()

    def commit(self) -> None:
        self._timer.stop()
        if self.steps.commit():
            self.changed.emit()

    def record(self, edits: Step) -> None:
        """A change made at once (a turn, a crop): a step of its own."""
        self._timer.stop()
        self.steps.record(edits)
        self.changed.emit()

    def can_undo(self) -> bool:
        return self.steps.can_undo()

    def can_redo(self) -> bool:
        return self.steps.can_redo()

    def undo(self) -> Step | None:
        self._timer.stop()
        found = self.steps.undo()
        self.changed.emit()
        return found

    def redo(self) -> Step | None:
        found = self.steps.redo()
        self.changed.emit()
        return found
