"""Working through a folder: the filmstrip, next/previous, pick/reject and stars, copy and
paste of settings, and keeping each photo's edits in its sidecar as the user works.

The catalog (:mod:`app.session.catalog`) holds the state; this controller turns the user's
keys and clicks into changes of it, shows them in the filmstrip and asks for another file
to be opened (``open_file``). It takes the session and the few callbacks it needs, not the
window. Edits are written a moment after the user stops (a slider drag writes one
sidecar), and at once when another photo opens or the window closes.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QThreadPool
from PySide6.QtWidgets import QFileDialog

from app.core import BatchItem, OutputOptions, PhotoEdits, is_video
from app.gui.controls import settings_caption
from app.gui.export_picks import ExportPicksDialog
from app.gui.filmstrip import Filmstrip
from app.gui.menus import make_action
from app.gui.preview_size import preview_of
from app.gui.timers import debounce_timer
from app.paths import resources_dir
from app.session.session import Session
from app.session.thumbnails import ThumbnailEngine

SAVE_AFTER_MS = 700  # quiet time before the edits are written


def is_bundled(path: Path) -> bool:
    """The app's own sample photo: opened as a loose image, never given a sidecar."""
    try:
        return Path(path).resolve().parent == resources_dir().resolve()
    except OSError:
        return False


class _LookAhead(QRunnable):
    """Decode the photo the user will likely open next, and make its plan copy."""

    def __init__(self, session: Session, path: Path, edits: PhotoEdits, pending: set):
        super().__init__()
        self.session, self.path, self.edits, self.pending = session, path, edits, pending

    def run(self) -> None:
        try:
            self.session.prepare(self.path, self.edits, preview_of)
        except Exception:  # noqa: BLE001 - opening it for real says what is wrong
            pass
        finally:
            self.pending.discard(self.path)


