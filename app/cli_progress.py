"""The command line's progress: a bar on a terminal, plain lines in a log.

On a terminal, a bar of files (and one of frames while a video runs), with failures,
warnings and (``--verbose``) every file written above it. Anywhere else (a pipe, a log file,
cron) bars would be redraws full of carriage returns: each file is one plain line instead,
``[3/120] done: a.jpg -> out/a_enhanced.jpg``.
"""
from __future__ import annotations

import sys

from app.core.jobs.destinations import CHANGED
from app.core.jobs.report import Outcome, printable


class CliProgress:
    def __init__(self, total: int, verbose: bool, show: bool = True, stream=None):
        from tqdm import tqdm

        self.stream = stream or sys.stderr
        self.total, self.verbose, self.count = total, verbose, 0
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.changed = 0  # outputs skipped because other settings made them
        self.bar = tqdm(total=total, unit="img", disable=not (show and self.tty),
                        file=self.stream)
        self.frames = None
        self.lines = show and not self.tty

    def write(self, line: str) -> None:
        if self.tty:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def on_file(self, _index: int, _total: int, outcome: Outcome) -> None:
        self.count += 1
        self.bar.update(1)
        if outcome.status == "skipped" and CHANGED in outcome.reason:
            self.changed += 1
        line = self.line(outcome)
        if line and self.lines:
            line = f"[{self.count}/{self.total}] {line}"
        elif not line and self.lines:
            line = f"[{self.count}/{self.total}] {outcome.status}: {printable(outcome.source)}"
        if line:
            self.write(line)

    def line(self, outcome: Outcome) -> str:
        """What a file's end says above the bar, or "" (a plain done or skip)."""
        source, reason = printable(outcome.source), printable(outcome.reason)
        if outcome.status == "failed":
            return f"failed: {source}: {reason}"
        if outcome.status == "done" and outcome.reason:
            return f"warning: {source}: {reason}"
        if outcome.status == "skipped" and (self.verbose or not outcome.reason.startswith(
                "output exists")):
            return f"skipped: {source}: {reason}"
        if self.verbose:
            return f"{outcome.status}: {source} -> {printable(outcome.output)}"
        return ""

    def on_video(self, done: int, total: int, _fps: float) -> None:
        """A frames bar on a terminal; in a log, the file's line says it when done."""
        from tqdm import tqdm

        if not self.tty:
            return
        if self.frames is None or done == 1:
            if self.frames is not None:
                self.frames.close()
            self.frames = tqdm(total=total, unit="frame", leave=False, file=self.stream)
        self.frames.total = max(self.frames.total, total)
        self.frames.update(done - self.frames.n)

    def close(self) -> None:
        if self.frames is not None:
            self.frames.close()
        self.bar.close()
        if self.changed:
            self.write(f"{self.changed} earlier output(s) {CHANGED} kept; "
                       "--replace-changed replaces them")
