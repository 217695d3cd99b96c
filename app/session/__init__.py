"""The window's model, with no Qt: what is open and what the user has done to it.

- :mod:`app.session.catalog`     the folder's photos and videos: order, current, selection,
  filter, each photo's edits (loaded lazily, kept in sidecars), copy/paste of settings
- :mod:`app.session.photo`       the photo or video on screen: pixels, metadata, the preview
  copies and whether the plan's copy is the photo itself
- :mod:`app.session.history`     undo and redo of one photo's settings (one per photo)
- :mod:`app.session.photo_cache` the last few photos decoded, so going back is instant
- :mod:`app.session.thumbnails`  small JPEGs of the folder's files, cached on disk

The GUI (app.gui) observes and drives these; tests drive them without a window. They use
the engine only through its public API (app.core).
"""
