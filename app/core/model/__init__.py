"""The model room: SGZ's EFE net, its zero-reference losses, the frozen segmenter, training and
weights I/O. The only torch code besides the engine's torch backend; the frozen desktop app
does not ship it (it runs the ONNX graph that :mod:`app.core.model.onnx_export` writes)."""
