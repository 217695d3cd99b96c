"""EFE net on ONNX Runtime: the fastest CPU path, and the one that needs no torch at all.

The graph itself is written from the weights by app.core.model.onnx_export.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.core.engine.backends.strips import net_input, run_in_strips, strip_count


class OnnxEFE:
    """EFE on onnxruntime's CPU provider.

    At the usual sizes (the photo downscaled by 12: 100x75 for 1200x900, 160x90 for 1080p) one
    intra-op thread is faster than ORT's own two (3.4 vs 3.9 ms measured on 2 cores: its
    per-op hand-offs cost more than they save). So a call allowed several cores splits the
    map into horizontal strips instead (backends.strips: exact seams), each run whole on one
    thread. Big maps always run in strips of bounded size. Sessions are safe to run from
    several threads at once. (OpenCV DNN runs this net several times faster: see
    opencv_backend; this one stays as the fallback.)
    """

    def __init__(self, model_path: Path, threads: int | None = None):
        self.model_path = model_path
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.session = self._session(1)
        self.in_channels = self.session.get_inputs()[0].shape[1]
        self.name = "onnxruntime (CPU)"

    def _session(self, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # No "session.set_denormal_as_zero": it turned on flush-to-zero in the thread that
        # made the session, and every thread started from it afterwards inherited it, x264's
        # too, whose floating-point rate control then gave other bytes for the same frames
        # depending on which thread started the export (the net's speed is the same without).
        # No busy-waiting threads after each run: on 2 cores they would steal the CPU from the
        # full-resolution stage that follows.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.model_path), opts,
                                    providers=["CPUExecutionProvider"])

    def factor(self, small: np.ndarray, exposure: float, threads: int | None = None
               ) -> np.ndarray:
        """``threads=1`` keeps the work in the calling thread (callers that are parallel
        themselves); by default up to ``self.threads`` cores are used."""
        x = net_input(small, exposure, self.in_channels)
        threads = min(threads or self.threads, self.threads)
        strips = strip_count(*x.shape[2:], threads)
        x_r = self._run(x) if strips == 1 else run_in_strips(self._run, x, strips, threads)
        return np.ascontiguousarray(x_r[0].transpose(1, 2, 0))

    def _run(self, x: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input": x})[0]
