"""A video cut at keyframes, enhanced segment by segment and joined (app.core.jobs.video_split),
against the same video exported whole; no Ray needed. Lossless encoding (CRF 0) isolates what
the split changes: the video engine's state at each join (a shot keeps the plan of its first
frame, the exposure, the light and the denoise follow the frames), which the scan and
warm-up rebuild."""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from clips import cut_then_pan, make_clip, write_frames

from app.core import EnhanceSettings, VideoOptions, enhance_video
from app.core.jobs.video_split import (
    SplitError,
    enhance_segment,
    join_segments,
    plan_split,
    remove_segments,
    segment_path,
)
from app.core.media.tempfiles import TempFile, is_temp_name, remove_stale_temps

LOSSLESS = VideoOptions(crf=0)


def decoded(path: Path, audio: bool = True
            ) -> tuple[list[int], list[np.ndarray], list[bytes]]:
    with av.open(str(path)) as c:
        frames = list(c.decode(c.streams.video[0]))
    sound = []
    if audio:
        with av.open(str(path)) as c:
            sound = [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]
    return [f.pts for f in frames], [f.to_ndarray(format="rgb24") for f in frames], sound


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    # 8 s at 12 fps, a keyframe every second, a pan and a tone
    return make_clip(tmp_path_factory.mktemp("split") / "long.mp4", frames=96, gop=12)


def split_export(src: Path, dst: Path, seconds: float, enhancer, video=LOSSLESS) -> list[int]:
    count = plan_split(src, seconds)
    frames = [enhance_segment(src, dst, k, count, seconds, enhancer, EnhanceSettings(), video)
              for k in range(count)]
    join_segments(src, dst, count, video)
    return frames


@pytest.fixture(scope="module")
def whole_export(long_clip, enhancer) -> Path:
    whole = long_clip.with_name("whole.mp4")
    enhance_video(long_clip, whole, enhancer, EnhanceSettings(), LOSSLESS)
    return whole


def diffs(a: list[np.ndarray], b: list[np.ndarray]) -> list[float]:
    return [float(np.abs(x.astype(int) - y.astype(int)).mean()) for x, y in zip(a, b)]


def test_joined_segments_match_the_whole_export(long_clip, whole_export, tmp_path, enhancer):
    joined = tmp_path / "joined.mp4"
    frames = split_export(long_clip, joined, 1.5, enhancer)
    assert len(frames) == 5 and sum(frames) == 96  # cut at the keyframes at 0, 1, 3, 4, 6 s
    pts_w, img_w, audio_w = decoded(whole_export)
    pts_j, img_j, audio_j = decoded(joined)
    assert pts_j == pts_w and len(pts_j) == 96  # every frame once, timestamps kept
    assert audio_j == audio_w and audio_j  # the sound copied packet for packet
    # every segment's scan reaches back to the shot's first frame (the video's): the
    # engine replays the whole export's state
    assert max(diffs(img_w, img_j)) <= 0.5, max(diffs(img_w, img_j))
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []  # segments removed


def test_a_fixed_camera_joins_within_a_tenth_of_a_level(tmp_path, enhancer):
    """32 s of a fixed night camera at 3 fps, cut every 6 s: the shot began at the video's
    first frame, long before the later segments' warm-ups."""
    clip = make_clip(tmp_path / "cctv.mp4", frames=96, fps=3, gop=6, pan=False)
    whole = tmp_path / "whole.mp4"
    enhance_video(clip, whole, enhancer, EnhanceSettings(), LOSSLESS)
    frames = split_export(clip, tmp_path / "joined.mp4", 6.0, enhancer)
    assert frames == [18, 18, 18, 18, 24]
    img_w = decoded(whole)[1]
    warm = diffs(img_w, decoded(tmp_path / "joined.mp4")[1])
    assert max(warm) < 0.3, max(warm)


