"""The batch's per-photo hook (#26 export the picks): each file gets its own settings and
geometry from ``settings_for``; without it, the batch's one set."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from app.core import BatchItem, EnhanceSettings, OutputOptions, read_image, run_batch, write_image
from app.core.photo_edits import Crop, PhotoEdits


def test_each_photo_gets_its_own_settings_and_geometry(tmp_path, enhancer, dark_photo):
    src = tmp_path / "src"
    src.mkdir()
    a = write_image(src / "a.png", dark_photo)
    b = write_image(src / "b.png", dark_photo)
    c = write_image(src / "c.png", dark_photo)
    own = {
        a: (EnhanceSettings(exposure=0.3), PhotoEdits(quarter_turns=1)),
        b: (EnhanceSettings(exposure=0.7), PhotoEdits(crop=Crop(0.0, 0.0, 0.5, 0.5))),
        c: (EnhanceSettings(exposure=0.7), None),
    }
    asked = []

    def settings_for(item: BatchItem):
        asked.append(item.source)
        return own[item.source]

    items = [BatchItem(p, Path(p.name)) for p in (a, b, c)]
    out = tmp_path / "out"
    report = run_batch(items, enhancer, EnhanceSettings(), OutputOptions(out), write_report=False,
                       settings_for=settings_for)
    assert [o.status for o in report.outcomes] == ["done"] * 3
    assert sorted(asked) == sorted([a, b, c])
    ra, _ = read_image(out / "a_enhanced.png")
    rb, _ = read_image(out / "b_enhanced.png")
    rc, _ = read_image(out / "c_enhanced.png")
    h, w = dark_photo.shape[:2]
    assert ra.shape[:2] == (w, h)  # turned a quarter
    assert rb.shape[:2] == (h // 2, w // 2)  # the top-left quarter kept
    assert rc.shape[:2] == (h, w)
    assert ra.mean() < rc.mean() - 20  # exposure 0.3 against 0.7


def test_a_failing_settings_lookup_fails_that_file_only(tmp_path, enhancer, dark_photo):
    a = write_image(tmp_path / "a.png", dark_photo)
    b = write_image(tmp_path / "b.png", dark_photo)

    def settings_for(item: BatchItem):
        if item.source == a:
            raise ValueError("a.png.lowlight.json is damaged")
        return EnhanceSettings(), None

    report = run_batch([BatchItem(p, Path(p.name)) for p in (a, b)], enhancer,
                       EnhanceSettings(), OutputOptions(tmp_path / "out"), write_report=False,
                       settings_for=settings_for)
    by_name = {Path(o.source).name: o for o in report.outcomes}
    assert by_name["a.png"].status == "failed" and "damaged" in by_name["a.png"].reason
    assert by_name["b.png"].status == "done"
    assert not (tmp_path / "out" / "a_enhanced.png").exists()
    assert np.asarray(read_image(tmp_path / "out" / "b_enhanced.png")[0]).size
