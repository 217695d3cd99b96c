"""One batch engine for the window and the CLI: discovery, naming, skip/resume, a report.

Errors are values here: every file ends as done, skipped or failed with a reason, and one bad
file never stops the batch. Each core takes its own photo from decode to written output
(threads: OpenCV, Pillow, numpy, numba and onnxruntime release the GIL), so both cores stay
busy without handing work back and forth.
"""
from __future__ import annotations

import csv
import io
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from app.core.heatmap import heatmap_image
from app.core.imageio import (
    FORMAT_SUFFIX,
    IMAGE_SUFFIXES,
    atomic_write_bytes,
    encode_image,
    format_for_path,
    read_image,
)
from app.core.settings import EnhanceSettings, VideoOptions

log = logging.getLogger(__name__)
SKIPPED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
REPORT_STEM = "lowlight_report"
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mts", ".ts"}
VIDEO_OUTPUT_SUFFIXES = {".mp4", ".mov", ".mkv", ".m4v"}
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
# Photos in flight at once: one per core, at most 4 (each holds a decoded photo and its result,
# ~0.5 GB for a 50 MP file, so many-core machines must not hold dozens).
PHOTO_WORKERS = max(1, min(4, os.cpu_count() or 1))


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_junk(name: str) -> bool:
    """Hidden and system files that are never photos (Thumbs.db, ._*, Zone.Identifier...)."""
    low = name.lower()
    return (low in SKIPPED_NAMES or name.startswith(".") or low.endswith("zone.identifier"))


@dataclass(frozen=True)
class BatchItem:
    source: Path
    relative: Path  # path below the dropped folder (just the name for a dropped file)


def discover(inputs: Iterable[str | os.PathLike], recursive: bool = True) -> list[BatchItem]:
    """Files and folders -> image items, sorted per folder; symlink loops are walked once."""
    items: list[BatchItem] = []
    seen_dirs: set[tuple[int, int]] = set()
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
                st = os.stat(dirpath)
                if (st.st_dev, st.st_ino) in seen_dirs:
                    dirnames[:] = []
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                dirnames[:] = sorted(d for d in dirnames if not is_junk(d)) if recursive else []
                for name in sorted(filenames):
                    p = Path(dirpath) / name
                    if not is_junk(name) and p.suffix.lower() in MEDIA_SUFFIXES:
                        items.append(BatchItem(p, p.relative_to(root)))
        elif not is_junk(root.name):
            items.append(BatchItem(root, Path(root.name)))
    return items


@dataclass
class OutputOptions:
    folder: Path
    pattern: str = "{stem}_enhanced"
    format: str = "keep"  # keep | jpeg | png | tiff | webp
    quality: int = 95
    overwrite: bool = False  # replace existing outputs (inputs are never replaced)
    save_factor: bool = False  # also write <output stem>_factor.png, the x_r heatmap
    video: VideoOptions = VideoOptions()  # codec and quality of enhanced clips

    def target(self, item: BatchItem) -> Path:
        suffix = item.source.suffix.lower()
        if is_video(item.source):  # videos keep MP4/MKV/MOV; other containers become MP4
            suffix = suffix if suffix in VIDEO_OUTPUT_SUFFIXES else ".mp4"
        elif self.format != "keep":
            suffix = FORMAT_SUFFIX[self.format]
        name = self.pattern.format(stem=item.source.stem) + suffix
        return Path(self.folder) / item.relative.parent / name


