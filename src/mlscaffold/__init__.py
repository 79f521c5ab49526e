"""mlscaffold: start, run and keep up to date ML projects laid out across six stages."""

from typing import Any

import pluggy

#: Marks a plugin's hook implementations: ``from mlscaffold import hookimpl``.
hookimpl = pluggy.HookimplMarker("mlscaffold")

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # The version is looked up on first use: importing importlib.metadata costs more than
    # everything else `mlscaffold status` does, and most commands never print it.
    if name != "__version__":
        raise AttributeError(f"module 'mlscaffold' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("mlscaffold")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0"
    globals()["__version__"] = found
    return found
