"""Workloads on Dask (mlscaffold-dask plugin): batch prediction and hyperparameter search.

The same code runs on a LocalCluster on this machine or on a real cluster when
configs/compute.toml (or DASK_SCHEDULER_ADDRESS) names a scheduler.
"""
