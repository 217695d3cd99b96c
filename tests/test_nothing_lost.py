"""Nothing lost, nothing hangs, round 3 (issue #23): orientation in every format, files that
are not regular files, two batches into one folder, SIGTERM, links out of the output folder,
silent losses named, memory guards. Every test here failed before the fix it names."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hostile import PipeWatch
from PIL import Image

from app.cli import main as cli
from app.core import OutputOptions, PresetError, PresetStore, discover, run_batch
from app.core.jobs.folder_lock import OutputBusy
from app.core.media.images import ImageReadError, read_image
from app.core.settings import EnhanceSettings


def _dark(seed=0, h=48, w=64):
    rng = np.random.default_rng(seed)
    return (rng.random((h, w, 3)) * 20 + 30).astype(np.uint8)


def _report(out: Path) -> dict[str, dict]:
    """The newest JSON report in ``out``: source name -> its row."""
    path = sorted(out.glob("lowlight_report-*.json"))[-1]
    return {Path(row["source"]).name: row for row in json.loads(path.read_text())["files"]}


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


# ---- 3: one batch per output folder; a file that appears after the plan is kept ---------
ROOT = Path(__file__).resolve().parent.parent
HOLD_LOCK = ("import sys; from app.core.jobs.folder_lock import output_folder_lock\n"
             "with output_folder_lock(sys.argv[1]):\n"
             "    print('held', flush=True); sys.stdin.read()\n")


def _photos(folder: Path, names=("a", "b")) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        Image.fromarray(_dark(i)).save(folder / f"{name}.png")
    return folder


def _holder(out: Path) -> subprocess.Popen:
    """Another process holding the output folder's batch lock until its stdin closes."""
    proc = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.stdout.readline() == "held\n"
    return proc


def test_a_second_batch_into_the_same_folder_is_refused(tmp_path, capsys):
    src = _photos(tmp_path / "in")
    out = tmp_path / "out"
    holder = _holder(out)
    try:
        assert cli(["batch", str(src), "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"another Lowlight Studio batch is writing into {out}" in err
        assert f"pid {holder.pid}" in err and "Traceback" not in err
        assert [p.name for p in out.iterdir()] == [".lowlight-batch.lock"]  # nothing written
    finally:
        holder.kill()  # as kill -9: the lock dies with its holder
        holder.wait()
    assert cli(["batch", str(src), "-o", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir() if p.suffix == ".png") == [
        "a_enhanced.png", "b_enhanced.png"]
    assert not (out / ".lowlight-batch.lock").exists()  # removed when the batch ended


def test_the_lock_is_held_for_the_whole_batch(tmp_path, enhancer):
    src = _photos(tmp_path / "in")
    out = tmp_path / "out"
    refusals = []

    def second_batch(_i, _n, _outcome):  # runs while the first batch is under way
        with pytest.raises(OutputBusy) as refused:
            run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(out))
        refusals.append(str(refused.value))

    report = run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(out),
                       on_file=second_batch)
    assert report.count("done") == 2 and len(refusals) == 2
    assert len(list(out.glob("lowlight_report-*.json"))) == 1  # the refused ones wrote none


@pytest.mark.parametrize("overwrite", [False, True])
def test_a_file_that_appears_after_the_plan_is_never_replaced(tmp_path, enhancer, overwrite):
    src = _photos(tmp_path / "in")
    out = tmp_path / "out"
    if overwrite:  # earlier outputs, which --overwrite may replace
        run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(out))
        (out / "a_enhanced.png").unlink()
    stranger = out / "a_enhanced.png"

    def someone_writes(_i, item):  # after the plan, before the file is written
        if item.source.name == "a.png":
            stranger.write_bytes(b"someone else's file")

    report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                       OutputOptions(out, overwrite=overwrite), on_start=someone_writes)
    rows = {Path(o.source).name: o for o in report.outcomes}
    assert rows["a.png"].status == "failed"
    assert "a_enhanced.png appeared in the output folder" in rows["a.png"].reason
    assert "not written by Lowlight Studio" in rows["a.png"].reason
    assert stranger.read_bytes() == b"someone else's file"
    assert rows["b.png"].status == "done"  # b's earlier output replaced when overwriting
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]


