"""The window's video preview, from the export's own engine.

- :class:`Playback`: the clip from a moment on, decoded at the preview's size and enhanced by
  :class:`~app.core.engine.video_enhancer.VideoEnhancer` frame after frame, as the export
  enhances it; a frame whose moment has passed by the time it is decoded is dropped (not
  enhanced), so playback keeps to the clock on any machine rather than falling behind.
- :func:`exported_frame`: the frame the export writes at a moment, exactly: the engine is
  brought to that frame as a split video's segment is (the shot's first frame found by the
  scan, then the last seconds replayed: :mod:`app.core.jobs.video_split`), at full size. A
  paused or scrubbed-to frame is this one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.engine.video_enhancer import VideoEnhancer
from app.core.jobs.control import BatchControl
from app.core.jobs.video_split import prime
from app.core.media.video import open_video, probe
from app.core.media.yuv import i420_to_rgb
from app.core.settings import EnhanceSettings

PREVIEW_SIDE = 1280  # playback's frames at most this long (720p as it is, 1080p scaled)


@dataclass(frozen=True)
class PreviewFrame:
    seconds: float  # the frame's moment in the clip
    original: np.ndarray  # RGB uint8, as decoded (at the playback's size)
    enhanced: np.ndarray  # RGB uint8, the same size
    gain: np.ndarray  # the brightening in stops, small (the heatmap)


def preview_size(width: int, height: int, side: int = PREVIEW_SIDE) -> tuple[int, int]:
    """(width, height) of playback's frames: within ``side``, even (4:2:0 planes)."""
    k = min(1.0, side / max(width, height))
    return max(2, round(width * k / 2) * 2), max(2, round(height * k / 2) * 2)


class Playback:
    """``frames(now)`` yields the clip's frames from ``seconds`` on; ``now()`` says which
    moment of the clip is on screen now (the caller's clock): frames more than a frame's
    time behind it are dropped before they are enhanced."""

    def __init__(self, source: Path, enhancer, settings: EnhanceSettings, seconds: float = 0.0,
                 side: int = PREVIEW_SIDE, control: BatchControl | None = None):
        self.source, self.seconds = Path(source), max(0.0, seconds)
        self.info = probe(source)
        self.size = preview_size(self.info.width, self.info.height, side)
        self.engine = VideoEnhancer(enhancer, settings, self.info.fps)
        self.control = control or BatchControl()
        self.dropped = 0  # frames decoded but not shown: the machine was too slow for them

    def frames(self, now: Callable[[], float]) -> Iterator[PreviewFrame]:
        late = 1.0 / max(self.info.fps, 1.0)
        with open_video(self.source) as inp:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            start = (vin.start_time or 0) + int(self.seconds / vin.time_base)
            inp.seek(start, stream=vin, backward=True)
            width, height = self.size
            for frame in inp.decode(vin):
                self.control.checkpoint()
                if frame.pts is None or frame.pts < start:
                    continue
                seconds = float((frame.pts - (vin.start_time or 0)) * vin.time_base)
                if seconds < now() - late:
                    self.dropped += 1
                    continue
                i420 = frame.to_ndarray(format="yuv420p", width=width, height=height)
                enhanced = i420_to_rgb(self.engine.i420(i420))
                yield PreviewFrame(seconds, i420_to_rgb(i420), enhanced,
                                   self.engine.gain_stops())


def frame_pts(inp, vin, seconds: float) -> int:
    """pts of the frame shown at ``seconds``: the last one starting at or before it."""
    first = vin.start_time or 0
    target = first + int(round(seconds / vin.time_base))
    inp.seek(target, stream=vin, backward=True)
    found = None
    for frame in inp.decode(vin):
        if frame.pts is None:
            continue
        if frame.pts > target and found is not None:
            break
        found = frame.pts
        if frame.pts >= target:
            break
    if found is None:
        raise ValueError(f"no frame at {seconds:.2f} s")
    return found


def exported_frame(source: Path, seconds: float, enhancer, settings: EnhanceSettings,
                   control: BatchControl | None = None) -> PreviewFrame:
    """The frame the export writes at ``seconds``, at full size (see the module's doc)."""
    control = control or BatchControl()
    s = settings.validated()
    info = probe(source)
    with open_video(Path(source)) as inp:
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        width, height = vin.codec_context.width, vin.codec_context.height
        fmt = "yuv420p" if width % 2 == 0 and height % 2 == 0 else "rgb24"
        engine = VideoEnhancer(enhancer, s, info.fps)
        enhance = engine.i420 if fmt == "yuv420p" else engine
        at = frame_pts(inp, vin, seconds)
        warm = prime(engine, enhance, inp, vin, at, info.fps, fmt, width, height, control)
        inp.seek(min(warm, default=at), stream=vin, backward=True)
        for frame in inp.decode(vin):
            control.checkpoint()
            if frame.pts is None or frame.pts < at and frame.pts not in warm:
                continue
            pixels = frame.to_ndarray(format=fmt, width=width, height=height)
            out = enhance(pixels)
            if frame.pts >= at:
                rgb = i420_to_rgb(pixels) if fmt == "yuv420p" else pixels
                shown = i420_to_rgb(out) if fmt == "yuv420p" else out
                when = float((frame.pts - (vin.start_time or 0)) * vin.time_base)
                return PreviewFrame(when, rgb, shown, engine.gain_stops())
    raise ValueError(f"no frame at {seconds:.2f} s")


def quick_frame(rgb: np.ndarray, seconds: float, enhancer, settings: EnhanceSettings,
                fps: float) -> PreviewFrame:
    """A frame enhanced by the video engine as the first of its shot: shown at once while
    :func:`exported_frame` replays the seconds before it."""
    engine = VideoEnhancer(enhancer, settings, fps)
    return PreviewFrame(seconds, rgb, engine(rgb), engine.gain_stops())
