"""Compile the per-pixel kernels ahead of time for the frozen app (see app/core/engine/compiled).

    python build_scripts/compile_kernels.py [--out DIR]
        -> app/core/engine/_compiled_kernels*.so and _compiled_kernels_v3*.so

numba's ahead-of-time compiler (numba.pycc) turns pixel_rules' kernels, the video's, the
noise measure's, the exposure search's, the guided filters' and the colour copy's into a C
extension that loads without numba, for any x86-64 CPU, and again for x86-64-v3 (AVX2 and FMA;
compiled.py loads it where the CPU runs it). It needs numba and a C compiler (to link) at
build time only; build_app.sh runs it before PyInstaller and, if it cannot, the frozen app
runs the numpy twin instead (about ten times slower) and the build says so.
"""
from __future__ import annotations

import inspect
import platform
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MODULE = "_compiled_kernels"
LAYOUT = 0  # compiled.LAYOUT, set in main() (numba reads it when it compiles _layout)
_MAP = "f4[:, :, ::1], intp[::1], intp[::1], f4[::1]"  # a pixel_stage.Rows
KERNEL = ("void({rgb}[:, :, ::1], f4[:, ::1], f4[:, ::1], " + ", ".join([_MAP] * 4) +
          ", f4[:, :, ::1], f4, f4, f4[::1], f4, int64, f4[:, :, ::1], f4, "
          "{rgb}[:, :, ::1])")
LUMA = "void({rgb}[:, :, ::1], f4, f4, boolean, f4[:, ::1], f4[:, ::1])"
# yuv_frame's kernels: video frames in their 4:2:0 planes
YUV = {
    "_prepare": "void(u1[:, ::1], u1[:, ::1], u1[:, ::1], f4[:, ::1], f4[:, ::1], f4[:, ::1], "
                "f4, f4, int64, f4[:, :, ::1])",
    "_lead": "void(f4[:, ::1], f4[:, ::1], int64, f4[:, ::1])",
    "_to_rgb16": "void(f4[:, :, ::1], f4, u2[:, :, ::1])",
    "_maps": "void(u2[:, :, ::1], u2[:, :, ::1], f4[:, ::1], f4[:, :, ::1])",
    "_apply": "void(f4[:, ::1], f4[:, ::1], f4[:, ::1], intp[::1], intp[::1], f4[::1], "
              "intp[::1], intp[::1], f4[::1], f4[:, :, ::1], int64, f4, f4, f4, int64, "
              "u1[:, ::1])",
}


# noise_kernels': the analysis' noise measure
NOISE = {
    "noise_planes": "void(f4[:, ::1], f4[:, ::1], f4[:, ::1])",
    "flat_sum": "Tuple((f8, i8))(f4[:, ::1], f4[:, ::1], f4)",
}
# guided_kernels': the guided filters' coefficients and the analysis' window sums
_TAPS = "intp[:, ::1], intp[:, ::1]"  # guided_kernels.window_taps, rows then columns
GUIDED = {
    "guided_coefficients": ("coefficients", "void(f4[:, :, ::1], int64, f4, intp[::1], "
                            "intp[::1], f4[:, :, ::1])"),
}
for _suffix, _plane in (("u8", "u1"), ("u16", "u2")):  # the window sums, per pixel type
    GUIDED[f"window_sums_{_suffix}"] = (
        "window_sums", f"void({_plane}[:, ::1], {_TAPS}, boolean, f8[:, ::1])")
    GUIDED[f"channel_window_sums_{_suffix}"] = (
        "channel_window_sums", f"void({', '.join([f'{_plane}[:, ::1]'] * 3)}, {_TAPS}, "
        "f8[:, :, ::1])")
