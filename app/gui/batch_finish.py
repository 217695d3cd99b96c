"""The end of a batch: what it did, the output folder and the report one click away, and a
desktop notification when the window is not in front (the system tray's message where the
desktop has one; the in-window bar always says it)."""
from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPushButton,
    QSystemTrayIcon,
    QWidget,
)

from app.core import BatchReport, printable


class BatchFinish(QWidget):
    """Hidden until a batch ends; ``opener(QUrl)`` opens a folder or a file (the desktop's)."""

    notified = Signal(str)  # how the user was told: "tray" or "window"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.opener = QDesktopServices.openUrl
        self.folder: Path | None = None
        self.report_path: Path | None = None
        self.tray: QSystemTrayIcon | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.icon = QLabel()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.open_folder = QPushButton(qta.icon("fa5s.folder-open"), "Open output folder")
        self.open_folder.setToolTip("Show the outputs in the file manager")
        self.report_link = QLabel()
        self.report_link.setToolTip("The report: every file, what happened and with which "
                                    "settings (CSV for a spreadsheet, JSON beside it)")
        self.report_link.linkActivated.connect(lambda _: self._open(self.report_path))
        self.open_folder.clicked.connect(lambda: self._open(self.folder))
        for w in (self.icon, self.summary):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.report_link)
        layout.addWidget(self.open_folder)
        self.hide()

    def _open(self, path: Path | None) -> None:
        if path is not None:
            self.opener(QUrl.fromLocalFile(str(path)))

    def show_report(self, report: BatchReport, folder: Path) -> None:
        self.folder = folder
        self.report_path = report.paths[0] if report.paths else None
        bad = report.failed or report.count("cancelled")
        icon, colour = ("fa5s.exclamation-triangle", "#b45309") if bad else \
            ("fa5s.check-circle", "#16a34a")
        self.icon.setPixmap(qta.icon(icon, color=colour).pixmap(16, 16))
        self.summary.setText(f"Batch finished: {report.summary()}")
        self.open_folder.setEnabled(folder.is_dir())
        self.report_link.setText('<a href="report">Open the report</a>'
                                 if self.report_path else "")
        if self.report_path:
            self.report_link.setToolTip(printable(str(self.report_path)))
        self.show()

    def notify(self, report: BatchReport) -> str:
        """A desktop notification if the window is not in front and the desktop takes one;
        returns how the user was told."""
        window = self.window()
        if isinstance(window, QMainWindow):  # seen from the Photo tab too
            window.statusBar().showMessage(f"Batch finished: {report.summary()}", 15_000)
        if window.isActiveWindow() or not (QSystemTrayIcon.isSystemTrayAvailable()
                                           and QSystemTrayIcon.supportsMessages()):
            how = "window"
        else:
            if self.tray is None:
                self.tray = QSystemTrayIcon(window.windowIcon(), self)
            self.tray.show()
            self.tray.showMessage("Lowlight Studio: batch finished", report.summary(),
                                  QSystemTrayIcon.Information, 10_000)
            how = "tray"
        self.notified.emit(how)
        return how
