"""The main window: input, enhanced output and brightening heatmap side by side (or one
before/after split view), the settings with presets and undo, the output's histogram and the
folder's filmstrip. What is open lives in the Qt-free session (app.session): the window
observes it and turns the engine's replies into pixels on screen.

The window owns the views and the controllers, and wires them together; each controller
takes the session, the engine and the widgets or callbacks it needs, never the window:

- :class:`~app.gui.opening.Opener` (``opener``): Open, Open folder, recent files, paste, drop
- :class:`~app.gui.exporting.Exporter` (``exporter``): Save, Save As, heatmap, video export
- :class:`~app.gui.view_switches.ViewSwitches` (``switches``): the View menu's switches
- :class:`~app.gui.browsing.Browser` (``browser``): the folder, filmstrip, flags, stars
- :class:`~app.gui.framing.GeometryController` (``framing``): turning and cropping
- :class:`~app.gui.detail.DetailController` (``detail``), :class:`~app.gui.preview_size.
  PreviewSizer` (``sizer``), :class:`~app.gui.video_player.VideoPlayer` (``video_player``)
"""
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
from app.gui.exporting import Exporter
from app.gui.framing import GeometryController
from app.gui.geometry_bar import GeometryBar
from app.gui.history import SettingsHistory
from app.gui.message_bar import MessageBar
from app.gui.opening import Opener
from app.gui.panes import restore_zoom, zoomed_state
from app.gui.presets_bar import PresetBar
from app.gui.preview_size import PREVIEW_MAX_SIDE, preview_of
from app.gui.status_bar import gain_at
from app.gui.view_switches import ViewSwitches
from app.gui.window_layout import build_layout, build_views
from app.gui.window_settings import (
    load_settings,
    quality_box,
    restore_video_options,
    save_settings,
)
from app.gui.workers import EngineClient, Reply
from app.session.history import Step
from app.session.session import Previews, Session, plan_copy_key

log = logging.getLogger(__name__)


def _session_field(name: str) -> property:
    """The window's view of the session's state (the session holds it)."""
    return property(lambda w: getattr(w.session, name),
                    lambda w, value: setattr(w.session, name, value))


def _preview_field(name: str) -> property:
    return property(lambda w: getattr(w.session.previews, name, None)
                    if w.session.previews else (0 if name == "side" else None))


