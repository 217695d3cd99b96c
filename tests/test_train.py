"""A tiny zero-reference training run on generated images: it learns, saves and resumes."""
import csv

import numpy as np
import pytest
from PIL import Image

from app.core.model.train import TrainConfig, train
from app.core.model.weights import load_model

pytestmark = pytest.mark.slow  # a real training run: left out of the quick run


@pytest.fixture
def photo_folder(tmp_path):
    rng = np.random.default_rng(0)
    for i in range(6):
        level = rng.uniform(0.03, 0.9)  # under- and over-exposed, like SICE
        img = np.clip(rng.normal(level, 0.05, (96, 96, 3)), 0, 1)
        Image.fromarray((img * 255).astype(np.uint8)).save(tmp_path / f"{i}.jpg")
    return tmp_path


@pytest.mark.parametrize("semantic", [False, True])
def test_training_runs_saves_and_resumes(photo_folder, tmp_path, semantic):
    out = tmp_path / "run"
    cfg = TrainConfig(data=str(photo_folder), out=str(out), steps=3, batch=2, crop=64,
                      subset=6, semantic=semantic, checkpoint_every=2)
    weights = train(cfg)
    assert weights.exists() and weights.with_suffix(".onnx").exists()
    assert load_model(weights).conditioned
    cfg.steps = 5
    train(cfg, resume=True)
    rows = list(csv.DictReader((out / "losses.csv").open()))
    assert [int(r["step"]) for r in rows] == [1, 2, 3, 4, 5]  # continued, not restarted
    assert all(np.isfinite(float(r["total"])) for r in rows)
    assert (float(rows[0]["semantic"]) > 0) == semantic
