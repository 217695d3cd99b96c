"""A few independent pieces of work spread over the cores, for the single-image path.

The caller runs the first piece itself and a shared pool runs the rest. Pool threads sleep
between jobs instead of spinning: OpenMP-style busy-waiting after a parallel region (numba's
default layer) stole the second core from the work that followed it and made the EFE net run
at half speed on 2 cores. The pieces must release the GIL (numba nogil kernels, onnxruntime,
OpenCV) and must not themselves wait on this pool.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
CORES = max(1, os.cpu_count() or 1)
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _shared_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max(1, CORES - 1), "lowlight-part")
        return _pool


def start(piece: Callable[[], T]) -> Future[T]:
    """One piece started on the shared pool, for a caller that does its own share in the
    meantime (it must not wait on a future that only the caller itself would complete
    after waiting for this one)."""
    return _shared_pool().submit(piece)


def run_all(pieces: list[Callable[[], T]]) -> list[T]:
    """Results of every piece, in order; the first runs in the calling thread."""
    if len(pieces) <= 1:
        return [piece() for piece in pieces]
    futures = [_shared_pool().submit(piece) for piece in pieces[1:]]
    first = pieces[0]()
    return [first, *(f.result() for f in futures)]


def split_range(start: int, stop: int, parts: int) -> list[tuple[int, int]]:
    """[start, stop) cut into ``parts`` contiguous, nearly equal, non-empty ranges."""
    parts = max(1, min(parts, stop - start))
    bounds = [start + (stop - start) * k // parts for k in range(parts + 1)]
    return list(zip(bounds[:-1], bounds[1:]))
