"""The window's video preview (app.gui.video_player) on real widgets: playback shows the video
engine's frames in order to the end, a click on the scrubber jumps there, and a paused frame
is the exported frame."""
from __future__ import annotations

import av
import numpy as np
import pytest
from clips import cut_then_pan, write_frames
from PySide6.QtCore import QPoint, Qt

from app.core import EnhanceSettings, VideoOptions, enhance_video
from app.core.media.yuv import i420_to_rgb


@pytest.fixture
def clip(tmp_path):
    return write_frames(tmp_path / "walk.mp4", cut_then_pan(seconds=4.0, cut=1.0), fps=12,
                        gop=12)


def open_clip(qtbot, window, clip):
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        assert window.open_path(clip)


def test_play_shows_the_engines_frames_in_order_to_the_end(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    player = window.video_player
    window.video_bar.play_btn.click()
    assert player.playing
    # the end of the clip stops playback and shows the last frame as exported
    qtbot.waitUntil(lambda: not window.video_bar.play_btn.isChecked(), timeout=60000)
    qtbot.waitUntil(lambda: player.still is not None, timeout=60000)
    shown = player.shown
    assert shown == sorted(shown) and len(shown) >= 2
    assert shown[-1] >= 4.0 - 2 / 12  # it played to the end (dropping what was late)
    assert window.video_bar.position() == pytest.approx(shown[-1], abs=0.02)
    assert window.gain is not None  # the heatmap follows the video engine's gain


def test_a_click_on_the_scrubber_jumps_there(qtbot, window, clip):
    open_clip(qtbot, window, clip)
    slider = window.video_bar.slider
    with qtbot.waitSignal(window.video_bar.seek, timeout=5000) as seek:
        qtbot.mouseClick(slider, Qt.LeftButton, pos=QPoint(round(0.71 * slider.width()),
                                                           slider.height() // 2))
    # a page step (0.1 of the range from the start) before; now 71% of the clip, give or
    # take the handle's width
    assert seek.args[0] == pytest.approx(0.71 * window.video_bar.duration, abs=0.3)


def test_a_paused_frame_is_what_the_export_writes(qtbot, window, clip, tmp_path):
    open_clip(qtbot, window, clip)
    window.video_bar.slider.setValue(250)  # 2.5 s: 1.5 s into the pan's shot
    qtbot.waitUntil(lambda: window.video_player.still is not None
                    and abs(window.video_player.still.seconds - 2.5) < 0.1, timeout=60000)
    still = window.video_player.still
    assert np.array_equal(window.image, still.original)
    out = tmp_path / "export.mp4"
    enhance_video(clip, out, window.video_player._engine(), EnhanceSettings(),
                  VideoOptions(crf=0))
    with av.open(str(out)) as c:
        written = next(i420_to_rgb(f.to_ndarray(format="yuv420p")) for f in c.decode(video=0)
                       if abs(float(f.pts * f.time_base) - still.seconds) < 1e-6)
    assert np.abs(written.astype(int) - still.enhanced.astype(int)).mean() <= 0.5


def test_a_photo_opened_after_a_video_shows_its_preview(qtbot, window, clip, photo):
    # the video's frames are numbered from the engine's counter: a photo's preview asked
    # after them is newer, never mistaken for a stale one
    open_clip(qtbot, window, clip)
    qtbot.waitUntil(lambda: window.video_player.still is not None, timeout=60000)
    frame = window.session.pending.shown_preview
    with qtbot.waitSignal(window.preview_shown, timeout=30000) as shown:
        assert window.open_path(photo)
    assert shown.args[0] > frame and window.output.shape == window.preview.shape
    assert window.video_path is None and not window.session.pending.preview_waiting


def test_the_100_percent_view_of_a_paused_frame_is_the_exported_frame(qtbot, window,
                                                                       tmp_path):
    """A frame bigger than the preview: at 100% the tile is a crop of the video engine's
    frame, as the export writes it, not the photo path's rendering of the same pixels
    (which differs by a few levels, more at the edges of lit things)."""
    clip = write_frames(tmp_path / "big.mp4", cut_then_pan(h=900, w=1600, seconds=0.5,
                                                           cut=0.25), fps=12, gop=12)
    open_clip(qtbot, window, clip)
    qtbot.waitUntil(lambda: window.video_player.still is not None, timeout=60000)
    still = window.video_player.still
    window.act_actual.trigger()
    with qtbot.waitSignal(window.detail.shown, timeout=60000):
        window.detail.update_now()
    tile, left, top = window.display.output_tile
    h, w = tile.shape[:2]
    assert (h, w) != still.enhanced.shape[:2]  # a crop: the view shows part of the frame
    assert np.array_equal(tile, still.enhanced[top:top + h, left:left + w])


def test_a_video_frame_shows_its_histogram(qtbot, window, clip):
    """The histogram follows what the enhanced pane shows, for a video's frames too (it
    stayed empty: only the engine's photo replies carried one)."""
    open_clip(qtbot, window, clip)
    qtbot.waitUntil(lambda: window.video_player.still is not None, timeout=60000)
    qtbot.waitUntil(lambda: window.histogram.counts is not None, timeout=10000)
    assert window.histogram.shown_for == window.session.pending.shown_preview
    assert window.histogram.counts.sum() > 0
