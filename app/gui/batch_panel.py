"""The batch tab: drop folders and files, pick an output, watch per-file status."""
from __future__ import annotations

import time
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.core import (
    BatchControl,
    BatchItem,
    BatchReport,
    EnhanceSettings,
    Outcome,
    OutputOptions,
    PresetError,
    PresetStore,
    discover,
    run_batch,
)
from app.gui.controls import settings_in_words
from app.gui.progress_text import frames_progress_text, time_left_text
from app.gui.video_options import VideoOptionsEditor

STATUS_ICONS = {"queued": ("fa5s.clock", "#6b7280"), "running": ("fa5s.spinner", "#2563eb"),
                "done": ("fa5s.check-circle", "#16a34a"), "skipped": ("fa5s.forward", "#6b7280"),
                "failed": ("fa5s.times-circle", "#dc2626"),
                "cancelled": ("fa5s.ban", "#6b7280")}


class BatchWorker(QObject):
    started_file = Signal(int)
    file_done = Signal(int, object)  # index, Outcome
    video_progress = Signal(int, int, float)  # frames done, total, fps (current file)
    finished = Signal(object)  # BatchReport

    def __init__(self, items, settings, output, control, enhancer_factory):
        super().__init__()
        self.items, self.settings, self.output = items, settings, output
        self.control, self.factory = control, enhancer_factory

    @Slot()
    def run(self) -> None:
        try:
            engine = self.factory()
            report = run_batch(self.items, engine, self.settings, self.output,
                               on_file=lambda i, _n, o: self.file_done.emit(i, o),
                               control=self.control,
                               on_start=lambda i, _item: self.started_file.emit(i),
                               on_video_progress=lambda d, t, f: self.video_progress.emit(
                                   d, t, f))
        except Exception as exc:  # noqa: BLE001 - reported in the panel
            report = BatchReport(outcomes=[Outcome(str(it.source), "", "failed", str(exc))
                                           for it in self.items])
        self.finished.emit(report)


