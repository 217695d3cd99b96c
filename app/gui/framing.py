"""The open photo's framing: turning, straightening, cropping to a ratio and the crop tool,
from the Frame row and the Photo menu into the photo's edits (kept in its sidecar), and
back onto the screen.

While the crop tool is on, the views show the whole turned and straightened frame with the
crop rectangle over it (:mod:`app.gui.crop_frame`); turning the tool off (or opening
another photo) keeps the rectangle and shows the cropped photo again.

The controller takes the session (the photo and its edits), the Frame row, and three
callbacks: ``leading_view()`` (the view the crop rectangle is drawn in), ``reshow_image()``
(the photo's pixels changed: show them) and ``edits_changed(gathered)`` (keep the edits
soon, and make the change undoable: at once, or ``gathered`` with the next few)."""
from __future__ import annotations

from PySide6.QtCore import QObject, QRectF

from app.core import Crop, PhotoEdits, straightened_size
from app.gui.crop_frame import CropFrame
from app.gui.geometry_bar import (
    ORIGINAL,
    GeometryBar,
    centred_crop,
    oriented,
    turned_crop,
)
from app.session.session import Session


class GeometryController(QObject):
    def __init__(self, session: Session, bar: GeometryBar, *, leading_view, reshow_image,
                 edits_changed, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.bar = session, bar
        self.leading_view, self.reshow_image = leading_view, reshow_image
        self.edits_changed = edits_changed
        self.frame_item: CropFrame | None = None
        bar.turn.connect(self.turn)
        bar.straighten.connect(lambda deg: self._apply(gathered=True, straighten=deg))
        bar.ratio.connect(self.set_ratio)
        bar.crop_tool.connect(self.set_crop_tool)

    def frame(self, edits: PhotoEdits | None = None) -> tuple[int, int] | None:
        """The open photo's size turned and straightened as ``edits`` say (before the crop)."""
        original = self.session.original
        if original is None:
            return None
        edits = edits or self.session.edits
        h, w = original.shape[:2]
        if edits.quarter_turns % 2:
            w, h = h, w
        return straightened_size(w, h, edits.straighten)

    def turn(self, delta: int) -> None:
        """A quarter turn; the crop turns with the photo."""
        e = self.session.edits
        if self.frame() is None or not self.session.in_catalog:
            return
        self._apply(quarter_turns=(e.quarter_turns + delta) % 4,
                    crop=turned_crop(e.crop, delta))

    def set_ratio(self, ratio) -> None:
        """A ratio chosen: its centred crop ("Free" keeps the crop and frees the tool)."""
        frame = self.frame()
        if frame is None:
            return
        if self.frame_item is not None:  # the tool is on: the rectangle takes the ratio
            self.frame_item.ratio = oriented(ratio, *frame)
            if ratio is not None:
                self._place(centred_crop(*frame, ratio))
            return
        if ratio is not None:
            self._apply(crop=centred_crop(*frame, ratio))

    def _apply(self, gathered: bool = False, **changes) -> None:
        """``gathered``: one of a run of small changes (the angle's arrows), undone as one."""
        if not self.session.in_catalog:
            return
        self.end_crop_tool()
        if self.session.set_geometry(**changes):
            self.edits_changed(gathered)
            self.reshow_image()
        self.show()

    def show(self) -> None:
        self.bar.show_edits(self.session.edits, self.frame(), self.session.in_catalog)

    # ---- the crop tool ------------------------------------------------------------------
    def set_crop_tool(self, on: bool) -> None:
        if on:
            self.start_crop_tool()
        else:
            self.end_crop_tool()

    def start_crop_tool(self) -> None:
        frame = self.frame()
        if self.frame_item is not None or frame is None or not self.session.in_catalog:
            self.bar.set_tool(self.frame_item is not None)
            return
        self.session.show_uncropped = True
        if self.session.refresh_geometry():
            self.reshow_image()
        ratio = self.bar.chosen_ratio()
        self.frame_item = CropFrame(QRectF(0, 0, *frame), self.session.edits.crop,
                                    oriented(ratio, *frame) if ratio != ORIGINAL or
                                    self.session.edits.crop.is_full else None)
        self.leading_view().scene().addItem(self.frame_item)
        self.bar.set_tool(True)

    def _place(self, crop: Crop) -> None:
        b = self.frame_item.bounds
        self.frame_item.set_rect(QRectF(crop.left * b.width(), crop.top * b.height(),
                                        (crop.right - crop.left) * b.width(),
                                        (crop.bottom - crop.top) * b.height()))

    def end_crop_tool(self) -> None:
        """Keep the rectangle drawn as the photo's crop and show the cropped photo."""
        item, self.frame_item = self.frame_item, None
        self.bar.set_tool(False)
        if item is None:
            return
        crop = item.crop()
        if item.scene() is not None:
            item.scene().removeItem(item)
        self.session.show_uncropped = False
        if self.session.in_catalog:
            self.session.catalog.update(self.session.path, crop=crop)
            self.edits_changed()
        if self.session.refresh_geometry():
            self.reshow_image()
        self.show()
