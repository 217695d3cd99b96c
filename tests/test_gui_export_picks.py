"""Export the picks (#26): the flagged (or selected) photos, each with its own settings and
framing, through the batch engine: progress, a report, the batch's file rules, cancel."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from window_helpers import open_and_wait, photo_folder

from app.core import EnhanceSettings, read_image


@pytest.fixture
def shoot(tmp_path, dark_photo):
    return photo_folder(tmp_path, dark_photo, 4)


def test_the_picks_are_exported_each_with_its_own_settings(qtbot, window, shoot, tmp_path,
                                                           dark_photo):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    cat = window.session.catalog
    cat.update(shoot / "IMG_1.png", flag="pick", settings=EnhanceSettings(exposure=0.3))
    cat.update(shoot / "IMG_2.png", flag="pick", settings=EnhanceSettings(exposure=0.7),
               quarter_turns=1)
    cat.update(shoot / "IMG_3.png", flag="reject")
    out = tmp_path / "picks"
    asked = []
    window.browser.ask_export_folder = lambda default: asked.append(default) or out
    window.act_export_picks.trigger()
    assert asked == [tmp_path / "night_picks"]  # beside the folder, never inside it
    dialog = window.browser.export_dialog
    with qtbot.waitSignal(dialog.finished_export, timeout=120000) as done:
        pass
    report = done.args[0]
    assert sorted(Path(o.source).name for o in report.outcomes) == ["IMG_1.png", "IMG_2.png"]
    assert all(o.status == "done" for o in report.outcomes)
    one, _ = read_image(out / "IMG_1_enhanced.png")
    two, _ = read_image(out / "IMG_2_enhanced.png")
    h, w = dark_photo.shape[:2]
    assert one.shape[:2] == (h, w) and two.shape[:2] == (w, h)  # its own framing
    assert one.mean() < two.mean() - 20  # its own exposure
    assert list(out.glob("lowlight_report-*.csv"))
    assert "2 done" in dialog.label.text() and dialog.cancel_button.text() == "Close"
    assert not (shoot / "IMG_1_enhanced.png").exists()  # nothing beside the originals
    dialog.close()


def test_several_selected_thumbnails_are_exported_and_nothing_chosen_says_so(
        qtbot, window, shoot, tmp_path):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    window.browser.ask_export_folder = lambda default: pytest.fail("no dialog without picks")
    window.act_export_picks.trigger()
    assert "Nothing to export" in window.message.text.text()
    sel = window.browser.strip.view.selectionModel()
    for r in (2, 3):
        sel.select(window.browser.strip.model.index(r), QItemSelectionModel.Select)
    window.browser.ask_export_folder = lambda default: tmp_path / "chosen"
    window.act_export_picks.trigger()
    dialog = window.browser.export_dialog
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120000)
    assert sorted(Path(o.source).name for o in dialog.report.outcomes) == \
        ["IMG_1.png", "IMG_3.png", "IMG_4.png"]
    dialog.close()


def test_an_export_can_be_cancelled_and_writes_nothing_more(qtbot, window, shoot, tmp_path):
    open_and_wait(qtbot, window, shoot / "IMG_1.png")
    for i in range(1, 5):
        window.session.catalog.update(shoot / f"IMG_{i}.png", flag="pick")
    window.browser.ask_export_folder = lambda default: tmp_path / "out"
    window.act_export_picks.trigger()
    dialog = window.browser.export_dialog
    dialog.pause.setChecked(True)  # paused before the first file: nothing is written
    dialog.cancel()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=120000)
    statuses = [o.status for o in dialog.report.outcomes]
    assert "cancelled" in statuses and statuses.count("done") < 4
    dialog.close()