class BatchPanel(QWidget):
    batch_finished = Signal(object)  # BatchReport

    def __init__(self, settings_source, enhancer_factory, parent: QWidget | None = None,
                 presets: PresetStore | None = None):
        super().__init__(parent)
        self.settings_source = settings_source  # callable -> EnhanceSettings (main controls)
        self.preset_store = presets or PresetStore()
        self.factory = enhancer_factory
        self.inputs: list[Path] = []
        self.items: list[BatchItem] = []
        self.control: BatchControl | None = None
        self.thread: QThread | None = None
        self.report: BatchReport | None = None
        self._running_row = 0
        self.setAcceptDrops(True)
        self._build()

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        hint = QLabel("Drop folders or photos here. Originals are never changed; outputs go to "
                      "the folder below, mirroring the input folders.")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        buttons = QHBoxLayout()
        self.add_files_btn = QPushButton(qta.icon("fa5s.images"), "Add photos...")
        self.add_folder_btn = QPushButton(qta.icon("fa5s.folder-plus"), "Add folder...")
        self.clear_btn = QPushButton(qta.icon("fa5s.trash-alt"), "Clear")
        self.recursive = QCheckBox("Include sub-folders")
        self.recursive.setChecked(True)
        self.recursive.setToolTip("Also enhance the photos and videos in folders inside the "
                                  "folders added")
        self.add_files_btn.setToolTip("Add photos or videos to the list")
        self.add_folder_btn.setToolTip("Add a folder of photos and videos to the list")
        self.clear_btn.setToolTip("Empty the list (the files themselves are not touched)")
        for w in (self.add_files_btn, self.add_folder_btn, self.clear_btn, self.recursive):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout.addLayout(buttons)

        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["File", "Status", "Details"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)

        form = QFormLayout()
        self.preset = QComboBox()
        self.preset.setToolTip("The settings every file gets: those of the Photo tab, or a "
                               "preset (saved from the Photo tab's Preset row)")
        form.addRow("Settings", self.preset)
        self.applied = QLabel()  # what every file gets, in the Photo tab's words
        self.applied.setWordWrap(True)
        form.addRow("Applies", self.applied)
        self.preset.currentIndexChanged.connect(lambda _: self.show_settings())
        self.refresh_presets()
        out_row = QHBoxLayout()
        self.output_edit = QLineEdit()
        self.output_edit.setPlaceholderText("chosen automatically next to the inputs")
        browse = QPushButton(qta.icon("fa5s.folder-open"), "")
        browse.setToolTip("Choose the output folder")
        browse.setAccessibleName("Choose the output folder")
        browse.clicked.connect(self._choose_output)
        out_row.addWidget(self.output_edit, 1)
        out_row.addWidget(browse)
        form.addRow("Output folder", out_row)
        self.pattern = QLineEdit("{stem}_enhanced")
        self.pattern.setToolTip("Name of each output inside the output folder: {stem} is the "
                                "input's name; sub-folders are allowed")
        form.addRow("Name pattern", self.pattern)
        fmt_row = QHBoxLayout()
        self.format = QComboBox()
        for label, key in (("Keep format", "keep"), ("JPEG", "jpeg"), ("PNG", "png"),
                           ("TIFF", "tiff"), ("WebP", "webp")):
            self.format.addItem(label, key)
        self.quality = QSpinBox()
        self.quality.setRange(50, 100)
        self.quality.setValue(95)
        self.quality.setPrefix("Photo quality ")
        self.quality.setToolTip("Quality of JPEG and WebP outputs: higher is better and makes "
                                "bigger files (PNG and TIFF are lossless)")
        self.format.setToolTip("Format of the outputs: each input's own (camera RAW: 16-bit "
                               "TIFF, HEIC: JPEG), or one for all")
        self.overwrite = QCheckBox("Replace existing outputs")
        self.overwrite.setToolTip("Replace outputs that Lowlight Studio wrote before (else "
                                  "they are skipped); originals are never replaced")
        fmt_row.addWidget(self.format)
        fmt_row.addWidget(self.quality)
        fmt_row.addWidget(self.overwrite)
        fmt_row.addStretch(1)
        form.addRow("Format", fmt_row)
        self.video_options = VideoOptionsEditor()
        form.addRow("Videos", self.video_options)
        layout.addLayout(form)

        run_row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.rate = QLabel()
        self.start_btn = QPushButton(qta.icon("fa5s.play"), "Start")
        self.pause_btn = QPushButton(qta.icon("fa5s.pause"), "Pause")
        self.cancel_btn = QPushButton(qta.icon("fa5s.stop"), "Cancel")
        self.pause_btn.setCheckable(True)
        self.start_btn.setToolTip("Enhance every file in the list")
        self.pause_btn.setToolTip("Pause after the current file (Resume goes on)")
        self.cancel_btn.setToolTip("Stop; the files done so far are kept, the report says "
                                   "which")
        for w in (self.pause_btn, self.cancel_btn):
            w.setEnabled(False)
        run_row.addWidget(self.progress, 1)
        run_row.addWidget(self.rate)
        run_row.addWidget(self.start_btn)
        run_row.addWidget(self.pause_btn)
        run_row.addWidget(self.cancel_btn)
        layout.addLayout(run_row)

        self.add_files_btn.clicked.connect(self._choose_files)
        self.add_folder_btn.clicked.connect(self._choose_folder)
        self.clear_btn.clicked.connect(self.clear)
        self.recursive.toggled.connect(lambda _: self._rediscover())
        self.start_btn.clicked.connect(self.start)
        self.pause_btn.toggled.connect(self._pause)
        self.cancel_btn.clicked.connect(self.cancel)

    # ---- inputs -------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def refresh_presets(self) -> None:
        """Re-read the presets (the Photo tab saved, renamed or deleted one)."""
        chosen = self.preset.currentData()
        self.preset.clear()
        self.preset.addItem("Current settings of the Photo tab", None)
        try:
            names = self.preset_store.names()
        except PresetError as exc:
            names = []
            self.preset.setToolTip(str(exc))
        for name in names:
            self.preset.addItem(f"Preset: {name}", name)
        self.preset.setCurrentIndex(max(0, self.preset.findData(chosen)))
        self.show_settings()

    def show_settings(self) -> None:
        """Say what the chosen settings are (the Photo tab's may have moved, a preset may
        have gone)."""
        try:
            self.applied.setText(settings_in_words(self.chosen_settings()))
        except (PresetError, ValueError) as exc:
            self.applied.setText(str(exc))

    def chosen_settings(self) -> EnhanceSettings:
        """The preset chosen, or the Photo tab's settings; PresetError if it has gone."""
        name = self.preset.currentData()
        return self.settings_source() if name is None else self.preset_store.get(name)

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.refresh_presets()  # the presets file may have changed (the CLI, another window)

    def _choose_files(self) -> None:
        names, _ = QFileDialog.getOpenFileNames(self, "Add photos")
        self.add_paths([Path(n) for n in names])

    def _choose_folder(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Add folder")
        if name:
            self.add_paths([Path(name)])

    def _choose_output(self) -> None:
        name = QFileDialog.getExistingDirectory(self, "Output folder")
        if name:
            self.output_edit.setText(name)

    def add_paths(self, paths: list[Path]) -> None:
        if self.running:
            return
        self.inputs += [p for p in paths if p not in self.inputs]
        if not self.output_edit.text() and self.inputs:
            first = self.inputs[0]
            base = first if first.is_dir() else first.parent
            self.output_edit.setText(str(base.parent / f"{base.name}_enhanced"))
        self._rediscover()

    def _rediscover(self) -> None:
        # the output folder is never walked: a rerun must not enhance the earlier outputs
        self.items = discover(self.inputs, self.recursive.isChecked(),
                              exclude=self.output_edit.text() or None)
        self.table.setRowCount(len(self.items))
        for row, item in enumerate(self.items):
            self.table.setItem(row, 0, QTableWidgetItem(str(item.relative)))
            self.table.item(row, 0).setToolTip(str(item.source))
            # what cannot be read is named now, before Start (discovery's skip or failure)
            self._set_status(row, item.status or "queued", item.reason)
        self.progress.setRange(0, max(1, len(self.items)))
        self.progress.setValue(0)

    def clear(self) -> None:
        if not self.running:
            self.inputs, self.items = [], []
            self.table.setRowCount(0)
            self.output_edit.clear()

    def _set_status(self, row: int, status: str, details: str) -> None:
        icon, colour = STATUS_ICONS[status]
        cell = QTableWidgetItem(qta.icon(icon, color=colour), status)
        self.table.setItem(row, 1, cell)
        self.table.setItem(row, 2, QTableWidgetItem(details))

    def status_of(self, row: int) -> str:
        return self.table.item(row, 1).text()

    # ---- running ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def output_options(self) -> OutputOptions:
        return OutputOptions(Path(self.output_edit.text()), self.pattern.text() or "{stem}",
                             self.format.currentData(), self.quality.value(),
                             self.overwrite.isChecked(), video=self.video_options.options())

    def start(self) -> None:
        if self.running or not self.items:
            return
        if not self.output_edit.text():
            return
        try:
            settings = self.chosen_settings()
        except PresetError as exc:
            self.rate.setText(str(exc))
            return
        self.settings_used = settings
        self._rediscover()
        self.control = BatchControl()
        self.thread = QThread()
        self.worker = BatchWorker(self.items, settings, self.output_options(), self.control,
                                  self.factory)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.started_file.connect(self._file_started)
        self.worker.video_progress.connect(self._video_progress)
        self.worker.file_done.connect(self._file_done)
        self.worker.finished.connect(self._finished)
        self._started_at, self._done = time.monotonic(), 0
        for w in (self.start_btn, self.add_files_btn, self.add_folder_btn, self.clear_btn):
            w.setEnabled(False)
        for w in (self.pause_btn, self.cancel_btn):
            w.setEnabled(True)
        self.thread.start()

    def _file_started(self, row: int) -> None:
        self._running_row = row
        self._set_status(row, "running", "")

    def _video_progress(self, done: int, total: int, fps: float) -> None:
        item = self.table.item(self._running_row, 2)
        if item is not None:
            item.setText(frames_progress_text(done, total, fps))

    def _file_done(self, row: int, outcome: Outcome) -> None:
        details = outcome.reason or outcome.output
        self._set_status(row, outcome.status, details)
        self._done += 1
        self.progress.setValue(self._done)
        elapsed = time.monotonic() - self._started_at
        rate = self._done / elapsed if elapsed > 0 else 0.0
        left = (len(self.items) - self._done) / rate if rate > 0 else 0.0
        self.rate.setText(f"{rate:.1f} files/s, {time_left_text(left)}")

    def _pause(self, paused: bool) -> None:
        if self.control is None:
            return
        if paused:
            self.control.pause()
            self.pause_btn.setText("Resume")
            self.pause_btn.setIcon(qta.icon("fa5s.play"))
        else:
            self.control.resume()
            self.pause_btn.setText("Pause")
            self.pause_btn.setIcon(qta.icon("fa5s.pause"))

    def cancel(self) -> None:
        if self.control is not None:
            self.control.cancel()

    def _finished(self, report: BatchReport) -> None:
        self.report = report
        self.thread.quit()
        self.thread.wait()
        self.thread = None
        self.pause_btn.setChecked(False)
        for w in (self.start_btn, self.add_files_btn, self.add_folder_btn, self.clear_btn):
            w.setEnabled(True)
        for w in (self.pause_btn, self.cancel_btn):
            w.setEnabled(False)
        self.rate.setText(report.summary())
        self.batch_finished.emit(report)

    def shutdown(self) -> None:
        if self.thread is not None:
            self.control.cancel()
            self.thread.quit()
            self.thread.wait(10_000)