@dataclass
class Outcome:
    source: str
    output: str
    status: str  # done | skipped | failed | cancelled
    reason: str = ""
    seconds: float = 0.0


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    backend: str = ""
    settings: dict = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> int:
        return self.count("failed")

    def summary(self) -> str:
        return (f"{self.count('done')} done, {self.count('skipped')} skipped, "
                f"{self.failed} failed" + (f", {self.count('cancelled')} cancelled"
                                           if self.count("cancelled") else ""))

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write lowlight_report.csv and .json into ``folder`` (atomically)."""
        folder.mkdir(parents=True, exist_ok=True)
        rows = [asdict(o) for o in self.outcomes]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(Outcome.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(rows)
        csv_path, json_path = folder / f"{REPORT_STEM}.csv", folder / f"{REPORT_STEM}.json"
        atomic_write_bytes(csv_path, buf.getvalue().encode())
        atomic_write_bytes(json_path, json.dumps(
            {"backend": self.backend, "settings": self.settings, "summary": self.summary(),
             "files": rows}, indent=1, ensure_ascii=False).encode())
        return csv_path, json_path


class Cancelled(Exception):
    """Raised inside a running enhancement when the user cancels."""


class BatchControl:
    """Pause/resume and cancel, shared between a UI thread and the batch thread."""

    def __init__(self):
        self._running = threading.Event()
        self._running.set()
        self.cancelled = False

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def cancel(self) -> None:
        self.cancelled = True
        self._running.set()

    def checkpoint(self, *_args) -> None:
        """Block while paused; raise Cancelled once cancelled. Also usable as a progress hook."""
        self._running.wait()
        if self.cancelled:
            raise Cancelled()


ProgressFn = Callable[[int, int, Outcome], None]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def run_batch(items: list[BatchItem], enhancer, settings: EnhanceSettings,
              output: OutputOptions, on_file: ProgressFn | None = None,
              control: BatchControl | None = None, write_report: bool = True,
              on_start: Callable[[int, BatchItem], None] | None = None,
              on_video_progress: Callable[[int, int, float], None] | None = None
              ) -> BatchReport:
    """Enhance every item into ``output``; ``on_file(index, total, outcome)`` after each file.

    Photos go to PHOTO_WORKERS threads, each taking one file from decode to written output
    with a single-threaded enhancement, so the cores work on different files instead of
    handing each step back and forth. Videos run one at a time (their own pipeline uses every
    core). The callbacks are called from this thread only, files may finish out of order."""
    s = settings.validated()
    output = replace(output, video=output.video.validated())  # a bad choice fails up front
    control = control or BatchControl()
    report = BatchReport(backend=enhancer.backend_name,
                         settings={**asdict(s), "video_codec": output.video.codec,
                                   "video_crf": output.video.quality})
    total = len(items)
    done: dict[int, Outcome] = {}

    def finish(i: int, outcome: Outcome) -> None:
        done[i] = outcome
        if on_file:
            on_file(i, total, outcome)

    todo = []
    for i, item in enumerate(items):
        target = output.target(item)
        if _same_file(item.source, target):
            finish(i, Outcome(str(item.source), str(target), "failed",
                              "output would replace the input; choose another folder or name "
                              "pattern"))
        elif target.exists() and not output.overwrite:
            finish(i, Outcome(str(item.source), str(target), "skipped", "output exists"))
        else:
            todo.append((i, item, target))

    threads = 1 if PHOTO_WORKERS > 1 else None
    running: dict[Future, int] = {}

    def collect(block: bool) -> None:
        finished, _ = wait(running, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for fut in finished:
            finish(running.pop(fut), fut.result())

    with ThreadPoolExecutor(max_workers=PHOTO_WORKERS, thread_name_prefix="batch") as pool:
        for i, item, target in todo:
            if control.cancelled:
                finish(i, Outcome(str(item.source), str(target), "cancelled"))
                continue
            if is_video(item.source):
                while running:  # let the photos in flight finish: the video wants every core
                    collect(block=True)
                if on_start:
                    on_start(i, item)
                finish(i, _video_outcome(item, target, enhancer, s, output.video, control,
                                         on_video_progress))
                continue
            while len(running) >= PHOTO_WORKERS:
                collect(block=True)
            if on_start:
                on_start(i, item)
            running[pool.submit(_photo_outcome, item, target, enhancer, s, output, control,
                                threads)] = i
            collect(block=False)
        while running:
            collect(block=True)
    report.outcomes = [done[i] for i in sorted(done)]
    if write_report and items:
        try:
            report.write(Path(output.folder))
        except OSError as exc:
            log.warning("could not write the batch report: %s", exc)
    return report


def _outcome(item: BatchItem, target: Path, work: Callable[[], None]) -> Outcome:
    """Run one file's ``work``; never raises (the outcome says what happened)."""
    outcome = Outcome(str(item.source), str(target), "done")
    start = time.perf_counter()
    try:
        work()
    except Cancelled:
        outcome.status = "cancelled"
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
        outcome.status, outcome.reason = "failed", _reason(exc)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _photo_outcome(item: BatchItem, target: Path, enhancer, s: EnhanceSettings,
                   output: OutputOptions, control: BatchControl, threads: int | None) -> Outcome:
    """One photo from file to written output (run in a worker thread)."""

    def work() -> None:
        control.checkpoint()
        pixels, meta = read_image(item.source)
        result = enhancer.enhance(pixels, s.exposure, s.iterations, s.scale,
                                  progress=control.checkpoint, threads=threads)
        target.parent.mkdir(parents=True, exist_ok=True)
        _encode_and_write(target, result.image, format_for_path(target), output.quality, meta)
        if output.save_factor:
            heat = heatmap_image(result.factor_small, *result.image.shape[:2])
            _encode_and_write(target.with_name(target.stem + "_factor.png"), heat, "png", 0,
                              None)

    return _outcome(item, target, work)


def _video_outcome(item: BatchItem, target: Path, enhancer, s: EnhanceSettings,
                   video: VideoOptions, control: BatchControl, progress) -> Outcome:
    from app.core.video import enhance_video

    def work() -> None:
        control.checkpoint()  # a paused batch does not start its next video
        target.parent.mkdir(parents=True, exist_ok=True)
        enhance_video(item.source, target, enhancer, s, video, progress=progress,
                      control=control)

    return _outcome(item, target, work)


def _encode_and_write(target: Path, pixels, fmt: str, quality: int, meta) -> None:
    atomic_write_bytes(target, encode_image(pixels, fmt, quality, meta))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "out of memory: the image is too large for this machine"
    return str(exc) or type(exc).__name__
