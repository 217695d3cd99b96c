"""What the window tests share: a folder of photos, and opening one until its preview shows."""
from __future__ import annotations

from pathlib import Path

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
