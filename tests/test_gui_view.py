"""The photo views of #16: real pixels at 100% (what you see is what you save), the split view
that zooms and pans, before/after in place, the histogram with clipping warnings, the raw map.
The real window, offscreen (fixtures in conftest.py)."""
from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from window_helpers import open_and_wait

from app.bench.samples import synthetic_photo
from app.core import (
    HEATMAP_STOPS,
    Enhancer,
    EnhanceSettings,
    gain_heatmap,
    read_image,
    write_image,
)
from app.core.engine import pipeline
from app.gui.convert import from_qimage
from app.gui.display import fitted_stops
from app.gui.histogram import clipped, clipping_overlay, histograms
from app.gui.preview_size import PREVIEW_MAX_SIDE


@pytest.fixture
def big_photo(tmp_path):
    """Bigger than the preview (1,400 px), so the 100% view has something to prove."""
    return write_image(tmp_path / "street.png", synthetic_photo(1800, 1200))


def grab(view):
    """What a view paints, and the image pixel at its top-left corner (read after the grab:
    grabbing lays the window out, which may move the view by a pixel)."""
    QApplication.processEvents()
    shot = from_qimage(view.viewport().grab().toImage())
    seen = view.visible_rect()  # a photo smaller than the view sits in a grey margin
    corner = view.mapFromScene(seen.topLeft())
    shot = shot[corner.y():corner.y() + round(seen.height()),
                corner.x():corner.x() + round(seen.width())]
    return shot, int(seen.left()), int(seen.top())


def show_detail(qtbot, window):
    """Ask for the 100% tile of what is visible now and wait until it is on screen."""
    with qtbot.waitSignal(window.detail.shown, timeout=60000):
        window.detail.update_now()
    QApplication.processEvents()


def test_render_rows_are_exactly_the_whole_render(dark_photo, monkeypatch):
    e = Enhancer()
    image = np.dstack([dark_photo, np.full(dark_photo.shape[:2], 200, np.uint8)])  # RGBA
    plan = e.plan_image(image, EnhanceSettings())
    whole = e.render_image(image, plan)
    np.testing.assert_array_equal(whole, e.enhance(image).image)  # same as a plain enhance
    monkeypatch.setattr(pipeline, "BAND_PIXELS", 320 * 6)  # many small bands
    for top, bottom in ((0, 240), (1, 2), (37, 161), (239, 240)):
        np.testing.assert_array_equal(e.render_rows(image, plan, top, bottom, threads=2),
                                      whole[top:bottom])
    with pytest.raises(ValueError):
        e.render_rows(image, plan, 10, 300)


def test_100_percent_shows_the_saved_files_pixels(qtbot, window, big_photo, tmp_path):
    window.resize(1200, 800)  # panes wide enough to compare a good stretch of pixels
    open_and_wait(qtbot, window, big_photo)
    # below 100%, a scaled preview: planned on the 1,400-px copy, rendered at the pane's size
    assert max(window.plan_source.shape[:2]) == PREVIEW_MAX_SIDE
    assert max(window.preview.shape[:2]) < PREVIEW_MAX_SIDE
    view = window.leading_view()
    window.act_actual.trigger()
    assert view.zoom() == pytest.approx(1.0)
    view.horizontalScrollBar().setValue(500)
    view.verticalScrollBar().setValue(300)
    show_detail(qtbot, window)
    tile, left, top = window.display.output_tile
    assert window.output_pane.view.detail.isVisible()
    assert (window.output_pane.view.detail.pos().x(), window.output_pane.view.detail.pos().y()) \
        == (left, top)

    target = tmp_path / "street_enhanced.png"
    window.exporter.save_to(target)
    qtbot.waitUntil(lambda: not window.session.pending.saving, timeout=60000)
    saved, _ = read_image(target)
    region = saved[top:top + tile.shape[0], left:left + tile.shape[1]]
    np.testing.assert_array_equal(tile, region)

    # What the output pane paints at 100% is exactly the saved file's pixels there.
    shot, x0, y0 = grab(window.output_pane.view)
    h, w = shot.shape[:2]
    assert x0 >= left and y0 >= top and w > 100 and h > 100
    np.testing.assert_array_equal(shot, saved[y0:y0 + h, x0:x0 + w])
    # ...which the enlarged preview was not (so this test can fail)
    enlarged = cv2.resize(window.output, (saved.shape[1], saved.shape[0]),
                          interpolation=cv2.INTER_LINEAR)[y0:y0 + h, x0:x0 + w]
    assert np.abs(enlarged.astype(int) - saved[y0:y0 + h, x0:x0 + w]).mean() > 1.0
    # the input pane shows the original's own pixels there too
    original, _ = read_image(big_photo)
    shot_in, x0, y0 = grab(window.input_pane.view)
    h, w = shot_in.shape[:2]
    np.testing.assert_array_equal(shot_in, original[y0:y0 + h, x0:x0 + w])


