"""The one settings object shared by the GUI, the CLI, batches and videos."""
from __future__ import annotations

from dataclasses import dataclass, replace

EXPOSURE_RANGE = (0.2, 0.9)
ITERATIONS_RANGE = (1, 16)
SCALE_CHOICES = (1, 2, 4, 8, 12, 16)


@dataclass(frozen=True)
class EnhanceSettings:
    """What the user chose: target exposure alpha, recurrence count n, EFE downscale factor."""

    exposure: float = 0.6
    iterations: int = 8
    scale: int = 12

    def validated(self) -> EnhanceSettings:
        """Return a copy with every value checked; raises ValueError with a readable reason."""
        lo, hi = EXPOSURE_RANGE
        if not lo <= float(self.exposure) <= hi:
            raise ValueError(f"exposure must be between {lo} and {hi}, got {self.exposure}")
        lo, hi = ITERATIONS_RANGE
        if int(self.iterations) != self.iterations or not lo <= self.iterations <= hi:
            raise ValueError(f"iterations must be an integer from {lo} to {hi}, "
                             f"got {self.iterations}")
        if int(self.scale) != self.scale or not 1 <= self.scale <= 64:
            raise ValueError(f"scale must be an integer from 1 to 64, got {self.scale}")
        return replace(self, exposure=float(self.exposure), iterations=int(self.iterations),
                       scale=int(self.scale))
