"""Contact sheet: each photo as it came, through the app at its defaults, and through the plain
SGZ path, side by side, to judge by eye (numbers can be met by pictures no one wants).

    python build_scripts/contact_sheet.py OUT.png PHOTO [PHOTO ...] [--height 220]
                                          [--crop]   (also a 1:1 crop of each, centre)
                                          [--variant "LABEL:NAME=VALUE,..."] [--no-plain]

--variant adds a column: the app at its defaults with constants of app.core.engine.exposure
replaced (e.g. "gentler cap:NOISE_BUDGET=12,LOCAL_SHARE=0.3"), to compare a candidate default
with the shipped one on the same photos; repeat it for more columns.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.bench.photo import ReferenceSGZ  # noqa: E402
from app.core import Enhancer, read_image  # noqa: E402
from app.core.engine import exposure  # noqa: E402


def _label(tile: np.ndarray, text: str) -> np.ndarray:
    tile = np.ascontiguousarray(tile)
    cv2.putText(tile, text, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (0, 0, 0), 3)
    cv2.putText(tile, text, (5, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 120), 1)
    return tile


def _fit(img: np.ndarray, height: int) -> np.ndarray:
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * height / h)), height), interpolation=cv2.INTER_AREA)


def _centre(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape[:2]
    y, x = max(0, (h - size) // 2), max(0, (w - size) // 2)
    return img[y:y + size, x:x + size]


def _variant(text: str) -> tuple[str, dict[str, float]]:
    """"LABEL:NAME=VALUE,..." -> (label, {NAME: value}); every NAME must be an exposure
    constant."""
    label, _, assignments = text.partition(":")
    values = {}
    for item in filter(None, assignments.split(",")):
        name, _, value = item.partition("=")
        name = name.strip()
        if not hasattr(exposure, name):
            raise SystemExit(f"exposure has no constant {name}")
        values[name] = float(value)
    return label.strip(), values


@contextlib.contextmanager
def _patched(values: dict[str, float]):
    old = {k: getattr(exposure, k) for k in values}
    try:
        for k, v in values.items():
            setattr(exposure, k, v)
        yield
    finally:
        for k, v in old.items():
            setattr(exposure, k, v)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", type=Path)
    p.add_argument("photos", nargs="+", type=Path)
    p.add_argument("--height", type=int, default=220)
    p.add_argument("--crop", action="store_true")
    p.add_argument("--variant", action="append", default=[], type=_variant)
    p.add_argument("--no-plain", action="store_true")
    args = p.parse_args()
    app, plain = Enhancer(), ReferenceSGZ()
    rows = []
    for path in args.photos:
        img, _ = read_image(path)
        img = img[..., :3] if img.ndim == 3 else np.repeat(img[..., None], 3, 2)
        if img.dtype != np.uint8:
            img = (img / 257).round().astype(np.uint8)
        views = {"input": img, "app default": app.enhance(img).image}
        for label, values in args.variant:
            with _patched(values):
                views[label] = app.enhance(img).image
        if not args.no_plain:
            views["plain SGZ"] = plain(img)
        tiles = [_label(_fit(v, args.height), f"{path.name}: {k}" if k == "input" else
                        f"{k} {v.mean() / 255:.2f}") for k, v in views.items()]
        if args.crop:
            tiles += [_label(_fit(_centre(v, args.height), args.height), f"1:1 {k}")
                      for k, v in views.items()]
        rows.append(np.hstack([np.pad(t, ((0, 0), (0, 4), (0, 0)), constant_values=255)
                               for t in tiles]))
    width = max(r.shape[1] for r in rows)
    sheet = np.vstack([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0)),
                              constant_values=255) for r in rows])
    cv2.imwrite(str(args.out), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))
    print(f"written {args.out} ({len(rows)} photos)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
