"""The window's state without the window: the folder's catalog, the photo or video on screen
(its path, pixels, metadata, preview copies) and its edits. The GUI observes it; tests
drive it alone.

``image`` is what is enhanced, shown and saved: the photo as read (``original``) turned,
straightened and cropped as its edits say, so the preview, the 100% view and Save agree.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from app.core import (
    Crop,
    EditStore,
    EnhanceSettings,
    ImageMeta,
    PhotoEdits,
    VideoInfo,
    apply_geometry,
    is_video,
)
from app.session.catalog import Catalog
from app.session.history import History, Step
from app.session.photo_cache import PhotoCache
from app.session.requests import PendingRequests


def geometry_key(edits: PhotoEdits) -> tuple:
    return ("geometry", edits.quarter_turns, edits.straighten, edits.crop)


def plan_copy_key(edits: PhotoEdits) -> tuple:
    """Where the photo's plan copy (framed as ``edits`` say) is kept in the photo cache."""
    return ("plan_source", edits.quarter_turns, edits.straighten, edits.crop)


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


@dataclass
class Previews:
    """The two small copies of the image: ``plan_source``, the fixed-size copy the preview's
    plan looks at, and ``shown``, as many pixels as the view displays. ``plan_is_photo``:
    the photo is no bigger than the plan's copy, so the copy *is* the photo and the
    preview already shows its real pixels (no 100% tiles needed)."""

    plan_source: np.ndarray
    shown: np.ndarray
    side: int
    plan_is_photo: bool


class Session:
    def __init__(self, store: EditStore | None = None):
        self.catalog = Catalog(store)
        self.photos = PhotoCache()
        self.path: Path | None = None
        self.original: np.ndarray | None = None  # as read, upright
        self.image: np.ndarray | None = None  # with its geometry: enhanced, shown, saved
        self.meta: ImageMeta | None = None
        self.video_path: Path | None = None
        self.video_info: VideoInfo | None = None
        self.previews: Previews | None = None
        self.loose_settings = EnhanceSettings()  # a pasted image's (no file, no sidecar)
        self.show_uncropped = False  # the crop tool is on: the whole frame is shown
        self.pending = PendingRequests()  # the engine's answers still to come, and stale ones
        self._histories: dict[Path, History] = {}
        self._loose_history: History | None = None

    # ---- what is open -------------------------------------------------------------------
    @property
    def in_catalog(self) -> bool:
        """The open file belongs to the catalog (its edits are kept in its sidecar)."""
        return self.path is not None and self.video_path is None and \
            self.path in self.catalog.paths

    def show(self, original: np.ndarray, meta: ImageMeta, path: Path | None,
             video: VideoInfo | None = None) -> None:
        """A new photo (or video frame) is on screen; its image gets its edits' geometry."""
        self.path, self.original, self.meta = path, original, meta
        self.show_uncropped = False
        self.video_path = path if video is not None or (path and is_video(path)) else None
        self.video_info = video
        self.previews = None
        self.image = self._with_geometry()
        self.pending.image_replaced()

    def show_frame(self, frame: np.ndarray) -> None:
        """Another frame of the open video."""
        self.original = self.image = frame
        self.previews = None
        self.pending.image_replaced()

    @property
    def shown_edits(self) -> PhotoEdits:
        """The edits the image on screen has: without the crop while the crop tool is on."""
        edits = self.edits
        return replace(edits, crop=Crop()) if self.show_uncropped else edits

    def _with_geometry(self) -> np.ndarray:
        edits, original = self.shown_edits, self.original
        if original is None or not edits.has_geometry:
            return original

        def make():
            return _frozen(apply_geometry(original, edits))

        return self.photos.extra(self.path, geometry_key(edits), make) if self.path else make()

    def prepare(self, path: Path, edits: PhotoEdits, shrink) -> None:
        """Decode ``path`` and make its framed image and its plan copy (``shrink(image)``)
        ahead of time, so opening it next is instant. Any thread; ``edits`` is a snapshot
        taken in the window's thread (the catalog is not thread-safe)."""
        original, _ = self.photos.read(path)
        image = original
        if edits.has_geometry:
            image = self.photos.extra(path, geometry_key(edits),
                                      lambda: _frozen(apply_geometry(original, edits)))
        self.photos.extra(path, plan_copy_key(edits), lambda: _frozen(shrink(image)))

    # ---- its edits ----------------------------------------------------------------------
    def history(self) -> History:
        """The open photo's undo steps (:class:`~app.session.history.Step`: its settings and
        framing), kept while the app runs (a file of the folder has its own; anything else
        shares one), brought up to date with its edits."""
        if self.in_catalog:
            found = self._histories.setdefault(self.path, History(self.step()))
        else:
            if self._loose_history is None:
                self._loose_history = History(self.step())
            found = self._loose_history
        found.catch_up(self.step())
        return found

    def step(self) -> Step:
        """The open photo's edits as an undo step."""
        return Step.of(self.edits)

    def go_to(self, step: Step) -> bool:
        """Undo or redo: the open photo's settings and framing become ``step``'s; True if
        its image changed (then the window shows the new one)."""
        self.set_settings(step.settings)
        return self.set_geometry(**step.framing)

    @property
    def edits(self) -> PhotoEdits:
        if self.in_catalog:
            return self.catalog.edits(self.path)
        return PhotoEdits(settings=self.loose_settings)

    @property
    def settings(self) -> EnhanceSettings:
        return self.edits.settings

    def set_settings(self, s: EnhanceSettings) -> None:
        if self.in_catalog:
            self.catalog.update(self.path, settings=s)
        else:
            self.loose_settings = s.validated()

    def refresh_geometry(self) -> bool:
        """The edits changed elsewhere (reset, paste): True if the image is another now."""
        if self.original is None or self.video_path is not None:
            return False
        image = self._with_geometry()
        if image is self.image:
            return False
        self.image, self.previews = image, None
        self.pending.image_replaced()
        return True

    def set_geometry(self, **changes) -> bool:
        """Turn, straighten or crop the open photo (kept in its edits); True if the image
        changed (the window then shows the new one)."""
        if not self.in_catalog or self.original is None:
            return False
        before = self.edits
        after = self.catalog.update(self.path, **changes)
        if (after.quarter_turns, after.straighten, after.crop) == \
                (before.quarter_turns, before.straighten, before.crop):
            return False
        self.image = self._with_geometry()
        self.previews = None
        self.pending.image_replaced()
        return True
