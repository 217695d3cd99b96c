"""The batch's thread: the engine's run_batch with its callbacks turned into Qt signals, the
videos' lengths measured for the time left, and each finished photo's before/after made."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot

from app.core import BatchReport, Outcome, is_video, probe, run_batch
from app.gui.batch_thumbs import before_after


def video_frames(items) -> dict[int, int]:
    """Index -> frames of each video still to enhance (0 when its header does not say)."""
    frames = {}
    for i, item in enumerate(items):
        if not item.status and is_video(item.source):
            try:
                frames[i] = probe(item.source).frames
            except Exception:  # noqa: BLE001 - the batch names what is wrong with it
                frames[i] = 0
    return frames


class BatchWorker(QObject):
    planned = Signal(object)  # {index: frames} of the videos, before the first file
    started_file = Signal(int)
    file_done = Signal(int, object, object)  # index, Outcome, before/after QImage or None
    video_progress = Signal(int, int, float)  # frames done, total, fps (current file)
    finished = Signal(object)  # BatchReport

    def __init__(self, items, settings, output, control, enhancer_factory, settings_for=None):
        super().__init__()
        self.items, self.settings, self.output = items, settings, output
        self.control, self.factory, self.settings_for = control, enhancer_factory, settings_for

    def _file_done(self, index: int, outcome: Outcome) -> None:
        thumb = None
        if outcome.status == "done" and not is_video(self.items[index].source):
            thumb = before_after(self.items[index].source, outcome.output)
        self.file_done.emit(index, outcome, thumb)

    @Slot()
    def run(self) -> None:
        try:
            self.planned.emit(video_frames(self.items))
            engine = self.factory()
            report = run_batch(self.items, engine, self.settings, self.output,
                               on_file=lambda i, _n, o: self._file_done(i, o),
                               control=self.control,
                               on_start=lambda i, _item: self.started_file.emit(i),
                               on_video_progress=lambda d, t, f: self.video_progress.emit(
                                   d, t, f),
                               settings_for=self.settings_for)
        except Exception as exc:  # noqa: BLE001 - reported in the panel
            report = BatchReport(outcomes=[Outcome(str(it.source), "", "failed", str(exc))
                                           for it in self.items])
        self.finished.emit(report)
