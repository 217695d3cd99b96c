"""Pause/resume and cancel of a running job, shared between a UI thread and the workers."""
from __future__ import annotations

import threading


class Cancelled(Exception):
    """Raised inside a running enhancement when the user cancels."""


class BatchControl:
    """Pause/resume and cancel, shared between a UI thread and the batch thread."""

    def __init__(self):
        # A gate of its own rather than a threading.Event: an Event's lock is not re-entrant,
        # and a signal handler that calls interrupt() can run in the main thread while that
        # thread is inside checkpoint() (a video runs its frames there) holding the lock:
        # set() would wait for it forever.
        self._gate = threading.Condition(threading.RLock())
        self._open = True
        self.cancelled = False
        self.interrupted = False  # cancelled by Ctrl+C rather than by the user's Cancel
        self.interrupted_by = ""  # "Ctrl+C", "SIGTERM"

    def pause(self) -> None:
        with self._gate:
            self._open = False

    def resume(self) -> None:
        with self._gate:
            self._open = True
            self._gate.notify_all()

    @property
    def paused(self) -> bool:
        return not self._open

    def cancel(self) -> None:
        self.cancelled = True
        self.resume()

    def interrupt(self, by: str = "Ctrl+C") -> None:
        """Ctrl+C (or ``by`` another signal): cancel, and say so in the report. Safe to call
        from a signal handler."""
        self.interrupted_by = self.interrupted_by or by
        self.interrupted = True
        self.cancel()

    @property
    def interrupt_reason(self) -> str:
        return f"interrupted ({self.interrupted_by or 'Ctrl+C'})"

    def checkpoint(self, *_args) -> None:
        """Block while paused; raise Cancelled once cancelled. Also usable as a progress hook."""
        with self._gate:
            while not self._open:
                self._gate.wait()
        if self.cancelled:
            raise Cancelled()


class BatchInterrupted(KeyboardInterrupt):
    """Ctrl+C stopped a batch; its report (already written) rides along for the caller."""

    def __init__(self, report):
        super().__init__("interrupted")
        self.report = report
