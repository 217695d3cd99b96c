"""Video export under faults: a dying encoder, a full disk, a picture size change midway, a
truncated file, Ctrl+C. Each must end promptly (a guard fails the test on a hang), say what
happened, leave no temporary file and let a batch go on."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from clips import make_clip
from hostile import joined_ts, within

import app.core.jobs.video_export as video_export
from app.cli import main as cli
from app.core import (
    BatchInterrupted,
    OutputOptions,
    VideoReadError,
    VideoWriteError,
    discover,
    enhance_video,
    probe,
    run_batch,
)
from app.core.settings import EnhanceSettings

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 30  # seconds; each export here takes well under 2 s when nothing hangs


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("faults") / "night.mkv", frames=36, audio=False)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_encoder_error_ends_the_export_with_a_message(tmp_path, clip, enhancer, monkeypatch):
    real = video_export.encoder_frame
    calls = []

    def dying_encoder_input(*args):
        calls.append(1)
        if len(calls) == 3:
            raise ValueError("[Errno 22] Invalid argument")  # what x264 said
        return real(*args)

    monkeypatch.setattr(video_export, "encoder_frame", dying_encoder_input)
    with pytest.raises(VideoWriteError, match="encoding out.mkv failed at frame 3: .*Invalid"):
        within(DEADLINE, enhance_video, clip, tmp_path / "out.mkv", enhancer, EnhanceSettings())
    assert list(tmp_path.iterdir()) == []


class _FillingDisk:
    """An output container whose writes fail with ENOSPC after a few packets."""

    def __init__(self, real, budget: int):
        self._real, self._budget = real, budget

    def __getattr__(self, name):
        return getattr(self._real, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._real.close()

    def mux(self, packets):
        self._budget -= 1
        if self._budget < 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        return self._real.mux(packets)


def test_full_disk_ends_the_export_and_the_batch_goes_on(tmp_path, clip, enhancer,
                                                         monkeypatch):
    import av

    real_open = av.open

    def open_(file, mode="r", **kwargs):
        c = real_open(file, mode, **kwargs)
        return _FillingDisk(c, budget=5) if mode == "w" else c

    monkeypatch.setattr(av, "open", open_)
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.mkv").write_bytes(clip.read_bytes())
    (src / "b.mkv").write_bytes(clip.read_bytes())
    report = within(DEADLINE, run_batch, discover([src]), enhancer, EnhanceSettings(),
                    OutputOptions(tmp_path / "out"))
    assert [o.status for o in report.outcomes] == ["failed", "failed"]  # both tried
    assert "cannot write a_enhanced.mkv: No space left on device" in report.outcomes[0].reason
    assert _leftovers(tmp_path / "out") == []
    assert report.paths  # and the report was written


def test_picture_size_change_midway_is_scaled_and_named(tmp_path, enhancer):
    joined = joined_ts(tmp_path, audio=True)  # 320x180 then 160x90, clocks restart
    result = within(DEADLINE, enhance_video, joined, tmp_path / "joined.mp4", enhancer,
                    EnhanceSettings())
    info = probe(result.output)
    assert (info.width, info.height, info.frames, result.frames) == (320, 180, 24, 24)
    assert "picture size changes from 320x180 to 160x90 at frame 13" in result.warning
    assert info.has_audio and result.audio_packets > 0
    import av

    with av.open(str(result.output)) as c:
        pts = [f.pts for f in c.decode(video=0)]
    assert pts == sorted(pts) and len(set(pts)) == 24  # time runs forward across the join


def test_a_transport_stream_starts_at_zero_with_its_sound_in_sync(tmp_path, enhancer):
    """An MPEG-TS clip starts where the camera's clock stood (1.6 s here): its MP4 starts at
    0 (it kept a 1.6 s blank start), every stream moved by the same time."""
    import av

    src = make_clip(tmp_path / "cam.ts", frames=24, audio=True, start_frames=19)  # 1.58 s
    with av.open(str(src)) as c:
        assert c.start_time / 1e6 > 1.5
        first_audio_in = next(c.demux(audio=0)).pts * c.streams.audio[0].time_base
        first_video_in = next(c.decode(video=0)).time
    result = within(DEADLINE, enhance_video, src, tmp_path / "cam.mp4", enhancer,
                    EnhanceSettings())
    with av.open(str(result.output)) as c:
        first_video = next(c.decode(video=0)).time
        first_audio = next(c.demux(audio=0)).pts * c.streams.audio[0].time_base
    assert first_video < 0.1
    # the sound keeps its place against the picture (within a packet of 1024 samples)
    assert abs((first_audio - first_video) - (first_audio_in - first_video_in)) < 0.03
    assert result.frames == 24 and result.audio_packets > 0


def test_truncated_file_is_done_with_a_warning_that_counts_frames(tmp_path, clip, capsys):
    cut = tmp_path / "in" / "cut.mkv"
    cut.parent.mkdir()
    cut.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])
    assert cli(["batch", str(cut.parent), "-o", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr()
    assert "1 done, 0 skipped, 0 failed (1 with a warning)" in printed.out
    assert "warning: " in printed.err and "cut.mkv: only 1" in printed.err
    assert "of 3.0 s) could be decoded" in printed.err
    report = json.loads(next((tmp_path / "out").glob("lowlight_report-*.json")).read_text())
    assert report["files"][0]["status"] == "done"
    assert "truncated" in report["files"][0]["reason"]
    frames = probe(tmp_path / "out" / "cut_enhanced.mkv").frames
    assert 10 < frames < 30 and f"only {frames} frames" in report["files"][0]["reason"]


def test_interrupt_in_a_video_stops_the_batch_and_writes_the_report(tmp_path, clip, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a.mkv").write_bytes(clip.read_bytes())
    (src / "b.mkv").write_bytes(clip.read_bytes())

    def ctrl_c(done, total, fps):  # Ctrl+C lands in the thread that enhances the frames
        if done == 5:
            raise KeyboardInterrupt

    started = time.perf_counter()
    with pytest.raises(BatchInterrupted) as stopped:
        within(DEADLINE, run_batch, discover([src]), enhancer, EnhanceSettings(),
               OutputOptions(tmp_path / "out"), on_video_progress=ctrl_c)
    assert time.perf_counter() - started < 5
    report = stopped.value.report
    assert [o.status for o in report.outcomes] == ["cancelled", "cancelled"]
    assert json.loads(report.paths[1].read_text())["interrupted"] is True
    assert _leftovers(tmp_path / "out") == []


def _long_clip(path: Path, frames: int = 400) -> Path:
    """640x360, a few hundred frames: long enough to be interrupted midway (written fast:
    eight noisy frames repeated)."""
    import av
    from clips import dark_scene

    rng = np.random.default_rng(0)
    scene = dark_scene(360, 640)
    looks = [(np.clip(scene[:, k * 40:k * 40 + 640] + rng.normal(0, 0.01, (360, 640, 3)), 0, 1)
              * 255).astype(np.uint8) for k in range(8)]
    with av.open(str(path), "w") as out:
        v = out.add_stream("libx264", rate=25)
        v.width, v.height, v.pix_fmt = 640, 360, "yuv420p"
        v.options = {"preset": "ultrafast", "crf": "23"}
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(looks[i % 8], format="rgb24")
            frame.pts = i
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    return path


@pytest.mark.skipif(os.name == "nt", reason="SIGINT to a child is a POSIX thing")
def test_ctrl_c_in_the_cli_stops_within_a_second_and_exits_130(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    _long_clip(src / "long.mp4")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "batch", str(src), "-o", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out.is_dir() and any(p.name.endswith(".part") for p in out.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.5)  # well into the export
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
        stopped_after = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert "lowlight: interrupted: 0 done, 0 skipped, 0 failed, 1 cancelled" in stderr
    print(f"stopped {stopped_after:.2f} s after SIGINT")
    assert stopped_after < 3, stopped_after  # ~0.5 s measured, exit included; 60 s before
    assert _leftovers(out) == []
    report = json.loads(next(out.glob("lowlight_report-*.json")).read_text())
    assert report["interrupted"] and report["files"][0]["status"] == "cancelled"


def test_decode_errors_are_named_not_hung(tmp_path, enhancer):
    bad = tmp_path / "bad.mkv"
    bad.write_bytes(b"\x1aE\xdf\xa3" + os.urandom(4000))  # a Matroska header, then noise
    with pytest.raises((VideoReadError, ValueError)):
        within(DEADLINE, enhance_video, bad, tmp_path / "o.mp4", enhancer, EnhanceSettings())
    assert not (tmp_path / "o.mp4").exists() and _leftovers(tmp_path) == []