class Browser(QObject):
    """``host`` is the widget the actions (their shortcuts) and dialogs belong to;
    ``open_file(path, remember=False)`` opens a file, ``show_error(text)`` and
    ``show_status(text, ms)`` tell the user, ``focus_image()`` gives the photo the keyboard,
    ``end_crop_tool()`` keeps the crop being drawn, ``show_own_edits(geometry)`` shows the
    open photo's settings again (pasted, reset), ``quality()`` is the photo quality of an
    export and ``enhancer_factory`` makes the export's engine."""

    def __init__(self, session: Session, host, *, open_file, show_error, show_status,
                 focus_image, end_crop_tool, show_own_edits, quality, enhancer_factory):
        super().__init__(host)
        self.host, self.session = host, session
        self.open_file, self.show_error, self.show_status = open_file, show_error, show_status
        self.focus_image, self.end_crop_tool = focus_image, end_crop_tool
        self.show_own_edits, self.quality = show_own_edits, quality
        self.enhancer_factory = enhancer_factory
        self.catalog = session.catalog
        self.strip = Filmstrip(self.catalog, enhance=ThumbnailEngine(enhancer_factory))
        self.strip.setVisible(False)
        self.strip.chosen.connect(self.open)
        self.strip.filter_changed.connect(self._filter_changed)
        self.save_timer = debounce_timer(self, SAVE_AFTER_MS, self.flush)
        self.export_dialog: ExportPicksDialog | None = None
        self.direction = 1  # the way the user is going through the folder
        self.ahead = QThreadPool(self)
        self.ahead.setMaxThreadCount(1)  # one photo ahead: the engine keeps the other core
        self._ahead_pending: set[Path] = set()
        self._actions()

    def _actions(self) -> None:
        a = lambda *args: make_action(self.host, *args)  # noqa: E731
        self.act_next = a("&Next photo", "fa5s.chevron-right", ["Ctrl+Right"],
                          lambda: self.step(1), "Open the next photo of the folder (or Right "
                          "when the photo fits the view)")
        self.act_previous = a("P&revious photo", "fa5s.chevron-left", ["Ctrl+Left"],
                              lambda: self.step(-1), "Open the previous photo of the folder "
                              "(or Left when the photo fits the view)")
        self.act_pick = a("Flag as &pick", "fa5s.flag", "P", lambda: self.flag("pick"),
                          "Flag the photo (or the selected thumbnails) as a pick")
        self.act_reject = a("&Reject", "fa5s.times", "X", lambda: self.flag("reject"),
                            "Reject the photo (or the selected thumbnails)")
        self.act_unflag = a("&Unflag", None, "U", lambda: self.flag(""),
                            "Neither pick nor reject")
        self.act_stars = [a(f"{n} star{'s' if n != 1 else ''}" if n else "No stars", None,
                            str(n), lambda _=False, n=n: self.rate(n),
                            f"Rate the photo (or the selected thumbnails) {n} of 5"
                            if n else "Clear the stars")
                          for n in range(6)]
        self.act_copy = a("&Copy settings", "fa5s.copy", "Ctrl+Shift+C", self.copy,
                          "Copy this photo's settings")
        self.act_paste = a("P&aste settings", "fa5s.paste", "Ctrl+Shift+V", self.paste,
                           "Give the selected thumbnails (or this photo) the settings copied")
        self.act_sync = a("&Sync settings to selected", "fa5s.sync", None, self.sync,
                          "Give every selected thumbnail this photo's settings")
        self.act_reset_photo = a("Reset this &photo", "fa5s.undo-alt", None, self.reset,
                                 "This photo's settings, rotation and crop back to the "
                                 "defaults (its flag and stars stay)")
        self.act_copy.setIconText("Copy")
        self.act_paste.setIconText("Paste")
        self.act_sync.setIconText("Sync")
        for act in (self.act_copy, self.act_paste, self.act_sync):
            self.strip.add_tool(act)

    # ---- the folder ---------------------------------------------------------------------
    def entering(self, path: Path | None) -> None:
        """The window is about to show ``path``: the previous file's edits are written, and
        the strip shows ``path``'s folder with it selected."""
        self.flush()
        if path is None or is_bundled(path):  # the sample is no folder of the user's
            if self.catalog.folder is not None:
                self.catalog.close()
                self.strip.show_folder()
            self.strip.setVisible(False)
            return
        path = Path(path)
        if self.catalog.folder != path.parent or path not in self.catalog.paths:
            self.catalog.open_folder(path.parent, path)
            self.strip.show_folder()
        self.catalog.current = path
        self.strip.setVisible(len(self.catalog.paths) > 1)  # a folder of one needs no strip
        self.strip.show_current(path)

    def open_folder(self, folder: Path) -> bool:
        """Show a folder in the strip and open its first photo or video."""
        self.flush()
        try:
            self.catalog.open_folder(folder)
        except OSError as exc:
            self.show_error(f"Could not open {folder}: {exc.strerror or exc}")
            return False
        self.strip.show_folder()
        self.strip.setVisible(len(self.catalog.paths) > 1)
        if self.catalog.current is None:
            self.show_error(f"{folder.name} holds no photo or video")
            return False
        return self.open(self.catalog.current)

    def open(self, path: Path) -> bool:
        return self.open_file(path, remember=False)

    def look_ahead(self, _request_id: int = 0) -> None:
        """The photo on screen has its preview (the window calls this when it shows one):
        decode the next one the way the user goes (in the background), so opening it is
        instant too."""
        if not self.session.in_catalog:
            return
        nxt = self.catalog.step(self.direction)
        if nxt is None or is_video(nxt) or nxt in self._ahead_pending or \
                nxt in self.session.photos:
            return
        self._ahead_pending.add(nxt)
        self.ahead.start(_LookAhead(self.session, nxt, self.catalog.edits(nxt),
                                    self._ahead_pending))

    def step(self, delta: int) -> None:
        self.direction = 1 if delta > 0 else -1
        target = self.catalog.step(delta)
        if target is not None:
            self.open(target)
        else:
            self.show_status(
                "Last photo of the folder" if delta > 0 else "First photo of the folder", 3000)

    def _filter_changed(self) -> None:
        self.focus_image()

    # ---- flags, stars -------------------------------------------------------------------
    def targets(self) -> list[Path]:
        """What a flag, a rating or a paste applies to: the selected thumbnails if several
        are, else the open photo."""
        chosen = self.strip.selected() if self.strip.isVisible() else []
        if len(chosen) > 1:
            return chosen
        current = self.session.path if self.session.in_catalog else None
        return [current] if current is not None else []

    def _changed(self, paths: list[Path], words: str) -> None:
        for p in paths:
            self.strip.model.refresh(p)
        self.save_timer.start()
        if paths:
            which = paths[0].name if len(paths) == 1 else f"{len(paths)} photos"
            self.show_status(f"{which}: {words}", 4000)

    def flag(self, flag: str) -> None:
        paths = self.targets()
        for p in paths:
            self.catalog.update(p, flag=flag)
        self._changed(paths, {"pick": "picked", "reject": "rejected"}.get(flag, "unflagged"))

    def rate(self, stars: int) -> None:
        paths = self.targets()
        for p in paths:
            self.catalog.update(p, rating=stars)
        self._changed(paths, f"{stars} star{'s' if stars != 1 else ''}" if stars
                      else "no stars")

    # ---- settings between photos --------------------------------------------------------
    def copy(self) -> None:
        if not self.session.in_catalog:
            return
        s = self.catalog.copy_settings(self.session.path)
        self.show_status(f"Copied the settings: {settings_caption(s)}", 5000)

    def paste(self) -> None:
        if self.catalog.copied is None:
            self.show_status("No settings copied yet (Ctrl+Shift+C)", 4000)
            return
        done = self.catalog.paste_settings(self.targets())
        self._applied(done, "settings pasted")

    def sync(self) -> None:
        if not self.session.in_catalog:
            return
        done = self.catalog.sync_settings(self.session.path, self.strip.selected())
        self._applied(done, "settings synced from " + self.session.path.name)

    def reset(self) -> None:
        if not self.session.in_catalog:
            return
        self.end_crop_tool()  # before, or it would keep its rectangle
        self.catalog.reset(self.session.path)
        self._applied([self.session.path], "reset to the defaults", geometry=True)

    def _applied(self, paths: list[Path], words: str, geometry: bool = False) -> None:
        """Settings of ``paths`` changed from here: the open photo shows its new ones."""
        self._changed(paths, words)
        if self.session.path in paths:
            self.show_own_edits(geometry)

    def flush(self) -> None:
        self.save_timer.stop()
        if self.session.in_catalog:  # its thumbnail follows its settings once they are still
            self.strip.model.refresh(self.session.path)
        errors = self.catalog.flush()
        if errors:
            self.show_error("; ".join(errors))

    # ---- export -------------------------------------------------------------------------
    def to_export(self) -> list[Path]:
        """The selected thumbnails if several are, else the folder's picks."""
        chosen = self.strip.selected()
        return chosen if len(chosen) > 1 else self.catalog.picks()

    def ask_export_folder(self, default: Path) -> Path | None:
        """The folder to export into; tests replace this (a dialog would block)."""
        name = QFileDialog.getExistingDirectory(self.host, "Export the picks into",
                                                str(default))
        return Path(name) if name else None

    def export_picks(self) -> None:
        if self.export_dialog is not None and self.export_dialog.running:
            self.export_dialog.raise_()
            return
        self.flush()
        paths = self.to_export()
        if not paths:
            self.show_error(
                "Nothing to export: flag photos as picks (P), or select several thumbnails "
                "(Ctrl- or Shift-click).")
            return
        folder = self.catalog.folder
        default = folder.parent / f"{folder.name}_picks" if folder else Path.home()
        target = self.ask_export_folder(default)
        if target is None:
            return
        own = {p: self.catalog.edits(p) for p in paths}
        items = [BatchItem(p, Path(p.name)) for p in paths]
        output = OutputOptions(target, quality=self.quality())
        self.export_dialog = ExportPicksDialog(items, own, output, self.enhancer_factory,
                                               self.host)
        self.export_dialog.start()

    def shutdown(self) -> None:
        self.flush()
        self.strip.model.shutdown()
        self.ahead.clear()
        self.ahead.waitForDone(30_000)
        if self.export_dialog is not None:
            self.export_dialog.shutdown()
            self.export_dialog.hide()
