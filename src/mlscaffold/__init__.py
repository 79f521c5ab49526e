"""mlscaffold: start, run and keep up to date ML projects laid out across six stages."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mlscaffold")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