def displayed_side(view, photo) -> int:
    """The photo's long side as ``view`` shows it, in device pixels."""
    return round(view.zoom() * view.devicePixelRatioF() * max(photo.shape[:2]))


def test_the_preview_is_as_big_as_the_pane_shows_the_photo(qtbot, window, big_photo,
                                                           monkeypatch):
    """#13: every slider move renders the preview, so it has as many pixels as the view shows
    (not a fixed 1,400-px copy), and follows the view when the window or the layout changes."""
    from app.core.engine import exposure

    # a tighter noise budget, so that Auto's cap binds on this photo and the full photo's
    # noise (which the window must use) changes the plan
    monkeypatch.setattr(exposure, "NOISE_BUDGET", 6.0)
    window.resize(1400, 820)  # the size it opens at on a big screen
    open_and_wait(qtbot, window, big_photo)
    photo = window.image
    panes = window.output_pane.view

    def follows(view) -> bool:
        side = displayed_side(view, photo)
        return (abs(max(window.preview.shape[:2]) - side) <= 2
                and window.output is not None and window.output.shape == window.preview.shape)

    qtbot.waitUntil(lambda: follows(panes) and not window.session.pending.preview_waiting,
                    timeout=30000)
    assert 300 < max(window.preview.shape[:2]) < PREVIEW_MAX_SIDE
    assert shown(panes).shape == window.output.shape  # the output pane paints exactly it
    assert window.plan_source.shape[1] == PREVIEW_MAX_SIDE  # the plan's copy does not change
    # the plan of the fixed copy (Auto's cap from the full photo's noise, as when saving),
    # rendered on the displayed pixels (denoised for their noise)
    e = Enhancer()
    plan = e.plan_image(window.plan_source, window.controls.settings(),
                        noise=e.noise_of(window.image))
    assert plan.target != e.plan_image(window.plan_source, window.controls.settings()).target
    expected = e.render_image(window.preview, replace(plan, sigma=e.noise_of(window.preview)))
    np.testing.assert_array_equal(window.output, expected)

    small = window.preview.shape
    window.resize(1200, 760)  # a smaller window: a smaller preview
    qtbot.waitUntil(lambda: follows(panes), timeout=30000)
    assert window.preview.shape[1] < small[1]
    window.act_compare.trigger()  # one big split view: a bigger preview
    qtbot.waitUntil(lambda: follows(window.split_view), timeout=30000)
    assert window.preview.shape[1] > small[1]


def test_the_100_percent_tile_follows_the_settings_and_goes_below_100(qtbot, window,
                                                                      big_photo):
    open_and_wait(qtbot, window, big_photo)
    window.act_actual.trigger()
    show_detail(qtbot, window)
    before = window.display.output_tile[0].copy()
    with qtbot.waitSignal(window.detail.shown, timeout=60000):
        window.controls.iterations_spin.setValue(3)  # the tile is asked again by itself
    assert window.display.output_tile_settings.iterations == 3
    assert window.display.output_tile[0].mean() < before.mean() - 3
    window.act_fit.trigger()
    qtbot.waitUntil(lambda: not window.output_pane.view.detail.isVisible(), timeout=5000)
    assert window.display.output_tile is None


