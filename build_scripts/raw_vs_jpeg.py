"""RAW or the camera's JPEG: which enhances cleaner? (issue #25, part 1's measurement)

One synthetic dark scene (smooth gradients, flat patches, edges; linear light) gets sensor
noise (shot noise plus read noise, as at a high ISO) and is written twice: as a DNG (14-bit
mosaic) and as the JPEG the same camera would make from the same noisy mosaic (developed
exactly as the app develops the DNG, then 8-bit sRGB and JPEG quality 90). Both are enhanced
by the app with Auto settings, and compared with the enhancement of the same scene without
noise (its DNG, developed the same way, Auto): PSNR, and the noise left in the flat
patches; at the default denoise (auto) and the strongest (2).

    .venv/bin/python build_scripts/raw_vs_jpeg.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

H, W = 480, 640
READ_NOISE = 0.0015  # of the white level: about 25 levels of a 14-bit sensor at high ISO
SHOT_GAIN = 0.0004  # variance per unit of signal


def scene() -> np.ndarray:
    """Linear light, 0-1: a dim room (0.5-3% of white) with a lamp-lit wall and objects."""
    y, x = np.mgrid[0:H, 0:W] / np.array([H, W])[:, None, None]
    base = 0.005 + 0.02 * x + 0.01 * y
    img = np.stack([base * 1.1, base, base * 0.8], axis=-1)
    img[60:180, 80:240] = (0.03, 0.025, 0.02)  # a flat patch (a door)
    img[260:420, 360:600] = (0.012, 0.014, 0.016)  # a flat dark patch (a sofa)
    img[100:140, 400:560] = (0.09, 0.08, 0.06)  # a lit picture frame
    return img


def noisy(linear: np.ndarray, rng) -> np.ndarray:
    sigma = np.sqrt(READ_NOISE ** 2 + SHOT_GAIN * linear)
    return np.clip(linear + rng.normal(size=linear.shape) * sigma, 0, 1)


def flat_noise(img: np.ndarray, ref: np.ndarray) -> float:
    """Std (8-bit levels) of the difference from the reference inside the flat patches."""
    d = img.astype(np.float64) - ref.astype(np.float64)
    patches = [d[70:170, 90:230], d[270:410, 370:590]]
    return float(np.mean([p.std() for p in patches]) * 255 / 65535) if img.dtype == np.uint16 \
        else float(np.mean([p.std() for p in patches]))


def to8(img: np.ndarray) -> np.ndarray:
    return (img.astype(np.float64) / 257).round().astype(np.uint8) if img.dtype == np.uint16 \
        else img


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((to8(a).astype(np.float64) - to8(b).astype(np.float64)) ** 2)
    return float(10 * np.log10(255 ** 2 / mse))


def main() -> int:
    from camera_files import make_dng
    from PIL import Image

    from app.core import Enhancer, read_image

    rng = np.random.default_rng(0)
    clean = scene()
    dirty = noisy(clean, rng)
    enhancer = Enhancer()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_dng(folder / "clean.dng", clean)
        make_dng(folder / "noisy.dng", dirty)
        developed, _ = read_image(folder / "noisy.dng")  # the app's own development
        Image.fromarray(to8(developed)).save(folder / "noisy.jpg", quality=90)
        reference, _ = read_image(folder / "clean.dng")
        target = enhancer.enhance(reference).image
        rows = []
        for denoise in ("auto", 2.0):
            for name in ("noisy.dng", "noisy.jpg"):
                pixels, _ = read_image(folder / name)
                out = enhancer.enhance(pixels, denoise=denoise).image
                rows.append((name, pixels.dtype.name, denoise, psnr(out, target),
                             flat_noise(to8(out), to8(target))))
    print("input      depth  denoise  PSNR vs the clean scene enhanced  noise left (flat, 8-bit)")
    for name, depth, denoise, p, n in rows:
        print(f"{name:10s} {depth:6s} {denoise!s:7s} {p:8.2f} dB {n:30.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
