"""The window's video preview from the export's engine (app.core.jobs.video_preview): playback
frames are the video engine's, late frames are dropped rather than shown late, and a paused
frame is the exported frame."""
from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from clips import cut_then_pan, write_frames

from app.core import EnhanceSettings, VideoOptions, enhance_video
from app.core.engine.video_enhancer import VideoEnhancer
from app.core.jobs.video_preview import Playback, exported_frame, preview_size
from app.core.media.yuv import i420_to_rgb

LOSSLESS = VideoOptions(crf=0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("preview")
    return write_frames(folder / "cut_pan.mp4", cut_then_pan(seconds=10.0), fps=12, gop=12)


@pytest.fixture(scope="module")
def export(clip, enhancer) -> list[tuple[float, np.ndarray]]:
    out = clip.with_name("export.mp4")
    enhance_video(clip, out, enhancer, EnhanceSettings(), LOSSLESS)
    with av.open(str(out)) as c:
        # the planes as written (CRF 0 keeps them), converted as the engine converts them
        return [(float(f.pts * f.time_base),
                 i420_to_rgb(f.to_ndarray(format="yuv420p"))) for f in c.decode(video=0)]


@pytest.mark.parametrize("seconds", [0.0, 2.0, 8.5])
def test_a_paused_frame_is_the_exported_frame(clip, export, enhancer, seconds):
    """At the start, inside the first shot and 5.5 s into the pan (the shot began 2.5 s
    before the replay): the frame the window shows when paused there is the export's."""
    frame = exported_frame(clip, seconds, enhancer, EnhanceSettings())
    when, written = min(export, key=lambda e: abs(e[0] - seconds))
    assert abs(frame.seconds - when) < 1e-6 and abs(when - seconds) < 1 / 12
    diff = np.abs(frame.enhanced.astype(int) - written.astype(int))
    assert diff.mean() <= 0.5, diff.mean()


def test_playback_frames_come_from_the_video_engine(clip, enhancer):
    playback = Playback(clip, enhancer, EnhanceSettings(), seconds=4.0, side=10_000)
    shown = list(playback.frames(lambda: 0.0))  # a clock that never runs ahead: no drops
    assert playback.dropped == 0 and len(shown) == 72  # 4 s to 10 s at 12 fps
    assert [round(f.seconds * 12) for f in shown] == list(range(48, 120))
    # the same engine over the same decoded frames from the same moment
    engine = VideoEnhancer(enhancer, EnhanceSettings(), 12.0)
    with av.open(str(clip)) as c:
        frames = [f.to_ndarray(format="yuv420p") for f in c.decode(video=0)][48:]
    for f, i420 in zip(shown, frames):
        assert np.array_equal(f.enhanced, i420_to_rgb(engine.i420(i420)))


def test_playback_drops_late_frames_instead_of_falling_behind(clip, enhancer):
    """A machine four times too slow: the clock runs 4 frames on while each frame is made.
    Playback skips what is already late and never shows a frame behind the clock."""
    playback = Playback(clip, enhancer, EnhanceSettings())
    clock = {"now": 0.0}

    def now() -> float:
        return clock["now"]

    seen = []
    for frame in playback.frames(now):
        assert frame.seconds >= clock["now"] - 1 / 12 - 1e-9
        seen.append(frame.seconds)
        clock["now"] = frame.seconds + 4 / 12  # the time it took to make and show it
    assert playback.dropped >= 2 * len(seen) and seen == sorted(seen)
    assert seen[-1] > 9.0  # it kept up to the end of the clip


def test_preview_size_keeps_720p_and_scales_1080p_down():
    assert preview_size(1280, 720) == (1280, 720)
    assert preview_size(1920, 1080) == (1280, 720)
    assert preview_size(1080, 1920) == (720, 1280)
    assert preview_size(321, 181) == (320, 180)  # even, for the 4:2:0 planes
