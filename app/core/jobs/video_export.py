"""Video export: decode -> enhance -> encode H.264/H.265 with PyAV; audio, subtitle and data
streams are copied untouched where the output container can hold them.

Decoding, enhancement and encoding run in three threads joined by small queues (PyAV and the
engine release the GIL), so both cores work. Frame timestamps are copied as they are (variable
frame rate survives), the rotation flag is carried over, and the output is written under a
temporary name and renamed only when complete: a cancelled or failed export leaves nothing.

Failure is never a hang: every wait on a queue polls a shared stop flag, so an error in any of
the three threads (a dead encoder, a full disk), a cancel or Ctrl+C stops all of them within a
fraction of a second and the first error is raised with what failed. Streams whose picture size
changes midway (two clips of different sizes joined) are scaled to the first size, and clocks
that restart (joined MPEG-TS clips) are shifted to keep running forward; both are reported as
warnings, as is a file that ends before its stated length (truncated).
"""
from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from app.core.engine.video_enhancer import VideoEnhancer
from app.core.jobs.control import BatchControl
from app.core.jobs.settings_record import made_with_text, settings_record
from app.core.media.images import new_file_mode
from app.core.media.tempfiles import TempFile
from app.core.media.video import (
    ENCODERS,
    VideoReadError,
    VideoWriteError,
    container_format,
    copy_streams,
    mark_output,
    open_video,
    probe,
    streams_not_kept,
)
from app.core.media.yuv import rgb_to_i420
from app.core.settings import EnhanceSettings, VideoOptions

log = logging.getLogger(__name__)
_END = object()
POLL = 0.1  # seconds between looks at the stop flag while waiting on a queue
JOIN_TIMEOUT = 10.0  # a stopped thread is inside one FFmpeg call at most


@dataclass
class VideoResult:
    output: Path
    frames: int
    seconds: float
    audio_packets: int
    warning: str = ""  # e.g. truncated input, picture size change; "" when all went well


ProgressFn = Callable[[int, int, float], None]  # frames done, total estimate, frames/s


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return False


def enhance_video(src: str | os.PathLike, dst: str | os.PathLike, enhancer,
                  settings: EnhanceSettings, video: VideoOptions | None = None,
                  progress: ProgressFn | None = None, control: BatchControl | None = None,
                  smooth: bool = True, replace: bool | Callable[[Path], bool] = True,
                  made_with: str | None = None) -> VideoResult:
    """Enhance every frame of ``src`` into ``dst`` (MP4/MKV/MOV), audio copied as it is;
    ``replace`` False (or a predicate) keeps a file already at ``dst`` (TempFile.commit).
    ``made_with``: the settings' text the output is tagged with (default: ``settings``')."""
    s = settings.validated()
    if made_with is None:
        made_with = made_with_text(settings_record(s))
    video = (video or VideoOptions()).validated()
    src, dst = Path(src), Path(dst)
    if _same_file(src, dst):
        raise ValueError("the output would replace the input; choose another name")
    control = control or BatchControl()
    info = probe(src)
    try:
        temp = TempFile(dst)
    except OSError as exc:
        raise VideoWriteError(f"cannot write in {dst.parent}: {exc.strerror or exc}") from None
    started = time.perf_counter()
    try:
        frames, audio_packets, notes, span = _export(src, temp.path, dst, enhancer, s, video, info,
                                               progress, control, smooth, made_with)
        if frames == 0:
            raise VideoReadError(f"{src.name}: no decodable video frames")
        if info.duration and span < 0.95 * info.duration - 1 / max(info.fps, 1):
            notes.append(f"only {frames} frames ({span:.1f} s of {info.duration:.1f} s) could "
                         "be decoded: the file looks truncated or damaged, the output is "
                         "shorter")
        temp.commit(new_file_mode(), replace)
    except BaseException as exc:
        temp.discard()
        if _is_ffmpeg_error(exc):  # from setting the streams up: say which file
            raise VideoReadError(f"{src.name}: {exc}") from None
        raise
    return VideoResult(dst, frames, time.perf_counter() - started, audio_packets,
                       "; ".join(notes))


def _is_ffmpeg_error(exc: BaseException) -> bool:
    import av

    return isinstance(exc, av.FFmpegError)


def _export(src, tmp, dst, enhancer, s, video, info, progress, control, smooth, made_with):
    import av

    with open_video(src) as inp:
        try:
            out = av.open(str(tmp), "w", format=container_format(dst))
        except (av.FFmpegError, OSError) as exc:
            raise VideoWriteError(f"cannot write {dst.name}: {exc}") from None
        try:
            vin = inp.streams.video[0]
            vin.thread_type = "AUTO"
            vout = add_video_stream(out, vin, video, info, dst)
            copied = copy_streams(inp, out, vin, dst)
            mark_output(out, made_with)  # a rerun with other settings can tell
            pipeline = _Pipeline(inp, out, vin, vout, copied, src, dst)
            if dropped := streams_not_kept(inp, vin, copied):  # said, never lost silently
                pipeline.notes.append(dropped)
            frames = pipeline.run(enhancer, s, info, progress, control, smooth)
        except BaseException:
            try:
                out.close()
            except Exception:  # noqa: BLE001 - already failing; the file is discarded
                pass
            raise
        try:
            out.close()  # writes the trailer: a full disk can show here first
        except (av.FFmpegError, OSError) as exc:
            raise VideoWriteError(f"cannot write {dst.name}: {exc}") from None
    return frames, pipeline.audio_packets, pipeline.notes, pipeline.span(info.fps)


