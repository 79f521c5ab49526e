"""Ingest raw data once: raw files are immutable and identified by their content hash."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pandas as pd

from ..config import Paths
from ..errors import ProjectError
from .dataset import load_bundled, source_name

RAW_FILE = "dataset.csv"
MANIFEST = "dataset.json"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def ingest(paths: Paths, data_cfg: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Write the source data to data/raw once; later runs read it back and check its hash."""
    raw, manifest_path = paths.raw / RAW_FILE, paths.raw / MANIFEST
    if raw.is_file():
        content = raw.read_bytes()
        manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
        if manifest.get("sha256") != sha256(content):
            raise ProjectError(
                f"{raw} no longer matches the hash recorded in {manifest_path.name}: raw data is "
                "immutable; restore it, or move both files away to ingest again"
            )
        return pd.read_csv(io.BytesIO(content)), manifest
    frame = load_bundled(data_cfg["dataset"], data_cfg["target"])
    content = frame.to_csv(index=False).encode()
    manifest = {
        "source": source_name(data_cfg["dataset"]),
        "file": RAW_FILE,
        "sha256": sha256(content),
        "rows": len(frame),
        "columns": list(frame.columns),
    }
    paths.raw.mkdir(parents=True, exist_ok=True)
    raw.write_bytes(content)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return pd.read_csv(io.BytesIO(content)), manifest
