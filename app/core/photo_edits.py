"""A photo's own edits, kept beside it and never in it.

What a photographer sets on one photo (its enhancement settings, pick/reject flag, star
rating, rotation, straightening and crop) lives in a small JSON sidecar next to the photo,
``NAME.EXT.lowlight.json``, so the edits travel with the folder and the original is never
touched. Where the folder cannot be written (a card, a read-only share) the same JSON goes
to the app's own store in the user's config folder, keyed by the photo's resolved path.
A photo never touched has no sidecar and gets the defaults (Auto).

Geometry is applied before the enhancement (:func:`apply_geometry`): the exposure is solved
for the framing the user keeps, as in Lightroom, and the 100% view and Save show the same
pixels.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np

from app.core import presets
from app.core.settings import EnhanceSettings
from app.paths import config_dir

SIDECAR_SUFFIX = ".lowlight.json"
FORMAT = "lowlight-studio edits"
FLAGS = ("", "pick", "reject")
MAX_RATING = 5
MAX_STRAIGHTEN = 45.0  # degrees either way
MAX_SIDECAR_BYTES = 64 * 1024  # a sidecar is a few hundred bytes; refuse anything odd
STORE_FOLDER = "edits"  # under config_dir(): sidecars of photos in read-only folders


class EditsError(ValueError):
    """A sidecar that cannot be read or written; the message names the file and why."""


@dataclass(frozen=True)
class Crop:
    """The kept rectangle as fractions (0-1) of the rotated and straightened photo."""

    left: float = 0.0
    top: float = 0.0
    right: float = 1.0
    bottom: float = 1.0

    def validated(self) -> Crop:
        values = [float(v) for v in (self.left, self.top, self.right, self.bottom)]
        if not all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
            raise ValueError("a crop's edges must be fractions from 0 to 1")
        left, top, right, bottom = values
        if right - left < 0.01 or bottom - top < 0.01:
            raise ValueError("a crop must keep at least 1% of the photo each way")
        return Crop(left, top, right, bottom)

    @property
    def is_full(self) -> bool:
        return (self.left, self.top, self.right, self.bottom) == (0.0, 0.0, 1.0, 1.0)


@dataclass(frozen=True)
class PhotoEdits:
    settings: EnhanceSettings = field(default_factory=EnhanceSettings)
    flag: str = ""  # "", "pick" or "reject"
    rating: int = 0  # stars, 0 (none) to 5
    quarter_turns: int = 0  # clockwise 90-degree turns, 0-3
    straighten: float = 0.0  # degrees, positive turns the photo clockwise
    crop: Crop = field(default_factory=Crop)

    def validated(self) -> PhotoEdits:
        if self.flag not in FLAGS:
            raise ValueError(f"flag must be one of pick, reject or none, got {self.flag!r}")
        rating = int(self.rating)
        if rating != self.rating or not 0 <= rating <= MAX_RATING:
            raise ValueError(f"rating must be 0 to {MAX_RATING} stars, got {self.rating!r}")
        straighten = float(self.straighten)
        if not math.isfinite(straighten) or abs(straighten) > MAX_STRAIGHTEN:
            raise ValueError(f"straighten must be within {MAX_STRAIGHTEN:g} degrees, "
                             f"got {self.straighten!r}")
        return replace(self, settings=self.settings.validated(), rating=rating,
                       quarter_turns=int(self.quarter_turns) % 4, straighten=straighten,
                       crop=self.crop.validated())

    @property
    def is_default(self) -> bool:
        return self.validated() == PhotoEdits().validated()

    @property
    def has_geometry(self) -> bool:
        return bool(self.quarter_turns % 4 or self.straighten or not self.crop.is_full)

    def to_dict(self) -> dict:
        e = self.validated()
        return {"format": FORMAT, "version": 1, "settings": presets.to_dict(e.settings),
                "flag": e.flag, "rating": e.rating, "quarter_turns": e.quarter_turns,
                "straighten": e.straighten, "crop": asdict(e.crop)}

    @classmethod
    def from_dict(cls, d: dict) -> PhotoEdits:
        """Edits from a sidecar's JSON; ValueError (with the reason) for anything malformed."""
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError("not a Lowlight Studio edits file")
        settings = d.get("settings", {})
        crop = d.get("crop", {})
        if not isinstance(settings, dict) or not isinstance(crop, dict):
            raise ValueError("settings and crop must be objects")
        try:
            return cls(presets.from_dict(settings), d.get("flag", ""), d.get("rating", 0),
                       d.get("quarter_turns", 0), d.get("straighten", 0.0),
                       Crop(**{k: crop[k] for k in ("left", "top", "right", "bottom")
                               if k in crop})).validated()
        except TypeError as exc:
            raise ValueError(str(exc)) from None