# ---- 5: SIGTERM is handled as Ctrl+C: the files in flight stop, the report is written ----
# The real CLI in its own process, with an engine that says when it has started and then
# only waits for the cancel (at its progress checkpoint), so the signal always lands mid-file.
STUCK_ENGINE = """
import os, sys, time
from app.core.engine.enhancer import Enhancer

def enhance(self, image, settings=None, *, progress=None, threads=None, **changes):
    os.write(1, b"enhancing\\n")  # one write: two threads' lines never interleave
    while True:
        progress(0.5)  # raises once the batch is cancelled
        time.sleep(0.02)

Enhancer.enhance = enhance
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _stopped_batch(script: str, src: Path, out: Path, signum: int, send: bool) -> str:
    """Run ``script`` (the CLI with a patched engine) as ``lowlight batch src -o out``; once
    it says "enhancing", the signal is sent to the process (``send``) or the engine sends it
    to its own thread (LOWLIGHT_TEST_SIGNAL). Returns its stderr, having checked that it
    started and exited as that signal asks; a hang fails the test."""
    proc = subprocess.Popen([sys.executable, "-c", script, "batch", str(src), "-o", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT),
                                            "LOWLIGHT_TEST_SIGNAL": str(int(signum))})
    try:
        started = proc.stdout.readline()
        if send:
            proc.send_signal(signum)
        _, stderr = proc.communicate(timeout=120)  # a guard against a hang, not a timing
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the batch hung after the signal")
    code = 143 if signum == signal.SIGTERM else 130
    assert started == "enhancing\n" and proc.returncode == code, stderr
    return stderr


def _all_cancelled(out: Path, names: tuple[str, ...], signum: int) -> None:
    by = "SIGTERM" if signum == signal.SIGTERM else "Ctrl+C"
    assert {n: (r["status"], r["reason"]) for n, r in _report(out).items()} == {
        name: ("cancelled", f"interrupted ({by})") for name in names}
    assert [p.name for p in out.iterdir() if not p.name.startswith("lowlight_report")] == []


@pytest.mark.skipif(os.name == "nt", reason="SIGTERM to a child is a POSIX thing")
@pytest.mark.parametrize("signum, said", [
    (signal.SIGTERM, "lowlight: terminated (SIGTERM): 0 done"),
    (signal.SIGINT, "lowlight: interrupted: 0 done")])
def test_sigterm_is_handled_like_ctrl_c(tmp_path, signum, said):
    src = _photos(tmp_path / "in", names=("a", "b", "c"))
    stderr = _stopped_batch(STUCK_ENGINE, src, tmp_path / "out", signum, send=True)
    assert said in stderr and "3 cancelled" in stderr and "Traceback" not in stderr
    _all_cancelled(tmp_path / "out", ("a.png", "b.png", "c.png"), signum)


# A process's signal may be taken by any thread that does not block it (Linux does so when the
# main thread blocks signals for a moment, as while it starts a worker thread); CPython then
# only notes it until the main thread runs Python again. Here the photo's own thread takes it,
# once the main thread sleeps waiting for the photo: that wait used to have no end (the photo
# waited for the cancel, the main thread for the photo) and the batch hung for good.
SIGNAL_TAKEN_BY_A_WORKER = """
import linecache, os, signal, sys, threading, time
from app.core.engine.enhancer import Enhancer

MAIN = threading.main_thread().ident

def main_sleeps_on_the_photos():
    frame = sys._current_frames().get(MAIN)
    top, names = frame, []
    while frame is not None:
        names.append(frame.f_code.co_name)
        frame = frame.f_back
    return (top.f_code.co_filename == threading.__file__ and "collect" in names and
            "waiter.acquire(" in linecache.getline(top.f_code.co_filename, top.f_lineno))

def enhance(self, image, settings=None, *, progress=None, threads=None, **changes):
    while not main_sleeps_on_the_photos():
        time.sleep(0.01)
    os.write(1, b"enhancing\\n")
    signal.pthread_kill(threading.get_ident(), int(os.environ["LOWLIGHT_TEST_SIGNAL"]))
    while True:
        progress(0.5)
        time.sleep(0.02)

Enhancer.enhance = enhance
from app.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.skipif(os.name == "nt", reason="signals to a thread are a POSIX thing")
@pytest.mark.parametrize("signum, said", [
    (signal.SIGTERM, "lowlight: terminated (SIGTERM): 0 done"),
    (signal.SIGINT, "lowlight: interrupted: 0 done")])
def test_a_signal_taken_by_a_photo_thread_still_stops_the_batch(tmp_path, signum, said):
    src = _photos(tmp_path / "in", names=("a",))
    stderr = _stopped_batch(SIGNAL_TAKEN_BY_A_WORKER, src, tmp_path / "out", signum,
                            send=False)
    assert said in stderr and "1 cancelled" in stderr and "Traceback" not in stderr
    _all_cancelled(tmp_path / "out", ("a.png",), signum)


