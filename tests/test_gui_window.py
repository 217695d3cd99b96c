"""The window around the photo (#16): keyboard and focus, Help, --version, small screens and
remembered geometry, never overwriting silently, where dialogs start, small messages. The
real window, offscreen (fixtures in conftest.py)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tomllib
from PySide6.QtCore import QRect, QSettings, QSize, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from app import __version__
from app.core import read_image, write_image
from app.gui import screen
from app.gui.convert import to_qimage
from app.gui.exporting import photo_filter
from app.gui.workers import WRITING

ROOT = Path(__file__).resolve().parent.parent
SMALL = QRect(0, 0, 1366, 768 - 40)  # a 1366x768 laptop screen less a panel


def focus_image(qtbot, window):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.leading_view(), timeout=5000)


def test_focus_starts_on_the_image_keys_reach_it_and_ctrl_v_pastes(qtbot, window, photo,
                                                                   dark_photo):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.placeholder, timeout=5000)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    focus_image(qtbot, window)
    quality = window.quality.value()
    QTest.keyClick(window.leading_view(), Qt.Key_Up)
    QTest.keyClick(window.leading_view(), Qt.Key_Down)
    assert window.quality.value() == quality  # arrows pan the image, not the save quality
    assert window.quality.focusPolicy() == Qt.ClickFocus
    pasted = dark_photo[::2, ::2].copy()
    QGuiApplication.clipboard().setImage(to_qimage(pasted))
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        QTest.keyClick(window.leading_view(), Qt.Key_V, Qt.ControlModifier)
    assert window.path is None and np.array_equal(window.image, pasted)


def test_space_plays_and_pauses_a_video(qtbot, window, tmp_path):
    from clips import make_clip

    clip = make_clip(tmp_path / "clip.mp4", frames=12)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(clip)
    focus_image(qtbot, window)
    assert window.act_play.isEnabled() and window.act_play.shortcut().toString() == "Space"
    QTest.keyClick(window.leading_view(), Qt.Key_Space)
    assert window.video_bar.play_btn.isChecked()
    QTest.keyClick(window.leading_view(), Qt.Key_Space)
    assert not window.video_bar.play_btn.isChecked()


def test_help_lists_the_shortcuts_and_about_names_version_model_card_licences(qtbot, window):
    window.act_shortcuts.trigger()
    dialog = window.shortcuts_dialog
    assert dialog.isVisible()
    rows = {dialog.table.item(r, 0).text(): dialog.table.item(r, 1).text()
            for r in range(dialog.table.rowCount())}
    assert rows["J"] == "Clipping warnings" and rows["\\"] == "Show before"
    assert rows["Space"].startswith("Play") and "Ctrl+Z" in rows
    assert any("Ctrl+Shift+Z" in keys for keys in rows)
    dialog.close()
    window.act_about.trigger()
    text = window.about_dialog.label.text()
    assert f"Lowlight Studio {__version__}" in text and "model card" in text
    assert "MODEL_CARD.md" in text and "Licences" in text and "LGPL" in text
    window.about_dialog.close()


def test_version_everywhere_is_the_packages():
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert __version__ == version
    for module, prog in (("app.cli", "lowlight"), ("app", "lowlight-studio")):
        done = subprocess.run([sys.executable, "-m", module, "--version"], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and done.stdout.strip() == f"{prog} {version}"


def test_screenshot_of_a_missing_photo_fails(tmp_path):
    out = tmp_path / "shot.png"
    done = subprocess.run([sys.executable, "-m", "app", "--screenshot", str(out),
                           str(tmp_path / "missing.jpg")], cwd=ROOT, capture_output=True,
                          text=True, timeout=120,
                          env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode != 0 and "missing.jpg" in done.stderr and not out.exists()


def test_the_window_fits_a_1366x768_screen(qtbot, window, photo):
    first = screen.initial_geometry(SMALL)
    assert SMALL.contains(first) and first.height() + screen.FRAME.height() <= SMALL.height()
    assert screen.initial_geometry(QRect(0, 0, 2560, 1440)).size() == screen.WANTED
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    hint = window.minimumSizeHint()
    assert hint.width() <= first.width() and hint.height() <= first.height()
    window.setGeometry(first)
    qtbot.waitUntil(lambda: window.size() == first.size(), timeout=5000)
    inside = window.rect()
    for widget in (window.controls.scale_combo, window.controls.exposure_reset,
                   window.controls.denoise.spin, window.presets.delete_btn, window.histogram,
                   window.output_pane.view, window.factor_pane.footer, window.statusBar()):
        corner = widget.mapTo(window, widget.rect().bottomRight())
        assert widget.isVisible() and inside.contains(corner), widget
    assert window.output_pane.view.height() > 250  # room left for the photo


def test_geometry_is_remembered_and_dropped_when_it_no_longer_fits(qtbot, tmp_path):
    from app.__main__ import enhancer_factory
    from app.core import PresetStore
    from app.gui.main_window import MainWindow

    store = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    presets = PresetStore(tmp_path / "p.json")
    first = MainWindow(enhancer_factory, store, presets)
    qtbot.addWidget(first)
    first.show()
    first.resize(780, 680)  # the settings column and three panes need ~760 pixels
    qtbot.waitUntil(lambda: first.size() == QSize(780, 680), timeout=5000)
    first.close()
    second = MainWindow(enhancer_factory, store, presets)
    qtbot.addWidget(second)
    assert second.size() == QSize(780, 680)
    second.close()
    huge = MainWindow(enhancer_factory, store, presets)  # saved on a bigger screen
    qtbot.addWidget(huge)
    huge.resize(5000, 4000)
    huge.close()
    third = MainWindow(enhancer_factory, store, presets)
    qtbot.addWidget(third)
    available = third.screen().availableGeometry()
    assert third.width() <= available.width() and third.height() <= available.height()
    third.close()


def test_save_never_replaces_a_file_silently(qtbot, window, photo, tmp_path):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    target = tmp_path / "night_enhanced.png"
    write_image(target, np.zeros((4, 4, 3), np.uint8))
    kept = target.read_bytes()
    asked = []
    window.exporter.ask_overwrite = lambda path: asked.append(path) or "cancel"
    window.exporter.save()  # Ctrl+S
    assert asked == [target] and not window.session.pending.saving and target.read_bytes() == kept
    window.exporter.ask_overwrite = lambda path: "new"
    window.exporter.save()
    qtbot.waitUntil(lambda: not window.session.pending.saving, timeout=30000)
    assert (tmp_path / "night_enhanced (2).png").exists() and target.read_bytes() == kept
    window.exporter.ask_overwrite = lambda path: "replace"
    window.exporter.save()
    qtbot.waitUntil(lambda: not window.session.pending.saving, timeout=30000)
    assert read_image(target)[0].shape == (240, 320, 3)


def test_video_export_asks_before_replacing(qtbot, window, tmp_path):
    from clips import make_clip

    clip = make_clip(tmp_path / "drive.mp4", frames=8)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(clip)
    target = tmp_path / "drive_enhanced.mp4"
    target.write_bytes(b"an earlier export")
    asked = []
    window.exporter.ask_overwrite = lambda path: asked.append(path) or "cancel"
    window.exporter.save()
    assert asked == [target] and window.exporter.video_job is None
    assert target.read_bytes() == b"an earlier export"


def test_save_as_offers_photo_formats_and_dialogs_start_in_pictures_or_last_folder(
        qtbot, window, photo, monkeypatch):
    from app.gui.opening import pictures_dir
    from app.paths import sample_image

    assert window.opener.start_dir() == pictures_dir()
    window.open_path(sample_image(), remember=False)  # the bundled sample
    assert window.opener.start_dir() == pictures_dir() and window.opener.recent() == []
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    assert window.opener.start_dir() == str(photo.parent)
    seen = {}

    def fake_dialog(parent, caption, start, filters, original):
        seen.update(caption=caption, start=str(start), filters=filters, original=original)
        return None

    monkeypatch.setattr("app.gui.exporting.ask_save_name", fake_dialog)
    window.exporter.save_as()
    assert seen["original"] == photo  # the dialog refuses it itself
    assert seen["filters"].startswith("PNG (*.png)") and "*.jpg" in seen["filters"]
    assert "*.mp4" not in seen["filters"] and seen["start"].endswith("night_enhanced.png")
    assert photo_filter(".jpeg").startswith("JPEG (*.jpg *.jpeg)")
    recent = window.opener.recent_menu.actions()[0]
    assert recent.text().startswith("night.png") and photo.parent.name in recent.text()
    assert recent.toolTip() == str(photo)


def test_messages_name_the_file_once(qtbot, window, tmp_path):
    bad = tmp_path / "notes.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 not really")
    assert not window.open_path(bad)
    text = window.message.text.text()
    assert text.startswith("Could not open notes.jpg:") and text.count("notes.jpg") == 1


def test_saving_says_when_it_is_writing_the_file(qtbot, window, photo, tmp_path):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    stages = []
    window.engine.worker.progress.connect(lambda _id, value: stages.append(value))
    target = tmp_path / "out.png"
    window.exporter.save_to(target)
    qtbot.waitUntil(lambda: not window.session.pending.saving, timeout=30000)
    assert stages[-1] == WRITING and max(stages) == pytest.approx(1.0) and target.exists()
    assert "Saved" in window.statusBar().currentMessage()
