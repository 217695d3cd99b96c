"""Inline, non-modal messages under the toolbar."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget


class MessageBar(QWidget):
    """Inline, non-modal error/info banner: the app keeps running, nothing pops up."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        self.icon = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextSelectableByMouse)
        close = QPushButton(qta.icon("fa5s.times"), "")
        close.setFlat(True)
        close.setToolTip("Close this message")
        close.clicked.connect(self.hide)
        layout.addWidget(self.icon)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.setAutoFillBackground(True)
        self.hide()

    def show_error(self, message: str) -> None:
        self.icon.setPixmap(qta.icon("fa5s.exclamation-triangle", color="#b45309").pixmap(16, 16))
        self.setStyleSheet("background: #fef3c7; color: #78350f; border-radius: 4px;")
        self.text.setText(message)
        self.show()
