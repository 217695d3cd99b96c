"""What the window remembers between runs in its QSettings: the last settings used (for a
pasted image, and where the controls start) and the video export's codec and quality."""
from __future__ import annotations

from PySide6.QtCore import QSettings

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
