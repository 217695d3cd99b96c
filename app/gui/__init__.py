"""Qt views and controllers over app.session and app.core. Only this package imports Qt.

:class:`~app.gui.main_window.MainWindow` owns the views (window_layout builds them, menus
the actions) and the controllers, and wires them together. What is open, its edits and the
engine requests in flight live in the Qt-free :class:`app.session.session.Session`; each
controller takes that session, the engine (workers.EngineClient) and the few widgets or
callbacks it uses, never the window:

- opening.Opener               Open, Open folder, recent files, paste, drag and drop
- exporting.Exporter           Save, Save As, the heatmap, the video export
- view_switches.ViewSwitches   the View menu: split, before, clipping, raw map, heatmap, play
- browsing.Browser             the folder: filmstrip, next/previous, flags, stars, copy/paste
- framing.GeometryController   turn, straighten, crop (the Frame row and the crop tool)
- detail.DetailController      the 100% view's full-resolution tiles
- preview_size.PreviewSizer    the preview as big as the view shows the photo
- video_player.VideoPlayer     a video's playback and still frames
- batch_panel.BatchPanel       the Batch tab (its own worker, batch_worker)
"""
import sys

if getattr(sys, "frozen", False):
    # The double-click bundle ships only the Font Awesome 5 solid font the icons use (the
    # other eleven icon fonts are 5 MB); tell qtawesome before it loads its fonts lazily.
    import qtawesome

    qtawesome._BUNDLED_FONTS = tuple(f for f in qtawesome._BUNDLED_FONTS if f[0] == "fa5s")
