"""What the window remembers between runs in its QSettings: the last settings used (for a
pasted image, and where the controls start), the saved photos' quality and the video
export's codec and quality."""
from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QSpinBox

from app.core import EnhanceSettings, VideoOptions


def load_settings(store: QSettings) -> EnhanceSettings:
    d = EnhanceSettings()
    try:
        return EnhanceSettings(str(store.value("exposure", d.exposure)),
                               int(store.value("iterations", d.iterations)),
                               int(store.value("scale", d.scale)),
                               str(store.value("denoise", d.denoise))).validated()
    except (TypeError, ValueError):
        return d


def save_settings(store: QSettings, s: EnhanceSettings) -> None:
    store.setValue("exposure", str(s.exposure))
    store.setValue("iterations", s.iterations)
    store.setValue("scale", s.scale)
    store.setValue("denoise", str(s.denoise))


def restore_video_options(store: QSettings, editor) -> None:
    """Show the remembered codec and quality in ``editor`` and remember its changes."""
    try:
        crf = store.value("video_crf")
        editor.set_options(VideoOptions(str(store.value("video_codec", "h264")),
                                        None if crf is None else int(crf)))
    except (TypeError, ValueError):
        pass  # a damaged setting: keep the defaults
    editor.changed.connect(lambda o: (store.setValue("video_codec", o.codec),
                                      store.setValue("video_crf", o.quality)))


def quality_box(store: QSettings) -> QSpinBox:
    """The toolbar's JPEG/WebP quality, remembered."""
    box = QSpinBox()
    box.setRange(50, 100)
    box.setPrefix("Photo quality ")
    box.setToolTip("Quality of saved JPEG and WebP photos: higher is better and makes "
                   "bigger files (PNG and TIFF are lossless)")
    # Only a click gives it the keyboard: arrow keys and Ctrl+V belong to the image.
    box.setFocusPolicy(Qt.ClickFocus)
    try:
        box.setValue(int(store.value("quality", 95)))
    except (TypeError, ValueError):
        pass  # a damaged setting: the default
    box.valueChanged.connect(lambda q: store.setValue("quality", q))
    return box
