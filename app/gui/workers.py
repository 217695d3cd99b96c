"""The engine's thread: a worker object in a QThread, latest-request-wins.

The window posts requests with :meth:`EngineClient.request`; only the newest pending request of
each kind is run (slider drags are coalesced), every result carries its request id and goes
to the callbacks its request was made with, and the session's ledger of requests in flight
(app.session.requests) says whether it is stale. Three kinds:

- preview: a copy of fixed size is planned, and the plan rendered on the copy the view
  shows (as many pixels as are displayed: fast, live);
- detail: the visible rows and columns of the full-resolution photo (the 100% view);
- full: the whole photo, for saving; its ``finish`` (writing the file) runs here too, so the
  window stays responsive and its progress dialog keeps moving while a big PNG is encoded.

Detail and full requests share one plan per photo and settings (made on the whole photo and
cached), so the 100% view shows exactly the pixels the saved file gets.
"""
from __future__ import annotations

import logging
import threading
import time
import traceback
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.core import Cancelled
from app.core.settings import EnhanceSettings
from app.gui.histogram import summary

log = logging.getLogger(__name__)
PREVIEW, DETAIL, FULL = "preview", "detail", "full"
WRITING = -1.0  # progress value: the pixels are done, the file is being written


@dataclass
class Request:
    id: int
    image: np.ndarray
    settings: EnhanceSettings
    kind: str = PREVIEW
    region: tuple[int, int, int, int] | None = None  # detail: top, bottom, left, right
    finish: Callable[[np.ndarray], object] | None = None  # full: run here on the result
    shown: np.ndarray | None = None  # preview: the pixels to render (default: image)
    original: np.ndarray | None = None  # preview: the full photo, whose noise sets Auto's cap
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def full(self) -> bool:
        return self.kind == FULL


@dataclass
class Reply:
    id: int
    kind: str
    image: np.ndarray
    gain: np.ndarray | None  # preview: low-res map of the brightening in stops
    backend: str
    seconds: float
    factor: np.ndarray | None = None  # preview: the net's raw factor map, low-res
    region: tuple[int, int, int, int] | None = None  # detail: where the pixels belong
    settings: EnhanceSettings | None = None
    note: str = ""  # preview: why the exposure is not what was asked for

    @property
    def full(self) -> bool:
        return self.kind == FULL


KEEP_PHOTOS = 4  # photos whose analyses are kept (as app.session.photo_cache keeps them)


def _kept(entries: list, array: np.ndarray, make):
    """``make(array)``, remembered in ``entries`` (newest last) by the array's identity.
    Held by weak reference: a photo the window let go is not kept alive by its analysis."""
    entries[:] = [(ref, value) for ref, value in entries if ref() is not None]
    for i, (ref, value) in enumerate(entries):
        if ref() is array:
            entries.append(entries.pop(i))
            return value
    value = make(array)
    entries.append((weakref.ref(array), value))
    del entries[:-KEEP_PHOTOS]
    return value


