"""What one cluster worker process holds and runs: an engine, loaded once, and the local
batch's own per-file function. Plain Python; :mod:`app.core.jobs.cluster` makes it a Ray actor
(Ray is imported here only inside the methods, which run in a Ray worker)."""
from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable

from app.core.jobs.batch import process_item
from app.core.jobs.control import BatchControl
from app.core.jobs.destinations import Destination, may_replace
from app.core.jobs.discovery import OutputOptions
from app.core.jobs.report import Outcome
from app.core.settings import EnhanceSettings


class ClusterWorker:
    """One engine per worker process (``make_engine()`` once, e.g. ``Enhancer(threads=1)``);
    ``run`` enhances one planned file exactly as the local batch does. ``cancel`` (called in
    the actor's own concurrency group, beside the running file) stops that file at its next
    checkpoint and every later one at once, as the local batch's cancel does. The temporary
    files of an attempt killed with its worker are swept by the driver (their locks died with
    it)."""

    def __init__(self, make_engine):
        import ray

        _leave_ctrl_c_to_the_driver()
        self.engine = make_engine()
        ctx = ray.get_runtime_context()
        self.node = f"{ray.util.get_node_ip_address()} {ctx.get_node_id()[:8]} pid {os.getpid()}"
        self.control = BatchControl()  # set by the driver's cancel()

    def identity(self) -> tuple[str, str]:
        """(engine backend name, where this worker runs)."""
        return getattr(self.engine, "backend_name", type(self.engine).__name__), self.node

    def cancel(self) -> None:
        self.control.cancel()

    def run(self, plan: Destination, settings: EnhanceSettings, output: OutputOptions) -> Outcome:
        outcome = process_item(plan, self.engine, settings, output, self.control, threads=1)
        outcome.node = self.node
        return outcome

    def segment(self, plan: Destination, k: int, count: int, seconds: float,
                settings: EnhanceSettings, output: OutputOptions) -> Outcome:
        """Segment ``k`` of a split video (:mod:`app.core.jobs.video_split`)."""
        from app.core.jobs.video_split import enhance_segment

        return self._timed(plan, lambda: enhance_segment(
            plan.item.source, plan.target, k, count, seconds, self.engine, settings,
            output.video, self.control))

    def join(self, plan: Destination, count: int, settings: EnhanceSettings,
             output: OutputOptions) -> Outcome:
        """The segments into the output (tagged with the settings that made it, as a whole
        export is); status ``unsplit`` if they cannot be joined losslessly (the driver then
        enhances the video whole)."""
        from app.core.jobs.settings_record import made_with_text, settings_record
        from app.core.jobs.video_split import SplitError, join_segments

        made_with = made_with_text(settings_record(
            plan.edits.settings if plan.edits is not None else settings, plan.edits))
        return self._timed(plan, lambda: join_segments(plan.item.source, plan.target, count,
                                                       output.video, may_replace(output),
                                                       made_with),
                           SplitError)

    def _timed(self, plan: Destination, work: Callable[[], object],
               fallback: type[Exception] | None = None) -> Outcome:
        outcome = Outcome(str(plan.item.source), str(plan.target), "done", plan.reason,
                          node=self.node)
        start = time.perf_counter()
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - as the local batch: the file fails, not all
            unsplit = fallback is not None and isinstance(exc, fallback)
            outcome.status = "unsplit" if unsplit else "failed"
            outcome.reason = str(exc) or type(exc).__name__
        outcome.seconds = time.perf_counter() - start
        return outcome


def _leave_ctrl_c_to_the_driver() -> None:
    """A Ctrl+C in a terminal reaches every process of its group, the workers of a local
    cluster too: they ignore it, and the driver, which traps it, asks them to stop (instead
    of their dying mid-file and Ray restarting them to retry the file)."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread: not where signals land either
        pass