def add_video_stream(out, vin, video: VideoOptions, info, dst: Path):
    """The enhanced video's stream in ``out`` (the segments of a split video,
    :mod:`app.core.jobs.video_split`, are encoded through it too)."""
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
    return vout


def encoder_frame(pixels, frame_format: str, pix_fmt: str):
    """A PyAV frame for the encoder from the enhanced ``pixels`` (``frame_format``: yuv420p
    planes, passed as they are, or rgb24)."""
    import av

    if frame_format == "yuv420p":
        return av.VideoFrame.from_ndarray(pixels, format="yuv420p")
    if pix_fmt == "yuv420p":  # OpenCV converts ~4x faster than swscale
        return av.VideoFrame.from_ndarray(rgb_to_i420(pixels), format="yuv420p")
    return av.VideoFrame.from_ndarray(pixels, format="rgb24")


TRANSPORT_FORMATS = ("mpegts", "mpeg", "mpegvideo")


class _Monotonic:
    """Keeps one stream's timestamps moving forward: when a clock restarts (joined MPEG-TS
    clips), the rest of the stream is shifted to continue one step after the last one."""

    def __init__(self, step: int, strict: bool, start: int = 0):
        self.step, self.strict = max(1, step), strict
        self.offset, self.last = -start, None

    def __call__(self, ts: int | None, step: int | None = None) -> int | None:
        if ts is None:
            return None
        t = ts + self.offset
        if self.last is not None and (t <= self.last if self.strict else t < self.last):
            self.offset += self.last + (step or self.step) - t
            t = self.last + (step or self.step)
        self.last = t
        return t


