"""The shared fact kinds of the project index: name -> how to gather it from one file.

A project rule names the kinds it needs (`ProjectRule.needs`); the index gathers only those,
per file, and caches each under the file's content (a save re-gathers one file). A kind is a
function of one `SourceFile` returning an immutable, picklable value (or None: nothing there).
Its version is part of the cache key: bump it when the function changes what it returns.
(CLONES and the env reads are gathered by the index itself: `server/project.py`.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rules.api.project import EFFECTS, MODELS, ROUTES, SYMBOLS, SourceFile


@dataclass(frozen=True, slots=True)
class FactKind:
    name: str
    gather: Callable[[SourceFile], object | None]
    version: int = 1


def _symbols(file: SourceFile) -> object | None:
    from rules.api.symbols import collect_symbols

    return collect_symbols(file)


def _effects(file: SourceFile) -> object | None:
    from rules.api.effects import collect_effects

    return collect_effects(file)


def _models(file: SourceFile) -> object | None:
    from rules.api.models import collect_models

    return collect_models(file)


def _routes(file: SourceFile) -> object | None:
    from rules.api.routes import collect_routes

    return collect_routes(file)


KINDS: dict[str, FactKind] = {
    kind.name: kind
    for kind in (
        FactKind(SYMBOLS, _symbols, version=1),
        FactKind(MODELS, _models, version=3),
        FactKind(EFFECTS, _effects, version=1),
        FactKind(ROUTES, _routes, version=1),
    )
}
