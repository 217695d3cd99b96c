"""Frame scrubber for videos: slider, play/pause, time and the export's codec and quality;
plus the export worker and its progress dialog."""
from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.core import BatchControl, Cancelled
from app.core.settings import EnhanceSettings, VideoOptions
from app.gui.widgets import VideoOptionsEditor, debounce_timer, frames_progress_text

STEPS_PER_SECOND = 10  # slider resolution


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m)}:{s:04.1f}"


class VideoBar(QWidget):
    """Emits ``seek(seconds)`` when the user scrubs or while playing."""

    seek = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.play_btn = QToolButton()
        self.play_btn.setIcon(qta.icon("fa5s.play"))
        self.play_btn.setCheckable(True)
        self.play_btn.setToolTip("Play / pause the preview (Space)")
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setToolTip("Pick the frame to preview; Save exports the whole clip")
        self.time = QLabel("0:00.0 / 0:00.0")
        layout.addWidget(self.play_btn)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time)
        self.export_options = VideoOptionsEditor()  # used by Save / Save as for the clip
        layout.addWidget(self.export_options)
        self.duration = 0.0
        self.fps = 25.0
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._advance)
        # coalesce drags: the newest position wins
        self._debounce = debounce_timer(self, 40, lambda: self.seek.emit(self.position()))
        self.slider.valueChanged.connect(self._moved)
        self.play_btn.toggled.connect(self._play)
        self.hide()

    def set_video(self, duration: float, fps: float) -> None:
        self.duration, self.fps = duration, fps or 25.0
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(1, int(duration * STEPS_PER_SECOND)))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._label()
        self.show()

    def position(self) -> float:
        return self.slider.value() / STEPS_PER_SECOND

    def _label(self) -> None:
        self.time.setText(f"{_clock(self.position())} / {_clock(self.duration)}")

    def _moved(self, _value: int) -> None:
        self._label()
        self._debounce.start()

    def _play(self, playing: bool) -> None:
        self.play_btn.setIcon(qta.icon("fa5s.pause" if playing else "fa5s.play"))
        if playing:
            self.timer.start(1000 // STEPS_PER_SECOND)
        else:
            self.timer.stop()

    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_btn.setChecked(False)
            return
        self.slider.setValue(self.slider.value() + 1)

    def stop(self) -> None:
        self.play_btn.setChecked(False)
        self.hide()


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
