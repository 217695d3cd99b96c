"""The batch on a Ray cluster that the tests start on 127.0.0.1 (2 CPUs, one session for the
module): the same outputs as the local batch byte for byte, a killed worker loses nothing,
Ctrl+C cancels and still writes the report. Skipped only where Ray is not installed."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

pytestmark = [pytest.mark.slow,  # Ray workers start in seconds: left out of -m "not slow"
              pytest.mark.skipif(importlib.util.find_spec("ray") is None,
                                 reason="ray is not installed (pip install '.[cluster]'); "
                                        "CI installs it and runs these")]

from cluster_engines import SlowEnhancer  # noqa: E402
from test_batch import build_messy_folder  # noqa: E402

from app.core import BatchInterrupted, OutputOptions, discover, run_batch  # noqa: E402
from app.core.jobs.batch import INTERRUPTED  # noqa: E402
from app.core.settings import EnhanceSettings  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def ray_session():
    from app.core.jobs.ray_session import connect

    started = connect("local", workers=2)
    import cluster_engines
    import ray

    # workers import the app from the working directory, not tests/: ship the test engines
    ray.cloudpickle.register_pickle_by_value(cluster_engines)

    # the loopback rule: the whole cluster is reached through 127.0.0.1 only
    assert ray.get_runtime_context().gcs_address.startswith("127.0.0.1:")
    assert all(n["NodeManagerAddress"] == "127.0.0.1" for n in ray.nodes())
    yield ray
    if started:
        ray.shutdown()


def photos(folder: Path, count: int, size=(160, 120)) -> Path:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    for i in range(count):
        pixels = (rng.random((size[1], size[0], 3)) * 50 + 5).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"night_{i:03d}.jpg", quality=90)
    return folder


def digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and "lowlight_report" not in p.name}


def strays(root: Path) -> list[str]:
    return [str(p) for p in root.rglob(".*") if p.is_file()]


def report_rows(folder: Path) -> list[dict]:
    """The files of the one report (lowlight_report-<time>.json) in ``folder``."""
    found, = folder.glob("lowlight_report-*.json")
    return json.loads(found.read_text())["files"]


def pid_of(outcome) -> int:
    return int(outcome.node.rsplit(" ", 1)[1])


def run(items, out: Path, **kwargs):
    from app.core.jobs.cluster import run_cluster_batch

    return run_cluster_batch(items, EnhanceSettings(), OutputOptions(out), cluster=None,
                             **kwargs)


LOCAL_BATCH = ("import sys; from app.core import *; from app.core.engine.enhancer import Enhancer; "
               "run_batch(discover([sys.argv[1]]), Enhancer(), EnhanceSettings(), "
               "OutputOptions(sys.argv[2]))")


def local_batch_in_its_own_process(inputs: Path, out: Path) -> list[dict]:
    """The local batch's report rows, run in a process of its own as each cluster worker is:
    in this test process, after other tests' video encodes, x264 was seen to give other bytes
    for the same frames now and then (cause not found; see the model card's notes)."""
    subprocess.run([sys.executable, "-c", LOCAL_BATCH, str(inputs), str(out)], check=True,
                   timeout=600)
    return report_rows(out)


def test_cluster_batch_is_the_local_batch_byte_for_byte(ray_session, enhancer, tmp_path):
    from clips import make_clip

    from app.core import printable

    build_messy_folder(tmp_path / "in")
    make_clip(tmp_path / "in" / "clip.mp4", frames=12)
    items = discover([tmp_path / "in"])
    local = local_batch_in_its_own_process(tmp_path / "in", tmp_path / "local")
    local_done = sum(r["status"] == "done" for r in local)
    seen = []
    report = run(items, tmp_path / "cl", on_file=lambda i, n, o: seen.append((i, n)))

    assert digests(tmp_path / "cl") == digests(tmp_path / "local")
    assert len(digests(tmp_path / "cl")) == local_done >= 12  # photos and the clip
    assert ([(printable(o.source), o.status, o.reason) for o in report.outcomes] ==
            [(r["source"], r["status"], r["reason"]) for r in local])
    assert sorted(i for i, _ in seen) == list(range(len(items))) and {n for _, n in seen} == {
        len(items)}
    assert report.backend == enhancer.backend_name
    assert len({pid_of(o) for o in report.outcomes if o.status == "done"}) == 2
    rows = report_rows(tmp_path / "cl")
    assert len(rows) == len(items)
    assert all(r["node"].startswith("127.0.0.1 ") for r in rows if r["status"] == "done")
    assert "node" in report.paths[0].read_text().splitlines()[0]

    # skip-existing comes from the same plan as the local batch's (outputs are tagged ours)
    again = run(items, tmp_path / "cl")
    assert again.count("done") == 0 and again.count("skipped") == sum(
        r["status"] in ("done", "skipped") for r in local)


def test_cluster_batch_never_writes_on_an_input(ray_session, tmp_path):
    """The whole-batch plan is the local batch's: an output that would land on an input takes
    the next free name and says why."""
    from app.core.jobs.cluster import run_cluster_batch

    src = photos(tmp_path / "in", 2)
    before = digests(src)
    items = discover([src], exclude=src)
    report = run_cluster_batch(items, EnhanceSettings(), OutputOptions(src, pattern="{stem}"),
                               cluster=None, write_report=False)
    assert [(o.status, Path(o.output).name) for o in report.outcomes] == [
        ("done", "night_000 (2).jpg"), ("done", "night_001 (2).jpg")]
    assert all("is an input" in o.reason for o in report.outcomes)
    assert {k: v for k, v in digests(src).items() if "(2)" not in k} == before


def test_each_photos_own_settings_on_the_cluster_are_the_local_batchs(ray_session, enhancer,
                                                                       tmp_path):
    """settings_for: the driver reads each photo's edits, which travel with its plan."""
    from app.core import EditStore, PhotoEdits, run_batch
    from app.core.photo_edits import Crop

    src = photos(tmp_path / "in", 2)
    store = EditStore(tmp_path / "store")
    store.save(src / "night_001.jpg", PhotoEdits(settings=EnhanceSettings(iterations=3),
                                                 crop=Crop(0.1, 0.0, 0.9, 1.0)))
    local = run_batch(discover([src]), enhancer, EnhanceSettings(), OutputOptions(
        tmp_path / "local"), settings_for=store.load)
    cluster = run(discover([src]), tmp_path / "cl", settings_for=store.load)
    assert digests(tmp_path / "cl") == digests(tmp_path / "local")
    assert [o.settings for o in cluster.outcomes] == [o.settings for o in local.outcomes]
    assert cluster.outcomes[1].settings["strength"] == 3
    assert Image.open(tmp_path / "cl" / "night_001_enhanced.jpg").size == (128, 120)


@pytest.mark.parametrize("ray_restarts", [2, 0], ids=["ray-retries", "own-resubmission"])
def test_a_killed_worker_loses_nothing(ray_session, enhancer, tmp_path, monkeypatch, caplog,
                                       ray_restarts):
    """SIGKILL one worker mid-run. Ray restarts it and retries its files (ray-retries), or,
    where Ray gives up, the runner replaces it and resubmits them (own-resubmission)."""
    from app.core.jobs import cluster

    monkeypatch.setattr(cluster, "RAY_RESTARTS", ray_restarts)
    items = discover([photos(tmp_path / "in", 16)])
    run_batch(items, enhancer, EnhanceSettings(), OutputOptions(tmp_path / "ref"))
    killed = []

    def on_file(_i, _n, outcome):
        if not killed and outcome.status == "done":
            killed.append(pid_of(outcome))  # its next photo is already running (DEPTH 2)
            os.kill(killed[0], signal.SIGKILL)

    report = run(items, tmp_path / "out", make_engine=partial(SlowEnhancer, 0.15),
                 on_file=on_file)
    assert killed and report.count("done") == len(items), report.summary()
    assert digests(tmp_path / "out") == digests(tmp_path / "ref")
    assert strays(tmp_path / "out") == []
    pids = {pid_of(o) for o in report.outcomes}
    assert len(pids) >= 3, pids  # the two first workers and the one that took over
    rows = report_rows(tmp_path / "out")
    assert [r["status"] for r in rows] == ["done"] * len(items)
    # which of the two mechanisms brought the files back
    assert ("cluster worker lost" in caplog.text) == (ray_restarts == 0), caplog.text


def test_ctrl_c_cancels_on_the_cluster_and_writes_the_report(ray_session, enhancer, tmp_path):
    """Ctrl+C without the CLI's handler: the KeyboardInterrupt cancels, the report is written
    and rides along on BatchInterrupted, as with run_batch."""
    items = discover([photos(tmp_path / "in", 24)])
    finished = []

    def on_file(_i, _n, outcome):
        finished.append(outcome)
        if len(finished) == 4:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl+C, to this driver only

    with pytest.raises(BatchInterrupted) as stopped:
        run(items, tmp_path / "out", make_engine=partial(SlowEnhancer, 0.2), on_file=on_file)
    report = stopped.value.report
    done = [o for o in report.outcomes if o.status == "done"]
    assert len(report.outcomes) == len(items) and report.count("cancelled") >= 10
    assert len(done) + report.count("cancelled") == len(items)
    assert {o.reason for o in report.outcomes if o.status == "cancelled"} == {INTERRUPTED}
    assert sorted(digests(tmp_path / "out")) == sorted(Path(o.output).name for o in done)
    assert strays(tmp_path / "out") == []
    saved = json.loads(report.paths[1].read_text())
    assert saved["summary"] == report.summary() and saved["interrupted"] is True
    workers = {pid_of(o) for o in done}
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(p) for p in workers), "cancelled workers still running"

    # resuming skips what finished and completes the rest, as the local batch would
    resumed = run(items, tmp_path / "out")
    assert resumed.count("skipped") == len(done) and resumed.count("done") == len(items) - len(
        done)
    run_batch(items, enhancer, EnhanceSettings(), OutputOptions(tmp_path / "ref"))
    assert digests(tmp_path / "out") == digests(tmp_path / "ref")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_cli_cluster_flag_uses_the_cluster_and_reports_nodes(ray_session, tmp_path, capsys):
    from app.cli import main

    src = photos(tmp_path / "in", 6)
    rc = main(["batch", str(src), "-o", str(tmp_path / "out"), "--cluster", "auto",
               "--workers", "2", "-v"])
    assert rc == 0
    assert "6 done" in capsys.readouterr().out
    rows = report_rows(tmp_path / "out")
    assert len({r["node"] for r in rows}) == 2  # both workers took files
    assert main(["batch", str(src), "-o", str(tmp_path / "x"), "--cluster", "auto",
                 "--workers", "0"]) == 2


