"""Frame scrubber for videos: slider, play/pause, time and the export's codec and quality.
Playback itself is :mod:`app.gui.video_player`'s: the bar says when to play and where, and
shows where playback is."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QSlider,
    QStyle,
    QStyleOptionSlider,
    QToolButton,
    QWidget,
)

from app.gui.timers import debounce_timer
from app.gui.video_options import VideoOptionsEditor

STEPS_PER_SECOND = 100  # slider resolution


class JumpSlider(QSlider):
    """A click on the groove jumps there (a plain slider steps a page towards it)."""

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.LeftButton:
            opt = QStyleOptionSlider()
            self.initStyleOption(opt)
            handle = self.style().subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle,
                                                 self)
            if not handle.contains(event.position().toPoint()):
                span = max(1, self.width() - handle.width())
                x = round(event.position().x() - handle.width() / 2)
                self.setValue(QStyle.sliderValueFromPosition(
                    self.minimum(), self.maximum(), x, span, opt.upsideDown))
        super().mousePressEvent(event)


def _clock(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m)}:{s:04.1f}"


class VideoBar(QWidget):
    """Emits ``seek(seconds)`` when the user scrubs, ``playing(on)`` from the play button."""

    seek = Signal(float)
    playing = Signal(bool)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        self.play_btn = QToolButton()
        self.play_btn.setIcon(qta.icon("fa5s.play"))
        self.play_btn.setCheckable(True)
        self.play_btn.setToolTip("Play / pause the preview (Space)")
        self.slider = JumpSlider(Qt.Horizontal)
        self.slider.setToolTip("Pick the frame to preview; Save exports the whole clip")
        self.time = QLabel("0:00.0 / 0:00.0")
        layout.addWidget(self.play_btn)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.time)
        self.export_options = VideoOptionsEditor()  # used by Save / Save as for the clip
        layout.addWidget(self.export_options)
        self.duration = 0.0
        self.fps = 25.0
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
        if playing and self.slider.value() >= self.slider.maximum():
            self.show_position(0.0)  # play again from the start
        self.playing.emit(playing)

    def set_playing(self, on: bool) -> None:
        self.play_btn.setChecked(on)

    def show_position(self, seconds: float) -> None:
        """Where playback is (no seek)."""
        self.slider.blockSignals(True)
        self.slider.setValue(round(seconds * STEPS_PER_SECOND))
        self.slider.blockSignals(False)
        self._label()

    def stop(self) -> None:
        self.play_btn.setChecked(False)
        self.hide()
