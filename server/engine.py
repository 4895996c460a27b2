"""The engine: which rules run on what, with caching and crash isolation.

Edit tier: for every block of a snapshot, its findings and module-rule facts come from a
cache keyed by (block text, block kind, module context, config); only blocks whose key
changed are parsed (libcst, cached under the text) and visited (one batched traversal for
all rules, each rule's visitor methods guarded separately). Module rules then aggregate the
cached facts. Positions are computed only for the nodes that were reported; fix edits are
built only when asked (`build_fix`).

Save tier: project rules over a project index; the hook is `Engine.check_project`.
"""

from __future__ import annotations

import ast
import dataclasses
import logging
import re
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar, cast

import libcst as cst

from rules.api import (
    BlockView,
    FileRule,
    Fix,
    LazyFix,
    Located,
    ModuleContext,
    ModuleRule,
    Related,
    Report,
    Rule,
    Safety,
    Scope,
    Severity,
    TextEdit,
)
from rules.api.configdata import ConfigRule, FileKind
from rules.api.project import ProjectFacts, ProjectRule
from rules.api.triggers import BlockSummary, ModuleSummary, Searcher
from rules.api.types import Span
from server.blocks import Block, BlockKind, Unit
from server.config import Config
from server.configfiles import ConfigParseError, kind_of
from server.configfiles import read as read_config
from server.context import build_context, unit_facts
from server.locate import Range, locate
from server.suppressions import is_suppressed

logger = logging.getLogger(__name__)
# log records of rule crashes carry this, so the LSP layer can report each (rule, file) once
_CRASH = {"reviewls_crash": True}

K = TypeVar("K")
V = TypeVar("V")


class Tier(StrEnum):
    EDIT = "edit"
    SAVE = "save"


class LRU(Generic[K, V]):
    """A small bounded mapping: memory stays flat on long sessions and big `--check` runs."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)

    def pop(self, key: K) -> None:
        self._data.pop(key, None)

    def clear(self) -> None:
        self._data.clear()


@dataclass(frozen=True, slots=True)
class SyntaxIssue:
    line: int  # relative to the block's first line, 0-based
    col: int
    message: str


@dataclass(slots=True)
class Parsed:
    tree: cst.Module | None
    error: SyntaxIssue | None
    positions: dict[int, Range] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FixHandle:
    """What `build_fix` needs to turn a lazy fix into edits, kept off the finding's identity.

    Python findings carry a lazy fix and their block; config-file findings a ready `Fix`.
    """

    parsed: Parsed | None
    block: Block | None
    block_start: int  # 0-based document line
    lazy: LazyFix | None
    ready: Fix | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    fix_title: str | None = None
    fix_safety: Safety | None = None
    handle: FixHandle | None = field(default=None, compare=False, hash=False, repr=False)
    related: tuple[RelatedSpan, ...] = ()


@dataclass(frozen=True, slots=True)
class RelatedSpan:
    """Another place in the same document a finding points at."""

    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class RuleCrash:
    code: str
    path: str
    line: int
    error: str


@dataclass(frozen=True, slots=True)
class _RelFinding:
    code: str
    message: str
    line: int  # 0-based, relative to the block
    col: int
    end_line: int
    end_col: int
    lazy: LazyFix | None
    severity: Severity | None = None  # the report's own (a finding that is only likely), else the rule's


@dataclass(frozen=True, slots=True)
class _BlockResult:
    parsed: Parsed
    findings: tuple[_RelFinding, ...]
    facts: Mapping[str, tuple[object, ...]]
    crashes: tuple[tuple[str, int, str], ...]  # code, relative line, error text


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An immutable view of one document version, safe to analyse on a worker thread."""

    path: str
    version: int | None
    lines: tuple[str, ...]
    units: tuple[Unit, ...]

    def blocks(self) -> list[tuple[int, Block]]:
        return [(unit.start + block.offset, block) for unit in self.units for block in unit.blocks]


@dataclass(frozen=True)
class Analysis:
    path: str
    version: int | None
    findings: tuple[Finding, ...]
    crashes: tuple[RuleCrash, ...]
    syntax_errors: tuple[Span, ...]
    blocks_run: int  # blocks whose rules ran (not served from cache)


# a module that wakes most rules' triggers (analysed once at server start, then forgotten)
_WARM_UP = """import logging
import os
import requests
from django.urls import path

logger = logging.getLogger(__name__)
API_KEY = os.environ.get("API_TOKEN", "changeme")  # TODO: remove


class Service:
    def __init__(self, client):
        self.client = client

    async def fetch(self, url):
        try:
            return requests.get(url)
        except Exception:
            pass

    async def fetch(self, url):
        # x = compute(url)
        for item in url:
            print(item.objects.count())
        logger.info(f"done {url}")


urlpatterns = [path("<int:pk>/", Service), path("stats/", Service)]
"""
_CLASS_NAME = re.compile(r"^[ \t]*class\s+(\w+)", re.M)


