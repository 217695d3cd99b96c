"""What a batch works on and where each result goes: discovery of media files in dropped
folders and files, and the output naming rules.

Discovery never drops a problem silently: an unreadable folder, a broken link or symlink loop,
a camera format this install cannot read (a Sigma X3F; RAW without rawpy, HEIC without
pillow-heif), a camera file whose first bytes are of another kind, or a named file that is no
photo becomes an item with a status ("failed" or "skipped") and a reason, known before the
batch starts, which the batch reports as it is. Hidden and system files met while walking a
folder are left out; a file named explicitly is never left out.
"""
from __future__ import annotations

import errno
import math
import os
import re
import string
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from app.core.media.camera_formats import cannot_read, content_problem, keep_suffix
from app.core.media.files import is_regular, kind_problem
from app.core.media.images import DEFAULT_MAX_MEGAPIXELS, FORMAT_SUFFIX, IMAGE_SUFFIXES
from app.core.media.metadata import has_output_mark
from app.core.media.tempfiles import is_temp_name
from app.core.media.video import has_video_mark
from app.core.settings import VideoOptions

SKIPPED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mts", ".ts"}
VIDEO_OUTPUT_SUFFIXES = {".mp4", ".mov", ".mkv", ".m4v"}
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES
# Pictures a user expects a folder run to take, which it cannot: listed, never left out unsaid.
UNSUPPORTED_SUFFIXES = {".gif", ".svg", ".svgz", ".avif", ".jxl", ".psd", ".jp2", ".ico"}
QUALITY_RANGE = (1, 100)


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_junk(name: str) -> bool:
    """Hidden and system files that are never photos (Thumbs.db, ._*, Zone.Identifier...)."""
    low = name.lower()
    return (low in SKIPPED_NAMES or name.startswith(".") or low.endswith("zone.identifier"))


@dataclass(frozen=True)
class BatchItem:
    source: Path
    relative: Path  # path below the dropped folder (just the name for a dropped file)
    status: str = ""  # "" = to enhance; "skipped" or "failed" = decided by discovery
    reason: str = ""


