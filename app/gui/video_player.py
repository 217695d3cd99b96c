"""The window's video preview: real-time playback and still frames, both from the export's
video engine (:mod:`app.core.jobs.video_preview`), so what is on screen is what Save writes.

- Play: a thread decodes from the scrubber's moment at the view's size, enhances with the
  video engine and shows each frame at its moment on a wall clock; frames that are late
  are dropped (the sound is not played), so playback keeps real time on any machine.
- Pause, a scrubber click or drag, a change of settings: the frame at that moment, first as
  the video engine makes it as the first of a shot (at once), then exactly as the export
  makes it (the seconds before it replayed: a second or two on 1080p).

Only the newest job runs: a new one cancels the last (its thread stops at the next frame)
and waits for it before it uses the one engine they share.

The player takes the session (the video open, the still frame becomes its image), the
video bar, the display and the callbacks it needs, not the window.
"""
from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Signal

from app.core import BatchControl, Cancelled, read_frame
from app.core.jobs.video_preview import (
    PREVIEW_SIDE,
    Playback,
    PreviewFrame,
    exported_frame,
    quick_frame,
)
from app.gui.controls import settings_caption
from app.gui.histogram import summary as histogram_summary
from app.gui.preview_size import preview_of
from app.session.session import Session

QUICK, STILL, PLAY = "quick", "still", "play"
JOIN_TIMEOUT = 10.0  # a cancelled job stops within a frame (or a frame's decode)
HISTOGRAM_EVERY = 0.5  # seconds of the clip between a playing video's histograms


