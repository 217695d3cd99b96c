"""Command line: ``lowlight enhance|batch|train|bench``; the same engine as the window."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from app.core.jobs.report import printable
from app.core.media.images import DEFAULT_MAX_MEGAPIXELS
from app.core.settings import DEFAULT_CRF, VIDEO_CODECS, EnhanceSettings, VideoOptions

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143, as a shell reports a process SIGTERM ended


class Terminated(KeyboardInterrupt):
    """SIGTERM (kill, timeout, a closing terminal) before or after a batch runs: handled as
    Ctrl+C is, with its own message and exit code."""

    by = "SIGTERM"


def _on_sigterm(_signum, _frame):
    raise Terminated()


def _folder(text: str) -> Path:
    """An output folder: '' would mean the current folder (Path('') is '.'), never meant."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the output folder is empty")
    return Path(text)


def _misread_word(argv: list[str]) -> str | None:
    """Why a word of an enhance/batch command line would be read as other than meant, or
    None. argparse takes a file named ``-o.jpg`` (a shell's ``*.jpg`` brings it in) for
    ``-o .jpg`` and quietly writes everything into a folder ``.jpg``."""
    for word, after in zip(argv[1:], argv[2:] + [None]):
        if word == "--":  # what follows is files only
            return None
        if word.startswith("-") and len(word) > 1 and Path(word).exists():
            return (f"{word!r} is a file here but reads as an option: put -- before the "
                    f"files (... -- {word}) or write ./{word}")
        if word.startswith("-o") and len(word) > 2:
            return (f"{word!r} reads as -o {word[2:]!r}: write -o and the output folder "
                    "apart (-o FOLDER)")
        if word in ("-o", "--output") and after and after.startswith("-") and len(after) > 1:
            return (f"the output folder {after!r} looks like an option: write "
                    f"--output={after} or -o ./{after}")
    return None


def _add_settings(p: argparse.ArgumentParser) -> None:
    # Defaults are None so that a --preset's values stay unless an option is given.
    d = EnhanceSettings()
    p.add_argument("--preset", metavar="NAME",
                   help="start from a preset saved in the window (`lowlight presets` lists "
                        "them); the options below override its values")
    p.add_argument("--exposure", metavar="auto|0.2-0.9",
                   help="auto (default: dark photos brought to a natural level, well-exposed "
                        "ones left alone) or the target mean brightness of the result")
    p.add_argument("--strength", "--iterations", dest="iterations", type=int, metavar="1-16",
                   help=f"how much of the brightening is applied (default {d.iterations}, "
                        "which reaches the exposure; lower is gentler)")
    p.add_argument("--denoise", metavar="auto|off|0-2",
                   help="noise removal in proportion to the brightening (default auto = 1)")
    for name, what in (("shadows", "how much the local map lifts the dark"),
                       ("highlights", "the lights held down (-) or lifted (+), up to half a stop"),
                       ("contrast", "a gentler (-) or stronger (+) tone curve")):
        p.add_argument(f"--{name}", type=float, metavar="-1..1",
                       help=f"{what} (default 0, neutral)")
    p.add_argument("--white-balance", dest="white_balance", action=argparse.BooleanOptionalAction,
                   default=None, help="take out most of the photo's colour cast (default off)")
    p.add_argument("--scale", "--map-detail", dest="scale", type=int,
                   help=f"map detail: the model sees the photo at 1/scale (default {d.scale}; "
                        "lower is finer, slower)")
    p.add_argument("--backend", choices=("auto", "opencv", "onnx", "torch"), default="auto")
    p.add_argument("--weights", type=Path, help="model weights (.pt; default: shipped)")
    p.add_argument("--format", choices=("keep", "jpeg", "png", "tiff", "webp"), default="keep",
                   help="output format (default keep: each photo's own; camera RAW becomes "
                        "16-bit TIFF, HEIC becomes JPEG)")
    p.add_argument("--quality", type=int, default=95,
                   help="JPEG/WebP quality, 1-100, higher is better and bigger (default 95)")
    p.add_argument("--max-megapixels", type=float, default=DEFAULT_MAX_MEGAPIXELS, metavar="MP",
                   help="refuse photos larger than this, read from the file header before "
                        f"decoding (default {DEFAULT_MAX_MEGAPIXELS}; 0 = no limit)")
    p.add_argument("--video-codec", choices=VIDEO_CODECS, default="h264",
                   help="codec of enhanced videos (default h264; h265: smaller, much slower)")
    p.add_argument("--video-quality", type=int, metavar="CRF",
                   help="video quality as a CRF, 0-51, lower is better and bigger (default "
                        + ", ".join(f"{c} {q}" for c, q in DEFAULT_CRF.items()) + ")")
    p.add_argument("--overwrite", action="store_true",
                   help="replace earlier outputs (files Lowlight Studio wrote; originals and "
                        "inputs are never replaced)")
    p.add_argument("--replace-changed", action="store_true",
                   help="replace only the earlier outputs made with other settings than these "
                        "(each output's tag says which made it); the others are skipped")
    p.add_argument("-v", "--verbose", action="store_true", help="say which backend ran, and more")


