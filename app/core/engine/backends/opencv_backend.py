"""EFE net on OpenCV's DNN module: the fastest CPU path measured here.

On a 2-core machine the 100x75 map of a 1200x900 photo took 2.8 ms on one thread with
OpenCV DNN against 20.5 ms with onnxruntime (whose depthwise convolutions are slow at this
size), the same numbers within 1e-7. OpenCV ships in every install (opencv-python), so this
costs no extra dependency. A cv2.dnn.Net is not safe to run from several threads at once:
each thread that runs the net gets its own copy (read from the same ONNX file).
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from app.core.engine.backends.strips import net_input, run_in_strips, strip_count


class OpenCvEFE:
    def __init__(self, model_path: Path, threads: int | None = None):
        import cv2

        self.model_path = model_path
        self.threads = threads or max(1, os.cpu_count() or 1)
        self._local = threading.local()
        probe = self._net()  # fails here, not on the first photo, on a file it cannot read
        self.in_channels = _input_channels(probe, cv2)
        self.name = "OpenCV DNN (CPU)"

    def _net(self):
        net = getattr(self._local, "net", None)
        if net is None:
            import cv2

            # OpenCV's own CPU backend and target are the defaults (setting the target makes
            # OpenCV 4.12's new graph engine print a warning)
            net = cv2.dnn.readNetFromONNX(str(self.model_path))
            self._local.net = net
        return net

    def _run(self, x: np.ndarray) -> np.ndarray:
        net = self._net()
        net.setInput(np.ascontiguousarray(x))
        return net.forward()

    def _forget(self) -> None:
        """Drop this thread's net: a net keeps every activation of its largest run (a
        strip's: ~40 MB) until it goes; read again, it costs ~10 ms on its first run."""
        self._local.net = None

    def factor(self, small: np.ndarray, exposure: float, threads: int | None = None
               ) -> np.ndarray:
        """``threads=1``: strips (for big maps) one after the other in the calling thread;
        more: strips side by side."""
        x = net_input(small, exposure, self.in_channels)
        threads = min(threads or self.threads, self.threads)
        h, w = x.shape[2:]
        strips = strip_count(h, w, 1)  # OpenCV shares one run among its own threads
        if strips == 1:
            x_r = self._run(x)
        else:  # a big map (a photo over ~9 MP): the calling thread (the photo's, a batch
            # worker) keeps no strip's activations for the rest of the photo and after it
            # (pool threads keep theirs: dropping a net per strip cost a third more time)
            x_r = run_in_strips(self._run, x, strips, threads)
            self._forget()
        return np.ascontiguousarray(x_r[0].transpose(1, 2, 0))


def _input_channels(net, cv2) -> int:
    """3 for the plain SGZ net, 4 for the exposure-conditioned one: a 4-channel probe runs
    only on a net that takes four."""
    try:
        net.setInput(np.zeros((1, 4, 8, 8), np.float32))
        net.forward()
        return 4
    except cv2.error:
        return 3