def sidecar_path(photo: str | os.PathLike) -> Path:
    photo = Path(photo)
    return photo.with_name(photo.name + SIDECAR_SUFFIX)


def is_sidecar(path: str | os.PathLike) -> bool:
    return Path(path).name.endswith(SIDECAR_SUFFIX)


class EditStore:
    """Loads and saves each photo's edits: the sidecar beside it, else the app's own store."""

    def __init__(self, store_dir: str | os.PathLike | None = None):
        self.store_dir = Path(store_dir) if store_dir is not None else \
            config_dir() / STORE_FOLDER

    def stored_path(self, photo: str | os.PathLike) -> Path:
        """Where the app keeps the edits of a photo whose folder is read-only."""
        key = hashlib.sha1(str(Path(photo).resolve()).encode("utf-8", "surrogateescape"))
        return self.store_dir / (key.hexdigest() + ".json")

    def load(self, photo: str | os.PathLike) -> PhotoEdits:
        """The photo's edits; the defaults when it has none. EditsError for a damaged
        sidecar (the caller says so and keeps working with the defaults; the file is left
        as it is until the user saves new edits)."""
        for path in (sidecar_path(photo), self.stored_path(photo)):
            try:
                data = _read_small(path)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise EditsError(f"cannot read {path.name}: {exc.strerror or exc}") from None
            try:
                return PhotoEdits.from_dict(json.loads(data.decode("utf-8")))
            except (ValueError, UnicodeDecodeError) as exc:
                raise EditsError(f"{path.name} is damaged ({exc}); Auto is used") from None
        return PhotoEdits()

    def save(self, photo: str | os.PathLike, edits: PhotoEdits) -> Path | None:
        """Keep ``edits`` for ``photo`` (atomically); default edits remove the sidecar.
        Returns where they went (None when removed); EditsError if nowhere could take them."""
        side, stored = sidecar_path(photo), self.stored_path(photo)
        if edits.is_default:
            for path in (side, stored):
                try:
                    path.unlink(missing_ok=True)
                except OSError:
                    pass  # a read-only folder keeps a stale sidecar: the store is empty
            return None
        text = json.dumps(edits.to_dict(), indent=2) + "\n"
        try:
            _write_atomic(side, text)
            stored.unlink(missing_ok=True)
            return side
        except OSError:
            pass  # read-only folder: the app's store instead
        try:
            stored.parent.mkdir(parents=True, exist_ok=True)
            _write_atomic(stored, text)
            return stored
        except OSError as exc:
            raise EditsError(f"cannot keep the edits of {Path(photo).name}: "
                             f"{exc.strerror or exc}") from None


def _read_small(path: Path) -> bytes:
    with open(path, "rb") as f:
        data = f.read(MAX_SIDECAR_BYTES + 1)
    if len(data) > MAX_SIDECAR_BYTES:
        raise ValueError("too large for an edits file")
    return data


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".lowlight-edits-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def straightened_size(w: int, h: int, degrees: float) -> tuple[int, int]:
    """The largest upright rectangle of the photo's aspect inside it turned by ``degrees``
    (no empty corners after straightening)."""
    a = math.radians(abs(degrees))
    if a == 0:
        return w, h
    scale = min(w / (w * math.cos(a) + h * math.sin(a)),
                h / (w * math.sin(a) + h * math.cos(a)))
    return max(1, int(w * scale)), max(1, int(h * scale))


def apply_geometry(image: np.ndarray, edits: PhotoEdits) -> np.ndarray:
    """The photo turned, straightened and cropped as ``edits`` say (any dtype, 2-4 dims)."""
    import cv2

    out = np.rot90(image, k=-(edits.quarter_turns % 4))
    if edits.straighten:
        h, w = out.shape[:2]
        cw, ch = straightened_size(w, h, edits.straighten)
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), -edits.straighten, 1.0)
        m[:, 2] += [(cw - w) / 2, (ch - h) / 2]
        out = cv2.warpAffine(np.ascontiguousarray(out), m, (cw, ch), flags=cv2.INTER_CUBIC,
                             borderMode=cv2.BORDER_REFLECT)
    c = edits.crop
    if not c.is_full:
        h, w = out.shape[:2]
        x0, x1 = round(c.left * w), max(round(c.left * w) + 1, round(c.right * w))
        y0, y1 = round(c.top * h), max(round(c.top * h) + 1, round(c.bottom * h))
        out = out[y0:y1, x0:x1]
    return np.ascontiguousarray(out)
