"""Measure the default pipeline against the plain SGZ path on the development photos.

    python build_scripts/evaluate.py [--data ../shared/data/dev] [--json FILE] [--limit N]
                                     [--no-niqe] [--pairs-only]

Three parts, every number for the app's default settings (Auto exposure, strength 8, Auto
denoise) and for the plain SGZ path (the shipped net at alpha 0.6, x_r upsampled bilinearly,
eight per-channel recurrences: what the engine did before the natural pipeline):

1. Real dark photos (../shared/data/dev, no references): the no-reference measures of
   ../shared/tools/iqa.py (NIQE, brightness, noise sigma, hue shift, saturation kept, LOE,
   clipped share), and the noise of the app's output *at the plain path's brightness* (the
   app run with that brightness as an explicit target), since brightening shows noise.
2. Synthetic pairs made here (not shipped): each well-exposed dev photo (mean brightness over
   0.35) darkened 5-20x in linear light, with Poisson-Gaussian sensor noise, 8-bit rounding
   and JPEG at quality 75-95; PSNR and SSIM of both paths against the original.
3. Do no harm: the well-exposed photos without dark regions (darkest quarter's luma at least
   DARK_QUARTER) at the default; PSNR against themselves. Well-exposed photos with dark
   regions (backlit) are meant to change: their figure is reported apart.
4. Real pairs (../shared/data/pairs: a dark shot and a well-exposed shot of the same scene),
   per source: PSNR, SSIM, brightness error, black point, detail kept, LOE, both paths.
5. Backlit and high-contrast dev photos (brightest 5% of luma over 150, darkest quarter
   under 40): stops gained by the darkest quarter and by the brightest 5%, clipping, LOE.
6. Night photos with lamps (NIGHT_WITH_LAMPS): explicit exposures 0.3-0.7, the mean
   brightness reached and whether it rises with the target.

Photos over 1 megapixel are measured at 1 megapixel (NIQE is slow in numpy).
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

from app.bench.photo import ReferenceSGZ  # noqa: E402
from app.core import Enhancer, read_image  # noqa: E402
from app.core.media.images import IMAGE_SUFFIXES  # noqa: E402

WELL_EXPOSED = 0.35
DARK_QUARTER = 40  # luma (16-235) of the darkest quarter under which a photo has dark regions
PAIR_SOURCES = ("lol_v1_our485", "lol_v2_real_test", "sice_part1_zerodcepp")
NIGHT_WITH_LAMPS = ("dicm/01.jpg", "dicm/03.jpg", "dicm/06.jpg", "dicm/08.jpg", "dicm/17.jpg",
                    "dicm/21.jpg", "dicm/25.jpg", "dicm/27.jpg", "dicm/29.jpg",
                    "fusion/low20.jpg", "sci/difficult/1482.png", "sci/difficult/2015_02243.jpg",
                    "sci/difficult/234.png", "sci/difficult/372.png", "sci/difficult/645.png",
                    "sci/medium/3020.jpg")
TARGETS = (0.3, 0.4, 0.5, 0.6, 0.7)


def load(path: Path) -> np.ndarray:
    img, _ = read_image(path)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, 2)
    img = img[..., :3]
    if img.dtype != np.uint8:
        img = (img / 257).round().astype(np.uint8)
    h, w = img.shape[:2]
    if h * w > 1_000_000:
        k = (1_000_000 / (h * w)) ** 0.5
        img = cv2.resize(img, (round(w * k), round(h * k)), interpolation=cv2.INTER_AREA)
    return img


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return 10 * np.log10(255.0 ** 2 / max(mse, 1e-10))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM of the luma (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5)."""
    def luma(x):
        return cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).astype(np.float64)

    x, y = luma(a), luma(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2

    def blur(z):
        return cv2.GaussianBlur(z, (11, 11), 1.5)

    mx, my = blur(x), blur(y)
    vx, vy, cxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean())


