"""Settings in the window of #16: undo/redo, presets shared with the batch tab and the CLI,
plain words everywhere. The real window, offscreen (fixtures in conftest.py)."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QSlider,
    QWidget,
)

from app import cli
from app.core import Enhancer, EnhanceSettings, PresetError, PresetStore, read_image
from app.gui.history import SettingsHistory

NIGHT = EnhanceSettings(0.6, 5, 8, 1.5).validated()


def test_undo_restores_the_previous_settings_and_redo_comes_back(qtbot, window, photo):
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    assert not window.act_undo.isEnabled()
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.controls.iterations_spin.setValue(5)
    assert window.act_undo.isEnabled()
    with qtbot.waitSignal(window.preview_shown, timeout=15000) as shown:
        window.act_undo.trigger()  # Ctrl+Z
    assert window.controls.settings().iterations == 8
    assert window.output_pane.footer.text().startswith("Auto exposure, strength 8")
    assert shown.args[0] == window.session.pending.shown_preview  # the preview follows the undo
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.act_redo.trigger()  # Ctrl+Shift+Z
    assert window.controls.settings().iterations == 5
    assert "Ctrl+Shift+Z" in window.act_redo.toolTip() and "Ctrl+Z" in window.act_undo.toolTip()
    window.controls.reset_settings()  # a reset is one step too
    assert window.controls.settings() == EnhanceSettings().validated()
    window.act_undo.trigger()
    assert window.controls.settings().iterations == 5


def test_a_slider_drag_is_one_undo_step(qtbot):
    history = SettingsHistory(EnhanceSettings())
    for n in (7, 6, 5, 4):  # a drag: many changes before the controls are still
        history.note(EnhanceSettings(iterations=n))
    assert history.undo() == EnhanceSettings().validated()
    assert history.undo() is None
    assert history.redo() == EnhanceSettings(iterations=4).validated()
    history.note(EnhanceSettings(iterations=4))  # no change: nothing new to undo
    history.commit()
    assert history.undo() == EnhanceSettings().validated()
    history.note(EnhanceSettings(denoise=0.5))  # a new change drops what could be redone
    history.commit()
    assert not history.can_redo()


def test_preset_store_round_trip_and_errors(tmp_path):
    store = PresetStore(tmp_path / "cfg" / "presets.json")
    assert store.load() == {}
    assert store.save("  Night   street ", NIGHT) == "Night street"
    again = PresetStore(store.path)  # another process reading the same file
    assert again.get("Night street") == NIGHT and again.get("night STREET") == NIGHT
    data = json.loads(store.path.read_text())
    assert data["presets"]["Night street"] == {"exposure": 0.6, "strength": 5,
                                               "denoise": 1.5, "map_detail": 8,
                                               "shadows": 0.0, "highlights": 0.0,
                                               "contrast": 0.0, "white_balance": False}
    store.rename("Night street", "Street")
    assert store.names() == ["Street"]
    with pytest.raises(PresetError, match="no preset named 'Night street'"):
        store.get("Night street")
    store.save("Soft", EnhanceSettings(iterations=3))
    with pytest.raises(PresetError, match="already exists"):
        store.rename("Soft", "Street")
    with pytest.raises(PresetError):
        store.save("   ", NIGHT)
    store.delete("Soft")
    assert store.names() == ["Street"]
    store.path.write_text("{ not json")
    with pytest.raises(PresetError, match="damaged"):
        store.load()
    with pytest.raises(PresetError):
        store.save("Another", NIGHT)  # a damaged file is never overwritten
    assert store.path.read_text() == "{ not json"


def test_presets_save_apply_rename_delete_in_the_window(qtbot, window):
    bar = window.presets
    names = iter(["Night street", "Street"])
    bar.ask_name = lambda *args: next(names)
    bar.confirm = lambda *args: True
    window.controls.set_settings(NIGHT, emit=True)
    bar.save_current()
    assert window.preset_store.get("Night street") == NIGHT
    assert bar.chosen() == "Night street"  # the settings are that preset's
    window.controls.reset_settings()
    assert bar.chosen() is None
    bar.combo.activated.emit(bar.combo.findData("Night street"))  # pick it
    assert window.controls.settings() == NIGHT
    window.act_undo.trigger()  # applying a preset is undoable
    assert window.controls.settings() == EnhanceSettings().validated()
    window.act_redo.trigger()
    bar.rename_chosen()
    assert window.preset_store.names() == ["Street"] and bar.chosen() == "Street"
    assert window.batch.preset.findData("Street") >= 0  # the batch tab offers it at once
    bar.delete_chosen()
    assert window.preset_store.names() == [] and bar.combo.count() == 1


def test_presets_persist_between_runs(qtbot, tmp_path, monkeypatch):
    from app.__main__ import enhancer_factory
    from app.gui.main_window import MainWindow

    monkeypatch.setenv("LOWLIGHT_CONFIG_DIR", str(tmp_path / "config"))
    store = QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat)
    first = MainWindow(enhancer_factory, store)  # the default store: the user's config dir
    qtbot.addWidget(first)
    first.presets.ask_name = lambda *args: "Night"
    first.controls.set_settings(NIGHT, emit=True)
    first.presets.save_current()
    first.close()
    second = MainWindow(enhancer_factory, store)
    qtbot.addWidget(second)
    assert second.presets.combo.findData("Night") >= 0
    assert (tmp_path / "config" / "presets.json").exists()
    second.close()


def test_a_preset_made_in_the_window_drives_the_cli_and_the_batch_tab(qtbot, window, photo,
                                                                        tmp_path, capsys,
                                                                        monkeypatch):
    monkeypatch.setenv("LOWLIGHT_CONFIG_DIR", str(tmp_path / "config"))
    window.preset_store = window.presets.store = window.batch.preset_store = PresetStore()
    window.presets.ask_name = lambda *args: "Night"
    window.controls.set_settings(NIGHT, emit=True)
    window.presets.save_current()

    assert cli.main(["presets"]) == 0
    assert "Night: exposure 0.6, strength 5, denoise 1.5, map_detail 8" in capsys.readouterr().out
    out = tmp_path / "cli"
    assert cli.main(["enhance", str(photo), "-o", str(out), "--preset", "Night"]) == 0
    made, _ = read_image(out / "night.png")
    original, _ = read_image(photo)
    e = Enhancer()
    assert np.array_equal(made, e.enhance(original, NIGHT).image)
    assert not np.array_equal(made, e.enhance(original).image)
    # an option given on the command line wins over the preset's value
    assert cli.main(["enhance", str(photo), "-o", str(tmp_path / "cli2"), "--preset",
                     "Night", "--strength", "2"]) == 0
    made2, _ = read_image(tmp_path / "cli2" / "night.png")
    assert np.array_equal(made2, e.enhance(original, NIGHT, iterations=2).image)
    assert cli.main(["batch", str(photo), "-o", str(tmp_path / "b"), "--preset", "Nope"]) == 2
    assert "no preset named 'Nope'" in capsys.readouterr().err

    panel = window.batch
    panel.refresh_presets()
    window.controls.reset_settings()  # the Photo tab's settings are not the preset's now
    panel.preset.setCurrentIndex(panel.preset.findData("Night"))
    panel.add_paths([photo])
    panel.output_edit.setText(str(tmp_path / "gui_batch"))
    with qtbot.waitSignal(panel.batch_finished, timeout=30000):
        panel.start()
    assert panel.settings_used == NIGHT
    assert np.array_equal(read_image(tmp_path / "gui_batch" / "night_enhanced.png")[0], made)


FORBIDDEN = re.compile(r"\balpha\b|x_r|recurrence|iteration|\bn\b \(|factor map", re.I)


def visible_strings(window) -> list[str]:
    """Every string the window can show: texts, tooltips, items, titles, menus, actions."""
    found = [window.windowTitle()]
    for w in window.findChildren(QWidget):
        found += [w.toolTip(), w.statusTip(), w.windowTitle(), w.accessibleName()]
        if isinstance(w, (QLabel, QAbstractButton)):
            found.append(w.text())
        if isinstance(w, QLineEdit):
            found += [w.text(), w.placeholderText()]
        if isinstance(w, QAbstractSpinBox):
            found += [w.text(), getattr(w, "prefix", lambda: "")()]
        if isinstance(w, QComboBox):
            found += [w.itemText(i) for i in range(w.count())]
            found += [w.itemData(i, 3) or "" for i in range(w.count())]
    for act in window.findChildren(QAction):
        found += [act.text(), act.toolTip(), act.statusTip()]
    return [s for s in found if s]


def test_plain_words_everywhere_and_tooltips_name_shortcuts(qtbot, window, photo):
    from app.gui import help_dialogs

    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.open_path(photo)
    help_dialogs.show_shortcuts(window).close()
    help_dialogs.show_about(window).close()
    strings = visible_strings(window)
    assert len(strings) > 150
    bad = [s for s in strings if FORBIDDEN.search(s)]
    assert not bad, bad
    assert FORBIDDEN.search("the recurrence count n (8)")  # the check can see them
    for widget in (window.controls.exposure.slider, window.controls.iterations_spin,
                   window.controls.denoise.spin, window.controls.scale_combo,
                   window.presets.combo, window.histogram):
        assert len(widget.toolTip()) > 40, widget
    for act in (window.act_open, window.act_save, window.act_undo, window.act_actual,
                window.act_compare, window.act_before, window.act_clipping, window.act_fit):
        assert act.shortcut().toString() and act.shortcut().toString(
            act.shortcut().SequenceFormat.NativeText) in act.toolTip(), act.text()
    # photo and video quality say which way is better
    assert "higher is better" in window.quality.toolTip()
    assert "higher is better" in window.batch.quality.toolTip()
    crf = window.video_bar.export_options.crf
    assert "lower is better" in crf.toolTip() and crf.prefix().startswith("Video CRF")
    # Reset resets all and says so
    window.controls.set_settings(NIGHT, emit=True)
    window.act_reset.trigger()
    assert window.controls.settings() == EnhanceSettings().validated()
    assert "All settings reset" in window.statusBar().currentMessage()
    assert isinstance(window.controls.iterations_slider, QSlider)
