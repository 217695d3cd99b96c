"""EFE net on ONNX Runtime: the fastest CPU path, and the one that needs no torch at all.

The graph itself is written from the weights by app.core.model.onnx_export.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.core.engine import parallel


class OnnxEFE:
    """EFE on onnxruntime's CPU provider.

    At the usual sizes (the photo downscaled by 12: 100x75 for 1200x900, 160x90 for 1080p) one
    intra-op thread is faster than ORT's own two (3.4 vs 3.9 ms measured on 2 cores: its
    per-op hand-offs cost more than they save). So a call allowed several cores splits the
    map into horizontal strips instead, each run whole on one thread with HALO extra rows of
    context, which makes the seams exact (same numbers as one run) and takes 25-35% off the
    wall time. Inputs above LARGE_INPUT pixels (huge photos, fine map detail) always run in
    strips of about that size, ``threads`` at a time, because ORT holds every activation of
    a run (32 channels a pixel). Sessions are safe to run from several threads at once.
    """

    LARGE_INPUT = 250_000
    # Rows of context a strip needs: each of the seven 3x3 depthwise convs reaches one row
    # further, the other ops are per-pixel.
    HALO = 7

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
        h, w, _ = small.shape
        x = np.empty((1, self.in_channels, h, w), np.float32)
        x[0, :3] = small.transpose(2, 0, 1)
        if self.in_channels == 4:
            x[0, 3] = exposure
        threads = min(threads or self.threads, self.threads)
        if h * w > self.LARGE_INPUT and h >= 4 * self.HALO:
            # big maps (100 MP photos) in strips of bounded size: ORT keeps every
            # activation of a run (32 channels a pixel), half a gigabyte at 0.7 MP
            x_r = self._run_in_strips(x, -(-h * w // self.LARGE_INPUT), threads)
        elif threads > 1 and h >= 4 * self.HALO:  # strips at least twice their context
            x_r = self._run_in_strips(x, min(threads, h // max(1, 2 * self.HALO)), threads)
        else:
            x_r = self._run(self.session, x)
        return np.ascontiguousarray(x_r[0].transpose(1, 2, 0))

    @staticmethod
    def _run(session, x: np.ndarray) -> np.ndarray:
        return session.run(None, {"input": x})[0]

    def _run_in_strips(self, x: np.ndarray, strips: int, at_once: int) -> np.ndarray:
        h = x.shape[2]
        ranges = parallel.split_range(0, h, min(strips, h // max(1, 2 * self.HALO)))

        def strip(top: int, bottom: int) -> np.ndarray:
            lo = max(0, top - self.HALO)
            x_r = self._run(self.session, x[:, :, lo:min(h, bottom + self.HALO)])
            return x_r[:, :, top - lo:bottom - lo]

        parts = []
        for first in range(0, len(ranges), at_once):
            parts += parallel.run_all([lambda a=a, b=b: strip(a, b)
                                       for a, b in ranges[first:first + at_once]])
        return np.concatenate(parts, axis=2)
