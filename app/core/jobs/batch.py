"""One batch engine for the window and the CLI: skip/resume, per-file outcomes, a report.

Errors are values here: every file ends as done, skipped or failed with a reason, and one bad
file never stops the batch. Each core takes its own photo from decode to written output
(threads: OpenCV, Pillow, numpy, numba and onnxruntime release the GIL), so both cores stay
busy without handing work back and forth.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, replace
from pathlib import Path

from app.core.engine.heatmap import heatmap_image
from app.core.jobs.control import BatchControl, Cancelled
from app.core.jobs.discovery import BatchItem, OutputOptions, is_video
from app.core.jobs.report import BatchReport, Outcome
from app.core.media.images import atomic_write_bytes, encode_image, format_for_path, read_image
from app.core.settings import EnhanceSettings, VideoOptions

log = logging.getLogger(__name__)
# Photos in flight at once: one per core, at most 4 (each holds a decoded photo and its result,
# ~0.5 GB for a 50 MP file, so many-core machines must not hold dozens).
PHOTO_WORKERS = max(1, min(4, os.cpu_count() or 1))

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
        result = enhancer.enhance(pixels, s, progress=control.checkpoint, threads=threads)
        target.parent.mkdir(parents=True, exist_ok=True)
        _encode_and_write(target, result.image, format_for_path(target), output.quality, meta)
        if output.save_factor:
            heat = heatmap_image(result.gain_small, *result.image.shape[:2])
            _encode_and_write(target.with_name(target.stem + "_factor.png"), heat, "png", 0,
                              None)

    return _outcome(item, target, work)


def _video_outcome(item: BatchItem, target: Path, enhancer, s: EnhanceSettings,
                   video: VideoOptions, control: BatchControl, progress) -> Outcome:
    from app.core.jobs.video_export import enhance_video

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
