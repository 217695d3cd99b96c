"""Frame scrubber for videos: slider, play/pause, time and the export's codec and quality."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QToolButton,
    QWidget,
)

from app.gui.timers import debounce_timer
from app.gui.video_options import VideoOptionsEditor

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
