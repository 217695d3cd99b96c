"""Where the app's own files live: the source tree, or the PyInstaller bundle when frozen."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def bundle_root() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else Path(__file__).resolve().parent.parent


def weights_dir() -> Path:
    return Path(os.environ.get("LOWLIGHT_WEIGHTS_DIR", bundle_root() / "model_weights"))


DEFAULT_MODEL = "sgz_exposure"


def default_weights() -> Path:
    """The shipped model's .pt file (its .onnx twin sits beside it)."""
    return weights_dir() / f"{DEFAULT_MODEL}.pt"


def resources_dir() -> Path:
    return bundle_root() / "resources"


def sample_image() -> Path:
    return resources_dir() / "sample_night.jpg"


def log_dir() -> Path:
    """Per-user log folder (XDG on Linux, Library/Logs on macOS, LOCALAPPDATA on Windows)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
        return base / "LowlightStudio" / "Logs"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Logs" / "LowlightStudio"
    base = Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state"))
    return base / "lowlight-studio"


def config_dir() -> Path:
    """Per-user settings folder (presets): LOWLIGHT_CONFIG_DIR if set, else XDG_CONFIG_HOME on
    Linux, Library/Application Support on macOS, APPDATA on Windows."""
    if os.environ.get("LOWLIGHT_CONFIG_DIR"):
        return Path(os.environ["LOWLIGHT_CONFIG_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / \
            "LowlightStudio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "LowlightStudio"
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "lowlight-studio"


def cache_dir() -> Path:
    """Per-user cache folder (thumbnails): LOWLIGHT_CACHE_DIR if set, else XDG_CACHE_HOME on
    Linux, Library/Caches on macOS, LOCALAPPDATA on Windows. Safe to delete at any time."""
    if os.environ.get("LOWLIGHT_CACHE_DIR"):
        return Path(os.environ["LOWLIGHT_CACHE_DIR"])
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / \
            "LowlightStudio" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "LowlightStudio"
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "lowlight-studio"
