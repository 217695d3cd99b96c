"""Export the picks: the chosen photos, each with its own settings and framing, through the
batch engine (the same naming, skip and refusal rules, a report next to the outputs), in a
thread, with progress, pause and cancel."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from app.core import (
    BatchControl,
    BatchItem,
    BatchReport,
    EnhanceSettings,
    Outcome,
    OutputOptions,
    PhotoEdits,
    run_batch,
)


class ExportWorker(QObject):
    file_done = Signal(int, int, object)  # index, total, Outcome
    finished = Signal(object)  # BatchReport

    def __init__(self, items: list[BatchItem], own: dict[Path, PhotoEdits],
                 output: OutputOptions, control: BatchControl, enhancer_factory):
        super().__init__()
        self.items, self.own, self.output = items, own, output
        self.control, self.factory = control, enhancer_factory

    def settings_for(self, path: Path) -> PhotoEdits:
        """The photo's edits as the window had them when the export started (the catalog
        belongs to the window's thread; its sidecars were written just before)."""
        return self.own[path]

    @Slot()
    def run(self) -> None:
        try:
            report = run_batch(self.items, self.factory(), EnhanceSettings(), self.output,
                               on_file=lambda i, n, o: self.file_done.emit(i, n, o),
                               control=self.control, settings_for=self.settings_for)
        except Exception as exc:  # noqa: BLE001 - e.g. the output folder is busy: shown
            report = BatchReport(outcomes=[Outcome(str(it.source), "", "failed", str(exc))
                                           for it in self.items])
        self.finished.emit(report)


def summary(report: BatchReport, folder: Path) -> str:
    counts: dict[str, int] = {}
    for o in report.outcomes:
        counts[o.status] = counts.get(o.status, 0) + 1
    words = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    failed = [f"{Path(o.source).name}: {o.reason}" for o in report.outcomes
              if o.status == "failed"]
    text = f"Exported to {folder}: {words or 'nothing'}."
    return text + ("\n" + "\n".join(failed[:8]) if failed else "")


class ExportPicksDialog(QDialog):
    """Progress of one export; stays open at the end with what happened."""

    finished_export = Signal(object)  # BatchReport

    def __init__(self, items: list[BatchItem], own: dict[Path, PhotoEdits],
                 output: OutputOptions, enhancer_factory, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export picks")
        self.output = output
        self.control = BatchControl()
        self.report: BatchReport | None = None
        self.label = QLabel(f"Exporting {len(items)} photos to {output.folder}...")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.bar = QProgressBar()
        self.bar.setRange(0, len(items))
        self.pause = QPushButton("Pause")
        self.pause.setCheckable(True)
        self.pause.toggled.connect(self._pause)
        self.buttons = QDialogButtonBox()
        self.buttons.addButton(self.pause, QDialogButtonBox.ActionRole)
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.cancel_button.clicked.connect(self.cancel)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.buttons)
        self.resize(460, 140)
        self.thread = QThread()
        self.worker = ExportWorker(items, own, output, self.control, enhancer_factory)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        self.worker.file_done.connect(self._file_done)
        self.worker.finished.connect(self._finished)

    def start(self) -> None:
        self.thread.start()
        self.show()

    @property
    def running(self) -> bool:
        return self.report is None and self.thread.isRunning()

    def _file_done(self, _index: int, total: int, outcome: Outcome) -> None:
        self.bar.setValue(self.bar.value() + 1)
        self.label.setText(f"{self.bar.value()} of {total}: {Path(outcome.source).name} "
                           f"{outcome.status}")

    def _pause(self, paused: bool) -> None:
        (self.control.pause if paused else self.control.resume)()
        self.pause.setText("Resume" if paused else "Pause")

    def cancel(self) -> None:
        if self.report is None:
            self.control.cancel()  # a paused export wakes up to stop
        else:
            self.close()

    def _finished(self, report: BatchReport) -> None:
        self.report = report
        self.thread.quit()
        self.thread.wait()
        self.bar.setValue(self.bar.maximum())
        self.label.setText(summary(report, Path(self.output.folder)))
        self.pause.setEnabled(False)
        self.cancel_button.setText("Close")
        self.finished_export.emit(report)

    def shutdown(self) -> None:
        if self.thread.isRunning():
            self.control.cancel()
            self.thread.quit()
            self.thread.wait()

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.running:
            self.cancel()  # closing the dialog stops the export; its report still comes
            event.ignore()
            return
        super().closeEvent(event)
