"""The main window: input, enhanced output and brightening heatmap side by side (or one
before/after split view), the settings with presets and undo, the output's histogram and the
folder's filmstrip. What is open lives in the Qt-free session (app.session): the window
observes it and turns the engine's replies into pixels on screen."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from app.core import EnhanceSettings, ImageMeta, PresetStore, VideoInfo
from app.gui import menus, screen
from app.gui.browsing import Browser
from app.gui.controls import ControlsPanel, settings_caption
from app.gui.exporting import ExportMixin
from app.gui.framing import GeometryController
from app.gui.geometry_bar import GeometryBar
from app.gui.history import SettingsHistory
from app.gui.message_bar import MessageBar
from app.gui.opening import FILE_FILTER, OpenMixin
from app.gui.panes import restore_zoom, zoomed_state
from app.gui.presets_bar import PresetBar
from app.gui.preview_size import PREVIEW_MAX_SIDE, preview_of
from app.gui.status_bar import gain_at
from app.gui.view_switches import ViewSwitchesMixin
from app.gui.window_layout import build_layout, build_views
from app.gui.window_settings import (
    load_settings,
    quality_box,
    restore_video_options,
    save_settings,
)
from app.gui.workers import EngineClient, Reply
from app.session.session import Previews, Session, plan_copy_key

log = logging.getLogger(__name__)


def _session_field(name: str) -> property:
    """The window's view of the session's state (the session holds it)."""
    return property(lambda w: getattr(w.session, name),
                    lambda w, value: setattr(w.session, name, value))


def _preview_field(name: str) -> property:
    return property(lambda w: getattr(w.session.previews, name, None)
                    if w.session.previews else (0 if name == "side" else None))


class MainWindow(ExportMixin, OpenMixin, ViewSwitchesMixin, QMainWindow):
    preview_shown = Signal(int)  # request id, after the three panes were updated
    file_filter = FILE_FILTER
    path = _session_field("path")
    image = _session_field("image")
    meta = _session_field("meta")
    video_path = _session_field("video_path")
    video_info = _session_field("video_info")
    plan_source = _preview_field("plan_source")
    preview = _preview_field("shown")
    preview_side = _preview_field("side")

    def __init__(self, enhancer_factory, settings_store: QSettings | None = None,
                 presets: PresetStore | None = None):
        super().__init__()
        self.setWindowTitle("Lowlight Studio")
        self.setAcceptDrops(True)
        self.store = settings_store or QSettings("LowlightStudio", "Lowlight Studio")
        self.preset_store = presets or PresetStore()
        self._enhancer_factory = enhancer_factory
        self.engine = EngineClient(enhancer_factory, self)
        self.engine.trouble.connect(self.show_failure)
        self.engine.worker.progress.connect(self._on_progress)
        self.engine.worker.ready.connect(self._on_ready)
        self.engine.worker.histogram.connect(self._on_histogram)

        self.session = Session()
        self.shown_id = 0
        self.last_error: str | None = None
        self.latest_preview_id = 0
        self.backend = "loading model..."
        self.last_seconds: float | None = None
        self._save_job = None
        self._video_job = None

        self.message = MessageBar()
        settings = load_settings(self.store)
        self.session.loose_settings = settings
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
        build_views(self)
        self.browser = Browser(self, self.session)
        self.geometry_bar = GeometryBar()
        self.framing = GeometryController(self, self.geometry_bar)
        self.controls.insert_row(1, "Frame", self.geometry_bar)
        self.quality = quality_box(self.store)
        self.quality.editingFinished.connect(lambda: self.leading_view().setFocus())
        menus.build(self)
        self.raw_toggle.toggled.connect(self.act_raw_map.setChecked)
        self.act_raw_map.toggled.connect(self.raw_toggle.setChecked)
        restore_video_options(self.store, self.video_bar.export_options)
        self._refresh_recent()
        build_layout(self)
        self.presets.presets_changed.connect(self.batch.refresh_presets)
        self.batch.share_quality(self.quality)  # one photo quality: the toolbar's is the batch's
        self.batch.open_photo.connect(lambda path, s: self.open_path(path) and (
            self.tabs.setCurrentIndex(0), self.apply_settings(s)))  # a batch row, as made
        self.controls.changed.connect(lambda _s: self.batch.show_settings())
        screen.place(self, self.store.value("geometry"))
        self._update_status()
        QTimer.singleShot(0, self.focus_image)

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
    def _settings_changed(self, s: EnhanceSettings) -> None:
        save_settings(self.store, s)
        self.session.set_settings(s)
        if self.session.in_catalog:
            self.browser.save_timer.start()  # kept in the photo's sidecar once still
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
    def set_image(self, image: np.ndarray, meta: ImageMeta, path: Path | None,
                  video: VideoInfo | None = None) -> None:
        """Show a new photo (or a video's first frame) with its own edits: a file of the
        folder gets the settings kept for it (Auto if none), a pasted image the current."""
        self.message.hide()
        self.framing.end_crop_tool()  # the rectangle drawn is kept for the photo it was on
        self.browser.entering(path)
        if path is None or video is not None:  # no sidecar: the settings on screen
            self.session.loose_settings = self.controls.settings()
        self.session.show(image, meta, path, video)
        self.show_own_edits()
        if path is not None and path in self.session.catalog.problems:
            self.message.show_error(self.session.catalog.problems[path])
        zoomed = zoomed_state(self.leading_view())  # the next photo opens at the same zoom
        for view in [p.view for p in self.panes] + [self.split_view]:
            view.fit_mode = True
        # the layout first: the preview is made for the view that will show it
        self.view_stack.setCurrentWidget(self.split_view if self.act_compare.isChecked()
                                         else self.side_by_side)
        self.make_previews(self.image)
        self.display.forget_output()
        self.histogram.set_summary(None)
        self.shown_id = self.latest_preview_id  # results for the old image are stale now
        self.display.set_input(self.preview, (self.image.shape[1], self.image.shape[0]))
        restore_zoom(self.leading_view(), zoomed)
        self.input_pane.footer.setText(path.name if path else "pasted image")
        self.setWindowTitle(f"{path.name if path else 'Pasted image'} - Lowlight Studio")
        for act in (self.act_save, self.act_save_as, self.act_save_factor):
            act.setEnabled(True)
        self.act_play.setEnabled(self.video_path is not None)
        self._update_status()
        self.focus_image()
        self.detail.reset()
        self.request_preview()

    def show_own_edits(self, geometry: bool = False) -> None:
        """The controls show the open photo's settings (undo starts from them); with
        ``geometry``, its turn and crop may have changed too (reset, paste)."""
        s = self.session.settings
        self.controls.set_settings(s)
        self.history.use(self.session.history())
        self.presets.show_match(s)
        self.framing.show()
        if geometry and self.session.refresh_geometry():
            self.reshow_image()
        elif geometry:
            self.request_preview()

    def reshow_image(self) -> None:
        """The open photo was turned or cropped: the same photo, new pixels, fitted."""
        for view in [p.view for p in self.panes] + [self.split_view]:
            view.fit_mode = True
        self.make_previews(self.image)
        self.display.forget_output()
        self.shown_id = self.latest_preview_id
        self.display.set_input(self.preview, (self.image.shape[1], self.image.shape[0]))
        self._update_status()
        self.detail.reset()
        self.request_preview()

    def make_previews(self, image: np.ndarray) -> None:
        """The photo's (or video frame's) two small copies. The plan looks at a copy of fixed
        size, so the preview decides the same at any window size; the displayed copy is
        only as big as the view shows the photo (rendering it is most of a slider move).
        A photo seen lately keeps its copies (the engine keeps their analyses by identity),
        so going back to it shows its preview at once."""
        # read-only from here: the engine thread holds each array's analysis by identity
        image.setflags(write=False)
        key = plan_copy_key(self.session.shown_edits)
        plan_source = self.session.photos.extra(self.path, key, lambda: preview_of(image)) \
            if self.path is not None and self.video_path is None else preview_of(image)
        plan_source.setflags(write=False)
        side = self.sizer.wanted() or PREVIEW_MAX_SIDE
        self.session.previews = Previews(plan_source, preview_of(plan_source, side), side,
                                         plan_is_photo=plan_source is image)

    def resize_preview(self, side: int) -> None:
        """The view now shows the photo ``side`` pixels long: re-make the displayed copy
        (from the plan's copy, which is at least as big) and enhance it."""
        p = self.session.previews
        if p is None:
            return
        p.side, p.shown = side, preview_of(p.plan_source, side)
        self.display.set_preview(p.shown)
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
        if self.video_path is not None:  # what the export writes, not the photo path's
            self.video_player.show_still(self.video_bar.position())
            return
        req = self.engine.request(self.plan_source, self.controls.settings(),
                                  shown=self.preview, original=self.image,
                                  on_reply=self._show_preview, on_failure=self.show_failure)
        self.latest_preview_id = req.id

    def _on_ready(self, backend: str) -> None:
        self.backend = backend
        self._update_status()

    def _show_preview(self, reply: Reply) -> None:
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

    def show_failure(self, message: str) -> None:
        """A preview or a 100% tile failed (a cancelled one is no failure)."""
        if message != "cancelled":
            self.last_error = message
            self.message.show_error(message)

    def _update_status(self) -> None:
        self.readouts.show(self.image, self.backend, self.last_seconds)
        self._show_zoom()

    def _show_zoom(self) -> None:
        if self.image is not None:
            self.readouts.zoom.show_zoom(self.leading_view().zoom())

    def _show_ev(self, x: float, y: float) -> None:
        self.readouts.show_ev(gain_at(self.gain, self.display.size, x, y))

    # ---- lifetime -----------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802
        self.store.setValue("geometry", self.saveGeometry())
        self.history.commit()
        self.browser.shutdown()
        if self._video_job is not None:
            self._video_job[1].control.cancel()
            self._end_video_job()
        self.batch.shutdown()
        self.engine.shutdown()
        self.video_player.shutdown()
        super().closeEvent(event)
