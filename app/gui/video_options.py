"""The codec and quality editor used by the video bar and the Batch tab."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QSpinBox, QWidget

from app.core.settings import CRF_RANGE, DEFAULT_CRF, VideoOptions


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
