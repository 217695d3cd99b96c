"""The main window: input, enhanced output and brightening heatmap side by side (or one
before/after split view), the settings with presets and undo, and the output's histogram."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.core import EnhanceSettings, ImageMeta, PresetStore, VideoOptions
from app.gui import menus, screen
from app.gui.batch_panel import BatchPanel
from app.gui.controls import ControlsPanel, settings_caption
from app.gui.detail import DetailController
from app.gui.display import Display
from app.gui.exporting import ExportMixin
from app.gui.histogram import Histogram
from app.gui.history import SettingsHistory
from app.gui.message_bar import MessageBar
from app.gui.opening import FILE_FILTER, OpenMixin
from app.gui.panes import GAIN_MAP, RAW_MAP, HeatmapLegend, Pane, ViewSync
from app.gui.presets_bar import PresetBar
from app.gui.preview_size import PREVIEW_MAX_SIDE, PreviewSizer, preview_of
from app.gui.split_view import SplitView
from app.gui.video_bar import VideoBar
from app.gui.workers import DETAIL, EngineClient, Reply

log = logging.getLogger(__name__)


class MainWindow(ExportMixin, OpenMixin, QMainWindow):
    preview_shown = Signal(int)  # request id, after the three panes were updated
    file_filter = FILE_FILTER

    def __init__(self, enhancer_factory, settings_store: QSettings | None = None,
                 presets: PresetStore | None = None):
        super().__init__()
        self.setWindowTitle("Lowlight Studio")
        self.setAcceptDrops(True)
        self.store = settings_store or QSettings("LowlightStudio", "Lowlight Studio")
        self.preset_store = presets or PresetStore()
        self._enhancer_factory = enhancer_factory
        self.engine = EngineClient(enhancer_factory, self)
        self.engine.worker.finished.connect(self._on_result)
        self.engine.worker.failed.connect(self._on_failure)
        self.engine.worker.progress.connect(self._on_progress)
        self.engine.worker.ready.connect(self._on_ready)
        self.engine.worker.histogram.connect(self._on_histogram)

        self.path: Path | None = None
        self.image: np.ndarray | None = None
        self.meta: ImageMeta | None = None
        self.plan_source: np.ndarray | None = None  # the copy the preview's plan looks at
        self.preview: np.ndarray | None = None  # the copy shown and enhanced: the view's size
        self.preview_side = 0  # the long side asked of the preview (see preview_size)
        self.shown_id = 0
        self.last_error: str | None = None
        self.latest_preview_id = 0
        self.backend = "loading model..."
        self.last_seconds: float | None = None
        self._save_job = None
        self._video_job = None
        self.video_path: Path | None = None

        self.message = MessageBar()
        settings = self._load_settings()
        self.controls = ControlsPanel(settings)
        self.controls.changed.connect(self._settings_changed)
        self.controls.was_reset.connect(lambda words: self.statusBar().showMessage(
            f"All settings reset to the defaults: {words} (Ctrl+Z undoes it)", 8000))
        self.history = SettingsHistory(settings, self)
        self.history.changed.connect(self._history_changed)
        self.presets = PresetBar(self.preset_store, self.controls.settings)
        self.presets.apply.connect(self.apply_settings)
        self.presets.error.connect(self.message.show_error)
        self.controls.insert_row(0, "Preset", self.presets)
        self._build_views()
        menus.build(self)
        self.raw_toggle.toggled.connect(self.act_raw_map.setChecked)
        self.act_raw_map.toggled.connect(self.raw_toggle.setChecked)
        self._restore_video_options()
        self._refresh_recent()
        self._build_layout()
        self.presets.presets_changed.connect(self.batch.refresh_presets)
        self.batch.share_quality(self.quality)  # one photo quality: the toolbar's is the batch's
        self.batch.open_photo.connect(lambda path, s: self.open_path(path) and (
            self.tabs.setCurrentIndex(0), self.apply_settings(s)))  # a batch row, as made
        self.controls.changed.connect(lambda _s: self.batch.show_settings())
        screen.place(self, self.store.value("geometry"))
        self._update_status()
        QTimer.singleShot(0, self.focus_image)

    # ---- layout -------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.input_pane = Pane("Input")
        self.output_pane = Pane("Enhanced")
        self.legend = HeatmapLegend()
        self.raw_toggle = QCheckBox("raw map")
        self.raw_toggle.setToolTip("Show the model's raw map (before exposure and strength) "
                                   "instead of the brightening in stops (Ctrl+Shift+M)")
        self.raw_toggle.setFocusPolicy(Qt.NoFocus)
        self.factor_pane = Pane("Brightening (stops)", self.legend, corner=self.raw_toggle)
        self.panes = [self.input_pane, self.output_pane, self.factor_pane]
        self.split_view = SplitView()
        self.sync = ViewSync([p.view for p in self.panes] + [self.split_view])
        self.side_by_side = QSplitter(Qt.Horizontal)
        self.side_by_side.setChildrenCollapsible(False)
        for p in self.panes:
            self.side_by_side.addWidget(p)
            self.side_by_side.setStretchFactor(self.side_by_side.indexOf(p), 1)
        self.side_by_side.setSizes([1000, 1000, 1000])
        self.view_stack = QStackedWidget()
        self.view_stack.addWidget(self.side_by_side)
        self.view_stack.addWidget(self.split_view)
        self.placeholder = QLabel("Drop a photo here, or open one with Ctrl+O")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setStyleSheet("font-size: 16px; color: palette(mid);")
        self.placeholder.setFocusPolicy(Qt.StrongFocus)  # keys go to the window, not a slider
        self.view_stack.addWidget(self.placeholder)
        self.view_stack.setCurrentWidget(self.placeholder)
        self.display = Display(self.input_pane.view, self.output_pane.view,
                               self.factor_pane.view, self.split_view, self.legend)
        self.detail = DetailController(self)
        self.sizer = PreviewSizer(self)
        for view in [p.view for p in self.panes] + [self.split_view]:
            view.view_changed.connect(self.detail.schedule)
            view.view_changed.connect(self.sizer.schedule)  # resized, zoomed: another size
        self.histogram = Histogram()
        self.histogram.toggle_overlay.connect(lambda: self.act_clipping.trigger())
        self.video_bar = VideoBar()
        self.video_bar.seek.connect(self.show_video_frame)

    def _build_layout(self) -> None:
        photo = QWidget()
        v = QVBoxLayout(photo)
        v.setContentsMargins(4, 4, 4, 4)
        v.addWidget(self.message)
        v.addWidget(self.view_stack, 1)
        v.addWidget(self.video_bar)
        bottom = QHBoxLayout()
        bottom.addWidget(self.controls, 1)
        bottom.addWidget(self.histogram)
        self.histogram.setFixedWidth(260)
        v.addLayout(bottom)
        self.tabs = QTabWidget()
        self.tabs.addTab(photo, qta.icon("fa5s.image"), "Photo")
        self.batch = BatchPanel(self.controls.settings, self._enhancer_factory,
                                presets=self.preset_store)
        self.tabs.addTab(self.batch, qta.icon("fa5s.layer-group"), "Batch")
        self.tabs.currentChanged.connect(lambda _i: (self.detail.schedule(),
                                                     self.sizer.schedule()))
        self.setCentralWidget(self.tabs)
        self.status_size = QLabel()
        self.status_backend = QLabel()
        self.status_time = QLabel()
        for w in (self.status_size, self.status_backend, self.status_time):
            w.setContentsMargins(6, 0, 6, 0)
            self.statusBar().addPermanentWidget(w)
        self.status_time.setMinimumWidth(self.status_time.fontMetrics().horizontalAdvance(
            "00000 ms") + 12)

    def leading_view(self):
        """The view the zoom actions and the 100% view follow: the split view when it is
        shown, else the input pane (the other panes mirror it)."""
        if self.view_stack.currentWidget() is self.split_view:
            return self.split_view
        return self.input_pane.view

    def focus_image(self) -> None:
        """Give the keyboard to the photo (arrows pan, Ctrl+V pastes), not to a control."""
        shown = self.view_stack.currentWidget()
        (self.leading_view() if shown is not self.placeholder else shown).setFocus()

    # ---- settings -----------------------------------------------------------------------
    def _load_settings(self) -> EnhanceSettings:
        d = EnhanceSettings()
        try:
            return EnhanceSettings(str(self.store.value("exposure", d.exposure)),
                                   int(self.store.value("iterations", d.iterations)),
                                   int(self.store.value("scale", d.scale)),
                                   str(self.store.value("denoise", d.denoise))).validated()
        except (TypeError, ValueError):
            return d

    def _restore_video_options(self) -> None:
        editor = self.video_bar.export_options
        try:
            crf = self.store.value("video_crf")
            editor.set_options(VideoOptions(str(self.store.value("video_codec", "h264")),
                                            None if crf is None else int(crf)))
        except (TypeError, ValueError):
            pass  # a damaged setting: keep the defaults
        editor.changed.connect(lambda o: (self.store.setValue("video_codec", o.codec),
                                          self.store.setValue("video_crf", o.quality)))

    def _save_settings(self, s: EnhanceSettings) -> None:
        self.store.setValue("exposure", str(s.exposure))
        self.store.setValue("iterations", s.iterations)
        self.store.setValue("scale", s.scale)
        self.store.setValue("denoise", str(s.denoise))

    def _settings_changed(self, s: EnhanceSettings) -> None:
        self._save_settings(s)
        self.history.note(s)
        self.presets.show_match(s)
        self.request_preview()
        self.detail.schedule()

    def apply_settings(self, s: EnhanceSettings) -> None:
        """Show ``s`` in the controls (a preset, undo, redo) and preview it."""
        self.controls.set_settings(s, emit=True)

    def undo(self) -> None:
        s = self.history.undo()
        if s is not None:
            self.apply_settings(s)
            self.statusBar().showMessage(f"Undone: now {settings_caption(s)}", 5000)

    def redo(self) -> None:
        s = self.history.redo()
        if s is not None:
            self.apply_settings(s)
            self.statusBar().showMessage(f"Redone: now {settings_caption(s)}", 5000)

    def _history_changed(self) -> None:
        self.act_undo.setEnabled(self.history.can_undo())
        self.act_redo.setEnabled(self.history.can_redo())

    # ---- a new photo --------------------------------------------------------------------
    def set_image(self, image: np.ndarray, meta: ImageMeta, path: Path | None) -> None:
        self.message.hide()
        self.image, self.meta, self.path = image, meta, path
        for view in [p.view for p in self.panes] + [self.split_view]:
            view.fit_mode = True
        # the layout first: the preview is made for the view that will show it
        self.view_stack.setCurrentWidget(self.split_view if self.act_compare.isChecked()
                                         else self.side_by_side)
        self.make_previews(image)
        self.display.forget_output()
        self.histogram.set_summary(None)
        self.shown_id = self.latest_preview_id  # results for the old image are stale now
        self.display.set_input(self.preview, (image.shape[1], image.shape[0]))
        self.input_pane.footer.setText(path.name if path else "pasted image")
        self.setWindowTitle(f"{path.name if path else 'Pasted image'} - Lowlight Studio")
        for act in (self.act_save, self.act_save_as, self.act_save_factor):
            act.setEnabled(True)
        self.act_play.setEnabled(self.video_path is not None)
        self._update_status()
        self.focus_image()
        self.detail.reset()
        self.request_preview()

    def make_previews(self, image: np.ndarray) -> None:
        """The photo's (or video frame's) two small copies. The plan looks at a copy of fixed
        size, so the preview decides the same at any window size; the displayed copy is
        only as big as the view shows the photo (rendering it is most of a slider move)."""
        # read-only from here: the engine thread holds each array's analysis by identity
        image.setflags(write=False)
        self.plan_source = preview_of(image)
        self.plan_source.setflags(write=False)
        self.preview_side = self.sizer.wanted() or PREVIEW_MAX_SIDE
        self.preview = preview_of(self.plan_source, self.preview_side)

    def resize_preview(self, side: int) -> None:
        """The view now shows the photo ``side`` pixels long: re-make the displayed copy
        (from the plan's copy, which is at least as big) and enhance it."""
        if self.plan_source is None:
            return
        self.preview_side = side
        self.preview = preview_of(self.plan_source, side)
        self.display.set_preview(self.preview)
        self.request_preview()

    # ---- enhancement --------------------------------------------------------------------
    @property
    def output(self) -> np.ndarray | None:
        """The enhanced preview on screen (the size of :attr:`preview`)."""
        return self.display.output

    @property
    def gain(self) -> np.ndarray | None:
        """The brightening applied, in stops, at the map's resolution."""
        return self.display.gain

    def request_preview(self) -> None:
        if self.preview is None:
            return
        req = self.engine.request(self.plan_source, self.controls.settings(),
                                  shown=self.preview, original=self.image)
        self.latest_preview_id = req.id

    def _on_ready(self, backend: str) -> None:
        self.backend = backend
        self._update_status()

    def _on_result(self, reply: Reply) -> None:
        if reply.full:
            self._finish_save(reply)
            return
        if reply.kind == DETAIL:
            self.detail.on_reply(reply)
            return
        if reply.id <= self.shown_id or self.image is None:
            return  # stale: a newer preview is already on screen
        self.shown_id = reply.id
        self.backend, self.last_seconds = reply.backend, reply.seconds
        self.display.set_output(reply.image, reply.gain, reply.factor, reply.settings)
        caption = settings_caption(reply.settings)
        self.output_pane.footer.setText(f"{caption} ({reply.note})" if reply.note else caption)
        self._update_status()
        self.preview_shown.emit(reply.id)

    def _on_histogram(self, request_id: int, found) -> None:
        if request_id == self.shown_id:  # the histogram of the preview on screen
            self.histogram.set_summary(found)
            self.histogram.shown_for = request_id

    def _on_failure(self, request_id: int, message: str) -> None:
        if self._save_job is not None and request_id == self._save_job[0].id:
            self._close_save_dialog()
            if message != "cancelled":
                self.message.show_error(f"Saving failed: {message}. Nothing was written.")
            else:
                self.statusBar().showMessage("Save cancelled; nothing was written", 5000)
            return
        self.detail.on_failure(request_id)
        if message != "cancelled":
            self.last_error = message
            self.message.show_error(message)

    def _update_status(self) -> None:
        if self.image is not None:
            h, w = self.image.shape[:2]
            depth = "16-bit" if self.image.dtype == np.uint16 else "8-bit"
            self.status_size.setText(f"{w} x {h} ({w * h / 1e6:.1f} MP, {depth})")
        else:
            self.status_size.setText("no image")
        self.status_backend.setText(self.backend)
        self.status_backend.setToolTip("the engine that ran the last enhancement")
        self.status_time.setText(f"{self.last_seconds * 1000:.0f} ms"
                                 if self.last_seconds is not None else "")
        self.status_time.setToolTip("time the last preview took")

    # ---- view switches ------------------------------------------------------------------
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

    # ---- lifetime -----------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802
        self.store.setValue("geometry", self.saveGeometry())
        self.history.commit()
        if self._video_job is not None:
            self._video_job[1].control.cancel()
            self._end_video_job()
        self.batch.shutdown()
        self.engine.shutdown()
        super().closeEvent(event)
