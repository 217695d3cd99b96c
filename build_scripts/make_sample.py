"""Render resources/sample_night.jpg: a synthetic night street, made here from nothing but
numpy and OpenCV drawing calls (no photo of anyone's goes into the repository).

    python build_scripts/make_sample.py
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

W, H = 1200, 800


def render(seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.zeros((H, W, 3), np.float32)
    sky = 0.05 + 0.10 * (1 - y / H)  # dusk sky, brighter at the horizon
    img[:] = np.stack([sky * 0.6, sky * 0.75, sky * 1.2], axis=2)
    for _ in range(120):  # stars
        cv2.circle(img, (int(rng.integers(W)), int(rng.integers(H // 3))), 1,
                   (0.6, 0.6, 0.7), -1)
    # buildings with lit windows
    x0 = 0
    while x0 < W:
        bw, bh = int(rng.integers(120, 240)), int(rng.integers(250, 520))
        wall = tuple(float(c) for c in rng.uniform(0.12, 0.3, 3))
        cv2.rectangle(img, (x0, H - 140 - bh), (x0 + bw, H - 140), wall, -1)
        for wy in range(H - 120 - bh, H - 170, 42):
            for wx in range(x0 + 14, x0 + bw - 24, 34):
                lit = rng.random() < 0.35
                colour = (1.0, 0.78, 0.42) if lit else (0.08, 0.09, 0.12)
                cv2.rectangle(img, (wx, wy), (wx + 18, wy + 24), colour, -1)
        x0 += bw + int(rng.integers(4, 30))
    # street, kerb and lane markings
    cv2.rectangle(img, (0, H - 140), (W, H), (0.16, 0.16, 0.17), -1)
    cv2.rectangle(img, (0, H - 140), (W, H - 128), (0.35, 0.35, 0.33), -1)
    for lx in range(20, W, 140):
        cv2.rectangle(img, (lx, H - 62), (lx + 70, H - 54), (0.8, 0.8, 0.7), -1)
    # a car with red tail lights and a blue door
    cv2.rectangle(img, (700, H - 118), (940, H - 58), (0.55, 0.12, 0.1), -1)
    cv2.rectangle(img, (740, H - 150), (890, H - 116), (0.2, 0.3, 0.5), -1)
    for cx in (735, 905):
        cv2.circle(img, (cx, H - 52), 20, (0.05, 0.05, 0.05), -1)
    # street lamps: poles and soft pools of light
    glow = np.zeros((H, W), np.float32)
    for lx in (180, 560, 1040):
        cv2.rectangle(img, (lx - 3, H - 420), (lx + 3, H - 130), (0.25, 0.25, 0.25), -1)
        glow += np.exp(-(((x - lx) ** 2) / (2 * 120 ** 2) + ((y - (H - 400)) ** 2)
                         / (2 * 200 ** 2)))
        cv2.circle(img, (lx, H - 425), 9, (1.0, 0.9, 0.6), -1)
    img += glow[..., None] * np.array([0.35, 0.27, 0.15], np.float32)
    img = cv2.GaussianBlur(img, (0, 0), 1.2)
    # night exposure: dark, slightly warm, with shot and read noise
    dark = np.clip(img, 0, 1) ** 1.6 * 0.30
    noise = rng.normal(0, 1, dark.shape).astype(np.float32)
    dark = dark + noise * (0.004 + 0.02 * np.sqrt(dark))
    return (np.clip(dark, 0, 1) * 255 + 0.5).astype(np.uint8)


def main() -> None:
    out = Path(__file__).resolve().parent.parent / "resources" / "sample_night.jpg"
    out.parent.mkdir(exist_ok=True)
    cv2.imwrite(str(out), cv2.cvtColor(render(), cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 90])
    print(f"wrote {out} ({out.stat().st_size // 1024} KiB)")


if __name__ == "__main__":
    main()
