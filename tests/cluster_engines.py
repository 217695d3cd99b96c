"""Engines for the cluster tests, in a module of their own so Ray workers can import them."""
from __future__ import annotations

import time

from app.core.engine.enhancer import Enhancer


class SlowEnhancer:
    """The real engine, ``delay`` seconds slower per photo: a test can kill a worker or press
    Ctrl+C while files are certainly in flight, and the outputs stay the real ones."""

    def __init__(self, delay: float):
        self.inner = Enhancer(threads=1)
        self.delay = delay
        self.backend_name = self.inner.backend_name

    def enhance(self, *args, **kwargs):
        time.sleep(self.delay)
        return self.inner.enhance(*args, **kwargs)


def enhancer_whose_joins_fail():
    """The real engine, in a worker where joining a split video fails as if its segments could
    not be joined losslessly: the driver must then enhance the video whole."""
    from app.core.jobs import video_split

    def refuse(*_args, **_kwargs):
        raise video_split.SplitError("test: these segments cannot be joined")

    video_split.join_segments = refuse
    return Enhancer(threads=1)
