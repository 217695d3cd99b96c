"""Small things the first day shows (#26): the zoom readout (and typing one), the heatmap's
value under the cursor, its colour scale fitted to the photo with a legend (also in the saved
map), hiding the heatmap pane, a window that uses a 1920x1080 screen, and Save As refusing
the original inside its dialog."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog
from window_helpers import open_and_wait

from app.core import read_image
from app.gui import screen
from app.gui.heatmap_export import legend_height
from app.gui.save_as_dialog import SaveAsDialog
from app.gui.status_bar import gain_at, parse_zoom, stops_text


def test_zoom_text_is_parsed_leniently_and_refused_out_of_range():
    assert parse_zoom("37") == pytest.approx(0.37) and parse_zoom(" 150 % ") == 1.5
    assert parse_zoom("abc") is None and parse_zoom("0") is None and parse_zoom("99999") is None


def test_the_zoom_readout_follows_the_view_and_takes_a_typed_zoom(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    box = window.readouts.zoom
    view = window.leading_view()
    assert box.text() == f"{view.zoom() * 100:.0f}%"
    window.act_actual.trigger()
    assert box.text() == "100%"
    QTest.mouseClick(box, Qt.LeftButton)
    box.selectAll()
    QTest.keyClicks(box, "250")
    QTest.keyClick(box, Qt.Key_Return)
    assert view.zoom() == pytest.approx(2.5) and box.text() == "250%"
    assert window.output_pane.view.zoom() == pytest.approx(2.5)  # the panes follow
    box.setFocus()
    box.setText("nonsense")
    QTest.keyClick(box, Qt.Key_Return)
    assert view.zoom() == pytest.approx(2.5) and box.text() == "250%"


def test_the_heatmaps_value_under_the_cursor_and_its_fitted_scale(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    h, w = window.image.shape[:2]
    view = window.factor_pane.view
    view.hovered.emit(w * 0.25, h * 0.4)
    expected = gain_at(window.gain, (w, h), w * 0.25, h * 0.4)
    assert expected is not None and window.readouts.ev.text() == stops_text(expected)
    assert window.readouts.ev.text().endswith(" EV") and window.readouts.ev.text()[0] in "+-"
    view.hovered.emit(-1.0, -1.0)  # the cursor left the photo
    assert window.readouts.ev.text() == ""
    # a real mouse move over the middle of the photo shows a value too
    centre = view.mapFromScene(w / 2, h / 2)
    QTest.mouseMove(view.viewport(), centre)
    qtbot.waitUntil(lambda: window.readouts.ev.text() != "", timeout=5000)
    # the scale ends at the photo's own range, not the engine's +-5 EV cap
    top = float(np.percentile(np.abs(window.gain), 99))
    assert window.display.heat_range() >= top and window.display.heat_range() < top + 0.51
    assert window.legend.labels()[2] == f"+{window.display.heat_range():g} EV"


def test_the_saved_heatmap_carries_its_legend(qtbot, window, photo, tmp_path):
    open_and_wait(qtbot, window, photo)
    target = tmp_path / "night_factor.png"
    window.exporter.save_heatmap_to(target)
    saved, _ = read_image(target)
    h, w = window.image.shape[:2]
    assert saved.shape[:2] == (h + legend_height(h), w)
    strip = saved[h + 3, :, :].astype(int)
    assert strip[0, 2] > strip[0, 0] and strip[-1, 0] > strip[-1, 2]  # blue to red
    assert (saved[h + legend_height(h) - 6:, :, :] < 100).any()  # the labels' text


def test_the_heatmap_pane_can_be_hidden_to_give_the_photo_room(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    before = window.output_pane.view.width()
    window.act_heatmap.trigger()
    qtbot.waitUntil(lambda: not window.factor_pane.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: window.output_pane.view.width() > before * 1.2, timeout=5000)
    window.act_heatmap.trigger()
    qtbot.waitUntil(lambda: window.factor_pane.isVisible(), timeout=5000)


def test_the_three_panes_share_a_narrow_window_alike(qtbot, window, photo):
    """The heatmap's title and its 'raw map' box once set its pane's least width, so a
    narrow window gave the input and the result about 90 px each beside a 220-px map."""
    open_and_wait(qtbot, window, photo)
    window.resize(800, 700)
    panes = (window.input_pane, window.output_pane, window.factor_pane)
    qtbot.waitUntil(lambda: window.width() <= 800, timeout=5000)
    qtbot.waitUntil(lambda: max(p.width() for p in panes) - min(p.width() for p in panes) <= 4,
                    timeout=5000)
    # the title gives way whole, not cut mid-word; the full one is its tooltip
    title = window.factor_pane.title
    assert title.text() in ("Brightening", "EV") and title.toolTip() == "Brightening (stops)"
    window.resize(1800, 900)
    qtbot.waitUntil(lambda: title.text() == "Brightening (stops)", timeout=5000)


def test_the_window_uses_a_1920x1080_screen():
    available = QRect(0, 0, 1920, 1040)  # less a panel
    first = screen.initial_geometry(available)
    assert first.width() >= 1800 and first.height() >= 950
    assert available.contains(first)


def test_save_as_refuses_the_original_inside_the_dialog(qtbot, photo, tmp_path):
    dialog = SaveAsDialog(None, "Save enhanced photo", tmp_path / "night_enhanced.png",
                          "PNG (*.png)", photo)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.selectFile(str(photo))
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.Accepted
    assert dialog.refusal.isVisible() and "never overwritten" in dialog.refusal.text()
    dialog.selectFile(str(tmp_path / "other.png"))
    dialog.accept()
    assert dialog.result() == QDialog.Accepted and dialog.chosen() == tmp_path / "other.png"