def build_parser() -> argparse.ArgumentParser:
    from app import __version__

    parser = argparse.ArgumentParser(prog="lowlight", description=__doc__)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("enhance", help="enhance photos into a folder, same names")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("-o", "--output", type=_folder, required=True, help="output folder")
    p.add_argument("--save-factor", action="store_true",
                   help="also write NAME_factor.png, a heatmap of the brightening in stops")
    _add_settings(p)

    p = sub.add_parser("batch", help="enhance whole folders, mirroring their tree")
    p.add_argument("inputs", nargs="+", type=Path)
    p.add_argument("-o", "--output", type=_folder, required=True, help="output folder")
    p.add_argument("--pattern", default="{stem}_enhanced",
                   help="output name inside the output folder, sub-folders allowed ({stem} = "
                        "the input's name)")
    p.add_argument("--no-recursive", action="store_true", help="do not walk sub-folders")
    p.add_argument("--cluster", metavar="auto|ray://HOST:PORT|local",
                   help="run on a Ray cluster (pip install .[cluster]): auto joins the one this "
                        "machine belongs to, local starts one here; inputs and outputs must be "
                        "on storage every node sees under the same path")
    p.add_argument("--workers", type=int, help="cluster workers (default: one per cluster CPU)")
    p.add_argument("--split-videos", type=float, metavar="SECONDS",
                   help="with --cluster: cut videos at least twice this long at keyframes into "
                        "segments of about this length, enhanced in parallel and joined")
    _add_settings(p)

    p = sub.add_parser("train", help="zero-reference training (see model_weights/MODEL_CARD.md)")
    p.add_argument("--data", default="../shared/data/train/sice")
    p.add_argument("--out", default="runs/sgz")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--crop", type=int, default=224)
    p.add_argument("--subset", type=int, default=800)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--no-semantic", action="store_true", help="train without the semantic loss")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt")

    sub.add_parser("presets", help="list the presets saved in the window (use: --preset NAME)")
    sub.add_parser("bench", help="speed benchmark against the reference SGZ path", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from app.bench.photo import main as bench_main

        return bench_main(argv[1:])
    if argv[:1] in (["enhance"], ["batch"]) and (why := _misread_word(argv)):
        print(f"lowlight {argv[0]}: error: {why}", file=sys.stderr)
        return EXIT_USAGE
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if getattr(args, "verbose", False) or
                        args.command == "train" else logging.WARNING,
                        format="%(levelname)s %(message)s")
    if args.command == "train":
        return _train(args)
    if args.command == "presets":
        return _list_presets()
    previous = _set_handler(signal.SIGTERM, _on_sigterm)
    try:
        return _enhance(args)
    except KeyboardInterrupt as exc:  # Ctrl+C or SIGTERM: a short message, no traceback
        report = getattr(exc, "report", None)
        tail = f": {report.summary()}" if report is not None else ""
        if report is not None and report.paths:
            tail += f"; report {printable(str(report.paths[0]))}"
        terminated = getattr(exc, "by", "") == "SIGTERM"
        print(f"lowlight: {'terminated (SIGTERM)' if terminated else 'interrupted'}{tail}",
              file=sys.stderr)
        return EXIT_TERMINATED if terminated else EXIT_INTERRUPTED
    finally:
        _set_handler(signal.SIGTERM, previous)


def _set_handler(signum: int, handler):
    """The previous handler; None where handlers cannot be set (not the main thread)."""
    if handler is None:
        return None
    try:
        return signal.signal(signum, handler)
    except ValueError:
        return None