def shown(view) -> np.ndarray:
    """The pixels of the preview item a view paints (before any zoom)."""
    return from_qimage(view.item.pixmap().toImage())


def send_mouse(view, kind, x, y, buttons):
    pos = QPointF(x, y)
    button = Qt.LeftButton if kind != QMouseEvent.MouseMove else Qt.NoButton
    event = QMouseEvent(kind, pos, view.viewport().mapToGlobal(pos), button, buttons,
                        Qt.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def drag(view, x0, y, x1):
    send_mouse(view, QMouseEvent.MouseButtonPress, x0, y, Qt.LeftButton)
    for k in range(1, 6):
        send_mouse(view, QMouseEvent.MouseMove, x0 + (x1 - x0) * k / 5, y, Qt.LeftButton)
    send_mouse(view, QMouseEvent.MouseButtonRelease, x1, y, Qt.NoButton)


def test_split_view_zooms_pans_and_only_the_handle_moves_the_divider(qtbot, window,
                                                                     big_photo):
    open_and_wait(qtbot, window, big_photo)
    window.act_compare.trigger()
    split = window.split_view
    assert window.leading_view() is split and split.has_after()
    window.act_actual.trigger()  # Ctrl+1 works in the split view
    assert split.zoom() == pytest.approx(1.0) and not split.fit_mode
    pos = QPointF(split.viewport().width() / 2, split.viewport().height() / 2)
    wheel = QWheelEvent(pos, split.viewport().mapToGlobal(pos), QPoint(), QPoint(0, 120),
                        Qt.NoButton, Qt.NoModifier, Qt.NoScrollPhase, False)
    QApplication.sendEvent(split.viewport(), wheel)
    assert split.zoom() == pytest.approx(1.25)
    window.act_actual.trigger()

    bar = split.horizontalScrollBar()
    bar.setValue(bar.maximum() // 2)
    start, y = bar.value(), split.viewport().height() // 2
    drag(split, split.viewport().width() * 0.8, y, split.viewport().width() * 0.6)
    assert bar.value() > start  # dragging the photo pans it...
    assert split.position == pytest.approx(0.5)  # ...and leaves the divider alone
    panned = bar.value()
    drag(split, split.divider_x(), y, split.viewport().width() * 0.25)
    assert split.position == pytest.approx(0.25, abs=0.01)  # the handle moves the divider
    assert bar.value() == panned

    # real pixels in the split view too, on both sides of the divider
    show_detail(qtbot, window)
    assert split.after_detail.isVisible() and split.detail.isVisible()
    shot, x0, y0 = grab(split)
    x = int(split.divider_x()) + 20
    row = y // 2
    tile, left, top = window.display.output_tile
    original, _ = read_image(window.path)
    np.testing.assert_array_equal(shot[row, x + 1:x + 200],
                                  tile[y0 + row - top, x0 + x + 1 - left:x0 + x + 200 - left])
    np.testing.assert_array_equal(shot[row, 0:int(split.divider_x()) - 20],
                                  original[y0 + row, x0:x0 + int(split.divider_x()) - 20])


def test_backslash_shows_the_before_in_place(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    out_view = window.output_pane.view
    assert np.array_equal(shown(out_view), window.output)
    window.act_before.trigger()  # "\"
    assert window.act_before.isChecked() and window.act_before.shortcut().toString() == "\\"
    assert np.array_equal(shown(out_view), window.preview)
    window.act_compare.trigger()
    assert not window.split_view.after_clip.isVisible()  # the split view shows the before
    window.act_before.trigger()
    assert window.split_view.after_clip.isVisible()
    assert np.array_equal(shown(out_view), window.output)


def test_histogram_matches_numpy_and_clipping_overlay(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    pending = window.session.pending
    qtbot.waitUntil(lambda: getattr(window.histogram, "shown_for", 0) == pending.shown_preview,
                    timeout=15000)
    out = window.output
    counts = window.histogram.counts
    rgb = out.astype(np.int64)  # exact: Rec. 709 weights, halves rounded up
    y = (2126 * rgb[..., 0] + 7152 * rgb[..., 1] + 722 * rgb[..., 2] + 5000) // 10000
    assert np.array_equal(counts[0], np.histogram(y, bins=256, range=(0, 256))[0])
    for c in range(3):
        assert np.array_equal(counts[c + 1], np.histogram(out[..., c], bins=256,
                                                          range=(0, 256))[0])
    assert window.histogram.highlights == pytest.approx((out.max(axis=2) == 255).mean())
    assert window.histogram.shadows == pytest.approx((out.max(axis=2) == 0).mean())
    view = window.output_pane.view
    assert np.array_equal(shown(view), out)
    window.act_clipping.trigger()  # J
    assert window.histogram.overlay_on and window.act_clipping.shortcut().toString() == "J"
    assert np.array_equal(shown(view), clipping_overlay(out))
    window.act_clipping.trigger()
    assert np.array_equal(shown(view), out)


def test_clipping_overlay_marks_exactly_the_clipped_pixels():
    img = np.full((4, 5, 3), 120, np.uint8)
    img[0, 0] = 0  # black: shadows clipped
    img[1, 1] = (255, 10, 10)  # a channel at full scale: highlights clipped
    img[2, 2] = (1, 0, 0)  # dark but not black
    shadows, highlights = clipped(img)
    assert shadows.sum() == 1 and shadows[0, 0] and highlights.sum() == 1 and highlights[1, 1]
    over = clipping_overlay(img)
    assert tuple(over[0, 0]) == (40, 110, 255) and tuple(over[1, 1]) == (255, 30, 30)
    assert (over[2:] == img[2:]).all() and histograms(img)[1, 120] == 17


def test_heatmap_shows_the_raw_map_on_request_and_follows_strength(qtbot, window, photo):
    open_and_wait(qtbot, window, photo)
    gain = window.gain.copy()
    window.raw_toggle.setChecked(True)
    assert window.act_raw_map.isChecked() and window.legend.mode == "raw"
    e = Enhancer()
    plan = e.enhance(window.plan_source, window.controls.settings()).plan  # the plan's copy
    raw = e.factor_map(window.plan_source, plan)
    np.testing.assert_allclose(window.display.factor, raw, atol=1e-5)
    expected = gain_heatmap(-raw * HEATMAP_STOPS)
    assert np.array_equal(shown(window.factor_pane.view), expected)
    window.raw_toggle.setChecked(False)
    # the colour scale is fitted to the photo's range (the legend says which)
    fitted = fitted_stops(gain)
    assert window.legend.labels()[2] == f"+{fitted:g} EV" and fitted < HEATMAP_STOPS
    assert np.array_equal(shown(window.factor_pane.view),
                          gain_heatmap(gain * HEATMAP_STOPS / fitted))
    with qtbot.waitSignal(window.preview_shown, timeout=15000):
        window.controls.iterations_spin.setValue(2)
    assert window.gain.mean() < gain.mean() - 0.3  # gentler strength, fewer stops


def test_a_photo_within_the_preview_size_is_already_real_pixels_at_100(qtbot, window, photo,
                                                                       tmp_path):
    open_and_wait(qtbot, window, photo)  # 320 x 240: the plan's copy is the photo itself
    with qtbot.waitSignal(window.preview_shown, timeout=30000):
        window.act_actual.trigger()  # the preview is re-made at the photo's own size
    assert window.preview is window.image
    window.detail.update_now()
    assert window.display.output_tile is None  # nothing to render again
    target = tmp_path / "night_enhanced.png"
    window.exporter.save_to(target)
    qtbot.waitUntil(lambda: not window.session.pending.saving, timeout=30000)
    saved, _ = read_image(target)
    shot, x0, y0 = grab(window.output_pane.view)
    h, w = shot.shape[:2]
    np.testing.assert_array_equal(shot, saved[y0:y0 + h, x0:x0 + w])