class EngineWorker(QObject):
    """Lives in the engine thread; loads the model lazily on first use."""

    finished = Signal(object)  # Reply
    failed = Signal(int, str)  # request id, message
    progress = Signal(int, float)  # request id, fraction (or WRITING)
    histogram = Signal(int, object)  # preview id, histogram.summary() of its pixels
    ready = Signal(str)  # backend name, once the model is loaded

    def __init__(self, enhancer_factory):
        super().__init__()
        self._factory = enhancer_factory
        self._enhancer = None
        self._lock = threading.Lock()
        self._pending: dict[str, Request] = {}  # the newest request of each kind
        self._running: Request | None = None
        self._plan_cache: tuple[np.ndarray, EnhanceSettings, object] | None = None
        # role -> [(weakref to an array, its noise or analysis)], newest last: the window's
        # arrays are never changed in place (a new photo is a new array), so holding the
        # value per array is safe; the last few photos' are kept, so going back to one
        # re-plans at once
        self._noise_cache: dict[str, list[tuple[np.ndarray, float]]] = {}
        self._analysis_cache: dict[str, list[tuple[np.ndarray, object]]] = {}

    def post(self, request: Request) -> None:
        """Called from the GUI thread: replace whatever of the same kind was waiting; a new
        detail request also stops the one being rendered (the view has moved on)."""
        with self._lock:
            old = self._pending.get(request.kind)
            if old is not None:
                old.cancel.set()
            running = self._running
            if request.kind == DETAIL and running is not None and running.kind == DETAIL:
                running.cancel.set()
            self._pending[request.kind] = request

    def _take(self) -> Request | None:
        with self._lock:
            for kind in (PREVIEW, DETAIL, FULL):  # quick ones first
                if kind in self._pending:
                    self._running = self._pending.pop(kind)
                    return self._running
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

    def plan_for(self, image: np.ndarray, settings: EnhanceSettings):
        """The whole photo's plan for these settings, made once (the 100% view asks for
        many regions, and the save for the rest, with the same plan)."""
        settings = settings.validated()
        cached = self._plan_cache
        if cached is not None and cached[0] is image and cached[1] == settings:
            return cached[2]
        self._plan_cache = None  # let the old photo go before planning the new one
        plan = self._engine().plan_image(image, settings,
                                         analysis=self._analysis_of("photo", image))
        self._plan_cache = (image, settings, plan)
        return plan

    def _noise_of(self, role: str, pixels: np.ndarray) -> float:
        """The noise of an image, measured once while the same array comes back in this
        ``role``: "photo", the full photo (Auto caps the gain by it, so the preview, planned
        on a smaller and less noisy copy, is as bright as the saved file), or "shown", the
        displayed copy every slider move renders."""
        return _kept(self._noise_cache.setdefault(role, []), pixels, self._engine().noise_of)

    def _analysis_of(self, role: str, image: np.ndarray):
        """The engine's analysis of an image (noise, samples, colour model), found once while
        the same array comes back in this ``role`` ("photo": the full photo the 100% view and
        the save plan; "preview": the fixed-size copy every slider move re-plans)."""
        return _kept(self._analysis_cache.setdefault(role, []), image,
                     self._engine().analyse_image)

    def _preview(self, req: Request, on_progress) -> tuple[np.ndarray, object]:
        """Plan the fixed-size copy; render the plan on the displayed copy, denoising for
        that copy's own noise (it is smaller, so less noisy; the old preview, rendered on
        the copy it measured, did the same)."""
        engine = self._engine()
        photo_noise = None if req.original is None else self._noise_of("photo", req.original)
        plan = engine.plan_image(req.image, req.settings, noise=photo_noise,
                                 analysis=self._analysis_of("preview", req.image))
        pixels = req.image if req.shown is None else req.shown
        if pixels is not req.image:
            plan = replace(plan, sigma=self._noise_of("shown", pixels))
        return engine.render_image(pixels, plan, progress=on_progress), plan

    def _run(self, req: Request, on_progress) -> Reply:
        engine = self._engine()
        start = time.perf_counter()
        if req.kind == PREVIEW:
            image, plan = self._preview(req, on_progress)
            return Reply(req.id, req.kind, image, plan.gain_small, engine.backend_name,
                         time.perf_counter() - start, factor=engine.factor_map(req.image, plan),
                         settings=req.settings, note=engine.exposure_note(plan, req.settings))
        plan = self.plan_for(req.image, req.settings)
        if req.kind == DETAIL:
            top, bottom, left, right = req.region
            rows = engine.render_rows(req.image, plan, top, bottom, progress=on_progress)
            image = np.ascontiguousarray(rows[:, left:right])
        else:
            image = engine.render_image(req.image, plan, progress=on_progress)
            if req.finish is not None:
                self.progress.emit(req.id, WRITING)
                req.finish(image)
        return Reply(req.id, req.kind, image, None, engine.backend_name,
                     time.perf_counter() - start, region=req.region, settings=req.settings)

    @Slot()
    def run_pending(self) -> None:
        req = self._take()
        if req is None:
            return  # a newer call already took it

        def on_progress(fraction: float) -> None:
            if req.cancel.is_set():
                raise Cancelled()
            if req.full:
                self.progress.emit(req.id, fraction)

        try:
            reply = self._run(req, on_progress)
            self.finished.emit(reply)
            with self._lock:
                newer = PREVIEW in self._pending
            if req.kind == PREVIEW and not newer:  # skipped mid-drag: the next one has it
                self.histogram.emit(req.id, summary(reply.image))
        except Cancelled:
            self.failed.emit(req.id, "cancelled")
        except MemoryError:
            self.failed.emit(req.id, "out of memory: the image is too large for this machine")
        except Exception as exc:  # noqa: BLE001 - the app keeps running
            log.error("enhancement failed:\n%s", traceback.format_exc())
            self.failed.emit(req.id, str(exc) or type(exc).__name__)
        finally:
            with self._lock:
                self._running = None


