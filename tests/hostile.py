"""Hostile inputs the tests build at run time: colour bars in every TIFF colour model, a tiny
PNG that claims hundreds of megapixels, 16-bit files with ICC/EXIF, joined MPEG-TS clips, and a
guard that turns a hang into a test failure."""
from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

BAR_COLOURS = [(150, 40, 40), (40, 150, 40), (40, 40, 150), (120, 120, 40)]


def colour_bars(h: int = 48, w: int = 64) -> np.ndarray:
    """Four vertical bars (red, green, blue, olive) with a little texture."""
    img = np.zeros((h, w, 3), np.uint8)
    for i, c in enumerate(BAR_COLOURS):
        img[:, i * w // 4:(i + 1) * w // 4] = c
    img[::4] = (img[::4] * 0.8).astype(np.uint8)
    return img


def bar_means(pixels: np.ndarray) -> np.ndarray:
    """Mean RGB of each bar (inner part), 4x3."""
    w = pixels.shape[1]
    return np.array([pixels[:, i * w // 4 + 2:(i + 1) * w // 4 - 2, :3].reshape(-1, 3).mean(0)
                     for i in range(4)])


def tiff_colour_models(folder: Path) -> dict[str, Path]:
    """The same bars as RGB, CMYK, palette and YCbCr TIFFs (plain and JPEG-compressed), with
    a camera make in their first IFD, as scanners and cameras write them."""
    folder.mkdir(parents=True, exist_ok=True)
    im = Image.fromarray(colour_bars())
    info = {271: "HostileCam"}
    files = {"rgb": folder / "rgb.tif", "cmyk": folder / "cmyk.tif",
             "palette": folder / "palette.tif", "ycbcr": folder / "ycbcr.tif",
             "ycbcr_jpeg": folder / "ycbcr_jpeg.tif"}
    im.save(files["rgb"], tiffinfo=info)
    im.convert("CMYK").save(files["cmyk"], tiffinfo=info)
    im.quantize(colors=16).save(files["palette"], tiffinfo=info)
    im.convert("YCbCr").save(files["ycbcr"], tiffinfo=info)
    im.convert("YCbCr").save(files["ycbcr_jpeg"], compression="jpeg", quality=95,
                             tiffinfo=info)
    return files


def huge_one_bit_png(path: Path, width: int = 20_000, height: int = 12_500) -> Path:
    """A 1-bit black PNG of width x height pixels (250 MP) in a few tens of KB."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    row = b"\0" * (1 + (width + 7) // 8)  # filter byte + packed bits
    z = zlib.compressobj(9)
    body = b"".join(z.compress(row * 500) for _ in range(height // 500)) + z.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body)
                     + chunk(b"IEND", b""))
    return path


def srgb_icc() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "HostileCam"  # make
    exif[0x8769] = {0x9003: "2026:11:29 05:15:00",  # DateTimeOriginal in the Exif IFD
                    0xA005: {0x0001: "R98"}}  # and an Interop IFD inside it
    return exif.tobytes()


def sixteen_bit_png(path: Path, pixels: np.ndarray, icc: bytes, exif: bytes) -> Path:
    """A 16-bit RGB PNG with iCCP and eXIf chunks, built by hand (OpenCV writes neither)."""
    import cv2

    ok, buf = cv2.imencode(".png", cv2.cvtColor(pixels, cv2.COLOR_RGB2BGR))
    data = buf.tobytes()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF))

    extra = chunk(b"iCCP", b"sRGB\0\0" + zlib.compress(icc)) + chunk(b"eXIf", exif[6:])
    path.write_bytes(data[:33] + extra + data[33:])
    return path


def joined_ts(folder: Path, sizes=((320, 180), (160, 90)), frames: int = 12,
              audio: bool = False) -> Path:
    """MPEG-TS clips of different picture sizes joined byte for byte (as `cat a.ts b.ts`)."""
    from clips import make_clip

    parts = [make_clip(folder / f"part{i}.ts", frames=frames, size=size, audio=audio)
             for i, size in enumerate(sizes)]
    joined = folder / "joined.ts"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts))
    for p in parts:
        p.unlink()
    return joined


def digests(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in Path(root).rglob("*") if p.is_file() and not p.is_symlink()}


def within(seconds: float, fn, *args, **kwargs):
    """Run ``fn`` in a thread; fail the test if it is still running after ``seconds`` (a
    hang), else return its result or raise its exception."""
    result: dict = {}

    def target():
        try:
            result["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test's thread
            result["error"] = exc

    t = threading.Thread(target=target, daemon=True, name="deadline")
    t.start()
    t.join(seconds)
    if t.is_alive():
        pytest.fail(f"{getattr(fn, '__name__', fn)} still running after {seconds} s: it hangs")
    if "error" in result:
        raise result["error"]
    return result["value"]


class PipeWatch:
    """Named pipes that must never be opened: a watcher thread keeps trying to open each one
    for writing without blocking, which succeeds only while a reader holds it open (the
    fault). It then closes it again, so the blocked reader gets an end of file instead of
    hanging the test, and ``opened`` names the pipe. Deterministic: a program that never opens
    the pipe can never be caught, however slow the machine."""

    def __init__(self, *pipes: Path):
        import os

        self.pipes = [Path(p) for p in pipes]
        for p in self.pipes:
            os.mkfifo(p)
        self.opened: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="pipe-watch")

    def _watch(self) -> None:
        import os

        while not self._stop.wait(0.05):
            for p in self.pipes:
                try:
                    fd = os.open(p, os.O_WRONLY | os.O_NONBLOCK)
                except OSError:  # ENXIO: nobody reads it, as it should be
                    continue
                self.opened.append(p.name)
                os.close(fd)

    def __enter__(self) -> PipeWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
