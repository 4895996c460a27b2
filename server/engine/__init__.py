"""The engine: which rules run on what, with caching and crash isolation.

    core.py        Engine, the thin facade the LSP layer, the CLI and the tests use
    model.py       Snapshot in; Diagnostic (one finding shape), RuleCrash, Analysis out; FixTable
    python.py      the Python tier: `ast` first, triggers, libcst only where wanted, module rules
    walk.py        one guarded walk of a block's tree for the rules that want it
    configs.py     the config-file tier (docker-compose, requirements, nginx, .env.example)
    projects.py    the project tier (project rules over the project index)
    fixbuilder.py  fix edits, built when asked
    guard.py       the crash guard every tier uses
    cache.py       a bounded LRU
"""

from server.engine.core import Engine
from server.engine.model import (
    Analysis,
    Diagnostic,
    FixHandle,
    FixRef,
    FixTable,
    Parsed,
    RelatedSpan,
    RuleCrash,
    Snapshot,
    SyntaxIssue,
    Tier,
)
from server.engine.projects import all_project_rules

__all__ = [
    "Analysis",
    "Engine",
    "Diagnostic",
    "FixHandle",
    "FixRef",
    "FixTable",
    "Parsed",
    "RelatedSpan",
    "RuleCrash",
    "Snapshot",
    "SyntaxIssue",
    "Tier",
    "all_project_rules",
]