def test_an_interrupt_inside_the_same_threads_checkpoint_does_not_deadlock():
    """A signal handler runs between any two steps of the main thread, also inside
    checkpoint() while it holds the control's lock (a video's frames are checked there): the
    handler's interrupt() took the same lock again and waited for itself."""
    from app.core import BatchControl
    from app.core.jobs.control import Cancelled

    control = BatchControl()
    handled = []

    def handler_inside_the_lock(frame, event, _arg):
        # the lock's __exit__ is about to run: the lock is held, as when a handler runs there
        if (event == "call" and frame.f_code.co_name == "__exit__" and not handled
                and frame.f_code.co_filename.endswith("threading.py")):
            handled.append("SIGTERM")
            control.interrupt("SIGTERM")

    def frame_checks():
        sys.setprofile(handler_inside_the_lock)
        try:
            control.checkpoint()  # the next frame's check
        except Cancelled:
            handled.append("cancelled")
        finally:
            sys.setprofile(None)

    thread = threading.Thread(target=frame_checks, daemon=True)
    thread.start()
    thread.join(timeout=60)  # a guard against the deadlock, not a timing
    assert not thread.is_alive(), "interrupt() waited for the lock its own thread held"
    assert handled == ["SIGTERM", "cancelled"]  # and that very check stopped
    with pytest.raises(Cancelled):
        control.checkpoint()
    assert control.interrupted and control.interrupt_reason == "interrupted (SIGTERM)"


# ---- 6: an output sub-folder that is a link out of the output folder is not written through
def test_an_output_sub_folder_linked_elsewhere_is_not_written_through(tmp_path, enhancer):
    src = tmp_path / "in"
    _photos(src / "sub")
    _photos(src / "back", names=("c",))
    _photos(src, names=("top",))
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    os.symlink(elsewhere, out / "sub")  # out/sub leads out of the output folder
    os.symlink(src, out / "back")  # out/back leads into the inputs (a rerun would eat it)
    before = sorted(p.name for p in src.rglob("*"))
    report = run_batch(discover([src], exclude=out), enhancer, EnhanceSettings(),
                       OutputOptions(out))
    rows = {Path(o.source).name: o for o in report.outcomes}
    for name in ("a.png", "b.png", "c.png"):
        assert rows[name].status == "failed", rows[name]
        assert "is a link out of the output folder" in rows[name].reason
        assert "not written through" in rows[name].reason
    assert rows["top.png"].status == "done"
    assert list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in src.rglob("*")) == before


# ---- the same bytes whatever ran before: a reused buffer is not the same photo ----------
def test_a_new_photo_in_a_reused_buffer_gets_its_own_analysis(enhancer):
    from app.core import Enhancer

    h, w = 240, 320
    rng = np.random.default_rng(5)
    first = (rng.random((h, w, 3)) * 12 + 8).astype(np.uint8)  # dark, clean
    second = first.copy()
    step = max(1, int((h * w / 4096) ** 0.5))  # what a sampled fingerprint would look at
    sampled = np.zeros((h, w), bool)
    sampled[::step, ::step] = True
    noise = rng.normal(0, 25, (h, w, 3))
    second[~sampled] = np.clip(second[~sampled] + noise[~sampled], 0, 255).astype(np.uint8)
    buffer = first.copy()  # one buffer, as a decoder or a video reader reuses its own
    enhancer.enhance(buffer, threads=1)
    buffer[...] = second  # another photo in the same memory, the same at every sample
    again = enhancer.enhance(buffer, threads=1).image
    fresh = Enhancer().enhance(second.copy(), threads=1).image  # a process that saw nothing
    np.testing.assert_array_equal(again, fresh)


# ---- 9: bad arguments exit 2 before anything runs; CSV cells are never formulas ----------
def _exit_code(argv: list[str]) -> int:
    try:
        return cli(argv)
    except SystemExit as exc:  # argparse's own refusals
        return exc.code


