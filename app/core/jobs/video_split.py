"""A long video on several workers: cut at keyframes into segments enhanced in parallel, then
joined into one file without re-encoding anything (the segments' packets and the source's
audio, subtitle and data packets are copied).

Segment k covers the frames from the keyframe at or before ``k * seconds`` to the one at or
before ``(k + 1) * seconds``; every worker finds the same keyframes by seeking the same file, so
the segments neither overlap nor leave gaps, and nothing has to scan the video up front. Before
its first frame a segment runs the last WARMUP_FRAMES frames of the previous GOP through the
engine and discards them: the temporal smoother (and the exposure it carries) arrives at the
join with the state an unsplit export would have, within 0.85^24 = 2%. Only containers with
an index (MP4/MOV/M4V/MKV) are cut: their seeks land on the same keyframe every time.

The segments are encoded like :func:`app.core.jobs.video_export.enhance_video` (same encoder,
options, pixel format and timestamps) into NUT files beside the output, which keep the input's
time base exactly. The joined file differs from an unsplit export only by an IDR frame at each
join and the smoother's residue; if the segments cannot be joined losslessly (different codec
headers, decode timestamps that would go backwards) the join raises :class:`SplitError` and
the caller enhances the video whole instead.
"""
from __future__ import annotations

import heapq
import os
import re
import tempfile
from contextlib import ExitStack
from fractions import Fraction
from pathlib import Path

from app.core.engine.temporal import TemporalSmoother, enhance_frame
from app.core.jobs.control import BatchControl
from app.core.media.images import new_file_mode
from app.core.media.video import (
    ENCODERS,
    container_format,
    copy_streams,
    open_video,
    probe,
)
from app.core.media.yuv import rgb_to_i420
from app.core.settings import EnhanceSettings, VideoOptions

WARMUP_FRAMES = 24  # frames before a segment run only to warm the smoother up
SEGMENT_FORMAT = "mp4"  # keeps the time base and decode timestamps as they are
SPLITTABLE = {".mp4", ".mov", ".m4v", ".mkv"}  # indexed: a seek finds the same keyframe


class SplitError(RuntimeError):
    """The segments cannot be joined without re-encoding: enhance the video whole."""


