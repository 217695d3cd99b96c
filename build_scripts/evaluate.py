"""Measure the shipped model on the development photos (no ground truth: no-reference measures).

    python build_scripts/evaluate.py [--data ../shared/data/dev] [--json FILE]
                                     [--sheet out.png] [--weights FILE.pt] [--no-niqe]
                                     [--no-lock]

For each photo and alpha in {0.4, 0.5, 0.6, 0.7}: output mean brightness (mean of R, G, B in
[0, 1], as ../shared/tools/iqa.py defines it) against alpha, and whether brightness rises with
alpha; at the default alpha 0.6: colour cast (mean absolute deviation of the channel means) of
input and output, and NIQE of input and output (needs scipy and ../shared/tools/iqa.py).
Photos larger than 1 megapixel are measured at 1 megapixel (NIQE is slow in numpy).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core import Enhancer  # noqa: E402
from app.core.media.images import IMAGE_SUFFIXES, read_image  # noqa: E402

ALPHAS = (0.4, 0.5, 0.6, 0.7)


def brightness(rgb: np.ndarray) -> float:
    return float(rgb.mean() / 255.0)


def colour_cast(rgb: np.ndarray) -> float:
    m = rgb.reshape(-1, 3).astype(np.float64).mean(0) / 255.0
    return float(np.abs(m - m.mean()).mean())


def contact_sheet(pairs: list[tuple[np.ndarray, np.ndarray]], path: Path, cell: int = 240) -> None:
    rows = []
    for before, after in pairs:
        tiles = [cv2.resize(x, (cell, cell * x.shape[0] // x.shape[1])) for x in (before, after)]
        h = max(t.shape[0] for t in tiles)
        rows.append(np.hstack([np.pad(t, ((0, h - t.shape[0]), (0, 0), (0, 0))) for t in tiles]))
    sheet = np.vstack(rows)
    cv2.imwrite(str(path), cv2.cvtColor(sheet, cv2.COLOR_RGB2BGR))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "dev")
    p.add_argument("--json", type=Path, default=ROOT / "model_weights" / "eval_dev.json")
    p.add_argument("--weights", type=Path)
    p.add_argument("--sheet", type=Path, help="write a before/after contact sheet PNG")
    p.add_argument("--no-niqe", action="store_true")
    p.add_argument("--no-lock", action="store_true", help="the bare model, no exposure lock")
    args = p.parse_args()
    niqe = None
    if not args.no_niqe:
        sys.path.insert(0, str(args.data.parent.parent / "tools"))
        from iqa import niqe  # type: ignore
    engine = Enhancer(args.weights, exposure_lock=not args.no_lock)
    files = sorted(f for f in args.data.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
    rows, sheet = [], []
    for i, f in enumerate(files):
        img, _ = read_image(f)
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, 2)
        img = img[..., :3]
        if img.dtype != np.uint8:
            img = (img / 257).round().astype(np.uint8)
        h, w = img.shape[:2]
        if h * w > 1_000_000:
            k = (1_000_000 / (h * w)) ** 0.5
            img = cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
        outs = {a: engine.enhance(img, a) for a in ALPHAS}
        b = [brightness(outs[a].image) for a in ALPHAS]
        default = outs[0.6]
        row = {"file": str(f.relative_to(args.data)), "input_brightness": brightness(img),
               "brightness": dict(zip(map(str, ALPHAS), b)),
               "monotonic": bool(all(y > x for x, y in zip(b, b[1:]))),
               "cast_in": colour_cast(img), "cast_out": colour_cast(default.image),
               "finite": bool(np.isfinite(default.factor_small).all())}
        if niqe is not None:
            row["niqe_in"], row["niqe_out"] = float(niqe(img)), float(niqe(default.image))
        rows.append(row)
        if i % 9 == 0 and len(sheet) < 10:
            sheet.append((img, default.image))
        print(f"[{i + 1}/{len(files)}] {row['file']}: in {row['input_brightness']:.2f} -> "
              + " ".join(f"{x:.2f}" for x in b), flush=True)
    summary = {
        "photos": len(rows),
        "mean_abs_brightness_error": {str(a): float(np.mean([abs(r["brightness"][str(a)] - a)
                                                              for r in rows])) for a in ALPHAS},
        "monotonic_share": float(np.mean([r["monotonic"] for r in rows])),
        "cast_in": float(np.mean([r["cast_in"] for r in rows])),
        "cast_out": float(np.mean([r["cast_out"] for r in rows])),
        "all_finite": all(r["finite"] for r in rows),
    }
    if niqe is not None:
        summary["niqe_in"] = float(np.mean([r["niqe_in"] for r in rows]))
        summary["niqe_out"] = float(np.mean([r["niqe_out"] for r in rows]))
    print(json.dumps(summary, indent=1))
    args.json.write_text(json.dumps({"summary": summary, "photos": rows}, indent=1))
    if args.sheet:
        contact_sheet(sheet, args.sheet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