@pytest.mark.slow
def test_ctrl_c_in_a_terminal_stops_the_cli_with_a_report(tmp_path):
    """A real SIGINT to the whole process group, as a terminal sends it, to a CLI that
    started its own local cluster: exit 130, the report lists every file, nothing is left."""
    src = photos(tmp_path / "in", 300)
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "batch", str(src), "-o", str(out),
                             "--cluster", "local", "--workers", "2"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not any(out.glob("*.jpg")) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr and "lowlight: interrupted: " in stderr, stderr[-2000:]
    assert "cancelled" in stderr.rsplit("lowlight: interrupted: ", 1)[1]
    rows = report_rows(out)
    assert len(rows) == 300
    assert {r["status"] for r in rows} == {"done", "cancelled"}, {
        (r["status"], r["reason"]) for r in rows}
    assert {r["reason"] for r in rows if r["status"] == "cancelled"} == {INTERRUPTED}
    done = {Path(r["output"]).name for r in rows if r["status"] == "done"}
    assert {p.name for p in out.glob("*.jpg")} == done  # the report matches the disk
    assert strays(out) == []


def test_a_long_video_is_split_across_workers_and_joined(ray_session, enhancer, tmp_path):
    import av
    from clips import make_clip

    from app.core import VideoOptions
    from app.core.media.video import has_video_mark

    src = tmp_path / "in"
    photos(src, 2)
    make_clip(src / "cctv.mp4", frames=96, gop=12)  # 8 s, a keyframe every second
    items = discover([src])
    lossless = VideoOptions(crf=0)  # what differs is then the split alone
    run_batch(items, enhancer, EnhanceSettings(), OutputOptions(tmp_path / "ref", video=lossless))
    from app.core.jobs.cluster import run_cluster_batch

    report = run_cluster_batch(items, EnhanceSettings(), OutputOptions(tmp_path / "out",
                                                                       video=lossless),
                               cluster=None, split_seconds=1.5)
    assert report.count("done") == 3, report.summary()
    video = next(o for o in report.outcomes if o.source.endswith(".mp4"))
    assert video.node.startswith("joined on 127.0.0.1") and "segments 1" in video.node
    assert len({part.rsplit(" pid ", 1)[1] for part in video.node.split("; ")}) == 2
    ref, out = digests(tmp_path / "ref"), digests(tmp_path / "out")
    assert {k: v for k, v in out.items() if k.endswith(".jpg")} == {
        k: v for k, v in ref.items() if k.endswith(".jpg")}
    assert strays(tmp_path / "out") == []

    def frames(path):
        with av.open(str(path)) as c:
            return [(f.pts, f.to_ndarray(format="rgb24")) for f in c.decode(c.streams.video[0])]

    a, b = frames(tmp_path / "ref" / "cctv_enhanced.mp4"), frames(tmp_path / "out" /
                                                                  "cctv_enhanced.mp4")
    assert [p for p, _ in a] == [p for p, _ in b] and len(a) == 96
    # the segments replay the whole export's engine state (test_video_split.py)
    assert max(float(np.abs(x.astype(int) - y.astype(int)).mean())
               for (_, x), (_, y) in zip(a, b)) <= 0.5
    # the joined file is tagged as ours like any export: a rerun skips it
    assert has_video_mark(tmp_path / "out" / "cctv_enhanced.mp4")
    again = run_cluster_batch(items, EnhanceSettings(), OutputOptions(tmp_path / "out",
                                                                      video=lossless),
                              cluster=None, split_seconds=1.5, write_report=False)
    assert again.count("skipped") == 3, again.summary()