@pytest.mark.parametrize("args, message", [
    (["-o", ""], "the output folder is empty"),
    (["-o", "FILE"], "is a file, not a folder"),
    (["--max-megapixels", "inf"], "megapixel limit must be a number above 0"),
    (["--max-megapixels", "nan"], "megapixel limit must be a number above 0"),
    (["--weights", "NOTMODEL"], "not a Lowlight Studio model file"),
    (["--weights", "PIPE"], "not a regular file (a named pipe)"),
])
def test_bad_outputs_limits_and_weights_exit_2_before_anything(tmp_path, monkeypatch, capsys,
                                                               args, message):
    src = _photos(tmp_path / "in", names=("a",))
    (tmp_path / "file.txt").write_text("a file, not a folder")
    (tmp_path / "not_a_model.pt").write_bytes(b"PK\x03\x04 not a model at all")
    os.mkfifo(tmp_path / "weights.pt")
    swap = {"FILE": str(tmp_path / "file.txt"), "NOTMODEL": str(tmp_path / "not_a_model.pt"),
            "PIPE": str(tmp_path / "weights.pt")}
    args = [swap.get(a, a) for a in args]
    if "-o" not in args:
        args += ["-o", str(tmp_path / "out")]
    monkeypatch.chdir(tmp_path)  # where -o '' would have written
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert _exit_code(["batch", str(src), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


def test_csv_report_cells_are_never_formulas(tmp_path, monkeypatch, enhancer):
    import csv

    monkeypatch.chdir(tmp_path)
    names = ["=HYPERLINK(1).cr2", "+1.cr2", "@SUM(1).cr2", "-2.cr2", "=x.png"]
    for name in names[:-1]:
        Path(name).write_bytes(b"raw")  # skipped: a row each
    Image.fromarray(_dark()).save("=x.png")
    report = run_batch(discover([Path(n) for n in names]), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "out"))
    csv_path = next(p for p in report.paths if p.suffix == ".csv")
    with csv_path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["source"] for r in rows] == ["'" + n for n in names]
    assert not [c for r in rows for c in r.values() if c[:1] in ("=", "+", "-", "@")]
    assert set(_report(tmp_path / "out")) == set(names)  # the JSON keeps names as they are


# ---- 8: a header the data cannot back is refused before decoding; a cut JPEG is flagged --
def _jpeg_claiming(path: Path, width: int, height: int) -> Path:
    """A real small JPEG whose frame header is rewritten to claim width x height."""
    import io
    import struct

    buf = io.BytesIO()
    Image.fromarray(_dark()).save(buf, "JPEG", quality=90)
    data = bytearray(buf.getvalue())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    path.write_bytes(bytes(data))
    return path


def test_a_tiny_jpeg_claiming_195_megapixels_is_refused_before_decoding(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    bomb = _jpeg_claiming(src / "bomb.jpg", 16_000, 12_200)
    assert bomb.stat().st_size < 5000
    with pytest.raises(ImageReadError, match="truncated or damaged"):
        read_image(bomb)
    report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "out"))
    outcome, = report.outcomes
    assert outcome.status == "failed"
    assert "16000x12200 (195 megapixels) but the file holds only" in outcome.reason


def test_a_jpeg_cut_short_is_named_as_truncated(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    full = src / "whole.jpg"
    Image.fromarray(_dark(h=240, w=320)).save(full, quality=95)
    (src / "cut.jpg").write_bytes(full.read_bytes()[:len(full.read_bytes()) * 2 // 3])
    report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                       OutputOptions(tmp_path / "out"))
    rows = {Path(o.source).name: (o.status, o.reason) for o in report.outcomes}
    assert rows["whole.jpg"] == ("done", "")
    assert rows["cut.jpg"][0] == "failed" and "truncated" in rows["cut.jpg"][1]


# ---- a kill -9's temporary file does not survive an immediate rerun ---------------------
def test_a_fresh_leftover_of_a_killed_run_is_swept_by_the_rerun(tmp_path, enhancer):
    src = _photos(tmp_path / "in", names=("a",))
    out = tmp_path / "out"
    out.mkdir()
    left = out / ".a_enhanced.png.lowlight-k9k9k9k9.part"  # unlocked: its writer is dead
    left.write_bytes(b"half a photo")
    future = time.time() + 3600  # as fresh as can be, on any clock
    os.utime(left, (future, future))
    stranger = out / ".notes.txt.lowlight-k9k9k9k9.part"  # not a planned output's: kept
    stranger.write_bytes(b"someone's")
    os.utime(stranger, (future, future))
    report = run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(out))
    assert report.count("done") == 1
    assert not left.exists() and stranger.exists()


# ---- gray + alpha stays gray (+ alpha where the format holds it), not an RGBA surprise ---
def test_gray_alpha_png_stays_gray_alpha(tmp_path, enhancer):
    src = tmp_path / "in"
    src.mkdir()
    la = np.dstack([_dark()[..., 0], np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))])
    Image.fromarray(la, "LA").save(src / "mask.png")
    for fmt, suffix, mode in (("keep", ".png", "LA"), ("jpeg", ".jpg", "L")):
        out = tmp_path / f"out_{fmt}"
        report = run_batch(discover([src]), enhancer, EnhanceSettings(),
                           OutputOptions(out, format=fmt))
        assert report.count("done") == 1
        with Image.open(out / f"mask_enhanced{suffix}") as im:
            assert im.mode == mode
            if mode == "LA":  # the alpha is the source's, untouched
                np.testing.assert_array_equal(np.asarray(im)[..., 1], la[..., 1])
