"""The batch's rate and time left (Qt-free; every time is given, so tests need no clock).

Photos and videos cost differently: photos are counted at the rate photos finish, videos by
their frames still to come at the frame rate videos run at. Paused time counts for neither.
"""
from __future__ import annotations

from app.gui.progress_text import time_left_text

# Frames a second assumed for videos until one has run: about half the bench's 24.9 fps
# (README), as on a loaded laptop; replaced by what the batch measures.
GUESSED_FPS = 12.0


class BatchClock:
    def __init__(self, video_frames: dict[int, int], photos: int, now: float):
        self.video_frames = dict(video_frames)  # index -> frames, videos still to come
        self.photos_left = photos
        self.start, self.paused_at, self.paused_for = now, None, 0.0
        self.done = 0  # files ended, skipped ones too (the rate shown)
        self.photos_made = 0  # photos enhanced or failed: the ones that took time
        self.video_since: float | None = None  # active time the running video began at
        self.video_time = 0.0  # active seconds spent on videos
        self.running_video: int | None = None
        self.frames_done = 0  # of the running video
        self.fps = 0.0  # frames/s of the videos, as measured

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def pause(self, now: float) -> None:
        if self.paused_at is None:
            self.paused_at = now

    def resume(self, now: float) -> None:
        if self.paused_at is not None:
            self.paused_for += now - self.paused_at
            self.paused_at = None

    def active(self, now: float) -> float:
        """Seconds the batch has worked (pauses left out)."""
        end = self.paused_at if self.paused_at is not None else now
        return max(0.0, end - self.start - self.paused_for)

    def started(self, index: int, now: float) -> None:
        if index in self.video_frames:
            self.running_video, self.frames_done = index, 0
            self.video_since = self.active(now)

    def video_progress(self, frames_done: int, fps: float) -> None:
        self.frames_done = frames_done
        if fps > 0:
            self.fps = fps

    def finished(self, index: int, now: float, worked: bool = True) -> None:
        """A file ended; ``worked`` False for one skipped or cancelled without work."""
        self.done += 1
        if index in self.video_frames:
            self.video_frames.pop(index)
            if index == self.running_video and self.video_since is not None:
                self.video_time += self.active(now) - self.video_since
                self.running_video, self.video_since = None, None
        else:
            self.photos_left = max(0, self.photos_left - 1)
            self.photos_made += worked

    def seconds_left(self, now: float) -> float | None:
        """None until there is anything to go by."""
        active = self.active(now)
        running = active - self.video_since if self.video_since is not None else 0.0
        photo_time = active - self.video_time - running
        if self.photos_left and self.photos_made == 0:
            return None
        left = self.photos_left * photo_time / self.photos_made if self.photos_left else 0.0
        frames = sum(self.video_frames.values()) - self.frames_done
        return left + max(0, frames) / (self.fps or GUESSED_FPS)

    def text(self, now: float) -> str:
        """"Paused", or "1.5 files/s, about 2 min 5 s left"."""
        if self.paused:
            return "Paused"
        active = self.active(now)
        rate = self.done / active if active > 0 else 0.0
        left = self.seconds_left(now)
        return f"{rate:.1f} files/s" + (f", {time_left_text(left)}" if left is not None else "")
