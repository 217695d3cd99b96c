"""One batch at a time per output folder. Two batches planning the same names into one folder
would each see the other's outputs appear, claim them as their own and report the same files
done: the second batch is refused up front, by name, instead.

The lock is an exclusive ``flock`` on ``.lowlight-batch.lock`` in the output folder, held from
the plan to the report; the kernel drops it when the process dies, even by kill -9, so a
killed batch never blocks the next one. The file names who holds it, for the message, and is
removed when the batch ends. (Without ``flock``, on Windows, and in a folder that cannot be
written to, where every file's write fails by name anyway, no lock is taken.)
"""
from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LOCK_NAME = ".lowlight-batch.lock"


class OutputBusy(RuntimeError):
    """Another batch is writing into the output folder."""


@contextmanager
def output_folder_lock(folder: str | os.PathLike) -> Iterator[None]:
    """Hold the output folder's batch lock (creating the folder); OutputBusy if another
    batch holds it."""
    folder = Path(folder)
    path = folder / LOCK_NAME
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = _acquire(path, folder) if fcntl is not None else None
    except OSError:  # a folder nobody can write to: each file's write will say why
        fd = None
    if fd is None:
        yield
        return
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        yield
    finally:
        try:
            os.unlink(path)  # while still locked: nobody can hold a lock on a removed name
        except OSError:
            pass
        os.close(fd)


def _acquire(path: Path, folder: Path) -> int:
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise OutputBusy(f"another Lowlight Studio batch is writing into {folder}"
                             + (f" ({holder})" if holder else "")
                             + "; wait for it to finish or choose another output folder") \
                from None
        except BaseException:
            os.close(fd)
            raise
        try:  # the holder before us may have removed the name between our open and lock
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if same:
            return fd
        os.close(fd)


def _read(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
