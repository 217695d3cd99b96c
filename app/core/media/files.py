"""Only regular files are read: a named pipe blocks its reader forever, a device (or a link to
/dev/zero) never ends, a socket cannot be opened. These are told by ``stat`` before anything
is opened, and a file is opened without blocking and checked again on its open descriptor, so
one swapped for a pipe in between is still refused instead of hanging the batch."""
from __future__ import annotations

import os
import stat
from typing import BinaryIO

_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISDIR, "a folder"))
NOT_REGULAR = "not a regular file"


class NotRegularFile(OSError):
    """The path is a pipe, socket, device or folder: never opened for reading."""


def kind_problem(mode: int) -> str:
    """"" for a regular file, else "not a regular file (a named pipe)" and so on."""
    if stat.S_ISREG(mode):
        return ""
    kind = next((name for test, name in _KINDS if test(mode)), "an unknown kind of file")
    return f"{NOT_REGULAR} ({kind})"


def regular_problem(path: str | os.PathLike) -> str:
    """Why ``path`` (links followed) is no regular file, or "" (also when it cannot be
    stat'ed: the caller's open says why)."""
    try:
        return kind_problem(os.stat(path).st_mode)
    except (OSError, ValueError):
        return ""


def is_regular(path: str | os.PathLike) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def open_regular(path: str | os.PathLike) -> BinaryIO:
    """``path`` opened for binary reading; NotRegularFile (an OSError) if it is not a regular
    file. Never blocks: opening a pipe without a writer would."""
    problem = regular_problem(path)
    if problem:
        raise NotRegularFile(problem)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    try:
        problem = kind_problem(os.fstat(fd).st_mode)
        if problem:
            raise NotRegularFile(problem)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
