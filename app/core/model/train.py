"""Zero-reference training of the exposure-conditioned SGZ model (``lowlight train``).

No ground truth: the five losses of app.core.model.losses judge the enhanced crop against its input.
Each crop gets its own exposure target alpha (drawn uniformly from ``alpha_range``), fed to the
net as an extra input channel and used as the exposure loss's target, so one model learns every
exposure setting. Training is resumable: a checkpoint (model, optimiser, step, RNG) is written
every ``checkpoint_every`` steps and ``resume=True`` continues from it.
"""
from __future__ import annotations

import csv
import json
import logging
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from app.core.model.losses import ZeroReferenceLoss
from app.core.model.net import SGZ
from app.core.model.weights import save_weights

log = logging.getLogger(__name__)


@dataclass
class TrainConfig:
    data: str = "../shared/data/train/sice"
    out: str = "runs/sgz"
    steps: int = 2000
    batch: int = 8
    crop: int = 224
    subset: int = 800  # images decoded into memory once (a 2-core CPU cannot decode per step)
    lr: float = 3e-3
    weight_decay: float = 1e-4
    grad_clip: float = 0.1
    alpha_range: tuple[float, float] = (0.25, 0.85)
    scales: tuple[int, ...] = (2, 4, 8)  # EFE downscale drawn per batch: coarse and fine views
    iterations: int = 8
    semantic: bool = True
    backbone: str = "efficientnet-lite0"
    loss_weights: dict = field(default_factory=lambda: {"tv": 1600.0, "spatial": 1.0,
                                                        "color": 5.0, "exposure": 10.0,
                                                        "semantic": 0.1})
    seed: int = 0
    threads: int = 2
    checkpoint_every: int = 100


class CropSampler:
    """Random crops, flips and rescales from images held in memory as uint8."""

    def __init__(self, folder: Path, count: int, crop: int, seed: int):
        files = sorted(p for p in Path(folder).iterdir()
                       if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
        if not files:
            raise FileNotFoundError(f"no training images in {folder}")
        rng = random.Random(seed)
        rng.shuffle(files)
        self.images = []
        for p in files[:count]:
            img = cv2.imread(str(p), cv2.IMREAD_COLOR)
            if img is not None and min(img.shape[:2]) >= crop:
                self.images.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
        if not self.images:
            raise ValueError(f"no usable training images (at least {crop}px) in {folder}")
        self.crop = crop
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int) -> torch.Tensor:
        out = np.empty((n, self.crop, self.crop, 3), np.uint8)
        for i in range(n):
            img = self.images[self.rng.integers(len(self.images))]
            short = min(img.shape[:2])
            size = int(self.rng.uniform(self.crop, short + 1))  # random zoom out
            if size != short:
                f = size / short
                img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
            y = self.rng.integers(img.shape[0] - self.crop + 1)
            x = self.rng.integers(img.shape[1] - self.crop + 1)
            c = img[y:y + self.crop, x:x + self.crop]
            out[i] = c[:, ::-1] if self.rng.random() < 0.5 else c
        return torch.from_numpy(out).permute(0, 3, 1, 2).float() / 255.0


def build_loss(cfg: TrainConfig) -> ZeroReferenceLoss:
    segmenter = None
    if cfg.semantic:
        from app.core.model.segmentation import build_segmenter

        segmenter = build_segmenter(cfg.backbone)
    return ZeroReferenceLoss(segmenter, **cfg.loss_weights)


def train(cfg: TrainConfig, resume: bool = False) -> Path:
    """Train and write ``<out>/sgz_exposure.pt`` (+ .onnx) and ``<out>/losses.csv``."""
    # subnormals slow CPU torch 10-40x: flushed while training, then the thread's mode is
    # given back (threads started from it inherit it, x264's rate control included)
    torch.set_flush_denormal(True)
    try:
        return _train(cfg, resume)
    finally:
        torch.set_flush_denormal(False)


def _train(cfg: TrainConfig, resume: bool) -> Path:
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ckpt_path = out / "checkpoint.pt"
    torch.manual_seed(cfg.seed)
    model = SGZ(conditioned=True)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, cfg.steps, eta_min=cfg.lr * 0.05)
    step = 0
    if resume and ckpt_path.exists():
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=False)
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["opt"])
        sched.load_state_dict(ckpt["sched"])
        step = ckpt["step"]
        torch.set_rng_state(ckpt["torch_rng"])
        log.info("resumed at step %d", step)
    loss_fn = build_loss(cfg)
    sampler = CropSampler(Path(cfg.data), cfg.subset, cfg.crop, cfg.seed + step)
    gen = np.random.default_rng(cfg.seed + 7919 * (step + 1))
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
    curve = (out / "losses.csv").open("a", newline="")
    writer = csv.writer(curve)
    if step == 0:
        writer.writerow(["step", "total", "tv", "spatial", "color", "exposure", "semantic"])
    model.train()
    t0 = time.time()
    while step < cfg.steps:
        x = sampler.batch(cfg.batch)
        alpha = torch.from_numpy(gen.uniform(*cfg.alpha_range, cfg.batch).astype(np.float32))
        scale = int(gen.choice(cfg.scales))
        enhanced, x_r = model(x, alpha, cfg.iterations, scale)
        total, parts = loss_fn(x, enhanced, x_r, alpha)
        opt.zero_grad(set_to_none=True)
        total.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        step += 1
        names = ("tv", "spatial", "color", "exposure", "semantic")
        writer.writerow([step, f"{float(total.detach()):.6f}",
                         *(f"{parts.get(k, 0.0):.6f}" for k in names)])
        if step % 20 == 0:
            curve.flush()
            log.info("step %d/%d loss %.4f %s (%.2fs/step)", step, cfg.steps, float(total),
                     {k: round(v, 4) for k, v in parts.items()}, (time.time() - t0) / 20)
            t0 = time.time()
        if step % cfg.checkpoint_every == 0 or step == cfg.steps:
            tmp = ckpt_path.with_suffix(".part")
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                        "sched": sched.state_dict(), "step": step,
                        "torch_rng": torch.get_rng_state()}, tmp)
            tmp.replace(ckpt_path)
    curve.close()
    weights = out / "sgz_exposure.pt"
    save_weights(model.state_dict(), weights, {"config": asdict(cfg), "steps": step})
    return weights
