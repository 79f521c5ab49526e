"""Where the project's files live and what its configuration says."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ProjectError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

# Tests and tools point the code at another copy of the project with this variable.
ROOT_ENV = "PROJECT_ROOT"


@dataclass(frozen=True)
class Paths:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def figures(self) -> Path:
        return self.reports / "figures"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def stages(self) -> Path:
        return self.root / "stages"

    def config(self, name: str) -> dict[str, Any]:
        path = self.root / "configs" / f"{name}.toml"
        try:
            with path.open("rb") as handle:
                return tomllib.load(handle)
        except FileNotFoundError:
            raise ProjectError(f"{path} is missing: restore it from git") from None
        except tomllib.TOMLDecodeError as error:
            raise ProjectError(f"{path} is not valid TOML: {error}") from None

    def split(self, name: str) -> Path:
        return self.processed / f"{name}.csv"


def project_paths(root: Path | str | None = None) -> Paths:
    """The project at ``root``, else at $PROJECT_ROOT, else the current folder."""
    return Paths(Path(root or os.environ.get(ROOT_ENV) or Path.cwd()).resolve())
