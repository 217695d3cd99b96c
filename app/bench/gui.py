"""Slider-to-preview latency of the real window, offscreen, on a 12-megapixel photo.

    python -m app.bench.gui [--moves 40]

Each sample moves the exposure slider (alternating values, as a user dragging back and forth),
then waits for the window's ``preview_shown`` signal: the time covers the request, the worker's
enhancement of the screen-resolution preview, the heatmap and the three panes' update.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--moves", type=int, default=40)
    args = p.parse_args()
    from PySide6.QtCore import QSettings

    from app.__main__ import enhancer_factory, make_app
    from app.bench.samples import synthetic_photo
    from app.core.media.images import ImageMeta
    from app.gui.main_window import MainWindow
    from app.gui.widgets import wait_for

    app = make_app(sys.argv[:1])
    store = QSettings(str(Path(os.environ.get("TMPDIR", "/tmp")) / "lowlight-bench.ini"),
                      QSettings.IniFormat)
    window = MainWindow(enhancer_factory, store)
    window.show()
    photo = synthetic_photo(4000, 3000)  # 12 MP
    window.set_image(photo, ImageMeta(), None)
    assert wait_for(lambda: window.output is not None, 30)
    window.controls.exposure.auto.setChecked(False)  # the slider moves only off Auto
    assert wait_for(lambda: window.shown_id == window.latest_preview_id, 30)
    latencies = []
    for i in range(args.moves + 5):
        target_id = window.latest_preview_id + 1
        start = time.perf_counter()
        window.controls.exposure.slider.setValue(50 + (i % 2) * 10 + (i % 7))
        if not wait_for(lambda tid=target_id: window.shown_id >= tid, 10):
            print("timed out waiting for a preview")
            return 1
        if i >= 5:  # warm-up
            latencies.append((time.perf_counter() - start) * 1000)
    latencies.sort()
    p95 = latencies[int(round(0.95 * (len(latencies) - 1)))]
    print(f"slider -> preview on a 12 MP photo ({window.backend}, preview "
          f"{window.preview.shape[1]}x{window.preview.shape[0]}): median "
          f"{statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms (target <= 50 ms), "
          f"{len(latencies)} moves")
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