# reduce_kernels': the colour model's reduced copy, a view's channel planes, the net's samples
REDUCE = {}
for _suffix, _rgb in (("u8", "u1"), ("u16", "u2")):
    REDUCE[f"block_means_{_suffix}"] = (
        "block_means", f"void({_rgb}[:, :, ::1], int64, f4, f4[:, :, ::1])")
    REDUCE[f"channel_planes_{_suffix}"] = (
        "channel_planes", f"void({_rgb}[:, :, ::1], {_rgb}[:, :, ::1])")
    REDUCE[f"bilinear_samples_{_suffix}"] = (
        "bilinear_samples", f"void({_rgb}[:, :, ::1], intp[::1], intp[::1], f4[::1], "
        "intp[::1], intp[::1], f4[::1], f4, f4[:, :, ::1])")
# search_kernels': the exposure search's prediction
SEARCH = {
    "pushed_lift": "void(f4[::1], f4[::1], f4[::1], f4[::1], f4, f4[::1])",
    "predict": "Tuple((f8, f8))(f4[::1], f4[::1], f4[::1], f4[::1], f4[::1], f4[::1], f4, f4, "
               "f4, f4, f4, f4)",
}


def _layout():
    """compiled.LAYOUT as the build knew it (the app loads a build of its own layout only)."""
    return LAYOUT


def _wrapper(target):
    """A plain function of the jitted ``target``'s arguments that calls it and returns what
    it returns (the ahead-of-time compiler needs them spelled out)."""
    count = len(inspect.signature(target.py_func).parameters)
    names = ", ".join(f"a{i}" for i in range(count))
    scope = {"target": target}
    exec(f"def call({names}):\n    return target({names})\n", scope)  # noqa: S102 - ours
    return scope["call"]


def _release_the_gil() -> None:
    """Have every exported kernel release the GIL while it runs, as the numba kernels do
    (nogil): the photo's bands then share the cores instead of taking turns. numba's
    ahead-of-time compiler has no such option; its exports are compiled with flags it makes
    itself, so they are made with release_gil set. The kernels touch no Python object."""
    import numba.pycc.compiler as aot

    class ReleasingFlags(aot.Flags):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.release_gil = True

    aot.Flags = ReleasingFlags


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "app" / "core" / "engine",
                   help="where the extension goes (default: beside compiled.py)")
    args = p.parse_args(argv)
    from numba.core.errors import NumbaPendingDeprecationWarning
    warnings.simplefilter("ignore", NumbaPendingDeprecationWarning)
    from numba.pycc import CC

    _release_the_gil()

    global LAYOUT
    from app.core.engine import (
        compiled,
        guided_kernels,
        noise_kernels,
        pixel_rules,
        reduce_kernels,
        search_kernels,
        yuv_frame,
    )
    LAYOUT = compiled.LAYOUT

    builds = [(MODULE, "")]  # "": any CPU of this architecture
    if platform.machine().lower() in ("x86_64", "amd64"):
        builds.append((MODULE + "_v3", "x86-64-v3"))
    for name, cpu in builds:
        cc = CC(name)
        cc.output_dir = str(args.out)
        cc.target_cpu = cpu
        cc.verbose = False
        cc.export("layout", "int64()")(_layout)
        for suffix, rgb in (("u8", "u1"), ("u16", "u2")):
            cc.export(f"kernel_{suffix}", KERNEL.format(rgb=rgb))(_wrapper(pixel_rules.kernel))
            cc.export(f"luma_{suffix}", LUMA.format(rgb=rgb))(
                _wrapper(pixel_rules.luma_planes))
        for kernel, signature in YUV.items():
            cc.export("yuv" + kernel, signature)(_wrapper(getattr(yuv_frame, kernel)))
        for kernel, signature in NOISE.items():
            cc.export(kernel, signature)(_wrapper(getattr(noise_kernels, kernel)))
        for kernel, signature in SEARCH.items():
            cc.export(kernel, signature)(_wrapper(getattr(search_kernels, kernel)))
        for export, (kernel, signature) in REDUCE.items():
            cc.export(export, signature)(_wrapper(getattr(reduce_kernels, kernel)))
        for export, (kernel, signature) in GUIDED.items():
            cc.export(export, signature)(_wrapper(getattr(guided_kernels, kernel)))
        cc.compile()
    print(f"compiled the per-pixel kernels into {args.out}: "
          + ", ".join(f"{name} ({cpu or 'any CPU'})" for name, cpu in builds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
