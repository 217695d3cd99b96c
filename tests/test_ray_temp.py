"""Ray for ``--cluster``: the ``ray://`` client's packages come with the cluster extra, and a
local cluster keeps its files in a folder of this user's only, not in the shared, world-
writable /tmp/ray (issue #23)."""
from __future__ import annotations

import importlib.util
import os
import stat
from pathlib import Path

import pytest

from app.core.jobs import ray_session
from app.core.jobs.ray_session import ClusterError, private_temp_dir

ROOT = Path(__file__).resolve().parent.parent


def test_the_cluster_extra_brings_the_ray_client():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    assert any(req.replace(" ", "").startswith("ray[client]") for req in extras["cluster"])


def test_ray_client_address_without_its_packages_is_named(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(ray_session.importlib.util, "find_spec",
                        lambda name, *a: None if name == "grpc" else real(name, *a))
    with pytest.raises(ClusterError, match=r"ray://h:10001 needs the Ray Client.*ray\[client\]"):
        ray_session.connect("ray://h:10001")


def test_the_temp_folder_is_this_users_only(tmp_path):
    folder = private_temp_dir(tmp_path)
    info = folder.stat()
    assert folder.parent == tmp_path and stat.S_IMODE(info.st_mode) == 0o700
    assert info.st_uid == os.getuid()
    folder.chmod(0o777)  # as Ray leaves /tmp/ray: closed again
    assert private_temp_dir(tmp_path) == folder
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_a_link_or_a_file_in_its_place_is_refused_by_name(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    base = tmp_path / "base"
    base.mkdir()
    (base / f"lowlight-ray-{os.getuid()}").symlink_to(elsewhere)
    with pytest.raises(ClusterError, match="is not a folder"):
        private_temp_dir(base)
    (tmp_path / "file").write_text("")
    with pytest.raises(ClusterError, match=r"cannot use .*\(set RAY_TMPDIR"):
        private_temp_dir(tmp_path / "file")


def test_ray_tmpdir_is_the_base_when_set(tmp_path, monkeypatch):
    monkeypatch.setenv("RAY_TMPDIR", str(tmp_path))
    assert private_temp_dir().parent == tmp_path


@pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="ray is not installed")
def test_a_local_cluster_keeps_its_session_in_that_folder(monkeypatch):
    import ray

    if ray.is_initialized():
        pytest.skip("a Ray session of another test is still open")
    monkeypatch.delenv("RAY_TMPDIR", raising=False)
    assert ray_session.connect("local", workers=1)
    try:
        session = Path(ray._private.worker._global_node.get_session_dir_path())
    finally:
        ray.shutdown()
    assert session.parent == private_temp_dir()  # not /tmp/ray, Ray's own default
