"""Per-file outcomes of a batch and the report written next to the outputs."""
from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from app.core.media.images import atomic_write_bytes

REPORT_STEM = "lowlight_report"


@dataclass
class Outcome:
    source: str
    output: str
    status: str  # done | skipped | failed | cancelled
    reason: str = ""
    seconds: float = 0.0
    node: str = ""  # cluster runs: which node and worker process did the file


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    backend: str = ""
    settings: dict = field(default_factory=dict)

    def count(self, status: str) -> int:
        return sum(o.status == status for o in self.outcomes)

    @property
    def failed(self) -> int:
        return self.count("failed")

    def summary(self) -> str:
        return (f"{self.count('done')} done, {self.count('skipped')} skipped, "
                f"{self.failed} failed" + (f", {self.count('cancelled')} cancelled"
                                           if self.count("cancelled") else ""))

    def write(self, folder: Path) -> tuple[Path, Path]:
        """Write lowlight_report.csv and .json into ``folder`` (atomically)."""
        folder.mkdir(parents=True, exist_ok=True)
        rows = [asdict(o) for o in self.outcomes]
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=list(Outcome.__dataclass_fields__))
        writer.writeheader()
        writer.writerows(rows)
        csv_path, json_path = folder / f"{REPORT_STEM}.csv", folder / f"{REPORT_STEM}.json"
        atomic_write_bytes(csv_path, buf.getvalue().encode())
        atomic_write_bytes(json_path, json.dumps(
            {"backend": self.backend, "settings": self.settings, "summary": self.summary(),
             "files": rows}, indent=1, ensure_ascii=False).encode())
        return csv_path, json_path
