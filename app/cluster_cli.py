"""``lowlight batch ... --cluster``: the command line's side of a cluster batch (kept out of
app/cli.py so that file only branches here)."""
from __future__ import annotations

import sys
from functools import partial

from app.core.jobs.control import BatchControl
from app.core.jobs.discovery import BatchItem, OutputOptions
from app.core.jobs.ledger import ProgressFn
from app.core.jobs.report import BatchReport
from app.core.settings import EnhanceSettings


def run_on_cluster(args, items: list[BatchItem], settings: EnhanceSettings,
                   options: OutputOptions, on_file: ProgressFn,
                   control: BatchControl) -> BatchReport | None:
    """The batch on ``args.cluster`` with the CLI's progress callback and cancel flag (its
    Ctrl+C handler calls ``control.interrupt()``); None (after saying why on stderr) when
    there is no cluster to run on."""
    from app.core.engine.enhancer import Enhancer
    from app.core.jobs.cluster import run_cluster_batch
    from app.core.jobs.ray_session import ClusterError
    from app.paths import default_weights

    if args.workers is not None and args.workers < 1:
        return _usage("--workers must be at least 1")
    if args.split_videos is not None and args.split_videos <= 0:
        return _usage("--split-videos must be a positive number of seconds")
    # Workers open the weights themselves: an explicit file must be on the shared storage
    # (absolute path); by default each node uses the weights its own install ships.
    weights = args.weights.resolve() if args.weights else None
    here = weights or default_weights()
    if not (here.exists() or here.with_suffix(".onnx").exists()):
        return _usage(f"model weights not found: {here}")
    make_engine = partial(Enhancer, weights, backend=args.backend, threads=1)
    try:
        return run_cluster_batch(items, settings, options, cluster=args.cluster,
                                 workers=args.workers, make_engine=make_engine, on_file=on_file,
                                 control=control, split_seconds=args.split_videos)
    except ImportError:  # Ray is imported when the batch starts
        return _usage("--cluster needs Ray: pip install 'lowlight-studio[cluster]'")
    except ClusterError as exc:
        return _usage(str(exc))


def _usage(message: str) -> None:
    print(f"lowlight: {message}", file=sys.stderr)
    return None
