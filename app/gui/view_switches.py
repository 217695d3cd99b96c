"""The View menu's switches: the before/after split, the original in place, clipping
warnings, the raw map, the heatmap pane shown or hidden, and play/pause.

:class:`ViewSwitches` takes the session (is anything open, is it a video) and the widgets
it switches; ``leading_view()`` and ``focus_image()`` are the window's (which view the
zoom follows, and giving it the keyboard), ``photo_tab_shown()`` whether the Photo tab is
the one on screen."""
from __future__ import annotations

from app.gui.panes import GAIN_MAP, RAW_MAP
from app.session.session import Session


class ViewSwitches:
    def __init__(self, session: Session, *, display, histogram, view_stack, side_by_side,
                 split_view, output_pane, factor_pane, video_bar, detail, sizer,
                 leading_view, focus_image, photo_tab_shown):
        self.session, self.display, self.histogram = session, display, histogram
        self.view_stack, self.side_by_side = view_stack, side_by_side
        self.split_view, self.output_pane, self.factor_pane = split_view, output_pane, factor_pane
        self.video_bar, self.detail, self.sizer = video_bar, detail, sizer
        self.leading_view, self.focus_image = leading_view, focus_image
        self.photo_tab_shown = photo_tab_shown

    def toggle_compare(self, on: bool) -> None:
        if self.session.image is None:
            return
        leaving = self.leading_view()
        self.view_stack.setCurrentWidget(self.split_view if on else self.side_by_side)
        arriving = self.leading_view()
        arriving.copy_view_from(leaving)  # same zoom and centre in the other layout
        self.focus_image()
        self.detail.schedule()
        self.sizer.schedule()  # the split view is bigger than a pane

    def toggle_before(self, on: bool) -> None:
        self.display.set_show_before(on)
        self.output_pane.title.setText("Before (\\ shows the enhanced)" if on else "Enhanced")

    def toggle_clipping(self, on: bool) -> None:
        self.display.set_clipping(on)
        self.histogram.set_overlay(on)

    def toggle_raw_map(self, on: bool) -> None:
        self.display.set_heat_mode(RAW_MAP if on else GAIN_MAP)
        self.factor_pane.title.setText(*(("Model's raw map", "Raw") if on
                                         else ("Brightening (stops)", "EV")))

    def toggle_play(self) -> None:
        if self.session.video_path is not None and self.photo_tab_shown():
            self.video_bar.play_btn.toggle()

    def toggle_heatmap(self, on: bool) -> None:
        """Show or hide the heatmap pane: hidden, the photo and the result get its room."""
        self.factor_pane.setVisible(on)
        self.detail.schedule()
        self.sizer.schedule()  # the panes are wider now: another preview size
