"""The batch ledger: every file's outcome as it ends, the caller told, and the report made
and written from them. One for the local batch (:mod:`app.core.jobs.batch`) and the
cluster's (:mod:`app.core.jobs.cluster`), so both finish, cancel and report alike."""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from app.core.jobs.control import BatchControl
from app.core.jobs.destinations import Destination
from app.core.jobs.discovery import OutputOptions
from app.core.jobs.report import BatchReport, Outcome
from app.core.settings import EnhanceSettings

log = logging.getLogger(__name__)
ProgressFn = Callable[[int, int, Outcome], None]
EACH_PHOTO = "each photo's own settings"


class BatchLedger:
    """The outcomes by item index; ``on_file(index, total, outcome)`` as each one ends."""

    def __init__(self, total: int, control: BatchControl, on_file: ProgressFn | None = None):
        self.total, self.control, self.on_file = total, control, on_file
        self.done: dict[int, Outcome] = {}

    def __contains__(self, index: int) -> bool:
        return index in self.done

    def finish(self, index: int, outcome: Outcome) -> None:
        if outcome.status == "cancelled" and self.control.interrupted and not outcome.reason:
            outcome.reason = self.control.interrupt_reason
        self.done[index] = outcome
        if self.on_file:
            self.on_file(index, self.total, outcome)

    def cancel_rest(self, todo: list[tuple[int, Destination]],
                    written: Callable[[Destination], bool] = lambda _plan: False) -> None:
        """Every planned file without an outcome is cancelled, unless ``written`` says its
        output was written all the same (a cluster worker finishing as it was stopped)."""
        for i, plan in todo:
            if i in self.done:
                continue
            outcome = cancelled_outcome(plan, self.control)
            if written(plan):
                outcome.status, outcome.reason = "done", "finished while the batch was cancelled"
            self.finish(i, outcome)

    def report(self, backend: str, s: EnhanceSettings, output: OutputOptions,
               per_photo: bool, write: bool) -> BatchReport:
        """The report of what the ledger holds, written into the output folder if ``write``
        (and anything was asked of the batch)."""
        report = new_report(backend, s, output, per_photo)
        report.outcomes = [self.done[i] for i in sorted(self.done)]
        report.interrupted = self.control.interrupted
        if write and self.total:
            save_report(report, output)
        return report


def cancelled_outcome(plan: Destination, control: BatchControl) -> Outcome:
    return Outcome(str(plan.item.source), str(plan.target), "cancelled",
                   control.interrupt_reason if control.interrupted else "")


def new_report(backend: str, s: EnhanceSettings, output: OutputOptions,
               per_photo: bool = False) -> BatchReport:
    """The report's settings carry the window's and the CLI's names (strength, map_detail;
    not the engine's iterations and scale) and the output choices they go with; each file's
    own are in its row. A batch of each photo's own settings names no batch-wide ones."""
    chosen = {"settings": EACH_PHOTO} if per_photo else s.by_name()
    return BatchReport(backend=backend, settings={
        **chosen, "format": output.format, "quality": output.quality,
        "pattern": output.pattern, "video_codec": output.video.codec,
        "video_crf": output.video.quality})


def save_report(report: BatchReport, output: OutputOptions) -> None:
    try:
        report.write(Path(output.folder))
    except Exception as exc:  # noqa: BLE001 - the outcomes are still returned
        log.warning("could not write the batch report: %s", exc)
