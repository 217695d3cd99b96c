"""The batch engine on a folder of good and bad files that the test builds itself."""
from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.core import BatchControl, OutputOptions, discover, run_batch
from app.core.media.images import read_image
from app.core.settings import EnhanceSettings

BAD = {"empty.jpg": "empty", "truncated.jpg": "not a readable", "notes.jpg": "not a readable"}


def _dark(h=60, w=80, seed=0):
    """A dark scene (smooth shapes, a little sensor noise): pure noise would rightly be
    left dark by Auto exposure."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    scene = 12 + 25 * (np.sin(x / 9 + seed) ** 2) * (np.cos(y / 7) ** 2)
    img = np.stack([scene * 1.1, scene, scene * 0.8], axis=2) + rng.normal(0, 1.5, (h, w, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def build_messy_folder(root: Path, big: bool = False) -> None:
    sub = root / "trip" / "día 2"
    sub.mkdir(parents=True)
    img = _dark()
    Image.fromarray(img).save(root / "plain.jpg", quality=92)
    Image.fromarray(img).save(root / "with space.png")
    Image.fromarray(img).save(sub / "ünïcødé.tif")
    Image.fromarray(img).save(sub / "old.bmp")
    Image.fromarray(img).save(sub / "web.webp", quality=90)
    Image.fromarray(img[..., 0]).save(root / "gray.png")
    Image.fromarray(np.dstack([img, np.full(img.shape[:2], 128, np.uint8)])).save(
        root / "alpha.png")
    Image.fromarray(img).convert("CMYK").save(root / "cmyk.jpg")
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(img).save(root / "rotated.jpg", exif=exif.tobytes())
    import cv2

    deep = (img.astype(np.uint16) * 257)
    cv2.imwrite(str(root / "deep16.png"), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    cv2.imwrite(str(sub / "deep16.tif"), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    (root / "empty.jpg").write_bytes(b"")
    buf = io.BytesIO()
    Image.fromarray(_dark(200, 200)).save(buf, "JPEG")
    (root / "truncated.jpg").write_bytes(buf.getvalue()[:300])
    (root / "notes.jpg").write_text("shopping list, not a photo")
    (root / "Thumbs.db").write_bytes(b"junk")
    (root / ".DS_Store").write_bytes(b"junk")
    (root / "._plain.jpg").write_bytes(b"junk")
    (root / "plain.jpg:Zone.Identifier").write_text("[ZoneTransfer]")
    (root / "locked").mkdir()
    Image.fromarray(img).save(root / "locked" / "blocked.png")
    os.symlink(root, sub / "loop")  # a symlink loop back to the top
    if big:  # 50 megapixels
        Image.new("RGB", (8660, 5780), (20, 18, 15)).save(root / "huge.jpg", quality=80)


def _digests(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in root.rglob("*") if p.is_file() and not p.is_symlink()}


def test_discovery_skips_junk_and_survives_symlink_loops(tmp_path):
    build_messy_folder(tmp_path / "in")
    names = sorted(str(i.relative) for i in discover([tmp_path / "in"]))
    assert "Thumbs.db" not in names and not any(n.startswith("._") for n in names)
    assert not any("Zone.Identifier" in n for n in names)
    assert not any("loop" in n for n in names)  # the loop is walked once
    assert "trip/día 2/ünïcødé.tif" in names
    flat = [str(i.relative) for i in discover([tmp_path / "in"], recursive=False)]
    assert not any("trip" in n for n in flat)


@pytest.mark.slow
def test_messy_folder_every_good_file_done_every_bad_one_explained(tmp_path, enhancer):
    src = tmp_path / "in"
    build_messy_folder(src, big=True)
    before = _digests(src)
    out = tmp_path / "out"
    out.mkdir()
    (out / "locked").write_text("a file where the output folder should be: unwritable")
    items = discover([src])
    report = run_batch(items, enhancer, EnhanceSettings(), OutputOptions(out))
    by_name = {Path(o.source).name: o for o in report.outcomes}
    for name, reason in BAD.items():
        assert by_name[name].status == "failed" and reason in by_name[name].reason
    assert by_name["blocked.png"].status == "failed" and by_name["blocked.png"].reason
    done = {n for n, o in by_name.items() if o.status == "done"}
    assert done == {"plain.jpg", "with space.png", "gray.png", "alpha.png", "cmyk.jpg",
                    "rotated.jpg", "deep16.png", "huge.jpg", "ünïcødé.tif", "old.bmp",
                    "web.webp", "deep16.tif"}
    trip = out / "trip" / "día 2"
    assert read_image(trip / "deep16_enhanced.tif")[0].dtype == np.uint16
    for name in ("ünïcødé_enhanced.tif", "old_enhanced.bmp", "web_enhanced.webp"):
        pixels = read_image(trip / name)[0]
        assert pixels.shape == (60, 80, 3) and pixels.mean() > 60, name
    assert _digests(src) == before  # inputs byte-identical
    deep, _ = read_image(out / "deep16_enhanced.png")
    assert deep.dtype == np.uint16
    assert read_image(out / "gray_enhanced.png")[0].ndim == 2
    assert read_image(out / "alpha_enhanced.png")[0].shape[2] == 4
    assert read_image(out / "rotated_enhanced.jpg")[0].shape[:2] == (80, 60)
    plain_in = read_image(src / "plain.jpg")[0]
    plain_out = read_image(out / "plain_enhanced.jpg")[0]
    assert plain_out.mean() > 1.5 * plain_in.mean()
    assert read_image(out / "huge_enhanced.jpg")[0].shape == (5780, 8660, 3)
    csv_path, json_path = report.paths  # lowlight_report-<time>.csv/.json
    assert sorted(p.name for p in out.glob("lowlight_report-*")) == [csv_path.name,
                                                                     json_path.name]
    data = json.loads(json_path.read_text())
    assert len(data["files"]) == len(items) and "failed" in data["summary"]
    assert csv_path.read_text().count("\n") == len(items) + 1
    assert not list(out.rglob("*.part"))  # no half-written files


def test_existing_outputs_are_skipped_then_overwritten_on_request(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(_dark()).save(src / "a.png")
    opts = OutputOptions(tmp_path / "out")
    first = run_batch(discover([src]), enhancer, EnhanceSettings(), opts)
    assert first.count("done") == 1
    again = run_batch(discover([src]), enhancer, EnhanceSettings(), opts)
    assert again.count("skipped") == 1
    opts.overwrite = True
    assert run_batch(discover([src]), enhancer, EnhanceSettings(), opts).count("done") == 1


def test_output_never_replaces_input(tmp_path, enhancer):
    Image.fromarray(_dark()).save(tmp_path / "a.png")
    before = (tmp_path / "a.png").read_bytes()
    report = run_batch(discover([tmp_path], exclude=tmp_path), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path, pattern="{stem}", overwrite=True))
    outcome, = report.outcomes  # the output takes the next free name and says why
    assert outcome.status == "done" and Path(outcome.output).name == "a (2).png"
    assert "a.png is an input" in outcome.reason
    assert (tmp_path / "a.png").read_bytes() == before
    again = run_batch(discover([tmp_path], exclude=tmp_path), enhancer, EnhanceSettings(),
                      OutputOptions(tmp_path, pattern="{stem}"))
    assert [(o.status, Path(o.output).name) for o in again.outcomes] == [
        ("skipped", "a (2).png")]  # the earlier output is not an input the second time


def test_cancel_stops_within_one_image(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    for i in range(6):
        Image.fromarray(_dark(seed=i)).save(src / f"{i}.png")
    control = BatchControl()

    def on_file(i, n, outcome):
        # on the first file finished, whichever it is (with several workers, item 1 may
        # finish last: cancelling on its index came after everything was done)
        control.cancel()

    report = run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(tmp_path / "o"),
                       on_file=on_file, control=control)
    assert report.count("cancelled") >= 3
    assert report.count("done") <= 3
    assert not list((tmp_path / "o").rglob("*.part"))


def test_cli_batch_and_enhance_end_to_end(tmp_path):
    src = tmp_path / "in"
    build_messy_folder(src)
    cmd = [sys.executable, "-m", "app.cli"]
    r = subprocess.run(cmd + ["batch", str(src), "-o", str(tmp_path / "b"), "--format", "png"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1, r.stderr  # some inputs are bad
    assert "failed" in r.stdout and "truncated.jpg" in r.stderr
    assert (tmp_path / "b" / "trip" / "día 2" / "old_enhanced.png").exists()
    r = subprocess.run(cmd + ["enhance", str(src / "plain.jpg"), str(src / "notes.jpg"),
                              "-o", str(tmp_path / "e"), "--save-factor", "-v"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    assert "notes.jpg" in r.stderr and "OpenCV DNN" in r.stderr + r.stdout
    assert (tmp_path / "e" / "plain.jpg").exists()
    assert (tmp_path / "e" / "plain_factor.png").exists()
    r = subprocess.run(cmd + ["enhance", str(src / "plain.jpg"), "-o", str(tmp_path / "ok")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "1 done" in r.stdout
    r = subprocess.run(cmd + ["enhance", str(src / "plain.jpg"), "-o", str(tmp_path / "x"),
                              "--exposure", "5"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "exposure" in r.stderr
