"""Qt timing helpers: debounced work and waiting on the event loop."""
from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication


def debounce_timer(parent: QObject, ms: int, slot) -> QTimer:
    """A single-shot timer that calls ``slot`` ``ms`` after its last start(): a burst of
    changes (a drag, a resize) does the work once, when it pauses."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


def wait_for(condition, timeout_s: float = 10.0) -> bool:
    """Run the event loop until ``condition()`` is true (self-test and scripts)."""
    deadline = time.monotonic() + timeout_s
    app = QApplication.instance()
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True
