"""The filmstrip (#26): a folder's photos as thumbnails made in the background, next and
previous by keys and clicks, pick/reject and stars shown and kept, the filter, a folder of
1,000 photos opening at once. The real window, offscreen."""
from __future__ import annotations

import json
import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from window_helpers import drop_event, open_and_wait

from app.core import write_image
from app.core.photo_edits import sidecar_path
from app.gui.filmstrip import EDITS_ROLE


@pytest.fixture
def shoot(tmp_path, dark_photo):
    """A night's folder: three photos (the second brighter) and a note."""
    folder = tmp_path / "night"
    folder.mkdir()
    write_image(folder / "IMG_1.png", dark_photo)
    write_image(folder / "IMG_2.png", (dark_photo * 2).clip(0, 255).astype("uint8"))
    write_image(folder / "IMG_3.jpg", dark_photo[:, ::-1].copy())
    (folder / "notes.txt").write_text("not a photo")
    return folder


def focus_image(qtbot, window):
    window.activateWindow()
    window.focus_image()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.leading_view(), timeout=5000)


def test_opening_a_photo_shows_its_folder_and_the_thumbnails_fill_in(qtbot, window, shoot):
    open_and_wait(qtbot, window, shoot / "IMG_2.png")
    strip = window.browser.strip
    assert strip.isVisible()
    assert [p.name for p in strip.model.rows] == ["IMG_1.png", "IMG_2.png", "IMG_3.jpg"]
    assert strip.selected() == [shoot / "IMG_2.png"]
    qtbot.waitUntil(lambda: len(strip.model.pixmaps) == 3, timeout=30000)
    assert all(p is not None and not p.isNull() for p in strip.model.pixmaps.values())
    assert "3 files" in strip.count.text()


def test_thumbnails_show_each_photo_as_its_settings_make_it(qtbot, window, shoot):
    """Night shots in the strip are brightened as they will be; a photo's thumbnail follows
    its settings once the slider is still."""
    import numpy as np

    from app.core import EnhanceSettings
    from app.gui.convert import from_qimage

    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    model = window.browser.strip.model
    first = shoot / "IMG_1.png"
    qtbot.waitUntil(lambda: model.pixmaps.get(first) is not None, timeout=30000)

    def shown() -> float:
        return float(np.mean(from_qimage(model.pixmaps[first].toImage())[..., :3]))

    before = shown()
    assert before > model.store.thumbnail(first).mean() * 2  # brightened, not the original
    window.apply_settings(EnhanceSettings(exposure=0.2))
    window.browser.flush()  # as the save timer does once the slider is still
    qtbot.waitUntil(lambda: model.asked.get(first) is not None and
                    model.asked[first].exposure == pytest.approx(0.2), timeout=10000)
    qtbot.waitUntil(lambda: shown() < before - 20, timeout=30000)


def test_a_dropped_folder_opens_in_the_filmstrip(qtbot, window, shoot):
    event = drop_event(shoot)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.dropEvent(event)
    assert window.tabs.currentIndex() == 0 and window.path == shoot / "IMG_1.png"
    assert len(window.browser.strip.model.rows) == 3


def test_arrows_and_clicks_go_to_the_next_and_previous_photo(qtbot, window, shoot):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    focus_image(qtbot, window)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        QTest.keyClick(window.leading_view(), Qt.Key_Right)
    assert window.path == shoot / "IMG_2.png"
    assert window.browser.strip.selected() == [shoot / "IMG_2.png"]
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        QTest.keyClick(window.leading_view(), Qt.Key_Left)
    assert window.path == shoot / "IMG_1.png"
    QTest.keyClick(window.leading_view(), Qt.Key_Left)  # the first: stays, says so
    assert window.path == shoot / "IMG_1.png"
    assert "First photo" in window.statusBar().currentMessage()
    view = window.browser.strip.view
    rect = view.visualRect(window.browser.strip.model.index(2))
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        QTest.mouseClick(view.viewport(), Qt.LeftButton, Qt.NoModifier, rect.center())
    assert window.path == shoot / "IMG_3.jpg"


def test_zoom_and_the_split_view_follow_to_the_next_photo(qtbot, window, shoot):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    window.act_compare.trigger()
    window.leading_view().zoom_to(2.0)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.browser.step(1)
    assert window.view_stack.currentWidget() is window.split_view
    assert window.leading_view().zoom() == pytest.approx(2.0)
    assert window.readouts.zoom.text() == "200%"