class VideoPlayer(QObject):
    """Plays the session's video. ``settings()`` is the settings on screen,
    ``enhancer_factory`` makes the video engine, ``make_previews(image)`` makes a still's
    preview copies, ``caption(text)`` is the enhanced pane's footer, ``new_id()`` numbers a
    frame shown (from the engine's counter: see app.session.requests), ``on_shown(id)`` is
    called once it is on screen, ``show_error(text)`` tells the user, ``reset_detail()``
    drops the 100% view's tile (a paused frame's is a crop of :meth:`exported`) and
    ``show_histogram(frame_id, found)`` takes the shown frame's histogram summary."""

    frame_ready = Signal(object, str, int)  # PreviewFrame, kind, job
    failed = Signal(str, int)
    finished = Signal(int)  # a playback reached the end of the clip

    def __init__(self, session: Session, video_bar, display, *, settings, enhancer_factory,
                 make_previews, caption, new_id, on_shown, show_error,
                 reset_detail=lambda: None, show_histogram=lambda frame_id, found: None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.video_bar, self.display = session, video_bar, display
        self.settings, self.enhancer_factory = settings, enhancer_factory
        self.make_previews, self.caption = make_previews, caption
        self.new_id, self.on_shown, self.show_error = new_id, on_shown, show_error
        self.reset_detail, self.show_histogram = reset_detail, show_histogram
        self._histogram_at: float | None = None  # the played moment of the last histogram
        self._enhancer = None  # built in a job's thread on first use, then shared
        self._job = 0
        self._thread: threading.Thread | None = None
        self._control = BatchControl()
        self.playing = False
        self.still: PreviewFrame | None = None  # the paused frame as exported, once made
        self.shown: list[float] = []  # moments of the frames shown since play (tests, bench)
        self.frame_ready.connect(self._show)
        self.failed.connect(self._fail)
        self.finished.connect(self._end)
        video_bar.playing.connect(self.set_playing)

    # ---- what the window asks ---------------------------------------------------------
    def set_playing(self, on: bool) -> None:
        if on == self.playing:
            return
        self.playing = on
        if on:
            self._start(PLAY, self.video_bar.position())
        else:
            self.show_still(self.video_bar.position())

    def show_still(self, seconds: float) -> None:
        """The frame at ``seconds`` as exported (a quick version first)."""
        if self.playing:  # a click on the scrubber while playing: play on from there
            self._start(PLAY, seconds)
        else:
            self._start(STILL, seconds)

    def exported(self):
        """The exported frame on screen (full size, RGB), or None while it is being made
        (the window's 100% view shows a crop of it: what the export writes)."""
        still = self.still
        if still is None or self.session.image is not still.original:
            return None
        return still.enhanced

    def shutdown(self) -> None:
        """The window closes: the running job stops at its next frame."""
        self.playing = False
        self._job += 1
        self._control.cancel()
        if self._thread is not None:
            self._thread.join(timeout=JOIN_TIMEOUT)

    # ---- jobs -------------------------------------------------------------------------
    def _start(self, kind: str, seconds: float) -> None:
        session = self.session
        self._job += 1
        self._control.cancel()  # the last job ends at its next frame
        if session.video_path is None:
            return  # a photo was opened
        control, job, last = BatchControl(), self._job, self._thread
        self._control, self.still = control, None
        if kind == PLAY:
            self.shown, self._histogram_at = [], None
            self.reset_detail()  # no 100% tile of the paused frame over the playback
        side = session.previews.side if session.previews else 0
        args = (kind, job, control, last, session.video_path, seconds, self.settings(),
                session.video_info.fps, min(PREVIEW_SIDE, side or PREVIEW_SIDE))
        self._thread = threading.Thread(target=self._run, args=args, daemon=True,
                                        name=f"video-{kind}")
        self._thread.start()

    def _engine(self):
        if self._enhancer is None:
            self._enhancer = self.enhancer_factory()
        return self._enhancer

    def _run(self, kind, job, control, last, path, seconds, settings, fps, side) -> None:
        if last is not None:
            last.join()  # the engine is one: the cancelled job lets go of it first
        try:
            control.checkpoint()
            if kind == STILL:
                rgb = read_frame(path, seconds)
                self.frame_ready.emit(quick_frame(rgb, seconds, self._engine(), settings, fps),
                                      QUICK, job)
                control.checkpoint()
                self.frame_ready.emit(exported_frame(path, seconds, self._engine(), settings,
                                                     control), STILL, job)
                return
            self._play(job, control, path, seconds, settings, side)
        except Cancelled:
            pass
        except Exception as exc:  # noqa: BLE001 - shown in the window, never a crash
            self.failed.emit(str(exc) or type(exc).__name__, job)

    def _play(self, job, control, path, seconds, settings, side) -> None:
        playback = Playback(path, self._engine(), settings, seconds, side, control)
        started = time.monotonic()

        def now() -> float:
            return seconds + time.monotonic() - started

        for frame in playback.frames(now):
            wait = frame.seconds - now()
            if wait > 0:
                time.sleep(wait)
            control.checkpoint()
            self.frame_ready.emit(frame, PLAY, job)
        self.finished.emit(job)

    # ---- results, in the window's thread -----------------------------------------------
    def _show(self, frame: PreviewFrame, kind: str, job: int) -> None:
        session = self.session
        if job != self._job or session.video_path is None:
            return  # stale: a newer job runs
        size = (session.video_info.width, session.video_info.height)
        if kind != PLAY:  # the session's image follows the still (Save, 100% view)
            self.still = frame if kind == STILL else None
            session.show_frame(frame.original)
            self.make_previews(frame.original)
            previews = session.previews
            shown, before = preview_of(frame.enhanced, previews.side), previews.shown
        else:
            shown, before = frame.enhanced, frame.original
            self.video_bar.show_position(frame.seconds)
            self.shown.append(frame.seconds)
        self.display.set_input(before, size)
        settings = self.settings()
        self.display.set_output(shown, frame.gain, None, settings)
        self.caption(settings_caption(settings))
        frame_id = self.new_id()
        session.pending.frame_shown(frame_id)
        self.on_shown(frame_id)
        # the histogram of what is shown: every still, and a played frame every
        # HISTOGRAM_EVERY seconds of the clip (a frame's summary takes a millisecond or two)
        at = self._histogram_at
        if kind != PLAY or at is None or abs(frame.seconds - at) >= HISTOGRAM_EVERY:
            self._histogram_at = frame.seconds if kind == PLAY else None
            self.show_histogram(frame_id, histogram_summary(shown))
        if kind == STILL:
            self.reset_detail()  # the 100% view: a crop of this frame, as exported

    def _fail(self, message: str, job: int) -> None:
        if job == self._job:
            self.playing = False
            self.video_bar.set_playing(False)
            self.show_error(message)

    def _end(self, job: int) -> None:
        if job == self._job:
            self.video_bar.set_playing(False)  # shows the last frame as exported
