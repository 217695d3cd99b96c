"""The batch tab: drop folders and files, choose and see the settings, pick an output, watch
per-file status and a before/after of each finished photo, and find the outputs at the end.

Pieces: the settings (batch_settings.py), the thread (batch_worker.py), the time left
(batch_clock.py), the thumbnails (batch_thumbs.py), the end of a batch (batch_finish.py)."""
from __future__ import annotations

import time
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QSize, Qt, QThread, Signal
from PySide6.QtGui import QIcon, QPixmap
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
    QMessageBox,
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
    Outcome,
    OutputOptions,
    PresetError,
    PresetStore,
    discover,
    is_video,
    plan_outputs,
)
from app.core.presets import from_dict as settings_from_names
from app.gui.batch_clock import BatchClock
from app.gui.batch_finish import BatchFinish
from app.gui.batch_settings import BatchSettings, ask_replace_changed
from app.gui.batch_thumbs import GAP, THUMB
from app.gui.batch_worker import BatchWorker
from app.gui.progress_text import frames_progress_text
from app.gui.video_options import VideoOptionsEditor

STATUS_ICONS = {"queued": ("fa5s.clock", "#6b7280"), "running": ("fa5s.spinner", "#2563eb"),
                "done": ("fa5s.check-circle", "#16a34a"), "skipped": ("fa5s.forward", "#6b7280"),
                "failed": ("fa5s.times-circle", "#dc2626"),
                "cancelled": ("fa5s.ban", "#6b7280")}
THUMB_COLUMN = 3
STATUS_ICON = 16  # pixels
NOT_MADE = "not made: the batch was cancelled"


