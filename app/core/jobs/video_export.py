"""Video export: decode -> enhance -> encode H.264/H.265 with PyAV; audio, subtitle and data
streams are copied untouched where the output container can hold them.

Decoding, enhancement and encoding run in three threads joined by small queues (PyAV and the
engine release the GIL), so both cores work. Frame timestamps are copied as they are (variable
frame rate survives), the rotation flag is carried over, and the output is written under a
temporary name and renamed only when complete: a cancelled or failed export leaves nothing.
"""
from __future__ import annotations

import os
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from app.core.engine.temporal import VideoEnhancer
from app.core.jobs.control import BatchControl, Cancelled
from app.core.media.images import new_file_mode
from app.core.media.video import (
    ENCODERS,
    VideoReadError,
    container_format,
    copy_streams,
    open_video,
    probe,
)
from app.core.media.yuv import rgb_to_i420
from app.core.settings import EnhanceSettings, VideoOptions

_END = object()


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
        with open_video(src) as inp, av.open(str(tmp), "w", format=container_format(dst)) as out:
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
            if video.codec == "h265" and container_format(dst) in ("mp4", "mov"):
                vout.codec_context.codec_tag = "hvc1"  # the HEVC tag Apple's players require
            if info.rotation:
                vout.set_display_rotation(info.rotation)
            copied = copy_streams(inp, out, vin, dst)
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
    # one thread: the decoder and the encoder's threads keep the other cores busy
    if smooth:
        enhance_frame = VideoEnhancer(enhancer, s, info.fps)
    else:
        def enhance_frame(rgb):
            return enhancer.enhance(rgb, s, threads=1).image
    frames, started = 0, time.perf_counter()
    try:
        while (item := decoded.get()) is not _END:
            control.checkpoint()
            if errors:
                break
            rgb, pts, time_base = item
            enhanced.put((enhance_frame(rgb), pts, time_base))
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
