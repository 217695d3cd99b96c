"""The batch on a Ray cluster: ``lowlight batch FOLDERS -o OUT --cluster auto|ray://H:P|local``.

Only who runs each file changes: the whole-batch output plan (:mod:`app.core.jobs.destinations`, via
:func:`app.core.jobs.batch.plan_work`), the per-file function
(:func:`app.core.jobs.batch.process_item`) and the report are the local batch's, so the outputs
are byte for byte the same. Each worker is a Ray actor holding one engine, loaded once,
single-threaded, one CPU; every photo and every video is one task. Only paths travel: inputs
and outputs must be on a filesystem every node sees under the same path.

Faults: Ray restarts an actor whose process dies and retries its tasks (max_restarts,
max_task_retries); an actor that stays dead is replaced here and its files are resubmitted.
Outputs are written atomically under locked temporary names, so a killed attempt never leaves
a half-written output; the driver sweeps what killed attempts left once the workers are gone.
Cancel (``control.cancel()``, or ``control.interrupt()`` from the CLI's Ctrl+C handler) asks
every worker to stop (its running file at the next checkpoint, its temporary file discarded,
its queued files at once), waits for their answers, kills the actors and still writes the
report for what finished; a KeyboardInterrupt in the driver does the same and raises
BatchInterrupted, as run_batch does.

Ray is imported lazily, here and in :mod:`app.core.jobs.ray_session` (joining or starting a
cluster) only: the desktop app does not carry it (``pip install .[cluster]``).
"""
from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from app.core.jobs.batch import plan_work
from app.core.jobs.cluster_worker import ClusterWorker
from app.core.jobs.control import BatchControl, BatchInterrupted
from app.core.jobs.destinations import Destination
from app.core.jobs.discovery import BatchItem, OutputOptions, is_video
from app.core.jobs.folder_lock import output_folder_lock
from app.core.jobs.ledger import BatchLedger, ProgressFn
from app.core.jobs.ray_session import ClusterError, connect
from app.core.jobs.report import BatchReport, Outcome
from app.core.jobs.settings_record import SettingsFor
from app.core.jobs.video_split import plan_split, remove_segments
from app.core.media.tempfiles import remove_stale_temps, temps_of
from app.core.settings import EnhanceSettings

log = logging.getLogger(__name__)
DEPTH = 2  # photos queued per worker: the next one is already there when one finishes
MAX_ATTEMPTS = 3  # times a file is submitted to a fresh worker after its worker stayed dead
RAY_RESTARTS = 2  # Ray's own restarts of a dead actor, with retries of its tasks
POLL_S = 0.25  # how often the wait loop looks at the cancel flag (and so at Ctrl+C)
SWEEP_WAIT_S = 3.0  # how long the sweep waits for killed workers to let go of their files
CANCEL_WAIT_S = 10.0  # how long a cancel waits for the workers to stop before killing them
CONTROL = "control"  # the workers' concurrency group for cancel, beside the running file


def run_cluster_batch(items: list[BatchItem], settings: EnhanceSettings,
                      output: OutputOptions, cluster: str | None = "auto",
                      workers: int | None = None, make_engine: Callable | None = None,
                      on_file: ProgressFn | None = None, control: BatchControl | None = None,
                      write_report: bool = True,
                      on_start: Callable[[int, BatchItem], None] | None = None,
                      split_seconds: float | None = None,
                      settings_for: SettingsFor | None = None) -> BatchReport:
    """As :func:`app.core.jobs.batch.run_batch`, on a Ray cluster (each photo's own edits,
    ``settings_for``, are read by the driver and travel with the file's plan). ``cluster=None``
    uses the session this process is already connected to; ``workers`` defaults to the
    cluster's CPUs;
    ``make_engine`` (picklable) builds each worker's engine, by default the shipped weights
    on the best backend with one thread. ``split_seconds``: videos at least twice that long
    are cut into segments of about that length, enhanced in parallel and joined
    (:mod:`app.core.jobs.video_split`)."""
    s = settings.validated()
    output = output.validated()  # a bad choice fails up front, before any file
    if make_engine is None:
        from app.core.engine.enhancer import Enhancer

        make_engine = partial(Enhancer, threads=1)
    control = control or BatchControl()
    with output_folder_lock(output.folder):  # OutputBusy while another batch writes there
        started_here = connect(cluster, workers) if cluster else False
        try:
            return _Run(items, s, output, workers, make_engine, on_file, control, on_start,
                        split_seconds, settings_for).run(write_report)
        finally:
            if started_here:
                import ray

                ray.shutdown()


@dataclass
class _Task:
    index: int
    plan: Destination
    attempts: int = 0
    slot: int = -1
    generation: int = 0
    kind: str = "file"  # file | segment | join (a split video's parts)
    k: int = 0  # segment number
    count: int = 1  # segments of the video
    whole: bool = False  # never split (too short, or its segments could not be joined)

    @property
    def video(self) -> bool:
        return is_video(self.plan.item.source)

    @property
    def target(self) -> Path:
        return self.plan.target


