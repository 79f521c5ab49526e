"""mlscaffold: start, run and keep up to date ML projects laid out across six stages."""

from typing import Any

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str) -> Any:
    # Both are made on first use: importing importlib.metadata costs more than everything
    # else `mlscaffold status` does, and pluggy is needed only once plugins load.
    if name == "hookimpl":
        import pluggy

        #: Marks a plugin's hook implementations: ``from mlscaffold import hookimpl``.
        found: Any = pluggy.HookimplMarker("mlscaffold")
    elif name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("ml-lifecycle-scaffold")
        except PackageNotFoundError:  # running from a source tree that was never installed
            found = "0.0.0"
    else:
        raise AttributeError(f"module 'mlscaffold' has no attribute {name!r}")
    globals()[name] = found
    return found
