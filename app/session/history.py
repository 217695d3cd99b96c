"""Undo and redo of one photo's settings, without Qt (the window's SettingsHistory adds the
timer that commits a drag once the controls are still).

Changes are gathered into one pending step (a slider drag sends dozens), committed as one;
undo commits first, so it always returns to the settings before the last change. The
session keeps one history per photo, so going back to a photo brings its undo back too."""
from __future__ import annotations

from app.core import EnhanceSettings

MAX_STEPS = 200


class History:
    def __init__(self, initial: EnhanceSettings):
        self.steps = [initial.validated()]
        self.index = 0
        self.pending: EnhanceSettings | None = None

    @property
    def current(self) -> EnhanceSettings:
        return self.steps[self.index]

    def note(self, settings: EnhanceSettings) -> bool:
        """The settings are now ``settings``; True if that is a change waiting for commit."""
        settings = settings.validated()
        self.pending = None if settings == self.current else settings
        return self.pending is not None

    def commit(self) -> bool:
        """Make the pending change a step; True if one was made."""
        if self.pending is None or self.pending == self.current:
            self.pending = None
            return False
        del self.steps[self.index + 1:]
        self.steps.append(self.pending)
        self.pending = None
        if len(self.steps) > MAX_STEPS:
            del self.steps[0]
        self.index = len(self.steps) - 1
        return True

    def can_undo(self) -> bool:
        return self.index > 0 or self.pending is not None

    def can_redo(self) -> bool:
        return self.pending is None and self.index < len(self.steps) - 1

    def undo(self) -> EnhanceSettings | None:
        """The settings before the last change (None if there is none)."""
        self.commit()
        if self.index == 0:
            return None
        self.index -= 1
        return self.current

    def redo(self) -> EnhanceSettings | None:
        if not self.can_redo():
            return None
        self.index += 1
        return self.current

    def catch_up(self, settings: EnhanceSettings) -> None:
        """The photo's settings were changed elsewhere (pasted, synced, reset): that change
        becomes a step, so it can be undone too."""
        if self.note(settings):
            self.commit()
