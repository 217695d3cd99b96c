"""Nothing lost, nothing hangs, round 3 (issue #23): orientation in every format, files that
are not regular files, two batches into one folder, SIGTERM, links out of the output folder,
silent losses named, memory guards. Every test here failed before the fix it names."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest
from hostile import PipeWatch
from PIL import Image, ImageOps

from app.cli import main as cli
from app.core import PresetError, PresetStore, discover
from app.core.media.images import read_image, write_image
from app.core.media.metadata import encode_tiff


def _dark(seed=0, h=48, w=64):
    rng = np.random.default_rng(seed)
    return (rng.random((h, w, 3)) * 20 + 30).astype(np.uint8)


def _report(out: Path) -> dict[str, dict]:
    """The newest JSON report in ``out``: source name -> its row."""
    path = sorted(out.glob("lowlight_report-*.json"))[-1]
    return {Path(row["source"]).name: row for row in json.loads(path.read_text())["files"]}


def _asymmetric(h: int = 32, w: int = 48) -> np.ndarray:
    """Blocks of 8 (JPEG-friendly) that no flip or turn maps onto another orientation."""
    img = np.full((h, w, 3), 20, np.uint8)
    img[:8, :8] = (200, 30, 30)  # top-left red
    img[:8, -8:] = (30, 200, 30)  # top-right green
    img[-8:, :16] = (30, 30, 200)  # bottom-left, wider, blue
    return img


def _upright(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """What a viewer shows: Pillow's own reading of the EXIF orientation."""
    im = Image.fromarray(pixels)
    im.getexif()[0x0112] = orientation
    return np.asarray(ImageOps.exif_transpose(im))


