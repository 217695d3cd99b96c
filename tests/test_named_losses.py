"""What an output leaves out is named in its report (issue #23): a second video stream, the
frames after the first of an animation or a multipage file, formats a folder run skips."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from app.core import OutputOptions, discover, run_batch
from app.core.settings import EnhanceSettings


def _dark(seed=0, h=48, w=64):
    rng = np.random.default_rng(seed)
    return (rng.random((h, w, 3)) * 20 + 30).astype(np.uint8)


def _two_video_streams(path: Path, frames: int = 6) -> Path:
    """A Matroska file with two video streams (a camera's main and preview tracks)."""
    import av

    with av.open(str(path), "w") as out:
        streams = []
        for w, h in ((64, 48), (32, 24)):
            v = out.add_stream("mpeg4", rate=12)
            v.width, v.height, v.pix_fmt = w, h, "yuv420p"
            streams.append(v)
        for i in range(frames):
            for v in streams:
                frame = av.VideoFrame.from_ndarray(
                    np.full((v.height, v.width, 3), 20 + i, np.uint8), format="rgb24")
                frame.pts = i
                out.mux(v.encode(frame))
        for v in streams:
            out.mux(v.encode(None))
    return path


def test_a_second_video_stream_is_named_not_dropped_silently(tmp_path, enhancer, capsys):
    src = tmp_path / "in"
    src.mkdir()
    _two_video_streams(src / "two.mkv")
    report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "out"))
    outcome, = report.outcomes
    assert outcome.status == "done", outcome
    assert "stream 1 (video) not kept" in outcome.reason
    assert "NoneType" not in capsys.readouterr().err


def test_animations_and_pages_say_first_frame_only_gif_and_svg_are_listed(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    frames = [Image.fromarray(_dark(i)) for i in range(3)]
    frames[0].save(src / "anim.webp", save_all=True, append_images=frames[1:], lossless=True)
    frames[0].save(src / "anim.png", save_all=True, append_images=frames[1:])  # APNG
    frames[0].save(src / "pages.tif", save_all=True, append_images=frames[1:2])
    frames[0].save(src / "still.png")
    frames[0].save(src / "anim.gif", save_all=True, append_images=frames[1:])
    (src / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>')
    report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "out"))
    rows = {Path(o.source).name: (o.status, o.reason) for o in report.outcomes}
    assert rows["anim.webp"] == ("done", "first frame only (of 3)")
    assert rows["anim.png"] == ("done", "first frame only (of 3)")
    assert rows["pages.tif"] == ("done", "first frame only (of 2)")
    assert rows["still.png"] == ("done", "")
    for name in ("anim.gif", "logo.svg"):
        assert rows[name][0] == "skipped" and rows[name][1].startswith("unsupported format")
