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


def test_each_request_gets_its_own_reply_and_dropped_ones_are_forgotten(qtbot, dark_photo):
    from app.__main__ import enhancer_factory
    from app.core import EnhanceSettings
    from app.gui.workers import EngineClient

    client = EngineClient(enhancer_factory)
    try:
        replies, failures = [], []
        image = dark_photo.copy()
        image.setflags(write=False)
        for i in range(12):  # a slider drag: most are replaced before they run
            last = client.request(image, EnhanceSettings(iterations=4 + i % 4),
                                  on_reply=replies.append, on_failure=failures.append)
        qtbot.waitUntil(lambda: any(r.id == last.id for r in replies), timeout=60000)
        assert all(r.kind == "preview" for r in replies) and not failures
        assert [r.id for r in replies] == sorted(r.id for r in replies)
        assert client.waiting == {}  # no callback left behind for the dropped ones
        client.request(np.zeros((0, 0, 3), np.uint8), EnhanceSettings(),
                       on_reply=replies.append, on_failure=failures.append)
        qtbot.waitUntil(lambda: bool(failures), timeout=60000)  # an empty image: its failure
        assert client.waiting == {}
    finally:
        client.shutdown()
