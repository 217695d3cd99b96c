"""Qt views over app.core. Only this package imports Qt."""
import sys

if getattr(sys, "frozen", False):
    # The double-click bundle ships only the Font Awesome 5 solid font the icons use (the
    # other eleven icon fonts are 5 MB); tell qtawesome before it loads its fonts lazily.
    import qtawesome

    qtawesome._BUNDLED_FONTS = tuple(f for f in qtawesome._BUNDLED_FONTS if f[0] == "fa5s")
