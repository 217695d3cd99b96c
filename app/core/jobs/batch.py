"""One batch engine for the window and the CLI: skip/resume, per-file outcomes, a report.

Errors are values here: every file ends as done, skipped or failed with a reason, and one bad
file never stops the batch. Each core takes its own photo from decode to written output
(threads: OpenCV, Pillow, numpy, numba and onnxruntime release the GIL), so both cores stay
busy without handing work back and forth.
"""
from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path

from app.core.engine.heatmap import heatmap_image
from app.core.jobs.control import BatchControl, BatchInterrupted, Cancelled
from app.core.jobs.destinations import Destination, link_out_of, may_replace, plan_batch
from app.core.jobs.discovery import BatchItem, OutputOptions, is_video
from app.core.jobs.folder_lock import output_folder_lock
from app.core.jobs.report import BatchReport, Outcome
from app.core.media.images import (
    ImageWriteError,
    atomic_write_bytes,
    encode_image,
    format_for_path,
    read_image,
)
from app.core.media.tempfiles import remove_stale_temps
from app.core.photo_edits import PhotoEdits, apply_geometry
from app.core.settings import EnhanceSettings

log = logging.getLogger(__name__)
# Photos in flight at once: one per core, at most 4 (each holds a decoded photo and its result,
# ~0.5 GB for a 50 MP file, so many-core machines must not hold dozens).
PHOTO_WORKERS = max(1, min(4, os.cpu_count() or 1))

ProgressFn = Callable[[int, int, Outcome], None]
# Each item's own settings and edits (None: no geometry), instead of the batch's one set.
SettingsFor = Callable[[BatchItem], tuple[EnhanceSettings, PhotoEdits | None]]
INTERRUPTED = "interrupted (Ctrl+C)"


def run_batch(items: list[BatchItem], enhancer, settings: EnhanceSettings,
              output: OutputOptions, on_file: ProgressFn | None = None,
              control: BatchControl | None = None, write_report: bool = True,
              on_start: Callable[[int, BatchItem], None] | None = None,
              on_video_progress: Callable[[int, int, float], None] | None = None,
              settings_for: SettingsFor | None = None) -> BatchReport:
    """Enhance every item into ``output``; ``on_file(index, total, outcome)`` after each file.
    ``settings_for(item)``, if given, gives each file its own settings and edits (rotation,
    straightening, crop; applied before the enhancement, as the window does).

    Photos go to PHOTO_WORKERS threads, each taking one file from decode to written output
    with a single-threaded enhancement, so the cores work on different files instead of
    handing each step back and forth. Videos run one at a time (their own pipeline uses every
    core). The callbacks are called from this thread only, files may finish out of order.
    A KeyboardInterrupt cancels what runs, writes the report and raises BatchInterrupted,
    which carries it. (The CLI traps SIGINT and calls ``control.interrupt()`` instead: an
    exception raised inside a compiled kernel can come out as a SystemError.) Raises
    OutputBusy, before anything is planned or written, while another batch writes into the
    same output folder."""
    s = settings.validated()
    output = output.validated()  # a bad choice fails up front, before any file
    control = control or BatchControl()
    with output_folder_lock(output.folder):  # OutputBusy while another batch writes there
        return _run_locked(items, enhancer, s, output, on_file, control, write_report,
                           on_start, on_video_progress, settings_for)