def plan_split(source: Path, seconds: float) -> int:
    """How many segments of about ``seconds`` the video is cut into (1: not cut)."""
    if seconds <= 0 or source.suffix.lower() not in SPLITTABLE:
        return 1
    return max(1, int(probe(source).duration // seconds))


def segment_path(target: Path, k: int) -> Path:
    return target.parent / f".{target.stem}.seg{k:04d}.{SEGMENT_FORMAT}"


def remove_segments(target: Path) -> None:
    """Every segment file of ``target``, finished or partial."""
    pattern = re.compile(rf"\.{re.escape(target.stem)}\.seg\d{{4}}"
                         rf"(\.{SEGMENT_FORMAT}|\.[a-z0-9_]{{8}}\.part)")
    try:
        names = os.listdir(target.parent)
    except OSError:
        return
    for name in names:
        if pattern.fullmatch(name):
            Path(target.parent, name).unlink(missing_ok=True)


def enhance_segment(source: Path, target: Path, k: int, count: int, seconds: float, enhancer,
                    settings: EnhanceSettings, video: VideoOptions,
                    control: BatchControl | None = None) -> int:
    """Enhance segment ``k`` of ``count`` into :func:`segment_path`; returns its frame count."""
    import av

    control = control or BatchControl()
    video = video.validated()
    final = segment_path(target, k)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=final.stem + ".", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        with open_video(source) as inp, av.open(tmp, "w", format=SEGMENT_FORMAT) as out:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            start = _keyframe_at(inp, vin, k * seconds) if k else None
            end = _keyframe_at(inp, vin, (k + 1) * seconds) if k < count - 1 else None
            warm = _warmup(inp, vin, start)
            inp.seek(min(warm, default=start if start is not None else _first_pts(vin)),
                     stream=vin, backward=True)
            vout = _encoder(out, vin, video)
            smoother, frames = TemporalSmoother(), 0
            for frame in inp.decode(vin):
                control.checkpoint()
                if frame.pts is None or (end is not None and frame.pts >= end):
                    break
                if start is not None and frame.pts < start:
                    if frame.pts in warm:
                        enhance_frame(enhancer, frame.to_ndarray(format="rgb24"), settings,
                                      smoother)
                    continue
                rgb = enhance_frame(enhancer, frame.to_ndarray(format="rgb24"), settings,
                                    smoother)
                out.mux(vout.encode(_to_frame(rgb, vout, frame.pts, vin.time_base)))
                frames += 1
            out.mux(vout.encode(None))
        if not frames:  # a GOP longer than the segments: an empty file says "nothing here"
            Path(tmp).write_bytes(b"")
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return frames


def join_segments(source: Path, target: Path, count: int, video: VideoOptions) -> None:
    """The segments of ``target`` and the source's other streams into ``target`` (atomic);
    the segment files are removed once joined."""
    import av

    video = video.validated()
    info = probe(source)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=target.suffix,
                               dir=target.parent)
    os.close(fd)
    try:
        with ExitStack() as stack:
            inp = stack.enter_context(open_video(source))
            paths = [segment_path(target, k) for k in range(count)]
            segs = [stack.enter_context(av.open(str(p))) for p in paths if p.stat().st_size]
            streams = [c.streams.video[0] for c in segs]
            if len({bytes(s.codec_context.extradata or b"") for s in streams}) != 1:
                raise SplitError("the segments' codec headers differ")
            out = stack.enter_context(av.open(tmp, "w", format=container_format(target)))
            vin = inp.streams.video[0]
            vout = out.add_stream_from_template(streams[0])
            vout.time_base = vin.time_base
            if video.codec == "h265" and container_format(target) in ("mp4", "mov"):
                vout.codec_tag = "hvc1"  # as enhance_video tags it
            if info.rotation:
                vout.set_display_rotation(info.rotation)
            copied = copy_streams(inp, out, vin, target)
            _mux_in_time_order(out, vout, segs, streams, inp, copied)
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    remove_segments(target)


def _mux_in_time_order(out, vout, segs, streams, inp, copied) -> None:
    """Video packets segment after segment, the copied streams' packets between them by time
    (the muxer would otherwise buffer a whole stream in memory)."""
    def video_packets():
        for container, stream in zip(segs, streams):
            for packet in container.demux(stream):
                if packet.dts is not None:
                    yield packet

    def other_packets():
        if copied:
            for packet in inp.demux([inp.streams[i] for i in copied]):
                if packet.dts is not None or packet.pts is not None:
                    yield packet

    def when(packet) -> Fraction:
        stamp = packet.dts if packet.dts is not None else packet.pts
        return stamp * packet.time_base

    last = None
    for packet in heapq.merge(video_packets(), other_packets(), key=when):
        if packet.stream.type == "video":
            if last is not None and when(packet) <= last:
                raise SplitError("decode timestamps would go backwards at a join")
            last = when(packet)
            packet.stream = vout
        else:
            packet.stream = copied[packet.stream.index]
        out.mux(packet)


def _first_pts(vin) -> int:
    return vin.start_time or 0


def _keyframe_at(inp, vin, seconds: float) -> int:
    """pts of the keyframe at or before ``seconds``: where a segment starts."""
    inp.seek(_first_pts(vin) + int(seconds / vin.time_base), stream=vin, backward=True)
    for packet in inp.demux(vin):
        if packet.is_keyframe and packet.pts is not None:
            return packet.pts
    raise SplitError(f"no keyframe found at {seconds:.1f} s")


def _warmup(inp, vin, start: int | None) -> set[int]:
    """pts of the last WARMUP_FRAMES frames before ``start`` (from as many GOPs back as
    that takes, at the stream's average frame rate)."""
    if start is None:
        return set()
    back = int((WARMUP_FRAMES + 1) / (vin.average_rate or Fraction(25)) / vin.time_base)
    inp.seek(max(_first_pts(vin), start - back), stream=vin, backward=True)
    before = []
    for packet in inp.demux(vin):
        if packet.pts is None:
            continue
        if packet.pts >= start and packet.is_keyframe:
            break
        if packet.pts < start:
            before.append(packet.pts)
    return set(sorted(before)[-WARMUP_FRAMES:])


def _encoder(out, vin, video: VideoOptions):
    """The output stream exactly as enhance_video sets it up."""
    encoder, options = ENCODERS[video.codec]
    vout = out.add_stream(encoder, rate=vin.average_rate or Fraction(25))
    vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
    even = vout.width % 2 == 0 and vout.height % 2 == 0
    vout.pix_fmt = "yuv420p" if even else "yuv444p"
    vout.time_base = vin.time_base
    vout.codec_context.time_base = vin.time_base
    vout.options = {"crf": str(video.quality), **options}
    return vout


def _to_frame(rgb, vout, pts: int, time_base):
    import av

    if vout.pix_fmt == "yuv420p":
        frame = av.VideoFrame.from_ndarray(rgb_to_i420(rgb), format="yuv420p")
    else:
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
    frame.pts, frame.time_base = pts, time_base
    return frame
