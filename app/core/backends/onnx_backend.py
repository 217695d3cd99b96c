"""EFE net on ONNX Runtime: the fastest CPU path, and the one that needs no torch at all.

The ONNX graph is written directly from the weights with onnx.helper (seven depthwise +
pointwise conv blocks, ReLU, the skip connections as sums of convs, tanh), so exporting needs
neither torch's exporter nor a tracing run, and the shipped .onnx file can be re-created from
the .pt state dict at any time.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from app.core import parallel

# Skip concatenations: block k's input is cat(outputs of these blocks) (0 = the network input).
_BLOCK_INPUTS = {1: (0,), 2: (1,), 3: (2,), 4: (3,), 5: (3, 4), 6: (2, 5), 7: (1, 6)}


def efe_onnx_model(weights: dict[str, np.ndarray]):
    """Build an ONNX ModelProto of the EFE net from a state dict of numpy arrays
    ("e_conv1.depth_conv.weight", ...; an "efe." prefix is accepted).

    The skip concatenations are not materialised: a depthwise conv of cat(a, b) is the two
    depthwise convs side by side, and the pointwise conv that follows is W_a dw(a) + W_b dw(b),
    so each part gets its own conv pair and the results are added (ONNX Runtime fuses the Add
    into the conv). Same numbers to float32 rounding, about 8% faster than copying channels
    into a concatenated tensor. The depthwise bias is folded into the pointwise one."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    weights = {k.removeprefix("efe."): np.asarray(v, np.float32) for k, v in weights.items()}
    in_ch = weights["e_conv1.depth_conv.weight"].shape[0]
    nodes, inits = [], []

    def init(name: str, array: np.ndarray) -> str:
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, np.float32), name))
        return name

    outputs, channels = {0: "input"}, {0: in_ch}
    for k in range(1, 8):
        dw_w, dw_b = (weights[f"e_conv{k}.depth_conv.{p}"] for p in ("weight", "bias"))
        pw_w, pw_b = (weights[f"e_conv{k}.point_conv.{p}"] for p in ("weight", "bias"))
        bias = pw_b + pw_w[:, :, 0, 0] @ dw_b
        parts, first = [], 0
        for j, src in enumerate(_BLOCK_INPUTS[k]):
            part = slice(first, first + channels[src])
            first += channels[src]
            nodes.append(helper.make_node(
                "Conv", [outputs[src], init(f"e{k}.dw{j}.w", dw_w[part])], [f"dw{k}_{j}"],
                kernel_shape=[3, 3], pads=[1, 1, 1, 1], group=channels[src]))
            inputs = [f"dw{k}_{j}", init(f"e{k}.pw{j}.w", pw_w[:, part])]
            if j == 0:
                inputs.append(init(f"e{k}.pw.b", bias))
            nodes.append(helper.make_node("Conv", inputs, [f"pw{k}_{j}"], kernel_shape=[1, 1]))
            parts.append(f"pw{k}_{j}")
        x = parts[0]
        if len(parts) > 1:
            x = f"sum{k}"
            nodes.append(helper.make_node("Add", parts, [x]))
        outputs[k], channels[k] = ("x_r" if k == 7 else f"e{k}"), pw_w.shape[0]
        nodes.append(helper.make_node("Tanh" if k == 7 else "Relu", [x], [outputs[k]]))
    graph = helper.make_graph(
        nodes, "sgz_efe",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, in_ch, "h", "w"])],
        [helper.make_tensor_value_info("x_r", TensorProto.FLOAT, [1, 3, "h", "w"])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="lowlight-studio")
    model.ir_version = 8  # readable by every onnxruntime since 1.14
    onnx.checker.check_model(model)
    return model


def save_onnx(weights: dict[str, np.ndarray], path: Path) -> None:
    path.write_bytes(efe_onnx_model(weights).SerializeToString())


class OnnxEFE:
    """EFE on onnxruntime's CPU provider.

    At the usual sizes (the photo downscaled by 12: 100x75 for 1200x900, 160x90 for 1080p) one
    intra-op thread is faster than ORT's own two (3.4 vs 3.9 ms measured on 2 cores: its
    per-op hand-offs cost more than they save). So a call allowed several cores splits the
    map into horizontal strips instead, each run whole on one thread with HALO extra rows of
    context, which makes the seams exact (same numbers as one run) and takes 25-35% off the
    wall time. Inputs above LARGE_INPUT pixels (a small scale setting) use a session with
    every core. Sessions are safe to run from several threads at once.
    """

    LARGE_INPUT = 250_000
    # Rows of context a strip needs: each of the seven 3x3 depthwise convs reaches one row
    # further, the other ops are per-pixel.
    HALO = 7

    def __init__(self, model_path: Path, threads: int | None = None):
        self.model_path = model_path
        self.threads = threads or max(1, os.cpu_count() or 1)
        self.session = self._session(1)
        self._wide_session = None
        self.in_channels = self.session.get_inputs()[0].shape[1]
        self.name = "onnxruntime (CPU)"

    def _session(self, threads: int):
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.add_session_config_entry("session.set_denormal_as_zero", "1")
        # No busy-waiting threads after each run: on 2 cores they would steal the CPU from the
        # full-resolution stage that follows.
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return ort.InferenceSession(str(self.model_path), opts,
                                    providers=["CPUExecutionProvider"])

    def factor(self, small: np.ndarray, exposure: float, threads: int | None = None
               ) -> np.ndarray:
        """``threads=1`` keeps the work in the calling thread (callers that are parallel
        themselves); by default up to ``self.threads`` cores are used."""
        h, w, _ = small.shape
        x = np.empty((1, self.in_channels, h, w), np.float32)
        x[0, :3] = small.transpose(2, 0, 1)
        if self.in_channels == 4:
            x[0, 3] = exposure
        threads = min(threads or self.threads, self.threads)
        if threads > 1 and h * w > self.LARGE_INPUT:
            if self._wide_session is None:
                self._wide_session = self._session(self.threads)
            x_r = self._run(self._wide_session, x)
        elif threads > 1 and h >= 4 * self.HALO:  # strips at least twice their context
            x_r = self._run_in_strips(x, min(threads, h // max(1, 2 * self.HALO)))
        else:
            x_r = self._run(self.session, x)
        return np.ascontiguousarray(x_r[0].transpose(1, 2, 0))

    @staticmethod
    def _run(session, x: np.ndarray) -> np.ndarray:
        return session.run(None, {"input": x})[0]

    def _run_in_strips(self, x: np.ndarray, strips: int) -> np.ndarray:
        h = x.shape[2]
        ranges = parallel.split_range(0, h, strips)

        def strip(top: int, bottom: int) -> np.ndarray:
            lo = max(0, top - self.HALO)
            x_r = self._run(self.session, x[:, :, lo:min(h, bottom + self.HALO)])
            return x_r[:, :, top - lo:bottom - lo]

        parts = parallel.run_all([lambda a=a, b=b: strip(a, b) for a, b in ranges])
        return np.concatenate(parts, axis=2)
