"""Shipped weights: where they are, how they load, and how training saves them.

Each model is two files with the same stem in model_weights/: ``.pt`` (torch state dict plus
metadata, for training and GPUs) and ``.onnx`` (the same EFE net for onnxruntime, so the CPU
app needs no torch). :func:`save_weights` writes both from one state dict.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from app.paths import default_weights


def load_model(path: Path | None = None):
    """Load an SGZ model (conditioned or plain) from a .pt file of this project or the SGZ code."""
    import torch

    from app.core.model.net import SGZ, load_state

    path = Path(path or default_weights())
    blob = torch.load(path, map_location="cpu", weights_only=True)
    state = blob.get("state_dict", blob)
    first = next(v for k, v in state.items() if k.endswith("e_conv1.depth_conv.weight"))
    model = load_state(SGZ(conditioned=first.shape[0] == 4), state)
    return model.eval()


def save_weights(state: dict, path: Path, meta: dict | None = None) -> None:
    """Write ``path`` (.pt) and its .onnx twin, with subnormals flushed, each written atomically."""
    import torch

    from app.core.media.images import atomic_write_bytes
    from app.core.model.net import flush_subnormals
    from app.core.model.onnx_export import efe_onnx_model

    state = flush_subnormals({k: v.detach().cpu() for k, v in state.items()})
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    torch.save({"state_dict": state, "meta": json.dumps(meta or {})}, tmp)
    tmp.replace(path)
    arrays = {k: v.numpy().astype(np.float32) for k, v in state.items()}
    atomic_write_bytes(path.with_suffix(".onnx"), efe_onnx_model(arrays).SerializeToString())
