"""Joining or starting the Ray cluster a batch runs on. Ray is imported here and in
:mod:`app.core.jobs.cluster` only, lazily: the desktop app does not carry it
(``pip install .[cluster]``). Ctrl+C is the caller's: the CLI's handler calls
``control.interrupt()``, which the cluster batch's wait loop looks at.

A local cluster keeps its sockets, logs and spilled objects in a folder of this user's only
(mode 700), not in Ray's shared ``/tmp/ray``: that one is made world-writable with its
``session_*`` folders by whoever ran Ray first, and another user's stops this one with a
PermissionError."""
from __future__ import annotations

import getpass
import importlib.util
import logging
import os
import stat
import sys
import tempfile
from pathlib import Path

LOCAL_OBJECT_STORE = 100 * 1024 * 1024  # only paths and outcomes travel through it


class ClusterError(RuntimeError):
    """No cluster to run on, or no worker could start."""


def connect(cluster: str, workers: int | None = None) -> bool:
    """Start (``local``) or join (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``) a Ray cluster
    for this process. True if ray.init ran here (the caller shuts it down), False if this
    process was already connected."""
    if cluster.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise ClusterError(f"--cluster {cluster} needs the Ray Client, which this install "
                           "lacks: pip install 'lowlight-studio[cluster]' (or 'ray[client]')")
    temp_dir = None
    if cluster == "local":
        temp_dir = str(private_temp_dir())
        _loopback_only()
        # Ray nices its workers to 15 so that its own daemons stay responsive on busy nodes;
        # on the user's own machine the workers get the local batch's priority instead.
        os.environ.setdefault("RAY_worker_niceness", "0")
    import ray

    if ray.is_initialized():
        return False
    kwargs = dict(logging_level=logging.WARNING, configure_logging=False)
    try:
        if cluster == "local":
            # "local": always a new instance, never a `ray start` cluster found on this machine
            ray.init(address="local", num_cpus=workers or os.cpu_count() or 1,
                     include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE,
                     _temp_dir=temp_dir, **kwargs)
        else:
            ray.init(address=cluster, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Ray cluster {cluster!r}: {exc} (start one with "
                           "`ray start --head`, or use --cluster local)") from None
    return True


def _loopback_only() -> None:
    """A local cluster listens on 127.0.0.1 only. By default Ray on Linux advertises the
    machine's network address and listens on every interface; this switch (read when Ray is
    imported, so also set on the loaded module) makes it use the loopback address."""
    os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    import ray._private.ray_constants as constants

    constants.ENABLE_RAY_CLUSTER = False


def private_temp_dir(base: str | os.PathLike | None = None) -> Path:
    """This user's folder for a local Ray (made 700), under ``RAY_TMPDIR`` when set, else
    under /tmp like Ray's own (Ray's socket paths must stay short: a macOS $TMPDIR is too
    long). Refused by name if it cannot be made, is a link, or is another user's."""
    base = Path(base or os.environ.get("RAY_TMPDIR") or (
        "/tmp" if sys.platform != "win32" else tempfile.gettempdir()))
    user = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    folder = base / f"lowlight-ray-{user}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode):
            raise ClusterError(f"Ray's temporary folder {folder} is not a folder (a link or a "
                               "file is in its place); remove it or set RAY_TMPDIR")
        if hasattr(os, "getuid") and info.st_uid != os.getuid():
            raise ClusterError(f"Ray's temporary folder {folder} belongs to another user; "
                               "set RAY_TMPDIR to a folder of yours")
        if stat.S_IMODE(info.st_mode) != 0o700:
            folder.chmod(0o700)
        probe = tempfile.NamedTemporaryFile(dir=folder)  # writable, also for root squash
        probe.close()
    except OSError as exc:
        raise ClusterError(f"cannot use {folder} for Ray's temporary files: "
                           f"{exc.strerror or exc} (set RAY_TMPDIR to a writable folder)"
                           ) from None
    return folder
