"""A video cut at keyframes, enhanced segment by segment and joined (app.core.jobs.video_split),
against the same video exported whole; no Ray needed. Lossless encoding (CRF 0) isolates what
the split changes: only the temporal smoother's residue after each join."""
from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest
from clips import make_clip

from app.core import EnhanceSettings, VideoOptions, enhance_video
from app.core.jobs.video_split import (
    SplitError,
    enhance_segment,
    join_segments,
    plan_split,
    segment_path,
)

LOSSLESS = VideoOptions(crf=0)


def decoded(path: Path) -> tuple[list[int], list[np.ndarray], list[bytes]]:
    with av.open(str(path)) as c:
        frames = list(c.decode(c.streams.video[0]))
    with av.open(str(path)) as c:
        audio = [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]
    return [f.pts for f in frames], [f.to_ndarray(format="rgb24") for f in frames], audio


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


def test_joined_segments_match_the_whole_export(long_clip, whole_export, tmp_path, enhancer,
                                                monkeypatch):
    joined = tmp_path / "joined.mp4"
    frames = split_export(long_clip, joined, 1.5, enhancer)
    assert len(frames) == 5 and sum(frames) == 96  # cut at the keyframes at 0, 1, 3, 4, 6 s
    pts_w, img_w, audio_w = decoded(whole_export)
    pts_j, img_j, audio_j = decoded(joined)
    assert pts_j == pts_w and len(pts_j) == 96  # every frame once, timestamps kept
    assert audio_j == audio_w and audio_j  # the sound copied packet for packet
    warm = diffs(img_w, img_j)
    # The first two segments have every earlier frame as warm-up: identical. After later
    # joins, the 24 warm-up frames leave the smoother a small residue that fades.
    assert max(warm[:36]) == 0.0
    assert 0 < max(warm) < 0.3, max(warm)
    assert [n for n in os.listdir(tmp_path) if n.startswith(".")] == []  # segments removed

    # without the warm-up the joins would show: several times the difference
    from app.core.jobs import video_split

    monkeypatch.setattr(video_split, "WARMUP_FRAMES", 0)
    split_export(long_clip, tmp_path / "cold.mp4", 1.5, enhancer)
    cold = diffs(img_w, decoded(tmp_path / "cold.mp4")[1])
    assert max(cold) > 3 * max(warm), (max(cold), max(warm))


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
