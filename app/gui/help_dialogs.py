"""Help > Keyboard shortcuts and Help > About: version, model card and licences. Both open
without blocking (the window keeps working behind them)."""
from __future__ import annotations

import html

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from app import __version__
from app.paths import bundle_root, default_weights

MOUSE = [("Mouse wheel", "Zoom in or out where the pointer is"),
         ("Drag the photo", "Pan; every pane follows"),
         ("Drag the divider's handle", "Move the before/after divider (split view)"),
         ("Arrow keys", "Pan the photo that has the focus")]
LICENCES = [
    ("Lowlight Studio", "MIT"), ("Qt 6 / PySide6", "LGPL 3"), ("NumPy", "BSD 3-clause"),
    ("OpenCV", "Apache 2.0"), ("ONNX Runtime", "MIT"), ("ONNX", "Apache 2.0"),
    ("PyTorch (training, optional)", "BSD 3-clause"), ("Numba", "BSD 2-clause"),
    ("Pillow", "MIT-CMU (HPND)"), ("PyAV", "BSD 3-clause"),
    ("FFmpeg (in PyAV's wheels)", "LGPL 2.1+ / GPL 2+ with x264 and x265"),
    ("rawpy", "MIT"), ("LibRaw (in rawpy's wheels)", "LGPL 2.1 / CDDL 1.0"),
    ("pillow-heif", "BSD 3-clause; its wheels: GPL 2 (libheif, libde265: LGPL 3; x265: GPL 2)"),
    ("QtAwesome", "MIT; Font Awesome Free icons: CC BY 4.0, font: SIL OFL 1.1"),
    ("tqdm", "MPL 2.0 / MIT"),
]


def shortcut_text(act: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.NativeText) for s in act.shortcuts())


def _clean(text: str) -> str:
    return text.replace("&", "")


def shortcut_rows(window) -> list[tuple[str, str]]:
    """(keys, what they do) for every action with a shortcut, then the mouse."""
    rows = [(shortcut_text(act), _clean(act.text())) for act in window.findChildren(QAction)
            if shortcut_text(act) and act.text()]
    return sorted(set(rows), key=lambda r: r[1].lower()) + MOUSE


def show_shortcuts(window) -> QDialog:
    dialog = getattr(window, "shortcuts_dialog", None)
    if dialog is None:
        dialog = QDialog(window)
        dialog.setWindowTitle("Keyboard shortcuts")
        rows = shortcut_rows(window)
        table = QTableWidget(len(rows), 2)
        table.setHorizontalHeaderLabels(["Keys", "Does"])
        for r, (keys, does) in enumerate(rows):
            table.setItem(r, 0, QTableWidgetItem(keys))
            table.setItem(r, 1, QTableWidgetItem(does))
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(1, QHeaderView.Stretch)
        table.resizeColumnToContents(0)
        table.setEditTriggers(QTableWidget.NoEditTriggers)
        layout = QVBoxLayout(dialog)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(dialog.close)
        layout.addWidget(buttons)
        dialog.resize(520, 520)
        dialog.table = table
        window.shortcuts_dialog = dialog
    dialog.show()
    dialog.raise_()
    return dialog


def about_html() -> str:
    card = bundle_root() / "model_weights" / "MODEL_CARD.md"
    card_link = (f'<a href="{QUrl.fromLocalFile(str(card)).toString()}">model card</a>'
                 if card.exists() else "model card (MODEL_CARD.md, not found)")
    licences = "".join(f"<tr><td>{html.escape(n)}</td><td>{html.escape(lic)}</td></tr>"
                       for n, lic in LICENCES)
    return (f"<h3>Lowlight Studio {__version__}</h3>"
            "<p>Brightens dark photos and videos on your own machine; nothing is uploaded.</p>"
            f"<p>Model: {html.escape(default_weights().stem)} (a small zero-reference "
            f"enhancement net, trained without reference photos). Read its {card_link} for "
            "how it was trained, what it is good at and where it fails.</p>"
            f"<p><b>Licences</b></p><table cellspacing='4'>{licences}</table>")


def show_about(window) -> QDialog:
    dialog = getattr(window, "about_dialog", None)
    if dialog is None:
        dialog = QDialog(window)
        dialog.setWindowTitle("About Lowlight Studio")
        label = QLabel(about_html())
        label.setOpenExternalLinks(True)
        label.setWordWrap(True)
        layout = QVBoxLayout(dialog)
        layout.addWidget(label)
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(dialog.close)
        layout.addWidget(buttons)
        dialog.label = label
        label.setMinimumWidth(560)  # wrapped text: give it a width, then its full height
        dialog.adjustSize()
        window.about_dialog = dialog
    dialog.show()
    dialog.raise_()
    return dialog
