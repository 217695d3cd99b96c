"""The main window's widgets and their places: the three panes (or one split view), the
photo's column (message, views, video bar, filmstrip), the settings column on the right, the
tabs and the status bar's readouts. Functions of a MainWindow ``w``; the window keeps the
behaviour."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.batch_panel import BatchPanel
from app.gui.detail import DetailController
from app.gui.display import Display
from app.gui.histogram import Histogram
from app.gui.panes import HeatmapLegend, Pane, ViewSync
from app.gui.preview_size import PreviewSizer
from app.gui.split_view import SplitView
from app.gui.status_bar import StatusReadouts
from app.gui.video_bar import VideoBar
from app.gui.video_player import VideoPlayer

SIDE_PANEL_WIDTH = 360  # the settings column: its sliders, spin boxes and buttons fit


def build_views(w) -> None:
    """The panes, the split view, the placeholder and what keeps them in step."""
    w.input_pane = Pane("Input")
    w.output_pane = Pane("Enhanced")
    w.legend = HeatmapLegend()
    w.raw_toggle = QCheckBox("raw map")
    w.raw_toggle.setToolTip("Show the model's raw map (before exposure and strength) "
                               "instead of the brightening in stops (Ctrl+Shift+M)")
    w.raw_toggle.setFocusPolicy(Qt.NoFocus)
    w.factor_pane = Pane("Brightening (stops)", w.legend, corner=w.raw_toggle,
                         short_title="EV")
    w.panes = [w.input_pane, w.output_pane, w.factor_pane]
    w.split_view = SplitView()
    w.sync = ViewSync([p.view for p in w.panes] + [w.split_view])
    w.side_by_side = QSplitter(Qt.Horizontal)
    w.side_by_side.setChildrenCollapsible(False)
    for p in w.panes:
        w.side_by_side.addWidget(p)
        w.side_by_side.setStretchFactor(w.side_by_side.indexOf(p), 1)
    w.side_by_side.setSizes([1000, 1000, 1000])
    w.view_stack = QStackedWidget()
    w.view_stack.addWidget(w.side_by_side)
    w.view_stack.addWidget(w.split_view)
    w.placeholder = QLabel("Drop a photo here, or open one with Ctrl+O")
    w.placeholder.setAlignment(Qt.AlignCenter)
    w.placeholder.setStyleSheet("font-size: 16px; color: palette(mid);")
    w.placeholder.setFocusPolicy(Qt.StrongFocus)  # keys go to the window, not a slider
    w.view_stack.addWidget(w.placeholder)
    w.view_stack.setCurrentWidget(w.placeholder)
    w.display = Display(w.input_pane.view, w.output_pane.view,
                           w.factor_pane.view, w.split_view, w.legend)
    w.detail = DetailController(w.session, w.engine, w.display, w.leading_view,
                                w.controls.settings, w.show_failure, w,
                                video_frame=lambda: w.video_player.exported())
    w.sizer = PreviewSizer(w.session, w.leading_view, w.resize_preview, w)
    for view in [p.view for p in w.panes] + [w.split_view]:
        view.view_changed.connect(w.detail.schedule)
        view.view_changed.connect(w.sizer.schedule)  # resized, zoomed: another size
        view.view_changed.connect(w._show_zoom)
        view.hovered.connect(w._show_ev)
        view.step.connect(lambda delta: w.browser.step(delta))
    w.histogram = Histogram()
    w.histogram.toggle_overlay.connect(lambda: w.act_clipping.trigger())
    w.video_bar = VideoBar()
    w.video_bar.seek.connect(w.show_video_frame)
    w.video_player = VideoPlayer(  # a video's frames come from the video engine
        w.session, w.video_bar, w.display, settings=w.controls.settings,
        enhancer_factory=w._enhancer_factory, make_previews=w.make_previews,
        caption=w.output_pane.footer.setText, new_id=w.engine.new_id,
        on_shown=w.preview_shown.emit, show_error=w.message.show_error,
        reset_detail=w.detail.reset, show_histogram=w._on_histogram, parent=w)


def build_layout(w) -> None:
    """The photo (and the filmstrip under it) on the left, the settings and histogram in
    a column on the right, as in Lightroom: a 1366x768 screen keeps the photo's height. A
    video's bar spans the whole width (its scrubber wants the room)."""
    photo = QWidget()
    outer = QVBoxLayout(photo)
    outer.setContentsMargins(4, 4, 4, 4)
    row = QHBoxLayout()
    row.setContentsMargins(0, 0, 0, 0)
    outer.addLayout(row, 1)
    outer.addWidget(w.video_bar)
    v = QVBoxLayout()
    v.addWidget(w.message)
    v.addWidget(w.view_stack, 1)
    v.addWidget(w.browser.strip)
    row.addLayout(v, 1)
    side = QVBoxLayout()
    side.addWidget(w.controls)
    side.addWidget(w.histogram)
    side.addStretch(1)
    panel = QWidget()
    panel.setLayout(side)
    panel.setFixedWidth(SIDE_PANEL_WIDTH)
    side.setContentsMargins(0, 0, 0, 0)
    row.addWidget(panel)
    w.tabs = QTabWidget()
    w.tabs.addTab(photo, qta.icon("fa5s.image"), "Photo")
    w.batch = BatchPanel(w.controls.settings, w._enhancer_factory, presets=w.preset_store)
    w.tabs.addTab(w.batch, qta.icon("fa5s.layer-group"), "Batch")
    w.tabs.currentChanged.connect(lambda _i: (w.detail.schedule(), w.sizer.schedule()))
    w.setCentralWidget(w.tabs)
    w.readouts = StatusReadouts(w.statusBar())
    w.status_size, w.status_backend = w.readouts.size, w.readouts.backend
    w.status_time = w.readouts.time
    w.readouts.zoom.zoom_typed.connect(lambda z: w.leading_view().zoom_to(z))
