"""The folder being worked through: its photos and videos in name order, the one open, the
selection, a filter (picks, stars, not rejected), and each photo's edits.

Edits are loaded from their sidecars lazily (a folder of 1,000 photos opens at once) and
saved only when :meth:`Catalog.flush` is called (the window calls it a moment after the user
stops moving a slider, on the next photo and on close), so a slider drag writes one file.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from app.core import MEDIA_SUFFIXES, EditsError, EditStore, EnhanceSettings, PhotoEdits, is_sidecar

ALL, PICKS, RATED, NOT_REJECTED = "all", "picks", "rated", "not rejected"
FILTERS = (ALL, PICKS, RATED, NOT_REJECTED)


@dataclass(frozen=True)
class Filter:
    kind: str = ALL
    min_rating: int = 1  # for RATED: at least this many stars

    def keeps(self, edits: PhotoEdits) -> bool:
        if self.kind == PICKS:
            return edits.flag == "pick"
        if self.kind == RATED:
            return edits.rating >= self.min_rating
        if self.kind == NOT_REJECTED:
            return edits.flag != "reject"
        return True


def media_in(folder: Path) -> list[Path]:
    """The folder's photos and videos (not sub-folders, hidden files or sidecars), by name."""
    found = []
    with os.scandir(folder) as entries:
        for e in entries:
            name = e.name
            if name.startswith(".") or is_sidecar(name):
                continue
            if os.path.splitext(name)[1].lower() not in MEDIA_SUFFIXES:
                continue
            try:
                if e.is_file():
                    found.append(Path(e.path))
            except OSError:
                continue  # vanished or unreadable while listing: not offered
    return sorted(found, key=lambda p: (p.name.lower(), p.name))


class Catalog:
    def __init__(self, store: EditStore | None = None):
        self.store = store or EditStore()
        self.folder: Path | None = None
        self.paths: list[Path] = []
        self.current: Path | None = None
        self.selection: list[Path] = []
        self.filter = Filter()
        self.problems: dict[Path, str] = {}  # a damaged sidecar: why Auto is used
        self._edits: dict[Path, PhotoEdits] = {}
        self._dirty: set[Path] = set()
        self._clipboard: EnhanceSettings | None = None

    # ---- the folder ---------------------------------------------------------------------
    def open_folder(self, folder: Path, current: Path | None = None) -> None:
        """List ``folder`` (edits kept so far are flushed first); ``current`` is the photo
        opened, else the first one."""
        self.flush()
        self.folder = Path(folder)
        self.paths = media_in(self.folder)
        self._edits.clear()
        self.problems.clear()
        if current is not None and current not in self.paths:
            self.paths.append(current)  # e.g. a file with an odd suffix opened by name
            self.paths.sort(key=lambda p: (p.name.lower(), p.name))
        self.current = current if current is not None else (self.paths[0] if self.paths
                                                             else None)
        self.selection = [self.current] if self.current is not None else []

    def close(self) -> None:
        """No folder (a pasted image, the bundled sample): edits kept so far are flushed."""
        self.flush()
        self.folder, self.paths, self.current, self.selection = None, [], None, []
        self._edits.clear()
        self.problems.clear()

    def visible(self) -> list[Path]:
        """The files the filter keeps, in order."""
        if self.filter.kind == ALL:
            return list(self.paths)
        return [p for p in self.paths if self.filter.keeps(self.edits(p))]

    def set_filter(self, f: Filter) -> None:
        self.filter = f

    def step(self, delta: int) -> Path | None:
        """The file ``delta`` places from the current one among those shown, or None at
        either end (from a file the filter hides: the next shown one after it)."""
        shown = self.visible()
        if not shown:
            return None
        if self.current in shown:
            i = shown.index(self.current) + delta
        else:
            order = {p: n for n, p in enumerate(self.paths)}
            here = order.get(self.current, -1)
            after = [n for n, p in enumerate(shown) if order[p] > here]
            i = (after[0] if after else len(shown)) + (delta - 1 if delta > 0 else delta)
        return shown[i] if 0 <= i < len(shown) else None

    # ---- edits --------------------------------------------------------------------------
    def edits(self, path: Path) -> PhotoEdits:
        """The file's edits (its sidecar, read once); the defaults if it has none or the
        sidecar is damaged (then :attr:`problems` says why)."""
        found = self._edits.get(path)
        if found is None:
            try:
                found = self.store.load(path)
            except EditsError as exc:
                self.problems[path] = str(exc)
                found = PhotoEdits()
            self._edits[path] = found
        return found

    def update(self, path: Path, **changes) -> PhotoEdits:
        """Change some of the file's edits (validated; ValueError if wrong), to be saved."""
        edits = replace(self.edits(path), **changes).validated()
        if edits != self._edits.get(path):
            self._edits[path] = edits
            self._dirty.add(path)
        return edits

    def flush(self) -> list[str]:
        """Save every changed file's edits; the reasons for those that could not be kept."""
        errors = []
        for path in sorted(self._dirty):
            try:
                self.store.save(path, self._edits[path])
                self.problems.pop(path, None)
            except EditsError as exc:
                errors.append(str(exc))
        self._dirty.clear()
        return errors

    @property
    def unsaved(self) -> bool:
        return bool(self._dirty)

    def picks(self) -> list[Path]:
        return [p for p in self.paths if self.edits(p).flag == "pick"]

    # ---- copy, paste, sync, reset -------------------------------------------------------
    def copy_settings(self, path: Path) -> EnhanceSettings:
        self._clipboard = self.edits(path).settings
        return self._clipboard

    @property
    def copied(self) -> EnhanceSettings | None:
        return self._clipboard

    def paste_settings(self, paths: Iterable[Path]) -> list[Path]:
        """Give ``paths`` the copied settings (their flags, stars and crops stay)."""
        if self._clipboard is None:
            return []
        done = []
        for p in paths:
            self.update(p, settings=self._clipboard)
            done.append(p)
        return done

    def sync_settings(self, source: Path, paths: Iterable[Path]) -> list[Path]:
        """Give ``paths`` the settings of ``source``."""
        settings = self.edits(source).settings
        done = []
        for p in paths:
            if p != source:
                self.update(p, settings=settings)
                done.append(p)
        return done

    def reset(self, path: Path) -> PhotoEdits:
        """Settings and geometry back to the defaults; the flag and stars stay."""
        fresh = PhotoEdits()
        return self.update(path, settings=fresh.settings, quarter_turns=0, straighten=0.0,
                           crop=fresh.crop)
