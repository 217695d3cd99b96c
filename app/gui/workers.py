"""The engine's thread: a worker object in a QThread, latest-request-wins.

The window posts requests with :meth:`EngineClient.request`; only the newest pending request is
run (slider drags are coalesced), every result carries its request id, and the window ignores a
result older than the one it shows. Full-resolution jobs report progress and can be cancelled.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core import Cancelled
from app.core.settings import EnhanceSettings

log = logging.getLogger(__name__)


@dataclass
class Request:
    id: int
    image: np.ndarray
    settings: EnhanceSettings
    full: bool = False  # full resolution (save) rather than a preview
    cancel: threading.Event = field(default_factory=threading.Event)


@dataclass
class Reply:
    id: int
    full: bool
    image: np.ndarray
    gain: np.ndarray | None  # low-res map of the brightening in stops (scaled up smoothly)
    backend: str
    seconds: float


class EngineWorker(QObject):
    """Lives in the engine thread; loads the model lazily on first use."""

    finished = Signal(object)  # Reply
    failed = Signal(int, str)  # request id, message
    progress = Signal(int, float)  # request id, fraction
    ready = Signal(str)  # backend name, once the model is loaded

    def __init__(self, enhancer_factory):
        super().__init__()
        self._factory = enhancer_factory
        self._enhancer = None
        self._lock = threading.Lock()
        self._pending: dict[bool, Request] = {}  # newest preview and newest full job

    def post(self, request: Request) -> None:
        """Called from the GUI thread: replace whatever of the same kind was waiting."""
        with self._lock:
            old = self._pending.get(request.full)
            if old is not None:
                old.cancel.set()
            self._pending[request.full] = request

    def _take(self) -> Request | None:
        with self._lock:
            for kind in (False, True):  # previews first: they are quick
                if kind in self._pending:
                    return self._pending.pop(kind)
            return None

    @Slot()
    def warm_up(self) -> None:
        try:
            self._engine()
        except Exception as exc:  # noqa: BLE001 - shown to the user
            self.failed.emit(-1, f"could not load the model: {exc}")

    def _engine(self):
        if self._enhancer is None:
            self._enhancer = self._factory()
            self.ready.emit(self._enhancer.backend_name)
        return self._enhancer

    @Slot()
    def run_pending(self) -> None:
        req = self._take()
        if req is None:
            return  # a newer call already took it
        try:
            engine = self._engine()
            s = req.settings

            def on_progress(fraction: float) -> None:
                if req.cancel.is_set():
                    raise Cancelled()
                if req.full:
                    self.progress.emit(req.id, fraction)

            start = time.perf_counter()
            result = engine.enhance(req.image, s, progress=on_progress)
            gain = None if req.full else result.gain_small  # the heatmap is drawn small
            self.finished.emit(Reply(req.id, req.full, result.image, gain,
                                     result.backend, time.perf_counter() - start))
        except Cancelled:
            self.failed.emit(req.id, "cancelled")
        except MemoryError:
            self.failed.emit(req.id, "out of memory: the image is too large for this machine")
        except Exception as exc:  # noqa: BLE001 - the app keeps running
            log.error("enhancement failed:\n%s", traceback.format_exc())
            self.failed.emit(req.id, str(exc) or type(exc).__name__)


class EngineClient(QObject):
    """GUI-side handle: owns the thread, hands out request ids."""

    _kick = Signal()
    _warm = Signal()

    def __init__(self, enhancer_factory, parent: QObject | None = None):
        super().__init__(parent)
        self._next_id = 0
        self.thread = QThread()
        self.thread.setObjectName("engine")
        self.worker = EngineWorker(enhancer_factory)
        self.worker.moveToThread(self.thread)
        self._kick.connect(self.worker.run_pending)
        self._warm.connect(self.worker.warm_up)
        self.thread.start()
        self._warm.emit()

    def request(self, image: np.ndarray, settings: EnhanceSettings, full: bool = False
                ) -> Request:
        self._next_id += 1
        req = Request(self._next_id, image, settings, full)
        self.worker.post(req)
        self._kick.emit()
        return req

    def shutdown(self) -> None:
        while (pending := self.worker._take()) is not None:
            pending.cancel.set()
        self.thread.quit()
        self.thread.wait(10_000)
