"""A photo's own edits: sidecar beside it, the app's store for read-only folders, geometry."""
import json
import os

import numpy as np
import pytest

from app.core.photo_edits import (
    Crop,
    EditsError,
    EditStore,
    PhotoEdits,
    apply_geometry,
    sidecar_path,
)
from app.core.settings import EnhanceSettings


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "night.jpg"
    path.write_bytes(b"original bytes")
    return path


def test_edits_round_trip_through_the_sidecar_and_leave_the_photo_alone(photo, tmp_path):
    store = EditStore(tmp_path / "store")
    edits = PhotoEdits(EnhanceSettings(exposure=0.5, shadows=0.4), "pick", 4, 1, -2.5,
                       Crop(0.1, 0.0, 0.9, 0.8))
    assert store.save(photo, edits) == sidecar_path(photo)
    assert sidecar_path(photo).name == "night.jpg.lowlight.json"
    assert photo.read_bytes() == b"original bytes"
    assert store.load(photo) == edits.validated()
    assert not (tmp_path / "store").exists()


def test_untouched_photos_get_auto_and_resetting_removes_the_sidecar(photo, tmp_path):
    store = EditStore(tmp_path / "store")
    assert store.load(photo) == PhotoEdits()
    store.save(photo, PhotoEdits(rating=2))
    assert store.save(photo, PhotoEdits()) is None
    assert not sidecar_path(photo).exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_keeps_its_edits_in_the_apps_store(photo, tmp_path):
    store = EditStore(tmp_path / "store")
    os.chmod(photo.parent, 0o555)
    try:
        where = store.save(photo, PhotoEdits(flag="reject"))
        assert where is not None and where.parent == tmp_path / "store"
        assert not sidecar_path(photo).exists()
        assert store.load(photo).flag == "reject"
    finally:
        os.chmod(photo.parent, 0o755)


@pytest.mark.parametrize("text", ["{not json", json.dumps({"format": "other"}),
                                  json.dumps({"format": "lowlight-studio edits",
                                              "rating": 9})])
def test_a_damaged_sidecar_is_named_and_left_as_it_is(photo, tmp_path, text):
    sidecar_path(photo).write_text(text)
    with pytest.raises(EditsError, match="night.jpg.lowlight.json"):
        EditStore(tmp_path / "store").load(photo)
    assert sidecar_path(photo).read_text() == text


def test_geometry_turns_straightens_and_crops():
    image = np.zeros((40, 60, 3), np.uint8)
    image[0, 0] = 255  # top-left marker
    turned = apply_geometry(image, PhotoEdits(quarter_turns=1))
    assert turned.shape == (60, 40, 3) and turned[0, -1, 0] == 255  # now top-right
    straight = apply_geometry(image, PhotoEdits(straighten=10))
    assert straight.shape[0] < 40 and straight.shape[1] < 60
    assert abs(straight.shape[1] / straight.shape[0] - 1.5) < 0.05  # aspect kept
    crop = apply_geometry(image, PhotoEdits(crop=Crop(0.5, 0.5, 1.0, 1.0)))
    assert crop.shape == (20, 30, 3)
