"""Video: decode -> enhance -> encode H.264/H.265 with PyAV; audio, subtitle and data streams
are copied untouched where the output container can hold them.

Decoding, enhancement and encoding run in three threads joined by small queues (PyAV and the
engine release the GIL), so both cores work. Frame timestamps are copied as they are (variable
frame rate survives), the rotation flag is carried over, and the output is written under a
temporary name and renamed only when complete: a cancelled or failed export leaves nothing.

Flicker: the factor map x_r is computed per frame on a tiny copy, so sensor noise and the
exposure lock would wobble it. A :class:`TemporalSmoother` keeps an exponential moving average
of the low-res x_r and resets it on scene cuts.
"""
from __future__ import annotations

import logging
import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from app.core import resample
from app.core.batch import BatchControl, Cancelled
from app.core.imageio import new_file_mode
from app.core.settings import EnhanceSettings, VideoOptions
from app.core.yuv import rgb_to_i420

log = logging.getLogger(__name__)
# Encoder settings, measured on brightened 1080p night footage on a 2-core CPU. x264's veryfast
# with its cheapest motion search (diamond, one subpel pass, no inter sub-partitions) spends
# 36 ms of CPU a frame instead of 64, for 9% more bits and 0.2 dB less PSNR at the same CRF:
# that is what keeps 1080p export near real time on a laptop. (superfast is as fast but also
# drops mb-tree, which costs 80% more bits on noisy footage.) x265 is several times slower at
# any preset; it is there for smaller files, not speed.
ENCODERS = {  # codec -> (FFmpeg encoder, its options besides the CRF)
    "h264": ("libx264", {"preset": "veryfast",
                         "x264-params": "me=dia:subme=1:partitions=i8x8,i4x4"}),
    "h265": ("libx265", {"preset": "superfast", "x265-params": "log-level=error"}),
}
_END = object()


class VideoReadError(ValueError):
    """Not a video we can decode (no video stream, truncated, not a container...)."""


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


def _open(path: Path):
    import av

    try:
        container = av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise VideoReadError(f"{Path(path).name}: not a readable video ({exc})") from None
    if not container.streams.video:
        container.close()
        raise VideoReadError(f"{Path(path).name}: has no video stream")
    return container


def probe(path: str | os.PathLike) -> VideoInfo:
    with _open(Path(path)) as c:
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
    with _open(Path(path)) as c:
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


class TemporalSmoother:
    """EMA of the low-res factor map across frames, reset when the scene changes."""

    def __init__(self, weight: float = 0.85, cut_threshold: float = 0.12):
        self.weight = weight  # share of the previous estimate kept each frame
        self.cut_threshold = cut_threshold  # mean abs change of the small frame = a new scene
        self._factor: np.ndarray | None = None
        self._frame: np.ndarray | None = None

    def __call__(self, small_frame: np.ndarray, factor: np.ndarray) -> np.ndarray:
        cut = (self._frame is None or self._frame.shape != small_frame.shape or
               float(np.abs(small_frame - self._frame).mean()) > self.cut_threshold)
        self._frame = small_frame
        if cut:
            self._factor = factor
        else:
            self._factor = self.weight * self._factor + (1 - self.weight) * factor
        return self._factor


@dataclass
class VideoResult:
    output: Path
    frames: int
    seconds: float
    audio_packets: int


ProgressFn = Callable[[int, int, float], None]  # frames done, total estimate, frames/s


