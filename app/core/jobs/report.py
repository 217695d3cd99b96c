"""Per-file outcomes of a batch and the report written next to the outputs.

Every batch writes its own ``lowlight_report-YYYYMMDD-HHMMSS.csv`` and ``.json`` (local time;
``-2``, ``-3``... when two batches finish in the same second), so a second batch into the
same folder never replaces the first one's report. File names that are not valid UTF-8 (a
Linux disk can hold any bytes) are written with their odd bytes as ``\\xNN``.
"""
from __future__ import annotations

import csv
import io
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.core.media.images import atomic_write_bytes

REPORT_STEM = "lowlight_report"


def printable(text: str) -> str:
    """``text`` with undecodable file-name bytes (surrogates) shown as \\xNN: always UTF-8."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def cell(value):
    """A CSV cell a spreadsheet shows as text: a file named ``=HYPERLINK(...)`` (or starting
    with + - @, a tab or a return) would otherwise run as a formula; a leading ' is the
    spreadsheet's own "this is text" mark. The JSON report keeps the names as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _flat(value):
    return " ".join(map(str, value)) if isinstance(value, list) else value


@dataclass
class Outcome:
    source: str
    output: str
    status: str  # done | skipped | failed | cancelled
    reason: str = ""  # why it failed or was skipped; for "done", a warning or a note
    seconds: float = 0.0
    node: str = ""  # cluster runs: which node and worker process did the file
    settings: dict = field(default_factory=dict)  # what it was enhanced with (by_name names)


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    backend: str = ""
    settings: dict = field(default_factory=dict)
    paths: tuple[Path, ...] = ()  # the report files written, if any
    interrupted: bool = False  # stopped by Ctrl+C

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def warnings(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "done" and o.reason]

    def summary(self) -> str:
        return (f"{self.count('done')} done, {self.count('skipped')} skipped, "
                f"{self.failed} failed" + (f", {self.count('cancelled')} cancelled"
                                           if self.count("cancelled") else "")
                + (f" ({len(self.warnings)} with a warning)" if self.warnings else ""))

    def write(self, folder: Path, now: float | None = None) -> tuple[Path, Path]:
        """Write lowlight_report-<time>.csv and .json into ``folder`` (atomically)."""
        folder.mkdir(parents=True, exist_ok=True)
        rows = [{k: printable(v) if isinstance(v, str) else v for k, v in asdict(o).items()}
                for o in self.outcomes]
        # the CSV gives each setting its own column (the JSON keeps them together per file)
        names = list(dict.fromkeys(k for o in self.outcomes for k in o.settings))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=[f for f in Outcome.__dataclass_fields__
                                                 if f != "settings"] + names)
        writer.writeheader()
        writer.writerows([{**{k: cell(v) for k, v in row.items() if k != "settings"},
                           **{k: _flat(v) for k, v in row["settings"].items()}}
                          for row in rows])
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
        for n in range(1, 1000):
            stem = f"{REPORT_STEM}-{stamp}" + (f"-{n}" if n > 1 else "")
            csv_path, json_path = folder / f"{stem}.csv", folder / f"{stem}.json"
            if not (csv_path.exists() or json_path.exists()):
                break
        atomic_write_bytes(csv_path, buf.getvalue().encode(), replace=False)
        atomic_write_bytes(json_path, json.dumps(
            {"backend": self.backend, "settings": self.settings, "summary": self.summary(),
             "interrupted": self.interrupted, "files": rows}, indent=1,
            ensure_ascii=False).encode(), replace=False)
        self.paths = (csv_path, json_path)
        return csv_path, json_path