class MainWindow(QMainWindow):
    preview_shown = Signal(int)  # request id, after the three panes were updated
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
        self.engine.worker.ready.connect(self._on_ready)
        self.engine.worker.histogram.connect(self._on_histogram)

        self.session = Session()  # what is open, its edits and the requests in flight
        self.last_error: str | None = None
        self.backend = "loading model..."
        self.last_seconds: float | None = None

        self.message = MessageBar()
        settings = load_settings(self.store)
        self.session.loose_settings = settings
        self.controls = ControlsPanel(settings)
        self.controls.changed.connect(self._settings_changed)
        self.controls.was_reset.connect(lambda words: self.statusBar().showMessage(
            f"All settings reset to the defaults: {words} (Ctrl+Z undoes it)", 8000))
        self.history = SettingsHistory(Step(settings), self)
        self.history.changed.connect(self._history_changed)
        self.presets = PresetBar(self.preset_store, self.controls.settings)
        self.presets.apply.connect(self.apply_settings)
        self.presets.error.connect(self.message.show_error)
        self.controls.insert_row(0, "Preset", self.presets)
        build_views(self)
        self.browser = Browser(
            self.session, self, open_file=self.open_path, show_error=self.message.show_error,
            show_status=self.show_status, focus_image=self.focus_image,
            end_crop_tool=lambda: self.framing.end_crop_tool(),
            show_own_edits=self.show_own_edits, quality=lambda: self.quality.value(),
            enhancer_factory=enhancer_factory)
        self.preview_shown.connect(self.browser.look_ahead)
        self.geometry_bar = GeometryBar()
        self.framing = GeometryController(
            self.session, self.geometry_bar, leading_view=self.leading_view,
            reshow_image=self.reshow_image, edits_changed=self._framing_changed,
            parent=self)
        self.controls.insert_row(1, "Frame", self.geometry_bar)
        self.quality = quality_box(self.store)
        self.quality.editingFinished.connect(lambda: self.leading_view().setFocus())
        build_layout(self)
        self._make_controllers()
        menus.build(self)
        self.raw_toggle.toggled.connect(self.act_raw_map.setChecked)
        self.act_raw_map.toggled.connect(self.raw_toggle.setChecked)
        restore_video_options(self.store, self.video_bar.export_options)
        self.presets.presets_changed.connect(self.batch.refresh_presets)
        self.batch.share_quality(self.quality)  # one photo quality: the toolbar's is the batch's
        self.batch.open_photo.connect(lambda path, s: self.open_path(path) and (
            self.tabs.setCurrentIndex(0), self.apply_settings(s)))  # a batch row, as made
        self.controls.changed.connect(lambda _s: self.batch.show_settings())
        screen.place(self, self.store.value("geometry"))
        self._update_status()
        QTimer.singleShot(0, self.focus_image)

    def _make_controllers(self) -> None:
        """Opening, saving and the View menu's switches: each given what it works with."""
        self.opener = Opener(
            self.session, self.store, self, show_image=self.set_image,
            open_folder=self.browser.open_folder, show_error=self.message.show_error,
            caption=self.input_pane.footer.setText, video_bar=self.video_bar, tabs=self.tabs,
            batch=self.batch)
        self.exporter = Exporter(
            self.session, self.engine, self, settings=self.controls.settings,
            quality=self.quality, enhancer_factory=self._enhancer_factory,
            video_options=self.video_bar.export_options.options,
            start_dir=self.opener.start_dir, display=self.display, legend=self.legend,
            show_error=self.message.show_error, show_status=self.show_status)
        self.switches = ViewSwitches(
            self.session, display=self.display, histogram=self.histogram,
            view_stack=self.view_stack, side_by_side=self.side_by_side,
            split_view=self.split_view, output_pane=self.output_pane,
            factor_pane=self.factor_pane, video_bar=self.video_bar, detail=self.detail,
            sizer=self.sizer, leading_view=self.leading_view, focus_image=self.focus_image,
            photo_tab_shown=lambda: self.tabs.currentIndex() == 0)

    def open_path(self, path: Path, remember: bool = True) -> bool:
        """Open a photo, a video or a folder (see :meth:`Opener.open_path`)."""
        return self.opener.open_path(path, remember)

    def show_video_frame(self, seconds: float) -> None:
        """Scrubber moved: show that frame, keep zoom, enhanced as the export enhances it."""
        if self.video_path is not None:
            self.detail.reset()
            self.video_player.show_still(seconds)  # the video engine's, as exported

    def show_status(self, text: str, ms: int = 5000) -> None:
        self.statusBar().showMessage(text, ms)

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
        self.history.note(self.session.step())  # the settings with the photo's framing
        self.presets.show_match(s)
        self.request_preview()
        self.detail.schedule()

    def apply_settings(self, s: EnhanceSettings) -> None:
        """Show ``s`` in the controls (a preset, undo, redo) and preview it."""
        self.controls.set_settings(s, emit=True)

    def undo(self) -> None:
        self._step_to(self.history.undo, "Undone")

    def redo(self) -> None:
        self._step_to(self.history.redo, "Redone")

    def _step_to(self, move, word: str) -> None:
        """Undo or redo: the photo's framing (a turn, a crop) and its settings as they were."""
        self.framing.end_crop_tool()  # a rectangle being drawn is a change of its own
        step = move()
        if step is None:
            return
        framed = step.framing != self.session.step().framing
        if self.session.go_to(step):
            self.browser.save_timer.start()
            self.reshow_image()
        self.framing.show()
        self.apply_settings(step.settings)
        what = "the turn or crop; " if framed else ""
        self.show_status(f"{word}: {what}now {settings_caption(step.settings)}", 5000)

    def _framing_changed(self, gathered: bool = False) -> None:
        """The photo was turned, straightened or cropped: kept soon, and undoable (a turn or
        a crop as a step of its own; the angle's arrows gathered as a slider's drag is)."""
        self.browser.save_timer.start()
        if gathered:
            self.history.note(self.session.step())
        else:
            self.history.record(self.session.step())

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
        self.histogram.set_summary(None)  # (the session has made the old image's replies stale)
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
        self.session.pending.preview_asked(req.id)

    def _on_ready(self, backend: str) -> None:
        self.backend = backend
        self._update_status()

    def _show_preview(self, reply: Reply) -> None:
        if self.image is None or not self.session.pending.preview_shown(reply.id):
            return  # stale: a newer preview is on screen, or the image was replaced
        self.backend, self.last_seconds = reply.backend, reply.seconds
        self.display.set_output(reply.image, reply.gain, reply.factor, reply.settings)
        caption = settings_caption(reply.settings)
        self.output_pane.footer.setText(f"{caption} ({reply.note})" if reply.note else caption)
        self._update_status()
        self.preview_shown.emit(reply.id)

    def _on_histogram(self, request_id: int, found) -> None:
        if request_id == self.session.pending.shown_preview:  # the preview on screen
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
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        self.opener.drag_enter(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        self.opener.drop(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.store.setValue("geometry", self.saveGeometry())
        self.history.commit()
        self.browser.shutdown()
        self.exporter.shutdown()
        self.batch.shutdown()
        self.engine.shutdown()
        self.video_player.shutdown()
        super().closeEvent(event)