class _Broken:
    """A block CPython's parser rejects: no trigger can judge it, so every rule looks (libcst decides)."""


_BROKEN = _Broken()
_NOTHING = _BlockResult(Parsed(None, None), (), {}, ())  # a block no rule wants: not parsed at all
_UNKEPT = Parsed(None, None)  # a block whose rules found nothing: its tree was let go


@dataclass(frozen=True, slots=True)
class _BlockRef:
    start: int
    block: Block
    parsed: Parsed


@dataclass(frozen=True, slots=True)
class _Seen:
    """A block as the last analysis of its document left it: reused while it does not move."""

    block: Block
    token: int
    wanted: tuple[type[Rule], ...]
    result: _BlockResult
    start: int
    findings: tuple[Finding, ...]
    crashes: tuple[RuleCrash, ...]
    facts: Mapping[str, tuple[Located[object], ...]]


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


def _visitor_names(rule: type[Rule]) -> tuple[str, ...]:
    """Names of the visit_/leave_ methods a rule class really defines (computed once)."""
    names = _VISITOR_NAMES.get(rule)
    if names is None:
        names = tuple(
            name
            for name in dir(rule)
            if (name.startswith("visit_") or name.startswith("leave_"))
            and not getattr(getattr(rule, name), "_is_no_op", False)
        )
        _VISITOR_NAMES[rule] = names
    return names


class _Dispatch:
    """The visitor table of one rule set, built once: node type -> (rule index, method) pairs.

    A block's walk calls each method on that block's rule instances; one guard per call drops a
    rule that raises for the rest of that block only (Python 3.11's `try` costs nothing until
    something raises), so one bad rule never costs the others their findings.
    """

    def __init__(self, rules: Sequence[type[Rule]]) -> None:
        self.table: dict[str, list[tuple[int, Callable[[Rule, cst.CSTNode], object]]]] = {}
        for index, rule in enumerate(rules):
            for name in _visitor_names(rule):
                self.table.setdefault(name, []).append((index, getattr(rule, name)))
        self._by_type: dict[type, tuple[tuple[tuple[int, Callable[[Rule, cst.CSTNode], object]], ...], ...]] = {}

    def methods(self, cls: type) -> tuple[tuple[tuple[int, Callable[[Rule, cst.CSTNode], object]], ...], ...]:
        found = self._by_type.get(cls)
        if found is None:
            name = cls.__name__
            found = (tuple(self.table.get("visit_" + name, ())), tuple(self.table.get("leave_" + name, ())))
            self._by_type[cls] = found
        return found


@dataclass(slots=True)
class _Walk:
    """One block's walk: the rule instances and, per rule, its error (traceback, node) if it raised."""

    dispatch: _Dispatch
    instances: Sequence[Rule]
    failed: list[tuple[str, cst.CSTNode] | None]

    def call(self, entries: Sequence[tuple[int, Callable[[Rule, cst.CSTNode], object]]], node: cst.CSTNode) -> None:
        failed = self.failed
        for index, method in entries:
            if failed[index] is None:
                try:
                    method(self.instances[index], node)
                except Exception:  # isolation point: a rule bug must not cost the others
                    failed[index] = (traceback.format_exc(limit=-3), node)

    def walk(self, node: cst.CSTNode) -> None:
        """A read-only traversal: `visit_<Type>` before the children, `leave_<Type>` after.

        libcst's own `visit` rebuilds every node on the way back up (and validates it), which
        costs twice the parse; rules only read, so this walk follows the dataclass fields
        instead. Attribute visitors (`visit_<Type>_<field>`) are not part of the rule SDK.
        """
        cls = type(node)
        visits, leaves = self.dispatch.methods(cls)
        if visits:
            self.call(visits, node)
        for field_name in _CHILD_FIELDS.get(cls) or _child_fields(cls):
            value = getattr(node, field_name)
            kind = type(value)
            if kind is tuple or kind is list:
                for item in value:
                    if _IS_NODE.get(type(item)) or _is_node(type(item)):
                        self.walk(item)
            elif _IS_NODE.get(kind) or (kind not in _IS_NODE and _is_node(kind)):
                self.walk(value)
        if leaves:
            self.call(leaves, node)


def _fact_nodes(value: object) -> Iterator[cst.CSTNode]:
    """The libcst nodes a fact holds (its fields, and the items of tuple or list fields)."""
    if not dataclasses.is_dataclass(value):
        return
    for item in dataclasses.fields(value):
        held = getattr(value, item.name)
        for node in held if isinstance(held, (tuple, list)) else (held,):
            if isinstance(node, cst.CSTNode):
                yield node