class _Run:
    """One cluster batch: a pool of actor slots, a queue of files, the wait loop."""

    def __init__(self, items, s, output, workers, make_engine, on_file, control, on_start,
                 split_seconds, settings_for):
        import ray

        self.ray, self.items, self.s, self.output = ray, items, s, output
        self.make_engine, self.control = make_engine, control
        self.on_start, self.per_photo = on_start, settings_for is not None
        self.ledger = BatchLedger(len(items), control, on_file)
        self.done = self.ledger.done  # index -> Outcome, read by the loop
        self.finish = self.ledger.finish
        self.started = time.time()
        # also sweeps a killed run's leftovers
        settled, self.todo = plan_work(items, output, s, settings_for)
        for i, outcome in settled:
            self.finish(i, outcome)
        self.queue = deque(_Task(i, plan) for i, plan in self.todo)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        if workers and workers > cpus:  # the extra actors would never start, nor their files
            log.warning("%d workers asked for, the cluster has %d CPUs: using %d", workers,
                        cpus, cpus)
        self.split = split_seconds or 0.0
        # sized by what can run at once: a split video's segments each take a worker
        self.size = max(1, min(workers or cpus, cpus, sum(map(self.parts_of, self.todo))))
        self.actors: list = []
        self.generations = [0] * self.size
        self.replacements = 0
        self.inflight: dict = {}  # ObjectRef -> _Task
        self.backend = ""
        self.shared = None  # object refs of the settings and output options
        self.announced: set[int] = set()  # files on_start was called for
        self.parts: dict[int, dict[int, Outcome]] = {}  # split video -> its finished segments
        self.worker_class = ray.remote(num_cpus=1, max_restarts=RAY_RESTARTS,
                                       max_task_retries=RAY_RESTARTS,
                                       concurrency_groups={CONTROL: 1})(ClusterWorker)

    def parts_of(self, todo: tuple[int, Destination]) -> int:
        """Tasks a planned file becomes: its segments for a video split, else one."""
        source = todo[1].item.source
        if not self.split or not is_video(source):
            return 1
        try:
            return plan_split(source, self.split)
        except Exception:  # noqa: BLE001 - the file's own task reports what is wrong
            return 1

    def run(self, write_report: bool) -> BatchReport:
        raised = False
        try:
            if self.queue:
                self.start_workers()
                self.loop()
        except KeyboardInterrupt:  # Ctrl+C without the CLI's handler, or from a callback
            self.control.interrupt()
            raised = True
        if self.control.cancelled:
            self.stop()
        self.kill_all()  # free their CPUs now, not when the garbage collector gets to them
        self.sweep()
        # every planned file without an outcome (cancelled, or lost to a KeyboardInterrupt)
        # is cancelled, unless its worker wrote it before it was killed
        self.ledger.cancel_rest(self.todo, lambda plan: self.written_since_start(plan.target))
        report = self.ledger.report(self.backend, self.s, self.output, self.per_photo,
                                    write_report)
        if raised:
            raise BatchInterrupted(report)
        return report

    def new_actor(self):
        return self.worker_class.remote(self.make_engine)

    def start_workers(self) -> None:
        self.actors = [self.new_actor() for _ in range(self.size)]
        pending = {a.identity.remote(): a for a in self.actors}
        errors = []
        while pending and not self.backend:  # the first worker up names the backend
            ready, _ = self.ray.wait(list(pending), num_returns=1, timeout=POLL_S)
            if self.control.cancelled:
                return
            if not ready:
                continue
            try:
                self.backend = self.ray.get(ready[0])[0]
            except self.ray.exceptions.RayError as exc:
                errors.append(exc)
            pending.pop(ready[0])
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
        """A finished task: its outcome, or a lost worker's file back in the queue. Wherever
        a KeyboardInterrupt lands, a file is queued, in flight or done, or else settled by
        the ledger's cancel_rest (from the plan)."""
        ray, task = self.ray, self.inflight.pop(ref)
        try:
            outcome = ray.get(ref)
        except ray.exceptions.RayActorError as exc:
            self.worker_lost(task, exc)
            return
        except ray.exceptions.RayError as exc:  # not the file's fault, nor the worker's death
            outcome = Outcome(str(task.plan.item.source), str(task.target), "failed",
                              str(exc).splitlines()[0])
        self.settle(task, outcome)

    def settle(self, task: _Task, outcome: Outcome) -> None:
        """A file's outcome is final; a segment's waits for its siblings, and the last one
        queues the join; a join's outcome is the split video's."""
        if task.kind == "file":
            self.finish(task.index, outcome)
        elif task.kind == "segment":
            self.segment_done(task, outcome)
        elif outcome.status == "unsplit":
            log.warning("%s: %s; enhancing it whole", task.plan.item.source, outcome.reason)
            remove_segments(task.target)
            self.queue.appendleft(_Task(task.index, task.plan, whole=True))
        else:
            parts = self.parts.pop(task.index)
            outcome.seconds += sum(p.seconds for p in parts.values())  # all segments' time
            nodes: dict[str, list[str]] = {}
            for k, part in sorted(parts.items()):
                nodes.setdefault(part.node, []).append(str(k + 1))
            outcome.node = (f"joined on {outcome.node}; " if outcome.node else "") + \
                "segments " + "; ".join(f"{', '.join(ks)} on {node}" for node, ks in nodes.items())
            self.finish(task.index, outcome)

    def segment_done(self, task: _Task, outcome: Outcome) -> None:
        if task.index in self.done:  # its video failed already: sweep what this one wrote
            remove_segments(task.target)
            return
        if outcome.status != "done":
            outcome.reason = f"segment {task.k + 1} of {task.count}: {outcome.reason}"
            self.finish(task.index, outcome)
            remove_segments(task.target)
            return
        parts = self.parts[task.index]
        parts[task.k] = outcome
        if len(parts) == task.count:
            self.queue.appendleft(_Task(task.index, task.plan, kind="join", count=task.count))

    def expand(self, task: _Task) -> bool:
        """A long video becomes its segments, at the front of the queue."""
        if not self.split or task.kind != "file" or task.whole or not task.video:
            return False
        try:
            count = plan_split(task.plan.item.source, self.split)
        except Exception:  # noqa: BLE001 - the whole-file task reports what is wrong
            count = 1
        if count < 2:
            task.whole = True
            return False
        self.parts[task.index] = {}
        self.queue.extendleft(_Task(task.index, task.plan, kind="segment", k=k, count=count)
                              for k in reversed(range(count)))
        return True

    def call(self, slot: int, task: _Task):
        actor = self.actors[slot]
        if self.shared is None:  # the same for every file: serialised once, not per task
            self.shared = self.ray.put(self.s), self.ray.put(self.output)
        s, output = self.shared
        if task.kind == "segment":
            return actor.segment.remote(task.plan, task.k, task.count, self.split, s, output)
        if task.kind == "join":
            return actor.join.remote(task.plan, task.count, s, output)
        return actor.run.remote(task.plan, s, output)

    def submit(self) -> None:
        """Fill every live slot up to DEPTH files; nothing queues behind a video."""
        load = [0] * self.size
        video = [False] * self.size
        for task in self.inflight.values():
            load[task.slot] += 1
            video[task.slot] |= task.video
        for slot in range(self.size):
            while (self.queue and self.actors[slot] is not None and not video[slot]
                   and load[slot] < DEPTH):
                task = self.queue.popleft()
                if task.index in self.done or self.expand(task):
                    continue  # a failed split video's segment; a video now cut in segments
                if task.video and load[slot]:
                    self.queue.appendleft(task)  # a video starts on an idle worker
                    break
                task.slot, task.generation = slot, self.generations[slot]
                self.inflight[self.call(slot, task)] = task
                if self.on_start and task.index not in self.announced:
                    self.announced.add(task.index)
                    self.on_start(task.index, task.plan.item)
                load[slot] += 1
                video[slot] = task.video

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
        if task.index in self.done:  # another segment of the same video failed first
            return
        self.finish(task.index, Outcome(str(task.plan.item.source), str(task.target),
                                        "failed", reason.splitlines()[0]))
        if task.kind != "file":
            remove_segments(task.target)

    def stop(self) -> None:
        """Cancel: every worker stops its running file at the next checkpoint and ends its
        queued ones at once; what finished first is kept. Once all have answered (or after
        CANCEL_WAIT_S) the workers are killed: no output can appear after the report."""
        ray = self.ray
        for actor in self.actors:
            if actor is not None:
                actor.cancel.options(concurrency_group=CONTROL).remote()
        if self.inflight:
            ready, _ = ray.wait(list(self.inflight), num_returns=len(self.inflight),
                                timeout=CANCEL_WAIT_S)
            for ref in ready:
                task = self.inflight.pop(ref)
                if task.index in self.done:
                    continue
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.RayError:
                    continue
                if (task.kind == "file" and outcome.status != "cancelled"
                        or task.kind == "join" and outcome.status == "done"):
                    self.settle(task, outcome)  # a whole file, or a split video joined
        for ref in self.inflight:
            ray.cancel(ref)  # still running after the wait: ended with the actor
        self.kill_all()
        self.inflight.clear()
        self.queue.clear()

    def sweep(self) -> None:
        """The temporary files (and a split video's segments) that killed or failed attempts
        left beside this batch's outputs: their locks died with the workers, so they go at
        any age; a worker still being killed is given a moment to let go."""
        folders: dict[Path, set[str]] = {}
        for _, plan in self.todo:
            for path in filter(None, (plan.target, plan.factor)):
                folders.setdefault(path.parent, set()).add(path.name)
        deadline = time.monotonic() + SWEEP_WAIT_S
        while True:
            for folder, names in folders.items():
                remove_stale_temps(folder, names, min_age=0)
            folders = {f: names for f, names in folders.items() if temps_of(f, names)}
            if not folders or time.monotonic() > deadline:
                break
            time.sleep(0.1)

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
