"""The starter data: a dataset that ships inside scikit-learn, so nothing is downloaded."""

from __future__ import annotations

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes

from ..errors import ProjectError

LOADERS = {"breast_cancer": load_breast_cancer, "diabetes": load_diabetes}


def load_bundled(name: str, target: str) -> pd.DataFrame:
    if name not in LOADERS:
        raise ProjectError(f"unknown dataset {name!r} in configs/project.toml: use {list(LOADERS)}")
    frame = LOADERS[name](as_frame=True).frame
    return frame.rename(columns={"target": target})


def source_name(name: str) -> str:
    return f"sklearn.datasets.{LOADERS[name].__name__}"