class BatchPanel(QWidget):
    batch_finished = Signal(object)  # BatchReport
    open_photo = Signal(object, object)  # a finished photo's Path, the EnhanceSettings it got

    def __init__(self, settings_source, enhancer_factory, parent: QWidget | None = None,
                 presets: PresetStore | None = None):
        super().__init__(parent)
        self.settings_box = BatchSettings(settings_source, presets or PresetStore())
        self.preset = self.settings_box.source  # the source combo (presets among them)
        self.applied = self.settings_box.applied
        self.factory = enhancer_factory
        self.inputs: list[Path] = []
        self.items: list[BatchItem] = []
        self.control: BatchControl | None = None
        self.thread: QThread | None = None
        self.report: BatchReport | None = None
        self.outcomes: dict[int, Outcome] = {}  # this run's, by row
        self.clock: BatchClock | None = None
        self.replace_prompt: QMessageBox | None = None
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

        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["File", "Status", "Details", "Before / after"])
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(2, QHeaderView.Stretch)
        self.table.setColumnWidth(THUMB_COLUMN, 2 * THUMB + GAP + 8)
        self.table.setIconSize(QSize(2 * THUMB + GAP, THUMB))
        self.table.setToolTip("Click a finished photo's before/after (or double-click its "
                              "row) to open it in the Photo tab with the settings it got")
        self.table.cellClicked.connect(lambda row, col: col == THUMB_COLUMN and
                                       self.open_row(row))
        self.table.cellDoubleClicked.connect(lambda row, _col: self.open_row(row))
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.verticalHeader().hide()
        layout.addWidget(self.table, 1)

        layout.addWidget(self.settings_box)
        form = QFormLayout()
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
        self.finish = BatchFinish()
        layout.addWidget(self.finish)

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

    @property
    def preset_store(self) -> PresetStore:
        return self.settings_box.preset_store

    @preset_store.setter
    def preset_store(self, store: PresetStore) -> None:
        self.settings_box.preset_store = store

    def refresh_presets(self) -> None:
        """Re-read the presets (the Photo tab saved, renamed or deleted one)."""
        self.settings_box.refresh_presets()

    def show_settings(self) -> None:
        """The Photo tab's settings moved: show them if they are the batch's."""
        self.settings_box.show_settings()

    def chosen_settings(self):
        return self.settings_box.chosen()

    def share_quality(self, box: QSpinBox) -> None:
        """One photo quality for the window: the toolbar's box and this one move together."""
        self.quality.setValue(box.value())
        box.valueChanged.connect(self.quality.setValue)
        self.quality.valueChanged.connect(box.setValue)

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
            self.table.setItem(row, THUMB_COLUMN, QTableWidgetItem())
        self.outcomes = {}
        self.progress.setRange(0, max(1, len(self.items)))
        self.progress.setValue(0)
        self.progress.setFormat("%v / %m")

    def clear(self) -> None:
        if not self.running:
            self.inputs, self.items = [], []
            self.table.setRowCount(0)
            self.output_edit.clear()

    def _set_status(self, row: int, status: str, details: str) -> None:
        icon, colour = STATUS_ICONS[status]
        # a fixed-size pixmap: the table's icon size is the before/after thumbnails', and a
        # vector icon would be drawn that big, hiding the status word
        small = QIcon(qta.icon(icon, color=colour).pixmap(STATUS_ICON, STATUS_ICON))
        cell = QTableWidgetItem(small, status)
        self.table.setItem(row, 1, cell)
        self.table.setItem(row, 2, QTableWidgetItem(details))

    def status_of(self, row: int) -> str:
        return self.table.item(row, 1).text()

    # ---- running ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.thread is not None

    def output_options(self, replace_changed: bool = False) -> OutputOptions:
        return OutputOptions(Path(self.output_edit.text()), self.pattern.text() or "{stem}",
                             self.format.currentData(), self.quality.value(),
                             self.overwrite.isChecked(), video=self.video_options.options(),
                             replace_changed=replace_changed)

    def start(self) -> None:
        """Start, or first ask whether the earlier outputs other settings made are replaced."""
        if self.running or not self.items or not self.output_edit.text():
            return
        try:
            settings = self.chosen_settings()
        except PresetError as exc:
            self.rate.setText(str(exc))
            return
        self._rediscover()
        settings_for = self.settings_box.settings_for()
        changed = 0
        if not self.overwrite.isChecked():
            try:
                plans = plan_outputs(self.items, self.output_options().validated(), settings,
                                     settings_for)
                changed = sum(p.changed and p.status == "skipped" for p in plans)
            except ValueError:
                pass  # a bad choice: the batch names it in every row
        if changed:
            self._ask_replace(changed, settings, settings_for)
        else:
            self._launch(settings, settings_for, self.output_options())

    def _ask_replace(self, changed: int, settings, settings_for) -> None:
        def answered(replace: bool) -> None:
            self.replace_prompt = None
            self._launch(settings, settings_for, self.output_options(replace))

        self.replace_prompt = ask_replace_changed(self, changed, answered,
                                                  lambda: setattr(self, "replace_prompt", None))

    def _launch(self, settings, settings_for, options: OutputOptions) -> None:
        self.settings_used = settings
        self.finish.hide()
        self.control = BatchControl()
        self.thread = QThread()
        self.worker = BatchWorker(self.items, settings, options, self.control, self.factory,
                                  settings_for)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.planned.connect(self._planned)
        self.worker.started_file.connect(self._file_started)
        self.worker.video_progress.connect(self._video_progress)
        self.worker.file_done.connect(self._file_done)
        self.worker.finished.connect(self._finished)
        self._done = 0
        self.clock = BatchClock({}, len(self.items), time.monotonic())
        for w in (self.start_btn, self.add_files_btn, self.add_folder_btn, self.clear_btn,
                  self.settings_box):
            w.setEnabled(False)
        for w in (self.pause_btn, self.cancel_btn):
            w.setEnabled(True)
        self.thread.start()

    def _planned(self, video_frames: dict) -> None:
        """The videos' lengths: the time left counts their frames, not one file each."""
        self.clock = BatchClock(video_frames, len(self.items) - len(video_frames),
                                self.clock.start if self.clock else time.monotonic())

    def _file_started(self, row: int) -> None:
        self._running_row = row
        self._set_status(row, "running", "")
        self.clock.started(row, time.monotonic())

    def _video_progress(self, done: int, total: int, fps: float) -> None:
        item = self.table.item(self._running_row, 2)
        if item is not None:
            item.setText(frames_progress_text(done, total, fps))
        self.clock.video_progress(done, fps)
        self.rate.setText(self.clock.text(time.monotonic()))

    def _file_done(self, row: int, outcome: Outcome, thumb) -> None:
        self.outcomes[row] = outcome
        cancelled = outcome.status == "cancelled"
        self._set_status(row, outcome.status, outcome.reason or (NOT_MADE if cancelled
                                                                 else outcome.output))
        if thumb is not None:
            cell = QTableWidgetItem()
            cell.setData(Qt.DecorationRole, QPixmap.fromImage(thumb))
            cell.setToolTip("Before and after; click to open it in the Photo tab")
            self.table.setItem(row, THUMB_COLUMN, cell)
            self.table.setRowHeight(row, THUMB + 6)
        if not cancelled:  # the bar counts what was done, not what a cancel ended
            self._done += 1
            self.progress.setValue(self._done)
        self.clock.finished(row, time.monotonic(), worked=outcome.status in ("done", "failed"))
        self.rate.setText(self.clock.text(time.monotonic()))

    def open_row(self, row: int) -> None:
        """A finished photo to the Photo tab, with the settings it was made with."""
        outcome = self.outcomes.get(row)
        if outcome is None or outcome.status != "done" or is_video(Path(outcome.source)):
            return
        self.open_photo.emit(Path(outcome.source), settings_from_names(outcome.settings))

    def _pause(self, paused: bool) -> None:
        if self.control is None:
            return
        if paused:
            self.control.pause()
            self.clock.pause(time.monotonic())
            self.pause_btn.setText("Resume")
            self.pause_btn.setIcon(qta.icon("fa5s.play"))
        else:
            self.control.resume()
            self.clock.resume(time.monotonic())
            self.pause_btn.setText("Pause")
            self.pause_btn.setIcon(qta.icon("fa5s.pause"))
        self.rate.setText(self.clock.text(time.monotonic()))

    def cancel(self) -> None:
        if self.control is not None:
            self.control.cancel()

    def _finished(self, report: BatchReport) -> None:
        self.report = report
        self.thread.quit()
        self.thread.wait()
        self.thread = None
        self.pause_btn.setChecked(False)
        for w in (self.start_btn, self.add_files_btn, self.add_folder_btn, self.clear_btn,
                  self.settings_box):
            w.setEnabled(True)
        for w in (self.pause_btn, self.cancel_btn):
            w.setEnabled(False)
        cancelled = report.count("cancelled")
        self.progress.setValue(len(report.outcomes) - cancelled)
        if cancelled:
            self.progress.setFormat(f"%v / %m, {cancelled} cancelled")
        self.rate.setText(report.summary())
        self.finish.show_report(report, Path(self.output_edit.text()))
        self.batch_finished.emit(report)
        self.finish.notify(report)

    def shutdown(self) -> None:
        if self.thread is not None:
            self.control.cancel()
            self.thread.quit()
            self.thread.wait(10_000)
