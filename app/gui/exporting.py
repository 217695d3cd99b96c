"""Saving photos and heatmaps, exporting videos: the window's writing side.

:class:`Exporter` takes the session (what is open), the engine, and the few widgets and
callbacks it needs. Full-resolution work (and writing the file) runs in the engine's worker
(photos: the save's request id is kept in the session's pending requests) or a QThread
(videos), with a progress dialog and cancel, and every write is atomic, so a cancel or
failure leaves nothing under the final name. Nothing is replaced silently: Save (Ctrl+S)
asks before replacing an existing output, or picks a free name; Save As's dialog asks
itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from app.core import format_for_path, keep_suffix, write_image
from app.gui.heatmap_export import heatmap_with_legend
from app.gui.save_as_dialog import ask_save_name
from app.gui.video_export_dialog import ExportDialog, VideoExportWorker
from app.gui.workers import FULL, WRITING, EngineClient, Reply, Request
from app.session.session import Session

VIDEO_OUTPUTS = (".mp4", ".mkv", ".mov", ".m4v")
PHOTO_FORMATS = (("PNG", (".png",)), ("JPEG", (".jpg", ".jpeg")), ("TIFF", (".tif", ".tiff")),
                 ("WebP", (".webp",)))
REPLACE, NEW_NAME, CANCEL = "replace", "new", "cancel"


@dataclass
class SaveJob:
    """A photo being saved: the engine's full-resolution request, where it goes, at which
    quality, and the progress dialog that shows it."""

    request: Request
    target: Path
    quality: int
    dialog: QProgressDialog


@dataclass
class VideoJob:
    """A video being exported: its thread, the worker in it, and the progress dialog."""

    thread: QThread
    worker: VideoExportWorker
    dialog: ExportDialog


def free_name(target: Path) -> Path:
    """``name (2).ext``, ``name (3).ext``... : the first that does not exist."""
    n = 2
    while (candidate := target.with_name(f"{target.stem} ({n}){target.suffix}")).exists():
        n += 1
    return candidate


def photo_filter(suffix: str) -> str:
    """Save As's choice of photo formats, the photo's own first."""
    entries = [(name, sufs) for name, sufs in PHOTO_FORMATS]
    entries.sort(key=lambda e: suffix.lower() not in e[1])
    return ";;".join(f"{name} (" + " ".join(f"*{s}" for s in sufs) + ")"
                     for name, sufs in entries)


def ask_overwrite(parent, target: Path) -> str:
    """Replace / save under a free name / cancel, for an output that exists already."""
    box = QMessageBox(QMessageBox.Warning, "File exists",
                      f"{target.name} already exists in {target.parent}.", parent=parent)
    box.setInformativeText("Replace it, or save under a new name?")
    replace = box.addButton("Replace", QMessageBox.DestructiveRole)
    new = box.addButton(f"Save as {free_name(target).name}", QMessageBox.AcceptRole)
    box.addButton(QMessageBox.Cancel)
    box.setDefaultButton(new)
    box.exec()
    return {replace: REPLACE, new: NEW_NAME}.get(box.clickedButton(), CANCEL)


class Exporter(QObject):
    """Save, Save As, the heatmap and the video export (a QObject in the window's thread:
    the engine's and the export thread's signals reach it there). ``settings()`` is the settings on
    screen, ``quality`` the toolbar's quality box, ``video_options()`` the video bar's export
    options, ``start_dir()`` where dialogs start without a photo; ``display`` and ``legend``
    give the heatmap's pixels and scale; ``show_error(text)`` and ``show_status(text, ms)``
    tell the user. ``host`` owns the dialogs."""

    def __init__(self, session: Session, engine: EngineClient, host: QWidget, *, settings,
                 quality, enhancer_factory, video_options, start_dir, display, legend,
                 show_error, show_status):
        super().__init__(host)
        self.session, self.engine, self.host = session, engine, host
        self.settings, self.quality = settings, quality
        self.enhancer_factory, self.video_options = enhancer_factory, video_options
        self.start_dir, self.display, self.legend = start_dir, display, legend
        self.show_error, self.show_status = show_error, show_status
        self.save_job: SaveJob | None = None
        self.video_job: VideoJob | None = None
        self.saved_path: Path | None = None
        engine.worker.progress.connect(self.on_progress)

    def default_output_path(self) -> Path:
        path = self.session.path
        if path is None:
            return Path(self.start_dir()) / "pasted_enhanced.png"
        suffix = path.suffix.lower()
        if self.session.video_path is not None and suffix not in VIDEO_OUTPUTS:
            suffix = ".mp4"
        elif self.session.video_path is None:
            suffix = keep_suffix(suffix)  # RAW -> 16-bit TIFF, HEIC -> JPEG
        return path.with_name(f"{path.stem}_enhanced{suffix}")

    def ask_overwrite(self, target: Path) -> str:
        """REPLACE, NEW_NAME or CANCEL; tests replace this (a dialog would block)."""
        return ask_overwrite(self.host, target)

    def _unclaimed(self, target: Path) -> Path | None:
        """``target`` if free, else what the user chose: it, a free name, or None."""
        if not target.exists():
            return target
        answer = self.ask_overwrite(target)
        if answer == REPLACE:
            return target
        return free_name(target) if answer == NEW_NAME else None

    def save(self) -> None:
        if self.session.image is None:
            return
        target = self._unclaimed(self.default_output_path())
        if target is None:
            self.show_status("Not saved: the existing file was kept", 5000)
        elif self.session.video_path is not None:
            self.export_video(target)
        else:
            self.save_to(target)

    def save_as(self) -> None:
        if self.session.image is None:
            return
        default = self.default_output_path()
        # the dialog refuses the original itself, and asks before replacing another file
        if self.session.video_path is not None:
            name = ask_save_name(self.host, "Export enhanced video", default,
                                 "Videos (" + " ".join(f"*{s}" for s in VIDEO_OUTPUTS) + ")",
                                 self.session.path)
            if name:
                self.export_video(name)
            return
        name = ask_save_name(self.host, "Save enhanced photo", default,
                             photo_filter(default.suffix), self.session.path)
        if name:
            self.save_to(name)

    # ---- videos -------------------------------------------------------------------------
    def export_video(self, target: Path) -> None:
        """Enhance the whole clip in a thread, with progress, pause and cancel; audio kept."""
        video_path, path = self.session.video_path, self.session.path
        if video_path is None or self.video_job is not None:
            return
        if target.suffix.lower() not in VIDEO_OUTPUTS:
            target = target.with_suffix(".mp4")
        if path is not None and target.resolve() == path.resolve():
            self.show_error("Refusing to overwrite the original video; choose another name.")
            return
        thread = QThread()
        worker = VideoExportWorker(video_path, target, self.settings(), self.enhancer_factory,
                                   self.video_options())
        worker.moveToThread(thread)
        dialog = ExportDialog(target.name, worker.control, self.host)
        worker.progress.connect(dialog.show_progress)
        worker.finished.connect(self._video_done)
        worker.failed.connect(self._video_failed)
        thread.started.connect(worker.run)
        self.video_job = VideoJob(thread, worker, dialog)
        thread.start()
        dialog.show()

    def _end_video_job(self) -> None:
        job, self.video_job = self.video_job, None
        job.thread.quit()
        job.thread.wait()
        job.dialog.hide()
        job.dialog.deleteLater()

    def _video_done(self, path: str) -> None:
        self._end_video_job()
        self.saved_path = Path(path)
        self.show_status(f"Exported {path}", 8000)

    def _video_failed(self, message: str) -> None:
        self._end_video_job()
        if message == "cancelled":
            self.show_status("Export cancelled; nothing was written", 5000)
        else:
            self.show_error(f"Video export failed: {message}. Nothing was written.")

    def shutdown(self) -> None:
        """The window closes: a video export running is cancelled and waited for."""
        if self.video_job is not None:
            self.video_job.worker.control.cancel()
            self._end_video_job()

    # ---- photos -------------------------------------------------------------------------
    def save_to(self, target: Path, quality: int | None = None) -> None:
        """Enhance at full resolution in the worker (with the plan the 100% view shows),
        then write atomically, in the worker too."""
        image, path = self.session.image, self.session.path
        if image is None:
            return
        try:
            format_for_path(target)
        except ValueError as exc:
            self.show_error(str(exc))
            return
        if path is not None and target.resolve() == path.resolve():
            self.show_error("Refusing to overwrite the original photo; choose another name.")
            return
        quality = quality or self.quality.value()
        meta = self.session.meta

        def write(pixels) -> None:
            write_image(target, pixels, quality, meta)

        req = self.engine.request(image, self.settings(), FULL, finish=write,
                                  on_reply=self._finish_save, on_failure=self._save_failed)
        self.session.pending.save_started(req.id)
        dialog = QProgressDialog(f"Enhancing {target.name} at full resolution...", "Cancel",
                                 0, 100, self.host)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.canceled.connect(req.cancel.set)
        self.save_job = SaveJob(req, target, quality, dialog)

    def on_progress(self, request_id: int, fraction: float) -> None:
        job = self.save_job
        if job is None or not self.session.pending.is_save(request_id):
            return
        dialog = job.dialog
        if fraction == WRITING:  # encoding a big PNG takes seconds: say so, keep moving
            dialog.setLabelText(f"Writing {job.target.name}...")
            dialog.setRange(0, 0)
            dialog.setCancelButton(None)  # the write is atomic but cannot stop half-way
        else:
            dialog.setValue(int(fraction * 100))

    def _close_save_dialog(self) -> None:
        self.session.pending.save_ended()
        if self.save_job is not None:
            self.save_job.dialog.reset()
            self.save_job.dialog.deleteLater()
            self.save_job = None

    def _save_failed(self, message: str) -> None:
        self._close_save_dialog()
        if message != "cancelled":
            self.show_error(f"Saving failed: {message}. Nothing was written.")
        else:
            self.show_status("Save cancelled; nothing was written", 5000)

    def _finish_save(self, reply: Reply) -> None:
        if self.save_job is None or not self.session.pending.is_save(reply.id):
            return
        target = self.save_job.target
        self._close_save_dialog()
        self.show_status(f"Saved {target}", 8000)
        self.saved_path = target

    # ---- the heatmap --------------------------------------------------------------------
    def save_heatmap(self) -> None:
        if self.display.gain is None:
            return
        out = self.default_output_path()
        default = out.with_name(out.stem.replace("_enhanced", "") + "_factor.png")
        name, _ = QFileDialog.getSaveFileName(self.host, "Save heatmap", str(default),
                                              "PNG (*.png)")
        if name:
            self.save_heatmap_to(Path(name))  # the map at the photo's size, its scale under it

    def save_heatmap_to(self, target: Path) -> None:
        heat = self.display.heat_pixels()
        image = self.session.image
        if image is None or heat is None:
            return
        h, w = image.shape[:2]
        try:
            write_image(target, heatmap_with_legend(heat, h, w, self.legend.labels()))
        except (OSError, ValueError) as exc:
            self.show_error(f"Could not save {target.name}: {exc}")
            return
        self.show_status(f"Saved {target}", 8000)
