"""Undo and redo of one photo's edits, without Qt (the window's SettingsHistory adds the
timer that commits a drag once the controls are still).

A step is a :class:`Step`: the photo's settings and its framing (turn, straighten, crop),
so Ctrl+Z undoes a turn or a crop as it undoes a slider. Changes are gathered into one
pending step (a slider drag sends dozens), committed as one; undo commits first, so it
always returns to the edits before the last change. The session keeps one history per
photo, so going back to a photo brings its undo back too.

The history itself only compares values and calls their ``validated()``: a history of bare
:class:`~app.core.EnhanceSettings` works the same way."""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from app.core import Crop, EnhanceSettings, PhotoEdits

MAX_STEPS = 200


@dataclass(frozen=True)
class Step:
    """What one undo returns to: the photo's settings and its framing (its flag and stars
    are not undone: they are marks, not edits of the picture)."""

    settings: EnhanceSettings = field(default_factory=EnhanceSettings)
    quarter_turns: int = 0
    straighten: float = 0.0
    crop: Crop = field(default_factory=Crop)

    @classmethod
    def of(cls, edits: PhotoEdits) -> Step:
        return cls(edits.settings, edits.quarter_turns, edits.straighten, edits.crop)

    def validated(self) -> Step:
        return replace(self, settings=self.settings.validated())

    @property
    def framing(self) -> dict:
        """The framing as :meth:`app.session.session.Session.set_geometry` takes it."""
        return {"quarter_turns": self.quarter_turns, "straighten": self.straighten,
                "crop": self.crop}


class History:
    def __init__(self, initial):
        self.steps = [initial.validated()]
        self.index = 0
        self.pending = None

    @property
    def current(self):
        return self.steps[self.index]

    def note(self, value) -> bool:
        """The edits are now ``value``; True if that is a change waiting for commit."""
        value = value.validated()
        self.pending = None if value == self.current else value
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

    def record(self, value) -> bool:
        """A change made at once (a turn, a crop): a step of its own, after the pending
        one (a drag just before it stays a step apart). True if it was a change."""
        self.commit()
        return self.note(value) and self.commit()

    def can_undo(self) -> bool:
        return self.index > 0 or self.pending is not None

    def can_redo(self) -> bool:
        return self.pending is None and self.index < len(self.steps) - 1

    def undo(self):
        """The edits before the last change (None if there is none)."""
        self.commit()
        if self.index == 0:
            return None
        self.index -= 1
        return self.current

    def redo(self):
        if not self.can_redo():
            return None
        self.index += 1
        return self.current

    def catch_up(self, value) -> None:
        """The photo's edits were changed elsewhere (pasted, synced, reset): that change
        becomes a step, so it can be undone too."""
        if self.note(value):
            self.commit()