def _run_locked(items, enhancer, s, output, on_file, control, write_report, on_start,
                on_video_progress, settings_for=None) -> BatchReport:
    report = new_report(enhancer.backend_name, s, output)
    total = len(items)
    done: dict[int, Outcome] = {}

    def finish(i: int, outcome: Outcome) -> None:
        if outcome.status == "cancelled" and control.interrupted and not outcome.reason:
            outcome.reason = control.interrupt_reason
        done[i] = outcome
        if on_file:
            on_file(i, total, outcome)

    settled, todo = plan_work(items, output)
    for i, outcome in settled:
        finish(i, outcome)

    threads = 1 if PHOTO_WORKERS > 1 else None
    running: dict[Future, int] = {}
    raised = False

    def collect(block: bool) -> None:
        finished, _ = wait(running, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for fut in finished:
            finish(running.pop(fut), fut.result())

    with ThreadPoolExecutor(max_workers=PHOTO_WORKERS, thread_name_prefix="batch") as pool:
        try:
            for i, plan in todo:
                if control.cancelled:
                    finish(i, cancelled_outcome(plan, control))
                    continue
                if is_video(plan.item.source):
                    while running:  # let the photos in flight finish: the video wants every core
                        collect(block=True)
                    if on_start:
                        on_start(i, plan.item)
                    finish(i, _video_outcome(plan, enhancer, s, output, control,
                                             on_video_progress, settings_for))
                    continue
                while len(running) >= PHOTO_WORKERS:
                    collect(block=True)
                if on_start:
                    on_start(i, plan.item)
                running[pool.submit(_photo_outcome, plan, enhancer, s, output, control,
                                    threads, settings_for)] = i
                collect(block=False)
        except KeyboardInterrupt:
            control.interrupt()  # the photos in flight stop at their next checkpoint
            raised = True
        while running:
            collect(block=True)
    for i, plan in todo:
        if i not in done:
            done[i] = cancelled_outcome(plan, control)
    report.outcomes = [done[i] for i in sorted(done)]
    report.interrupted = control.interrupted
    if write_report and items:
        save_report(report, output)
    if raised:
        raise BatchInterrupted(report)
    return report


def plan_work(items: list[BatchItem], output: OutputOptions
              ) -> tuple[list[tuple[int, Outcome]], list[tuple[int, Destination]]]:
    """The whole batch's plan (:func:`app.core.jobs.destinations.plan_batch`) -> (outcomes settled
    without work: skipped or refused, (index, plan) of the files to enhance); the leftovers of
    a killed run are swept from the folders the batch writes to. Called with the output
    folder's lock held (:mod:`app.core.jobs.folder_lock`). Shared by the local and the
    cluster batch (:mod:`app.core.jobs.cluster`), so both name, skip and refuse alike."""
    settled: list[tuple[int, Outcome]] = []
    todo: list[tuple[int, Destination]] = []
    for i, plan in enumerate(plan_batch(items, output)):
        if plan.status == "todo":
            todo.append((i, plan))
        else:
            settled.append((i, Outcome(str(plan.item.source), str(plan.target or ""),
                                       plan.status, plan.reason)))
    ours: dict[Path, set[str]] = {}
    for _, plan in todo:
        for path in filter(None, (plan.target, plan.factor)):
            ours.setdefault(path.parent, set()).add(path.name)
    for folder in output_folders(todo, output):
        # The planned outputs' own temporary files go at any age: only a batch writes them,
        # and this one holds the output folder's lock (a kill -9 just before must not leave
        # them for the next run); others' only once surely abandoned.
        remove_stale_temps(folder, ours.get(folder, set()), min_age=-math.inf)  # any clock
        remove_stale_temps(folder)
    return settled, todo


def output_folders(todo: list[tuple[int, Destination]], output: OutputOptions) -> list[Path]:
    """The folders the planned files are written to, the output folder first."""
    return sorted({p.target.parent for _, p in todo} | {Path(output.folder)})


def cancelled_outcome(plan: Destination, control: BatchControl) -> Outcome:
    return Outcome(str(plan.item.source), str(plan.target), "cancelled",
                   control.interrupt_reason if control.interrupted else "")


def new_report(backend: str, s: EnhanceSettings, output: OutputOptions) -> BatchReport:
    """The report's settings carry the window's and the CLI's names (strength, map_detail;
    not the engine's iterations and scale) and the output choices they go with."""
    return BatchReport(backend=backend, settings={
        **s.by_name(), "format": output.format, "quality": output.quality,
        "pattern": output.pattern, "video_codec": output.video.codec,
        "video_crf": output.video.quality})


def save_report(report: BatchReport, output: OutputOptions) -> None:
    try:
        report.write(Path(output.folder))
    except Exception as exc:  # noqa: BLE001 - the outcomes are still returned
        log.warning("could not write the batch report: %s", exc)


def process_item(plan: Destination, enhancer, s: EnhanceSettings, output: OutputOptions,
                 control: BatchControl, threads: int | None = 1,
                 on_video_progress: Callable[[int, int, float], None] | None = None,
                 settings_for: SettingsFor | None = None) -> Outcome:
    """One planned file (status "todo"), photo or video, to its written output; never raises
    for the file's own errors. What a cluster worker runs, so that its outputs are the local
    batch's byte for byte."""
    if is_video(plan.item.source):
        return _video_outcome(plan, enhancer, s, output, control, on_video_progress,
                              settings_for)
    return _photo_outcome(plan, enhancer, s, output, control, threads, settings_for)


def _own(item: BatchItem, s: EnhanceSettings, settings_for: SettingsFor | None
         ) -> tuple[EnhanceSettings, PhotoEdits | None]:
    """The item's own settings and edits, else the batch's settings and none."""
    if settings_for is None:
        return s, None
    own, edits = settings_for(item)
    return own.validated(), edits


def _outcome(plan: Destination, work: Callable[[], str]) -> Outcome:
    """Run one file's ``work`` (which returns a warning or ""); never raises for the file's own
    errors (the outcome says what happened)."""
    outcome = Outcome(str(plan.item.source), str(plan.target), "done", plan.reason)
    start = time.perf_counter()
    try:
        warning = work()
        outcome.reason = "; ".join(filter(None, (warning, plan.reason)))
    except Cancelled:
        outcome.status = "cancelled"
    except Exception as exc:  # noqa: BLE001 - one bad file never stops the batch
        outcome.status, outcome.reason = "failed", _reason(exc)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _photo_outcome(plan: Destination, enhancer, s: EnhanceSettings, output: OutputOptions,
                   control: BatchControl, threads: int | None,
                   settings_for: SettingsFor | None = None) -> Outcome:
    """One photo from file to written output (run in a worker thread)."""
    target = plan.target

    def work() -> str:
        control.checkpoint()
        own, edits = _own(plan.item, s, settings_for)
        pixels, meta = read_image(plan.item.source, output.max_pixels)
        if edits is not None and edits.has_geometry:
            pixels = apply_geometry(pixels, edits)
        result = enhancer.enhance(pixels, own, progress=control.checkpoint, threads=threads)
        _make_folder(target, output)
        replace = may_replace(output)
        _encode_and_write(target, result.image, format_for_path(target), output.quality, meta,
                          replace)
        if plan.factor is not None:
            heat = heatmap_image(result.gain_small, *result.image.shape[:2])
            _encode_and_write(plan.factor, heat, "png", 0, None, replace)
        notes = [result.note]  # e.g. "already well exposed: left as it is"
        if meta.frames > 1:
            notes.append(f"first frame only (of {meta.frames})")
        return "; ".join(filter(None, notes))

    return _outcome(plan, work)


def _video_outcome(plan: Destination, enhancer, s: EnhanceSettings, output: OutputOptions,
                   control: BatchControl, progress, settings_for: SettingsFor | None = None
                   ) -> Outcome:
    from app.core.jobs.video_export import enhance_video

    def work() -> str:
        control.checkpoint()  # a paused batch does not start its next video
        own, _edits = _own(plan.item, s, settings_for)  # a video's geometry is not applied
        _make_folder(plan.target, output)
        return enhance_video(plan.item.source, plan.target, enhancer, own, output.video,
                             progress=progress, control=control,
                             replace=may_replace(output)).warning

    return _outcome(plan, work)


def _make_folder(target: Path, output: OutputOptions) -> None:
    """The target's folder, checked again when written to: a sub-folder made a link out of
    the output folder since the plan is not written through either."""
    if why := link_out_of(target, output.folder):
        raise ImageWriteError(why)
    target.parent.mkdir(parents=True, exist_ok=True)


def _encode_and_write(target: Path, pixels, fmt: str, quality: int, meta, replace) -> None:
    atomic_write_bytes(target, encode_image(pixels, fmt, quality, meta), replace)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "out of memory: the image is too large for this machine"
    return str(exc) or type(exc).__name__