def _stat_problem(path: Path) -> tuple[str, str]:
    """(status, why) ``path`` cannot be read, or ("", "") if it can; from ``stat`` alone, so
    a named pipe or a device is skipped before anything opens it (and blocks on it)."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "failed", "symlink loop: the link leads back to itself"
        if exc.errno == errno.ENOENT:
            return "failed", ("broken link: its target is missing" if os.path.islink(path)
                              else "not found")
        return "failed", f"cannot open: {exc.strerror or exc}"
    problem = kind_problem(mode)
    return ("skipped", problem) if problem else ("", "")


def _key(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return False


def _is_own_output(path: Path) -> bool:
    return is_regular(path) and (has_video_mark(path) if is_video(path)
                                 else has_output_mark(path))


def discover(inputs: Iterable[str | os.PathLike], recursive: bool = True,
             exclude: str | os.PathLike | None = None) -> list[BatchItem]:
    """Files and folders -> items, sorted per folder; symlink loops are walked once.

    ``exclude`` is the output folder: it is never walked (a rerun must not enhance the earlier
    outputs), and where it holds an input folder, files that Lowlight Studio wrote are left
    out."""
    items: list[BatchItem] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set = set()
    out = Path(exclude) if exclude is not None else None
    out_key = _key(out) if out is not None else None

    def add(item: BatchItem) -> None:
        key = _key(item.source) or os.path.abspath(item.source)
        if key in seen_files:
            return  # the same file named twice (or by its folder too): one item
        seen_files.add(key)
        items.append(item)

    for raw in inputs:
        root = Path(raw)
        if not root.is_dir():
            add(_named_file(root))
            continue
        check_marks = out is not None and _inside(root, out)

        def unreadable(exc: OSError, root=root) -> None:
            folder = Path(exc.filename or root)
            rel = Path(os.path.relpath(folder, root)) if folder != root else Path(root.name)
            add(BatchItem(folder, rel, "failed",
                          f"cannot open folder: {exc.strerror or exc}"))

        for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unreadable):
            key = _key(Path(dirpath))
            if key is None or key in seen_dirs:
                dirnames[:] = []
                continue
            seen_dirs.add(key)
            keep = []
            for d in sorted(dirnames) if recursive else []:
                if not is_junk(d) and (out_key is None or _key(Path(dirpath) / d) != out_key):
                    keep.append(d)
            dirnames[:] = keep
            for name in sorted(filenames):
                p = Path(dirpath) / name
                suffix = p.suffix.lower()
                if is_junk(name) or is_temp_name(name):
                    continue
                if (suffix not in MEDIA_SUFFIXES | UNSUPPORTED_SUFFIXES
                        and not cannot_read(suffix)):
                    continue
                status, problem = _stat_problem(p)
                if problem:
                    add(BatchItem(p, p.relative_to(root), status, problem))
                elif why := cannot_read(suffix):
                    add(BatchItem(p, p.relative_to(root), "skipped", why))
                elif suffix in UNSUPPORTED_SUFFIXES:
                    add(BatchItem(p, p.relative_to(root), "skipped", _unsupported(suffix)))
                elif problem := content_problem(p):
                    add(BatchItem(p, p.relative_to(root), "failed", problem))
                elif not (check_marks and _is_own_output(p)):
                    add(BatchItem(p, p.relative_to(root)))
    return items


def _named_file(path: Path) -> BatchItem:
    """A file the user named: processed if it is media, whatever its name, else explained."""
    rel = Path(path.name)
    status, problem = _stat_problem(path)
    if problem:
        return BatchItem(path, rel, status, problem)
    suffix = path.suffix.lower()
    if why := cannot_read(suffix):
        return BatchItem(path, rel, "skipped", why)
    if suffix in UNSUPPORTED_SUFFIXES:
        return BatchItem(path, rel, "skipped", _unsupported(suffix))
    if problem := content_problem(path):
        return BatchItem(path, rel, "failed", problem)
    if suffix not in MEDIA_SUFFIXES:
        what = "a system file" if is_junk(path.name) else "not a photo or video"
        return BatchItem(path, rel, "skipped",
                         f"{what} ({suffix or 'no extension'}); photos: "
                         + " ".join(sorted(IMAGE_SUFFIXES)))
    return BatchItem(path, rel)


def _unsupported(suffix: str) -> str:
    return f"unsupported format ({suffix}); photos: " + " ".join(sorted(IMAGE_SUFFIXES))


def pattern_name(pattern: str, stem: str) -> str:
    """The output name (before its suffix) ``pattern`` gives for an input named ``stem``.

    Only ``{stem}`` may be used, and the name must stay inside the output folder (sub-folders
    are fine; no absolute path, no '..'). Raises ValueError saying what is wrong."""
    try:
        fields = list(string.Formatter().parse(pattern))
    except ValueError as exc:
        raise ValueError(f"name pattern {pattern!r} is not valid ({exc}); write {{stem}} for "
                         "the input's name") from None
    for _literal, field, spec, conversion in fields:
        if field is not None and (field != "stem" or spec or conversion):
            raise ValueError(f"name pattern {pattern!r}: {{{field}}} is not allowed; the only "
                             "field is {stem}, the input's name without extension")
    name = pattern.format(stem=stem)
    parts = re.split(r"[\\/]", name)
    if (not name or "\0" in name or name[0] in "/\\" or re.match(r"[A-Za-z]:", name)
            or any(part in ("", ".", "..") for part in parts)):
        raise ValueError(f"name pattern {pattern!r} gives {name!r}: a pattern names a file "
                         "inside the output folder (sub-folders allowed, no '..', no absolute "
                         "path)")
    return name


@dataclass
class OutputOptions:
    folder: Path
    pattern: str = "{stem}_enhanced"
    format: str = "keep"  # keep | jpeg | png | tiff | webp | bmp
    quality: int = 95  # JPEG/WebP, 1-100
    overwrite: bool = False  # replace earlier outputs (files Lowlight Studio wrote) only
    save_factor: bool = False  # also write <output stem>_factor.png, the x_r heatmap
    video: VideoOptions = VideoOptions()  # codec and quality of enhanced clips
    max_megapixels: float | None = DEFAULT_MAX_MEGAPIXELS  # larger photos refused; None: any
    replace_changed: bool = False  # replace earlier outputs made with other settings only

    @property
    def max_pixels(self) -> int | None:
        return None if self.max_megapixels is None else int(self.max_megapixels * 1_000_000)

    def validated(self) -> OutputOptions:
        """A checked copy; raises ValueError with a readable reason (GUI and CLI alike)."""
        pattern_name(self.pattern, "photo")
        if self.format != "keep" and self.format not in FORMAT_SUFFIX:
            raise ValueError(f"format must be keep or one of {', '.join(FORMAT_SUFFIX)}, "
                             f"got {self.format!r}")
        lo, hi = QUALITY_RANGE
        if isinstance(self.quality, bool) or int(self.quality) != self.quality or \
                not lo <= self.quality <= hi:
            raise ValueError(f"quality must be an integer from {lo} to {hi}, got {self.quality}")
        if self.max_megapixels is not None and not 0 < self.max_megapixels < math.inf:
            raise ValueError(f"the megapixel limit must be a number above 0, got "
                             f"{self.max_megapixels}")
        if not str(self.folder):
            raise ValueError("no output folder given")
        if os.path.exists(self.folder) and not os.path.isdir(self.folder):
            raise ValueError(f"the output folder {self.folder} is a file, not a folder")
        return replace(self, folder=Path(self.folder), quality=int(self.quality),
                       video=self.video.validated())

    def target(self, item: BatchItem) -> Path:
        """Where ``item``'s output goes before clashes are resolved (see plan.py)."""
        suffix = item.source.suffix.lower()
        if is_video(item.source):  # videos keep MP4/MKV/MOV; other containers become MP4
            suffix = suffix if suffix in VIDEO_OUTPUT_SUFFIXES else ".mp4"
        elif self.format != "keep":
            suffix = FORMAT_SUFFIX[self.format]
        else:  # RAW -> 16-bit TIFF, HEIC -> JPEG (camera_formats.py says why)
            suffix = keep_suffix(suffix)
        name = pattern_name(self.pattern, item.source.stem) + suffix
        return Path(self.folder) / item.relative.parent / name