def darken(clean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A night shot of a well-lit photo: 5-20x less light in linear terms, shot noise and
    read noise, 8-bit rounding, JPEG."""
    linear = (clean.astype(np.float64) / 255) ** 2.2
    factor = rng.uniform(5, 20)
    photons = rng.uniform(300, 1500)  # electrons at full scale after darkening
    dark = rng.poisson(linear / factor * photons) / photons
    dark = dark + rng.normal(0, rng.uniform(0.5, 2.0) / 255 / 6, dark.shape)
    srgb = np.clip(dark, 0, 1) ** (1 / 2.2)
    img = np.clip(np.round(srgb * 255), 0, 255).astype(np.uint8)
    ok, data = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR),
                            [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(75, 96))])
    return cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def mean_of(rows: list[dict], key: str) -> float:
    values = [r[key] for r in rows if key in r and np.isfinite(r[key])]
    return float(np.mean(values)) if values else float("nan")


def real_pairs(root: Path, iqa, app, plain) -> dict:
    """Part 4: per source, the means (brightness error: the median too) of both paths."""
    out = {}
    for source in PAIR_SOURCES:
        rows = {"app": [], "plain": []}
        for low in sorted((root / source / "low").iterdir()):
            dark, ref = iqa.read_rgb(low), iqa.read_rgb(root / source / "high" / low.name)
            for tag, result in (("app", app.enhance(dark).image), ("plain", plain(dark))):
                row = iqa.against_reference(result, ref)
                row["loe"] = iqa.loe(dark, result)
                rows[tag].append(row)
        for tag, found in rows.items():
            summary = {k: mean_of(found, k) for k in found[0]}
            summary["brightness_error_median"] = float(np.median(
                [r["brightness_error"] for r in found]))
            out[f"{source}_{tag}"] = summary
        a, p = out[f"{source}_app"], out[f"{source}_plain"]
        print(f"{source}: app PSNR {a['psnr']:.2f} SSIM {a['ssim']:.3f} brightness error "
              f"(median) {a['brightness_error_median']:+.3f} black point {a['black_point']:+.3f} "
              f"detail {a['detail_kept']:.2f} LOE {a['loe']:.0f} | plain PSNR {p['psnr']:.2f} "
              f"SSIM {p['ssim']:.3f} LOE {p['loe']:.0f}", flush=True)
    return out


def backlit(files: list[Path], data: Path, iqa, app, plain) -> dict:
    """Part 5: stops gained by the darkest quarter and the brightest 5%, both paths."""
    rows = []
    for f in files:
        img = load(f)
        y = iqa.luma(img).astype(np.float64)
        dark = y[y <= np.percentile(y, 25)].mean()
        if y[y >= np.percentile(y, 95)].mean() <= 150 or dark >= DARK_QUARTER:
            continue
        row = {"file": str(f.relative_to(data))}
        for tag, out in (("app", app.enhance(img).image), ("plain", plain(img))):
            shadow, highlight = iqa.shadow_lift(img, out)
            row.update({f"{tag}_shadow_lift": shadow, f"{tag}_highlight_lift": highlight,
                        f"{tag}_clipped_more": iqa.clipped(out) - iqa.clipped(img),
                        f"{tag}_loe": iqa.loe(img, out)})
        rows.append(row)
    summary = {k: mean_of(rows, k) for k in rows[0] if k != "file"} if rows else {}
    summary["photos"] = len(rows)
    summary["app_shadow_under_half_stop"] = sum(r["app_shadow_lift"] < 0.5 for r in rows)
    print("backlit:", json.dumps(summary), flush=True)
    return {"summary": summary, "photos": rows}


def night_targets(data: Path, iqa, app) -> dict:
    """Part 6: explicit exposures on night photos with lamps."""
    rows, errors = [], []
    for name in NIGHT_WITH_LAMPS:
        img = load(data / name)
        reached = [iqa.brightness(app.enhance(img, exposure=t).image) for t in TARGETS]
        errors += [abs(r - t) for r, t in zip(reached, TARGETS)]
        rows.append({"file": name, "reached": reached,
                     "rising": bool(np.all(np.diff(reached) > 0)),
                     "falling": bool(np.any(np.diff(reached) < -0.005))})
        print(f"night {name}: " + " ".join(f"{r:.2f}" for r in reached), flush=True)
    summary = {"mean_abs_error": float(np.mean(errors)),
               "rising": sum(r["rising"] for r in rows), "falling": sum(r["falling"] for r in rows),
               "photos": len(rows)}
    print("night:", json.dumps(summary), flush=True)
    return {"summary": summary, "photos": rows}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "dev")
    p.add_argument("--json", type=Path, default=ROOT / "model_weights" / "eval_dev.json")
    p.add_argument("--limit", type=int, default=0, help="every Nth photo only (quick runs)")
    p.add_argument("--no-niqe", action="store_true")
    p.add_argument("--pairs-only", action="store_true",
                   help="parts 4-6 only (real pairs, backlit, night targets)")
    p.add_argument("--night-only", action="store_true", help="part 6 only")
    args = p.parse_args()
    sys.path.insert(0, str(args.data.parent.parent / "tools"))
    import iqa  # type: ignore  # ../shared/tools/iqa.py

    app, plain = Enhancer(), ReferenceSGZ()
    files = sorted(f for f in args.data.rglob("*") if f.suffix.lower() in IMAGE_SUFFIXES)
    if args.limit:
        files = files[::args.limit]
    rng = np.random.default_rng(2026)
    if args.night_only:
        night_targets(args.data, iqa, app)
        return 0
    measured = {"real_pairs": real_pairs(args.data.parent / "pairs", iqa, app, plain),
                "backlit": backlit(files, args.data, iqa, app, plain),
                "night_targets": night_targets(args.data, iqa, app)}
    if args.pairs_only:
        args.json.write_text(json.dumps(measured, indent=1))
        return 0
    real, pairs, untouched = [], [], []
    for i, f in enumerate(files):
        img = load(f)
        name = str(f.relative_to(args.data))
        ours, theirs = app.enhance(img).image, plain(img)
        row = {"file": name, "brightness_in": iqa.brightness(img)}
        for tag, out in (("app", ours), ("plain", theirs)):
            hue, sat = iqa.hue_and_saturation(img, out)
            row.update({f"{tag}_brightness": iqa.brightness(out),
                        f"{tag}_noise": iqa.noise_sigma(out), f"{tag}_hue_shift": hue,
                        f"{tag}_saturation_kept": sat, f"{tag}_loe": iqa.loe(img, out),
                        f"{tag}_clipped": iqa.clipped(out)})
            if not args.no_niqe:
                row[f"{tag}_niqe"] = float(iqa.niqe(out))
        matched = float(np.clip(row["plain_brightness"], 0.2, 0.9))
        same = app.enhance(img, exposure=matched).image
        row["app_matched_brightness"] = iqa.brightness(same)
        row["app_matched_noise"] = iqa.noise_sigma(same)
        row["input_noise"] = iqa.noise_sigma(img)
        if not args.no_niqe:
            row["input_niqe"] = float(iqa.niqe(img))
        real.append(row)
        if row["brightness_in"] > WELL_EXPOSED:
            y = iqa.luma(img).astype(np.float64)
            untouched.append({"file": name, "psnr": psnr(ours, img),
                              "dark_regions": bool(y[y <= np.percentile(y, 25)].mean()
                                                   < DARK_QUARTER)})
            dark = darken(img, rng)
            pairs.append({"file": name, "app_psnr": psnr(app.enhance(dark).image, img),
                          "app_ssim": ssim(app.enhance(dark).image, img),
                          "plain_psnr": psnr(plain(dark), img),
                          "plain_ssim": ssim(plain(dark), img)})
        print(f"[{i + 1}/{len(files)}] {name}: {row['brightness_in']:.2f} -> app "
              f"{row['app_brightness']:.2f} plain {row['plain_brightness']:.2f}", flush=True)
    summary = {"photos": len(real), "synthetic_pairs": len(pairs),
               "well_exposed": len(untouched)}
    for key in ("brightness", "noise", "hue_shift", "saturation_kept", "loe", "clipped",
                "niqe"):
        for tag in ("app", "plain"):
            summary[f"{tag}_{key}"] = mean_of(real, f"{tag}_{key}")
    for key in ("input_noise", "input_niqe", "app_matched_brightness", "app_matched_noise"):
        summary[key] = mean_of(real, key)
    summary["saturation_kept_median_app"] = float(np.median(
        [r["app_saturation_kept"] for r in real if np.isfinite(r["app_saturation_kept"])]))
    for key in ("app_psnr", "app_ssim", "plain_psnr", "plain_ssim"):
        summary[f"pairs_{key}"] = mean_of(pairs, key)
    clean = [u for u in untouched if not u["dark_regions"]]
    summary["do_no_harm_photos"] = len(clean)
    summary["do_no_harm_psnr_mean"] = mean_of(clean, "psnr")
    summary["do_no_harm_psnr_min"] = min((u["psnr"] for u in clean), default=float("nan"))
    summary["well_exposed_with_dark_regions_psnr_mean"] = mean_of(
        [u for u in untouched if u["dark_regions"]], "psnr")
    print(json.dumps(summary, indent=1))
    args.json.write_text(json.dumps({"summary": summary, **measured, "photos": real,
                                     "pairs": pairs, "do_no_harm": untouched}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
