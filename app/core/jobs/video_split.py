"""A long video cut at keyframes into segments that cluster workers enhance in parallel, then
joined into one file without re-encoding anything (the segments' packets and the source's
audio, subtitle and data packets are copied).

Segment k covers the frames from the keyframe at or before ``k * seconds`` to the one at or
before ``(k + 1) * seconds``; every worker finds the same keyframes by seeking the same file, so
the segments neither overlap nor leave gaps, and nothing has to scan the video up front. Only
containers with an index (MP4/MOV/M4V/MKV) are cut: their seeks land on the same keyframe
every time.

Warm-up: the video engine (:class:`app.core.engine.video_enhancer.VideoEnhancer`) carries state
from frame to frame. The exposure drifts towards each frame's solution with a time constant of
ADAPT_SECONDS (solved every SOLVE_EVERY frames of a shot), the factor map and the temporal
denoise average over a few frames, and the shot's plan (noise, Auto's target, the net's
conditioning) is taken at the shot's first frame and kept for the whole shot. So before its
first frame a segment runs through the engine, and discards:

- the video's first frame, unless the warm-up reaches back to it: in footage without cuts (a
  fixed camera, the footage worth splitting) the shot starts there, and the engine then holds
  the unsplit export's shot plan. (Where the view has changed too much since, the engine sees
  a cut at the warm-up's first frame and starts its own shot: see below.)
- the frames of the last WARMUP_SECONDS = 3 x ADAPT_SECONDS (the exposure is then within
  e^-3 = 5% of the unsplit export's), moved back by up to SOLVE_EVERY - 1 frames so that the
  exposure is solved on the same frames as in the unsplit export (frame numbers from the
  timestamps at the average rate).

Where the warm-up reaches the start of the video or a cut, the segment's frames are the
unsplit export's exactly; in footage without cuts they differ by hundredths of a level.
Where a shot began before the warm-up (a cut, or a camera that moved far from its first
view), the segment's shot plan is its warm-up's first frame's, and the join shows the
difference between the two plans; tests/test_video_split.py measures both.

The segments are encoded like :func:`app.core.jobs.video_export.enhance_video` (the same
stream set-up, frame conversion and timestamps) into MP4 files beside the output, under
temporary names (``.NAME.lowlight-seg00003.part``, locked while written), so the leftovers of
a killed run are swept like any other temporary file. The joined file differs from an unsplit
export only by an IDR frame at each join (and the residue above); if the segments cannot be
joined losslessly (different codec headers, decode timestamps that would go backwards) the
join raises :class:`SplitError` and the caller enhances the video whole instead.
"""
from __future__ import annotations

import heapq
import math
import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from app.core.engine.video_enhancer import ADAPT_SECONDS, SOLVE_EVERY, VideoEnhancer
from app.core.jobs.control import BatchControl
from app.core.jobs.video_export import add_video_stream, encoder_frame
from app.core.media.images import new_file_mode
from app.core.media.tempfiles import TempFile, remove_stale_temps, tagged_path
from app.core.media.video import (
    container_format,
    copy_streams,
    mark_output,
    open_video,
    probe,
)
from app.core.settings import EnhanceSettings, VideoOptions

WARMUP_SECONDS = 3 * ADAPT_SECONDS  # video run before a segment only to warm the engine up
SEGMENT_FORMAT = "mp4"  # keeps the time base and decode timestamps as they are
SPLITTABLE = {".mp4", ".mov", ".m4v", ".mkv"}  # indexed: a seek finds the same keyframe


class SplitError(RuntimeError):
    """The segments cannot be joined without re-encoding: enhance the video whole."""


