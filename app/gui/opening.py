"""Opening photos and videos: the Open dialog, recent files, paste, drag and drop.

:class:`Opener` reads the file (through the session's photo cache) and hands the pixels to
the window's ``show_image``; it knows nothing else of the window: the widgets it drives (the
video bar, the tabs, the batch) and the callbacks it calls are given to it."""
from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QMenu, QWidget

from app.core import (
    IMAGE_SUFFIXES,
    MEDIA_SUFFIXES,
    ImageMeta,
    ImageReadError,
    VideoReadError,
    is_video,
    probe,
    read_frame,
)
from app.gui.convert import from_qimage
from app.session.session import Session

MAX_RECENT = 8
FILE_FILTER = ("Photos and videos (" + " ".join(f"*{s}" for s in sorted(MEDIA_SUFFIXES)) + ")"
               ";;Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ")")


def about_file(name: str, exc: Exception) -> str:
    """'name: reason', naming the file once (the core's messages often start with it)."""
    text = str(exc) or type(exc).__name__
    return text if name in text else f"{name}: {text}"


def pictures_dir() -> str:
    found = QStandardPaths.writableLocation(QStandardPaths.PicturesLocation)
    return found if found and Path(found).is_dir() else str(Path.home())


def short_folder(folder: Path) -> str:
    """The folder as people write it: ~ for the home folder."""
    try:
        return str(Path("~") / folder.relative_to(Path.home()))
    except ValueError:
        return str(folder)


class Opener:
    """The File menu's opening side. ``show_image(image, meta, path, video=None)`` puts a
    photo or a video's first frame on screen; ``open_folder(folder)`` shows a folder in the
    filmstrip; ``show_error(text)`` says what went wrong; ``caption(text)`` is the input
    pane's footer. ``host`` owns the dialogs and the recent files menu."""

    def __init__(self, session: Session, store: QSettings, host: QWidget, *, show_image,
                 open_folder, show_error, caption, video_bar, tabs, batch):
        self.session, self.store, self.host = session, store, host
        self.show_image, self.open_folder, self.show_error = show_image, open_folder, show_error
        self.caption = caption
        self.video_bar, self.tabs, self.batch = video_bar, tabs, batch
        self.recent_menu = QMenu("Open &recent", host)
        self.recent_menu.setIcon(qta.icon("fa5s.history"))
        self.refresh_recent()

    def start_dir(self) -> str:
        """Where Open and Save As start: the last folder used, else the user's Pictures."""
        last = self.store.value("last_dir")
        return str(last) if last and Path(str(last)).is_dir() else pictures_dir()

    def open_folder_dialog(self) -> None:
        name = QFileDialog.getExistingDirectory(self.host, "Open a folder of photos",
                                                self.start_dir())
        if name:
            self.open_path(Path(name))

    def open_dialog(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.host, "Open photo or video",
                                              self.start_dir(), FILE_FILTER)
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path, remember: bool = True) -> bool:
        """Open a photo or video; ``remember=False`` (the bundled sample) keeps it out of the
        recent files and the folder the dialogs start in. A folder shows its photos in the
        filmstrip and opens the first."""
        if path.is_dir():
            if remember:
                self.store.setValue("last_dir", str(path))
            self.tabs.setCurrentIndex(0)
            return self.open_folder(path)
        if is_video(path):
            return self.open_video(path, remember)
        try:
            image, meta = self.session.photos.read(path)
        except ImageReadError as exc:
            self.show_error(f"Could not open {about_file(path.name, exc)}")
            return False
        if remember:
            self.add_recent(path)
        self.video_bar.stop()
        self.show_image(image, meta, path)
        return True

    def open_video(self, path: Path, remember: bool = True) -> bool:
        try:
            info = probe(path)
            frame = read_frame(path, 0.0)
        except VideoReadError as exc:
            self.show_error(f"Could not open {about_file(path.name, exc)}")
            return False
        if remember:
            self.add_recent(path)
        self.video_bar.set_video(info.duration, info.fps)
        self.show_image(frame, ImageMeta(), path, video=info)
        self.caption(f"{path.name}: {info.width}x{info.height}, "
                     f"{info.fps:.3g} fps, {info.duration:.1f} s")
        return True

    def paste(self) -> None:
        qimage = QGuiApplication.clipboard().image()
        if qimage.isNull():
            self.show_error("The clipboard holds no image.")
            return
        self.video_bar.stop()
        self.show_image(from_qimage(qimage), ImageMeta(), None)

    # ---- recent files -------------------------------------------------------------------
    def add_recent(self, path: Path) -> None:
        """Remember an opened file: the recent list and the folder dialogs start in."""
        self.store.setValue("last_dir", str(path.parent))
        recent = [p for p in self.recent() if p != str(path)]
        self.store.setValue("recent", [str(path)] + recent[:MAX_RECENT - 1])
        self.refresh_recent()

    def recent(self) -> list[str]:
        value = self.store.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self.recent():
            path = Path(p)
            act = self.recent_menu.addAction(f"{path.name}  \u2014  {short_folder(path.parent)}",
                                              lambda p=p: self.open_path(Path(p)))
            act.setToolTip(p)
            act.setStatusTip(p)
        self.recent_menu.setEnabled(bool(self.recent()))

    # ---- drag and drop (the window's events) --------------------------------------------
    @staticmethod
    def drag_enter(event) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def drop(self, event) -> None:
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.files_dropped(urls)
        elif event.mimeData().hasImage():
            event.acceptProposedAction()
            self.video_bar.stop()
            self.show_image(from_qimage(event.mimeData().imageData()), ImageMeta(), None)

    def files_dropped(self, paths: list[str]) -> None:
        """One photo, or one folder, opens in the Photo tab (a folder in the filmstrip);
        several files or folders, or anything dropped on the Batch tab, go to the batch."""
        if len(paths) == 1 and self.tabs.currentWidget() is not self.batch:
            self.tabs.setCurrentIndex(0)
            self.open_path(Path(paths[0]))
            return
        self.tabs.setCurrentWidget(self.batch)
        self.batch.add_paths([Path(p) for p in paths])
