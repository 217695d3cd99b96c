"""The main window: input, enhanced output and enhancement-factor heatmap side by side."""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import qtawesome as qta
from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from app.core import (
    IMAGE_SUFFIXES,
    MEDIA_SUFFIXES,
    EnhanceSettings,
    ImageMeta,
    ImageReadError,
    VideoOptions,
    gain_heatmap,
    is_video,
    read_image,
)
from app.gui.batch_panel import BatchPanel
from app.gui.controls import ControlsPanel, settings_caption
from app.gui.convert import from_qimage, to_pixmap, to_qimage
from app.gui.exporting import ExportMixin
from app.gui.panes import HeatmapLegend, Pane, SplitView, ViewSync
from app.gui.video_bar import VideoBar
from app.gui.widgets import MessageBar, preview_of
from app.gui.workers import EngineClient, Reply

log = logging.getLogger(__name__)
MAX_RECENT = 8
FILE_FILTER = ("Photos and videos (" + " ".join(f"*{s}" for s in sorted(MEDIA_SUFFIXES)) + ")"
               ";;Images (" + " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES)) + ")")


class MainWindow(ExportMixin, QMainWindow):
    preview_shown = Signal(int)  # request id, after the three panes were updated
    file_filter = FILE_FILTER

    def __init__(self, enhancer_factory, settings_store: QSettings | None = None):
        super().__init__()
        self.setWindowTitle("Lowlight Studio")
        self.setAcceptDrops(True)
        self.store = settings_store or QSettings("LowlightStudio", "Lowlight Studio")
        self._enhancer_factory = enhancer_factory
        self.engine = EngineClient(enhancer_factory, self)
        self.engine.worker.finished.connect(self._on_result)
        self.engine.worker.failed.connect(self._on_failure)
        self.engine.worker.progress.connect(self._on_progress)
        self.engine.worker.ready.connect(self._on_ready)

        self.path: Path | None = None
        self.image: np.ndarray | None = None
        self.meta: ImageMeta | None = None
        self.preview: np.ndarray | None = None
        self.output: np.ndarray | None = None  # enhanced preview
        self.gain: np.ndarray | None = None  # brightening in stops, small
        self.shown_id = 0
        self.last_error: str | None = None
        self.latest_preview_id = 0
        self.backend = "loading model..."
        self.last_seconds: float | None = None
        self._save_job = None
        self._video_job = None

        self.controls = ControlsPanel(self._load_settings())
        self.controls.changed.connect(self._settings_changed)
        self.controls.was_reset.connect(lambda words: self.statusBar().showMessage(
            f"Settings reset to the defaults: {words}", 8000))
        self._build_views()
        self._build_actions()
        self._build_layout()
        self.resize(1400, 820)
        self._update_status()

    # ---- layout -------------------------------------------------------------------------
    def _build_views(self) -> None:
        self.input_pane = Pane("Input")
        self.output_pane = Pane("Enhanced")
        self.legend = HeatmapLegend()
        self.factor_pane = Pane("Brightening (stops)", self.legend)
        self.panes = [self.input_pane, self.output_pane, self.factor_pane]
        self.sync = ViewSync([p.view for p in self.panes])
        self.side_by_side = QSplitter(Qt.Horizontal)
        self.side_by_side.setChildrenCollapsible(False)
        for p in self.panes:
            self.side_by_side.addWidget(p)
            self.side_by_side.setStretchFactor(self.side_by_side.indexOf(p), 1)
        self.side_by_side.setSizes([1000, 1000, 1000])
        self.split_view = SplitView()
        self.view_stack = QStackedWidget()
        self.view_stack.addWidget(self.side_by_side)
        self.view_stack.addWidget(self.split_view)
        self.placeholder = QLabel("Drop a photo here, or open one with Ctrl+O")
        self.placeholder.setAlignment(Qt.AlignCenter)
        self.placeholder.setStyleSheet("font-size: 16px; color: palette(mid);")
        self.view_stack.addWidget(self.placeholder)
        self.view_stack.setCurrentWidget(self.placeholder)
        self.video_bar = VideoBar()
        self.video_bar.seek.connect(self.show_video_frame)
        self.video_path: Path | None = None

    def _build_layout(self) -> None:
        self.message = MessageBar()
        photo = QWidget()
        v = QVBoxLayout(photo)
        v.setContentsMargins(4, 4, 4, 4)
        v.addWidget(self.message)
        v.addWidget(self.view_stack, 1)
        v.addWidget(self.video_bar)
        v.addWidget(self.controls)
        self.tabs = QTabWidget()
        self.tabs.addTab(photo, qta.icon("fa5s.image"), "Photo")
        self.batch = BatchPanel(self.controls.settings, self._enhancer_factory)
        self.tabs.addTab(self.batch, qta.icon("fa5s.layer-group"), "Batch")
        self.setCentralWidget(self.tabs)
        self.status_size = QLabel()
        self.status_backend = QLabel()
        self.status_time = QLabel()
        for w in (self.status_size, self.status_backend, self.status_time):
            w.setContentsMargins(6, 0, 6, 0)
            self.statusBar().addPermanentWidget(w)
        self.status_time.setMinimumWidth(self.status_time.fontMetrics().horizontalAdvance(
            "00000 ms") + 12)

    def _action(self, text: str, icon: str, shortcut, slot, tip: str = "") -> QAction:
        act = QAction(qta.icon(icon), text, self)
        if shortcut:
            act.setShortcut(QKeySequence(shortcut))
        act.setStatusTip(tip or text)
        act.triggered.connect(slot)
        return act

    def _build_actions(self) -> None:
        a = self._action
        self.act_open = a("&Open...", "fa5s.folder-open", QKeySequence.Open, self.open_dialog)
        self.act_paste = a("&Paste image", "fa5s.paste", QKeySequence.Paste, self.paste)
        self.act_save = a("&Save enhanced", "fa5s.save", QKeySequence.Save, self.save)
        self.act_save_as = a("Save enhanced &as...", "fa5s.file-export", QKeySequence.SaveAs,
                             self.save_as)
        self.act_save_factor = a("Save &heatmap as...", "fa5s.fire", "Ctrl+Shift+H",
                                 self.save_heatmap)
        self.act_quit = a("&Quit", "fa5s.sign-out-alt", QKeySequence.Quit, self.close)
        self.act_fit = a("&Fit", "fa5s.expand", "Ctrl+0", lambda: self._view().fit())
        self.act_actual = a("&100%", "fa5s.search", "Ctrl+1", lambda: self._view().zoom_to(1.0))
        self.act_zoom_in = a("Zoom &in", "fa5s.search-plus", QKeySequence.ZoomIn,
                             lambda: self._view().zoom_by(1.25))
        self.act_zoom_out = a("Zoom &out", "fa5s.search-minus", QKeySequence.ZoomOut,
                              lambda: self._view().zoom_by(0.8))
        self.act_compare = a("&Before/after split", "fa5s.columns", "Ctrl+B",
                             self.toggle_compare)
        self.act_compare.setCheckable(True)
        self.act_reset = a("&Reset settings", "fa5s.undo", "Ctrl+R",
                           self.controls.reset_settings)
        for act in (self.act_save, self.act_save_as, self.act_save_factor):
            act.setEnabled(False)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addActions([self.act_open, self.act_paste])
        self.recent_menu = file_menu.addMenu(qta.icon("fa5s.history"), "Open &recent")
        file_menu.addSeparator()
        file_menu.addActions([self.act_save, self.act_save_as, self.act_save_factor])
        file_menu.addSeparator()
        file_menu.addAction(self.act_quit)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addActions([self.act_fit, self.act_actual, self.act_zoom_in, self.act_zoom_out])
        view_menu.addSeparator()
        view_menu.addActions([self.act_compare, self.act_reset])
        tb = QToolBar("Main")
        tb.setObjectName("main-toolbar")
        tb.setMovable(False)
        tb.addActions([self.act_open, self.act_save, self.act_save_as])
        tb.addSeparator()
        tb.addActions([self.act_fit, self.act_actual, self.act_compare])
        tb.addSeparator()
        self.quality = QSpinBox()
        self.quality.setRange(50, 100)
        self.quality.setPrefix("JPEG/WebP quality ")
        self.quality.setToolTip("Quality of saved JPEG and WebP files (PNG and TIFF are lossless)")
        self.quality.setValue(int(self.store.value("quality", 95)))
        self.quality.valueChanged.connect(lambda q: self.store.setValue("quality", q))
        tb.addWidget(self.quality)
        self.addToolBar(tb)
        self._restore_video_options()
        self._refresh_recent()

    def _view(self):
        return self.input_pane.view

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
        self.request_preview()

    # ---- opening ------------------------------------------------------------------------
    def open_dialog(self) -> None:
        start = str(self.store.value("last_dir", str(Path.home())))
        name, _ = QFileDialog.getOpenFileName(self, "Open photo", start, FILE_FILTER)
        if name:
            self.open_path(Path(name))

    def open_path(self, path: Path) -> bool:
        if is_video(path):
            return self.open_video(path)
        try:
            image, meta = read_image(path)
        except ImageReadError as exc:
            self.message.show_error(f"Could not open {path.name}: {exc}")
            return False
        self._add_recent(path)
        self.video_path = None
        self.video_bar.stop()
        self.set_image(image, meta, path)
        return True

    def open_video(self, path: Path) -> bool:
        from app.core import VideoReadError, probe, read_frame

        try:
            info = probe(path)
            frame = read_frame(path, 0.0)
        except VideoReadError as exc:
            self.message.show_error(f"Could not open {path.name}: {exc}")
            return False
        self._add_recent(path)
        self.video_path = path
        self.video_info = info
        self.video_bar.set_video(info.duration, info.fps)
        self.set_image(frame, ImageMeta(), path)
        self.input_pane.footer.setText(f"{path.name}: {info.width}x{info.height}, "
                                       f"{info.fps:.3g} fps, {info.duration:.1f} s")
        return True

    def show_video_frame(self, seconds: float) -> None:
        """Scrubber moved: show that frame, keep zoom, enhance it with the current settings."""
        from app.core import VideoReadError, read_frame

        if self.video_path is None:
            return
        try:
            frame = read_frame(self.video_path, seconds)
        except VideoReadError as exc:
            self.message.show_error(str(exc))
            return
        self.image, self.preview = frame, preview_of(frame)
        self.input_pane.view.set_pixmap(to_pixmap(self.preview), (frame.shape[1], frame.shape[0]))
        self.request_preview()

    def paste(self) -> None:
        qimage = QGuiApplication.clipboard().image()
        if qimage.isNull():
            self.message.show_error("The clipboard holds no image.")
            return
        self.set_image(from_qimage(qimage), ImageMeta(), None)

    def set_image(self, image: np.ndarray, meta: ImageMeta, path: Path | None) -> None:
        self.message.hide()
        self.image, self.meta, self.path = image, meta, path
        self.preview = preview_of(image)
        self.output = self.gain = None
        self.shown_id = self.latest_preview_id  # results for the old image are stale now
        size = (image.shape[1], image.shape[0])
        for pane in self.panes:
            pane.view.fit_mode = True
        self.input_pane.view.set_pixmap(to_pixmap(self.preview), size)
        self.input_pane.footer.setText(path.name if path else "pasted image")
        self.view_stack.setCurrentWidget(self.split_view if self.act_compare.isChecked()
                                         else self.side_by_side)
        self.setWindowTitle(f"{path.name if path else 'Pasted image'} - Lowlight Studio")
        for act in (self.act_save, self.act_save_as, self.act_save_factor):
            act.setEnabled(True)
        self._update_status()
        self.request_preview()

    def _add_recent(self, path: Path) -> None:
        """Remember an opened file: the recent list and the folder dialogs start in."""
        self.store.setValue("last_dir", str(path.parent))
        recent = [p for p in self._recent() if p != str(path)]
        self.store.setValue("recent", [str(path)] + recent[:MAX_RECENT - 1])
        self._refresh_recent()

    def _recent(self) -> list[str]:
        value = self.store.value("recent", [])
        return [value] if isinstance(value, str) else list(value or [])

    def _refresh_recent(self) -> None:
        self.recent_menu.clear()
        for p in self._recent():
            self.recent_menu.addAction(Path(p).name, lambda p=p: self.open_path(Path(p)))
        self.recent_menu.setEnabled(bool(self._recent()))

    # ---- drag and drop ------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls() or event.mimeData().hasImage():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.files_dropped(urls)
        elif event.mimeData().hasImage():
            event.acceptProposedAction()
            self.set_image(from_qimage(event.mimeData().imageData()), ImageMeta(), None)

    def files_dropped(self, paths: list[str]) -> None:
        """One photo opens in the viewer; folders or several files go to the batch tab."""
        if len(paths) == 1 and not Path(paths[0]).is_dir():
            self.open_path(Path(paths[0]))
            return
        self.tabs.setCurrentWidget(self.batch)
        self.batch.add_paths([Path(p) for p in paths])

    # ---- enhancement --------------------------------------------------------------------
    def request_preview(self) -> None:
        if self.preview is None:
            return
        req = self.engine.request(self.preview, self.controls.settings())
        self.latest_preview_id = req.id

    def _on_ready(self, backend: str) -> None:
        self.backend = backend
        self._update_status()

    def _on_result(self, reply: Reply) -> None:
        if reply.full:
            self._finish_save(reply)
            return
        if reply.id <= self.shown_id or self.image is None:
            return  # stale: a newer preview is already on screen
        self.shown_id = reply.id
        self.output, self.gain = reply.image, reply.gain
        self.backend, self.last_seconds = reply.backend, reply.seconds
        size = (self.image.shape[1], self.image.shape[0])
        self.output_pane.view.set_pixmap(to_pixmap(reply.image), size)
        s = self.controls.settings()
        self.output_pane.footer.setText(settings_caption(s))
        self.factor_pane.view.set_pixmap(to_pixmap(gain_heatmap(reply.gain)), size)
        if self.view_stack.currentWidget() is self.split_view:  # only paint what is seen
            self._refresh_split_view()
        self._update_status()
        self.preview_shown.emit(reply.id)

    def _on_failure(self, request_id: int, message: str) -> None:
        if self._save_job is not None and request_id == self._save_job[0].id:
            self._close_save_dialog()
            if message != "cancelled":
                self.message.show_error(f"Saving failed: {message}. Nothing was written.")
            else:
                self.statusBar().showMessage("Save cancelled; nothing was written", 5000)
            return
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

    def toggle_compare(self, on: bool) -> None:
        if self.image is not None:
            self.view_stack.setCurrentWidget(self.split_view if on else self.side_by_side)
            if on:
                self._refresh_split_view()

    def _refresh_split_view(self) -> None:
        if self.preview is not None and self.output is not None:
            self.split_view.set_images(to_qimage(self.preview), to_qimage(self.output))

    # ---- lifetime -----------------------------------------------------------------------
    def closeEvent(self, event) -> None:  # noqa: N802
        if self._video_job is not None:
            self._video_job[1].control.cancel()
            self._end_video_job()
        self.batch.shutdown()
        self.engine.shutdown()
        super().closeEvent(event)
