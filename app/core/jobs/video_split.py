"""A long video cut at keyframes into segments that cluster workers enhance in parallel, then
joined into one file without re-encoding anything (the segments' packets and the source's
audio, subtitle and data packets are copied).

Segment k covers the frames from the keyframe at or before ``k * seconds`` to the one at or
before ``(k + 1) * seconds``; every worker finds the same keyframes by seeking the same file, so
the segments neither overlap nor leave gaps, and nothing has to scan the video up front. Only
containers with an index (MP4/MOV/M4V/MKV) are cut: their seeks land on the same keyframe
every time.

Warm-up: the video engine (:class:`app.core.engine.video_enhancer.VideoEnhancer`) carries state
from frame to frame: the shot's plan, taken at the shot's first frame, and state that forgets
within a few seconds (the exposure following the scene, the light's change, the factor map,
the temporal denoise). So before its first frame a segment replays what the unsplit export
would have done:

- a scan of the frames before it (up to SCAN_SECONDS back), decoded but not enhanced, runs
  the engine's own shot tracker (:class:`~app.core.engine.video_enhancer.ShotTracker`, on the
  luma alone): it finds the shot's first frame as the unsplit export found it, and the
  tracker's state (the light's change, frames into the shot) at every frame;
- the engine then plans the shot on its first frame, and enhances (and discards) the last
  SETTLE_SECONDS (SETTLE_FRAMES at least) of frames before the segment, resumed with the
  tracker's state from the scan (``VideoEnhancer.resume``); where the shot began inside
  that span, the frames from its first one.

The segment's first frame then starts from the unsplit export's state: its frames differ by
a tenth of a level at most (tests/test_video_split.py measures a cut and a pan). Only a shot that
began more than SCAN_SECONDS before the segment is planned on the scan's first frame instead.

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
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from app.core.engine.video_enhancer import (
    SETTLE_FRAMES,
    SETTLE_SECONDS,
    ShotTracker,
    VideoEnhancer,
    as_i420,
)
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

WARMUP_SECONDS = SETTLE_SECONDS  # video enhanced before a segment only to warm the engine up
SCAN_SECONDS = 120.0  # how far back a segment looks for its shot's first frame
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
    """Frames enhanced before a segment: WARMUP_SECONDS at the clip's frame rate, and at
    least SETTLE_FRAMES (the temporal denoise forgets by frames, not seconds)."""
    return max(math.ceil(WARMUP_SECONDS * max(fps, 1.0)), SETTLE_FRAMES)


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
        with ExitStack() as stack:
            inp = stack.enter_context(open_video(source))
            vin = inp.streams.video[0]
            # the movie's clock as fine as the video's: a segment that starts later than 0
            # begins with an empty edit in the movie's units (milliseconds by default), and
            # its frames moved by up to half of one
            out = stack.enter_context(av.open(str(temp.path), "w", format=SEGMENT_FORMAT,
                                              options=_movie_clock(vin)))
            vin.thread_type = "AUTO"
            start = _keyframe_at(inp, vin, k * seconds) if k else None
            end = _keyframe_at(inp, vin, (k + 1) * seconds) if k < count - 1 else None
            # as enhance_video: the same stream set-up (rotation is the joined file's) ...
            vout = add_video_stream(out, vin, video, replace(info, rotation=0), target)
            # ... and the same engine, on the same pixels (4:2:0 planes where the output is)
            video_engine = VideoEnhancer(enhancer, s, info.fps)
            fmt = "yuv420p" if vout.pix_fmt == "yuv420p" else "rgb24"
            enhance_frame = video_engine.i420 if fmt == "yuv420p" else video_engine
            width, height, frames = vout.width, vout.height, 0
            warm: set[int] = set()
            if start is not None:
                warm = prime(video_engine, enhance_frame, inp, vin, start, info.fps, fmt,
                             width, height, control)
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
                  replace: bool | Callable[[Path], bool] = True, made_with: str = "") -> None:
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
            mark_output(out, made_with)  # a rerun knows it, and the settings that made it
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


def _movie_clock(vin) -> dict[str, str]:
    return {"movie_timescale": str(vin.time_base.denominator)}


def _first_pts(vin) -> int:
    return vin.start_time or 0


def _keyframe_at(inp, vin, seconds: float) -> int:
    """pts of the keyframe at or before ``seconds``: where a segment starts."""
    inp.seek(_first_pts(vin) + int(seconds / vin.time_base), stream=vin, backward=True)
    for packet in inp.demux(vin):
        if packet.is_keyframe and packet.pts is not None:
            return packet.pts
    raise SplitError(f"no keyframe found at {seconds:.1f} s")


def prime(engine: VideoEnhancer, enhance_frame, inp, vin, start: int, fps: float, fmt: str,
          width: int, height: int, control: BatchControl) -> set[int]:
    """Bring a fresh engine to the state the unsplit export has before the frame at pts
    ``start``: returns the pts of the frames still to enhance (and discard) before it."""
    if WARMUP_SECONDS <= 0:
        return set()
    replay = _scan(inp, vin, start, fps, fmt, width, height, control)
    if replay.seed is not None:  # the shot began before the warm-up: its plan
        enhance_frame(replay.seed)
        engine.resume(replay.tracker)
    return replay.warm


@dataclass
class _Replay:
    """What a segment runs before its first frame (see the module's doc)."""

    warm: set[int]  # pts of the frames enhanced and discarded
    seed: np.ndarray | None = None  # the shot's first frame, where it is not among them
    tracker: ShotTracker | None = None  # the tracker as it was before the first of them


def _scan(inp, vin, start: int, fps: float, fmt: str, width: int, height: int,
          control: BatchControl) -> _Replay:
    """Decode the frames before ``start`` (SCAN_SECONDS at most), track shots as the engine
    does, and say what to replay."""
    keep = warmup_frames(fps)
    inp.seek(max(_first_pts(vin), start - int(SCAN_SECONDS / vin.time_base)), stream=vin,
             backward=True)
    tracker = ShotTracker(fps)
    recent: deque = deque(maxlen=keep)  # (pts, tracker before it) of the last frames
    shot_pts, shot_pixels = None, None
    for frame in inp.decode(vin):
        control.checkpoint()
        if frame.pts is None:
            continue
        if frame.pts >= start:
            break
        pixels = frame.to_ndarray(format=fmt, width=width, height=height)
        before = tracker.copy()
        if tracker.update(pixels if fmt == "yuv420p" else as_i420(pixels)):
            shot_pts, shot_pixels = frame.pts, pixels
            recent.clear()
        recent.append((frame.pts, before))
    if not recent:
        return _Replay(set())
    warm = {pts for pts, _ in recent}
    if shot_pts in warm:  # the shot begins inside the warm-up: a fresh engine finds it too
        return _Replay(warm)
    return _Replay(warm, shot_pixels, recent[0][1])
