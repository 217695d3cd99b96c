"""The window's actions, menus and toolbar. Every action's tooltip names its shortcut; the Help
menu lists them all (generated from the actions, so the list cannot go stale)."""
from __future__ import annotations

import qtawesome as qta
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QToolBar

from app.gui import help_dialogs
from app.gui.help_dialogs import shortcut_text


def make_action(window, text: str, icon: str | None, shortcuts, slot, tip: str,
                checkable: bool = False) -> QAction:
    """An action; a checkable one calls ``slot(on)`` whenever its state changes, however."""
    act = QAction(qta.icon(icon), text, window) if icon else QAction(text, window)
    act.setCheckable(checkable)
    keys = [QKeySequence(s) for s in (shortcuts if isinstance(shortcuts, list) else
                                      [shortcuts] if shortcuts else [])]
    act.setShortcuts(keys)
    keys_text = shortcut_text(act)
    act.setToolTip(f"{tip} ({keys_text})" if keys_text else tip)
    act.setStatusTip(tip)
    (act.toggled if checkable else act.triggered).connect(slot)
    window.addAction(act)  # shortcuts work whichever widget has focus, menus hidden or not
    return act


def build(w) -> None:
    """Create ``w.act_*``, the menus and the toolbar of a MainWindow, the actions calling
    its controllers (``w.opener``, ``w.exporter``, ``w.switches``, ``w.browser``...)."""
    a = lambda *args: make_action(w, *args)  # noqa: E731
    view = lambda: w.leading_view()  # noqa: E731
    sw = w.switches
    w.act_open = a("&Open...", "fa5s.folder-open", QKeySequence.Open, w.opener.open_dialog,
                   "Open a photo or video")
    w.act_open_folder = a("Open &folder...", "fa5s.images", "Ctrl+Shift+O",
                          w.opener.open_folder_dialog, "Show a folder's photos and videos in the "
                          "filmstrip and open the first")
    w.act_paste = a("&Paste image", "fa5s.paste", QKeySequence.Paste, w.opener.paste,
                    "Open the image on the clipboard")
    w.act_save = a("&Save enhanced", "fa5s.save", QKeySequence.Save, w.exporter.save,
                   "Save the enhanced photo or video next to the original as NAME_enhanced "
                   "(asks before replacing a file)")
    w.act_save_as = a("Save enhanced &as...", "fa5s.file-export", QKeySequence.SaveAs,
                      w.exporter.save_as,
                      "Save the enhanced photo or video under a name you choose")
    w.act_save_factor = a("Save &heatmap as...", "fa5s.fire", "Ctrl+Shift+H",
                          w.exporter.save_heatmap,
                          "Save the heatmap shown, at the photo's size")
    w.act_quit = a("&Quit", "fa5s.sign-out-alt", "Ctrl+Q", w.close, "Quit")
    w.act_undo = a("&Undo", "fa5s.undo", QKeySequence.Undo, w.undo,
                   "Undo the last change: a setting, a turn or a crop")
    w.act_redo = a("&Redo", "fa5s.redo", ["Ctrl+Shift+Z", "Ctrl+Y"], w.redo,
                   "Redo the change undone")
    w.act_reset = a("Reset &all settings", "fa5s.history", "Ctrl+R",
                    w.controls.reset_settings,
                    "Reset every setting to its default (Auto exposure, strength 8, Auto "
                    "denoise, standard map detail)")
    w.act_save_preset = a("Save settings as &preset...", "fa5s.bookmark", None,
                          lambda: w.presets.save_current(),
                          "Save the current settings under a name (Batch tab and command "
                          "line can use it too)")
    w.act_fit = a("&Fit", "fa5s.expand", "Ctrl+0", lambda: view().fit(),
                  "Fit the whole photo in the view")
    w.act_actual = a("&100% (real pixels)", "fa5s.search", "Ctrl+1",
                     lambda: view().zoom_to(1.0),
                     "Show the photo's own pixels, rendered at full resolution: what you "
                     "see is what you save")
    w.act_zoom_in = a("Zoom &in", "fa5s.search-plus", [QKeySequence.ZoomIn, "Ctrl+="],
                      lambda: view().zoom_by(1.25), "Zoom in (or the mouse wheel)")
    w.act_zoom_out = a("Zoom &out", "fa5s.search-minus", QKeySequence.ZoomOut,
                       lambda: view().zoom_by(0.8), "Zoom out (or the mouse wheel)")
    w.act_compare = a("&Before/after split", "fa5s.columns", "Ctrl+B", sw.toggle_compare,
                      "One large view, before left and after right of a divider you drag by "
                      "its handle; zoom and pan as in the panes", True)
    w.act_before = a("Show &before", "fa5s.adjust", "\\", sw.toggle_before,
                     "Show the original in place of the enhanced photo, and back", True)
    w.act_clipping = a("&Clipping warnings", "fa5s.exclamation-triangle", "J",
                       sw.toggle_clipping,
                       "Paint clipped pixels on the enhanced photo: blue = pure black, red = "
                       "a channel at full brightness", True)
    w.act_raw_map = a("Heatmap shows the &raw map", None, "Ctrl+Shift+M", sw.toggle_raw_map,
                      "Show the model's raw map (before exposure and strength) instead of "
                      "the brightening in stops", True)
    w.act_heatmap = a("Show the &heatmap", "fa5s.fire-alt", "Ctrl+H", sw.toggle_heatmap,
                      "Show the brightening heatmap beside the photo, or hide it to give the "
                      "photo its room", True)
    w.act_heatmap.setChecked(True)
    w.act_turn_left = a("Turn &left", "fa5s.undo", "Ctrl+[", lambda: w.framing.turn(-1),
                        "Turn the photo 90\u00b0 anticlockwise (kept in its edits)")
    w.act_turn_right = a("Turn ri&ght", "fa5s.redo", "Ctrl+]", lambda: w.framing.turn(1),
                         "Turn the photo 90\u00b0 clockwise (kept in its edits)")
    w.act_crop_tool = a("&Crop by hand", "fa5s.crop-alt", "R",
                        lambda: w.geometry_bar.tool.toggle(),
                        "Show the whole photo with the crop rectangle to drag; again to "
                        "keep it")
    w.act_export_picks = a("&Export picks...", "fa5s.share-square", "Ctrl+E",
                           w.browser.export_picks, "Export the selected thumbnails (or, with one "
                           "selected, the folder's picks), each with its own settings")
    w.act_export_picks.setIconText("Export picks")
    w.browser.strip.add_tool(w.act_export_picks)
    w.act_play = a("&Play / pause video", "fa5s.play", "Space", sw.toggle_play,
                   "Play or pause the video preview")
    w.act_play.setEnabled(False)
    w.act_shortcuts = a("&Keyboard shortcuts", "fa5s.keyboard", QKeySequence.HelpContents,
                        lambda: help_dialogs.show_shortcuts(w), "List every shortcut")
    w.act_about = a("&About Lowlight Studio", "fa5s.info-circle", None,
                    lambda: help_dialogs.show_about(w),
                    "Version, model card and licences")
    for act in (w.act_save, w.act_save_as, w.act_save_factor, w.act_undo, w.act_redo):
        act.setEnabled(False)

    bar = w.menuBar()
    m = bar.addMenu("&File")
    m.addActions([w.act_open, w.act_open_folder, w.act_paste])
    m.addMenu(w.opener.recent_menu)
    m.addSeparator()
    m.addActions([w.act_save, w.act_save_as, w.act_save_factor, w.act_export_picks])
    m.addSeparator()
    m.addAction(w.act_quit)
    m = bar.addMenu("&Edit")
    m.addActions([w.act_undo, w.act_redo])
    m.addSeparator()
    m.addActions([w.act_reset, w.act_save_preset])
    m = bar.addMenu("&View")
    m.addActions([w.act_fit, w.act_actual, w.act_zoom_in, w.act_zoom_out])
    m.addSeparator()
    m.addActions([w.act_compare, w.act_before, w.act_clipping, w.act_raw_map,
                  w.act_heatmap])
    m.addSeparator()
    m.addAction(w.act_play)
    b = w.browser
    m = bar.addMenu("P&hoto")
    m.addActions([b.act_previous, b.act_next])
    m.addSeparator()
    m.addActions([b.act_pick, b.act_reject, b.act_unflag])
    stars = m.addMenu("&Rating")
    stars.addActions(b.act_stars)
    m.addSeparator()
    m.addActions([b.act_copy, b.act_paste, b.act_sync, b.act_reset_photo])
    m.addSeparator()
    m.addActions([w.act_turn_left, w.act_turn_right, w.act_crop_tool])
    m = bar.addMenu("&Help")
    m.addActions([w.act_shortcuts, w.act_about])

    tb = QToolBar("Main")
    tb.setObjectName("main-toolbar")
    tb.setMovable(False)
    tb.addActions([w.act_open, w.act_save, w.act_save_as])
    tb.addSeparator()
    tb.addActions([w.act_undo, w.act_redo])
    tb.addSeparator()
    tb.addActions([w.act_fit, w.act_actual, w.act_compare, w.act_before, w.act_clipping])
    tb.addSeparator()
    tb.addActions([b.act_previous, b.act_next, b.act_pick, b.act_reject])
    tb.addSeparator()
    tb.addWidget(w.quality)  # made by the window (window_settings.quality_box)
    w.addToolBar(tb)
