"""Saving photos and heatmaps, exporting videos: the window's writing side.

A mixin of :class:`app.gui.main_window.MainWindow`: full-resolution work (and writing the
file) runs in the engine's worker (photos) or a QThread (videos), with a progress dialog and
cancel, and every write is atomic, so a cancel or failure leaves nothing under the final
name. Nothing is replaced silently: Save (Ctrl+S) asks before replacing an existing output,
or picks a free name; Save As's dialog asks itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog

from app.core import format_for_path, keep_suffix, write_image
from app.gui.heatmap_export import heatmap_with_legend
from app.gui.save_as_dialog import ask_save_name
from app.gui.video_export_dialog import ExportDialog, VideoExportWorker
from app.gui.workers import FULL, WRITING, Reply, Request

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


class ExportMixin:
    def default_output_path(self) -> Path:
        if self.path is None:
            return Path(self.start_dir()) / "pasted_enhanced.png"
        suffix = self.path.suffix.lower()
        if self.video_path is not None and suffix not in VIDEO_OUTPUTS:
            suffix = ".mp4"
        elif self.video_path is None:
            suffix = keep_suffix(suffix)  # RAW -> 16-bit TIFF, HEIC -> JPEG
        return self.path.with_name(f"{self.path.stem}_enhanced{suffix}")

    def ask_overwrite(self, target: Path) -> str:
        """REPLACE, NEW_NAME or CANCEL; tests replace this (a dialog would block)."""
        return ask_overwrite(self, target)

    def _unclaimed(self, target: Path) -> Path | None:
        """``target`` if free, else what the user chose: it, a free name, or None."""
        if not target.exists():
            return target
        answer = self.ask_overwrite(target)
        if answer == REPLACE:
            return target
        return free_name(target) if answer == NEW_NAME else None

    def save(self) -> None:
        if self.image is None:
            return
        target = self._unclaimed(self.default_output_path())
        if target is None:
            self.statusBar().showMessage("Not saved: the existing file was kept", 5000)
        elif self.video_path is not None:
            self.export_video(target)
        else:
            self.save_to(target)

    def save_as(self) -> None:
        if self.image is None:
            return
        default = self.default_output_path()
        # the dialog refuses the original itself, and asks before replacing another file
        if self.video_path is not None:
            name = ask_save_name(self, "Export enhanced video", default,
                                 "Videos (" + " ".join(f"*{s}" for s in VIDEO_OUTPUTS) + ")",
                                 self.path)
            if name:
                self.export_video(name)
            return
        name = ask_save_name(self, "Save enhanced photo", default,
                             photo_filter(default.suffix), self.path)
        if name:
            self.save_to(name)

    def export_video(self, target: Path) -> None:
        """Enhance the whole clip in a thread, with progress, pause and cancel; audio kept."""
        if self.video_path is None or self._video_job is not None:
            return
        if target.suffix.lower() not in VIDEO_OUTPUTS:
            target = target.with_suffix(".mp4")
        if self.path is not None and target.resolve() == self.path.resolve():
            self.message.show_error("Refusing to overwrite the original video; "
                                    "choose another name.")
            return
        thread = QThread()
        worker = VideoExportWorker(self.video_path, target, self.controls.settings(),
                                   self._enhancer_factory, self.video_bar.export_options.options())
        worker.moveToThread(thread)
        dialog = ExportDialog(target.name, worker.control, self)
        worker.progress.connect(dialog.show_progress)
        worker.finished.connect(self._video_done)
        worker.failed.connect(self._video_failed)
        thread.started.connect(worker.run)
        self._video_job = (thread, worker, dialog)
        thread.start()
        dialog.show()

    def _end_video_job(self) -> None:
        thread, _, dialog = self._video_job
        self._video_job = None
        thread.quit()
        thread.wait()
        dialog.hide()
        dialog.deleteLater()

    def _video_done(self, path: str) -> None:
        self._end_video_job()
        self.saved_path = Path(path)
        self.statusBar().showMessage(f"Exported {path}", 8000)

    def _video_failed(self, message: str) -> None:
        self._end_video_job()
        if message == "cancelled":
            self.statusBar().showMessage("Export cancelled; nothing was written", 5000)
        else:
            self.message.show_error(f"Video export failed: {message}. Nothing was written.")

    def save_to(self, target: Path, quality: int | None = None) -> None:
        """Enhance at full resolution in the worker (with the plan the 100% view shows),
        then write atomically, in the worker too."""
        if self.image is None:
            return
        try:
            format_for_path(target)
        except ValueError as exc:
            self.message.show_error(str(exc))
            return
        if self.path is not None and target.resolve() == self.path.resolve():
            self.message.show_error("Refusing to overwrite the original photo; "
                                    "choose another name.")
            return
        quality = quality or self.quality.value()
        meta = self.meta

        def write(pixels) -> None:
            write_image(target, pixels, quality, meta)

        req = self.engine.request(self.image, self.controls.settings(), FULL, finish=write,
                                  on_reply=self._finish_save, on_failure=self._save_failed)
        dialog = QProgressDialog(f"Enhancing {target.name} at full resolution...", "Cancel",
                                 0, 100, self)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.canceled.connect(req.cancel.set)
        self._save_job = SaveJob(req, target, quality, dialog)

    def _on_progress(self, request_id: int, fraction: float) -> None:
        job = self._save_job
        if job is None or job.request.id != request_id:
            return
        dialog = job.dialog
        if fraction == WRITING:  # encoding a big PNG takes seconds: say so, keep moving
            dialog.setLabelText(f"Writing {job.target.name}...")
            dialog.setRange(0, 0)
            dialog.setCancelButton(None)  # the write is atomic but cannot stop half-way
        else:
            dialog.setValue(int(fraction * 100))

    def _close_save_dialog(self) -> None:
        if self._save_job is not None:
            self._save_job.dialog.reset()
            self._save_job.dialog.deleteLater()
            self._save_job = None

    def _save_failed(self, message: str) -> None:
        self._close_save_dialog()
        if message != "cancelled":
            self.message.show_error(f"Saving failed: {message}. Nothing was written.")
        else:
            self.statusBar().showMessage("Save cancelled; nothing was written", 5000)

    def _finish_save(self, reply: Reply) -> None:
        if self._save_job is None or reply.id != self._save_job.request.id:
            return
        target = self._save_job.target
        self._close_save_dialog()
        self.statusBar().showMessage(f"Saved {target}", 8000)
        self.saved_path = target

    def save_heatmap(self) -> None:
        if self.gain is None:
            return
        out = self.default_output_path()
        default = out.with_name(out.stem.replace("_enhanced", "") + "_factor.png")
        name, _ = QFileDialog.getSaveFileName(self, "Save heatmap", str(default), "PNG (*.png)")
        if name:
            self.save_heatmap_to(Path(name))  # the map at the photo's size, its scale under it

    def save_heatmap_to(self, target: Path) -> None:
        heat = self.display.heat_pixels()
        if self.image is None or heat is None:
            return
        h, w = self.image.shape[:2]
        try:
            write_image(target, heatmap_with_legend(heat, h, w, self.legend.labels()))
        except (OSError, ValueError) as exc:
            self.message.show_error(f"Could not save {target.name}: {exc}")
            return
        self.statusBar().showMessage(f"Saved {target}", 8000)

