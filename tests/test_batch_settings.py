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
                "shadows": 0.0, "highlights": 0.0, "contrast": 0.0, "white_balance": False,
                "format": "jpeg",
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


def test_each_photo_gets_its_own_settings_and_crop(tmp_path, enhancer):
    """settings_for: each photo's sidecar edits, the crop applied before the enhancement;
    the report records what each file got; a damaged sidecar fails that photo only."""
    from app.core.media.images import read_image
    from app.core.photo_edits import Crop, EditStore, PhotoEdits, apply_geometry, sidecar_path

    src = tmp_path / "in"
    src.mkdir()
    rng = np.random.default_rng(1)
    for name in ("a", "b", "c"):
        Image.fromarray((rng.random((40, 60, 3)) * 50).astype(np.uint8)).save(src / f"{name}.png")
    store = EditStore(tmp_path / "store")
    own = PhotoEdits(settings=EnhanceSettings(iterations=3, denoise=0.0), quarter_turns=1,
                     crop=Crop(0.0, 0.25, 1.0, 0.75))
    store.save(src / "a.png", own)
    sidecar_path(src / "c.png").write_text("{not json")
    out = tmp_path / "out"
    report = run_batch(discover([src]), enhancer, NIGHT, OutputOptions(out, format="png"),
                       settings_for=store.load)

    a, b, c = report.outcomes
    assert (a.status, b.status, c.status) == ("done", "done", "failed")
    assert "c.png.lowlight.json" in c.reason
    assert a.settings == {**EnhanceSettings(iterations=3, denoise=0.0).by_name(),
                          "quarter_turns": 1, "straighten": 0.0,
                          "crop": [0.0, 0.25, 1.0, 0.75]}
    assert b.settings == EnhanceSettings().by_name()  # no sidecar: the defaults, not NIGHT
    pixels, _ = read_image(src / "a.png")
    expected = enhancer.enhance(apply_geometry(pixels, own), own.settings, threads=1).image
    written, _ = read_image(out / "a_enhanced.png")
    assert written.shape == (30, 40, 3)  # turned a quarter (60x40 -> 40x60), half kept
    assert np.array_equal(written, expected)
    assert report.settings["settings"] == "each photo's own settings"
    saved = json.loads(report.paths[1].read_text())
    assert saved["files"][0]["settings"]["strength"] == 3
    header = report.paths[0].read_text().splitlines()[0].split(",")
    assert "strength" in header and "settings" not in header


def test_a_rerun_with_other_settings_replaces_only_what_they_change(tmp_path, enhancer,
                                                                       capsys):
    """Outputs carry the settings that made them: a rerun with other settings says which
    outputs they would change and replaces those (and only those) when asked."""
    from app.core.media.metadata import output_made_with

    src = _photo(tmp_path / "in")
    Image.open(src / "a.png").save(src / "b.png")
    out = tmp_path / "out"
    run_batch(discover([src]), enhancer, NIGHT, OutputOptions(out, format="png"))
    assert output_made_with(out / "a_enhanced.png").startswith("exposure=0.6, strength=5")
    # b alone is made again with other settings
    gentle = EnhanceSettings(iterations=2)
    run_batch(discover([src / "b.png"]), enhancer, gentle,
              OutputOptions(out, format="png", overwrite=True))
    before = (out / "a_enhanced.png").read_bytes()

    same = run_batch(discover([src]), enhancer, gentle, OutputOptions(out, format="png"))
    assert [(o.status, o.reason) for o in same.outcomes] == [
        ("skipped", "output exists, made with other settings"), ("skipped", "output exists")]
    again = run_batch(discover([src]), enhancer, gentle,
                      OutputOptions(out, format="png", replace_changed=True))
    assert [o.status for o in again.outcomes] == ["done", "skipped"]
    assert (out / "a_enhanced.png").read_bytes() != before
    assert output_made_with(out / "a_enhanced.png").startswith("exposure=auto, strength=2")

    # the CLI: plain lines in a log (no bar redraws), the changed outputs named, the flag
    capsys.readouterr()
    assert cli(["batch", str(src), "-o", str(out), "--format", "png"]) == 0
    err = capsys.readouterr().err
    assert "\r" not in err
    assert f"[1/2] skipped: {src / 'a.png'}" in err and "[2/2] skipped" in err
    assert "2 earlier output(s) made with other settings kept; --replace-changed" in err
    assert cli(["batch", str(src), "-o", str(out), "--format", "png",
                "--replace-changed"]) == 0
    assert "2 done, 0 skipped" in capsys.readouterr().out


def test_a_video_carries_its_settings_and_a_rerun_with_others_replaces_it(tmp_path, enhancer):
    """Videos are tagged with the settings that made them too (their container's comment):
    a rerun with other settings finds them changed, and replaces them when asked."""
    from clips import make_clip

    from app.core.media.video import video_made_with

    src = tmp_path / "in"
    src.mkdir()
    make_clip(src / "dusk.mp4", frames=8, audio=False)
    out = tmp_path / "out"
    run_batch(discover([src]), enhancer, NIGHT, OutputOptions(out))
    target = out / "dusk_enhanced.mp4"
    assert video_made_with(target).startswith("exposure=0.6, strength=5")
    assert video_made_with(src / "dusk.mp4") is None  # not ours
    gentle = EnhanceSettings(iterations=2)
    same = run_batch(discover([src]), enhancer, gentle, OutputOptions(out))
    assert [(o.status, o.reason) for o in same.outcomes] == [
        ("skipped", "output exists, made with other settings")]
    again = run_batch(discover([src]), enhancer, gentle, OutputOptions(out, replace_changed=True))
    assert [o.status for o in again.outcomes] == ["done"]
    assert video_made_with(target).startswith("exposure=auto, strength=2")
    unchanged = run_batch(discover([src]), enhancer, gentle, OutputOptions(out))
    assert [(o.status, o.reason) for o in unchanged.outcomes] == [("skipped", "output exists")]
