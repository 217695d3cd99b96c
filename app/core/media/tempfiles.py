"""Temporary files beside an output, renamed over it when complete, and the clean-up of the
ones a killed run left behind.

Every temporary name is ``.{output name}.lowlight-XXXXXXXX.part`` (a distinctive pattern, so
the clean-up can never mistake someone else's file for ours). On POSIX the writer holds an
exclusive ``flock`` on its temporary file until it is renamed: the kernel drops the lock when
the process dies, even by kill -9, so a file matching the pattern whose lock can be taken is a
leftover. Without ``flock`` (Windows, where an open file cannot be deleted anyway) only files
untouched for ten minutes count as leftovers.
"""
from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger(__name__)
TEMP_MARK = ".lowlight-"
TEMP_SUFFIX = ".part"
# mkstemp's random part: 8 characters of [a-z0-9_]
TEMP_NAME = re.compile(r"^\..+" + re.escape(TEMP_MARK) + r"[a-z0-9_]{8}" + re.escape(TEMP_SUFFIX)
                       + "$", re.DOTALL)
# A file this fresh may belong to a writer that has created it but not locked it yet.
MIN_AGE_LOCKED = 2.0
MIN_AGE_UNLOCKABLE = 600.0  # seconds, where locks do not exist


def is_temp_name(name: str) -> bool:
    return bool(TEMP_NAME.match(name))


def _short(name: str, limit: int = 120) -> str:
    """The output name cut to ``limit`` bytes, so the temporary name fits in 255 bytes."""
    return os.fsdecode(os.fsencode(name)[:limit])


class TempFile:
    """A locked temporary file beside ``target``; ``commit`` renames it over the target,
    ``discard`` removes it. ``fd`` is open for writing; others may write ``path`` too."""

    def __init__(self, target: str | os.PathLike):
        self.target = Path(target)
        fd, name = tempfile.mkstemp(prefix=f".{_short(self.target.name)}{TEMP_MARK}",
                                    suffix=TEMP_SUFFIX, dir=self.target.parent)
        self.fd: int | None = fd
        self.path = Path(name)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)

    def _close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def commit(self, mode: int) -> Path:
        os.chmod(self.path, mode)
        if os.name == "nt":  # Windows cannot rename an open file
            self._close()
        os.replace(self.path, self.target)  # still locked here on POSIX: never a leftover
        self._close()
        return self.target

    def discard(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)


def remove_stale_temps(folder: str | os.PathLike) -> list[Path]:
    """Delete this project's leftover temporary files in ``folder`` (not below it); never
    anything else, never a file a live writer holds. Returns what was removed."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not is_temp_name(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if _stale(Path(entry.path), age):
                removed.append(Path(entry.path))
        except OSError as exc:
            log.debug("left %s: %s", entry.path, exc)
    if removed:
        log.info("removed %d leftover temporary file(s) in %s", len(removed), folder)
    return removed


def _stale(path: Path, age: float) -> bool:
    """Remove ``path`` if no live process writes it; True when removed."""
    if fcntl is None:
        if age < MIN_AGE_UNLOCKABLE:
            return False
        path.unlink()
        return True
    if age < MIN_AGE_LOCKED:
        return False
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a writer is alive
        path.unlink()
        return True
    finally:
        os.close(fd)
