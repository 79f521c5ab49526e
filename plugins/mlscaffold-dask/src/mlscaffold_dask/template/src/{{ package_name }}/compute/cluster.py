"""The Dask client: a real cluster when one is configured, else a LocalCluster here."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from distributed import Client, LocalCluster

from ..config import Paths
from ..errors import ProjectError

# Dask's own variable for the scheduler, so one setting serves this project and Dask's tools.
ADDRESS_ENV = "DASK_SCHEDULER_ADDRESS"


def settings(paths: Paths) -> dict[str, Any]:
    return paths.config("compute")["dask"]


def scheduler_address(paths: Paths) -> str:
    """The scheduler to connect to; empty means a LocalCluster on this machine."""
    return os.environ.get(ADDRESS_ENV) or settings(paths)["address"]


@contextmanager
def connect(paths: Paths) -> Iterator[Client]:
    """A client of the configured cluster, or of a LocalCluster that is closed on exit."""
    address = scheduler_address(paths)
    if address:
        try:
            client = Client(address)
        except OSError as error:
            raise ProjectError(
                f"cannot reach the Dask scheduler at {address} ({error}): start it with "
                f"`dask scheduler`, or empty `address` in configs/compute.toml and unset "
                f"{ADDRESS_ENV} to run on this machine"
            ) from None
        with client:
            yield client
        return
    cfg = settings(paths)
    # Worker processes, on the loopback interface only; ":0" picks a free dashboard port so
    # that two local runs (or a notebook's cluster) never clash on 8787.
    with (
        LocalCluster(
            n_workers=cfg["n_workers"],
            threads_per_worker=cfg["threads_per_worker"],
            memory_limit=cfg["memory_limit"],
            processes=True,
            host="127.0.0.1",
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
