"""The status bar's permanent readouts: the zoom (click it to type one), the heatmap's value
under the cursor, the image's size, the engine that ran and the time of the last preview."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QLineEdit, QStatusBar

MIN_ZOOM, MAX_ZOOM = 1, 3200  # percent


def zoom_text(zoom: float) -> str:
    return f"{zoom * 100:.0f}%" if zoom >= 0.1 else f"{zoom * 100:.1f}%"


def parse_zoom(text: str) -> float | None:
    """'37', '37%' or ' 150 % ' -> 0.37, 1.5; None for anything else or out of range."""
    try:
        percent = float(text.strip().rstrip("%").strip())
    except ValueError:
        return None
    return percent / 100 if MIN_ZOOM <= percent <= MAX_ZOOM else None


class ZoomBox(QLineEdit):
    """Shows the zoom; click, type a percentage and press Enter to zoom there."""

    zoom_typed = Signal(float)

    def __init__(self):
        super().__init__()
        self.setAlignment(Qt.AlignRight)
        self.setFixedWidth(self.fontMetrics().horizontalAdvance("00000%") + 14)
        self.setToolTip("Zoom: 100% shows the photo's own pixels. Click and type one "
                        "(e.g. 50), then Enter")
        self.setFocusPolicy(Qt.ClickFocus)
        self.returnPressed.connect(self._typed)
        self._zoom = 1.0

    def show_zoom(self, zoom: float) -> None:
        self._zoom = zoom
        if not self.hasFocus():
            self.setText(zoom_text(zoom))

    def _typed(self) -> None:
        wanted = parse_zoom(self.text())
        self.clearFocus()
        if wanted is None:
            self.setText(zoom_text(self._zoom))
            return
        self.zoom_typed.emit(wanted)

    def focusOutEvent(self, event) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.setText(zoom_text(self._zoom))


def stops_text(value: float) -> str:
    return f"{value:+.1f} EV"


def gain_at(gain: np.ndarray | None, size: tuple[int, int] | None, x: float, y: float
            ) -> float | None:
    """The brightening (stops) the map gives the photo's pixel (x, y); ``size`` = (w, h)."""
    if gain is None or size is None or not (0 <= x < size[0] and 0 <= y < size[1]):
        return None
    gh, gw = gain.shape[:2]
    return float(gain[min(gh - 1, int(y * gh / size[1])), min(gw - 1, int(x * gw / size[0]))])


class StatusReadouts:
    def __init__(self, bar: QStatusBar):
        self.ev = QLabel()
        self.ev.setToolTip("The brightening under the cursor, in stops (+1 EV = twice as "
                           "bright)")
        self.zoom = ZoomBox()
        self.size = QLabel()
        self.backend = QLabel()
        self.backend.setToolTip("the engine that ran the last enhancement")
        self.time = QLabel()
        self.time.setToolTip("time the last preview took")
        for w in (self.ev, self.zoom, self.size, self.backend, self.time):
            w.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(w)
        self.ev.setMinimumWidth(self.ev.fontMetrics().horizontalAdvance("+0.0 EV") + 12)
        self.time.setMinimumWidth(self.time.fontMetrics().horizontalAdvance("00000 ms") + 12)

    def show(self, image: np.ndarray | None, backend: str, seconds: float | None) -> None:
        if image is not None:
            h, w = image.shape[:2]
            depth = "16-bit" if image.dtype == np.uint16 else "8-bit"
            self.size.setText(f"{w} x {h} ({w * h / 1e6:.1f} MP, {depth})")
        else:
            self.size.setText("no image")
        self.backend.setText(backend)
        self.time.setText(f"{seconds * 1000:.0f} ms" if seconds is not None else "")

    def show_ev(self, value: float | None) -> None:
        self.ev.setText("" if value is None else stops_text(value))