def test_a_single_split_video_spreads_over_every_worker(ray_session, tmp_path):
    """A batch of one video: the pool is sized by its segments, not by the one file (all
    segments ran on one worker before)."""
    from clips import make_clip

    from app.core.jobs.cluster import run_cluster_batch

    (tmp_path / "in").mkdir()
    make_clip(tmp_path / "in" / "one.mp4", frames=48, gop=12, audio=False)  # 4 segments
    report = run_cluster_batch(discover([tmp_path / "in"]), EnhanceSettings(),
                               OutputOptions(tmp_path / "out"), cluster=None,
                               split_seconds=1.0, write_report=False)
    assert report.count("done") == 1, report.summary()
    node = report.outcomes[0].node
    assert "segments" in node
    assert len({part.rsplit(" pid ", 1)[1] for part in node.split("; ")}) == 2, node
    assert strays(tmp_path / "out") == []


def test_a_split_video_that_cannot_be_joined_is_enhanced_whole(ray_session, tmp_path):
    from clips import make_clip
    from cluster_engines import enhancer_whose_joins_fail

    from app.core.jobs.cluster import run_cluster_batch

    (tmp_path / "in").mkdir()
    make_clip(tmp_path / "in" / "cctv.mp4", frames=48, gop=12)
    items = discover([tmp_path / "in"])
    local_batch_in_its_own_process(tmp_path / "in", tmp_path / "ref")  # the whole export
    report = run_cluster_batch(items, EnhanceSettings(), OutputOptions(tmp_path / "out"),
                               cluster=None, split_seconds=1.0,
                               make_engine=enhancer_whose_joins_fail)
    assert report.count("done") == 1 and "joined" not in report.outcomes[0].node
    # the whole export's frames, compared decoded: x264 in a process that encoded before has
    # now and then given other bytes for the same frames (cause not found), and two encodes
    # of these noisy frames at CRF 20 differ by 1-2 levels where their bytes differ; a frame
    # from other engine state would be off in its level too
    import av

    def frames(path):
        with av.open(str(path)) as c:
            return [(f.pts, f.to_ndarray(format="rgb24")) for f in c.decode(video=0)]

    a, b = (frames(tmp_path / d / "cctv_enhanced.mp4") for d in ("ref", "out"))
    assert [t for t, _ in a] == [t for t, _ in b] and len(a) == 48
    assert max(np.abs(x.astype(int) - y.astype(int)).mean() for (_, x), (_, y) in zip(a, b)) <= 3.0
    assert max(abs(x.mean() - y.mean()) for (_, x), (_, y) in zip(a, b)) <= 0.5
    assert strays(tmp_path / "out") == []


