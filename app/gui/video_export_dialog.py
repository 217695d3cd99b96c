"""Exporting the open video: the worker thread's job and its progress dialog."""
from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QObject, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.core import BatchControl, Cancelled
from app.core.settings import EnhanceSettings, VideoOptions
from app.gui.progress_text import frames_progress_text


class VideoExportWorker(QObject):
    progress = Signal(int, int, float)  # frames done, total, fps
    finished = Signal(str)  # output path
    failed = Signal(str)

    def __init__(self, src: Path, dst: Path, settings: EnhanceSettings, enhancer_factory,
                 video: VideoOptions | None = None):
        super().__init__()
        self.src, self.dst, self.settings, self.factory = src, dst, settings, enhancer_factory
        self.video = video or VideoOptions()
        self.control = BatchControl()

    @Slot()
    def run(self) -> None:
        from app.core import enhance_video

        try:
            enhance_video(self.src, self.dst, self.factory(), self.settings, self.video,
                          progress=lambda d, t, f: self.progress.emit(d, t, f),
                          control=self.control)
            self.finished.emit(str(self.dst))
        except Cancelled:
            self.failed.emit("cancelled")
        except Exception as exc:  # noqa: BLE001 - shown in the window
            self.failed.emit(str(exc) or type(exc).__name__)


class ExportDialog(QDialog):
    """Progress of a video export: frames, fps and time left, with Pause/Resume and Cancel.
    Closing it cancels; nothing is left under the final name then."""

    def __init__(self, name: str, control: BatchControl, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Exporting video")
        self.setWindowModality(Qt.WindowModal)
        self.name, self.control = name, control
        self.label = QLabel(f"Exporting {name}\nstarting...")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)  # busy until the first frame
        self.bar.setFormat("%p%")
        self.pause_btn = QPushButton(qta.icon("fa5s.pause"), "Pause")
        self.pause_btn.setCheckable(True)
        self.pause_btn.toggled.connect(self._pause)
        self.cancel_btn = QPushButton(qta.icon("fa5s.stop"), "Cancel")
        self.cancel_btn.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.pause_btn)
        buttons.addWidget(self.cancel_btn)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)

    def show_progress(self, done: int, total: int, fps: float) -> None:
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(done)
        if not self.control.paused:
            self.label.setText(f"Exporting {self.name}\n{frames_progress_text(done, total, fps)}")

    def _pause(self, paused: bool) -> None:
        if paused:
            self.control.pause()
            self.label.setText(f"Paused: {self.name}\nframe {self.bar.value()} of "
                               f"{self.bar.maximum()}")
        else:
            self.control.resume()
        self.pause_btn.setText("Resume" if paused else "Pause")
        self.pause_btn.setIcon(qta.icon("fa5s.play" if paused else "fa5s.pause"))

    def reject(self) -> None:  # Cancel, Esc or the close button
        self.control.cancel()
        self.label.setText(f"Cancelling {self.name}\nnothing will be written")
        self.pause_btn.setEnabled(False)
        self.cancel_btn.setEnabled(False)
