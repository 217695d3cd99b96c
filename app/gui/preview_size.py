"""The live preview's size: the photo as many device pixels as the view shows it, no more.

The engine's per-pixel stage costs about the same per pixel at any size, so rendering a
1,400-pixel copy for a pane that shows 460 of them wasted two thirds of every slider move.
The preview follows the leading view instead (the panes share its size and zoom; the split
view is bigger): re-made, once the view settles, when the window is resized, the layout
switches or the zoom changes. The plan is made on a fixed copy (see MainWindow.plan_source),
so the preview's size changes how many pixels are rendered, never what the plan decides.
"""
from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QObject

from app.gui.timers import debounce_timer

PREVIEW_MAX_SIDE = 1400  # previews run at about a pane's screen size; saving runs at full size

MIN_SIDE = 256  # a hidden or not yet laid-out view must not ask for a thumbnail
FIT_MARGIN = 2  # QGraphicsView.fitInView leaves this many pixels on each side
SETTLE_MS = 80  # a window being dragged larger re-makes the preview once, when it stops


def displayed_scale(view, size: tuple[int, int]) -> float:
    """Device pixels per photo pixel in ``view`` for a photo of ``size`` (w, h): the scale
    that fits it in the view, or the view's zoom."""
    if view.fit_mode:
        port = view.viewport()
        scale = min((port.width() - 2 * FIT_MARGIN) / size[0],
                    (port.height() - 2 * FIT_MARGIN) / size[1])
    else:
        scale = view.zoom()
    return scale * view.devicePixelRatioF()


def preview_side(view, size: tuple[int, int]) -> int:
    """The long side the preview needs to be sharp in ``view``; zoomed in past the old
    preview's size, it stays that size (the 100% view renders real pixels on top)."""
    side = math.ceil(displayed_scale(view, size) * max(size) - 1e-6)
    return max(MIN_SIDE, min(PREVIEW_MAX_SIDE, side))


class PreviewSizer(QObject):
    """Calls ``resize(side)`` when the view the zoom follows needs a preview of another
    size for the session's image."""

    def __init__(self, session, leading_view, resize, parent: QObject | None = None):
        super().__init__(parent)
        self.session, self.leading_view, self.resize = session, leading_view, resize
        self.timer = debounce_timer(self, SETTLE_MS, self.update_now)

    def schedule(self) -> None:
        self.timer.start()

    def wanted(self) -> int | None:
        """The preview's long side for the view on screen; None with nothing to size for."""
        view = self.leading_view()
        image = self.session.image
        if image is None or not view.isVisible():
            return None  # e.g. the batch tab: keep the preview until the photo is seen
        h, w = image.shape[:2]
        return preview_side(view, (w, h))

    def update_now(self) -> None:
        side = self.wanted()
        previews = self.session.previews
        if side is not None and (previews is None or side != previews.side):
            self.resize(side)


def preview_of(image: np.ndarray, max_side: int = PREVIEW_MAX_SIDE) -> np.ndarray:
    """The image at about screen resolution (area-averaged), for live previews."""
    import cv2

    h, w = image.shape[:2]
    f = max_side / max(h, w)
    if f >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * f)), max(1, round(h * f))),
                      interpolation=cv2.INTER_AREA)
