"""Test clips made with PyAV: a slow pan over a dark scene, fresh noise each frame, and sound."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def dark_scene(h: int = 180, w: int = 320, seed: int = 3) -> np.ndarray:
    """A wide dark 'street' to pan over (float32 in [0, 1], 2x the clip width)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:2 * w].astype(np.float32)
    base = 0.05 + 0.06 * np.sin(x / 37.0) ** 2 + 0.04 * (y / h)
    img = np.stack([base * 1.1, base, base * 0.85], axis=2)
    for _ in range(12):  # lit windows
        cy, cx = rng.integers(10, h - 30), rng.integers(0, 2 * w - 30)
        img[cy:cy + 16, cx:cx + 24] += rng.uniform(0.15, 0.35)
    return np.clip(img, 0, 1)


def make_clip(path: Path, frames: int = 36, fps: int = 12, size=(320, 180), audio: bool = True,
              codec: str = "libx264", noise: float = 0.012, pix_fmt: str = "yuv420p",
              rotation: int = 0, seed: int = 0, gop: int | None = None,
              pan: bool = True, start_frames: int = 0) -> Path:
    """``start_frames``: the first frame's timestamp, in frames (an MPEG-TS clip starts where
    the broadcaster's clock stood)."""
    w, h = size
    scene = dark_scene(h, w)
    rng = np.random.default_rng(seed)
    with av.open(str(path), "w") as out:
        v = out.add_stream(codec, rate=fps)
        v.width, v.height, v.pix_fmt = w, h, pix_fmt
        v.options = {"crf": "18", "preset": "ultrafast"} if codec.startswith("libx26") else {}
        if gop:  # a keyframe every `gop` frames (the default puts one in a short clip)
            v.options["g"] = str(gop)
        if rotation:
            v.set_display_rotation(rotation)
        a = None
        if audio:
            a = out.add_stream("aac", rate=48000)
            a.layout = "mono"
        for i in range(frames):
            shift = int(i * w / (2 * frames)) if pan else 0  # pan half a screen over the clip
            img = scene[:, shift:shift + w] + rng.normal(0, noise, (h, w, 3))
            frame = av.VideoFrame.from_ndarray(
                (np.clip(img, 0, 1) * 255).astype(np.uint8), format="rgb24")
            frame.pts = i + start_frames
            frame.time_base = Fraction(1, fps)
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
        if a is not None:
            n = int(48000 * frames / fps)
            t = np.arange(n) / 48000
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
            for start in range(0, n, 1024):
                af = av.AudioFrame.from_ndarray(tone[:, start:start + 1024], format="fltp",
                                                layout="mono")
                af.sample_rate = 48000
                af.pts = start + start_frames * 48000 // fps
                out.mux(a.encode(af))
            out.mux(a.encode(None))
    return path


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return []
        return [bytes(p) for p in c.demux(c.streams.audio[0]) if p.size]


def frame_means(path: Path) -> tuple[np.ndarray, list]:
    with av.open(str(path)) as c:
        frames = list(c.decode(video=0))
        return (np.array([f.to_ndarray(format="rgb24").mean() / 255 for f in frames]),
                [f.pts for f in frames])


def two_sided_scene(h: int, w: int, lit: float = 0.6, dark: float = 0.05, seed: int = 5
                    ) -> np.ndarray:
    """A panorama 3 views wide: a lit side (mean about ``lit``) and, two views on, a dark one
    (about ``dark``), the same kind of texture on both, a soft edge between them."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:3 * w].astype(np.float32)
    texture = 0.75 + 0.25 * np.sin(x / 23.0) * np.cos(y / 17.0)
    for _ in range(40):  # objects: boxes of other brightness
        cy, cx = rng.integers(0, h - 20), rng.integers(0, 3 * w - 30)
        texture[cy:cy + 20, cx:cx + 30] *= rng.uniform(0.5, 1.4)
    t = np.clip((x - 1.2 * w) / (0.6 * w), 0, 1)  # lit -> dark between 1.2 and 1.8 views
    level = np.exp(np.log(lit) + (np.log(dark) - np.log(lit)) * t)
    img = texture * level
    return np.clip(np.stack([img * 1.05, img, img * 0.9], axis=2), 0, 1)


def write_frames(path: Path, images, fps: float = 12, gop: int = 12,
                 time_base: Fraction | None = None) -> Path:
    """RGB uint8 frames into an H.264 clip (CRF 18), a keyframe every ``gop`` frames; the
    stream's ``time_base`` as a phone's (1/30000, 1/90000) where given."""
    rate = Fraction(fps).limit_denominator(1001)
    time_base = time_base or 1 / rate
    step = round(1 / (rate * time_base))
    with av.open(str(path), "w") as out:
        v = None
        for i, img in enumerate(images):
            if v is None:
                v = out.add_stream("libx264", rate=rate)
                v.height, v.width = img.shape[:2]
                v.pix_fmt = "yuv420p"
                v.options = {"crf": "18", "preset": "ultrafast", "g": str(gop)}
                v.time_base = time_base
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i * step, time_base
            out.mux(v.encode(frame))
        out.mux(v.encode(None))
    return path


def cut_then_pan(h: int = 180, w: int = 320, fps: float = 12, cut: float = 3.0,
                 seconds: float = 16.0, seed: int = 9):
    """Frames of a still dark street for ``cut`` seconds, then a cut to a slow pan across a
    lit and a dark side of another scene (the issue's split-video case, scaled down)."""
    rng = np.random.default_rng(seed)
    street, sides = dark_scene(h, w), two_sided_scene(h, w)
    n, first = int(seconds * fps), int(cut * fps)
    for i in range(n):
        if i < first:
            img = street[:, :w]
        else:
            c = int(round((i - first) / (n - first) * 2 * w))
            img = sides[:, c:c + w]
        img = img + rng.normal(0, 0.01, img.shape)
        yield (np.clip(img, 0, 1) * 255).astype(np.uint8)


def detailed_scene(h: int, w: int, seed: int = 0) -> np.ndarray:
    """A frame with fine detail and colour edges (float32 in [0, 1], peak 1): smooth walls, a
    3-pixel checker texture, one-pixel lines every 97 pixels, 40 flat patches in saturated
    colours (orange, blue, green, pink, white) with hard edges."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.3 + 0.25 * np.sin(x / 53.0) ** 2 + 0.2 * (y / h)
    img = np.stack([base * 1.05, base, base * 0.9], axis=2)
    img *= (1 + 0.25 * (((x // 3) + (y // 3)) % 2))[:, :, None]
    colours = [(1.0, 0.45, 0.15), (0.2, 0.5, 1.0), (0.3, 1.0, 0.35), (1.0, 0.2, 0.6),
               (0.9, 0.9, 0.9)]
    for i in range(40):
        cy, cx = rng.integers(0, h - 60), rng.integers(0, w - 90)
        ph, pw = rng.integers(15, 60), rng.integers(20, 90)
        img[cy:cy + ph, cx:cx + pw] = np.array(colours[i % 5]) * rng.uniform(0.5, 1.6)
    img[:, ::97] *= 1.8
    return np.clip(img / img.max(), 0, 1).astype(np.float32)