def test_cluster_bench_runs_and_writes_its_numbers(ray_session, tmp_path, capsys):
    from app.bench import cluster as bench

    out = tmp_path / "b.json"
    assert bench.main(["--files", "4", "--tiny-files", "6", "--repeats", "1", "--quick",
                       "--json", str(out)]) == 0
    numbers = json.loads(out.read_text())
    assert numbers["speedup"] > 0 and numbers["photos"]["2"][0]["workers"] == 2
    assert len(numbers["photos"]["2"][0]["nodes"]) == 2  # two workers really ran
    assert "per-task overhead" in capsys.readouterr().out


def test_a_named_pipe_never_hangs_a_cluster_batch(ray_session, tmp_path):
    """Issue #23: pipes (in the folder, named, where an output would go) are skipped by name
    before anything opens them, on the cluster path as in the local batch."""
    from hostile import PipeWatch

    src = photos(tmp_path / "in", 1)
    out = tmp_path / "out"
    out.mkdir()
    with PipeWatch(src / "pipe.jpg", src / "clip.mp4", tmp_path / "named.jpg",
                   out / "night_000_enhanced.jpg") as watch:
        report = run(discover([src, tmp_path / "named.jpg"], exclude=out), out,
                     split_seconds=1.0)
    assert watch.opened == []
    by_name = {Path(o.source).name: o for o in report.outcomes}
    for name in ("pipe.jpg", "clip.mp4", "named.jpg"):
        assert (by_name[name].status, by_name[name].reason) == (
            "skipped", "not a regular file (a named pipe)")
    assert by_name["night_000.jpg"].status == "done"
    assert Path(by_name["night_000.jpg"].output).name == "night_000_enhanced (2).jpg"