def plan_split(source: Path, seconds: float) -> int:
    """How many segments of about ``seconds`` the video is cut into (1: not cut)."""
    if seconds <= 0 or source.suffix.lower() not in SPLITTABLE:
        return 1
    return max(1, int(probe(source).duration // seconds))


def warmup_frames(fps: float) -> int:
    """Frames run before a segment: WARMUP_SECONDS at the clip's frame rate (give or take
    SOLVE_EVERY, see :func:`_warmup`)."""
    return math.ceil(WARMUP_SECONDS * max(fps, 1.0))


def segment_path(target: Path, k: int) -> Path:
    return tagged_path(target, f"seg{k:05d}")


def remove_segments(target: Path) -> None:
    """Every segment file of ``target``, finished or partial, and any other leftover
    temporary file of it; never one a live writer holds."""
    remove_stale_temps(target.parent, [target.name], min_age=0)


def enhance_segment(source: Path, target: Path, k: int, count: int, seconds: float, enhancer,
                    settings: EnhanceSettings, video: VideoOptions,
                    control: BatchControl | None = None) -> int:
    """Enhance segment ``k`` of ``count`` into :func:`segment_path`; returns its frame count."""
    import av

    control = control or BatchControl()
    s = settings.validated()
    video = video.validated()
    info = probe(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = TempFile(target, tag=f"seg{k:05d}")
    try:
        with open_video(source) as inp, av.open(str(temp.path), "w",
                                                format=SEGMENT_FORMAT) as out:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            start = _keyframe_at(inp, vin, k * seconds) if k else None
            end = _keyframe_at(inp, vin, (k + 1) * seconds) if k < count - 1 else None
            warm, seed = _warmup(inp, vin, start, info.fps)
            # as enhance_video: the same stream set-up (rotation is the joined file's) ...
            vout = add_video_stream(out, vin, video, replace(info, rotation=0), target)
            # ... and the same engine, on the same pixels (4:2:0 planes where the output is)
            video_engine = VideoEnhancer(enhancer, s, info.fps)
            fmt = "yuv420p" if vout.pix_fmt == "yuv420p" else "rgb24"
            enhance_frame = video_engine.i420 if fmt == "yuv420p" else video_engine
            width, height, frames = vout.width, vout.height, 0
            if seed:  # the shot's plan from the video's first frame (see the module's doc)
                enhance_frame(_first_frame(inp, vin, width, height, fmt))
            inp.seek(min(warm, default=start if start is not None else _first_pts(vin)),
                     stream=vin, backward=True)
            for frame in inp.decode(vin):
                control.checkpoint()
                if frame.pts is None or (end is not None and frame.pts >= end):
                    break
                if start is not None and frame.pts < start and frame.pts not in warm:
                    continue
                pixels = enhance_frame(frame.to_ndarray(format=fmt, width=width,
                                                        height=height))
                if start is not None and frame.pts < start:
                    continue  # warm-up: the state is what counts
                encoded = encoder_frame(pixels, fmt, vout.pix_fmt)
                encoded.pts, encoded.time_base = frame.pts, frame.time_base
                out.mux(vout.encode(encoded))
                frames += 1
            out.mux(vout.encode(None))
        if not frames:  # a GOP longer than the segments: an empty file says "nothing here"
            os.truncate(temp.path, 0)
        temp.close()
    except BaseException:
        temp.discard()
        raise
    return frames


def join_segments(source: Path, target: Path, count: int, video: VideoOptions,
                  replace: bool | Callable[[Path], bool] = True) -> None:
    """The segments of ``target`` and the source's other streams into ``target`` (atomic,
    tagged as ours like any export; ``replace`` as in TempFile.commit); the segment files are
    removed once joined."""
    import av

    video = video.validated()
    info = probe(source)
    temp = TempFile(target)
    try:
        with ExitStack() as stack:
            inp = stack.enter_context(open_video(source))
            paths = [segment_path(target, k) for k in range(count)]
            segs = [stack.enter_context(av.open(str(p), format=SEGMENT_FORMAT))
                    for p in paths if p.stat().st_size]
            streams = [c.streams.video[0] for c in segs]
            if len({bytes(s.codec_context.extradata or b"") for s in streams}) != 1:
                raise SplitError("the segments' codec headers differ")
            out = stack.enter_context(av.open(str(temp.path), "w",
                                              format=container_format(target)))
            vin = inp.streams.video[0]
            vout = out.add_stream_from_template(streams[0])
            vout.time_base = vin.time_base
            if video.codec == "h265" and container_format(target) in ("mp4", "mov"):
                vout.codec_context.codec_tag = "hvc1"  # as enhance_video tags it
            if info.rotation:
                vout.set_display_rotation(info.rotation)
            copied = copy_streams(inp, out, vin, target)
            mark_output(out)  # a rerun skips it (or replaces it with --overwrite)
            _mux_in_time_order(out, vout, segs, streams, inp, copied)
        temp.commit(new_file_mode(), replace)
    except BaseException:
        temp.discard()
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


def _warmup(inp, vin, start: int | None, fps: float) -> tuple[set[int], bool]:
    """(pts of the frames run before ``start``, whether the video's first frame is run before
    them): the last :func:`warmup_frames`, moved back to a frame where the unsplit export
    solves the exposure; every frame before ``start`` if that reaches the first one."""
    count = warmup_frames(fps) if WARMUP_SECONDS > 0 else 0
    if start is None or count <= 0:
        return set(), False
    rate = vin.average_rate or Fraction(25)
    first = _first_pts(vin)
    index = round((start - first) * vin.time_base * rate)  # the segment's first frame's number
    begin = index - count
    begin -= (begin - 1) % SOLVE_EVERY  # counted from the seed (frame 0): solves as unsplit
    seed = begin > 0
    if seed:
        count = index - begin
        inp.seek(max(first, start - int((count + 1) / rate / vin.time_base)), stream=vin,
                 backward=True)
    else:
        inp.seek(first, stream=vin, backward=True)
    before = []
    for packet in inp.demux(vin):
        if packet.pts is None:
            continue
        if packet.pts >= start and packet.is_keyframe:
            break
        if packet.pts < start:
            before.append(packet.pts)
    before.sort()
    return set(before[-count:] if seed else before), seed


def _first_frame(inp, vin, width: int, height: int, fmt: str):
    """The video's first frame, converted as enhance_video converts it."""
    inp.seek(_first_pts(vin), stream=vin, backward=True)
    for frame in inp.decode(vin):
        return frame.to_ndarray(format=fmt, width=width, height=height)
    raise SplitError("the video's first frame cannot be decoded")
