"""The batch on a Ray cluster: ``lowlight batch FOLDERS -o OUT --cluster auto|ray://H:P|local``.

Only who runs each file changes: the planning (names, skip-existing, same-file refusal), the
per-file function and the report are the local batch's (:mod:`app.core.jobs.batch`), so the
outputs are byte for byte the same. Each worker is a Ray actor holding one engine, loaded once,
single-threaded, one CPU; every photo and every video is one task. Only paths travel: inputs
and outputs must be on a filesystem every node sees under the same path.

Faults: Ray restarts an actor whose process dies and retries its tasks (max_restarts,
max_task_retries); an actor that stays dead is replaced here and its files are resubmitted.
Outputs are written atomically, so a killed attempt never leaves a half-written file; the retry
removes its temporary files. Cancel (``control.cancel()`` or Ctrl+C) cancels the queued tasks,
kills the actors and still writes the report for what finished.

Ray is imported lazily, here only: the desktop app does not carry it (``pip install .[cluster]``).
"""
from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from app.core.jobs.batch import ProgressFn, new_report, plan_batch, save_report
from app.core.jobs.cluster_worker import ClusterWorker, remove_partials
from app.core.jobs.control import BatchControl
from app.core.jobs.discovery import BatchItem, OutputOptions, is_video
from app.core.jobs.report import BatchReport, Outcome
from app.core.settings import EnhanceSettings

log = logging.getLogger(__name__)
DEPTH = 2  # photos queued per worker: the next one is already there when one finishes
MAX_ATTEMPTS = 3  # times a file is submitted to a fresh worker after its worker stayed dead
RAY_RESTARTS = 2  # Ray's own restarts of a dead actor, with retries of its tasks
POLL_S = 0.25  # how often the wait loop looks at the cancel flag
LOCAL_OBJECT_STORE = 100 * 1024 * 1024  # only paths and outcomes travel through it


class ClusterError(RuntimeError):
    """No cluster to run on, or no worker could start."""


