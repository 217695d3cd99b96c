"""The one settings object shared by the GUI, the CLI, batches and videos."""
from __future__ import annotations

from dataclasses import dataclass, replace

EXPOSURE_RANGE = (0.2, 0.9)
ITERATIONS_RANGE = (1, 16)
SCALE_CHOICES = (1, 2, 4, 8, 12, 16)


def low_res_size(height: int, width: int, scale: int) -> tuple[int, int]:
    """Size of the copy the EFE net sees: the image divided by ``scale``, at least 1x1."""
    return max(1, round(height / scale)), max(1, round(width / scale))


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


VIDEO_CODECS = ("h264", "h265")
# Default CRF per codec: lower is better quality and bigger files. x265's scale sits a few
# steps above x264's for the same look.
DEFAULT_CRF = {"h264": 20, "h265": 22}
CRF_RANGE = (0, 51)


@dataclass(frozen=True)
class VideoOptions:
    """How enhanced clips are encoded: the codec and its quality (CRF, None = codec default)."""

    codec: str = "h264"
    crf: int | None = None

    @property
    def quality(self) -> int:
        return DEFAULT_CRF[self.codec] if self.crf is None else int(self.crf)

    def validated(self) -> VideoOptions:
        if self.codec not in VIDEO_CODECS:
            raise ValueError(f"video codec must be one of {', '.join(VIDEO_CODECS)}, "
                             f"got {self.codec!r}")
        lo, hi = CRF_RANGE
        if self.crf is not None and (int(self.crf) != self.crf or not lo <= self.crf <= hi):
            raise ValueError(f"video quality (CRF) must be an integer from {lo} to {hi}, "
                             f"got {self.crf}")
        return replace(self, crf=None if self.crf is None else int(self.crf))
