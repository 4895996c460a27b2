"""Project rules: checks that need more than one file, run on save and in `--check`.

The engine's project index gathers facts per file (recomputed only for files that changed)
and hands rules a `ProjectFacts` view; rules report against any file of the project.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from rules.api.configdata import DotenvFile, FileKind
from rules.api.context import Role, roles_for_path
from rules.api.rule import RuleBase
from rules.api.types import Fix, Scope, Severity, Span


@dataclass(frozen=True, slots=True)
class EnvUse:
    """A read of an environment variable with a literal name, in a Python file."""

    path: str
    key: str
    span: Span


@dataclass(frozen=True, slots=True)
class EnvExample:
    """A `.env.example`-style file: its keys, and where a new key would go."""

    path: str
    data: DotenvFile
    end: Span  # an empty range at the end of the file
    ends_with_newline: bool


@dataclass(frozen=True, slots=True)
class CloneWindow:
    """A run of statements of at least CLONE_MIN_LINES logical lines, and the digest of its
    shape: the same digest means the same code once identifiers and literals are erased."""

    path: str
    span: Span
    digest: str
    lines: int  # logical lines (statements, nested ones included)


# what a project rule can ask the index to gather besides the layout (ProjectRule.needs): the
# names of the shared fact kinds (`rules/api/facts.py`), gathered per file only when a rule needs them
CLONES = "clones"
SYMBOLS = "symbols"
MODELS = "models"
EFFECTS = "effects"
ROUTES = "routes"
CLONE_MIN_LINES = 6


@dataclass(frozen=True, slots=True)
class ProjectFacts:
    root: str
    env_uses: tuple[EnvUse, ...]
    env_examples: tuple[EnvExample, ...]
    python_files: tuple[str, ...]  # paths relative to the root, posix
    packages: tuple[str, ...]  # folders with an __init__.py or Python files, relative, posix
    clones: tuple[CloneWindow, ...] = ()  # only when an enabled rule needs CLONES


class SourceFile:
    """One file of the project as `collect()` and the fact kinds see it: its text, and its `ast`
    tree parsed at most once for all of them (None when it does not parse)."""

    __slots__ = ("path", "module", "kind", "text", "_tree", "_parsed")

    def __init__(self, path: str, text: str, kind: FileKind = FileKind.PYTHON) -> None:
        self.path = path  # relative to the project root, posix
        self.module = module_name(path) if kind is FileKind.PYTHON else ""
        self.kind = kind
        self.text = text
        self._tree: ast.Module | None = None
        self._parsed = False

    @property
    def roles(self) -> frozenset[Role]:
        return roles_for_path(self.path)

    def tree(self) -> ast.Module | None:
        if not self._parsed:
            self._parsed = True
            try:
                self._tree = ast.parse(self.text, self.path)
            except (SyntaxError, ValueError):  # a file being typed, NUL bytes: no facts from it
                self._tree = None
        return self._tree


def module_name(path: str) -> str:
    """`app/repos/users.py` -> `app.repos.users`; `app/__init__.py` -> `app` (a `src/` layout
    keeps its `src.` prefix here; `ProjectView.module_path` also tries without it)."""
    stem = path.rsplit(".", 1)[0] if path.endswith((".py", ".pyi")) else path
    parts = [p for p in stem.split("/") if p]
    if parts and parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@dataclass(frozen=True, slots=True)
class RelatedPlace:
    """Another place a project finding points at (LSP relatedInformation), in any file."""

    path: str
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class ProjectReport:
    path: str
    span: Span
    message: str
    fix: Fix | None
    severity: Severity | None = None  # lower than the rule's when only likely
    related: tuple[RelatedPlace, ...] = ()


@dataclass(frozen=True)
class ProjectView(ProjectFacts):
    """What `ProjectRule.check` sees: the layout and env facts, the settings modules, and per fact
    kind (a shared kind such as SYMBOLS, or one rule's own `collect`) the value of every file that has one."""

    settings_modules: tuple[str, ...] = ()
    kinds: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def facts(self, kind: str) -> Mapping[str, Any]:
        """path -> this kind's value for the file (files without one are absent)."""
        return self.kinds.get(kind, {})

    def collected(self, rule: ProjectRule) -> Mapping[str, Any]:
        """path -> what `rule.collect` returned for the file (None results are absent)."""
        return self.facts(collect_kind(type(rule)))

    def module_path(self, module: str) -> str | None:
        """The project file a dotted module name is (`app.repos.users` -> `app/repos/users.py`),
        also under a `src/` layout or a folder holding a `manage.py`; None when the module is not
        the project's."""
        base = module.replace(".", "/")
        files = self._files()
        for prefix in ("", "src/", *self._source_roots()):
            for candidate in (f"{prefix}{base}.py", f"{prefix}{base}/__init__.py", f"{prefix}{base}.pyi"):
                if candidate in files:
                    return candidate
        return None

    def _source_roots(self) -> tuple[str, ...]:
        """Folders holding a `manage.py` (Django puts its folder on `sys.path`: label-studio's apps
        are imported as `organizations.urls` from `label_studio/`), as path prefixes."""
        cached: tuple[str, ...] | None = self.__dict__.get("_roots")
        if cached is None:
            cached = tuple(sorted(p[: -len("manage.py")] for p in self.python_files if p.endswith("/manage.py")))
            object.__setattr__(self, "_roots", cached)
        return cached

    def _files(self) -> frozenset[str]:
        cached: frozenset[str] | None = self.__dict__.get("_file_set")
        if cached is None:
            cached = frozenset(self.python_files)
            object.__setattr__(self, "_file_set", cached)
        return cached


def collect_kind(rule: type[ProjectRule]) -> str:
    """The fact kind under which the index caches one rule's `collect` results."""
    return f"rule:{rule.__module__}.{rule.__qualname__}"


class ProjectRule(RuleBase):
    """A rule over the whole project: `collect` gathers what it needs from each file (cached by the
    index under the file's content, so a save re-collects one file) and `check` decides over all.

    A rule whose own code has an edit-tier part too (RV501: one module on every keystroke, across
    files on save) declares its project part as a ProjectRule with `part_of` = the edit rule:
    it shares that rule's metadata, selection and options and is not listed as a rule of its own.
    """

    SCOPE = Scope.PROJECT

    # shared fact kinds the index must gather for this rule (CLONES, SYMBOLS, ...: rules/api/facts.py)
    needs: ClassVar[frozenset[str]] = frozenset()
    # the edit rule this is the project part of (None: a project rule of its own)
    part_of: ClassVar[type[RuleBase] | None] = None
    # bump when `collect` changes what it returns: cached results of an older version are stale
    collect_version: ClassVar[int] = 1

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.project_reports: list[ProjectReport] = []
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def collect(self, file: SourceFile) -> object | None:
        """This rule's facts of one file (immutable and picklable: the index caches them on disk
        for `--check`), or None when the file has nothing for it. Runs without the project: it
        must not look at other files. The default gathers nothing."""
        return None

    def check(self, facts: ProjectView) -> None:
        raise NotImplementedError

    def report_file(
        self,
        path: str,
        span: Span,
        message: str,
        *,
        fix: Fix | None = None,
        severity: Severity | None = None,
        related: tuple[RelatedPlace, ...] = (),
    ) -> None:
        self.project_reports.append(ProjectReport(path, span, message, fix, severity, related))
