"""Where the data comes from: the team's own CSV/Parquet files, or a starter data set that
ships inside scikit-learn (nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.datasets import load_breast_cancer, load_diabetes

from ..config import Paths
from ..errors import ProjectError

LOADERS = {"breast_cancer": load_breast_cancer, "diabetes": load_diabetes}
READERS = {".csv": pd.read_csv, ".parquet": pd.read_parquet}


def load_bundled(name: str, target: str) -> pd.DataFrame:
    if name not in LOADERS:
        raise ProjectError(f"unknown dataset {name!r} in configs/project.toml: use {list(LOADERS)}")
    frame = LOADERS[name](as_frame=True).frame
    return frame.rename(columns={"target": target})


def source_name(name: str) -> str:
    return f"sklearn.datasets.{LOADERS[name].__name__}"


def source_files(paths: Paths, source: str) -> list[Path]:
    """The files behind ``[data] source``: one file, or every CSV/Parquet file of a folder."""
    path = paths.root / source
    if not path.exists():
        raise ProjectError(
            f"[data] source {source!r} in configs/project.toml does not exist: put the file "
            "there, or fix the path (it is relative to the project folder)"
        )
    files = sorted(f for f in path.iterdir() if f.suffix in READERS) if path.is_dir() else [path]
    if not files:
        raise ProjectError(f"{source!r} holds no .csv or .parquet file")
    for file in files:
        if file.suffix not in READERS:
            raise ProjectError(f"{file.name}: [data] source must be a .csv or .parquet file")
    return files


def read_file(path: Path) -> pd.DataFrame:
    if path.suffix not in READERS:
        raise ProjectError(f"{path.name}: data must be a .csv or .parquet file")
    try:
        return READERS[path.suffix](path)
    except ImportError:  # pandas reads Parquet through pyarrow, which it does not install
        raise ProjectError(f"reading {path.name} needs pyarrow: pip install pyarrow") from None
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise ProjectError(f"{path.name} cannot be read: {error}") from None


def load_source(paths: Paths, data_cfg: dict[str, Any]) -> tuple[pd.DataFrame, str]:
    """The configured data as one frame, and a name for where it came from."""
    source = data_cfg.get("source") or ""
    if not source:
        name = data_cfg["dataset"]
        return load_bundled(name, data_cfg["target"]), source_name(name)
    files = source_files(paths, source)
    frames = [read_file(file) for file in files]
    columns = list(frames[0].columns)
    for file, frame in zip(files[1:], frames[1:], strict=True):
        if list(frame.columns) != columns:
            raise ProjectError(
                f"{file.name} has other columns than {files[0].name}: the files of a source "
                "folder must share one header"
            )
    frame = pd.concat(frames, ignore_index=True)
    if data_cfg["target"] not in frame.columns:
        raise ProjectError(
            f"target {data_cfg['target']!r} is not a column of {source}: set [data] target in "
            f"configs/project.toml to one of {columns}"
        )
    return frame, source