def _exif(orientation: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return exif


# ---- 1: a TIFF's orientation is applied once (the decoders turn TIFFs themselves) -------
@pytest.mark.parametrize("bits", [8, 16])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_tiff_orientation_is_applied_once(tmp_path, bits, orientation):
    px = _asymmetric()
    path = tmp_path / "o.tif"
    if bits == 8:
        Image.fromarray(px).save(path, tiffinfo={0x0112: orientation})
    else:
        path.write_bytes(encode_tiff(px.astype(np.uint16) * 257, _exif(orientation), None))
    got, meta = read_image(path)
    want = _upright(px, orientation)
    np.testing.assert_array_equal(got, want if bits == 8 else want.astype(np.uint16) * 257)
    write_image(tmp_path / "out.tif", got, meta=meta)  # the output says upright, and is
    with Image.open(tmp_path / "out.tif") as out:
        assert out.getexif().get(0x0112, 1) == 1
        assert out.size == (want.shape[1], want.shape[0])


# ---- 4: orientation 7 (transverse) is not taken for 5 (transpose) -----------------------
@pytest.mark.parametrize("fmt, options", [("jpg", {"quality": 100, "subsampling": 0}),
                                          ("png", {}), ("webp", {"lossless": True})])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_jpeg_png_webp_every_orientation_is_upright(tmp_path, fmt, options, orientation):
    px = _asymmetric()
    path = tmp_path / f"o.{fmt}"
    Image.fromarray(px).save(path, exif=_exif(orientation).tobytes(), **options)
    got, _ = read_image(path)
    want = _upright(px, orientation)
    assert got.shape == want.shape
    assert np.abs(got.astype(int) - want).max() <= 8  # JPEG's rounding only


# ---- 2: pipes, sockets, devices are skipped by name, never opened ------------------------
def _odd_files(folder: Path, monkeypatch) -> None:
    """A socket and a link to /dev/zero with photo names (the pipes come from PipeWatch)."""
    monkeypatch.chdir(folder)  # a socket's path has a short limit: bind it by a short name
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind("sock.png")
    os.symlink("/dev/zero", folder / "zero.jpg")


def test_odd_files_are_skipped_by_kind_in_discovery(tmp_path, monkeypatch):
    src = tmp_path / "in"
    src.mkdir()
    _odd_files(src, monkeypatch)
    os.mkfifo(src / "pipe.jpg")
    os.mkfifo(tmp_path / "named.mp4")
    items = {i.source.name: i for i in discover([src, tmp_path / "named.mp4"])}
    assert {n: (i.status, i.reason) for n, i in items.items()} == {
        "pipe.jpg": ("skipped", "not a regular file (a named pipe)"),
        "sock.png": ("skipped", "not a regular file (a socket)"),
        "zero.jpg": ("skipped", "not a regular file (a character device)"),
        "named.mp4": ("skipped", "not a regular file (a named pipe)")}


def test_a_named_pipe_never_hangs_a_batch(tmp_path, monkeypatch, capsys):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    Image.fromarray(_dark()).save(src / "a.png")
    _odd_files(src, monkeypatch)
    out = tmp_path / "out"
    out.mkdir()
    # pipes in the folder, named on the command line, and where an output would go
    with PipeWatch(src / "pipe.jpg", src / "sub" / "clip.mp4", tmp_path / "named.jpg",
                   out / "a_enhanced.png") as watch:
        code = cli(["batch", str(src), str(tmp_path / "named.jpg"), "-o", str(out)])
        enhance_code = cli(["enhance", str(tmp_path / "named.jpg"), "-o", str(tmp_path / "e")])
    assert watch.opened == [], f"opened (and would hang on): {watch.opened}"
    assert code == 0 and enhance_code == 0
    rows = _report(out)
    for name in ("pipe.jpg", "clip.mp4", "named.jpg", "sock.png", "zero.jpg"):
        assert rows[name]["status"] == "skipped", rows[name]
        assert rows[name]["reason"].startswith("not a regular file"), rows[name]
    assert rows["a.png"]["status"] == "done"
    assert Path(rows["a.png"]["output"]).name == "a_enhanced (2).png"  # the pipe is not ours
    assert "named.jpg: not a regular file (a named pipe)" in capsys.readouterr().err


def test_a_presets_file_that_is_a_pipe_hangs_neither_cli_nor_window(tmp_path, monkeypatch,
                                                                    capsys, qtbot):
    from PySide6.QtCore import QSettings

    from app.__main__ import enhancer_factory
    from app.gui.main_window import MainWindow

    config = tmp_path / "config"
    config.mkdir()
    monkeypatch.setenv("LOWLIGHT_CONFIG_DIR", str(config))
    with PipeWatch(config / "presets.json") as watch:
        with pytest.raises(PresetError, match="not a regular file"):
            PresetStore().load()
        assert cli(["presets"]) == 1
        assert cli(["batch", str(tmp_path), "-o", str(tmp_path / "o"), "--preset", "x"]) == 2
        w = MainWindow(enhancer_factory, QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat),
                       PresetStore())
        qtbot.addWidget(w)
        w.show()
        w.close()
    assert watch.opened == []
    assert "not a regular file" in capsys.readouterr().err
    assert (config / "presets.json").is_fifo()  # left as it was


# ---- 9: a damaged presets file is named, the defaults are used, the file is kept --------
@pytest.mark.parametrize("content", [
    b"[" * 100_000 + b"]" * 100_000,  # nested too deeply for the parser
    '{"presets": {"Night": {"strength": 4}}}'.encode("utf-16"),  # UTF-16, not UTF-8
    b'{"presets": {}, "pad": "' + b"x" * (3 * 1024 * 1024) + b'"}',  # huge
    b"\xff\xfe\x00garbage",
])
def test_a_damaged_presets_file_is_named_and_kept(tmp_path, monkeypatch, capsys, content):
    config = tmp_path / "config"
    config.mkdir()
    (config / "presets.json").write_bytes(content)
    monkeypatch.setenv("LOWLIGHT_CONFIG_DIR", str(config))
    with pytest.raises(PresetError, match="presets file damaged"):
        PresetStore().load()
    assert cli(["presets"]) == 1
    err = capsys.readouterr().err
    assert "presets file damaged" in err and "Traceback" not in err
    assert (config / "presets.json").read_bytes() == content
