"""Running the EFE net on horizontal strips of its input, with exact seams.

Each of the net's seven 3x3 depthwise convolutions reaches one row further and every other
op is per pixel, so a strip run with HALO extra rows of context on each side gives exactly
the rows one whole run gives. Strips bound the memory of big maps (a runtime holds every
activation of a run, 32 channels a pixel) and let several cores share a map.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np

from app.core.engine import parallel

HALO = 7  # rows of context a strip needs
# pixels: bigger maps always run in strips of about this size. A strip's activations cost
# ~900 bytes a pixel while it runs and stay held by the runtime after it (250,000: 220 MB,
# more than a 24 MP photo's own pixels; 60,000: 55 MB, as fast on 500 to 1200-wide maps)
LARGE_INPUT = 60_000


def strip_count(h: int, w: int, threads: int) -> int:
    """How many strips a (h, w) map runs in: 1 (whole) unless it is large, or several cores
    are to share it (``threads`` > 1, each strip at least twice its context)."""
    if h < 4 * HALO:
        return 1
    if h * w > LARGE_INPUT:
        return -(-h * w // LARGE_INPUT)
    if threads > 1:
        return min(threads, h // max(1, 2 * HALO))
    return 1


def run_in_strips(run: Callable[[np.ndarray], np.ndarray], x: np.ndarray, strips: int,
                  at_once: int) -> np.ndarray:
    """``run`` (N, C, h, w) -> (N, C', h, w) on ``strips`` strips of x, ``at_once`` at a
    time on as many threads; the same numbers as ``run(x)``."""
    h = x.shape[2]
    ranges = parallel.split_range(0, h, max(1, min(strips, h // max(1, 2 * HALO))))

    def strip(top: int, bottom: int) -> np.ndarray:
        lo = max(0, top - HALO)
        return run(x[:, :, lo:min(h, bottom + HALO)])[:, :, top - lo:bottom - lo]

    parts = []
    for first in range(0, len(ranges), at_once):
        parts += parallel.run_all([lambda a=a, b=b: strip(a, b)
                                   for a, b in ranges[first:first + at_once]])
    return np.concatenate(parts, axis=2)


def net_input(small: np.ndarray, exposure: float, channels: int) -> np.ndarray:
    """The net's (1, C, h, w) float32 input: the small copy, plus the exposure map when the
    net is conditioned on it (C = 4)."""
    h, w, _ = small.shape
    x = np.empty((1, channels, h, w), np.float32)
    x[0, :3] = small.transpose(2, 0, 1)
    if channels == 4:
        x[0, 3] = exposure
    return x
