"""Presets: named settings (exposure or Auto, strength, denoise, map detail, shadows,
highlights, contrast), shared by the
window, its batch tab and the command line (``--preset NAME``). One small JSON file in the
user's config folder (:func:`app.paths.config_dir`), written atomically; a damaged file is
reported and never overwritten, so a typo in a hand edit cannot lose the other presets."""
from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path

from app.core.settings import EnhanceSettings
from app.paths import config_dir

FILE_NAME = "presets.json"
MAX_NAME = 60
FORMAT = "lowlight-studio presets"


MAX_FILE_BYTES = 1024 * 1024  # hundreds of presets take a few KB


class PresetError(ValueError):
    """A missing preset, a bad name, or a presets file that cannot be read or written."""


def clean_name(name: str) -> str:
    """The name as stored: trimmed; ValueError for an empty, long or control-character one."""
    name = " ".join(str(name).split())
    if not name:
        raise PresetError("a preset needs a name")
    if len(name) > MAX_NAME:
        raise PresetError(f"a preset name has at most {MAX_NAME} characters")
    if any(ord(c) < 32 for c in name):
        raise PresetError("a preset name cannot contain control characters")
    return name


def to_dict(s: EnhanceSettings) -> dict:
    return s.by_name()


def from_dict(d: dict) -> EnhanceSettings:
    default = EnhanceSettings()
    return EnhanceSettings(d.get("exposure", default.exposure),
                           d.get("strength", default.iterations),
                           d.get("map_detail", default.scale),
                           d.get("denoise", default.denoise),
                           # presets saved before these existed are neutral
                           d.get("shadows", default.shadows),
                           d.get("highlights", default.highlights),
                           d.get("contrast", default.contrast),
                           d.get("white_balance", default.white_balance)).validated()


class PresetStore:
    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else config_dir() / FILE_NAME

    def load(self) -> dict[str, EnhanceSettings]:
        """Every preset by name (sorted, case-insensitively); {} when there is no file yet."""
        try:
            raw = _read_regular(self.path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise PresetError(f"cannot read the presets file {self.path}: "
                              f"{exc.strerror or exc}") from None
        try:
            if len(raw) > MAX_FILE_BYTES:
                raise ValueError(f"over {MAX_FILE_BYTES // 1024} KB")
            data = json.loads(raw.decode("utf-8"))
            items = data["presets"]
            presets = {clean_name(k): from_dict(v) for k, v in items.items()}
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)[:200]
            raise PresetError(f"presets file damaged: {self.path} ({why}); the defaults are "
                              "used and the file is kept as it is: fix or remove it") from None
        return dict(sorted(presets.items(), key=lambda kv: kv[0].casefold()))

    def names(self) -> list[str]:
        return list(self.load())

    def get(self, name: str) -> EnhanceSettings:
        presets = self.load()
        if name in presets:
            return presets[name]
        folded = [k for k in presets if k.casefold() == str(name).strip().casefold()]
        if len(folded) == 1:
            return presets[folded[0]]
        known = ", ".join(presets) or "none saved yet"
        raise PresetError(f"no preset named {name!r} (presets: {known})")

    def save(self, name: str, settings: EnhanceSettings) -> str:
        """Add or replace a preset; returns the name as stored."""
        name = clean_name(name)
        presets = self.load()
        presets[name] = settings.validated()
        self._write(presets)
        return name

    def rename(self, old: str, new: str) -> str:
        new = clean_name(new)
        presets = self.load()
        if old not in presets:
            raise PresetError(f"no preset named {old!r}")
        if new != old and new in presets:
            raise PresetError(f"a preset named {new!r} already exists")
        presets = {new if k == old else k: v for k, v in presets.items()}
        self._write(presets)
        return new

    def delete(self, name: str) -> None:
        presets = self.load()
        if presets.pop(name, None) is None:
            raise PresetError(f"no preset named {name!r}")
        self._write(presets)

    def _write(self, presets: dict[str, EnhanceSettings]) -> None:
        data = {"format": FORMAT, "version": 1,
                "presets": {k: to_dict(v) for k, v in presets.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".presets-", suffix=".part", dir=self.path.parent)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as f:
                    json.dump(data, f, indent=2, ensure_ascii=False)
                    f.write("\n")
                os.replace(tmp, self.path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise PresetError(f"cannot write the presets file {self.path}: "
                              f"{exc.strerror or exc}") from None


def _read_regular(path: Path, limit: int) -> bytes:
    """Up to ``limit`` + 1 bytes of ``path``; OSError if it is no regular file (a named pipe
    would block the window and the CLI forever: it is refused before it is read)."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # a socket cannot even be opened
        raise OSError("not a regular file")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        with os.fdopen(os.dup(fd), "rb") as f:
            return f.read(limit + 1)
    finally:
        os.close(fd)
