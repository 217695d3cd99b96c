"""Camera RAW and HEIC/HEIF: which files they are, whether this install reads them, and what
their outputs default to.

RAW is read by rawpy (LibRaw), HEIC/HEIF by pillow-heif (a Pillow plugin). Both are ordinary
dependencies, but an install without one of them still runs: its files are then named as
unreadable when a batch is put together, not found out file by file at run time.

Output defaults for ``--format keep`` (the window's Ctrl+S too): a RAW becomes a 16-bit TIFF,
which keeps the extra bits the shadows were lifted from; a HEIC becomes a JPEG, which opens
everywhere (HEIC does not on many Windows and Linux machines) and is written in a fraction of
the time an HEVC encoder takes. Neither is written back in its own format: a RAW holds sensor
data, not a picture, and HEIC output is left out on purpose (see the README).
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

# What LibRaw reads (its 0.21+ list, the common cameras): Canon, Nikon, Sony, Adobe DNG, Fuji,
# Olympus/OM, Panasonic, Pentax, Samsung, Hasselblad, Phase One, Leica, Minolta, Kodak...
RAW_SUFFIXES = {".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".dng", ".raf",
                ".orf", ".rw2", ".rwl", ".pef", ".srw", ".3fr", ".iiq", ".mrw", ".erf", ".kdc",
                ".dcr", ".mef", ".mos"}
HEIF_SUFFIXES = {".heic", ".heif", ".hif"}
# Camera files no reader here can open: named as such, never tried.
UNREADABLE_SUFFIXES = {
    ".x3f": "Sigma X3F RAW is not supported (LibRaw dropped it); convert it to DNG first",
}
# all of them count as photos: an unreadable one is named with its reason, never left out
CAMERA_SUFFIXES = RAW_SUFFIXES | HEIF_SUFFIXES | set(UNREADABLE_SUFFIXES)
RAW_OUTPUT_SUFFIX = ".tif"  # 16-bit TIFF
HEIF_OUTPUT_SUFFIX = ".jpg"


@functools.cache
def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def cannot_read(suffix: str) -> str:
    """Why this install cannot read files with ``suffix`` (any case), or "" if it can (or the
    suffix is no camera format)."""
    suffix = suffix.lower()
    if suffix in UNREADABLE_SUFFIXES:
        return UNREADABLE_SUFFIXES[suffix]
    if suffix in RAW_SUFFIXES and not _installed("rawpy"):
        return "camera RAW needs the rawpy package (pip install rawpy)"
    if suffix in HEIF_SUFFIXES and not register_heif():
        return "HEIC/HEIF needs the pillow-heif package (pip install pillow-heif)"
    return ""


def content_problem(path: os.PathLike | str) -> str:
    """Why a camera file's first bytes are not those of its kind, or "" (also when it cannot
    be read now: the batch then names that error itself). A renamed JPEG, a truncated copy
    or a sidecar under a RAW name is named before a batch starts, not when its turn comes.
    The signatures are kept broad (any TIFF-like start for RAW) so no camera is refused."""
    suffix = Path(path).suffix.lower()
    if suffix not in RAW_SUFFIXES and suffix not in HEIF_SUFFIXES:
        return ""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError:
        return ""
    if not head:
        return "the file is empty (0 bytes)"
    box = head[4:8] == b"ftyp"  # ISO media file: HEIF, and Canon's CR3
    if suffix in HEIF_SUFFIXES:
        return "" if box else "not a HEIC/HEIF file (its contents are of another kind)"
    if box or head.startswith((b"II", b"MM", b"FUJIFILM", b"\0MRM")):
        return ""  # TIFF-like (most RAW, ORF, RW2, CRW, IIQ), CR3, RAF, MRW
    return "not a camera RAW file (its contents are of another kind)"


def is_raw(suffix: str) -> bool:
    return suffix.lower() in RAW_SUFFIXES


def keep_suffix(suffix: str) -> str:
    """The output suffix of a photo whose format is kept: its own, except RAW and HEIC."""
    low = suffix.lower()
    if low in RAW_SUFFIXES:
        return RAW_OUTPUT_SUFFIX
    if low in HEIF_SUFFIXES:
        return HEIF_OUTPUT_SUFFIX
    return suffix


@functools.cache
def register_heif() -> bool:
    """Teach Pillow HEIC/HEIF (once); False if pillow-heif is not installed. pillow-heif turns
    the pixels upright itself and then reports orientation 1, so it is applied once."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True
