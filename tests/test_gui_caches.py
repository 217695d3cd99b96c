"""The engine thread's per-photo values (noise, analysis) are kept for the last few photos
by identity, and never keep a photo alive that the window let go."""
from __future__ import annotations

import gc

import numpy as np

from app.gui.workers import KEEP_PHOTOS, _kept


def test_values_are_kept_per_array_for_the_last_few_and_dropped_with_the_array():
    entries, made = [], []

    def make(a):
        made.append(a.shape)
        return float(a.sum())

    arrays = [np.full((2, 2), i, np.float32) for i in range(KEEP_PHOTOS + 1)]
    for a in arrays:
        _kept(entries, a, make)
    assert len(made) == KEEP_PHOTOS + 1 and len(entries) == KEEP_PHOTOS
    assert _kept(entries, arrays[-1], make) == float(arrays[-1].sum())
    assert len(made) == KEEP_PHOTOS + 1  # the newest: not made again
    _kept(entries, arrays[0], make)  # the oldest was dropped: made again
    assert len(made) == KEEP_PHOTOS + 2
    same_values = np.full((2, 2), 1, np.float32)  # equal pixels, another array: made
    _kept(entries, same_values, make)
    assert len(made) == KEEP_PHOTOS + 3
    del arrays, same_values, a
    gc.collect()
    alive = np.zeros((1, 1), np.float32)
    _kept(entries, alive, make)
    assert len(entries) == 1  # the arrays let go took their values with them