class _Pipeline:
    """decode thread -> the calling thread (enhance) -> encode thread, with one stop flag."""

    def __init__(self, inp, out, vin, vout, copied, src: Path, dst: Path):
        self.inp, self.out, self.vin, self.vout, self.copied = inp, out, vin, vout, copied
        self.src, self.dst = src, dst
        self.decoded: queue.Queue = queue.Queue(maxsize=4)
        self.enhanced: queue.Queue = queue.Queue(maxsize=4)
        self.stop = threading.Event()
        self.errors: list[tuple[str, BaseException]] = []
        self.mux_lock = threading.Lock()
        self.audio_packets = 0
        self.frames_in = self.frames_out = 0
        self.notes: list[str] = []
        self.first_pts = self.last_pts = None  # of the decoded frames, after _Monotonic
        self.frame_format = "rgb24"  # what the decoder hands over: rgb24 or yuv420p

    # ---- plumbing ---------------------------------------------------------------------
    def fail(self, stage: str, exc: BaseException) -> None:
        self.errors.append((stage, exc))
        self.stop.set()

    def put(self, q: queue.Queue, item) -> bool:
        """False once stopped (nobody may be reading any more)."""
        while not self.stop.is_set():
            try:
                q.put(item, timeout=POLL)
                return True
            except queue.Full:
                pass
        return False

    def get(self, q: queue.Queue, check: Callable[[], None] | None = None):
        """The next item, or _END once stopped; ``check`` runs while waiting (it raises to
        leave: a cancel while the decoder is slow)."""
        while not self.stop.is_set():
            try:
                return q.get(timeout=POLL)
            except queue.Empty:
                if check is not None:
                    check()
        return _END

    def mux(self, packets) -> None:
        try:
            with self.mux_lock:
                self.out.mux(packets)
        except Exception as exc:  # noqa: BLE001 - tagged as a write failure
            raise _WriteFailed(exc) from exc

    # ---- the three stages -------------------------------------------------------------
    def decode(self) -> None:
        vin, width, height = self.vin, self.vout.width, self.vout.height
        rate = vin.average_rate or vin.guessed_rate or Fraction(25)
        frame_clock = _Monotonic(round(1 / (rate * vin.time_base)), strict=True,
                                 start=self._start_in(vin))
        clocks = {i: _Monotonic(1, strict=False, start=self._start_in(self.inp.streams[i]))
                  for i in self.copied}
        try:
            for packet in self.inp.demux([vin, *[self.inp.streams[i] for i in self.copied]]):
                if self.stop.is_set():
                    return
                if packet.stream.index in self.copied:
                    if packet.dts is None and packet.pts is None:
                        continue  # flush packets carry nothing to copy
                    self._copy(packet, clocks[packet.stream.index])
                    continue
                for frame in packet.decode():
                    if (frame.width, frame.height) != (width, height):
                        self._note_resize(frame, width, height)
                    # conversion (and scaling) here, off the enhancing thread
                    pixels = frame.to_ndarray(format=self.frame_format, width=width,
                                              height=height)
                    pts = frame_clock(frame.pts)
                    if not self.put(self.decoded, (pixels, pts, frame.time_base)):
                        return
                    self.frames_in += 1
                    if pts is not None:
                        self.first_pts = pts if self.first_pts is None else self.first_pts
                        self.last_pts = pts
        except _WriteFailed as exc:
            self.fail("write", exc.__cause__)
        except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
            self.fail("decode", exc)
        finally:
            self.put(self.decoded, _END)

    def _start_in(self, stream) -> int:
        """Where a transport stream's clock stood at its start, in ``stream``'s ticks: an
        MPEG-TS (or -PS) clip starts wherever the broadcaster's or camera's clock was (1.4 s
        and up), which in an MP4 is a blank (or frozen) start of that length; every stream
        moves back by the same time, so they stay in sync. Other containers' timestamps are
        kept as they are."""
        if self.inp.format.name not in TRANSPORT_FORMATS or not self.inp.start_time:
            return 0
        return int(Fraction(self.inp.start_time, 1_000_000) / stream.time_base)

    def _copy(self, packet, clock: _Monotonic) -> None:
        audio = packet.stream.type == "audio"
        ts = packet.dts if packet.dts is not None else packet.pts
        shift = clock(ts, packet.duration or None) - ts
        if shift:
            packet.dts = None if packet.dts is None else packet.dts + shift
            packet.pts = None if packet.pts is None else packet.pts + shift
        packet.stream = self.copied[packet.stream.index]
        self.mux(packet)
        self.audio_packets += audio

    def span(self, fps: float) -> float:
        """Seconds of video decoded: first to last frame, plus one frame."""
        if self.first_pts is None:
            return self.frames_in / max(fps, 1)
        return float((self.last_pts - self.first_pts) * self.vin.time_base) + 1 / max(fps, 1)

    def _note_resize(self, frame, width: int, height: int) -> None:
        if not any(n.startswith("picture size") for n in self.notes):
            self.notes.append(f"picture size changes from {width}x{height} to "
                              f"{frame.width}x{frame.height} at frame {self.frames_in + 1}; "
                              f"later frames are scaled to {width}x{height}")

    def encode(self) -> None:
        try:
            while (item := self.get(self.enhanced)) is not _END:
                pixels, pts, time_base = item
                frame = encoder_frame(pixels, self.frame_format, self.vout.pix_fmt)
                frame.pts, frame.time_base = pts, time_base
                self.mux(self.vout.encode(frame))
                self.frames_out += 1
            if not self.stop.is_set():
                self.mux(self.vout.encode(None))
        except _WriteFailed as exc:
            self.fail("write", exc.__cause__)
        except BaseException as exc:  # noqa: BLE001
            self.fail("encode", exc)

    def run(self, enhancer, s, info, progress, control, smooth) -> int:
        """Enhance in this thread until the end, an error anywhere, cancel or Ctrl+C."""
        if smooth:
            video = VideoEnhancer(enhancer, s, info.fps)
            # 4:2:0 output: the frames stay in the decoder's planes from end to end
            planar = self.vout.pix_fmt == "yuv420p"
            self.frame_format = "yuv420p" if planar else "rgb24"
            enhance_frame = video.i420 if planar else video
        else:
            # one thread: the decoder and the encoder's threads keep the other cores busy
            def enhance_frame(rgb):
                return enhancer.enhance(rgb, s, threads=1).image
        workers = [threading.Thread(target=self.decode, daemon=True, name="video-decode"),
                   threading.Thread(target=self.encode, daemon=True, name="video-encode")]
        for t in workers:
            t.start()
        frames, started = 0, time.perf_counter()
        try:
            while (item := self.get(self.decoded, control.checkpoint)) is not _END:
                control.checkpoint()
                pixels, pts, time_base = item
                if not self.put(self.enhanced,
                                (enhance_frame(pixels), pts, time_base)):
                    break
                frames += 1
                if progress is not None:
                    rate = frames / max(1e-6, time.perf_counter() - started)
                    progress(frames, max(info.frames, frames), rate)
            self.put(self.enhanced, _END)  # the encoder drains its queue and flushes
        except BaseException:  # Cancelled, KeyboardInterrupt, an engine error
            self.stop.set()
            raise
        finally:
            for t in workers:
                t.join(timeout=JOIN_TIMEOUT)
                if t.is_alive():  # never seen; closing the files under it could crash
                    log.error("%s did not stop", t.name)
        if self.errors:
            raise self._error(*self.errors[0])
        return frames

    def _error(self, stage: str, exc: BaseException) -> BaseException:
        detail = (exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)) \
            or type(exc).__name__
        if stage == "decode":
            return VideoReadError(f"{self.src.name}: cannot decode after frame "
                                  f"{self.frames_in}: {detail}")
        if stage == "encode":
            return VideoWriteError(f"encoding {self.dst.name} failed at frame "
                                   f"{self.frames_out + 1}: {detail}")
        return VideoWriteError(f"cannot write {self.dst.name}: {detail}")


class _WriteFailed(Exception):
    """Wraps an error of the output file, to tell it from the stage's own errors."""
