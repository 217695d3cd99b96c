"""The window's model, with no Qt: what is open and what the user has done to it.

- :mod:`app.session.session`     :class:`~app.session.session.Session`, the photo or video on
  screen: path, pixels, metadata, its geometry, the preview copies (and whether the plan's
  copy is the photo itself), its edits and undo; it owns the others below
- :mod:`app.session.requests`    the engine requests in flight for it (preview, 100% tile,
  save) and which replies are stale (an older preview, a replaced image)
- :mod:`app.session.catalog`     the folder's photos and videos: order, current, selection,
  filter, each photo's edits (loaded lazily, kept in sidecars), copy/paste of settings
- :mod:`app.session.history`     undo and redo of one photo's settings (one per photo)
- :mod:`app.session.photo_cache` the last few photos decoded, so going back is instant
- :mod:`app.session.thumbnails`  small JPEGs of the folder's files, cached on disk

The GUI (app.gui) observes and drives these; tests drive them without a window
(tests/test_session.py, tests/test_session_requests.py). They use the engine only through
its public API (app.core).
"""
