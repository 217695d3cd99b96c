"""What the views show, from what the window holds: the screen-sized previews, the
full-resolution tiles of the 100% view, the heatmap (the gain in stops, or the model's raw
map), before/after in place (\\) and the clipping overlay (J). One place decides, so the
panes and the split view always agree."""
from __future__ import annotations

import math

import numpy as np

from app.core import HEATMAP_STOPS, EnhanceSettings, gain_heatmap
from app.gui.convert import to_pixmap
from app.gui.histogram import clipping_overlay
from app.gui.panes import GAIN_MAP, RAW_MAP, HeatmapLegend, ImageView
from app.gui.split_view import SplitView

Tile = tuple[np.ndarray, int, int]  # pixels, left, top (image pixels)


def fitted_stops(gain: np.ndarray) -> float:
    """The heatmap's scale for this photo: its largest brightening or darkening (99th
    percentile), rounded up to half a stop, within 0.5 and the engine's cap. On the fixed
    +-5 EV scale a typical +1 to +3 EV photo came out one flat salmon."""
    top = float(np.percentile(np.abs(gain), 99)) if gain.size else 0.0
    return float(min(HEATMAP_STOPS, max(0.5, math.ceil(top * 2) / 2)))


class Display:
    def __init__(self, input_view: ImageView, output_view: ImageView, heat_view: ImageView,
                 split: SplitView, legend: HeatmapLegend):
        self.input_view, self.output_view, self.heat_view = input_view, output_view, heat_view
        self.split, self.legend = split, legend
        self.size: tuple[int, int] | None = None  # the photo's (w, h): the scenes' units
        self.preview: np.ndarray | None = None
        self.output: np.ndarray | None = None
        self.gain: np.ndarray | None = None
        self.factor: np.ndarray | None = None
        self.input_tile: Tile | None = None
        self.output_tile: Tile | None = None
        self.output_tile_settings: EnhanceSettings | None = None
        self.show_before = False
        self.clipping = False
        self.heat_mode = GAIN_MAP

    # ---- content ------------------------------------------------------------------------
    def set_input(self, preview: np.ndarray, size: tuple[int, int]) -> None:
        self.size = size
        self.set_preview(preview)
        self.clear_tiles()

    def set_preview(self, preview: np.ndarray) -> None:
        """The same photo's preview at another size (the view changed size): the output
        shown stays, scaled, until its enhancement at the new size comes; tiles stay."""
        self.preview = preview
        pixmap = to_pixmap(preview)
        self.input_view.set_pixmap(pixmap, self.size)
        self.split.set_pixmap(pixmap, self.size)
        if self.show_before:
            self.paint_output()

    def forget_output(self) -> None:
        """A new photo: its results are not in yet."""
        self.output = self.gain = self.factor = None
        self.split.set_after(None)

    def set_output(self, output: np.ndarray, gain: np.ndarray, factor: np.ndarray | None,
                   settings: EnhanceSettings) -> None:
        self.output, self.gain, self.factor = output, gain, factor
        if self.output_tile is not None and self.output_tile_settings != settings:
            self.output_tile = None  # the preview is newer than the tile: coarse until then
        self.paint_output()
        self.paint_heat()

    def set_input_tile(self, pixels: np.ndarray, left: int, top: int) -> None:
        self.input_tile = (pixels, left, top)
        pixmap = to_pixmap(pixels)
        self.input_view.set_detail(pixmap, left, top)
        self.split.set_detail(pixmap, left, top)
        if self.show_before:
            self.paint_output()

    def set_output_tile(self, pixels: np.ndarray, left: int, top: int,
                        settings: EnhanceSettings) -> None:
        self.output_tile, self.output_tile_settings = (pixels, left, top), settings
        self.paint_output()

    def clear_tiles(self) -> None:
        self.input_tile = self.output_tile = None
        for view in (self.input_view, self.output_view, self.split):
            view.set_detail(None)
        self.split.set_after_detail(None)

    # ---- painting -----------------------------------------------------------------------
    def _shown(self, pixels: np.ndarray) -> np.ndarray:
        return clipping_overlay(pixels) if self.clipping else pixels

    def paint_output(self) -> None:
        """The output pane and the split view's after side (or the before, in place)."""
        if self.output is None or self.size is None:
            return
        after = to_pixmap(self._shown(self.output))
        self.split.set_after(after)
        self.split.set_show_before(self.show_before)
        tile = None
        if self.output_tile is not None:
            pixels, left, top = self.output_tile
            tile = (to_pixmap(self._shown(pixels)), left, top)
        self.split.set_after_detail(*(tile or (None,)))
        if self.show_before:
            self.output_view.set_pixmap(to_pixmap(self.preview), self.size)
            before = self.input_tile
            self.output_view.set_detail(*((to_pixmap(before[0]), *before[1:]) if before
                                          else (None,)))
        else:
            self.output_view.set_pixmap(after, self.size)
            self.output_view.set_detail(*(tile or (None,)))

    def heat_pixels(self) -> np.ndarray | None:
        """The heatmap shown (small, RGB): the gain in stops, or the raw map as a lift."""
        if self.heat_mode == RAW_MAP and self.factor is not None:
            # the model lifts where its factor is negative: show lift as warm, like the gain
            return gain_heatmap(-self.factor * HEATMAP_STOPS)
        if self.gain is None:
            return None
        return gain_heatmap(self.gain * (HEATMAP_STOPS / fitted_stops(self.gain)))

    def heat_range(self) -> float:
        """The ends of the shown heatmap's scale, in stops (1 for the raw map)."""
        if self.heat_mode == RAW_MAP:
            return 1.0
        return HEATMAP_STOPS if self.gain is None else fitted_stops(self.gain)

    def paint_heat(self) -> None:
        self.legend.set_mode(self.heat_mode)
        self.legend.set_range(self.heat_range())
        heat = self.heat_pixels()
        if heat is not None and self.size is not None:
            self.heat_view.set_pixmap(to_pixmap(heat), self.size)

    # ---- switches -----------------------------------------------------------------------
    def set_show_before(self, on: bool) -> None:
        self.show_before = on
        self.paint_output()

    def set_clipping(self, on: bool) -> None:
        self.clipping = on
        self.paint_output()

    def set_heat_mode(self, mode: str) -> None:
        self.heat_mode = mode
        self.paint_heat()
