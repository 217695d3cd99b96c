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
from dataclasses import replace
from pathlib import Path

from app.core.engine.heatmap import heatmap_image
from app.core.jobs.control import BatchControl, BatchInterrupted, Cancelled
from app.core.jobs.destinations import Destination, link_out_of, may_replace, plan_batch
from app.core.jobs.discovery import BatchItem, OutputOptions, is_video
from app.core.jobs.folder_lock import output_folder_lock
from app.core.jobs.ledger import BatchLedger, ProgressFn, cancelled_outcome
from app.core.jobs.report import BatchReport, Outcome
from app.core.jobs.settings_record import (
    SettingsFor,
    made_with_other_settings,
    made_with_text,
    settings_record,
)
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

# The longest this (the main) thread sleeps waiting for the photo threads. A SIGINT or SIGTERM
# sent to the process may be taken by any of its threads (POSIX; Linux does it when this thread
# blocks signals for a moment, as it does while it starts a worker thread), and CPython then
# only notes it: the handler, which cancels the batch, runs once this thread next runs Python.
# A wait without end would never see it: the workers wait for the cancel, this thread for them.
WAKE_S = 0.1

INTERRUPTED = "interrupted (Ctrl+C)"
DEFAULTS = EnhanceSettings()


def run_batch(items: list[BatchItem], enhancer, settings: EnhanceSettings,
              output: OutputOptions, on_file: ProgressFn | None = None,
              control: BatchControl | None = None, write_report: bool = True,
              on_start: Callable[[int, BatchItem], None] | None = None,
              on_video_progress: Callable[[int, int, float], None] | None = None,
              settings_for: SettingsFor | None = None) -> BatchReport:
    """Enhance every item into ``output``; ``on_file(index, total, outcome)`` after each file.

    ``settings_for(path)``: each photo's own edits (``EditStore().load``: its settings, turn,
    straightening and crop, the geometry applied before the enhancement) instead of
    ``settings`` for all; a photo whose edits cannot be read fails, named, before the batch
    starts. Photos go to PHOTO_WORKERS threads, each taking one file from decode to written
    output with a single-threaded enhancement, so the cores work on different files instead
    of handing each step back and forth. Videos run one at a time (their own pipeline uses
    every core). The callbacks are called from this thread only, files may finish out of
    order. A KeyboardInterrupt cancels what runs, writes the report and raises
    BatchInterrupted, which carries it. (The CLI traps SIGINT and calls
    ``control.interrupt()`` instead: an exception raised inside a compiled kernel can come out
    as a SystemError.) Raises OutputBusy, before anything is planned or written, while
    another batch writes into the same output folder."""
    s = settings.validated()
    output = output.validated()  # a bad choice fails up front, before any file
    control = control or BatchControl()
    with output_folder_lock(output.folder):  # OutputBusy while another batch writes there
        ledger = BatchLedger(len(items), control, on_file)
        settled, todo = plan_work(items, output, s, settings_for)
        for i, outcome in settled:
            ledger.finish(i, outcome)
        raised = _enhance_all(todo, enhancer, s, output, control, ledger, on_start,
                              on_video_progress)
        ledger.cancel_rest(todo)
        report = ledger.report(enhancer.backend_name, s, output, settings_for is not None,
                               write_report)
    if raised:
        raise BatchInterrupted(report)
    return report


def _enhance_all(todo, enhancer, s, output, control, ledger, on_start,
                 on_video_progress) -> bool:
    """Every planned file through the photo threads or the video pipeline; True when a
    KeyboardInterrupt stopped it (what was in flight finished first)."""
    threads = 1 if PHOTO_WORKERS > 1 else None
    running: dict[Future, int] = {}

    def collect(block: bool) -> None:
        """The photos that finished, if any; ``block``: waits up to WAKE_S for one (so that a
        signal another thread took is handled here, see WAKE_S)."""
        finished, _ = wait(running, timeout=WAKE_S if block else 0,
                           return_when=FIRST_COMPLETED)
        for fut in finished:
            ledger.finish(running.pop(fut), fut.result())

    with ThreadPoolExecutor(max_workers=PHOTO_WORKERS, thread_name_prefix="batch") as pool:
        try:
            for i, plan in todo:
                if control.cancelled:
                    ledger.finish(i, cancelled_outcome(plan, control))
                    continue
                video = is_video(plan.item.source)
                # a video wants every core: the photos in flight finish first
                while running and (video or len(running) >= PHOTO_WORKERS):
                    collect(block=True)
                if on_start:
                    on_start(i, plan.item)
                if video:
                    ledger.finish(i, _video_outcome(plan, enhancer, s, output, control,
                                                    on_video_progress))
                    continue
                running[pool.submit(_photo_outcome, plan, enhancer, s, output, control,
                                    threads)] = i
                collect(block=False)
        except KeyboardInterrupt:
            control.interrupt()  # the photos in flight stop at their next checkpoint
            raised = True
        else:
            raised = False
        while running:
            collect(block=True)
    return raised


