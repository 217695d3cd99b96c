"""Cluster batch throughput: 1 vs 2 Ray workers side by side, and the per-task overhead.

    python -m app.bench.cluster [--files 120] [--tiny-files 400] [--repeats 2] [--json FILE]

Starts a local Ray cluster (127.0.0.1 only, one CPU per core) and sends the same folder of
1200x900 JPEGs through ``run_cluster_batch`` with 1 and then 2 workers, and through the local
batch for reference, alternating, best of ``--repeats``. Start-up (worker processes and model
load, until the first file is back) is reported apart from the steady rate (files/s between
the first and the last file back). The per-task overhead is measured with a no-op engine on
16x16 PNGs: the cluster's time per file with one worker minus the time of the very same
per-file function (``process_item``) called in a plain loop. The driver's CPU time per file
(Ray's threads in it included) is what limits how many files one driver can hand out.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from app.bench.batch import CopyEngine, make_folder


def timed_cluster(src: Path, out: Path, workers: int, make_engine) -> dict:
    from app.core import OutputOptions, discover
    from app.core.jobs.cluster import run_cluster_batch
    from app.core.settings import EnhanceSettings

    shutil.rmtree(out, ignore_errors=True)
    items = discover([src])
    stamps: list[float] = []
    cpu = _cpu_s()
    start = time.perf_counter()
    report = run_cluster_batch(items, EnhanceSettings(), OutputOptions(out), cluster=None,
                               workers=workers, make_engine=make_engine,
                               on_file=lambda *_: stamps.append(time.perf_counter()),
                               write_report=False)
    wall = time.perf_counter() - start
    driver_ms = (_cpu_s() - cpu) / len(items) * 1000
    assert report.count("done") == len(items), report.summary()
    steady = (len(stamps) - 1) / max(1e-9, stamps[-1] - stamps[0])
    moved = sum(Path(o.source).stat().st_size + Path(o.output).stat().st_size
                for o in report.outcomes)
    return {"workers": workers, "files": len(items), "wall_s": wall,
            "startup_s": stamps[0] - start, "steady_files_per_s": steady,
            "driver_cpu_ms_per_file": driver_ms, "mb_per_file": moved / len(items) / 2**20,
            "nodes": sorted({o.node for o in report.outcomes})}


def _cpu_s() -> float:
    """CPU time of this process, Ray's own threads in the driver included."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def timed_local(src: Path, out: Path, engine) -> dict:
    """The same folder through the local batch (one photo per core), for reference."""
    from app.core import OutputOptions, discover, run_batch
    from app.core.settings import EnhanceSettings

    shutil.rmtree(out, ignore_errors=True)
    stamps: list[float] = []
    start = time.perf_counter()
    run_batch(discover([src]), engine, EnhanceSettings(), OutputOptions(out),
              on_file=lambda *_: stamps.append(time.perf_counter()), write_report=False)
    return {"wall_s": time.perf_counter() - start, "startup_s": stamps[0] - start,
            "steady_files_per_s": (len(stamps) - 1) / max(1e-9, stamps[-1] - stamps[0])}


def plain_loop_seconds(src: Path, out: Path, engine) -> float:
    """Per file: the worker's own function, no Ray (what each cluster task does)."""
    from app.core import BatchControl, OutputOptions, discover
    from app.core.jobs.batch import plan_work, process_item
    from app.core.settings import EnhanceSettings

    shutil.rmtree(out, ignore_errors=True)
    output = OutputOptions(out).validated()
    _, todo = plan_work(discover([src]), output)
    start = time.perf_counter()
    for _i, plan in todo:
        process_item(plan, engine, EnhanceSettings(), output, BatchControl())
    return (time.perf_counter() - start) / len(todo)