def _train(args) -> int:
    from app.core.model.train import TrainConfig, train

    cfg = TrainConfig(data=args.data, out=args.out, steps=args.steps, batch=args.batch,
                      crop=args.crop, subset=args.subset, lr=args.lr,
                      semantic=not args.no_semantic)
    try:
        print(f"weights written to {train(cfg, resume=args.resume)}")
    except Exception as exc:  # noqa: BLE001 - a clear message, not a traceback
        print(f"lowlight train: {exc}", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


def _list_presets() -> int:
    from app.core.presets import PresetError, PresetStore, to_dict

    store = PresetStore()
    try:
        presets = store.load()
    except PresetError as exc:
        print(f"lowlight: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if not presets:
        print(f"no presets yet (the window saves them to {store.path})")
    for name, s in presets.items():
        values = ", ".join(f"{k} {v}" for k, v in to_dict(s).items())
        print(f"{name}: {values}")
    return EXIT_OK


def settings_from(args) -> EnhanceSettings:
    """The preset (or the defaults), with every option given on the command line on top;
    ValueError (PresetError) with a readable reason."""
    from dataclasses import replace

    from app.core.presets import PresetStore

    base = PresetStore().get(args.preset) if args.preset else EnhanceSettings()
    given = {k: getattr(args, k) for k in ("exposure", "iterations", "scale", "denoise",
                                           "shadows", "highlights", "contrast",
                                           "white_balance")
             if getattr(args, k) is not None}
    return replace(base, **given).validated()


def _engine(make, args):
    """The engine; a --weights file that is no model is a usage error that names it."""
    from app.core.media.files import regular_problem

    if args.weights is not None and (problem := regular_problem(args.weights)):
        raise ValueError(f"--weights {args.weights}: {problem}")  # a pipe would hang the load
    try:
        return make(args.weights, backend=args.backend)
    except (FileNotFoundError, ImportError):
        raise
    except Exception as exc:  # noqa: BLE001 - torch/onnx say it in many ways
        if args.weights is None:
            raise
        detail = (str(exc).splitlines() or [""])[0][:200]
        raise ValueError(f"--weights {args.weights}: not a Lowlight Studio model file "
                         f"({type(exc).__name__}: {detail})") from None


def _enhance(args) -> int:
    """``enhance`` and ``batch``: the options checked, the batch run with its progress and
    Ctrl+C handling, the summary said."""
    from app.cli_progress import CliProgress
    from app.core import BatchInterrupted, discover
    from app.core.jobs.folder_lock import OutputBusy

    batch = args.command == "batch"
    try:
        settings, options, enhancer = _checked(args, batch)
    except (ValueError, FileNotFoundError, ImportError) as exc:
        print(f"lowlight: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.verbose and enhancer:
        print(f"backend: {enhancer.backend_name}", file=sys.stderr)
    items = discover(args.inputs, recursive=batch and not args.no_recursive,
                     exclude=args.output)
    progress = CliProgress(len(items), args.verbose, show=batch or sys.stderr.isatty())
    try:
        report, by = _run(args, items, enhancer, settings, options, progress, batch)
    except OutputBusy as exc:  # another batch writes there: nothing was done
        progress.write(f"lowlight: {exc}")
        return EXIT_USAGE
    finally:
        progress.close()
    if report is None:  # no cluster to run on (said on stderr)
        return EXIT_USAGE
    if report.interrupted:
        stopped = BatchInterrupted(report)
        stopped.by = by
        raise stopped
    print(printable(f"{report.summary()} -> {args.output}") + (
        f" ({report.backend})" if args.verbose else ""))
    if report.paths:
        print(printable(f"report: {report.paths[0]}"), file=sys.stderr)
    return EXIT_FAILED if report.failed else EXIT_OK


def _checked(args, batch: bool):
    """(settings, output options, engine or None for a cluster) from the options; ValueError,
    FileNotFoundError or ImportError with a readable reason."""
    from app.core import Enhancer, OutputOptions

    settings = settings_from(args)
    video = VideoOptions(args.video_codec, args.video_quality).validated()
    if args.max_megapixels < 0:
        raise ValueError(f"--max-megapixels must be 0 (no limit) or more, got "
                         f"{args.max_megapixels:g}")
    options = OutputOptions(args.output, args.pattern if batch else "{stem}", args.format,
                            args.quality, args.overwrite,
                            save_factor=getattr(args, "save_factor", False), video=video,
                            max_megapixels=args.max_megapixels or None,
                            replace_changed=args.replace_changed).validated()
    cluster = getattr(args, "cluster", None)
    if getattr(args, "split_videos", None) and not cluster:
        raise ValueError("--split-videos needs --cluster")
    return settings, options, None if cluster else _engine(Enhancer, args)


def _run(args, items, enhancer, settings, options, progress, batch: bool):
    """(report, what interrupted it): the batch, locally or on the cluster, with SIGINT and
    SIGTERM asking it to stop (the report is still written); the report is None when there
    is no cluster to run on."""
    from app.core import BatchControl, run_batch

    control = BatchControl()

    def on_signal(signum, _frame):
        # The first Ctrl+C or SIGTERM stops at the next checkpoint (a frame, a band of a
        # photo; on a cluster, the driver's next look at the flag) and the report is written;
        # raising here instead could surface inside a compiled kernel.
        if control.interrupted:
            raise KeyboardInterrupt  # the second one: stop at once
        control.interrupt("SIGTERM" if signum == signal.SIGTERM else "Ctrl+C")

    previous = {s: _set_handler(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        if getattr(args, "cluster", None):
            from app.cluster_cli import run_on_cluster

            report = run_on_cluster(args, items, settings, options, progress.on_file, control)
        else:
            report = run_batch(items, enhancer, settings, options, on_file=progress.on_file,
                               control=control, write_report=batch,
                               on_video_progress=progress.on_video)
    except KeyboardInterrupt as exc:  # a second signal: stopped at once
        exc.by = control.interrupted_by
        raise
    finally:
        for s, handler in previous.items():
            _set_handler(s, handler)
    return report, control.interrupted_by


if __name__ == "__main__":
    sys.exit(main())
