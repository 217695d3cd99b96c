"""The bundle step that lets OpenCV use PyAV's FFmpeg swaps only ABI-compatible libraries."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location(
    "share_ffmpeg", Path(__file__).parents[1] / "build_scripts" / "share_ffmpeg.py")
share_ffmpeg = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(share_ffmpeg)

CV2_NEEDED = ["libopenblasp-r0-59ffcd50.3.15.so", "libavcodec-c4204469.so.62.28.101",
              "libavutil-befbbc48.so.60.26.101", "libz.so.1"]


def test_same_major_minor_is_swapped_and_others_left_alone():
    av_libs = ["libavcodec-5e6b81c2.so.62.28.102", "libavutil-5809ad29.so.60.26.102",
               "libx264-d6533a8d.so.165"]
    assert share_ffmpeg.plan_swaps(CV2_NEEDED, av_libs) == {
        "libavcodec-c4204469.so.62.28.101": "libavcodec-5e6b81c2.so.62.28.102",
        "libavutil-befbbc48.so.60.26.101": "libavutil-5809ad29.so.60.26.102"}


def test_a_different_minor_version_refuses_to_touch_the_bundle():
    av_libs = ["libavcodec-5e6b81c2.so.62.30.100", "libavutil-5809ad29.so.60.26.102"]
    with pytest.raises(share_ffmpeg.Incompatible, match="avcodec 62.28"):
        share_ffmpeg.plan_swaps(CV2_NEEDED, av_libs)
