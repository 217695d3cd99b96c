"""Where every item of a batch goes, decided for the whole batch before anything is written.

Rules (a photographer's expectations):
- no output ever lands on an input of the batch (resolved paths, compared without regard to
  case since macOS and Windows disks ignore it, and the same file by inode);
- every item gets its own output: when two items would share a name (x.jpg and x.JPG, a/x.jpg
  and b/x.jpg named as files, x.jpg and x.png made JPEG, an output and another item's
  _factor.png), the item whose source path sorts first keeps the name and the next get
  "NAME (2)", "NAME (3)"..., so a rerun over the same inputs picks the same names;
- an existing file that Lowlight Studio did not write (an original) is never replaced: the
  output takes the next free name instead; an existing earlier output is skipped, or replaced
  with ``overwrite``; with ``replace_changed`` only the earlier outputs whose tag names other
  settings than this batch gives them are replaced (the others are skipped, as they are).
A renamed output says why in its outcome's reason.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from app.core.jobs.discovery import BatchItem, OutputOptions, is_video
from app.core.media.files import is_regular
from app.core.media.metadata import has_output_mark
from app.core.media.video import has_video_mark
from app.core.photo_edits import PhotoEdits

MAX_NUMBER = 999


@dataclass
class Destination:
    item: BatchItem
    target: Path | None
    status: str  # "todo" | "skipped" | "failed"
    reason: str = ""
    factor: Path | None = None  # the heatmap beside the output (save_factor)
    edits: PhotoEdits | None = None  # the photo's own settings and crop; None: the batch's
    changed: bool = False  # an earlier output there was made with other settings


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop (Python < 3.13)
        return Path(os.path.abspath(path))


def _name_key(path: Path) -> str:
    return str(_resolved(path)).casefold()


def _inode(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def is_own_output(path: Path) -> bool:
    """Lowlight Studio wrote ``path`` (a pipe or a device is nobody's output: never opened)."""
    return is_regular(path) and (has_video_mark(path) if is_video(path)
                                 else has_output_mark(path))


def link_out_of(target: Path, folder: Path) -> str:
    """Why writing ``target`` would leave ``folder`` through a linked sub-folder, or "". (The
    output folder itself may be a link: that is where the user sent the outputs.)"""
    inside = _resolved(Path(folder))
    parent = target.parent
    if _resolved(parent).is_relative_to(inside):
        return ""
    link = parent
    while link != Path(folder) and not link.is_symlink() and link.parent != link:
        link = link.parent
    return (f"the output sub-folder {link.name} is a link out of the output folder (to "
            f"{_resolved(link)}): not written through")


def may_replace(output: OutputOptions) -> Callable[[Path], bool] | bool:
    """What writing a planned output may replace: with ``overwrite`` or ``replace_changed``,
    an earlier output only; else nothing (the plan saw the name free: whatever appeared there
    since is kept)."""
    return is_own_output if output.overwrite or output.replace_changed else False


def numbered(path: Path, n: int) -> Path:
    return path if n == 1 else path.with_name(f"{path.stem} ({n}){path.suffix}")


def factor_path(target: Path) -> Path:
    return target.with_name(target.stem + "_factor.png")


CHANGED = "made with other settings"


def plan_batch(items: list[BatchItem], output: OutputOptions,
               own: Callable[[Path], bool] = is_own_output,
               changed: Callable[[int, Path], bool] | None = None) -> list[Destination]:
    """One Destination per item, in the items' order. ``changed(index, output)``: the earlier
    output at ``output`` was made with other settings than item ``index`` gets now."""
    input_names = {_name_key(it.source) for it in items}
    input_inodes = {k for it in items if (k := _inode(it.source)) is not None}
    claimed: dict[str, Path] = {}  # name key -> the source whose output (or heatmap) it is

    def clash(path: Path) -> str:
        """Why ``path`` cannot be this item's, or ""."""
        key = _name_key(path)
        if key in input_names or (os.path.lexists(path) and _inode(path) in input_inodes):
            return f"{path.name} is an input of this batch"
        if key in claimed:
            return f"{path.name} is the output of {claimed[key].name}"
        if os.path.lexists(path) and not own(path):
            return f"{path.name} exists and was not written by Lowlight Studio"
        return ""

    plans: list[Destination | None] = [None] * len(items)
    order = sorted(range(len(items)), key=lambda i: str(items[i].source))
    for i in order:
        item = items[i]
        if item.status:
            plans[i] = Destination(item, None, item.status, item.reason)
            continue
        try:
            wanted = output.target(item)
        except ValueError as exc:
            plans[i] = Destination(item, None, "failed", str(exc))
            continue
        if why := link_out_of(wanted, output.folder):
            plans[i] = Destination(item, None, "failed", why)
            continue
        first_clash = ""
        for n in range(1, MAX_NUMBER + 1):
            target = numbered(wanted, n)
            paths = [target] + ([factor_path(target)] if output.save_factor else [])
            why = next((w for p in paths if (w := clash(p))), "")
            if not why:
                break
            first_clash = first_clash or why
        else:
            plans[i] = Destination(item, None, "failed", f"no free name: {first_clash}")
            continue
        for p in paths:
            claimed[_name_key(p)] = item.source
        note = f"saved as {target.name}: {first_clash}" if first_clash else ""
        factor = paths[1] if len(paths) > 1 else None
        other = os.path.lexists(target) and changed is not None and changed(i, target)
        if os.path.lexists(target) and not (output.overwrite or
                                             other and output.replace_changed):
            # an earlier output (see clash)
            plans[i] = Destination(item, target, "skipped", "; ".join(filter(None, (
                "output exists" + (f", {CHANGED}" if other else ""), note))), factor,
                changed=other)
        else:
            plans[i] = Destination(item, target, "todo", note, factor, changed=other)
    return [p for p in plans if p is not None]
