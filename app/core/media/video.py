"""Video files with PyAV: probing, reading one frame, the encoder settings, and which of the
input's other streams (audio, subtitles, data) can be copied into the output container.
The export pipeline itself is :mod:`app.core.jobs.video_export`.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from app.core.media.files import is_regular, regular_problem
from app.core.media.metadata import SOFTWARE

log = logging.getLogger(__name__)
# Encoder settings, measured on brightened 1080p night footage on a 2-core CPU. x264's veryfast
# with its cheapest motion search (diamond, one subpel pass, no inter sub-partitions) spends
# 36 ms of CPU a frame instead of 64, for 9% more bits and 0.2 dB less PSNR at the same CRF:
# that is what keeps 1080p export near real time on a laptop. (superfast is as fast but also
# drops mb-tree, which costs 80% more bits on noisy footage.) x265 is several times slower at
# any preset; it is there for smaller files, not speed. x264 is asked to be deterministic
# in its threads (its floating-point rate control is also why no engine may leave
# flush-to-zero on in a thread: see backends/onnx_backend.py). cpu-independent: x264's
# AVX-512 macroblock tree reads memory it never wrote when the width is not a multiple of 128
# (320 and 854 were hit; 256, 384, 1280 and 1920 not), so the same frames gave other bytes
# once earlier work had left other garbage on the heap (tests/test_same_bytes.py). Its
# portable code costs ~6% of x264's CPU time and gives the same bytes on every CPU, which a
# cluster of mixed nodes needs too.
ENCODERS = {  # codec -> (FFmpeg encoder, its options besides the CRF)
    "h264": ("libx264", {"preset": "veryfast",
                         "x264-params": "me=dia:subme=1:partitions=i8x8,i4x4:"
                                        "non-deterministic=0:cpu-independent=1"}),
    "h265": ("libx265", {"preset": "superfast", "x265-params": "log-level=error"}),
}


class VideoReadError(ValueError):
    """Not a video we can decode (no video stream, truncated, not a container...)."""


class VideoWriteError(OSError):
    """The enhanced video could not be encoded or written (disk full, encoder error...)."""


@dataclass
class VideoInfo:
    width: int
    height: int
    fps: float
    frames: int  # estimate when the container does not say
    duration: float  # seconds
    codec: str
    has_audio: bool
    rotation: int = 0


def open_video(path: Path):
    import av

    if problem := regular_problem(path):  # FFmpeg would wait on a pipe forever
        raise VideoReadError(f"{Path(path).name}: {problem}")
    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoReadError(f"{Path(path).name}: not a readable video ({exc})") from None
    if not container.streams.video:
        container.close()
        raise VideoReadError(f"{Path(path).name}: has no video stream")
    return container


def probe(path: str | os.PathLike) -> VideoInfo:
    with open_video(Path(path)) as c:
        s = c.streams.video[0]
        rate = s.average_rate or s.guessed_rate or Fraction(25)
        duration = float(s.duration * s.time_base) if s.duration else (
            c.duration / 1e6 if c.duration else 0.0)
        frames = s.frames or int(round(duration * float(rate)))
        rotation = 0
        try:
            first = next(c.decode(s))
            rotation = int(getattr(first, "rotation", 0) or 0)
        except Exception:  # noqa: BLE001 - a probe never fails on this (StopIteration too)
            pass
        return VideoInfo(s.codec_context.width, s.codec_context.height, float(rate), frames,
                         duration, s.codec_context.name, bool(c.streams.audio), rotation)


def read_frame(path: str | os.PathLike, seconds: float) -> np.ndarray:
    """The RGB frame shown at ``seconds`` (for the window's scrubber)."""
    with open_video(Path(path)) as c:
        s = c.streams.video[0]
        target = int(seconds / s.time_base) + (s.start_time or 0)
        c.seek(max(0, target), stream=s, backward=True)
        last = None
        for frame in c.decode(s):
            last = frame
            if frame.pts is not None and frame.pts >= target:
                break
        if last is None:
            raise VideoReadError(f"{Path(path).name}: no frame at {seconds:.2f} s")
        return last.to_ndarray(format="rgb24")


def copy_streams(inp, out, vin, dst: Path) -> dict:
    """Input stream index -> output stream, for every stream copied as packets."""
    import av

    copied = {}
    for st in inp.streams:
        if st is vin or st.type not in ("audio", "subtitle", "data"):
            continue
        codec = getattr(st.codec_context, "name", None)  # None: a data stream FFmpeg cannot name
        try:
            if st.type == "audio":
                copied[st.index] = out.add_stream_from_template(st)
            elif codec:  # no codec context to open for these: mux the packets as they are
                copied[st.index] = out.add_mux_stream(codec, time_base=st.time_base)
        except (ValueError, av.FFmpegError, AttributeError) as exc:
            log.debug("%s stream %d cannot go into %s: %s", st.type, st.index, dst.suffix, exc)
    return copied


def streams_not_kept(inp, vin, copied: dict) -> str:
    """What the export leaves out, for the outcome's reason: "stream 2 (video) not kept"."""
    left = [f"stream {st.index} ({st.type}) not kept" for st in inp.streams
            if st is not vin and st.index not in copied]
    return "; ".join(left)


def container_format(dst: Path) -> str:
    return {".mkv": "matroska", ".mov": "mov", ".m4v": "mp4"}.get(dst.suffix.lower(), "mp4")


def mark_output(container, made_with: str = "") -> None:
    """Tag an output container as ours (a comment every container keeps), with the settings
    it was made with, as photos carry them in their EXIF Software tag (metadata.py)."""
    container.metadata["comment"] = f"{SOFTWARE} ({made_with})" if made_with else SOFTWARE


def video_made_with(path: str | os.PathLike) -> str | None:
    """The settings recorded in a video Lowlight Studio wrote ("" when it does not say: an
    older version's); None when it did not write it (or it is no readable video)."""
    import av

    if not is_regular(path):
        return None
    try:
        with av.open(str(path)) as c:
            comment = next((str(v) for k, v in c.metadata.items() if k.lower() == "comment"),
                           "")
    except (av.FFmpegError, OSError, ValueError):
        return None
    if not comment.startswith(SOFTWARE):
        return None
    rest = comment[len(SOFTWARE):].strip()
    return rest[1:-1] if rest.startswith("(") and rest.endswith(")") else ""


def has_video_mark(path: str | os.PathLike) -> bool:
    import av

    if not is_regular(path):
        return False
    try:
        with av.open(str(path)) as c:
            return any(k.lower() == "comment" and str(v).startswith(SOFTWARE)
                       for k, v in c.metadata.items())
    except (av.FFmpegError, OSError, ValueError):
        return False
