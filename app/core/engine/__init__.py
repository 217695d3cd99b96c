"""The inference engine: :class:`Enhancer` and everything one enhancement needs: EFE backends
(onnxruntime, torch), exposure, the full-resolution kernels, resampling, the thread pool, the
heatmap, temporal smoothing for video. Never imports Qt, torch only inside the torch backend."""
from app.core.engine import vector_width

vector_width.prefer_wide_vectors()  # before any kernel imports numba
