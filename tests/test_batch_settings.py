"""The batch says what it applies in the window's words, and its report records the settings
under the names the window and the CLI use (issue #25, part 2)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from app.cli import main as cli
from app.core import EnhanceSettings, OutputOptions, PresetStore, discover, run_batch

NIGHT = EnhanceSettings(exposure=0.6, iterations=5, scale=8, denoise=1.5)


def _photo(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    Image.fromarray((rng.random((32, 48, 3)) * 40).astype(np.uint8)).save(folder / "a.png")
    return folder


def test_report_names_the_settings_as_the_window_and_the_cli_do(tmp_path, enhancer):
    src = _photo(tmp_path / "in")
    out = tmp_path / "out"
    report = run_batch(discover([src]), enhancer, NIGHT,
                       OutputOptions(out, format="jpeg", quality=90))
    expected = {"exposure": 0.6, "strength": 5, "denoise": 1.5, "map_detail": 8,
                "shadows": 0.0, "highlights": 0.0, "contrast": 0.0, "format": "jpeg",
                "quality": 90, "pattern": "{stem}_enhanced",
                "video_codec": "h264", "video_crf": 20}
    assert report.settings == expected
    written = json.loads(report.paths[1].read_text())
    assert written["settings"] == expected  # no "iterations", no "scale"

    # the CLI's words give the same record
    assert cli(["batch", str(src), "-o", str(tmp_path / "cli"), "--exposure", "0.6",
                "--strength", "5", "--map-detail", "8", "--denoise", "1.5", "--format", "jpeg",
                "--quality", "90"]) == 0
    report_json = next((tmp_path / "cli").glob("lowlight_report-*.json"))
    assert json.loads(report_json.read_text())["settings"] == expected


def test_batch_tab_shows_the_settings_it_will_apply(qtbot, window, tmp_path):
    panel = window.batch
    window.tabs.setCurrentWidget(panel)
    assert panel.applied.text() == (
        "Exposure Auto \u00b7 Strength 8 \u00b7 Denoise Auto \u00b7 Map detail Standard (1/12)")
    window.controls.set_settings(NIGHT, emit=True)  # the Photo tab moved (Ctrl+R, a preset)
    assert panel.applied.text() == (
        "Exposure 0.60 \u00b7 Strength 5 \u00b7 Denoise 1.50 \u00b7 Map detail Fine (1/8)")
    store = PresetStore(tmp_path / "presets.json")
    store.save("Gentle", EnhanceSettings(iterations=3, denoise=0.0))
    panel.preset_store = store
    panel.refresh_presets()
    panel.preset.setCurrentIndex(panel.preset.findData("Gentle"))
    assert panel.applied.text() == (
        "Exposure Auto \u00b7 Strength 3 \u00b7 Denoise off \u00b7 Map detail Standard (1/12)")
