"""Lowlight Studio: brighten dark photos and videos (app.core headless, app.gui the window,
app.cli the command line)."""

__version__ = "0.1.0"  # kept equal to pyproject.toml's (tested)
