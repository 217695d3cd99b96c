"""The window's size and place: it opens at a size that fits the available screen (a 1366x768
laptop included, controls and all), and where it was last time if that still fits."""
from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, QSize
from PySide6.QtWidgets import QWidget

WANTED = QSize(1880, 1000)  # a 1920x1080 screen nearly filled (the photo wants the room)
FRAME = QSize(16, 48)  # room for the title bar and borders the window manager adds


def initial_geometry(available: QRect, wanted: QSize = WANTED) -> QRect:
    """The client area for a first start: ``wanted``, shrunk to fit ``available`` with the
    frame, centred."""
    w = max(320, min(wanted.width(), available.width() - FRAME.width()))
    h = max(240, min(wanted.height(), available.height() - FRAME.height()))
    rect = QRect(0, 0, w, h)
    rect.moveCenter(available.center())
    return rect


def place(window: QWidget, saved: QByteArray | bytes | None) -> None:
    """Restore the saved geometry if it fits the screen now; else the initial geometry."""
    screen = window.screen()
    available = screen.availableGeometry()
    if saved and window.restoreGeometry(QByteArray(saved)):
        frame = window.frameGeometry()
        if available.contains(frame.topLeft()) and frame.width() <= available.width() \
                and frame.height() <= available.height():
            return
    window.setGeometry(initial_geometry(available))
