"""Render the app icon (resources/icon.png, .ico, .icns) from a qtawesome glyph.

    QT_QPA_PLATFORM=offscreen python build_scripts/make_icons.py
"""
from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

RES = Path(__file__).resolve().parent.parent / "resources"


def render(size: int = 512) -> Image.Image:
    import qtawesome as qta

    image = QImage(size, size, QImage.Format_RGBA8888)
    image.fill(Qt.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.Antialiasing)
    p.setBrush(QColor("#1e293b"))
    p.setPen(Qt.NoPen)
    p.drawRoundedRect(0, 0, size, size, size * 0.18, size * 0.18)
    qta.icon("fa5s.moon", color="#fbbf24").paint(p, size // 5, size // 5, 3 * size // 5,
                                                3 * size // 5)
    p.end()
    buf = bytes(image.constBits())
    return Image.frombytes("RGBA", (size, size), buf)


def main() -> None:
    QApplication.instance() or QApplication([])
    icon = render()
    icon.resize((256, 256), Image.LANCZOS).save(RES / "icon.png")
    icon.save(RES / "icon.ico", sizes=[(16, 16), (32, 32), (48, 48), (256, 256)])
    icon.save(RES / "icon.icns")
    print("icons written to", RES)


if __name__ == "__main__":
    main()