def connect(cluster: str, workers: int | None = None) -> bool:
    """Start (``local``) or join (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``) a Ray cluster
    for this process. True if ray.init ran here (the caller shuts it down), False if this
    process was already connected."""
    if cluster == "local":
        _loopback_only()
    import ray

    if ray.is_initialized():
        return False
    kwargs = dict(logging_level=logging.WARNING, configure_logging=False)
    try:
        if cluster == "local":
            ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                     object_store_memory=LOCAL_OBJECT_STORE, **kwargs)
        else:
            ray.init(address=cluster, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Ray cluster {cluster!r}: {exc} (start one with "
                           "`ray start --head`, or use --cluster local)") from None
    return True


def _loopback_only() -> None:
    """A local cluster listens on 127.0.0.1 only. By default Ray on Linux advertises the
    machine's network address and listens on every interface; this switch (read when Ray is
    imported, so also set on the loaded module) makes it use the loopback address."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray._private.ray_constants as constants

    constants.ENABLE_RAY_CLUSTER = False


def run_cluster_batch(items: list[BatchItem], settings: EnhanceSettings,
                      output: OutputOptions, cluster: str | None = "auto",
                      workers: int | None = None, make_engine: Callable | None = None,
                      on_file: ProgressFn | None = None, control: BatchControl | None = None,
                      write_report: bool = True,
                      on_start: Callable[[int, BatchItem], None] | None = None) -> BatchReport:
    """As :func:`app.core.jobs.batch.run_batch`, on a Ray cluster. ``cluster=None`` uses the
    session this process is already connected to; ``workers`` defaults to the cluster's CPUs;
    ``make_engine`` (picklable) builds each worker's engine, by default the shipped weights
    on the best backend with one thread. Ctrl+C cancels and returns the report."""
    s = settings.validated()
    output = replace(output, video=output.video.validated())
    if make_engine is None:
        from app.core.engine.enhancer import Enhancer

        make_engine = partial(Enhancer, threads=1)
    started_here = connect(cluster, workers) if cluster else False
    try:
        return _Run(items, s, output, workers, make_engine, on_file,
                    control or BatchControl(), on_start).run(write_report)
    finally:
        if started_here:
            import ray

            ray.shutdown()


@dataclass
class _Task:
    index: int
    item: BatchItem
    target: Path
    attempts: int = 0
    slot: int = -1
    generation: int = 0


class _Run:
    """One cluster batch: a pool of actor slots, a queue of files, the wait loop."""

    def __init__(self, items, s, output, workers, make_engine, on_file, control, on_start):
        import ray

        self.ray, self.items, self.s, self.output = ray, items, s, output
        self.make_engine, self.on_file, self.control = make_engine, on_file, control
        self.on_start = on_start
        self.done: dict[int, Outcome] = {}
        self.started = time.time()
        settled, todo = plan_batch(items, output)
        for i, outcome in settled:
            self.finish(i, outcome)
        self.queue = deque(_Task(i, item, target) for i, item, target in todo)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        self.size = max(1, min(workers or cpus, len(todo)))
        self.actors: list = []
        self.generations = [0] * self.size
        self.replacements = 0
        self.inflight: dict = {}  # ObjectRef -> _Task
        self.backend = ""
        self.worker_class = ray.remote(num_cpus=1, max_restarts=RAY_RESTARTS,
                                       max_task_retries=RAY_RESTARTS)(ClusterWorker)

    def finish(self, i: int, outcome: Outcome) -> None:
        self.done[i] = outcome
        if self.on_file:
            self.on_file(i, len(self.items), outcome)

    def run(self, write_report: bool) -> BatchReport:
        try:
            if self.queue:
                self.start_workers()
                self.loop()
        except KeyboardInterrupt:
            log.warning("interrupted: cancelling the cluster batch")
            self.control.cancel()
        if self.control.cancelled:
            self.stop()
        self.kill_all()  # free their CPUs now, not when the garbage collector gets to them
        report = new_report(self.backend, self.s, self.output)
        report.outcomes = [self.done[i] for i in sorted(self.done)]
        if write_report and self.items:
            save_report(report, self.output)
        return report

    def new_actor(self):
        return self.worker_class.remote(self.make_engine)

    def start_workers(self) -> None:
        self.actors = [self.new_actor() for _ in range(self.size)]
        pending = {a.identity.remote(): a for a in self.actors}
        errors = []
        while pending and not self.backend:  # the first worker up names the backend
            ready, _ = self.ray.wait(list(pending), num_returns=1)
            try:
                self.backend = self.ray.get(ready[0])[0]
            except self.ray.exceptions.RayError as exc:
                errors.append(exc)
            pending.pop(ready[0])
            if self.control.cancelled:
                return
        if not self.backend:
            self.kill_all()
            raise ClusterError(f"no cluster worker could start: {errors[0]}")

    def loop(self) -> None:
        ray = self.ray
        while (self.queue or self.inflight) and not self.control.cancelled:
            self.submit()
            if not self.inflight:  # every slot is dead and past replacing
                for task in list(self.queue):
                    self.fail(task, "no cluster worker left")
                self.queue.clear()
                break
            ready, rest = ray.wait(list(self.inflight), num_returns=1, timeout=POLL_S)
            if ready and rest:  # take every finished file in one wake-up, not one per loop
                ready += ray.wait(rest, num_returns=len(rest), timeout=0)[0]
            for ref in ready:
                self.collect(ref)

    def collect(self, ref) -> None:
        """A finished task: its outcome, or a lost worker's file back in the queue. Ctrl+C may
        land anywhere: a file is always in the queue, in flight or done (stop() dedupes)."""
        ray, task = self.ray, self.inflight[ref]
        try:
            outcome = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            self.worker_lost(task, exc)
            del self.inflight[ref]
            return
        except ray.exceptions.RayError as exc:  # not the file's fault, nor the worker's death
            outcome = Outcome(str(task.item.source), str(task.target), "failed",
                              str(exc).splitlines()[0])
        self.done[task.index] = outcome
        del self.inflight[ref]
        self.finish(task.index, outcome)

    def submit(self) -> None:
        """Fill every live slot up to DEPTH files; nothing queues behind a video."""
        load = [0] * self.size
        video = [False] * self.size
        for task in self.inflight.values():
            load[task.slot] += 1
            video[task.slot] |= is_video(task.item.source)
        for slot in range(self.size):
            while (self.queue and self.actors[slot] is not None and not video[slot]
                   and load[slot] < DEPTH):
                task = self.queue.popleft()
                if is_video(task.item.source) and load[slot]:
                    self.queue.appendleft(task)  # a video starts on an idle worker
                    break
                task.slot, task.generation = slot, self.generations[slot]
                if self.on_start:
                    self.on_start(task.index, task.item)
                ref = self.actors[slot].run.remote(task.item, task.target, self.s, self.output)
                self.inflight[ref] = task
                load[slot] += 1
                video[slot] = is_video(task.item.source)

    def worker_lost(self, task: _Task, exc: Exception) -> None:
        """Ray gave up on the task's worker: replace it (once per death), resubmit the file."""
        slot = task.slot
        if task.generation == self.generations[slot]:
            self.ray.kill(self.actors[slot], no_restart=True)
            self.generations[slot] += 1
            self.replacements += 1
            alive = self.replacements <= MAX_ATTEMPTS * self.size
            self.actors[slot] = self.new_actor() if alive else None
            log.warning("cluster worker lost (%s); %s", type(exc).__name__,
                        "replaced" if alive else "not replaced: too many losses")
        task.attempts += 1
        if task.attempts >= MAX_ATTEMPTS:
            self.fail(task, f"worker lost {task.attempts} times: {exc}")
        else:
            self.queue.appendleft(task)

    def fail(self, task: _Task, reason: str) -> None:
        self.finish(task.index, Outcome(str(task.item.source), str(task.target), "failed",
                                        reason.splitlines()[0]))

    def stop(self) -> None:
        """Cancel: keep what already finished, cancel what is queued, kill what runs."""
        ray = self.ray
        if self.inflight:
            ready, _ = ray.wait(list(self.inflight), num_returns=len(self.inflight), timeout=0)
            for ref in ready:
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayError:
                    continue
                self.done[self.inflight[ref].index] = outcome
                self.finish(self.inflight.pop(ref).index, outcome)
        for ref in self.inflight:
            ray.cancel(ref)  # queued actor tasks never start; running ones end with the actor
        self.kill_all()
        cancelled = {t.index: t for t in [*self.inflight.values(), *self.queue]
                     if t.index not in self.done}
        self.inflight.clear()
        self.queue.clear()
        if cancelled:
            # Give the killed processes a moment before sweeping their temporary files; a
            # straggler's is swept when the file is next enhanced (ClusterWorker.run).
            time.sleep(0.2)
        for task in sorted(cancelled.values(), key=lambda t: t.index):
            remove_partials(task.target, self.output.save_factor)
            outcome = Outcome(str(task.item.source), str(task.target), "cancelled")
            if self.written_since_start(task.target):  # its worker finished before the kill
                outcome.status, outcome.reason = "done", "finished while the batch was cancelled"
            self.finish(task.index, outcome)

    def written_since_start(self, target: Path) -> bool:
        """Outputs are renamed into place only when complete, and the plan saw none there
        (unless replacing: then its time tells, on storage whose clock agrees with ours)."""
        try:
            mtime = target.stat().st_mtime
        except OSError:
            return False
        return not self.output.overwrite or mtime >= self.started

    def kill_all(self) -> None:
        for actor in self.actors:
            if actor is not None:
                self.ray.kill(actor, no_restart=True)
        self.actors = [None] * self.size
