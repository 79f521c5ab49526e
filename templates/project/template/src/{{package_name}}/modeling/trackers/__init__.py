"""Experiment trackers: every module in this package is one.

A tracker module defines ``record(paths, event, payload, metadata) -> str | None``, called
after ``train`` (event "train": parameters, validation metrics, data hash, model file),
``evaluate`` ("evaluate": test metrics) and ``promote`` ("promote": the promotion). What it
returns after "train" (e.g. a run id) is kept in models/metadata.json under ``tracking``.
A tracker that is also a model registry defines ``deployment(paths)``, returning the
deployed ``serving.deployment.Deployment`` (or None when it has no store to ask): then
serving, batch scoring and the business report load what the registry says.
Plugins such as mlscaffold-mlflow add their module here.
"""
