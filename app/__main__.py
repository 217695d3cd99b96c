"""``lowlight-studio`` / ``python -m app``: open the window (optionally on photos).

    lowlight-studio [PHOTO]          open the window (with the bundled sample when no photo)
    lowlight-studio --self-test      offscreen: load the sample, enhance it through the worker,
                                     check the three panes, exit 0 (non-zero with the reason)
    lowlight-studio --screenshot F   render the window with the sample to the PNG file F
                                     (--split: the before/after view; --zoom 100: real pixels)
    lowlight-studio --version        print the version and exit
"""
from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import sys
import time
import traceback
from pathlib import Path

log = logging.getLogger("app")


def _parse(argv: list[str]) -> argparse.Namespace:
    from app import __version__

    p = argparse.ArgumentParser(prog="lowlight-studio", description="Lowlight Studio")
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("photo", nargs="?", type=Path, help="photo to open (default: the sample)")
    p.add_argument("--self-test", action="store_true", help="check the app offscreen and exit")
    p.add_argument("--screenshot", type=Path, help="save a PNG of the window and exit")
    p.add_argument("--no-sample", action="store_true", help="start with an empty window")
    p.add_argument("--split", action="store_true", help="start in the before/after split view")
    p.add_argument("--zoom", type=float, metavar="PERCENT",
                   help="start at this zoom (100 = the photo's own pixels) instead of fit")
    p.add_argument("--exit-when-shown", action="store_true",
                   help="quit as soon as the window is shown with its photo (start-up timing)")
    return p.parse_args(argv)


def _install_crash_handler(log_path: Path | None) -> None:
    """Unexpected exceptions: log the traceback, show a dialog, keep running."""

    def hook(exc_type, exc, tb):
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unexpected error:\n%s", text)
        from PySide6.QtWidgets import QApplication, QMessageBox

        if QApplication.instance() is not None and not os.environ.get("LOWLIGHT_NO_DIALOGS"):
            QMessageBox.critical(None, "Lowlight Studio: unexpected error",
                                 f"{exc_type.__name__}: {exc}\n\nThe details are in the log:\n"
                                 f"{log_path or '(no log file)'}")

    sys.excepthook = hook


def make_app(argv: list[str]):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Lowlight Studio")
    app.setOrganizationName("LowlightStudio")
    app.setDesktopFileName("lowlight-studio")
    from PySide6.QtGui import QIcon

    from app.paths import resources_dir

    app.setWindowIcon(QIcon(str(resources_dir() / "icon.png")))
    return app


def enhancer_factory():
    from app.core import Enhancer

    return Enhancer()


def self_test(window, timeout_s: float = 30.0) -> tuple[bool, str]:
    """Enhance the sample through the real worker and check what the panes show."""
    import numpy as np

    from app.gui.timers import wait_for

    if window.image is None:
        return False, "the sample photo did not load"
    if not wait_for(lambda: window.output is not None or window.last_error, timeout_s):
        return False, "no enhanced preview arrived from the worker in time"
    if window.output is None:
        return False, f"the engine failed: {window.last_error}"
    panes = {p.title.full_text(): p.view.has_image() for p in window.panes}
    if not all(panes.values()):
        return False, f"empty panes: {[k for k, v in panes.items() if not v]}"
    gain = window.output.mean() / max(window.preview.mean(), 1e-6)
    if not np.isfinite(window.output).all() or gain < 1.5:
        return False, f"the enhanced output is not brighter (gain {gain:.2f})"
    if window.gain is None or float(np.abs(window.gain).max()) == 0:
        return False, "the brightening heatmap is empty"
    return True, (f"ok: {window.image.shape[1]}x{window.image.shape[0]} sample, brightness "
                  f"x{gain:.1f}, engine {window.backend}, {window.last_seconds * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    args = _parse(sys.argv[1:] if argv is None else argv)
    if args.self_test or args.screenshot or args.exit_when_shown:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        os.environ["LOWLIGHT_NO_DIALOGS"] = "1"  # nobody is there to close a dialog
    from app.logsetup import setup_logging

    log_path = setup_logging()
    _install_crash_handler(log_path)
    started = time.perf_counter()
    app = make_app(sys.argv[:1])
    from app.gui.main_window import MainWindow
    from app.gui.timers import wait_for
    from app.paths import sample_image

    photo = args.photo or (None if args.no_sample else sample_image())
    unattended = args.self_test or args.screenshot or args.exit_when_shown
    if unattended and photo is not None and not Path(photo).is_file():
        print(f"lowlight-studio: {photo}: no such photo", file=sys.stderr)
        return 2
    window = MainWindow(enhancer_factory)
    window.show()
    if photo is not None:
        opened = window.open_path(Path(photo), remember=args.photo is not None)
        if not opened and unattended:
            print(f"lowlight-studio: {window.message.text.text()}", file=sys.stderr)
            window.close()
            return 1
        if args.split:
            window.act_compare.setChecked(True)
        if args.zoom:
            window.leading_view().zoom_to(args.zoom / 100)
    app.processEvents()  # let the window paint once
    log.info("window shown in %.2f s", time.perf_counter() - started)
    if args.exit_when_shown:
        window.close()
        return 0
    if args.self_test:
        ok, message = self_test(window)
        print(f"self-test: {message}")
        window.close()
        return 0 if ok else 1
    if args.screenshot:
        wait_for(lambda: window.output is not None, 30)
        wait_for(lambda: window.histogram.shown_for == window.session.pending.shown_preview, 10)
        if args.zoom and args.zoom >= 100 and window.preview is not window.image:
            # the real pixels, not the enlarged preview
            window.detail.update_now()
            wait_for(lambda: window.display.output_tile is not None, 30)
        app.processEvents()
        window.grab().save(str(args.screenshot))
        window.close()
        print(f"screenshot written to {args.screenshot}")
        return 0
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
