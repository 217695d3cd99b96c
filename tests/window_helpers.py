"""What the window tests share: a folder of photos, opening one until its preview shows, and
a real drop event."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.core import write_image


def photo_folder(tmp_path: Path, photo, count: int) -> Path:
    """A night's folder of ``count`` copies of ``photo``: IMG_1.png, IMG_2.png, ..."""
    folder = tmp_path / "night"
    folder.mkdir()
    for i in range(1, count + 1):
        write_image(folder / f"IMG_{i}.png", photo)
    return folder


def open_and_wait(qtbot, window, path) -> None:
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        assert window.open_path(path)


def drop_event(*paths: Path, at: tuple[int, int] = (10, 10)) -> QDropEvent:
    """What dragging ``paths`` from a file manager onto a window delivers."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(*at), Qt.CopyAction, mime, Qt.LeftButton, Qt.NoModifier)
    event.mime = mime  # the event only points at its data: it must live as long as the event
    return event
