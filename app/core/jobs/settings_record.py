"""Which settings made each output: the per-file record of the report and the text written
into the output's tag (:func:`app.core.media.metadata.output_made_with`), both under the names
the window and the CLI use (:meth:`EnhanceSettings.by_name`). A rerun compares the text with
the one its own settings give to find the outputs that other settings made."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from app.core.jobs.discovery import is_video
from app.core.media.metadata import output_made_with
from app.core.media.video import video_made_with
from app.core.photo_edits import PhotoEdits
from app.core.settings import EnhanceSettings

SettingsFor = Callable[[Path], PhotoEdits]  # each photo's own edits (photo_edits.EditStore.load)


def settings_record(s: EnhanceSettings, edits: PhotoEdits | None = None) -> dict:
    """The settings one file was enhanced with; its turn, straightening and crop too when its
    own edits have any."""
    record = s.by_name()
    if edits is not None and edits.has_geometry:
        c = edits.crop
        record.update(quarter_turns=edits.quarter_turns, straighten=edits.straighten,
                      crop=[c.left, c.top, c.right, c.bottom])
    return record


def made_with_text(record: dict) -> str:
    """``exposure=auto, strength=8, ...``: short, ASCII, one line (an EXIF text field)."""
    def word(v) -> str:
        if isinstance(v, list):
            return "/".join(word(x) for x in v)
        return f"{v:g}" if isinstance(v, float) else str(v)

    return ", ".join(f"{k}={word(v)}" for k, v in record.items())


def made_with_other_settings(output: Path, text: str) -> bool:
    """``output`` (ours) says it was made with settings other than ``text``; an output that
    does not say (a BMP, an older version's) is not counted as other."""
    recorded = video_made_with(output) if is_video(output) else output_made_with(output)
    return bool(recorded) and recorded != text