def _python_error(text: str) -> SyntaxError | None:
    """CPython's own error for a broken block: better placed and worded than libcst's."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return exc
    except ValueError:
        return None
    return None


_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}
_IS_NODE: dict[type, bool] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls))
        _CHILD_FIELDS[cls] = names
    return names


def _is_node(cls: type) -> bool:
    known = _IS_NODE.get(cls)
    if known is None:
        known = _IS_NODE[cls] = issubclass(cls, cst.CSTNode)  # CSTNode is an ABC: checked once per type
    return known


def _syntax_issue(exc: Exception, prefix_lines: int) -> SyntaxIssue:
    if isinstance(exc, SyntaxError):
        line, col, message = exc.lineno or 1, max((exc.offset or 1) - 1, 0), exc.msg
    else:
        line = getattr(exc, "raw_line", None) or 1
        col = getattr(exc, "raw_column", None) or 0
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
    return SyntaxIssue(max(int(line) - 1 - prefix_lines, 0), int(col), f"syntax error: {message}")


class Engine:
    """Runs the enabled rules over snapshots; knows no rule by name."""

    def __init__(self, config: Config | None = None, *, cache_size: int = 20000, use_triggers: bool = True) -> None:
        self.config = config or Config()
        self._parsed: LRU[str, Parsed] = LRU(cache_size)
        self._results: LRU[tuple[object, ...], _BlockResult] = LRU(cache_size)
        self._enabled: dict[str, tuple[type[Rule], ...]] = {}
        # (context key, rules key) -> small int, so block keys hash cheaply
        self._tokens: dict[tuple[object, ...], int] = {}
        # path -> id(block) -> (block, token, result) of the last analysis of that path
        self._recent: dict[str, dict[int, _Seen]] = {}
        self.parse_calls = 0  # libcst parses done (tests prove block reuse with it)
        self.project_crashes: list[RuleCrash] = []  # of the last `check_project`
        self.use_triggers = use_triggers
        self._summaries: LRU[tuple[str, int], BlockSummary | _Broken] = LRU(cache_size)
        self._dispatches: dict[tuple[type[Rule], ...], _Dispatch] = {}
        self._interest: dict[tuple[type[Rule], ...], tuple[frozenset[str], tuple[Searcher, ...]]] = {}
        self._rule_options: dict[type[Rule], object] = {}

    def clear_caches(self) -> None:
        """Drop parsed trees and results (the CLI does this between files to bound memory)."""
        self._parsed.clear()
        self._results.clear()
        self._recent.clear()
        self._tokens.clear()
        self._summaries.clear()

    def warm_up(self) -> None:
        """Pay one-time costs (rule tables, libcst's node types, first regex uses) up front: a
        language server calls this at start so the first file opened costs what later ones do."""
        from server.documents import Document

        self.analyze(Document("file:///warm-up.py", "warm_up.py", _WARM_UP).snapshot())
        self.clear_caches()

    def set_config(self, config: Config) -> None:
        self.config = config
        self._enabled.clear()
        self._rule_options.clear()
        self._recent.clear()

    def enabled_rules(self, path: str) -> tuple[type[Rule], ...]:
        rules = self._enabled.get(path)
        if rules is None:
            rules = self.config.enabled_rules(path)
            self._enabled[path] = rules
        return rules

    # -- parsing -------------------------------------------------------------------------
    def parse(self, block: Block) -> Parsed:
        text = block.parse_text
        parsed = self._parsed.get(text)
        if parsed is None:
            self.parse_calls += 1
            try:
                parsed = Parsed(cst.parse_module(text), None)
            except cst.ParserSyntaxError as exc:
                parsed = Parsed(None, _syntax_issue(_python_error(text) or exc, block.prefix_lines))
            except (RecursionError, MemoryError, ValueError) as exc:
                parsed = Parsed(None, SyntaxIssue(0, 0, f"cannot parse this block: {type(exc).__name__}"))
            self._parsed.put(text, parsed)
        return parsed

    # -- the edit tier ---------------------------------------------------------------------
    def context(self, snapshot: Snapshot) -> ModuleContext:
        return build_context(snapshot.path, snapshot.units, self.config.settings_modules, self.config.project_settings)

    def analyze(self, snapshot: Snapshot) -> Analysis:
        """Findings of the edit tier (file and module rules) for one snapshot."""
        kind = kind_of(snapshot.path, self.config.file_types)
        if kind is not None and kind is not FileKind.PYTHON:
            return self._analyze_config(snapshot, kind)
        if kind is None and "." in snapshot.path.rsplit("/", 1)[-1]:
            return Analysis(snapshot.path, snapshot.version, (), (), (), 0)  # a file type reviewls does not review
        ctx = self.context(snapshot)
        rules = tuple(
            r
            for r in self.enabled_rules(snapshot.path)
            if r.meta.scope in (Scope.FILE, Scope.MODULE) and not issubclass(r, ConfigRule) and r.applies_to(ctx)
        )
        rules_key = (self.config.key, tuple(r.meta.code for r in rules))
        findings: list[Finding] = []
        crashes: list[RuleCrash] = []
        syntax: list[tuple[Span, str]] = []
        facts: dict[str, list[Located[object]]] = {}
        blocks_run = 0
        token = self._tokens.setdefault((ctx.key, rules_key), len(self._tokens))
        previous = self._recent.get(snapshot.path, {})
        current: dict[int, _Seen] = {}
        placed = snapshot.blocks()
        summaries = [self._summary(block) for _, block in placed]
        signals: tuple[object, ...] = ()
        module: ModuleSummary | None = None
        if self.use_triggers:
            module = self._module_summary(summaries, rules)
            signals = tuple(rule.module_key(module) for rule in rules)
        for (start, block), summary in zip(placed, summaries):
            if module is None or isinstance(summary, _Broken):
                wanted = rules  # no triggers, or `ast` could not read the block: every rule looks
            else:
                wanted = self._wanted_rules(summary, rules, signals, module)
            # unchanged blocks are the same objects from one version to the next: skip hashing their text
            seen = previous.get(id(block))
            if seen is not None and seen.block is block and seen.token == token and seen.wanted == wanted:
                result = seen.result
                if seen.start == start:  # not even shifted: its findings and facts are as they were
                    current[id(block)] = seen
                    findings.extend(seen.findings)
                    crashes.extend(seen.crashes)
                    for code, located in seen.facts.items():
                        facts.setdefault(code, []).extend(located)
                    continue
            else:
                key = (block.parse_text, block.kind, token, wanted)
                cached = self._results.get(key)
                if cached is None:
                    cached = self._run_block(block, ctx, wanted) if wanted else _NOTHING
                    self._results.put(key, cached)
                    blocks_run += 1
                result = cached
            ref = _BlockRef(start, block, result.parsed)
            if result.parsed.error is not None:
                issue = result.parsed.error
                line = start + min(issue.line, max(block.line_count - 1, 0)) + 1
                syntax.append((Span(line, issue.col, line, issue.col + 1), issue.message))
                continue
            entry = _Seen(
                block,
                token,
                wanted,
                result,
                start,
                tuple(self._absolute(rel, ref) for rel in result.findings),
                tuple(RuleCrash(code, snapshot.path, start + rel_line + 1, error) for code, rel_line, error in result.crashes),
                {code: tuple(Located(ref, value) for value in values) for code, values in result.facts.items()},
            )
            current[id(block)] = entry
            findings.extend(entry.findings)
            crashes.extend(entry.crashes)
            for code, located in entry.facts.items():
                facts.setdefault(code, []).extend(located)
        self._recent[snapshot.path] = current
        for rule in rules:
            if issubclass(rule, ModuleRule):
                findings.extend(self._check_module_rule(rule, ctx, facts.get(rule.meta.code, []), crashes, snapshot.path))
        findings = [f for f in findings if not is_suppressed(snapshot.lines, f.span.line, f.code, f.name)]
        if self.config.report_syntax_errors:
            findings.extend(
                Finding("syntax-error", "syntax-error", Severity.ERROR, message, span) for span, message in syntax
            )
        findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))
        errors = tuple(span for span, _ in syntax)
        return Analysis(snapshot.path, snapshot.version, tuple(findings), tuple(crashes), errors, blocks_run)

    def _analyze_config(self, snapshot: Snapshot, kind: FileKind) -> Analysis:
        """A docker-compose, requirements, nginx or .env.example file: typed data, config rules."""
        text = "".join(snapshot.lines)
        try:
            data = read_config(kind, text, snapshot.path)
        except ConfigParseError as exc:
            span = Span(exc.line, exc.col, exc.line, exc.col + 1)
            errors = [Finding("syntax-error", "syntax-error", Severity.ERROR, f"syntax error: {exc.message}", span)]
            return Analysis(snapshot.path, snapshot.version, tuple(errors) if self.config.report_syntax_errors else (), (), (span,), 0)
        findings: list[Finding] = []
        crashes: list[RuleCrash] = []
        ctx = ModuleContext(path=snapshot.path)
        for rule in self.enabled_rules(snapshot.path):
            if not issubclass(rule, ConfigRule) or kind not in rule.kinds:
                continue
            instance = rule(ctx, self.config.options_for(rule))
            try:
                instance.check(data)
            except Exception:  # isolation point
                error = traceback.format_exc(limit=-3)
                crashes.append(RuleCrash(rule.meta.code, snapshot.path, 1, error))
                logger.error("rule %s crashed in %s:\n%s", rule.meta.code, snapshot.path, error, extra=_CRASH)
                continue
            for report in instance.config_reports:
                findings.append(self._ready_finding(rule, report.message, report.span, report.fix, report.severity))
        findings = [f for f in findings if not is_suppressed(snapshot.lines, f.span.line, f.code, f.name)]
        findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))
        return Analysis(snapshot.path, snapshot.version, tuple(findings), tuple(crashes), (), 0)

    def _ready_finding(self, rule: type[Rule], message: str, span: Span, fix: Fix | None, severity: Severity | None = None) -> Finding:
        """A finding of a config or project rule: a range and, if any, an already built fix."""
        return Finding(
            rule.meta.code,
            rule.meta.name,
            self.config.severity_for(rule, severity),
            message,
            span,
            fix.title if fix else None,
            fix.safety if fix else None,
            FixHandle(None, None, 0, None, fix) if fix else None,
        )

    def _run_block(self, block: Block, ctx: ModuleContext, rules: tuple[type[Rule], ...]) -> _BlockResult:
        parsed = self.parse(block)
        tree = parsed.tree
        if tree is None:
            return _BlockResult(parsed, (), {}, ())
        wrapper: cst.ClassDef | None = None
        if block.kind is BlockKind.CLASS_MEMBER and tree.body and isinstance(tree.body[0], cst.ClassDef):
            wrapper = tree.body[0]
        view = BlockView(wrapper=wrapper, synthetic_body=block.kind is BlockKind.CLASS_HEADER)
        instances = [rule(ctx, self._options(rule), view) for rule in rules]
        run = _Walk(self._dispatch(rules), instances, [None] * len(instances))
        try:
            run.walk(tree)
        except RecursionError:
            logger.warning("block at %s is nested too deeply to review", ctx.path)
        findings: list[_RelFinding] = []
        facts: dict[str, tuple[object, ...]] = {}
        crashes: list[tuple[str, int, str]] = []
        for failure, instance in zip(run.failed, instances):
            code = instance.meta.code
            if failure is not None:
                error, node = failure
                found = self._positions(parsed, [node]).get(id(node))
                line = max(found.line - 1 - block.prefix_lines, 0) if found else 0
                crashes.append((code, line, error))
                logger.error("rule %s crashed in %s (block line %d):\n%s", code, ctx.path, line + 1, error, extra=_CRASH)
                continue
            if isinstance(instance, ModuleRule):
                if instance.facts:
                    facts[code] = tuple(instance.facts)
            elif isinstance(instance, FileRule):
                findings.extend(self._relative(instance.reports, code, parsed, block))
        if not findings and not crashes:
            placed = {rule.meta.code for rule in rules if rule.meta.fix is None and getattr(rule, "reports_fact_nodes", False)}
            if not facts:
                # nothing here will ask for a position or a fix: keep the result, not the tree
                # (memory stays flat with open files; a re-run after a context change re-parses)
                self._parsed.pop(block.parse_text)
                return _BlockResult(_UNKEPT, (), {}, ())
            if placed.issuperset(facts):
                # facts of rules without fixes that report only nodes their facts hold: a module
                # check only ever asks for those positions, so place them now and let the tree go
                self._positions(parsed, [node for values in facts.values() for value in values for node in _fact_nodes(value)])
                self._parsed.pop(block.parse_text)
                return _BlockResult(Parsed(None, None, parsed.positions), (), facts, ())
        return _BlockResult(parsed, tuple(findings), facts, tuple(crashes))

    def _summary(self, block: Block) -> BlockSummary | _Broken:
        """The block's words and definitions, and whether CPython's parser accepts it (cached)."""
        text = block.parse_text
        summary = self._summaries.get((text, block.prefix_lines))
        if summary is None:
            try:
                ast.parse(text)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                summary = _BROKEN
            else:
                owner = _CLASS_NAME.search(block.prefix) if block.kind is BlockKind.CLASS_MEMBER else None
                summary = BlockSummary.of(text, block.text, owner.group(1) if owner else None)
            self._summaries.put((text, block.prefix_lines), summary)
        return summary

    def _module_summary(self, summaries: Sequence[BlockSummary | _Broken], rules: tuple[type[Rule], ...]) -> ModuleSummary:
        """The module-wide view triggers read (only the words and patterns some trigger asks about)."""
        interest = self._interest.get(rules)
        if interest is None:
            triggers = [rule.meta.trigger for rule in rules]
            words = frozenset(word for trigger in triggers for word in trigger.module_words)
            patterns = tuple({t.module_pattern for t in triggers if t.module_pattern is not None})
            interest = self._interest[rules] = (words, patterns)
        return ModuleSummary.of((s for s in summaries if not isinstance(s, _Broken)), *interest)

    def _wanted_rules(
        self, summary: BlockSummary, rules: tuple[type[Rule], ...], signals: tuple[object, ...], module: ModuleSummary
    ) -> tuple[type[Rule], ...]:
        """The rules whose triggers want this block (kept with its summary, per rule set and module signals)."""
        key = (rules, signals)
        wanted = summary.memo.get(key)
        if wanted is None:
            wanted = summary.memo[key] = tuple(rule for rule in rules if rule.wants(summary, module))
        return wanted  # type: ignore[return-value]

    def _dispatch(self, rules: tuple[type[Rule], ...]) -> _Dispatch:
        dispatch = self._dispatches.get(rules)
        if dispatch is None:
            dispatch = self._dispatches[rules] = _Dispatch(rules)
        return dispatch

    def _options(self, rule: type[Rule]) -> object:
        if rule not in self._rule_options:
            self._rule_options[rule] = self.config.options_for(rule)
        return self._rule_options[rule]

    def _positions(self, parsed: Parsed, nodes: Iterable[cst.CSTNode]) -> dict[int, Range]:
        wanted = [node for node in nodes if id(node) not in parsed.positions]
        if wanted and parsed.tree is not None:
            parsed.positions.update(locate(parsed.tree, wanted))
        return parsed.positions

    def _relative(self, reports: Sequence[Report], code: str, parsed: Parsed, block: Block) -> list[_RelFinding]:
        if not reports:
            return []
        positions = self._positions(parsed, [n for r in reports for n in (r.node, r.end) if n is not None])
        out: list[_RelFinding] = []
        for report in reports:
            where = positions.get(id(report.node))
            if where is None:
                continue
            last = positions.get(id(report.end)) if report.end is not None else None
            if last is not None:
                where = Range(where.line, where.col, last.end_line, last.end_col)
            line = where.line - 1 - block.prefix_lines
            end_line = where.end_line - 1 - block.prefix_lines
            if line < 0 or line >= block.line_count:
                continue  # in the class header that frames a member: that block reports it
            end_col = where.end_col
            if end_line >= block.line_count:
                end_line, end_col = block.line_count - 1, len(block.text.splitlines()[-1])
            out.append(_RelFinding(code, report.message, line, where.col, end_line, end_col, report.fix, report.severity))
        return out

    def _absolute(self, rel: _RelFinding, ref: _BlockRef) -> Finding:
        rule = self._rule(rel.code)
        span = Span(ref.start + rel.line + 1, rel.col, ref.start + rel.end_line + 1, rel.end_col)
        handle = FixHandle(ref.parsed, ref.block, ref.start, rel.lazy) if rel.lazy else None
        return Finding(
            rel.code,
            rule.meta.name,
            self.config.severity_for(rule, rel.severity),
            rel.message,
            span,
            rel.lazy.title if rel.lazy else None,
            rel.lazy.safety if rel.lazy else None,
            handle,
        )

    def _rule(self, code: str) -> type[Rule]:
        from rules.registry import by_code

        return by_code()[code]

    def _check_module_rule(
        self,
        rule: type[ModuleRule],
        ctx: ModuleContext,
        facts: Sequence[Located[object]],
        crashes: list[RuleCrash],
        path: str,
    ) -> list[Finding]:
        instance = rule(ctx, self.config.options_for(rule))
        try:
            instance.check(facts)
        except Exception:  # isolation point
            error = traceback.format_exc(limit=-3)
            crashes.append(RuleCrash(rule.meta.code, path, 1, error))
            logger.error("rule %s crashed in %s (module check):\n%s", rule.meta.code, path, error, extra=_CRASH)
            return []
        out: list[Finding] = []
        for report in instance.reports:
            ref = report.at
            if not isinstance(ref, _BlockRef):
                continue
            rel = self._relative([report], rule.meta.code, ref.parsed, ref.block)
            related = tuple(self._related(item, ref) for item in report.related)
            out.extend(dataclasses.replace(self._absolute(r, ref), related=tuple(x for x in related if x)) for r in rel)
        return out

    def _related(self, item: Related, default: _BlockRef) -> RelatedSpan | None:
        ref = item.at if isinstance(item.at, _BlockRef) else default
        lines = _node_lines(self, ref, item.node, extend=False)
        if lines is None:
            return None
        first, last, col, end_col = lines
        return RelatedSpan(Span(first + 1, col, last + 1, end_col), item.message)

    # -- fixes ---------------------------------------------------------------------------
    def build_fix(self, snapshot: Snapshot, finding: Finding) -> Fix | None:
        """The edits of a finding's fix, computed on demand; None if it cannot be built."""
        handle = finding.handle
        if handle is not None and handle.ready is not None:
            return handle.ready
        if handle is None or handle.lazy is None or handle.parsed is None or handle.parsed.tree is None:
            return None
        builder = _FixBuilder(self, snapshot, handle)
        try:
            handle.lazy.build(builder)
            edits = builder.edits()
        except Exception:  # isolation point: a broken fix is not offered
            logger.exception("fix of %s at %s:%d could not be built", finding.code, snapshot.path, finding.span.line)
            return None
        if not edits:
            return None
        return Fix(handle.lazy.title, handle.lazy.safety, tuple(edits))

    def check_project(
        self, facts: ProjectFacts, lines_of: Callable[[str], Sequence[str]] | None = None
    ) -> list[tuple[str, Finding]]:
        """Save tier: project rules over the project index; (path, finding) pairs.

        Per-file ignores and suppression comments apply to the file each finding is in
        (`lines_of(path)` gives its lines, when the caller can read them). Rules that crashed
        are in `project_crashes` afterwards (the CLI exits 2, the server tells the client).
        """
        self.project_crashes = []
        out: list[tuple[str, Finding]] = []
        ctx = ModuleContext(path=".")
        for rule in all_project_rules():
            if rule not in self.config.enabled_rules("."):
                continue
            instance = rule(ctx, self.config.options_for(rule))
            try:
                instance.check(facts)
            except Exception:  # isolation point
                error = traceback.format_exc(limit=-3)
                self.project_crashes.append(RuleCrash(rule.meta.code, ".", 1, error))
                logger.error("project rule %s crashed:\n%s", rule.meta.code, error, extra=_CRASH)
                continue
            for report in instance.project_reports:
                if rule not in self.enabled_rules(report.path):
                    continue
                finding = self._ready_finding(rule, report.message, report.span, report.fix, report.severity)
                if lines_of is not None and is_suppressed(lines_of(report.path), finding.span.line, rule.meta.code, rule.meta.name):
                    continue
                out.append((report.path, finding))
        out.sort(key=lambda item: (item[0], item[1].span.line, item[1].span.col, item[1].code))
        return out


def all_project_rules() -> list[type[ProjectRule]]:
    from rules.registry import all_rules

    return [r for r in all_rules() if issubclass(r, ProjectRule)]


def _common_edit(old: str, new: str, first_line: int) -> TextEdit | None:
    """One minimal edit turning `old` (starting at 0-based `first_line`) into `new`."""
    if old == new:
        return None
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end_old, end_new = len(old), len(new)
    while end_old > start and end_new > start and old[end_old - 1] == new[end_new - 1]:
        end_old -= 1
        end_new -= 1

    def position(offset: int) -> tuple[int, int]:
        line = old.count("\n", 0, offset)
        col = offset - (old.rfind("\n", 0, offset) + 1)
        return first_line + line + 1, col

    (sl, sc), (el, ec) = position(start), position(end_old)
    return TextEdit(sl, sc, el, ec, new[start:end_new])


_NodeT = TypeVar("_NodeT", bound=cst.CSTNode)


class _Replacer(cst.CSTTransformer):
    """Swaps nodes of the original tree (by identity) for their replacements, or removes them."""

    def __init__(self, table: dict[int, cst.CSTNode | cst.RemovalSentinel]) -> None:
        super().__init__()
        self.table = table

    def on_leave(self, original_node: _NodeT, updated_node: _NodeT) -> _NodeT | cst.RemovalSentinel | cst.FlattenSentinel[_NodeT]:
        return cast("_NodeT | cst.RemovalSentinel", self.table.get(id(original_node), updated_node))


class _FixBuilder:
    """The FixBuilder a rule's lazy fix talks to: node replacements plus module-level additions."""

    def __init__(self, engine: Engine, snapshot: Snapshot, handle: FixHandle) -> None:
        self.engine = engine
        self.snapshot = snapshot
        self.handle = handle
        self.replacements: list[tuple[cst.CSTNode, cst.CSTNode | cst.RemovalSentinel]] = []
        self.imports: list[str] = []
        self.logger_line: str | None = None
        self.moves: list[tuple[cst.CSTNode, cst.CSTNode, object | None, bool]] = []
        self._ctx: ModuleContext | None = None

    @property
    def ctx(self) -> ModuleContext:
        if self._ctx is None:
            self._ctx = self.engine.context(self.snapshot)
        return self._ctx

    def replace(self, old: cst.CSTNode, new: cst.CSTNode | cst.RemovalSentinel) -> None:
        self.replacements.append((old, new))

    def _local_name_of(self, module: str) -> str | None:
        for local, target in self.ctx.import_items:
            if target == module:
                return local
        return None

    def ensure_import(self, module: str) -> str:
        local = self._local_name_of(module)
        if local is not None:
            return local
        if module not in self.imports:
            self.imports.append(module)
        return module

    def ensure_logger(self) -> str:
        if self.ctx.logger_name:
            return self.ctx.logger_name
        self.ensure_import("logging")
        logging_name = self._local_name_of("logging") or "logging"
        self.logger_line = f"logger = {logging_name}.getLogger(__name__)\n"
        return "logger"

    def move_above(self, node: cst.CSTNode, anchor: cst.CSTNode, anchor_at: object | None = None, *, comma: bool = False) -> None:
        self.moves.append((node, anchor, anchor_at, comma))

    def _move_edits(self) -> list[TextEdit]:
        """One edit per move: the region from the anchor to the node, rotated."""
        handle = self.handle
        assert handle.parsed is not None and handle.block is not None
        own = _BlockRef(handle.block_start, handle.block, handle.parsed)
        lines = self.snapshot.lines
        edits: list[TextEdit] = []
        for node, anchor, anchor_at, comma in self.moves:
            moved = _node_lines(self.engine, own, node, lines=lines)
            target = _node_lines(self.engine, anchor_at if isinstance(anchor_at, _BlockRef) else own, anchor, lines=lines)
            if moved is None or target is None or target[0] >= moved[0]:
                return []
            first, last, _, end_col = moved
            gap = first
            while gap > target[0] and not lines[gap - 1].strip():
                gap -= 1
            chunk = list(lines[first : last + 1])
            if not chunk[-1].endswith("\n"):
                chunk[-1] += "\n"
            if comma and not lines[last][end_col:].lstrip().startswith(","):
                chunk[-1] = chunk[-1][:end_col] + "," + chunk[-1][end_col:]
            region = lines[target[0] : last + 1]
            rotated = chunk + list(lines[gap:first]) + list(lines[target[0] : gap])
            if not region[-1].endswith("\n"):
                rotated[-1] = rotated[-1].rstrip("\n")
            edit = _common_edit("".join(region), "".join(rotated), target[0])
            if edit is not None:
                edits.append(edit)
        return edits

    def edits(self) -> list[TextEdit]:
        if self.moves:
            return self._move_edits()
        handle = self.handle
        assert handle.parsed is not None and handle.block is not None
        tree = handle.parsed.tree
        assert tree is not None
        # one pass over the original tree: replacing one node at a time rebuilt its siblings, so the
        # second of several removals from one list (three commented-out lines) no longer matched
        new_tree = tree.visit(_Replacer({id(old): new for old, new in self.replacements}))
        assert isinstance(new_tree, cst.Module)
        block = handle.block
        code = new_tree.code
        if not (code.startswith(block.prefix) and code.endswith(block.suffix)):
            return []  # the fix reached into the frame of a class member: not offered
        new_text = code[len(block.prefix) : len(code) - len(block.suffix)]
        old_text = block.text
        original = "".join(self.snapshot.lines[handle.block_start : handle.block_start + block.line_count])
        if old_text != original:  # a member at the end of a file without a final newline
            new_text = new_text[: len(new_text) - (len(old_text) - len(original))] if new_text.endswith("\n") else new_text
            old_text = original
        edits: list[TextEdit] = []
        main = _common_edit(old_text, new_text, handle.block_start)
        if main is not None:
            edits.append(main)
        addition = "".join(f"import {module}\n" for module in self.imports)
        if self.logger_line:
            addition += f"\n{self.logger_line}"
        if addition:
            line = _insertion_line(self.snapshot)
            if main is not None and main.start_line - 1 <= line < main.end_line:
                return []  # the addition would land inside the rewritten block
            lines = self.snapshot.lines
            if line > 0 and not lines[line - 1].endswith("\n"):
                addition = "\n" + addition
            if line < len(lines) and lines[line].strip():
                addition += "\n\n" if lines[line].startswith(("def ", "async ", "class ", "@")) else "\n"
            edits.append(TextEdit(line + 1, 0, line + 1, 0, addition))
        return sorted(edits, key=lambda e: (e.start_line, e.start_col))


_AFTER_ENTRY = re.compile(r"\s*,?\s*(#.*)?$")


def _node_lines(
    engine: Engine, ref: _BlockRef, node: cst.CSTNode, *, lines: Sequence[str] | None = None, extend: bool = True
) -> tuple[int, int, int, int] | None:
    """(first line, last line, start col, end col) of a node, 0-based document lines.

    Decorators count as part of their definition. With `lines`, the node must own its lines
    (only indentation before it; only a comma or comment after it) and `first` grows over
    the comment lines right above it; otherwise None.
    """
    starts: list[cst.CSTNode] = [node]
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.decorators:
        starts.insert(0, node.decorators[0].decorator)
    positions = engine._positions(ref.parsed, starts)
    begin, whole = positions.get(id(starts[0])), positions.get(id(node))
    if begin is None or whole is None:
        return None
    base = ref.start - 1 - ref.block.prefix_lines
    first, last = base + begin.line, base + whole.end_line
    col = begin.col - (1 if len(starts) > 1 else 0)  # the `@` before a decorator's expression
    if first < ref.start or last >= ref.start + ref.block.line_count:
        return None
    if lines is None:
        return first, last, col, whole.end_col
    if lines[first][:col].strip() or not _AFTER_ENTRY.match(lines[last][whole.end_col :].rstrip("\r\n")):
        return None
    indent = lines[first][: len(lines[first]) - len(lines[first].lstrip())]
    while extend and first > 0 and lines[first - 1].startswith(indent) and lines[first - 1].strip().startswith("#"):
        first -= 1
    return first, last, col, whole.end_col


def _insertion_line(snapshot: Snapshot) -> int:
    """0-based line after the module's top imports (or docstring, or leading comments)."""
    lines = snapshot.lines
    after = 0
    while after < len(lines) and (lines[after].startswith("#") or not lines[after].strip()):
        after += 1
    after = min(after, len(lines))
    for index, unit in enumerate(snapshot.units):
        text = unit.blocks[0].text
        first = text.lstrip()
        if first.startswith(("def ", "async ", "class ", "@")):
            break
        if unit_facts(text).imports or (index == 0 and first[:1] in ('"', "'")):
            last = unit.end
            while last > unit.start and not lines[last - 1].strip():
                last -= 1
            after = max(after, last)
    return after