def test_flags_and_stars_are_shown_kept_and_filtered(qtbot, window, shoot):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    focus_image(qtbot, window)
    QTest.keyClick(window.leading_view(), Qt.Key_P)
    QTest.keyClick(window.leading_view(), Qt.Key_4)
    model = window.browser.strip.model
    edits = model.index(0).data(EDITS_ROLE)
    assert (edits.flag, edits.rating) == ("pick", 4)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.browser.step(1)  # moving on writes the edits at once
    kept = json.loads(sidecar_path(shoot / "IMG_1.png").read_text())
    assert (kept["flag"], kept["rating"]) == ("pick", 4)
    QTest.keyClick(window.leading_view(), Qt.Key_X)
    assert model.index(1).data(EDITS_ROLE).flag == "reject"
    strip = window.browser.strip
    strip.filter.setCurrentIndex(strip.filter.findText("Picks"))
    assert [p.name for p in model.rows] == ["IMG_1.png"]
    assert "1 of 3" in strip.count.text()
    strip.filter.setCurrentIndex(strip.filter.findText("Not rejected"))
    assert [p.name for p in model.rows] == ["IMG_1.png", "IMG_3.jpg"]
    strip.filter.setCurrentIndex(strip.filter.findText("Rated \u26055 and up"))
    assert model.rows == []
    QTest.keyClick(window.leading_view(), Qt.Key_0)  # the open photo, filtered out or not
    window.browser.flush()
    assert not sidecar_path(shoot / "IMG_3.jpg").exists()  # never touched: no sidecar


def test_a_folder_of_1000_photos_opens_at_once_and_fills_in_lazily(qtbot, window, tmp_path,
                                                                   dark_photo):
    folder = tmp_path / "big"
    folder.mkdir()
    first = write_image(folder / "IMG_0000.jpg", dark_photo)
    for i in range(1, 1000):
        shutil.copyfile(first, folder / f"IMG_{i:04d}.jpg")
    open_and_wait(qtbot, window, first)
    model = window.browser.strip.model
    assert model.rowCount() == 1000
    # every thumbnail asked for arrives; only what the strip shows was asked for
    qtbot.waitUntil(lambda: len(model.pixmaps) >= 3 and len(model.pixmaps) == len(model.asked),
                    timeout=30000)
    assert len(model.asked) < 100
    window.browser.strip.view.scrollTo(model.index(999))  # the end of the strip is painted
    qtbot.waitUntil(lambda: folder / "IMG_0999.jpg" in model.pixmaps, timeout=30000)


def test_typing_digits_in_a_spin_box_types_them_and_does_not_rate(qtbot, window, shoot):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    spin = window.controls.look["contrast"].spin
    window.activateWindow()
    spin.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None and
                    QApplication.focusWidget() in (spin, spin.lineEdit()), timeout=5000)
    spin.selectAll()
    QTest.keyClicks(QApplication.focusWidget(), "0.5")
    QTest.keyClick(QApplication.focusWidget(), Qt.Key_Return)
    assert spin.value() == pytest.approx(0.5)
    assert window.session.catalog.edits(shoot / "IMG_1.png").rating == 0


def test_the_bundled_sample_opens_alone_and_never_gets_a_sidecar(qtbot, window, shoot):
    from app.paths import sample_image

    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    assert window.browser.strip.isVisible()
    open_and_wait(qtbot, window, sample_image())
    assert not window.browser.strip.isVisible() and not window.session.in_catalog
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.controls.iterations_spin.setValue(6)
    window.browser.flush()
    assert not sidecar_path(sample_image()).exists()


def test_the_next_photo_is_decoded_ahead_the_way_the_user_goes(qtbot, window, shoot,
                                                               monkeypatch):
    open_and_wait(qtbot, window, shoot / "IMG_2.png")
    photos = window.session.photos
    qtbot.waitUntil(lambda: shoot / "IMG_3.jpg" in photos, timeout=30000)
    assert shoot / "IMG_1.png" not in photos  # only the way the user goes

    def no_decoding(*_args, **_kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr("app.session.photo_cache.read_image", no_decoding)
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.browser.step(1)  # ready before it was asked for
    assert window.path == shoot / "IMG_3.jpg"
    monkeypatch.undo()
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.browser.step(-1)
    qtbot.waitUntil(lambda: shoot / "IMG_1.png" in photos, timeout=30000)  # now going back
