"""Media: reading and writing image files (EXIF/ICC, 16-bit, atomic writes), video probing,
decoding and encoder settings (PyAV), and RGB -> YUV conversion. Knows nothing of the engine."""
