"""Video export on clips the tests encode themselves with PyAV."""
from __future__ import annotations

import json

import numpy as np
import pytest
from clips import audio_packets, frame_means, make_clip

from app.core import (
    BatchControl,
    Cancelled,
    OutputOptions,
    VideoReadError,
    discover,
    enhance_video,
    probe,
    read_frame,
    run_batch,
)
from app.core.settings import EnhanceSettings, VideoOptions


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips") / "night.mp4")


def test_export_keeps_frames_timing_and_audio_and_brightens(tmp_path, clip, enhancer):
    out = tmp_path / "night_enhanced.mp4"
    result = enhance_video(clip, out, enhancer, EnhanceSettings())
    src, dst = probe(clip), probe(out)
    assert result.frames == src.frames == dst.frames == 36
    assert (dst.width, dst.height) == (src.width, src.height)
    assert abs(dst.duration - src.duration) <= 1 / src.fps
    assert dst.codec == "h264" and dst.has_audio
    assert audio_packets(out) == audio_packets(clip)  # copied untouched
    means_in, pts_in = frame_means(clip)
    means_out, pts_out = frame_means(out)
    assert pts_out == pts_in
    assert (means_out > 2 * means_in).all()
    # Written under a temporary name but ends up with a plain new file's permissions, not 0600.
    plain = tmp_path / "plain"
    plain.touch()
    assert out.stat().st_mode & 0o777 == plain.stat().st_mode & 0o777


def test_no_flicker_on_a_steady_noisy_pan(tmp_path, clip, enhancer):
    out = enhance_video(clip, tmp_path / "o.mp4", enhancer, EnhanceSettings()).output
    means_in, _ = frame_means(clip)
    means_out, _ = frame_means(out)
    gain = means_out.mean() / means_in.mean()
    change_in = np.abs(np.diff(means_in)).mean()
    change_out = np.abs(np.diff(means_out)).mean()
    assert change_out <= change_in * gain, (change_out, change_in, gain)


def test_cancelled_export_leaves_nothing(tmp_path, clip, enhancer):
    control = BatchControl()

    def progress(done, total, fps):
        if done == 5:
            control.cancel()

    target = tmp_path / "cancelled.mp4"
    with pytest.raises(Cancelled):
        enhance_video(clip, target, enhancer, EnhanceSettings(), progress=progress,
                      control=control)
    assert list(tmp_path.iterdir()) == []


def test_h265_mkv_odd_size_rotation_and_ten_bit(tmp_path, enhancer):
    src = make_clip(tmp_path / "odd.mp4", frames=8, size=(161, 91), codec="libx264",
                    pix_fmt="yuv444p", rotation=90, audio=False)
    out = enhance_video(src, tmp_path / "odd.mkv", enhancer, EnhanceSettings(),
                        VideoOptions("h265"))
    info = probe(out.output)
    assert (info.width, info.height, info.codec, info.frames) == (161, 91, "hevc", 8)
    assert info.rotation == probe(src).rotation == 90
    deep = make_clip(tmp_path / "deep.mkv", frames=6, pix_fmt="yuv420p10le", audio=False)
    assert enhance_video(deep, tmp_path / "deep_out.mp4", enhancer,
                         EnhanceSettings()).frames == 6


def test_video_quality_and_codec_are_the_users_choice(tmp_path, clip, enhancer):
    import av

    def export(name, options):
        return enhance_video(clip, tmp_path / name, enhancer, EnhanceSettings(), options).output

    fine = export("fine.mp4", VideoOptions(crf=12))
    coarse = export("coarse.mp4", VideoOptions(crf=40))
    assert coarse.stat().st_size * 2 < fine.stat().st_size
    hevc = export("small.mp4", VideoOptions("h265"))
    with av.open(str(hevc)) as c:
        assert c.streams.video[0].codec_context.name == "hevc"
        assert c.streams.video[0].codec_tag == "hvc1"  # plays in Apple's players too
        assert c.streams.audio  # the sound came along
    with pytest.raises(ValueError, match="codec"):
        VideoOptions("vp9").validated()
    with pytest.raises(ValueError, match="CRF"):
        VideoOptions(crf=60).validated()


def test_variable_frame_rate_timestamps_survive(tmp_path, enhancer):
    import av

    path = tmp_path / "vfr.mkv"
    pts = [0, 1, 2, 5, 6, 10, 11, 20]
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = 64, 48, "yuv420p"
        s.codec_context.time_base = s.time_base = __import__("fractions").Fraction(1, 30)
        for p in pts:
            f = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20, np.uint8), format="rgb24")
            f.pts = p
            c.mux(s.encode(f))
        c.mux(s.encode(None))
    out = enhance_video(path, tmp_path / "vfr_out.mkv", enhancer, EnhanceSettings()).output
    _, before = frame_means(path)
    _, after = frame_means(out)
    assert np.allclose(np.array(after, float) / after[1], np.array(before, float) / before[1])


