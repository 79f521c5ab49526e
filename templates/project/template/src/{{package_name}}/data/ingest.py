"""Ingest raw data: an immutable snapshot of the source, plus the new windows that retraining
added, each identified by its content hash.

data/raw/dataset.csv is what the source said when it was last ingested; when the source
changes (another file in [data] source, or new rows in it), the snapshot is taken again and
the manifest says so. Editing a snapshot by hand is refused: models are traceable to their
data only while raw files stay as they were written.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
from typing import Any

import pandas as pd

from ..config import Paths
from ..errors import ProjectError
from .dataset import load_source

RAW_FILE = "dataset.csv"
MANIFEST = "dataset.json"
WINDOWS = "windows"


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _checked(path, expected: str | None) -> bytes:
    content = path.read_bytes()
    if expected != sha256(content):
        raise ProjectError(
            f"{path} no longer matches the hash recorded in {MANIFEST}: raw data is "
            "immutable; restore it, or move data/raw away to ingest again"
        )
    return content


def ingest(paths: Paths, data_cfg: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The snapshot of the source and every added window, as one frame, and the manifest."""
    raw, manifest_path = paths.raw / RAW_FILE, paths.raw / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    if raw.is_file():
        _checked(raw, manifest.get("sha256"))
    frame, source = load_source(paths, data_cfg)
    content = frame.to_csv(index=False).encode()
    if manifest.get("sha256") != sha256(content) or not raw.is_file():
        previous = manifest.get("sha256")
        manifest = {
            "source": source,
            "file": RAW_FILE,
            "sha256": sha256(content),
            "rows": len(frame),
            "columns": list(frame.columns),
            "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "previous_sha256": previous,
            "windows": manifest.get("windows", []),
        }
        paths.raw.mkdir(parents=True, exist_ok=True)
        raw.write_bytes(content)
    parts = [pd.read_csv(io.BytesIO(content))]
    for window in manifest.get("windows", []):
        window_content = _checked(paths.raw / window["file"], window["sha256"])
        parts.append(pd.read_csv(io.BytesIO(window_content)))
    manifest["data_sha256"] = data_version(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return pd.concat(parts, ignore_index=True), manifest


def data_version(manifest: dict[str, Any]) -> str:
    """The snapshot's hash, or with added windows a hash over all of theirs."""
    windows = [window["sha256"] for window in manifest.get("windows", [])]
    if not windows:
        return manifest["sha256"]
    return sha256(" ".join([manifest["sha256"], *windows]).encode())


def add_window(paths: Paths, frame: pd.DataFrame) -> dict[str, Any]:
    """Keep a window of new labelled rows in data/raw/windows; the next ingest includes it."""
    manifest_path = paths.raw / MANIFEST
    if not manifest_path.is_file():
        raise ProjectError(f"{manifest_path} is missing: run `make data` first")
    manifest = json.loads(manifest_path.read_text())
    missing = [c for c in manifest["columns"] if c not in frame.columns]
    extra = [c for c in frame.columns if c not in manifest["columns"]]
    if missing or extra:
        raise ProjectError(
            f"the new data must have the columns of the source: missing {missing}, extra {extra}"
        )
    content = frame[manifest["columns"]].to_csv(index=False).encode()
    digest = sha256(content)
    if any(window["sha256"] == digest for window in manifest.get("windows", [])):
        raise ProjectError("this window was added before: retraining needs new rows")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"{WINDOWS}/{stamp}-{digest[:8]}.csv"
    (paths.raw / WINDOWS).mkdir(parents=True, exist_ok=True)
    (paths.raw / name).write_bytes(content)
    window = {"file": name, "sha256": digest, "rows": len(frame), "added_at": stamp}
    manifest.setdefault("windows", []).append(window)
    manifest["data_sha256"] = data_version(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return window


def remove_window(paths: Paths, window: dict[str, Any]) -> None:
    """Undo ``add_window``: a retraining that failed leaves the raw data as it was."""
    manifest_path = paths.raw / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["windows"] = [w for w in manifest["windows"] if w["sha256"] != window["sha256"]]
    manifest["data_sha256"] = data_version(manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    (paths.raw / window["file"]).unlink(missing_ok=True)
