"""Save As's file dialog, which refuses the original inside the dialog: choosing the photo
(or video) being edited says why on the spot and keeps the dialog open, instead of asking
"Replace?" and refusing after. Qt's own dialog (not the platform's) is used, since only it
lets the app check a name before the dialog closes."""
from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QGridLayout, QLabel


def same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False


class SaveAsDialog(QFileDialog):
    def __init__(self, parent, caption: str, default: Path, filters: str,
                 original: Path | None):
        super().__init__(parent, caption, str(default), filters)
        self.setOption(QFileDialog.DontUseNativeDialog)
        self.setAcceptMode(QFileDialog.AcceptSave)
        self.selectFile(str(default))
        self.original = original
        self.refusal = QLabel()
        self.refusal.setStyleSheet("color: #b91c1c;")
        self.refusal.setWordWrap(True)
        self.refusal.hide()
        grid = self.layout()
        if isinstance(grid, QGridLayout):
            grid.addWidget(self.refusal, grid.rowCount(), 0, 1, grid.columnCount())

    def chosen(self) -> Path | None:
        files = self.selectedFiles()
        return Path(files[0]) if files else None

    def accept(self) -> None:
        target = self.chosen()
        if target is not None and self.original is not None and \
                same_file(target, self.original):
            self.refusal.setText(f"{target.name} is the original, which is never "
                                 "overwritten: choose another name.")
            self.refusal.show()
            return
        super().accept()


def ask_save_name(parent, caption: str, default: Path, filters: str,
                  original: Path | None) -> Path | None:
    dialog = SaveAsDialog(parent, caption, default, filters, original)
    return dialog.chosen() if dialog.exec() else None