@pytest.mark.parametrize("make, message", [
    (lambda p: p.write_bytes(b"this is not a video"), "not a readable video"),
    (lambda p: p.write_bytes(b""), "not a readable video"),
])
def test_bad_files_raise_clear_errors(tmp_path, enhancer, make, message):
    bad = tmp_path / "bad.mp4"
    make(bad)
    with pytest.raises(VideoReadError, match=message):
        enhance_video(bad, tmp_path / "out.mp4", enhancer, EnhanceSettings())
    assert not (tmp_path / "out.mp4").exists()


def test_truncated_and_audio_only_files(tmp_path, clip, enhancer):
    truncated = tmp_path / "cut.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    with pytest.raises(VideoReadError):
        enhance_video(truncated, tmp_path / "o.mp4", enhancer, EnhanceSettings())
    import av

    sound = tmp_path / "sound.m4a"
    with av.open(str(sound), "w", format="mp4") as c:
        a = c.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                           layout="mono")
        frame.sample_rate, frame.pts = 48000, 0
        c.mux(a.encode(frame))
        c.mux(a.encode(None))
    with pytest.raises(VideoReadError, match="no video stream"):
        probe(sound)
    assert not (tmp_path / "o.mp4").exists()


def test_scrubber_frame_read(clip):
    first, later = read_frame(clip, 0.0), read_frame(clip, 2.0)
    assert first.shape == later.shape == (180, 320, 3)
    assert not np.array_equal(first, later)  # the pan moved


def test_videos_are_batch_items(tmp_path, clip, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    (src / "clip.mp4").write_bytes(clip.read_bytes())
    (src / "broken.mov").write_bytes(b"nope")
    report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "o", video=VideoOptions(crf=26)))
    status = {o.source.split("/")[-1]: o.status for o in report.outcomes}
    assert status == {"clip.mp4": "done", "broken.mov": "failed"}
    assert probe(tmp_path / "o" / "clip_enhanced.mp4").frames == 36
    written = json.loads(report.paths[1].read_text())
    assert (written["settings"]["video_codec"], written["settings"]["video_crf"]) == ("h264", 26)
    with pytest.raises(ValueError, match="codec"):  # a bad choice fails before any file
        run_batch(discover([src]), enhancer, EnhanceSettings(),
                  OutputOptions(tmp_path / "p", video=VideoOptions("vp9")))
    assert not (tmp_path / "p").exists()


def test_cli_exports_videos_with_the_chosen_codec_and_quality(tmp_path, clip):
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "app.cli", "enhance", str(clip), "-o", str(tmp_path / "o")]
    r = subprocess.run(cmd + ["--video-codec", "h265", "--video-quality", "30"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    info = probe(tmp_path / "o" / clip.name)
    assert (info.codec, info.frames, info.has_audio) == ("hevc", 36, True)
    r = subprocess.run(cmd + ["--video-quality", "99"], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and "CRF" in r.stderr


def test_subtitles_are_copied_into_mkv(tmp_path, enhancer):
    from fractions import Fraction

    import av

    src = tmp_path / "subs.mkv"
    with av.open(str(src), "w") as out:
        v = out.add_stream("libx264", rate=10)
        v.width, v.height, v.pix_fmt = 64, 48, "yuv420p"
        sub = out.add_mux_stream("subrip", time_base=Fraction(1, 1000))
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), 20, np.uint8),
                                               format="rgb24")
            frame.pts = i
            out.mux(v.encode(frame))
        for start, text in ((0, b"first line"), (500, b"second line")):
            packet = av.Packet(text)
            packet.stream, packet.pts, packet.dts, packet.duration = sub, start, start, 400
            out.mux(packet)
        out.mux(v.encode(None))
    result = enhance_video(src, tmp_path / "out.mkv", enhancer, EnhanceSettings())
    with av.open(str(result.output)) as c:
        texts = [bytes(p) for p in c.demux(c.streams.subtitles[0]) if p.size]
    assert texts == [b"first line", b"second line"]


def test_fast_yuv420_matches_ffmpeg_conversion():
    import av
    import cv2

    from app.core.media.yuv import rgb_to_i420

    rng = np.random.default_rng(0)
    rgb = cv2.GaussianBlur((rng.random((90, 162, 3)) * 255).astype(np.uint8), (5, 5), 2)
    ours = rgb_to_i420(rgb).astype(int)
    ffmpeg = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    ffmpeg = ffmpeg.to_ndarray().astype(int)
    assert np.abs(ours[:90] - ffmpeg[:90]).max() <= 1  # luma
    assert np.abs(ours[90:] - ffmpeg[90:]).mean() < 1.0  # chroma: 2x2 means, not point samples
    back = av.VideoFrame.from_ndarray(rgb_to_i420(rgb), format="yuv420p").to_ndarray(
        format="rgb24")
    assert np.abs(back.astype(int) - rgb).mean() < 5
    with pytest.raises(ValueError, match="even"):
        rgb_to_i420(rgb[:89])
