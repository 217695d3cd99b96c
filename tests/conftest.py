import os
import tempfile

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Tests never touch the user's own settings or presets: QSettings' native store and the
# presets file live in a throw-away folder (set before Qt reads XDG_CONFIG_HOME).
_CONFIG = tempfile.mkdtemp(prefix="lowlight-test-config-")
os.environ["XDG_CONFIG_HOME"] = _CONFIG
os.environ["LOWLIGHT_CONFIG_DIR"] = os.path.join(_CONFIG, "lowlight-studio")
os.environ["LOWLIGHT_CACHE_DIR"] = os.path.join(_CONFIG, "cache")  # thumbnails

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(scope="session")
def enhancer():
    from app.core import Enhancer

    return Enhancer()


@pytest.fixture
def dark_photo():
    """A synthetic dark 'night street': smooth gradients, a few lit shapes, sensor noise."""
    rng = np.random.default_rng(1)
    h, w = 240, 320
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    base = 0.04 + 0.10 * (x / w) + 0.05 * np.sin(y / 17.0) ** 2
    img = np.stack([base * 1.05, base, base * 0.9], axis=2)
    img[60:120, 40:120] += [0.25, 0.18, 0.08]  # a lit window
    img[150:220, 200:300] *= 0.4  # deep shadow
    img += rng.normal(0, 0.01, img.shape).astype(np.float32)
    return (np.clip(img, 0, 1) * 255).round().astype(np.uint8)


@pytest.fixture
def window(qtbot, tmp_path):
    """The real main window, shown offscreen, with its own settings file and presets file."""
    from PySide6.QtCore import QSettings

    from app.__main__ import enhancer_factory
    from app.core import PresetStore
    from app.gui.main_window import MainWindow

    store = QSettings(str(tmp_path / "settings.ini"), QSettings.IniFormat)
    w = MainWindow(enhancer_factory, store, PresetStore(tmp_path / "presets.json"))
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


@pytest.fixture
def photo(tmp_path, dark_photo):
    from app.core import write_image

    return write_image(tmp_path / "night.png", dark_photo)


@pytest.fixture(autouse=True)
def no_leaked_windows(request):
    """Fail a GUI test that leaves a visible top-level window behind (napari's habit)."""
    yield
    if "qtbot" not in request.fixturenames:
        return
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    for _ in range(3):
        app.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    for w in leaked:
        w.close()
    assert not leaked, f"test left windows open: {leaked}"


def _flushes_subnormals() -> bool:
    return float((np.array([1e-39], np.float32) * np.float32(1.0))[0]) == 0.0


@pytest.fixture(autouse=True)
def _floating_point_mode_left_alone():
    """No test may leave flush-to-zero on in the main thread: threads started later inherit
    it (x264's too), and the same frames then encode to other bytes."""
    yield
    assert not _flushes_subnormals(), "flush-to-zero left on in the main thread"