def plan_work(items: list[BatchItem], output: OutputOptions,
              s: EnhanceSettings = DEFAULTS, settings_for: SettingsFor | None = None
              ) -> tuple[list[tuple[int, Outcome]], list[tuple[int, Destination]]]:
    """The whole batch's plan (:func:`app.core.jobs.destinations.plan_batch`) -> (outcomes settled
    without work: skipped or refused, (index, plan) of the files to enhance), each plan with
    the photo's own edits when ``settings_for`` gives them; the leftovers of a killed run are
    swept from the folders the batch writes to. Called with the output folder's lock held
    (:mod:`app.core.jobs.folder_lock`). Shared by the local and the cluster batch
    (:mod:`app.core.jobs.cluster`), so both name, skip and refuse alike."""
    settled: list[tuple[int, Outcome]] = []
    todo: list[tuple[int, Destination]] = []
    for i, plan in enumerate(plan_outputs(items, output, s, settings_for)):
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


def plan_outputs(items: list[BatchItem], output: OutputOptions,
                 s: EnhanceSettings = DEFAULTS, settings_for: SettingsFor | None = None
                 ) -> list[Destination]:
    """Where each item goes, with its own edits, and which earlier outputs other settings
    made (``changed``); nothing is written or swept: the window asks with it whether a
    rerun replaces those."""
    items, edits = _own_edits(items, settings_for)
    texts = [made_with_text(settings_record(e.settings if e else s, e)) for e in edits]
    plans = plan_batch(items, output, changed=lambda i, path: made_with_other_settings(
        path, texts[i]))
    for plan, own in zip(plans, edits, strict=True):
        plan.edits = own
    return plans


def _own_edits(items: list[BatchItem], settings_for: SettingsFor | None
               ) -> tuple[list[BatchItem], list[PhotoEdits | None]]:
    """Each item's own edits (None: the batch's settings); an item whose edits cannot be
    read fails now, with the reason."""
    if settings_for is None:
        return items, [None] * len(items)
    kept, edits = [], []
    for item in items:
        own = None
        if not item.status:
            try:
                own = settings_for(item.source).validated()
            except (OSError, ValueError) as exc:  # EditsError is a ValueError
                item = replace(item, status="failed", reason=f"its own settings: {exc}")
        kept.append(item)
        edits.append(own)
    return kept, edits


def output_folders(todo: list[tuple[int, Destination]], output: OutputOptions) -> list[Path]:
    """The folders the planned files are written to, the output folder first."""
    return sorted({p.target.parent for _, p in todo} | {Path(output.folder)})


def process_item(plan: Destination, enhancer, s: EnhanceSettings, output: OutputOptions,
                 control: BatchControl, threads: int | None = 1,
                 on_video_progress: Callable[[int, int, float], None] | None = None
                 ) -> Outcome:
    """One planned file (status "todo"), photo or video, to its written output; never raises
    for the file's own errors. What a cluster worker runs, so that its outputs are the local
    batch's byte for byte."""
    if is_video(plan.item.source):
        return _video_outcome(plan, enhancer, s, output, control, on_video_progress)
    return _photo_outcome(plan, enhancer, s, output, control, threads)


def _outcome(plan: Destination, work: Callable[[], str], record: dict) -> Outcome:
    """Run one file's ``work`` (which returns a warning or ""); never raises for the file's own
    errors (the outcome says what happened, and with which settings)."""
    outcome = Outcome(str(plan.item.source), str(plan.target), "done", plan.reason,
                      settings=record)
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
                   control: BatchControl, threads: int | None) -> Outcome:
    """One photo from file to written output (run in a worker thread)."""
    target, edits = plan.target, plan.edits
    s = edits.settings if edits is not None else s
    record = settings_record(s, edits)

    def work() -> str:
        control.checkpoint()
        pixels, meta = read_image(plan.item.source, output.max_pixels)
        if edits is not None and edits.has_geometry:
            pixels = apply_geometry(pixels, edits)  # the framing kept, before the exposure
        result = enhancer.enhance(pixels, s, progress=control.checkpoint, threads=threads)
        _make_folder(target, output)
        replace = may_replace(output)
        atomic_write_bytes(target, encode_image(result.image, format_for_path(target),
                                                output.quality, meta, made_with_text(record)),
                           replace)
        if plan.factor is not None:
            heat = heatmap_image(result.gain_small, *result.image.shape[:2])
            atomic_write_bytes(plan.factor, encode_image(heat, "png", 0), replace)
        notes = [result.note]  # e.g. "already well exposed: left as it is"
        if meta.frames > 1:
            notes.append(f"first frame only (of {meta.frames})")
        return "; ".join(filter(None, notes))

    return _outcome(plan, work, record)


def _video_outcome(plan: Destination, enhancer, s: EnhanceSettings, output: OutputOptions,
                   control: BatchControl, progress) -> Outcome:
    from app.core.jobs.video_export import enhance_video

    edits = plan.edits
    s = edits.settings if edits is not None else s
    unframed = "its turn and crop are for photos: not applied to a video" \
        if edits is not None and edits.has_geometry else ""

    def work() -> str:
        control.checkpoint()  # a paused batch does not start its next video
        _make_folder(plan.target, output)
        return "; ".join(filter(None, (enhance_video(
            plan.item.source, plan.target, enhancer, s, output.video, progress=progress,
            control=control, replace=may_replace(output),
            made_with=made_with_text(settings_record(s, edits))).warning, unframed)))

    return _outcome(plan, work, settings_record(s))


def _make_folder(target: Path, output: OutputOptions) -> None:
    """The target's folder, checked again when written to: a sub-folder made a link out of
    the output folder since the plan is not written through either."""
    if why := link_out_of(target, output.folder):
        raise ImageWriteError(why)
    target.parent.mkdir(parents=True, exist_ok=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "out of memory: the image is too large for this machine"
    return str(exc) or type(exc).__name__
