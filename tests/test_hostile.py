"""A hostile folder, built at test time: originals in the line of fire, escaping patterns,
clashing names, symlink loops and undecodable names, odd TIFF colour models, unreadable
folders, RAW files, an output folder inside the input, a pixel bomb and 16-bit metadata.
Every test here failed before the fix it names (issue #15)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from hostile import (
    bar_means,
    camera_exif,
    colour_bars,
    digests,
    huge_one_bit_png,
    sixteen_bit_png,
    srgb_icc,
    tiff_colour_models,
)
from PIL import Image

from app.cli import main as cli
from app.core import ImageTooLarge, OutputOptions, discover, read_image, run_batch, write_image
from app.core.settings import EnhanceSettings


def _dark(seed=0, level=30, h=48, w=64):
    rng = np.random.default_rng(seed)
    return (rng.random((h, w, 3)) * 20 + level).astype(np.uint8)


def _run(inputs, out, enhancer, exclude=None, recursive=True, **options):
    items = discover(inputs, recursive=recursive, exclude=exclude)
    return run_batch(items, enhancer, EnhanceSettings(), OutputOptions(Path(out), **options))


def _by_name(report):
    return {Path(o.source).name: o for o in report.outcomes}


# ---- 2: originals are never replaced, --overwrite replaces earlier outputs only ---------
def test_overwrite_replaces_earlier_outputs_never_an_original(tmp_path, enhancer):
    d = tmp_path / "d"
    d.mkdir()
    Image.fromarray(_dark(1)).save(d / "x.png")
    Image.fromarray(_dark(2)).save(d / "x.jpg", quality=90)  # an original, not an input
    Image.fromarray(_dark(3)).save(d / "y.jpg", quality=90)  # an input of the same batch
    Image.fromarray(_dark(4)).save(d / "y.png")
    before = digests(d)
    # lowlight enhance d/x.png d/y.png d/y.jpg -o d --format jpeg --overwrite, twice
    for _ in range(2):
        report = _run([d / "x.png", d / "y.png", d / "y.jpg"], d, enhancer, pattern="{stem}",
                      format="jpeg", overwrite=True)
        assert {o.status for o in report.outcomes} == {"done"}, report.outcomes
        for name, digest in before.items():
            assert digests(d)[name] == digest, f"{name} was replaced"
    names = {Path(o.source).name: Path(o.output).name for o in report.outcomes}
    # y.jpg's own output would be y.jpg (itself) and y.png's too: both move aside
    assert names == {"x.png": "x (2).jpg", "y.jpg": "y (2).jpg", "y.png": "y (3).jpg"}
    assert "x.jpg exists and was not written by Lowlight Studio" in _by_name(report)[
        "x.png"].reason
    assert "y.jpg is an input" in _by_name(report)["y.png"].reason
    for out in names.values():  # the second run replaced the first run's outputs
        Image.open(d / out).load()
    assert len([p for p in d.iterdir() if "lowlight_report" not in p.name]) == 7


# ---- 3: a pattern names a file inside the output folder; bad values exit 2 --------------
@pytest.mark.parametrize("args, message", [
    (["--pattern", "../outside/{stem}"], "inside the output folder"),
    (["--pattern", "/tmp/abs/{stem}"], "inside the output folder"),
    (["--pattern", "sub/../../{stem}"], "inside the output folder"),
    (["--pattern", "{nope}"], "{nope} is not allowed"),
    (["--pattern", "{0}"], "{0} is not allowed"),
    (["--pattern", "{}"], "is not allowed"),
    (["--pattern", "{stem"], "not valid"),
    (["--pattern", "{stem!r}"], "not allowed"),
    (["--quality", "500"], "quality must be an integer from 1 to 100"),
    (["--quality", "-5"], "quality must be an integer from 1 to 100"),
    (["--max-megapixels", "-1"], "max-megapixels"),
])
def test_bad_patterns_and_values_are_refused_before_anything(tmp_path, capsys, args, message):
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(_dark()).save(src / "a.png")
    out = tmp_path / "box" / "out"
    assert cli(["batch", str(src), "-o", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a.png", "in"]  # nothing written


def test_output_options_are_checked_in_core_for_gui_and_cli_alike():
    for pattern in ("../x/{stem}", "/abs/{stem}", "C:/x/{stem}", "{nope}", "{0}", "{stem", "",
                    "a//{stem}", "{stem}/"):
        with pytest.raises(ValueError, match="pattern"):
            OutputOptions(Path("o"), pattern=pattern).validated()
    for quality in (0, 101, 500, -5, 9.5):
        with pytest.raises(ValueError, match="quality"):
            OutputOptions(Path("o"), quality=quality).validated()
    with pytest.raises(ValueError, match="megapixel"):
        OutputOptions(Path("o"), max_megapixels=0).validated()
    assert OutputOptions(Path("o"), pattern="sub/{stem}_{{lit}}").validated().pattern


def test_a_pattern_may_use_sub_folders(tmp_path, enhancer):
    Image.fromarray(_dark()).save(tmp_path / "a.png")
    report = _run([tmp_path / "a.png"], tmp_path / "out", enhancer, pattern="night/{stem}-lit")
    assert report.outcomes[0].status == "done"
    assert (tmp_path / "out" / "night" / "a-lit.png").is_file()


# ---- 4: every item gets its own output ---------------------------------------------------
def test_clashing_names_each_get_their_own_output_deterministically(tmp_path, enhancer):
    d = tmp_path / "d"
    (d / "a").mkdir(parents=True)
    (d / "b").mkdir()
    levels = ["x.jpg", "x.JPG", "a/x.jpg", "b/x.jpg", "x.png", "x_factor.png"]
    for i, name in enumerate(levels):
        pixels = _dark(i)
        pixels[:, i * 10:i * 10 + 10] += 40  # a lit stripe tells whose output it is
        if name.endswith(".png"):
            Image.fromarray(pixels).save(d / name)
        else:
            Image.fromarray(pixels).save(d / name, quality=95)
    inputs = [d / n for n in levels]  # a/x.jpg and b/x.jpg named as separate files
    out = tmp_path / "out"
    report = _run(inputs, out, enhancer, pattern="{stem}", format="jpeg", save_factor=True)
    outputs = {o.source: o.output for o in report.outcomes}
    assert all(o.status == "done" for o in report.outcomes), report.outcomes
    assert len(set(outputs.values())) == len(levels)  # one output each
    written = sorted(p.name for p in out.iterdir() if not p.name.startswith("lowlight_report"))
    assert len(written) == 2 * len(levels)  # outputs + heatmaps, nothing replaced
    for i, name in enumerate(levels):  # each output comes from its own source
        pixels = read_image(outputs[str(d / name)])[0]
        stripes = [pixels[:, k * 10 + 2:k * 10 + 8].mean() for k in range(6)]
        assert int(np.argmax(stripes)) == i, (name, outputs[str(d / name)], stripes)
    assert any("is the output of" in o.reason for o in report.outcomes)
    # rerun with the inputs in another order: same names, all skipped as earlier outputs
    again = _run(inputs[::-1], out, enhancer, pattern="{stem}", format="jpeg",
                 save_factor=True)
    assert {o.source: (o.status, o.output) for o in again.outcomes} == {
        s: ("skipped", t) for s, t in outputs.items()}


# ---- 5: a symlink loop and a non-UTF-8 name are named failures; the report is written --
def test_symlink_loop_and_undecodable_name_do_not_end_the_batch(tmp_path, enhancer):
    d = tmp_path / "d"
    d.mkdir()
    Image.fromarray(_dark()).save(d / "ok.png")
    os.symlink("loop.jpg", d / "loop.jpg")  # points at itself
    raw_name = os.fsencode(d) + b"/caf\xe9 nuit.png"  # Latin-1 bytes, not UTF-8
    with open(raw_name, "wb") as f:
        Image.fromarray(_dark(1)).save(f, "PNG")
    out = tmp_path / "out"
    report = _run([d, d / "loop.jpg"], out, enhancer)
    by_name = _by_name(report)
    assert by_name["loop.jpg"].status == "failed"
    assert "symlink loop" in by_name["loop.jpg"].reason
    assert by_name["ok.png"].status == "done"
    odd = next(o for o in report.outcomes if "caf" in o.source)
    assert odd.status == "done"
    assert os.path.exists(os.fsencode(out) + b"/caf\xe9 nuit_enhanced.png")
    data = json.loads(report.paths[1].read_text(encoding="utf-8"))
    assert any(f["source"].endswith("/caf\\xe9 nuit.png") for f in data["files"])
    assert len(data["files"]) == 3 and "1 failed" in data["summary"]
    assert report.paths[0].read_text(encoding="utf-8").count("\n") == 4


# ---- 6: TIFF colour models give outputs every reader opens, in the right colours -------
def test_tiff_colour_models_come_out_readable_and_in_the_right_colours(tmp_path, enhancer):
    files = tiff_colour_models(tmp_path / "in")
    out = tmp_path / "out"
    report = _run([tmp_path / "in"], out, enhancer)
    assert {o.status for o in report.outcomes} == {"done"}
    reference = None
    for kind in ("rgb", "cmyk", "palette", "ycbcr", "ycbcr_jpeg"):
        path = out / f"{files[kind].stem}_enhanced.tif"
        with Image.open(path) as im:
            im.load()  # Pillow reads it...
            assert im.mode == "RGB", (kind, im.mode)
            assert im.getexif().get(0x010F) == "HostileCam"  # real EXIF kept
            pillow = np.asarray(im)
        opencv = cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), cv2.COLOR_BGR2RGB)
        np.testing.assert_array_equal(opencv, pillow)  # ...and OpenCV, the same pixels
        bars = bar_means(pillow)
        assert [int(np.argmax(b[:3])) for b in bars[:3]] == [0, 1, 2], (kind, bars)
        if reference is None:
            reference = bars
        # same colours as the plain RGB file's output (palette: 16 colours, JPEG: lossy, and
        # its loss brightened with the rest)
        assert np.abs(bars - reference).max() < 10, (kind, bars, reference)


# ---- 7: failures and skips are named ------------------------------------------------------
def test_unreadable_folder_named_files_raw_and_heic_are_reported(tmp_path, enhancer,
                                                                 monkeypatch):
    d = tmp_path / "d"
    (d / "locked").mkdir(parents=True)
    Image.fromarray(_dark()).save(d / "ok.jpg")
    Image.fromarray(_dark()).save(d / "locked" / "hidden_from_us.jpg")
    for ext in (".CR2", ".NEF", ".ARW", ".DNG", ".RAF", ".ORF", ".RW2", ".HEIC", ".heif"):
        (d / f"shot{ext}").write_bytes(b"not really a raw file")
    Image.fromarray(_dark()).save(tmp_path / ".night.jpg")
    (tmp_path / "Thumbs.db").write_bytes(b"junk")
    locked = str(d / "locked")
    os.chmod(locked, 0)
    real_scandir = os.scandir

    def scandir(path="."):  # root ignores permissions: make the folder unreadable for it too
        if os.fspath(path) == locked:
            raise PermissionError(13, "Permission denied", locked)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    try:
        report = _run([d, tmp_path / ".night.jpg", tmp_path / "Thumbs.db"], tmp_path / "out",
                      enhancer)
    finally:
        os.chmod(locked, 0o755)
    by_name = _by_name(report)
    assert by_name["locked"].status == "failed"
    assert "cannot open folder: Permission denied" in by_name["locked"].reason
    assert by_name[".night.jpg"].status == "done"  # named explicitly: processed
    assert by_name["Thumbs.db"].status == "skipped" and "system file" in by_name[
        "Thumbs.db"].reason
    # camera files whose contents are not a camera's: failed by name, known before the run
    # (real RAW and HEIC files are read: test_camera_files.py)
    raws = [o for o in report.outcomes if o.source.rsplit(".", 1)[-1].lower() in
            ("cr2", "nef", "arw", "dng", "raf", "orf", "rw2", "heic", "heif")]
    assert len(raws) == 9 and {(o.status, o.reason) for o in raws} == {
        ("failed", "not a camera RAW file (its contents are of another kind)"),
        ("failed", "not a HEIC/HEIF file (its contents are of another kind)")}
    assert report.summary().startswith("2 done, 1 skipped, 10 failed")


def test_each_batch_keeps_its_own_report(tmp_path, enhancer):
    Image.fromarray(_dark()).save(tmp_path / "a.png")
    out = tmp_path / "out"
    first = _run([tmp_path / "a.png"], out, enhancer)
    second = _run([tmp_path / "a.png"], out, enhancer)
    reports = sorted(p.name for p in out.glob("lowlight_report*"))
    assert len(reports) == 4 and set(first.paths).isdisjoint(second.paths)
    assert json.loads(first.paths[1].read_text())["summary"].startswith("1 done")
    assert json.loads(second.paths[1].read_text())["summary"].startswith("0 done, 1 skipped")
    stamp = time.strftime("%Y%m%d")
    assert all(n.startswith(f"lowlight_report-{stamp}-") for n in reports)


# ---- 9: an output folder inside the input folder is never walked -------------------------
def test_output_folder_inside_the_input_is_not_enhanced_again(tmp_path, capsys):
    src = tmp_path / "photos"
    (src / "trip").mkdir(parents=True)
    Image.fromarray(_dark()).save(src / "x.jpg")
    Image.fromarray(_dark(1)).save(src / "trip" / "y.png")
    for _ in range(3):
        assert cli(["batch", str(src), "-o", str(src / "out")]) == 0
    assert "0 done, 2 skipped, 0 failed" in capsys.readouterr().out
    names = sorted(str(p.relative_to(src)) for p in src.rglob("*.*")
                   if "lowlight_report" not in p.name)
    assert names == ["out/trip/y_enhanced.png", "out/x_enhanced.jpg", "trip/y.png", "x.jpg"]
    # the output folder *is* the input folder: earlier outputs are recognised, not redone
    for _ in range(2):
        assert cli(["batch", str(src / "trip"), "-o", str(src / "trip")]) == 0
    assert sorted(p.name for p in (src / "trip").iterdir()
                  if "lowlight_report" not in p.name) == ["y.png", "y_enhanced.png"]


# ---- 10: a pixel limit, checked before decoding; gray stays one channel -----------------
def test_pixel_bomb_is_refused_from_its_header(tmp_path, enhancer):
    (tmp_path / "in").mkdir()
    bomb = huge_one_bit_png(tmp_path / "in" / "bomb.png")
    assert bomb.stat().st_size < 100_000
    started = time.perf_counter()
    with pytest.raises(ImageTooLarge, match="20000x12500 is 250 megapixels, over the limit "
                                            "of 200 megapixels"):
        read_image(bomb)
    assert time.perf_counter() - started < 1.0  # nothing was decoded
    Image.fromarray(_dark(h=300, w=400)).save(tmp_path / "in" / "small.png")
    report = _run([tmp_path / "in"], tmp_path / "out", enhancer)
    assert _by_name(report)["bomb.png"].status == "failed"
    assert "250 megapixels" in _by_name(report)["bomb.png"].reason
    assert _by_name(report)["small.png"].status == "done"
    tight = _run([tmp_path / "in" / "small.png"], tmp_path / "tight", enhancer,
                 max_megapixels=0.1)  # 0.12 MP is over a 0.1 MP limit
    assert tight.outcomes[0].status == "failed" and "0.1 megapixels" in tight.outcomes[0].reason


def test_gray_stays_one_channel_from_file_to_file(tmp_path, enhancer):
    gray = _dark()[..., 0]
    Image.fromarray(gray).save(tmp_path / "g.png")
    Image.fromarray(gray > 35).save(tmp_path / "bw.png")  # 1-bit
    Image.fromarray(gray).save(tmp_path / "g.tif")
    Image.fromarray(gray).convert("P").save(tmp_path / "gp.png")  # gray palette: OpenCV -> RGB
    for name in ("g.png", "bw.png", "g.tif", "gp.png"):
        pixels, _ = read_image(tmp_path / name)
        assert pixels.shape == gray.shape and pixels.dtype == np.uint8, name
    report = _run([tmp_path], tmp_path / "out", enhancer, recursive=False)
    assert {o.status for o in report.outcomes} == {"done"}
    for name in ("g_enhanced.png", "bw_enhanced.png", "g_enhanced.tif", "gp_enhanced.png"):
        with Image.open(tmp_path / "out" / name) as im:
            assert im.mode == "L", (name, im.mode)


def test_camera_exif_and_icc_survive_every_output_format(tmp_path, enhancer):
    """A camera JPEG (Exif IFD with an Interop IFD inside) made TIFF failed outright
    ("Error setting from dictionary"), and the Interop IFD came out as a dangling offset."""
    icc = srgb_icc()
    (tmp_path / "in").mkdir()
    Image.fromarray(colour_bars()).save(tmp_path / "in" / "cam.jpg", exif=camera_exif(),
                                        icc_profile=icc, quality=95)
    for fmt, suffix in (("jpeg", "jpg"), ("png", "png"), ("tiff", "tif"), ("webp", "webp")):
        report = _run([tmp_path / "in"], tmp_path / fmt, enhancer, format=fmt)
        assert report.outcomes[0].status == "done", report.outcomes[0]
        with Image.open(tmp_path / fmt / f"cam_enhanced.{suffix}") as im:
            exif = im.getexif()
            assert exif.get(0x010F) == "HostileCam" and im.info.get("icc_profile") == icc
            assert exif.get_ifd(0x8769).get(0x9003) == "2026:11:29 05:15:00", fmt
            assert exif.get_ifd(0xA005) == {0x0001: "R98"}, fmt
            # tells an output from an original, and which settings made it
            assert exif.get(0x0131).startswith("Lowlight Studio (exposure=auto, strength=8")
            im.load()


# ---- 11: 16-bit PNG and TIFF keep ICC and EXIF -------------------------------------------
def test_sixteen_bit_outputs_keep_icc_and_exif(tmp_path, enhancer):
    icc, exif = srgb_icc(), camera_exif()
    deep = (colour_bars().astype(np.uint16) * 257)
    (tmp_path / "in").mkdir()
    src = sixteen_bit_png(tmp_path / "in" / "deep.png", deep, icc, exif)
    pixels, meta = read_image(src)
    assert pixels.dtype == np.uint16 and meta.icc_profile == icc
    for name in ("w.png", "w.tif"):  # write_image alone
        write_image(tmp_path / name, pixels, meta=meta)
    report = _run([tmp_path / "in"], tmp_path / "out", enhancer, format="keep")
    report_tif = _run([tmp_path / "in"], tmp_path / "out_tif", enhancer, format="tiff")
    assert report.outcomes[0].status == report_tif.outcomes[0].status == "done"
    for path in (tmp_path / "w.png", tmp_path / "w.tif", tmp_path / "out" / "deep_enhanced.png",
                 tmp_path / "out_tif" / "deep_enhanced.tif"):
        with Image.open(path) as im:
            assert im.info.get("icc_profile") == icc, path
            ex = im.getexif()
            assert ex.get(0x010F) == "HostileCam", path
            assert ex.get_ifd(0x8769).get(0x9003) == "2026:11:29 05:15:00", path
        back, _ = read_image(path)
        assert back.dtype == np.uint16 and back.shape == deep.shape, path
    np.testing.assert_array_equal(read_image(tmp_path / "w.tif")[0], pixels)
    np.testing.assert_array_equal(read_image(tmp_path / "w.png")[0], pixels)


# ---- 12: words that read as options: a file named -o.jpg, -o glued to its folder ----------
def test_a_file_named_like_an_option_never_moves_the_output(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(_dark()).save("a.jpg")
    Image.fromarray(_dark(1)).save("-o.jpg")  # what `lowlight enhance -o out *.jpg` brings in
    assert cli(["enhance", "-o", "out", "a.jpg", "-o.jpg"]) == 2
    err = capsys.readouterr().err
    assert "'-o.jpg' is a file here but reads as an option: put -- before" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["-o.jpg", "a.jpg"]  # no .jpg folder
    assert cli(["enhance", "-o", "out", "--", "a.jpg", "-o.jpg"]) == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.jpg")) == ["-o.jpg", "a.jpg"]


@pytest.mark.parametrize("words,message", [
    (["-o.jpg", "a.jpg"], "'-o.jpg' reads as -o '.jpg': write -o and the output folder apart"),
    (["-oout", "a.jpg"], "'-oout' reads as -o 'out'"),
    (["-o", "-x", "a.jpg"], "the output folder '-x' looks like an option: write --output=-x"),
    (["a.jpg", "--output", "-o.jpg"], "the output folder '-o.jpg' looks like an option"),
])
def test_an_output_option_that_reads_otherwise_is_refused(tmp_path, monkeypatch, capsys, words,
                                                          message):
    monkeypatch.chdir(tmp_path)
    Image.fromarray(_dark()).save("a.jpg")
    for command in ("enhance", "batch"):
        assert cli([command, *words]) == 2
        err = capsys.readouterr().err
        assert f"lowlight {command}: error: {message}" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jpg"]  # nothing written
