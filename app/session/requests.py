"""The engine requests in flight for what is on screen, and which answers are stale.

The engine answers in its own thread, later; by then the user may have moved a slider again,
opened another photo or turned this one. Each request carries its own reply callback (see
app.gui.workers); this ledger, kept by the session, says whether that reply still belongs
on screen:

- previews: only a reply newer than the preview on screen is shown (a slider drag asks for
  many; the engine skips some, and an older one must never replace a newer one), and none
  asked for an image that has since been replaced (another photo, a turn, a crop);
- the 100% tile: only the one asked last (the view moved on, or the image changed);
- the save: the full-resolution request being saved, if any (its progress and its reply).

Video frames shown by the video player take an id from the same counter as the engine's
requests (the window's engine client hands them out), so a preview asked after a video was
played is newer than its last frame, as it should be.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PendingRequests:
    latest_preview: int = 0  # the newest preview asked for
    shown_preview: int = 0  # the preview (or video frame) on screen; older answers are stale
    detail: int | None = None  # the 100% tile asked for and not yet answered or dropped
    save: int | None = None  # the full-resolution request being saved

    # ---- previews -----------------------------------------------------------------------
    def preview_asked(self, request_id: int) -> None:
        self.latest_preview = max(self.latest_preview, request_id)

    def is_stale(self, request_id: int) -> bool:
        """A preview reply older than the one on screen (or asked for an image replaced)."""
        return request_id <= self.shown_preview

    def preview_shown(self, request_id: int) -> bool:
        """The reply ``request_id`` arrived: True (and it is now the one on screen) unless
        it is stale."""
        if self.is_stale(request_id):
            return False
        self.shown_preview = request_id
        return True

    def frame_shown(self, frame_id: int) -> None:
        """A video frame is on screen, shown without asking the engine: it counts as a
        preview asked and answered at once."""
        self.preview_asked(frame_id)
        self.shown_preview = max(self.shown_preview, frame_id)

    @property
    def preview_waiting(self) -> bool:
        """A preview was asked for that is not on screen yet."""
        return self.latest_preview > self.shown_preview

    def image_replaced(self) -> None:
        """Another image is on screen (a new photo, a turn, a crop, another video frame):
        every answer asked for the old one is stale."""
        self.shown_preview = self.latest_preview
        self.detail = None

    # ---- the 100% view ------------------------------------------------------------------
    def detail_asked(self, request_id: int) -> None:
        self.detail = request_id

    def is_current_detail(self, request_id: int) -> bool:
        return self.detail is not None and request_id == self.detail

    def forget_detail(self) -> None:
        """No tile is wanted any more (the view left 100%, the tile failed, a new frame)."""
        self.detail = None

    # ---- saving -------------------------------------------------------------------------
    def save_started(self, request_id: int) -> None:
        self.save = request_id

    def is_save(self, request_id: int) -> bool:
        return self.save is not None and request_id == self.save

    def save_ended(self) -> None:
        self.save = None

    @property
    def saving(self) -> bool:
        return self.save is not None
