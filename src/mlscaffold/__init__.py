"""mlscaffold: start, run and keep up to date ML projects laid out across six stages."""

from importlib.metadata import PackageNotFoundError, version

import pluggy

try:
    __version__ = version("mlscaffold")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

#: Marks a plugin's hook implementations: ``from mlscaffold import hookimpl``.
hookimpl = pluggy.HookimplMarker("mlscaffold")

__all__ = ["__version__", "hookimpl"]
