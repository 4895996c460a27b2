"""reviewls: the language server, the engine and the CLI. Knows no individual rule."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("reviewls")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+source"
