"""The real window, offscreen, driven like a user would (fixtures in conftest.py)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from window_helpers import drop_event

from app.core import EnhanceSettings, read_image, write_image
from app.gui.main_window import MainWindow


def test_open_shows_input_output_and_heatmap(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(photo)
    assert all(p.view.has_image() for p in window.panes)
    assert window.output.mean() > window.preview.mean() * 1.5
    assert window.gain is not None and window.gain.ndim == 2 and window.gain.mean() > 0.5
    heat = window.factor_pane.view.item.pixmap()
    assert not heat.isNull() and heat.width() == window.gain.shape[1]
    assert "320 x 240" in window.status_size.text()
    assert "OpenCV DNN" in window.status_backend.text()
    assert "ms" in window.status_time.text()


def test_drop_a_file_with_a_real_drop_event(qtbot, window, photo):
    event = drop_event(photo, at=(50, 50))
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.dropEvent(event)
    assert event.isAccepted()
    assert window.path == photo


def test_exposure_auto_then_slider_brightens_and_updates_heatmap(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    exposure = window.controls.exposure
    assert exposure.auto.isChecked() and not exposure.slider.isEnabled()  # Auto by default
    before_out, before_gain = window.output.mean(), window.gain.copy()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        exposure.auto.setChecked(False)
    assert exposure.slider.isEnabled()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        exposure.slider.setValue(80)
    assert exposure.spin.value() == pytest.approx(0.8)
    assert window.controls.settings().exposure == pytest.approx(0.8)
    assert window.output.mean() > before_out + 5
    assert window.gain.mean() > before_gain.mean() + 0.3  # more stops of brightening


def test_denoise_control_off_auto_and_strength(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    denoise = window.controls.denoise
    assert window.controls.settings().denoise == "auto"
    smooth = window.output.astype(float)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        denoise.auto.setChecked(False)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        denoise.spin.setValue(0.0)
    assert window.controls.settings().denoise == 0.0
    grainy = window.output.astype(float)
    # high-frequency energy: denoise off keeps more of it
    def grain(img):
        return np.abs(np.diff(img, axis=1)).mean()
    assert grain(grainy) > grain(smooth) * 1.1
    assert "no denoise" in window.output_pane.footer.text()


def test_iterations_slider_changes_strength(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    strong = window.output.mean()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.controls.iterations_slider.setValue(2)
    assert window.controls.iterations_spin.value() == 2
    assert window.output.mean() < strong - 5


def test_rapid_slider_moves_coalesce_and_never_show_stale(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    shown = []
    window.preview_shown.connect(shown.append)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.controls.exposure.auto.setChecked(False)
    for v in range(30, 80):
        window.controls.exposure.slider.setValue(v)
    last = window.session.pending.latest_preview
    qtbot.waitUntil(lambda: window.session.pending.shown_preview == last, timeout=15000)
    assert shown == sorted(shown)  # ids only ever increase on screen
    assert len(shown) < 50  # most of the 50 requests were dropped, not queued


def test_save_writes_full_resolution_and_keeps_original(qtbot, window, tmp_path, photo):
    original = photo.read_bytes()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    target = tmp_path / "out" / "night_enhanced.png"
    target.parent.mkdir()
    window.exporter.save_to(target)
    qtbot.waitUntil(target.exists, timeout=15000)
    saved, _ = read_image(target)
    assert saved.shape == read_image(photo)[0].shape
    assert saved.mean() > 2 * read_image(photo)[0].mean()
    assert photo.read_bytes() == original
    window.exporter.save_to(photo)  # refuses to overwrite the original
    assert "overwrite the original" in window.message.text.text()
    assert photo.read_bytes() == original


def test_corrupt_file_shows_message_and_keeps_running(qtbot, window, tmp_path, photo):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 definitely not a jpeg")
    assert not window.open_path(bad)
    assert window.message.isVisible()
    assert "broken.jpg" in window.message.text.text()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(photo)  # still works afterwards
    assert not window.message.isVisible()


def test_settings_persist_between_runs(qtbot, tmp_path, photo):
    from app.__main__ import enhancer_factory

    store = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    first = MainWindow(enhancer_factory, store)
    qtbot.addWidget(first)
    first.controls.exposure.auto.setChecked(False)
    first.controls.exposure.spin.setValue(0.45)
    first.controls.iterations_spin.setValue(5)
    first.controls.denoise.auto.setChecked(False)
    first.controls.denoise.spin.setValue(1.5)
    first.close()
    second = MainWindow(enhancer_factory, store)
    qtbot.addWidget(second)
    s = second.controls.settings()
    assert (s.exposure, s.iterations, s.denoise) == (0.45, 5, 1.5)
    second.controls.reset_settings()
    assert second.controls.settings() == EnhanceSettings().validated()
    assert "reset" in second.statusBar().currentMessage().lower()
    second.close()
    third = MainWindow(enhancer_factory, store)
    qtbot.addWidget(third)
    assert third.controls.settings().exposure == "auto"  # the reset was remembered
    third.close()


def test_zoom_and_pan_are_synchronised(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    window.input_pane.view.zoom_to(3.0)
    assert window.output_pane.view.zoom() == pytest.approx(3.0)
    assert window.factor_pane.view.zoom() == pytest.approx(3.0)
    window.output_pane.view.horizontalScrollBar().setValue(40)
    assert window.input_pane.view.horizontalScrollBar().value() == 40


def test_split_compare_toggle(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    window.act_compare.trigger()
    assert window.view_stack.currentWidget() is window.split_view
    assert window.split_view.has_after()
    image = window.split_view.grab().toImage()
    left = image.pixelColor(image.width() // 4, image.height() // 2).lightness()
    right = image.pixelColor(3 * image.width() // 4, image.height() // 2).lightness()
    assert right > left  # after (right of the divider) is brighter than before
    window.act_compare.trigger()
    assert window.view_stack.currentWidget() is window.side_by_side


def test_batch_tab_takes_a_dropped_folder_and_reports_each_file(qtbot, window, tmp_path,
                                                                dark_photo):
    src = tmp_path / "shots"
    (src / "sub").mkdir(parents=True)
    write_image(src / "a.png", dark_photo)
    write_image(src / "sub" / "b.jpg", dark_photo)
    (src / "bad.jpg").write_bytes(b"nope")
    from clips import make_clip

    from app.core import probe

    make_clip(src / "sub" / "drive.mp4", frames=8)
    event = drop_event(src)
    window.tabs.setCurrentWidget(window.batch)
    window.dropEvent(event)  # a folder dropped on the Batch tab goes to the batch
    panel = window.batch
    assert window.tabs.currentWidget() is panel
    assert panel.table.rowCount() == 4
    assert panel.output_edit.text() == str(tmp_path / "shots_enhanced")
    panel.video_options.codec.setCurrentIndex(panel.video_options.codec.findData("h265"))
    with qtbot.waitSignal(panel.batch_finished, timeout=30000) as blocker:
        panel.start()
    report = blocker.args[0]
    statuses = {Path(o.source).name: o.status for o in report.outcomes}
    assert statuses == {"a.png": "done", "b.jpg": "done", "bad.jpg": "failed",
                        "drive.mp4": "done"}
    rows = {panel.table.item(r, 0).text(): panel.status_of(r) for r in range(4)}
    assert rows["bad.jpg"] == "failed" and rows["a.png"] == "done"
    assert (tmp_path / "shots_enhanced" / "sub" / "b_enhanced.jpg").exists()
    assert probe(tmp_path / "shots_enhanced" / "sub" / "drive_enhanced.mp4").codec == "hevc"
    assert panel.progress.value() == 4
    assert "1 failed" in panel.rate.text()


def test_progress_texts_say_how_long_is_left():
    from app.gui.progress_text import frames_progress_text, time_left_text

    assert time_left_text(42.4) == "about 42 s left"
    assert time_left_text(185) == "about 3 min 5 s left"
    assert time_left_text(2 * 3600 + 125) == "about 2 h 2 min left"
    assert (frames_progress_text(100, 3100, 25.0)
            == "frame 100 of 3100, 25.0 fps, about 2 min 0 s left")
    assert frames_progress_text(3100, 3100, 25.0) == "frame 3100 of 3100, 25.0 fps"


def test_batch_pause_then_resume(qtbot, window, tmp_path, dark_photo):
    src = tmp_path / "many"
    src.mkdir()
    for i in range(8):
        write_image(src / f"{i}.png", dark_photo)
    panel = window.batch
    panel.add_paths([src])
    panel.start()
    panel.pause_btn.setChecked(True)  # pause right away: at most the current file finishes
    qtbot.wait(400)
    done_while_paused = panel.progress.value()
    qtbot.wait(400)
    assert panel.progress.value() == done_while_paused < 8
    with qtbot.waitSignal(panel.batch_finished, timeout=30000):
        panel.pause_btn.setChecked(False)
    assert panel.report.count("done") == 8


def test_video_scrub_preview_and_export_with_sound(qtbot, window, tmp_path):
    from clips import audio_packets, make_clip

    from app.core import probe

    clip = make_clip(tmp_path / "dashcam.mp4", frames=24)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(clip)
    assert window.video_bar.isVisible() or not window.isVisible()
    assert window.video_bar.duration == pytest.approx(2.0, abs=0.1)
    first = window.image.copy()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.video_bar.slider.setValue(150)  # 1.5 s: scrub, debounced, then enhanced
    assert not np.array_equal(first, window.image)
    assert window.gain is not None
    options = window.video_bar.export_options  # codec and quality sit beside the scrubber
    options.codec.setCurrentIndex(options.codec.findData("h265"))
    assert options.crf.value() == 22  # the new codec's own default
    options.crf.setValue(30)
    target = tmp_path / "dashcam_enhanced.mp4"
    window.exporter.export_video(target)
    qtbot.waitUntil(lambda: window.exporter.video_job is None, timeout=60000)
    info = probe(target)
    assert (info.frames, info.codec) == (24, "hevc")
    assert audio_packets(target) == audio_packets(clip)
    # the choice is remembered for next time
    assert (window.store.value("video_codec"), int(window.store.value("video_crf"))) == ("h265", 30)


def test_video_export_pauses_resumes_and_cancels_from_its_dialog(qtbot, window, tmp_path):
    from clips import make_clip

    from app.core import probe

    clip = make_clip(tmp_path / "long.mp4", frames=120)
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        assert window.open_path(clip)
    target = tmp_path / "long_enhanced.mp4"
    window.exporter.export_video(target)
    dialog = window.exporter.video_job.dialog
    assert dialog.isVisible()
    dialog.pause_btn.click()
    qtbot.wait(300)  # the frame in flight finishes, then nothing moves
    held = dialog.bar.value()
    qtbot.wait(300)
    assert dialog.bar.value() == held < 120 and "Paused" in dialog.label.text()
    dialog.pause_btn.click()  # resume
    qtbot.waitUntil(lambda: window.exporter.video_job is None, timeout=60000)
    assert probe(target).frames == 120

    cancelled = tmp_path / "cancelled.mp4"
    window.exporter.export_video(cancelled)
    dialog = window.exporter.video_job.dialog
    dialog.pause_btn.click()  # hold it mid-export, then cancel
    dialog.cancel_btn.click()
    qtbot.waitUntil(lambda: window.exporter.video_job is None, timeout=60000)
    assert not cancelled.exists() and not list(tmp_path.glob(".cancelled*"))
    assert "cancelled" in window.statusBar().currentMessage()


def test_broken_video_is_a_message_not_a_crash(qtbot, window, tmp_path):
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42 but then nothing")
    assert not window.open_path(bad)
    assert "clip.mp4" in window.message.text.text()


def test_crash_handler_logs_the_traceback_and_keeps_running(qtbot, window, tmp_path,
                                                            monkeypatch):
    import logging
    import sys

    from app.__main__ import _install_crash_handler

    log_file = tmp_path / "app.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger("app").addHandler(handler)
    monkeypatch.setenv("LOWLIGHT_NO_DIALOGS", "1")
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    _install_crash_handler(log_file)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    handler.flush()
    logging.getLogger("app").removeHandler(handler)
    text = log_file.read_text()
    assert "boom in a slot" in text and "Traceback" in text
    assert window.isVisible()  # the app keeps running
