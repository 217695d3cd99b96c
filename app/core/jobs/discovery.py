"""What a batch works on and where each result goes: discovery of media files in dropped
folders and files, and the output naming rules."""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from app.core.media.images import FORMAT_SUFFIX, IMAGE_SUFFIXES
from app.core.settings import VideoOptions

SKIPPED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".m4v", ".avi", ".webm", ".mts", ".ts"}
VIDEO_OUTPUT_SUFFIXES = {".mp4", ".mov", ".mkv", ".m4v"}
MEDIA_SUFFIXES = IMAGE_SUFFIXES | VIDEO_SUFFIXES


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


def discover(inputs: Iterable[str | os.PathLike], recursive: bool = True) -> list[BatchItem]:
    """Files and folders -> image items, sorted per folder; symlink loops are walked once."""
    items: list[BatchItem] = []
    seen_dirs: set[tuple[int, int]] = set()
    for raw in inputs:
        root = Path(raw)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
                st = os.stat(dirpath)
                if (st.st_dev, st.st_ino) in seen_dirs:
                    dirnames[:] = []
                    continue
                seen_dirs.add((st.st_dev, st.st_ino))
                dirnames[:] = sorted(d for d in dirnames if not is_junk(d)) if recursive else []
                for name in sorted(filenames):
                    p = Path(dirpath) / name
                    if not is_junk(name) and p.suffix.lower() in MEDIA_SUFFIXES:
                        items.append(BatchItem(p, p.relative_to(root)))
        elif not is_junk(root.name):
            items.append(BatchItem(root, Path(root.name)))
    return items


@dataclass
class OutputOptions:
    folder: Path
    pattern: str = "{stem}_enhanced"
    format: str = "keep"  # keep | jpeg | png | tiff | webp
    quality: int = 95
    overwrite: bool = False  # replace existing outputs (inputs are never replaced)
    save_factor: bool = False  # also write <output stem>_factor.png, the x_r heatmap
    video: VideoOptions = VideoOptions()  # codec and quality of enhanced clips

    def target(self, item: BatchItem) -> Path:
        suffix = item.source.suffix.lower()
        if is_video(item.source):  # videos keep MP4/MKV/MOV; other containers become MP4
            suffix = suffix if suffix in VIDEO_OUTPUT_SUFFIXES else ".mp4"
        elif self.format != "keep":
            suffix = FORMAT_SUFFIX[self.format]
        name = self.pattern.format(stem=item.source.stem) + suffix
        return Path(self.folder) / item.relative.parent / name
