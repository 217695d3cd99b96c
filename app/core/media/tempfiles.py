"""Temporary files beside an output, renamed over it when complete, and the clean-up of the
ones a killed run left behind.

Every temporary name is ``.{output name}.lowlight-XXXXXXXX.part`` (a distinctive pattern, so
the clean-up can never mistake someone else's file for ours). On POSIX the writer holds an
exclusive ``flock`` on its temporary file until it is renamed: the kernel drops the lock when
the process dies, even by kill -9, so a file matching the pattern whose lock can be taken is a
leftover. Without ``flock`` (Windows, where an open file cannot be deleted anyway) only files
untouched for ten minutes count as leftovers. A writer may also use a fixed tag in place of the
random part (the parts of a video split across a cluster: ``.NAME.lowlight-seg00003.part``),
so that what a killed run left is swept by the same rules.
"""
from __future__ import annotations

import errno
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Collection
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

log = logging.getLogger(__name__)
TEMP_MARK = ".lowlight-"
TEMP_SUFFIX = ".part"
# mkstemp's random part: 8 characters of [a-z0-9_]
TEMP_TAG = r"[a-z0-9_]{8}"
TEMP_NAME = re.compile(r"^\..+" + re.escape(TEMP_MARK) + TEMP_TAG + re.escape(TEMP_SUFFIX)
                       + "$", re.DOTALL)
# A file this fresh may belong to a writer that has created it but not locked it yet.
MIN_AGE_LOCKED = 2.0
MIN_AGE_UNLOCKABLE = 600.0  # seconds, where locks do not exist
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK,
                  errno.ENOSYS}


class TargetExists(FileExistsError):
    """The output's name was taken by a file that is not to be replaced."""

    def __init__(self, target: Path):
        super().__init__(errno.EEXIST, f"{target.name} appeared in the output folder while "
                         "the batch ran and was not written by Lowlight Studio: it is left as "
                         "it is (run again to save under a free name)", str(target))

    def __str__(self) -> str:
        return self.strerror


def is_temp_name(name: str) -> bool:
    return bool(TEMP_NAME.match(name))


def _short(name: str, limit: int = 120) -> str:
    """The output name cut to ``limit`` bytes, so the temporary name fits in 255 bytes."""
    return os.fsdecode(os.fsencode(name)[:limit])


def temp_owner(name: str) -> str:
    """The output name (shortened as in the temporary name) a temporary file belongs to."""
    return name[1:-len(TEMP_MARK + "12345678" + TEMP_SUFFIX)]


def tagged_path(target: str | os.PathLike, tag: str) -> Path:
    """The temporary name of ``target`` with ``tag`` (8 of [a-z0-9_]) as its random part."""
    if not re.fullmatch(TEMP_TAG, tag):
        raise ValueError(f"a temporary file's tag is 8 of [a-z0-9_], got {tag!r}")
    target = Path(target)
    return target.with_name(f".{_short(target.name)}{TEMP_MARK}{tag}{TEMP_SUFFIX}")


class TempFile:
    """A locked temporary file beside ``target``; ``commit`` renames it over the target,
    ``discard`` removes it, ``close`` only unlocks it (a finished part others will read).
    ``fd`` is open for writing; others may write ``path`` too. ``tag``: a fixed name
    (:func:`tagged_path`) instead of a random one, emptied if it exists."""

    def __init__(self, target: str | os.PathLike, tag: str | None = None):
        self.target = Path(target)
        if tag is None:
            fd, name = tempfile.mkstemp(prefix=f".{_short(self.target.name)}{TEMP_MARK}",
                                        suffix=TEMP_SUFFIX, dir=self.target.parent)
        else:
            name = str(tagged_path(self.target, tag))
            fd = os.open(name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
        self.fd: int | None = fd
        self.path = Path(name)
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        if tag is not None:
            os.ftruncate(fd, 0)  # emptied only once ours: never under a live writer

    def _close(self) -> None:
        if self.fd is not None:
            fd, self.fd = self.fd, None
            os.close(fd)

    def close(self) -> Path:
        """Unlock and keep the file (it is complete, and swept as a leftover if nobody
        takes it)."""
        self._close()
        return self.path

    def commit(self, mode: int, replace: bool | Callable[[Path], bool] = True) -> Path:
        """Rename the complete file to the target. ``replace``: True replaces whatever is
        there; False creates the target only if nothing is there (TargetExists otherwise), as
        does a predicate, which may allow replacing an existing target it approves of."""
        os.chmod(self.path, mode)
        if os.name == "nt":  # Windows cannot rename an open file
            self._close()
        if replace is True:
            os.replace(self.path, self.target)  # still locked here on POSIX: never a leftover
        elif not self._create_target():
            if not (callable(replace) and replace(self.target)):
                raise TargetExists(self.target)
            os.replace(self.path, self.target)
        self._close()
        return self.target

    def _create_target(self) -> bool:
        """Give the file the target's name only if that name is free (False if taken): a
        file that appeared there after the batch was planned is never replaced."""
        if os.name == "nt":
            try:
                os.rename(self.path, self.target)  # Windows never renames over a file
            except FileExistsError:
                return False
            return True
        try:
            os.link(self.path, self.target)  # atomic: fails if the name exists
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            if os.path.lexists(self.target):  # a disk without hard links (FAT, some shares)
                return False
            os.replace(self.path, self.target)
            return True
        os.unlink(self.path)
        return True

    def discard(self) -> None:
        self._close()
        self.path.unlink(missing_ok=True)


def remove_stale_temps(folder: str | os.PathLike, outputs: Collection[str] | None = None,
                       min_age: float | None = None) -> list[Path]:
    """Delete this project's leftover temporary files in ``folder`` (not below it); never
    anything else, never a file a live writer holds. Returns what was removed.

    ``outputs``: only the temporary files of these output names. ``min_age``: seconds a file
    must be untouched (default MIN_AGE_LOCKED, or MIN_AGE_UNLOCKABLE without locks), lower
    for a caller that knows the writers of ``outputs`` are gone (a cluster batch whose workers
    were killed)."""
    owners = None if outputs is None else {_short(name) for name in outputs}
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not is_temp_name(entry.name) or (owners is not None
                                            and temp_owner(entry.name) not in owners):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            if _stale(Path(entry.path), age, min_age):
                removed.append(Path(entry.path))
        except OSError as exc:
            log.debug("left %s: %s", entry.path, exc)
    if removed:
        log.info("removed %d leftover temporary file(s) in %s", len(removed), folder)
    return removed


def temps_of(folder: str | os.PathLike, outputs: Collection[str]) -> list[Path]:
    """This project's temporary files in ``folder`` that belong to the output names
    ``outputs``, live or left over."""
    owners = {_short(name) for name in outputs}
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    return [Path(folder, n) for n in names if is_temp_name(n) and temp_owner(n) in owners]


def _stale(path: Path, age: float, min_age: float | None = None) -> bool:
    """Remove ``path`` if no live process writes it; True when removed."""
    if fcntl is None:
        if age < (MIN_AGE_UNLOCKABLE if min_age is None else min_age):
            return False
        path.unlink()
        return True
    if age < (MIN_AGE_LOCKED if min_age is None else min_age):
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
