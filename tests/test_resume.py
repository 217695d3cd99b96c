"""Killed mid-write and run again: the rerun completes every output, removes the temporary
files the killed run left (its own naming pattern only, never a file a live writer holds), and
the originals stay byte-identical."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from clips import make_clip
from hostile import digests
from PIL import Image

from app.core import probe
from app.core.media.tempfiles import TempFile, is_temp_name, remove_stale_temps

pytestmark = pytest.mark.slow  # processes killed and rerun: left out of the quick run
ROOT = Path(__file__).resolve().parent.parent


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_only_our_own_dead_temp_files_are_removed(tmp_path):
    ours = tmp_path / ".x_enhanced.jpg.lowlight-ab12cd_9.part"
    fresh = tmp_path / ".y_enhanced.jpg.lowlight-zz12cd_9.part"
    others = [tmp_path / n for n in (
        ".x_enhanced.jpg.abc12345.part",  # another program's (or our old) pattern
        "x.lowlight-ab12cd_9.part",  # not hidden
        ".x.lowlight-ab1.part",  # wrong random part
        ".x.lowlight-ab12cd_9.part.jpg",
        "photo.jpg",
    )]
    for p in [ours, fresh, *others]:
        p.write_bytes(b"half a file")
    for p in [ours, *others]:
        _age(p, 3600)
    live = TempFile(tmp_path / "z_enhanced.png")  # a writer that is still at work
    _age(live.path, 3600)
    try:
        removed = remove_stale_temps(tmp_path)
        assert removed == [ours]
        assert live.path.exists() and fresh.exists() and all(p.exists() for p in others)
        assert is_temp_name(live.path.name) and live.path.name.startswith(".z_enhanced.png.")
    finally:
        live.discard()
    assert not live.path.exists()


def _folder_of_photos(src: Path, n: int = 10) -> None:
    rng = np.random.default_rng(0)
    for i in range(n):
        Image.fromarray((rng.random((600, 800, 3)) * 40 + 5).astype(np.uint8)).save(
            src / f"p{i:02d}.jpg", quality=90)
    weird = os.fsencode(src) + b"/nuit \xe9t\xe9.png"  # not UTF-8: the report must cope
    with open(weird, "wb") as f:
        Image.fromarray((rng.random((60, 80, 3)) * 40).astype(np.uint8)).save(f, "PNG")


@pytest.mark.skipif(os.name == "nt", reason="kill -9")
def test_kill_minus_9_then_rerun_completes_everything_and_leaves_nothing(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    make_clip(src / "a_clip.mp4", frames=120, size=(640, 360), audio=True)  # first in line
    _folder_of_photos(src)
    before = digests(src)
    cmd = [sys.executable, "-m", "app.cli", "batch", str(src), "-o", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while not (out.is_dir() and any(is_temp_name(p.name) for p in out.iterdir())):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.02)
        time.sleep(0.3)
        os.kill(proc.pid, signal.SIGKILL)  # mid-write: the video is half encoded
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    left = [p for p in out.iterdir() if is_temp_name(p.name)]
    assert left, "the kill should have left a temporary file"
    time.sleep(max(0.0, 2.5 - (time.time() - max(p.stat().st_mtime for p in left))))
    rerun = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr.decode(errors="replace")
    assert b"12 done, 0 skipped, 0 failed" in rerun.stdout, rerun.stdout
    assert [p.name for p in out.rglob(".*")] == []  # no temporary file anywhere
    assert probe(out / "a_clip_enhanced.mp4").frames == 120
    photos = sorted(p for p in out.iterdir() if p.suffix in (".jpg", ".png"))
    assert len(photos) == 11
    for p in photos:
        with Image.open(p) as im:
            im.load()  # complete, decodable files
    assert digests(src) == before  # originals untouched
