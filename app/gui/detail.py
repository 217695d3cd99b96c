"""The 100% view: what you see is what you save.

Below 100% the panes show the preview (as many pixels as they display, at most 1,400 on the
long side; see preview_size). At 100% and above, the visible part of
the photo (plus a margin, so small pans need nothing new) is rendered at full resolution by
the worker, with the plan of the whole photo (the one the save uses), and drawn over the
enlarged preview: coarse first, then the real pixels. The input side gets the original's
pixels of the same region at once. A video's frame is the video engine's, as the export
writes it (the photo path on the same frame differs by a few levels, and more at the edges
of lit things): its tile is a crop of the exported frame the player made, and until that
has come (the quick first-of-shot version is on screen) the enlarged preview stays."""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject, Signal

from app.gui.timers import debounce_timer
from app.gui.workers import DETAIL, Reply

MARGIN = 128  # image pixels rendered beyond each visible edge
SETTLE_MS = 60  # wait for zooming and panning to pause before asking the worker
Region = tuple[int, int, int, int]  # top, bottom, left, right


def covers(outer: Region | None, inner: Region) -> bool:
    if outer is None:
        return False
    return (outer[0] <= inner[0] and inner[1] <= outer[1] and outer[2] <= inner[2]
            and inner[3] <= outer[3])


class DetailController(QObject):
    """Asks the engine for the visible region at full resolution and shows it. Takes what
    it works with, not the window: the session (the image, its previews, and which tile is
    in flight: a reply for any other is stale), the engine, the display, the view the zoom
    follows, the settings on screen and where errors go."""

    shown = Signal(int)  # id of the request whose pixels are now on screen

    def __init__(self, session, engine, display, leading_view, settings, on_error,
                 parent: QObject | None = None, video_frame=None):
        super().__init__(parent)
        self.session, self.engine, self.display = session, engine, display
        self.leading_view, self.settings, self.on_error = leading_view, settings, on_error
        # () -> the video engine's full-size output for the frame on screen (None while it
        # is being made), for a video
        self.video_frame = video_frame
        self.timer = debounce_timer(self, SETTLE_MS, self.update_now)
        self._asked = None  # (image, settings, region) of the tile shown or on its way
        self._input_region: Region | None = None

    def schedule(self) -> None:
        self.timer.start()

    def reset(self) -> None:
        """A new photo or frame: nothing shown belongs to it."""
        self._asked = None
        self._input_region = None
        self.session.pending.forget_detail()
        self.display.clear_tiles()
        self.schedule()

    def wanted(self, margin: int = MARGIN) -> Region | None:
        """The region to show at full resolution, or None below 100%."""
        image = self.session.image
        view = self.leading_view()
        if image is None or view.fit_mode or view.zoom() < 0.999 or not view.isVisible():
            return None
        previews = self.session.previews
        if previews is not None and previews.plan_is_photo:
            # a photo within the plan's copy: the preview, made at the zoom's size (see
            # preview_size), is the photo's own pixels with the save's plan
            return None
        seen = view.visible_rect()
        if seen.isEmpty():
            return None
        h, w = image.shape[:2]
        top = max(0, math.floor(seen.top()) - margin)
        bottom = min(h, math.ceil(seen.bottom()) + margin)
        left = max(0, math.floor(seen.left()) - margin)
        right = min(w, math.ceil(seen.right()) + margin)
        return (top, bottom, left, right) if bottom > top and right > left else None

    def update_now(self) -> None:
        need = self.wanted(margin=0)
        if need is None:
            if self._asked is not None or self._input_region is not None:
                self._asked = self._input_region = None
                self.session.pending.forget_detail()
                self.display.clear_tiles()
            return
        region = self.wanted()
        image = self.session.image
        if not covers(self._input_region, need):  # the original's pixels need no engine
            top, bottom, left, right = region
            self.display.set_input_tile(image[top:bottom, left:right], left, top)
            self._input_region = region
        settings = self.settings()
        asked = self._asked
        if (asked is not None and asked[0] is image and asked[1] == settings
                and covers(asked[2], need)):
            return  # on screen already, or on its way
        if self.session.video_path is not None and self.video_frame is not None:
            self._show_video_tile(image, settings, region)
            return
        req = self.engine.request(image, settings, DETAIL, region, on_reply=self.on_reply,
                                  on_failure=self.on_failure)
        self.session.pending.detail_asked(req.id)
        self._asked = (image, settings, region)

    def _show_video_tile(self, image, settings, region: Region) -> None:
        """The region of the exported frame (no engine request: the photo path is not what
        the export writes); nothing new while the player is still making it (it asks again
        when the frame comes, see VideoPlayer)."""
        enhanced = self.video_frame()
        if enhanced is None or enhanced.shape[:2] != image.shape[:2]:
            return
        top, bottom, left, right = region
        self._asked = (image, settings, region)
        # nothing in flight now: a tile asked of the engine before is stale
        self.session.pending.forget_detail()
        self.display.set_output_tile(
            np.ascontiguousarray(enhanced[top:bottom, left:right]), left, top, settings)
        self.shown.emit(self.engine.new_id())  # numbered as the engine's replies are

    def on_reply(self, reply: Reply) -> None:
        if not self.session.pending.is_current_detail(reply.id) or self._asked is None:
            return  # the view, the settings or the image moved on
        self.session.pending.forget_detail()  # answered: on screen now
        top, _, left, _ = reply.region
        self.display.set_output_tile(reply.image, left, top, reply.settings)
        self.shown.emit(reply.id)

    def on_failure(self, message: str) -> None:
        """The tile failed: it is asked again on the next move, and the window says why.
        ("cancelled": a newer tile replaced it, and is on its way.)"""
        if message == "cancelled":
            return
        self._asked = None
        self.session.pending.forget_detail()
        self.on_error(message)
