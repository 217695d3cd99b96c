"""What one cluster worker process holds and runs: an engine, loaded once, and the local
batch's own per-file function. Plain Python; :mod:`app.core.jobs.cluster` makes it a Ray actor
(Ray is imported here only inside the methods, which run in a Ray worker)."""
from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from app.core.jobs.batch import process_item
from app.core.jobs.control import BatchControl
from app.core.jobs.discovery import BatchItem, OutputOptions
from app.core.jobs.report import Outcome
from app.core.settings import EnhanceSettings


class ClusterWorker:
    """One engine per worker process (``make_engine()`` once, e.g. ``Enhancer(threads=1)``);
    ``run`` enhances one planned file exactly as the local batch does."""

    def __init__(self, make_engine):
        import ray

        self.engine = make_engine()
        ctx = ray.get_runtime_context()
        self.node = f"{ray.util.get_node_ip_address()} {ctx.get_node_id()[:8]} pid {os.getpid()}"
        self.control = BatchControl()  # cancelling is the driver's job (it kills the actor)

    def identity(self) -> tuple[str, str]:
        """(engine backend name, where this worker runs)."""
        return getattr(self.engine, "backend_name", type(self.engine).__name__), self.node

    def run(self, item: BatchItem, target: Path, settings: EnhanceSettings,
            output: OutputOptions) -> Outcome:
        # A retry after a killed attempt: that attempt's temporary files are orphans now.
        remove_partials(target, output.save_factor)
        outcome = process_item(item, target, self.engine, settings, output, self.control,
                               threads=1)
        outcome.node = self.node
        return outcome

    def segment(self, item: BatchItem, target: Path, k: int, count: int, seconds: float,
                settings: EnhanceSettings, output: OutputOptions) -> Outcome:
        """Segment ``k`` of a split video (:mod:`app.core.jobs.video_split`)."""
        from app.core.jobs.video_split import enhance_segment

        return self._timed(item, target, lambda: enhance_segment(
            item.source, target, k, count, seconds, self.engine, settings, output.video,
            self.control))

    def join(self, item: BatchItem, target: Path, count: int, output: OutputOptions
             ) -> Outcome:
        """The segments into the output; status ``unsplit`` if they cannot be joined
        losslessly (the driver then enhances the video whole)."""
        from app.core.jobs.video_split import SplitError, join_segments

        remove_partials(target)
        outcome = self._timed(item, target, lambda: join_segments(item.source, target, count,
                                                                  output.video), SplitError)
        return outcome

    def _timed(self, item: BatchItem, target: Path, work: Callable[[], object],
               fallback: type[Exception] | None = None) -> Outcome:
        outcome = Outcome(str(item.source), str(target), "done", node=self.node)
        start = time.perf_counter()
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - as the local batch: the file fails, not all
            unsplit = fallback is not None and isinstance(exc, fallback)
            outcome.status = "unsplit" if unsplit else "failed"
            outcome.reason = str(exc) or type(exc).__name__
        outcome.seconds = time.perf_counter() - start
        return outcome


def remove_partials(target: Path, save_factor: bool = False) -> int:
    """Delete the temporary files a killed writer of ``target`` left behind (atomic writes
    name them ``.STEM.XXXXXXXX.part``, video exports ``.STEM.XXXXXXXX.SUFFIX``)."""
    removed = 0
    stems = [target.stem] + ([target.stem + "_factor"] if save_factor else [])
    try:
        names = os.listdir(target.parent)
    except OSError:
        return 0
    for stem in stems:
        pattern = re.compile(rf"\.{re.escape(stem)}\.[a-z0-9_]{{8}}"
                             rf"(\.part|{re.escape(target.suffix)})")
        for name in names:
            if pattern.fullmatch(name):
                try:
                    (target.parent / name).unlink()
                    removed += 1
                except OSError:
                    pass
    return removed
