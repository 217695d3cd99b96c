"""Progress wording shared by the batch and the video export: one way to say time left."""
from __future__ import annotations


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
