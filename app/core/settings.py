"""The one settings object shared by the GUI, the CLI, batches and videos."""
from __future__ import annotations

from dataclasses import dataclass, replace

EXPOSURE_RANGE = (0.2, 0.9)
ITERATIONS_RANGE = (1, 16)
SCALE_CHOICES = (1, 2, 4, 8, 12, 16)
DENOISE_RANGE = (0.0, 2.0)
LOOK_RANGE = (-1.0, 1.0)  # shadows, highlights, contrast: 0 is neutral
AUTO = "auto"


def low_res_size(height: int, width: int, scale: int) -> tuple[int, int]:
    """Size of the copy the EFE net sees: the image divided by ``scale``, at least 1x1."""
    return max(1, round(height / scale)), max(1, round(width / scale))


def _auto_or_number(name: str, value, lo: float, hi: float, off: float | None = None):
    """"auto", or a float in [lo, hi] ("off" -> ``off`` where allowed); ValueError otherwise."""
    if isinstance(value, str):
        word = value.strip().lower()
        if word == AUTO:
            return AUTO
        if word == "off" and off is not None:
            return off
        try:
            value = float(word)
        except ValueError:
            raise ValueError(f"{name} must be auto{', off' if off is not None else ''} or a "
                             f"number from {lo} to {hi}, got {value!r}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not lo <= value <= hi:
        raise ValueError(f"{name} must be auto or a number from {lo} to {hi}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class EnhanceSettings:
    """What the user chose.

    exposure: "auto" (dark photos brought to a natural level, well-exposed ones left alone,
        noise-only photos kept dark) or a target mean brightness in [0.2, 0.9].
    iterations: strength, 1-16; 8 reaches the exposure, fewer is gentler, more is stronger
        (it scales the brightening in stops; the recurrence count n of SGZ).
    scale: map detail, the downscale factor of the copy the EFE net sees.
    denoise: "auto" (1.0), "off" (0) or a strength up to 2; noise is removed in proportion
        to how much each region is brightened.
    shadows, highlights, contrast: -1 to 1, 0 neutral, applied on top of the exposure:
        shadows scales how much the local map lifts the dark (2 ** shadows), highlights
        holds the lights down (-) or lifts them (+) by up to half a stop, contrast steepens
        (+) or flattens (-) the tone curve about the photo's mid-tone.
    white_balance: take out most of the photo's colour cast (a sodium street's orange, an
        LED room's green); off by default, since a night's colour is often the point.
    """

    exposure: float | str = AUTO
    iterations: int = 8
    scale: int = 12
    denoise: float | str = AUTO
    shadows: float = 0.0
    highlights: float = 0.0
    contrast: float = 0.0
    white_balance: bool = False

    @property
    def auto_exposure(self) -> bool:
        return self.exposure == AUTO

    def by_name(self) -> dict:
        """The values under the names the window and the CLI give them (presets, reports)."""
        s = self.validated()
        return {"exposure": s.exposure, "strength": s.iterations, "denoise": s.denoise,
                "map_detail": s.scale, "shadows": s.shadows, "highlights": s.highlights,
                "contrast": s.contrast, "white_balance": s.white_balance}

    @property
    def denoise_strength(self) -> float:
        """The denoise amount as a number (auto = 1)."""
        return 1.0 if self.denoise == AUTO else float(self.denoise)

    def validated(self) -> EnhanceSettings:
        """Return a copy with every value checked; raises ValueError with a readable reason."""
        exposure = _auto_or_number("exposure", self.exposure, *EXPOSURE_RANGE)
        denoise = _auto_or_number("denoise", self.denoise, *DENOISE_RANGE, off=0.0)
        lo, hi = ITERATIONS_RANGE
        if int(self.iterations) != self.iterations or not lo <= self.iterations <= hi:
            raise ValueError(f"strength (iterations) must be an integer from {lo} to {hi}, "
                             f"got {self.iterations}")
        if int(self.scale) != self.scale or not 1 <= self.scale <= 64:
            raise ValueError(f"scale must be an integer from 1 to 64, got {self.scale}")
        look = {name: _look_value(name, getattr(self, name)) for name in LOOK_NAMES}
        if not isinstance(self.white_balance, bool):
            raise ValueError(f"white balance must be on or off, got {self.white_balance!r}")
        return replace(self, exposure=exposure, iterations=int(self.iterations),
                       scale=int(self.scale), denoise=denoise,
                       white_balance=bool(self.white_balance), **look)


LOOK_NAMES = ("shadows", "highlights", "contrast")


def _look_value(name: str, value) -> float:
    lo, hi = LOOK_RANGE
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}, got {value!r}") from None
    if isinstance(value, bool) or not lo <= number <= hi:  # NaN fails the range too
        raise ValueError(f"{name} must be a number from {lo:g} to {hi:g}, got {value!r}")
    return number


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
