"""The View menu's switches: the before/after split, the original in place, clipping
warnings, the raw map, the heatmap pane shown or hidden, and play/pause.

A mixin of :class:`app.gui.main_window.MainWindow`."""
from __future__ import annotations

from app.gui.panes import GAIN_MAP, RAW_MAP


class ViewSwitchesMixin:
    def toggle_compare(self, on: bool) -> None:
        if self.image is None:
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
        self.factor_pane.title.setText("Model's raw map" if on else "Brightening (stops)")

    def toggle_play(self) -> None:
        if self.video_path is not None and self.tabs.currentIndex() == 0:
            self.video_bar.play_btn.toggle()

    def toggle_heatmap(self, on: bool) -> None:
        """Show or hide the heatmap pane: hidden, the photo and the result get its room."""
        self.factor_pane.setVisible(on)
        self.detail.schedule()
        self.sizer.schedule()  # the panes are wider now: another preview size
