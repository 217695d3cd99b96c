"""Logging to a file in the user's log folder (windowed builds have no stdout/stderr)."""
from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path

from app.paths import log_dir


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to <log dir>/lowlight-studio.log (and stderr when there is one); returns the path."""
    handlers: list[logging.Handler] = []
    path: Path | None = log_dir() / "lowlight-studio.log"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(RotatingFileHandler(path, maxBytes=2_000_000, backupCount=2,
                                            encoding="utf-8"))
    except OSError:
        path = None
    if sys.stderr is not None:
        handlers.append(logging.StreamHandler(sys.stderr))
    logging.basicConfig(level=level, handlers=handlers, force=True,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    return path
