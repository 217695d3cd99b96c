"""The Batch tab owns its settings, asks before a rerun replaces, shows what was done after a
cancel, ends with the outputs one click away, and shows a before/after of each photo that
opens in the Photo tab with its settings (issue #25, parts 2-5)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QMessageBox

from app.core import EditStore, EnhanceSettings, PhotoEdits, write_image
from app.core.media.metadata import output_made_with
from app.gui.batch_clock import BatchClock
from app.gui.batch_panel import NOT_MADE, THUMB, THUMB_COLUMN
from app.gui.batch_settings import EACH_PHOTO, EDITED_HERE

NIGHT = EnhanceSettings(exposure=0.6, iterations=5, scale=8, denoise=1.5)


def _photos(folder: Path, photo, n: int = 2) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_image(folder / f"p{i}.png", photo)
    return folder


def _run(qtbot, panel):
    with qtbot.waitSignal(panel.batch_finished, timeout=60000) as blocker:
        panel.start()
    return blocker.args[0]


def test_the_batch_shows_and_owns_its_settings(qtbot, window, tmp_path, dark_photo):
    panel = window.batch
    window.controls.set_settings(NIGHT, emit=True)
    assert panel.settings_box.editor.settings() == NIGHT  # the Photo tab's, shown here
    panel.settings_box.editor.iterations_spin.setValue(3)  # changed here: the batch's own
    assert panel.preset.currentData() == EDITED_HERE
    assert "Strength 3" in panel.applied.text()
    assert window.controls.settings() == NIGHT  # the Photo tab is left as it was
    window.controls.set_settings(EnhanceSettings(), emit=True)
    assert panel.settings_box.editor.settings().iterations == 3  # still the batch's own

    window.quality.setValue(70)  # one photo quality, not two unlinked boxes
    assert panel.quality.value() == 70
    panel.quality.setValue(88)
    assert window.quality.value() == 88

    panel.add_paths([_photos(tmp_path / "in", dark_photo)])
    report = _run(qtbot, panel)
    assert [o.settings["strength"] for o in report.outcomes] == [3, 3]
    assert report.settings["strength"] == 3 and report.settings["quality"] == 88


def test_each_photo_gets_its_own_settings_from_the_batch_tab(qtbot, window, tmp_path,
                                                             dark_photo):
    src = _photos(tmp_path / "in", dark_photo)
    store = EditStore(tmp_path / "store")
    store.save(src / "p1.png", PhotoEdits(settings=EnhanceSettings(iterations=2)))
    panel = window.batch
    panel.settings_box.edit_store = store
    panel.preset.setCurrentIndex(panel.preset.findData(EACH_PHOTO))
    assert not panel.settings_box.editor.isEnabled()
    assert panel.applied.text().startswith("Each photo's own settings")
    panel.add_paths([src])
    report = _run(qtbot, panel)
    assert [o.settings["strength"] for o in report.outcomes] == [8, 2]
    assert report.settings["settings"] == "each photo's own settings"


def test_a_rerun_with_other_settings_asks_before_replacing(qtbot, window, tmp_path,
                                                           dark_photo):
    panel = window.batch
    panel.add_paths([_photos(tmp_path / "in", dark_photo)])
    out = Path(panel.output_edit.text())
    _run(qtbot, panel)
    window.controls.set_settings(NIGHT, emit=True)

    panel.start()  # asks first: nothing runs yet
    assert panel.replace_prompt is not None and not panel.running
    assert "2 earlier output(s)" in panel.replace_prompt.text()
    keep = next(b for b in panel.replace_prompt.buttons() if b.text().startswith("Keep"))
    with qtbot.waitSignal(panel.batch_finished, timeout=60000) as blocker:
        keep.click()
    assert [o.status for o in blocker.args[0].outcomes] == ["skipped", "skipped"]

    panel.start()
    replace = next(b for b in panel.replace_prompt.buttons() if b.text().startswith("Replace"))
    with qtbot.waitSignal(panel.batch_finished, timeout=60000) as blocker:
        replace.click()
    assert [o.status for o in blocker.args[0].outcomes] == ["done", "done"]
    assert output_made_with(out / "p0_enhanced.png").startswith("exposure=0.6, strength=5")

    with qtbot.waitSignal(panel.batch_finished, timeout=60000) as blocker:
        panel.start()  # the same settings again: nothing to ask, both skipped
        assert panel.replace_prompt is None
    assert [o.reason for o in blocker.args[0].outcomes] == ["output exists"] * 2


def test_a_cancel_prompt_starts_nothing(qtbot, window, tmp_path, dark_photo):
    panel = window.batch
    panel.add_paths([_photos(tmp_path / "in", dark_photo, 1)])
    _run(qtbot, panel)
    window.controls.set_settings(NIGHT, emit=True)
    panel.start()
    panel.replace_prompt.button(QMessageBox.Cancel).click()
    assert not panel.running and panel.replace_prompt is None


def test_after_a_cancel_the_bar_and_rows_show_what_was_done(qtbot, window, tmp_path,
                                                             dark_photo):
    panel = window.batch
    panel.add_paths([_photos(tmp_path / "many", dark_photo, 8)])
    panel.start()
    panel.pause_btn.setChecked(True)  # at most the files in flight finish
    assert panel.rate.text() == "Paused"
    with qtbot.waitSignal(panel.batch_finished, timeout=60000) as blocker:
        panel.cancel()
    report = blocker.args[0]
    cancelled = report.count("cancelled")
    assert cancelled > 0
    assert panel.progress.value() == 8 - cancelled  # not 8 / 8
    assert panel.progress.text().endswith(f"{cancelled} cancelled")
    rows = [(panel.status_of(r), panel.table.item(r, 2).text()) for r in range(8)]
    assert rows.count(("cancelled", NOT_MADE)) == cancelled
    assert sum(status == "done" for status, _ in rows) == report.count("done")


def test_the_end_of_a_batch_says_so_and_opens_the_outputs(qtbot, window, tmp_path,
                                                          dark_photo):
    panel = window.batch
    panel.add_paths([_photos(tmp_path / "in", dark_photo, 1)])
    opened: list[QUrl] = []
    panel.finish.opener = opened.append
    window.tabs.setCurrentIndex(0)  # the Photo tab in front: the status bar says it too
    with qtbot.waitSignal(panel.finish.notified, timeout=60000) as told:
        panel.start()
    assert told.args == ["window"]  # offscreen: no system tray, the in-window bar says it
    assert window.statusBar().currentMessage().startswith("Batch finished: 1 done")
    window.tabs.setCurrentWidget(panel)
    assert panel.finish.isVisible()
    assert panel.finish.summary.text() == "Batch finished: 1 done, 0 skipped, 0 failed"
    panel.finish.open_folder.click()
    panel.finish.report_link.linkActivated.emit("report")
    assert [Path(u.toLocalFile()) for u in opened] == [Path(panel.output_edit.text()),
                                                       panel.report.paths[0]]


def test_a_finished_photo_shows_before_after_and_opens_with_its_settings(qtbot, window,
                                                                         tmp_path, dark_photo):
    panel = window.batch
    src = _photos(tmp_path / "in", dark_photo, 1)
    window.controls.set_settings(NIGHT, emit=True)
    panel.add_paths([src])
    _run(qtbot, panel)
    thumb = panel.table.item(0, THUMB_COLUMN).data(0x1)  # Qt.DecorationRole
    assert thumb.height() <= THUMB and thumb.width() > thumb.height()  # two halves
    # the status keeps a small icon beside its word (the table's icon size is the
    # thumbnails': a vector icon drawn that big hid the word)
    status = panel.table.item(0, 1)
    assert status.text() == "done"
    assert status.icon().actualSize(panel.table.iconSize()).width() <= 16
    window.controls.set_settings(EnhanceSettings(), emit=True)
    window.tabs.setCurrentWidget(panel)
    with qtbot.waitSignal(panel.open_photo) as blocker:
        panel.table.cellClicked.emit(0, THUMB_COLUMN)
    assert blocker.args == [src / "p0.png", NIGHT]
    assert window.tabs.currentIndex() == 0 and window.controls.settings() == NIGHT


def test_time_left_counts_the_videos_to_come_and_pauses():
    clock = BatchClock({2: 300}, photos=2, now=0.0)  # two photos, then a 300-frame video
    clock.started(0, 0.0)
    clock.finished(0, 2.0)  # a photo takes 2 s
    assert clock.seconds_left(2.0) == 2.0 + 300 / 12.0  # one photo, the video at a guess
    clock.finished(1, 4.0)
    clock.started(2, 4.0)
    clock.video_progress(100, 25.0)
    assert clock.seconds_left(8.0) == 200 / 25.0
    clock.pause(8.0)
    assert clock.text(50.0) == "Paused"
    clock.resume(50.0)
    assert clock.active(51.0) == 9.0  # the pause does not count
    clock.finished(2, 60.0)
    assert clock.seconds_left(60.0) == 0.0
    skip = BatchClock({}, photos=3, now=0.0)
    skip.finished(0, 1.0, worked=False)  # a skipped file tells nothing of the rate
    assert skip.seconds_left(1.0) is None and skip.text(1.0) == "1.0 files/s"