class EngineClient(QObject):
    """GUI-side handle: owns the thread, hands out request ids, and gives each reply (or
    failure) to the callbacks its request was made with, in the GUI thread."""

    _kick = Signal()
    _warm = Signal()
    trouble = Signal(str)  # a failure no request asked about (the model did not load)

    def __init__(self, enhancer_factory, parent: QObject | None = None):
        super().__init__(parent)
        self._next_id = 0
        self.thread = QThread()
        self.thread.setObjectName("engine")
        self.worker = EngineWorker(enhancer_factory)
        self.worker.moveToThread(self.thread)
        self._kick.connect(self.worker.run_pending)
        self._warm.connect(self.worker.warm_up)
        # id -> (kind, on_reply, on_failure) of the requests still to be answered
        self.waiting: dict[int, tuple[str, Callable | None, Callable | None]] = {}
        self.worker.finished.connect(self._replied)
        self.worker.failed.connect(self._failed)
        self.thread.start()
        self._warm.emit()

    def _answered(self, request_id: int) -> tuple[Callable | None, Callable | None]:
        """The callbacks of ``request_id``, forgotten with those of older requests of its
        kind: the worker answers each kind in order and drops a pending request a newer
        one replaced without a word, so theirs would never be called."""
        kind, on_reply, on_failure = self.waiting.pop(request_id, (None, None, None))
        for old in [i for i, (k, _, _) in self.waiting.items() if k == kind and i < request_id]:
            del self.waiting[old]
        return on_reply, on_failure

    def _replied(self, reply: Reply) -> None:
        on_reply, _ = self._answered(reply.id)
        if on_reply is not None:
            on_reply(reply)

    def _failed(self, request_id: int, message: str) -> None:
        known = request_id in self.waiting
        _, on_failure = self._answered(request_id)
        if on_failure is not None:
            on_failure(message)
        elif not known and message != "cancelled":
            self.trouble.emit(message)

    def new_id(self) -> int:
        """The next id: a request's, or a video frame's shown without the engine (one
        counter, so whatever is newer on screen has the larger id)."""
        self._next_id += 1
        return self._next_id

    def request(self, image: np.ndarray, settings: EnhanceSettings, kind: str = PREVIEW,
                region: tuple[int, int, int, int] | None = None,
                finish: Callable[[np.ndarray], object] | None = None,
                shown: np.ndarray | None = None, original: np.ndarray | None = None,
                on_reply: Callable[[Reply], object] | None = None,
                on_failure: Callable[[str], object] | None = None) -> Request:
        """Post a request; ``on_reply(reply)`` or ``on_failure(message)`` ("cancelled" when
        it was stopped) is called in the GUI thread when it is answered."""
        req = Request(self.new_id(), image, settings, kind, region, finish, shown=shown,
                      original=original)
        self.waiting[req.id] = (kind, on_reply, on_failure)
        self.worker.post(req)
        self._kick.emit()
        return req

    def shutdown(self) -> None:
        with self.worker._lock:
            running = self.worker._running
        if running is not None:
            running.cancel.set()
        while (pending := self.worker._take()) is not None:
            pending.cancel.set()
        self.thread.quit()
        self.thread.wait(10_000)
