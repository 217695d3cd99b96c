"""Settings kept per photo (#26): each photo's settings saved beside it as the user works and
brought back when it is opened again, Auto for photos never touched, copy/paste/sync to
selected thumbnails, reset per photo, and turning/straightening/cropping that the preview and
the saved file share. The real window, offscreen."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, QPointF, QRectF, QSettings
from window_helpers import open_and_wait, photo_folder

from app.core import EnhanceSettings, PhotoEdits, read_image
from app.core.photo_edits import sidecar_path


@pytest.fixture
def shoot(tmp_path, dark_photo):
    return photo_folder(tmp_path, dark_photo, 3)


def step(qtbot, window, delta):
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.browser.step(delta)


def select(window, rows):
    view = window.browser.strip.view
    sel = view.selectionModel()
    sel.clearSelection()
    for r in rows:
        sel.select(window.browser.strip.model.index(r), QItemSelectionModel.Select)


def test_each_photo_keeps_its_own_settings_and_untouched_ones_keep_auto(qtbot, window, shoot,
                                                                       tmp_path):
    first, second = shoot / "IMG_1.png", shoot / "IMG_2.png"
    open_and_wait(qtbot, window, first)
    assert window.controls.settings() == EnhanceSettings().validated()
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.controls.iterations_spin.setValue(5)
    # written once the user stops, not on every move
    qtbot.waitUntil(lambda: sidecar_path(first).exists(), timeout=10000)
    assert json.loads(sidecar_path(first).read_text())["settings"]["strength"] == 5
    step(qtbot, window, 1)
    assert window.path == second and window.controls.settings().iterations == 8  # Auto's own
    assert not window.act_undo.isEnabled()  # undo never reaches into the other photo
    step(qtbot, window, -1)
    assert window.controls.settings().iterations == 5
    assert window.output_pane.footer.text().startswith("Auto exposure, strength 5")
    assert window.act_undo.isEnabled()  # its own undo came back with it
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.act_undo.trigger()
    assert window.controls.settings().iterations == 8
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.act_redo.trigger()
    assert window.controls.settings().iterations == 5
    window.close()
    # reopening the photo in a new window brings its settings back
    from app.__main__ import enhancer_factory
    from app.core import PresetStore
    from app.gui.main_window import MainWindow

    again = MainWindow(enhancer_factory, QSettings(str(tmp_path / "again.ini"),
                                                   QSettings.IniFormat),
                       PresetStore(tmp_path / "again.json"))
    qtbot.addWidget(again)
    again.show()
    open_and_wait(qtbot, again, first)
    assert again.controls.settings().iterations == 5
    again.close()
    assert not sidecar_path(second).exists()


def test_a_damaged_sidecar_is_reported_and_auto_is_used(qtbot, window, shoot):
    sidecar_path(shoot / "IMG_1.png").write_text("{ broken")
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    assert window.message.isVisible() and "damaged" in window.message.text.text()
    assert window.controls.settings() == EnhanceSettings().validated()
    assert sidecar_path(shoot / "IMG_1.png").read_text() == "{ broken"  # left until saved


def test_copy_paste_and_sync_to_selected_thumbnails_and_reset(qtbot, window, shoot):
    a, b, c = (shoot / f"IMG_{i}.png" for i in range(1, 4))
    open_and_wait(qtbot, window, a)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.controls.iterations_spin.setValue(4)
    window.browser.act_copy.trigger()
    assert "Copied" in window.statusBar().currentMessage()
    select(window, [1, 2])
    window.browser.act_paste.trigger()
    cat = window.session.catalog
    assert cat.edits(b).settings.iterations == 4 and cat.edits(c).settings.iterations == 4
    window.browser.flush()
    assert json.loads(sidecar_path(c).read_text())["settings"]["strength"] == 4
    # sync: this photo's settings to every selected thumbnail
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.controls.iterations_spin.setValue(11)
    select(window, [0, 1])
    window.browser.act_sync.trigger()
    assert cat.edits(b).settings.iterations == 11 and cat.edits(c).settings.iterations == 4
    # reset this photo: its settings and framing go, its flag stays
    window.browser.flag("pick")
    window.framing.turn(1)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.browser.act_reset_photo.trigger()
    assert window.controls.settings().iterations == 8
    assert cat.edits(a).flag == "pick" and cat.edits(a).quarter_turns == 0
    assert window.image.shape == read_image(a)[0].shape


def test_turn_straighten_and_crop_are_kept_and_saved_as_shown(qtbot, window, shoot, tmp_path,
                                                              dark_photo):
    a = shoot / "IMG_1.png"
    open_and_wait(qtbot, window, a)
    h, w = dark_photo.shape[:2]
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.act_turn_right.trigger()
    assert window.image.shape[:2] == (w, h)
    assert np.array_equal(window.image, np.rot90(dark_photo, -1))
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.geometry_bar.crop.setCurrentIndex(window.geometry_bar.crop.findText("1:1"))
        window.geometry_bar.crop.activated.emit(window.geometry_bar.crop.currentIndex())
    assert window.image.shape[0] == window.image.shape[1] == h
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.geometry_bar.angle.setValue(3.0)
    edits = window.session.catalog.edits(a)
    assert (edits.quarter_turns, edits.straighten) == (1, 3.0) and not edits.crop.is_full
    assert window.geometry_bar.crop.currentText() == "1:1"
    target = tmp_path / "out.png"
    window.exporter.save_to(target)
    qtbot.waitUntil(lambda: not window.session.pending.saving, timeout=60000)
    saved, _ = read_image(target)
    assert saved.shape == window.image.shape  # the framing shown is the framing saved
    window.browser.flush()
    kept = PhotoEdits.from_dict(json.loads(sidecar_path(a).read_text()))
    assert kept.quarter_turns == 1 and kept.straighten == 3.0
    # turning again turns the 1:1 crop with the photo; another photo is untouched
    window.act_turn_left.trigger()
    assert window.session.catalog.edits(a).quarter_turns == 0
    step(qtbot, window, 1)
    assert window.image.shape == dark_photo.shape and window.geometry_bar.crop.currentText() \
        == "Original"


def test_the_crop_tool_shows_the_whole_frame_and_keeps_the_rectangle_dragged(
        qtbot, window, shoot, dark_photo):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtTest import QTest

    a = shoot / "IMG_1.png"
    open_and_wait(qtbot, window, a)
    h, w = dark_photo.shape[:2]
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.geometry_bar.crop.setCurrentIndex(window.geometry_bar.crop.findText("1:1"))
        window.geometry_bar.crop.activated.emit(window.geometry_bar.crop.currentIndex())
    assert window.image.shape[:2] == (h, h)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.act_crop_tool.trigger()  # R: the whole frame, the rectangle over it
    item = window.framing.frame_item
    assert item is not None and window.image.shape[:2] == (h, w)
    assert window.geometry_bar.tool.isChecked()
    assert item.rect.width() == pytest.approx(h, abs=1)  # the 1:1 crop, where it was
    # drag the bottom-right corner up and left with the mouse: the 1:1 ratio holds
    view = window.leading_view()
    corner = view.mapFromScene(item.rect.bottomRight())
    target = view.mapFromScene(item.rect.center())
    QTest.mousePress(view.viewport(), Qt.LeftButton, Qt.NoModifier, corner - QPoint(2, 2))
    assert item._grab == "br"
    QTest.mouseMove(view.viewport(), target + QPoint(3, 10))
    QTest.mouseRelease(view.viewport(), Qt.LeftButton, Qt.NoModifier, target + QPoint(3, 10))
    assert item.rect.width() < h * 0.75
    assert item.rect.width() == pytest.approx(item.rect.height(), abs=1)
    # a drag inside moves it; the frame is never left
    item.drag_by(item.rect.topLeft() * -10, QRectF(item.rect))
    assert item.rect.topLeft() == QPointF(0, 0)
    # free: any shape
    window.geometry_bar.crop.setCurrentIndex(window.geometry_bar.crop.findText("Free"))
    window.geometry_bar.crop.activated.emit(window.geometry_bar.crop.currentIndex())
    item.drag_corner("br", QPointF(w * 0.9, h * 0.3), QRectF(item.rect))
    kept = item.crop()
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.act_crop_tool.trigger()  # R again: kept, the cropped photo shown
    assert window.framing.frame_item is None and not window.geometry_bar.tool.isChecked()
    edits = window.session.catalog.edits(a)
    assert edits.crop == kept and window.geometry_bar.crop.currentText() == "Free"
    assert window.image.shape[:2] == (round(h * 0.3), round(w * 0.9))
    window.browser.flush()
    assert json.loads(sidecar_path(a).read_text())["crop"]["right"] == pytest.approx(0.9)


def test_ctrl_z_takes_back_a_crop_a_turn_and_a_slider_in_the_order_made(qtbot, window, shoot,
                                                                        dark_photo):
    a = shoot / "IMG_1.png"
    open_and_wait(qtbot, window, a)
    h, w = dark_photo.shape[:2]
    bar = window.geometry_bar

    def shown(act):
        with qtbot.waitSignal(window.preview_shown, timeout=30000):
            act()

    shown(lambda: window.controls.iterations_spin.setValue(5))
    shown(window.act_turn_right.trigger)  # straight after the slider: a step of its own
    shown(lambda: (bar.crop.setCurrentIndex(bar.crop.findText("1:1")),
                   bar.crop.activated.emit(bar.crop.currentIndex())))
    assert window.image.shape[:2] == (h, h)
    # a rectangle being dragged is kept, then undone, by Ctrl+Z: back to the 1:1 crop
    shown(window.act_crop_tool.trigger)
    window.framing.frame_item.drag_corner("br", QPointF(h * 0.5, h * 0.5),
                                          QRectF(window.framing.frame_item.rect))
    assert window.framing.frame_item.crop() != window.session.edits.crop
    shown(window.act_undo.trigger)
    assert window.framing.frame_item is None and window.image.shape[:2] == (h, h)
    assert bar.crop.currentText() == "1:1"
    shown(window.act_undo.trigger)  # the crop
    assert window.image.shape[:2] == (w, h) and bar.crop.currentText() == "Original"
    assert "turn or crop" in window.statusBar().currentMessage()
    shown(window.act_undo.trigger)  # the turn; the slider's change stays
    assert np.array_equal(window.image, dark_photo) and window.preview.shape[:2] == \
        window.output.shape[:2]
    assert window.controls.settings().iterations == 5
    shown(window.act_undo.trigger)  # the slider
    assert window.controls.settings().iterations == 8 and not window.act_undo.isEnabled()
    shown(window.act_redo.trigger)
    shown(window.act_redo.trigger)
    assert window.image.shape[:2] == (w, h) and window.controls.settings().iterations == 5
    window.browser.flush()
    kept = PhotoEdits.from_dict(json.loads(sidecar_path(a).read_text()))
    assert kept.quarter_turns == 1 and kept.crop.is_full and kept.settings.iterations == 5
