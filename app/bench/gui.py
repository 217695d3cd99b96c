"""Slider-to-preview latency of the real window, offscreen, on a 12-megapixel photo, and
next/previous between 24-megapixel JPEGs already seen.

    python -m app.bench.gui [--moves 40] [--steps 12] [--size 1880x1000]

The window is given the size it opens at on a big enough screen (the offscreen screen is
smaller), since the preview is as big as the panes show the photo. Each sample moves the
exposure slider (alternating values, as a user dragging back and forth), then waits for the
window's ``preview_shown`` signal in the event loop, as the app does (polling with
processEvents and sleeps added up to 2 ms a sample and took the GIL from the engine's thread):
the time covers the request, the worker's plan and its render of the displayed pixels, the
heatmap and the three panes' update.

Next/previous: three 24 MP JPEGs in a folder, each opened once (decoded, analysed), then
the window steps back and forth between them; each sample is the time from the key's action
(``browser.step``) to the new photo's enhanced preview on screen (target <= 0.3 s). The
first visits are printed too: the folder's first photo is decoded when opened, the next two
were decoded ahead while the one before was on screen (the bench waits for that look-ahead,
as a user looking at a photo for a moment gives it time).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _size(text: str) -> tuple[int, int]:
    w, h = text.lower().split("x")
    return int(w), int(h)


def wait_shown(window, target_id: int, timeout_s: float) -> bool:
    """Run the event loop until the window has shown preview ``target_id``."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    timer = QTimer(singleShot=True, interval=round(timeout_s * 1000))
    timer.timeout.connect(loop.quit)

    def shown(request_id: int) -> None:
        if request_id >= target_id:
            loop.quit()

    window.preview_shown.connect(shown)
    timer.start()
    if window.session.pending.shown_preview < target_id:
        loop.exec()
    timer.stop()
    window.preview_shown.disconnect(shown)
    return window.session.pending.shown_preview >= target_id


def main() -> int:
    from app.gui.screen import WANTED

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--moves", type=int, default=40)
    p.add_argument("--steps", type=int, default=12, help="next/previous samples")
    p.add_argument("--size", type=_size, default=(WANTED.width(), WANTED.height()),
                   help="the window's size, WxH (default: %(default)s)")
    args = p.parse_args()
    from PySide6.QtCore import QSettings

    from app.__main__ import enhancer_factory, make_app
    from app.bench.samples import synthetic_photo
    from app.core.media.images import ImageMeta
    from app.gui.main_window import MainWindow
    from app.gui.timers import wait_for

    app = make_app(sys.argv[:1])
    store = QSettings(str(Path(os.environ.get("TMPDIR", "/tmp")) / "lowlight-bench.ini"),
                      QSettings.IniFormat)
    store.clear()  # a slider left at the first move's value by the last run would not move
    window = MainWindow(enhancer_factory, store)
    window.show()
    window.resize(*args.size)
    photo = synthetic_photo(4000, 3000)  # 12 MP
    window.set_image(photo, ImageMeta(), None)
    assert wait_for(lambda: window.output is not None, 30)
    exposure = window.controls.exposure
    exposure.auto.setChecked(False)  # the slider moves a manual exposure
    assert wait_for(lambda: not window.session.pending.preview_waiting, 30)
    latencies, engine = [], []
    for i in range(args.moves + 5):
        target_id = window.session.pending.latest_preview + 1
        start = time.perf_counter()
        exposure.slider.setValue(30 + (i % 2) * 10 + (i % 7))
        if not wait_shown(window, target_id, 10):
            print("timed out waiting for a preview")
            return 1
        if i >= 5:  # warm-up
            latencies.append((time.perf_counter() - start) * 1000)
            engine.append(window.last_seconds * 1000)
    latencies.sort()
    p95 = latencies[int(round(0.95 * (len(latencies) - 1)))]
    pane = window.output_pane.view.viewport().size()
    print(f"slider -> preview on a 12 MP photo ({window.backend}, window "
          f"{window.width()}x{window.height()}, pane {pane.width()}x{pane.height()}, preview "
          f"{window.preview.shape[1]}x{window.preview.shape[0]} planned on "
          f"{window.plan_source.shape[1]}x{window.plan_source.shape[0]}): median "
          f"{statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms (target <= 50 ms), "
          f"{len(latencies)} moves; of which the worker's plan and render: median "
          f"{statistics.median(engine):.1f} ms")
    code = next_previous(window, args.steps)
    window.close()
    app.processEvents()
    return code


def next_previous(window, steps: int) -> int:
    """Step between 24 MP JPEGs already seen; print the time to each enhanced preview."""
    import tempfile

    from app.bench.samples import synthetic_photo
    from app.core import write_image

    with tempfile.TemporaryDirectory(prefix="lowlight-bench-") as tmp:
        folder = Path(tmp)
        photo = synthetic_photo(6000, 4000)  # 24 MP
        for i in range(3):
            write_image(folder / f"IMG_{i}.jpg", np.roll(photo, i * 500, axis=1), 92)
        first_visits = []
        start = time.perf_counter()
        window.open_path(folder / "IMG_0.jpg", remember=False)
        if not wait_shown(window, window.session.pending.latest_preview, 30):
            print("timed out waiting for a preview")
            return 1
        first_visits.append(time.perf_counter() - start)
        for _ in range(2):
            window.browser.ahead.waitForDone()  # the user looks at the photo a moment
            start = time.perf_counter()
            window.browser.step(1)
            if not wait_shown(window, window.session.pending.latest_preview, 30):
                print("timed out waiting for a preview")
                return 1
            first_visits.append(time.perf_counter() - start)
        seen, delta = [], -1
        for _ in range(steps):
            if window.browser.catalog.step(delta) is None:
                delta = -delta
            start = time.perf_counter()
            window.browser.step(delta)
            if not wait_shown(window, window.session.pending.latest_preview, 30):
                print("timed out waiting for a preview")
                return 1
            seen.append(time.perf_counter() - start)
        seen.sort()
        p95 = seen[int(round(0.95 * (len(seen) - 1)))]
        print(f"next/previous between 24 MP JPEGs already seen: median "
              f"{statistics.median(seen) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {seen[-1] * 1000:.0f} ms (target <= 300 ms), {len(seen)} steps; first "
              f"visits: {first_visits[0] * 1000:.0f} ms opening the folder (decoding the "
              f"JPEG), then " + ", ".join(f"{t * 1000:.0f} ms" for t in first_visits[1:])
              + " (decoded ahead while the photo before was looked at)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