def enhance_video(src: str | os.PathLike, dst: str | os.PathLike, enhancer,
                  settings: EnhanceSettings, video: VideoOptions | None = None,
                  progress: ProgressFn | None = None, control: BatchControl | None = None,
                  smooth: bool = True) -> VideoResult:
    """Enhance every frame of ``src`` into ``dst`` (MP4/MKV/MOV), audio copied as it is."""
    import av

    s = settings.validated()
    video = (video or VideoOptions()).validated()
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise ValueError("the output would replace the input; choose another name")
    control = control or BatchControl()
    info = probe(src)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dst.stem}.", suffix=dst.suffix, dir=dst.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    started = time.perf_counter()
    try:
        with _open(src) as inp, av.open(str(tmp), "w", format=_format_for(dst)) as out:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            encoder, encoder_options = ENCODERS[video.codec]
            vout = out.add_stream(encoder, rate=vin.average_rate or Fraction(25))
            vout.width, vout.height = vin.codec_context.width, vin.codec_context.height
            # 4:2:0 needs even sizes; odd-sized clips keep their size in 4:4:4 instead.
            even = vout.width % 2 == 0 and vout.height % 2 == 0
            vout.pix_fmt = "yuv420p" if even else "yuv444p"
            vout.time_base = vin.time_base
            vout.codec_context.time_base = vin.time_base
            vout.options = {"crf": str(video.quality), **encoder_options}
            if video.codec == "h265" and _format_for(dst) in ("mp4", "mov"):
                vout.codec_context.codec_tag = "hvc1"  # the HEVC tag Apple's players require
            if info.rotation:
                vout.set_display_rotation(info.rotation)
            copied = _copied_streams(inp, out, vin, dst)
            frames, audio_packets = _pipeline(inp, out, vin, vout, copied, enhancer, s, info,
                                              progress, control, smooth)
        if frames == 0:
            raise VideoReadError(f"{src.name}: no decodable video frames")
        os.chmod(tmp, new_file_mode())
        os.replace(tmp, dst)
    except Cancelled:
        tmp.unlink(missing_ok=True)
        raise
    except av.FFmpegError as exc:
        tmp.unlink(missing_ok=True)
        raise VideoReadError(f"{src.name}: {exc}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return VideoResult(dst, frames, time.perf_counter() - started, audio_packets)


def _copied_streams(inp, out, vin, dst: Path) -> dict:
    """Input stream index -> output stream, for every stream copied as packets."""
    import av

    copied = {}
    for st in inp.streams:
        if st is vin or st.type not in ("audio", "subtitle", "data"):
            continue
        try:
            if st.type == "audio":
                copied[st.index] = out.add_stream_from_template(st)
            else:  # no codec context to open for these: mux the packets as they are
                copied[st.index] = out.add_mux_stream(st.codec_context.name,
                                                      time_base=st.time_base)
        except (ValueError, av.FFmpegError, AttributeError) as exc:
            log.warning("%s stream %d cannot go into %s: %s", st.type, st.index, dst.suffix,
                        exc)
    return copied


def _format_for(dst: Path) -> str:
    return {".mkv": "matroska", ".mov": "mov", ".m4v": "mp4"}.get(dst.suffix.lower(), "mp4")


def _pipeline(inp, out, vin, vout, copied, enhancer, s, info, progress, control, smooth):
    """decode thread -> this thread (enhance) -> encode thread."""
    import av

    decoded: queue.Queue = queue.Queue(maxsize=4)
    enhanced: queue.Queue = queue.Queue(maxsize=4)
    errors: list[BaseException] = []
    counts = {"audio": 0}
    mux_lock = threading.Lock()

    def decode() -> None:
        try:
            for packet in inp.demux([vin, *[inp.streams[i] for i in copied]]):
                if control.cancelled or errors:
                    break
                if packet.stream.index in copied:
                    if packet.dts is None and packet.pts is None:
                        continue  # flush packets carry nothing to copy
                    audio = packet.stream.type == "audio"
                    packet.stream = copied[packet.stream.index]
                    with mux_lock:
                        out.mux(packet)
                    counts["audio"] += audio
                    continue
                for frame in packet.decode():
                    # colour conversion here, in the decode thread, off the enhancing one
                    decoded.put((frame.to_ndarray(format="rgb24"), frame.pts, frame.time_base))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)
        finally:
            decoded.put(_END)

    def encode() -> None:
        try:
            while (item := enhanced.get()) is not _END:
                if errors:
                    continue
                rgb, pts, time_base = item
                if vout.pix_fmt == "yuv420p":  # OpenCV converts ~4x faster than swscale
                    frame = av.VideoFrame.from_ndarray(rgb_to_i420(rgb), format="yuv420p")
                else:
                    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
                frame.pts, frame.time_base = pts, time_base
                packets = vout.encode(frame)
                with mux_lock:
                    out.mux(packets)
            if not errors and not control.cancelled:
                packets = vout.encode(None)
                with mux_lock:
                    out.mux(packets)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    workers = [threading.Thread(target=decode, daemon=True, name="video-decode"),
               threading.Thread(target=encode, daemon=True, name="video-encode")]
    for t in workers:
        t.start()
    smoother = TemporalSmoother() if smooth else None
    frames, started = 0, time.perf_counter()
    try:
        while (item := decoded.get()) is not _END:
            control.checkpoint()
            if errors:
                break
            rgb, pts, time_base = item
            enhanced.put((_enhance_frame(enhancer, rgb, s, smoother), pts, time_base))
            frames += 1
            if progress is not None:
                rate = frames / max(1e-6, time.perf_counter() - started)
                progress(frames, max(info.frames, frames), rate)
    finally:
        enhanced.put(_END)
        if control.cancelled:
            _drain(decoded)
        for t in workers:
            t.join(timeout=60)
    if control.cancelled:
        raise Cancelled()
    if errors:
        raise errors[0]
    return frames, counts["audio"]


def _drain(q: queue.Queue) -> None:
    try:
        while q.get_nowait() is not _END:
            pass
    except queue.Empty:
        pass


def _enhance_frame(enhancer, rgb: np.ndarray, s: EnhanceSettings, smoother) -> np.ndarray:
    # One thread: the decoder and the encoder's threads keep the other cores busy, and a
    # parallel kernel would only wait for them at its barriers.
    if smoother is None:
        return enhancer.enhance(rgb, s.exposure, s.iterations, s.scale, threads=1).image
    h, w = rgb.shape[:2]
    small_frame = resample.downscale(rgb, *resample.low_res_size(h, w, s.scale), 255.0)
    factor, _ = enhancer.factor_from_small(rgb, small_frame, s.exposure, threads=1)
    return enhancer.recur_with_factor(rgb, smoother(small_frame, factor), s.iterations,
                                      threads=1)