def test_a_cut_then_a_pan_joins_without_steps(tmp_path, enhancer, monkeypatch):
    """A still street, a cut at 3 s, then a 13 s pan from a lit to a dark side, cut every 2 s:
    segments from 8 s on start more than a warm-up after the shot began, so they plan the
    shot on its first frame (found by the scan) and replay the last seconds. Every frame of
    the joined file within 2 levels of the whole export (5-42 on average before, steps of
    5-22 at the joins)."""
    clip = write_frames(tmp_path / "cut_pan.mp4", cut_then_pan(), fps=12, gop=12)
    whole = tmp_path / "whole.mp4"
    enhance_video(clip, whole, enhancer, EnhanceSettings(), LOSSLESS)
    joined = tmp_path / "joined.mp4"
    split_export(clip, joined, 2.0, enhancer)
    pts_w, img_w, _ = decoded(whole, audio=False)
    pts_j, img_j, _ = decoded(joined, audio=False)
    assert pts_j == pts_w
    d = diffs(img_w, img_j)
    assert max(d) <= 2.0, (max(d), int(np.argmax(d)))
    steps = np.abs(np.diff([x.mean() for x in img_j]) - np.diff([x.mean() for x in img_w]))
    assert steps.max() <= 2.0, steps.max()

    # without the scan's replay (each segment a shot of its own) the joins would show
    from app.core.jobs import video_split

    monkeypatch.setattr(video_split, "WARMUP_SECONDS", 0)
    split_export(clip, tmp_path / "cold.mp4", 2.0, enhancer)
    cold = diffs(img_w, decoded(tmp_path / "cold.mp4", audio=False)[1])
    assert max(cold) > 2.0 and max(cold) > 4 * max(d), (max(cold), max(d))


def test_joins_keep_a_phone_clips_timestamps_exactly(tmp_path, enhancer):
    """29.97 fps on a 1/30000 clock, cut at keyframes half a second apart: the segments' MP4
    files began with an empty edit in milliseconds, which moved every frame after a join
    that was not on a whole millisecond by 0.5 ms."""
    images = list(cut_then_pan(seconds=2.0, fps=30000 / 1001, cut=0.5))
    clip = write_frames(tmp_path / "phone.mp4", images, fps=30000 / 1001, gop=15,
                        time_base=Fraction(1, 30000))
    whole = tmp_path / "whole.mp4"
    enhance_video(clip, whole, enhancer, EnhanceSettings(), VideoOptions())
    joined = tmp_path / "joined.mp4"
    split_export(clip, joined, 0.5, enhancer, VideoOptions())

    def times(path):
        with av.open(str(path)) as c:
            return [f.pts * f.time_base for f in c.decode(video=0)]

    assert times(joined) == times(whole) == times(clip)


def test_default_quality_joins_play_through(long_clip, tmp_path, enhancer):
    joined = tmp_path / "joined.mp4"
    split_export(long_clip, joined, 2.0, enhancer, VideoOptions())  # B-frames, CRF 20
    pts, images, audio = decoded(joined)
    assert len(pts) == 96 and pts == sorted(pts) and len(audio) > 0


def test_segments_that_cannot_be_joined_raise_and_leave_nothing(long_clip, tmp_path,
                                                                enhancer):
    dst = tmp_path / "mixed.mp4"
    for k, video in enumerate((VideoOptions("h264"), VideoOptions("h265"))):
        enhance_segment(long_clip, dst, k, 2, 4.0, enhancer, EnhanceSettings(), video)
    with pytest.raises(SplitError):
        join_segments(long_clip, dst, 2, VideoOptions())
    assert not dst.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        segment_path(dst, k).name for k in range(2))  # no temporary output left


def test_short_and_unindexed_videos_are_not_cut(long_clip, tmp_path):
    assert plan_split(long_clip, 5.0) == 1  # shorter than two segments
    assert plan_split(long_clip, 2.0) == 4
    assert plan_split(tmp_path / "clip.ts", 2.0) == 1  # MPEG-TS seeks are not exact


def test_segment_files_are_temporary_files_swept_by_the_usual_rules(tmp_path):
    """Segments are named and locked like any temporary file: a killed run's are swept by the
    next run (remove_stale_temps), the driver sweeps a video's own at any age, never one that
    is still being written."""
    target = tmp_path / "clip_enhanced.mp4"
    writing = TempFile(target, tag="seg00001")  # a worker at work on segment 2
    finished = segment_path(target, 0)
    finished.write_bytes(b"a finished segment")
    other = segment_path(tmp_path / "other_enhanced.mp4", 0)
    other.write_bytes(b"another video's segment")
    assert writing.path == segment_path(target, 1) and is_temp_name(finished.name)
    assert remove_stale_temps(tmp_path) == []  # all fresh: a writer may not have locked yet
    remove_segments(target)
    assert not finished.exists() and writing.path.exists() and other.exists()
    writing.close()
    remove_segments(target)
    assert sorted(tmp_path.iterdir()) == [other]
