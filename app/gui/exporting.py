"""Saving photos and heatmaps, exporting videos: the window's writing side.

A mixin of :class:`app.gui.main_window.MainWindow`: full-resolution work runs in the engine's
worker (photos) or a QThread (videos), with a progress dialog and cancel, and every write is
atomic, so a cancel or failure leaves nothing under the final name.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QThread
from PySide6.QtWidgets import QFileDialog, QProgressDialog

from app.core import format_for_path, heatmap_image, write_image
from app.gui.video_bar import ExportDialog, VideoExportWorker
from app.gui.workers import Reply

VIDEO_OUTPUTS = (".mp4", ".mkv", ".mov", ".m4v")


class ExportMixin:
    def default_output_path(self) -> Path:
        if self.path is None:
            return Path(str(self.store.value("last_dir", str(Path.home())))) / "pasted_enhanced.png"
        suffix = self.path.suffix.lower()
        if self.video_path is not None and suffix not in VIDEO_OUTPUTS:
            suffix = ".mp4"
        return self.path.with_name(f"{self.path.stem}_enhanced{suffix}")

    def save(self) -> None:
        if self.video_path is not None:
            self.export_video(self.default_output_path())
            return
        self.save_to(self.default_output_path())

    def save_as(self) -> None:
        if self.image is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save enhanced photo",
                                              str(self.default_output_path()), self.file_filter)
        if name:
            self.save_to(Path(name))

    def export_video(self, target: Path) -> None:
        """Enhance the whole clip in a thread, with progress, pause and cancel; audio kept."""
        if self.video_path is None or self._video_job is not None:
            return
        if target.suffix.lower() not in VIDEO_OUTPUTS:
            target = target.with_suffix(".mp4")
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
        """Enhance at full resolution in the worker, then write atomically."""
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
        req = self.engine.request(self.image, self.controls.settings(), full=True)
        dialog = QProgressDialog(f"Enhancing {target.name} at full resolution...", "Cancel",
                                 0, 100, self)
        dialog.setWindowModality(Qt.WindowModal)
        dialog.setMinimumDuration(400)
        dialog.canceled.connect(req.cancel.set)
        self._save_job = (req, target, quality, dialog)

    def _on_progress(self, request_id: int, fraction: float) -> None:
        if self._save_job is not None and self._save_job[0].id == request_id:
            self._save_job[3].setValue(int(fraction * 100))

    def _close_save_dialog(self) -> None:
        if self._save_job is not None:
            self._save_job[3].reset()
            self._save_job[3].deleteLater()
            self._save_job = None
        self._video_job = None

    def _finish_save(self, reply: Reply) -> None:
        if self._save_job is None or reply.id != self._save_job[0].id:
            return
        _, target, quality, _ = self._save_job
        self._close_save_dialog()
        try:
            write_image(target, reply.image, quality, self.meta)
        except (OSError, ValueError) as exc:
            self.message.show_error(f"Could not save {target.name}: {exc}")
            return
        self.statusBar().showMessage(f"Saved {target}", 8000)
        self.saved_path = target

    def save_heatmap(self) -> None:
        if self.gain is None:
            return
        default = self.default_output_path().with_name(
            self.default_output_path().stem.replace("_enhanced", "") + "_factor.png")
        name, _ = QFileDialog.getSaveFileName(self, "Save heatmap", str(default), "PNG (*.png)")
        if name:
            self.save_heatmap_to(Path(name))

    def save_heatmap_to(self, target: Path) -> None:
        if self.image is None:
            return
        h, w = self.image.shape[:2]
        try:
            write_image(target, heatmap_image(self.gain, h, w))
        except (OSError, ValueError) as exc:
            self.message.show_error(f"Could not save {target.name}: {exc}")
            return
        self.statusBar().showMessage(f"Saved {target}", 8000)

