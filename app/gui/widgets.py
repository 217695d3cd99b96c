"""Small widgets and helpers shared by the window's parts."""
from __future__ import annotations

import time

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.core.settings import CRF_RANGE, DEFAULT_CRF, VideoOptions

PREVIEW_MAX_SIDE = 1400  # previews run at about a pane's screen size; saving runs at full size


def debounce_timer(parent: QObject, ms: int, slot) -> QTimer:
    """A single-shot timer that calls ``slot`` ``ms`` after its last start(): a burst of
    changes (a drag, a resize) does the work once, when it pauses."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(ms)
    timer.timeout.connect(slot)
    return timer


def preview_of(image: np.ndarray, max_side: int = PREVIEW_MAX_SIDE) -> np.ndarray:
    """The image at about screen resolution (area-averaged), for live previews."""
    import cv2

    h, w = image.shape[:2]
    f = max_side / max(h, w)
    if f >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))),
                      interpolation=cv2.INTER_AREA)


def time_left_text(seconds: float) -> str:
    """'about 40 s left', 'about 3 min 5 s left', 'about 1 h 12 min left'."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"about {seconds} s left"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"about {minutes} min {seconds} s left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes} min left"


def frames_progress_text(done: int, total: int, fps: float) -> str:
    """Progress of a video export: frames, speed and the time left at that speed."""
    text = f"frame {done} of {total}, {fps:.1f} fps"
    if fps > 0 and total > done:
        text += f", {time_left_text((total - done) / fps)}"
    return text


class MessageBar(QWidget):
    """Inline, non-modal error/info banner: the app keeps running, nothing pops up."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QPushButton(qta.icon("fa5s.times"), "")
        close.setFlat(True)
        close.setToolTip("Close this message")
        close.clicked.connect(self.hide)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self.hide()

    def show_error(self, message: str) -> None:
        self.icon.setPixmap(qta.icon("fa5s.exclamation-triangle", color="#b45309").pixmap(16, 16))
        self.setStyleSheet("background: #fef3c7; color: #78350f; border-radius: 4px;")
        self.text.setText(message)
        self.show()




class VideoOptionsEditor(QWidget):
    """Codec and quality (CRF) of exported videos; picking a codec resets the CRF to that
    codec's default, since the two codecs' scales differ."""

    changed = Signal(object)  # VideoOptions

    def __init__(self, options: VideoOptions | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.codec = QComboBox()
        self.codec.addItem("H.264", "h264")
        self.codec.addItem("H.265 (smaller, slower)", "h265")
        self.codec.setToolTip("Codec of exported videos; the sound is copied as it is")
        self.crf = QSpinBox()
        self.crf.setRange(*CRF_RANGE)
        self.crf.setPrefix("Video CRF ")
        # Photo quality goes up for better; a CRF goes down: say so where it is set.
        self.crf.setToolTip("Video quality as a CRF, 0-51: lower is better quality and "
                            f"bigger files (defaults: H.264 {DEFAULT_CRF['h264']}, "
                            f"H.265 {DEFAULT_CRF['h265']})")
        layout.addWidget(self.codec)
        layout.addWidget(self.crf)
        layout.addStretch(1)  # stay compact in a form row
        self.set_options(options or VideoOptions())
        self.codec.currentIndexChanged.connect(self._codec_changed)
        self.crf.valueChanged.connect(lambda _v: self.changed.emit(self.options()))

    def options(self) -> VideoOptions:
        return VideoOptions(self.codec.currentData(), self.crf.value())

    def set_options(self, options: VideoOptions) -> None:
        options = options.validated()
        self.codec.blockSignals(True)
        self.codec.setCurrentIndex(self.codec.findData(options.codec))
        self.codec.blockSignals(False)
        self.crf.setValue(options.quality)

    def _codec_changed(self, _index: int) -> None:
        self.crf.blockSignals(True)
        self.crf.setValue(DEFAULT_CRF[self.codec.currentData()])
        self.crf.blockSignals(False)
        self.changed.emit(self.options())


def wait_for(condition, timeout_s: float = 10.0) -> bool:
    """Run the event loop until ``condition()`` is true (self-test and scripts)."""
    deadline = time.monotonic() + timeout_s
    app = QApplication.instance()
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.002)
    return True