def best(runs: list[dict]) -> dict:
    return max(runs, key=lambda r: r["steady_files_per_s"])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m app.bench.cluster", description=__doc__)
    p.add_argument("--files", type=int, default=120)
    p.add_argument("--tiny-files", type=int, default=400)
    p.add_argument("--repeats", type=int, default=2)
    p.add_argument("--json", default="bench_cluster.json")
    p.add_argument("--quick", action="store_true",
                   help="no warm-up run, no-op engine with one worker only (a smoke test)")
    args = p.parse_args(argv)
    from app.core.engine.enhancer import Enhancer
    from app.core.jobs.ray_session import connect

    started_here = connect("local", workers=2)
    real = partial(Enhancer, threads=1)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            make_folder(tmp / "photos", args.files, (1200, 900))
            make_folder(tmp / "tiny", args.tiny_files, (16, 16))
            if not args.quick:
                timed_cluster(tmp / "photos", tmp / "warm", 2, real)  # page and kernel caches
            runs: dict[int, list[dict]] = {1: [], 2: []}
            local: list[dict] = []
            engine = Enhancer()
            noop: dict[int, list[dict]] = {1: [], 2: []}
            for _ in range(args.repeats):  # alternate: the machine is shared and noisy
                for workers in (1, 2):
                    runs[workers].append(timed_cluster(tmp / "photos", tmp / "out", workers,
                                                       real))
                    if workers == 1 or not args.quick:
                        noop[workers].append(timed_cluster(tmp / "tiny", tmp / "tiny_out",
                                                           workers, CopyEngine))
                local.append(timed_local(tmp / "photos", tmp / "local", engine))
            loop_s = plain_loop_seconds(tmp / "tiny", tmp / "tiny_loop", CopyEngine())
    finally:
        if started_here:
            import ray

            ray.shutdown()
    one, two, here = best(runs[1]), best(runs[2]), best(local)
    n1 = best(noop[1])
    n2 = best(noop[2]) if noop[2] else None
    overhead_ms = (1 / n1["steady_files_per_s"] - loop_s) * 1000
    print(f"{args.files} JPEGs of 1200x900 on a local Ray cluster (best of {args.repeats}):")
    print(f"  {'':24}{'1 worker':>12}{'2 workers':>12}{'local batch':>13}")
    print(f"  {'steady files/s':24}{one['steady_files_per_s']:>12.1f}"
          f"{two['steady_files_per_s']:>12.1f}{here['steady_files_per_s']:>13.1f}   speed-up "
          f"{two['steady_files_per_s'] / one['steady_files_per_s']:.2f}x")
    print(f"  {'wall s':24}{one['wall_s']:>12.2f}{two['wall_s']:>12.2f}{here['wall_s']:>13.2f}")
    print(f"  {'start-up s (first file)':24}{one['startup_s']:>12.2f}{two['startup_s']:>12.2f}"
          f"{here['startup_s']:>13.2f}")
    both = f", {n2['steady_files_per_s']:.0f} files/s (2 workers)" if n2 else ""
    print(f"  no-op engine, 16x16 PNGs: {n1['steady_files_per_s']:.0f} files/s (1 worker)"
          f"{both}; the same per-file function in a plain loop: {loop_s * 1000:.2f} ms/file")
    print(f"  per-task overhead (submit, run on the actor, result back, bookkeeping): "
          f"{overhead_ms:.2f} ms; driver CPU per file: {n1['driver_cpu_ms_per_file']:.2f} ms "
          f"(no-op), {two['driver_cpu_ms_per_file']:.2f} ms (photos, 2 workers)")
    print(f"  storage traffic per photo (read + written): {two['mb_per_file']:.2f} MB")
    with open(args.json, "w") as f:
        json.dump({"photos": {"1": runs[1], "2": runs[2]}, "local_batch": local,
                   "noop": {"1": noop[1], "2": noop[2]},
                   "plain_loop_ms": loop_s * 1000, "per_task_overhead_ms": overhead_ms,
                   "speedup": two["steady_files_per_s"] / one["steady_files_per_s"]},
                  f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
