"""Ways to run the EFE net on the small copy of an image.

Every backend maps a float32 (h, w, 3) image in [0, 1] and an exposure alpha to the factor map
x_r, float32 (h, w, 3) in [-1, 1]. The full-resolution stage is shared (app.core.engine.enhancer).
"""
from __future__ import annotations

from typing import Protocol

import numpy as np


class EFEBackend(Protocol):
    name: str  # what ran, for the status bar and --verbose: "onnxruntime (CPU)", ...

    def factor(self, small: np.ndarray, exposure: float, threads: int | None = None
               ) -> np.ndarray:
        """``threads=1``: stay in the calling thread; None: use the cores it was set up for."""
