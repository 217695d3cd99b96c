"""Joining or starting the Ray cluster a batch runs on. Ray is imported here and in
:mod:`app.core.jobs.cluster` only, lazily: the desktop app does not carry it
(``pip install .[cluster]``). Ctrl+C is the caller's: the CLI's handler calls
``control.interrupt()``, which the cluster batch's wait loop looks at."""
from __future__ import annotations

import logging
import os

LOCAL_OBJECT_STORE = 100 * 1024 * 1024  # only paths and outcomes travel through it


class ClusterError(RuntimeError):
    """No cluster to run on, or no worker could start."""


def connect(cluster: str, workers: int | None = None) -> bool:
    """Start (``local``) or join (``auto``, ``ray://HOST:PORT``, ``HOST:PORT``) a Ray cluster
    for this process. True if ray.init ran here (the caller shuts it down), False if this
    process was already connected."""
    if cluster == "local":
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
                     include_dashboard=False, object_store_memory=LOCAL_OBJECT_STORE, **kwargs)
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
