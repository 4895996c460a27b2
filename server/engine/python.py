"""The Python tier: blocks read with `ast` first, libcst only for the rules a trigger wants.

For every block of a snapshot: its summary (`ast` parse for the syntax check, its words,
definitions and import aliases; cached by text), the rules whose triggers want it (given the
module summary), and its result — findings relative to the block and module-rule facts —
from a cache keyed by (block text, kind, module context and config, wanted rules). Only on a
miss is the block parsed by libcst (cached by text) and walked by its wanted rules. Module
rules then check the facts of every block. Positions are computed only for reported nodes.
"""

from __future__ import annotations

import ast
import bisect
import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

import libcst as cst

from rules.api import (
    BlockView,
    FileRule,
    LazyFix,
    Located,
    ModuleContext,
    ModuleRule,
    Related,
    Report,
    Rule,
    RuleBase,
    Scope,
    Severity,
)
from rules.api.triggers import BlockSummary, ModuleSummary, Searcher
from rules.api.types import Span
from server.blocks import Block, BlockKind
from server.context import build_context
from server.engine import limits
from server.engine.cache import LRU
from server.engine.guard import CRASH_RECORD, isolate, logger
from server.engine.limits import NOT_REVIEWED, Excess
from server.engine.model import (
    Analysis,
    BlockRef,
    Cancelled,
    Diagnostic,
    FixHandle,
    Parsed,
    RelatedSpan,
    RuleCrash,
    Snapshot,
    SyntaxIssue,
)
from server.engine.walk import Dispatch, Walk, fact_nodes
from server.locate import Range, locate, split_lines
from server.suppressions import Ledger, comment_columns, is_suppressed

if TYPE_CHECKING:
    from server.engine.core import Engine


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
    # libcst's tree was too deep for the walk (2,215 adjacent string literals are one constant
    # to `ast` but a 2,215-deep tree to libcst): the block is not reviewed, and says so
    too_deep: bool = False


@dataclass(frozen=True, slots=True)
class _Seen:
    """A block as the last analysis of its document left it: reused while it does not move."""

    block: Block
    token: int
    wanted: tuple[type[Rule], ...]
    result: _BlockResult
    start: int
    findings: tuple[Diagnostic, ...]
    crashes: tuple[RuleCrash, ...]
    facts: Mapping[str, tuple[Located[object], ...]]
    # its summary: an open document's blocks keep theirs whatever the summary cache dropped (an
    # 11k-line module has more blocks than the cache holds: every edit re-read them all, 100x)
    summary: _Summary


_CLASS_NAME = re.compile(r"^[ \t]*class\s+(\w+)", re.M)


class _Broken:
    """A block CPython's parser rejects: no trigger can judge it, so every rule looks (libcst decides).

    `issue` is CPython's error when the block is too large for libcst's error recovery
    (`limits.broken_shape`): then libcst is not asked, and the block reports that error as is.
    """

    __slots__ = ("issue",)

    def __init__(self, issue: SyntaxIssue | None = None) -> None:
        self.issue = issue


_BROKEN = _Broken()


@dataclass(frozen=True, slots=True)
class _Skipped:
    """A block beyond a limit (`limits.py`): not parsed, not reviewed, one information diagnostic."""

    excess: Excess


_Summary = BlockSummary | _Broken | _Skipped


_NOTHING = _BlockResult(Parsed(None, None), (), {}, ())  # a block no rule wants: not parsed at all


_UNKEPT = Parsed(None, None)  # a block whose rules found nothing: its tree was let go
_NO_FACTS: Mapping[str, tuple[Located[object], ...]] = MappingProxyType({})


def _python_error(text: str) -> SyntaxError | None:
    """CPython's own error for a broken block: better placed and worded than libcst's."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return exc
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def _syntax_issue(exc: Exception, prefix_lines: int) -> SyntaxIssue:
    if isinstance(exc, SyntaxError):
        line, col, message = exc.lineno or 1, max((exc.offset or 1) - 1, 0), exc.msg
    else:
        line = getattr(exc, "raw_line", None) or 1
        col = getattr(exc, "raw_column", None) or 0
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
    return SyntaxIssue(max(int(line) - 1 - prefix_lines, 0), int(col), f"syntax error: {message}")



class _CommentTest:
    """Is a suppression directive at (0-based line, column) a comment, not text in a string?
    Asked only for lines with a directive: the block holding the line is tokenized (cached)."""

    def __init__(self, placed: Sequence[tuple[int, Block]]) -> None:
        self.placed = placed
        self.starts = [start for start, _ in placed]

    def __call__(self, line: int, col: int) -> bool:
        at = bisect.bisect_right(self.starts, line) - 1
        if at < 0 or line >= self.placed[at][0] + self.placed[at][1].line_count:
            return True  # outside every block: a blank or comment line
        start, block = self.placed[at]
        comment = comment_columns(block.parse_text).get(line - start + block.prefix_lines)
        return comment is not None and comment <= col


class PythonTier:
    """File and module rules over Python snapshots, with the caches that make an edit cheap."""

    def __init__(self, engine: Engine, cache_size: int, use_triggers: bool) -> None:
        self.engine = engine
        self.use_triggers = use_triggers
        self.parse_calls = 0  # libcst parses done (tests prove block reuse with it)
        # byte budgets (estimates from text length) bound memory on long sessions; the blocks of
        # open documents are reused by identity (`_recent`) whatever the caches dropped
        self._parsed: LRU[str, Parsed] = LRU(cache_size, TREE_BUDGET, _weigh_parsed)
        self._results: LRU[tuple[object, ...], _BlockResult] = LRU(cache_size, RESULT_BUDGET, _weigh_result)
        # (context key, rules key) -> small int, so block keys hash cheaply
        self._tokens: dict[tuple[object, ...], int] = {}
        # path -> id(block) -> (block, token, result) of the last analysis of that path
        self._recent: dict[str, dict[int, _Seen]] = {}
        self._summaries: LRU[tuple[str, str, str], _Summary] = LRU(cache_size, SUMMARY_BUDGET, _weigh_summary)
        self._dispatches: dict[tuple[type[Rule], ...], Dispatch] = {}
        self._signals: tuple[object, ...] = ()  # the module signals of the last analysis
        self._interest: dict[tuple[type[Rule], ...], tuple[frozenset[str], tuple[Searcher, ...]]] = {}

    def clear(self) -> None:
        """Drop parsed trees, summaries and results."""
        self._parsed.clear()
        self._results.clear()
        self._recent.clear()
        self._tokens.clear()
        self._summaries.clear()

    def forget_documents(self) -> None:
        """After a configuration change: no block result is reused by identity."""
        self._recent.clear()

    def forget(self, path: str) -> None:
        """A closed document: its blocks are no longer reused by identity."""
        self._recent.pop(path, None)

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
    def context(self, snapshot: Snapshot, summaries: Sequence[_Summary] | None = None) -> ModuleContext:
        """The module context, from every unit but those whose first block is beyond a limit
        (reading those is what the limits spare: `ast` may refuse them with a RecursionError)."""
        units = snapshot.units
        if summaries is None:
            skipped = {id(unit.blocks[0]) for unit in units if isinstance(self._summary(unit.blocks[0]), _Skipped)}
        else:
            skipped = {id(block) for (_, block), summary in zip(snapshot.blocks(), summaries) if isinstance(summary, _Skipped)}
        if skipped:
            units = tuple(unit for unit in units if id(unit.blocks[0]) not in skipped)
        return build_context(snapshot.path, units, self.engine.config.settings_modules, self.engine.config.project_settings)

    def analyze(self, snapshot: Snapshot, cancelled: Callable[[], bool] | None = None) -> Analysis:
        """Findings of the file and module rules for one Python snapshot.

        `cancelled` is asked between blocks: when it says yes, `Cancelled` is raised (a newer
        version came, the server shuts down), so a long analysis never outlives its use.
        """
        excess = limits.file_excess(snapshot.lines)
        if excess is not None:
            return self._file_not_reviewed(snapshot, excess)
        return self._analyze(snapshot, cancelled)

    def _file_not_reviewed(self, snapshot: Snapshot, excess: Excess) -> Analysis:
        """A file beyond a limit: one information diagnostic on its first line, nothing parsed."""
        self._recent.pop(snapshot.path, None)
        first = snapshot.lines[0].rstrip("\r\n") if snapshot.lines else ""
        span = Span(1, 0, 1, min(len(first), _MARK))
        diagnostic = Diagnostic(NOT_REVIEWED, NOT_REVIEWED, Severity.INFORMATION, excess.message(), span)
        logger.info("%s not reviewed: %s", snapshot.path, excess.message())
        findings = [diagnostic] if not is_suppressed(snapshot.lines, 1, NOT_REVIEWED, NOT_REVIEWED) else []
        self.engine.fixes.publish(snapshot.path, findings)
        return Analysis(snapshot.path, snapshot.version, tuple(findings), (), (), 0, tuple(findings))

    def _not_reviewed(self, start: int, block: Block, excess: Excess) -> Diagnostic:
        """The information diagnostic of a block beyond a limit, on its first line."""
        first = block.text[: block.text.find("\n")] if "\n" in block.text else block.text
        first = first.rstrip("\r\n")
        col = len(first) - len(first.lstrip())
        span = Span(start + 1, col, start + 1, max(col, min(len(first), col + _MARK)))
        return Diagnostic(NOT_REVIEWED, NOT_REVIEWED, Severity.INFORMATION, excess.message(), span)

    def _analyze(self, snapshot: Snapshot, cancelled: Callable[[], bool] | None) -> Analysis:
        previous = self._recent.get(snapshot.path, {})
        placed = snapshot.blocks()
        summaries: list[_Summary] = []
        for _, block in placed:
            seen = previous.get(id(block))
            if seen is not None and seen.block is block:
                summaries.append(seen.summary)
                continue
            if cancelled is not None and cancelled():
                raise Cancelled(snapshot.path)
            summaries.append(self._summary(block))
        ctx = self.context(snapshot, summaries)
        rules = tuple(
            r
            for r in self.engine.enabled_rules(snapshot.path)
            if issubclass(r, Rule) and r.meta.scope in (Scope.FILE, Scope.MODULE) and r.applies_to(ctx)
        )
        rules_key = (self.engine.config.key, tuple(r.meta.code for r in rules))
        findings: list[Diagnostic] = []
        crashes: list[RuleCrash] = []
        syntax: list[tuple[Span, str]] = []
        facts: dict[str, list[Located[object]]] = {}
        blocks_run = 0
        token = self._tokens.setdefault((ctx.key, rules_key), len(self._tokens))
        current: dict[int, _Seen] = {}
        skipped: list[Diagnostic] = []
        signals: tuple[object, ...] = ()
        module: ModuleSummary | None = None
        if self.use_triggers:
            module = self._module_summary(summaries, rules)
            signals = tuple(rule.module_key(module) for rule in rules)
            if signals == self._signals:
                # one shared object: every block's summary remembers the signals its wanted rules
                # were decided for, and 1,000 copies of an equal tuple grew memory with each edit
                signals = self._signals
            else:
                self._signals = signals
        for (start, block), summary in zip(placed, summaries):
            if isinstance(summary, _Skipped):
                diagnostic = self._not_reviewed(start, block, summary.excess)
                current[id(block)] = _Seen(block, token, (), _NOTHING, start, (diagnostic,), (), _NO_FACTS, summary)
                findings.append(diagnostic)
                skipped.append(diagnostic)
                continue
            if isinstance(summary, _Broken) and summary.issue is not None:
                # too large for libcst's error recovery: CPython's error, as libcst's would be reported
                issue = summary.issue
                line = start + min(issue.line, max(block.line_count - 1, 0)) + 1
                syntax.append((Span(line, issue.col, line, issue.col + 1), issue.message))
                current[id(block)] = _Seen(block, token, (), _NOTHING, start, (), (), _NO_FACTS, summary)
                continue
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
                    if seen.result.too_deep:
                        skipped.extend(seen.findings)
                    crashes.extend(seen.crashes)
                    for code, located in seen.facts.items():
                        facts.setdefault(code, []).extend(located)
                    continue
            elif not wanted:
                result = _NOTHING  # nothing to look up: no rule wants the block
            else:
                key = (block.text, block.prefix, block.suffix, block.kind, token, wanted)
                cached = self._results.get(key)
                if cached is None:
                    if cancelled is not None and cancelled():
                        raise Cancelled(snapshot.path)
                    cached = self._run_block(block, ctx, wanted)
                    self._results.put(key, cached)
                    blocks_run += 1
                result = cached
            if result is _NOTHING:
                # the same shared entry for every such block: no per-block copies of nothing
                if seen is None or seen.block is not block or seen.result is not _NOTHING or seen.start != start or seen.token != token:
                    seen = _Seen(block, token, wanted, _NOTHING, start, (), (), _NO_FACTS, summary)
                current[id(block)] = seen
                continue
            if result.too_deep:
                diagnostic = self._not_reviewed(start, block, Excess("depth", None, limits.MAX_DEPTH))
                current[id(block)] = _Seen(block, token, wanted, result, start, (diagnostic,), (), _NO_FACTS, summary)
                findings.append(diagnostic)
                skipped.append(diagnostic)
                continue
            ref = BlockRef(start, block, result.parsed)
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
                tuple(self._absolute(rel, ref, snapshot.path) for rel in result.findings),
                tuple(RuleCrash(code, snapshot.path, start + rel_line + 1, error) for code, rel_line, error in result.crashes),
                {code: tuple(Located(ref, value) for value in values) for code, values in result.facts.items()} if result.facts else _NO_FACTS,
                summary,
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
        ledger = Ledger(snapshot.lines)
        findings = [f for f in findings if not ledger.suppresses(f.span.line, f.code, f.name)]
        judged, failed = self.engine.check_suppressions(
            snapshot.path, ctx, ledger, _CommentTest(placed), whole=not syntax and not skipped, crashed={c.code for c in crashes}
        )
        findings.extend(judged)
        crashes.extend(failed)
        if self.engine.config.report_syntax_errors:
            findings.extend(
                Diagnostic("syntax-error", "syntax-error", Severity.ERROR, message, span) for span, message in syntax
            )
        findings.sort(key=lambda f: (f.span.line, f.span.col, f.code))
        self.engine.fixes.publish(snapshot.path, findings)
        errors = tuple(span for span, _ in syntax)
        kept = tuple(d for d in skipped if d in findings) if skipped else ()  # not suppressed
        return Analysis(snapshot.path, snapshot.version, tuple(findings), tuple(crashes), errors, blocks_run, kept)

    def _run_block(self, block: Block, ctx: ModuleContext, rules: tuple[type[Rule], ...]) -> _BlockResult:
        parsed = self.parse(block)
        tree = parsed.tree
        if tree is None:
            return _BlockResult(parsed, (), {}, ())
        wrapper: cst.ClassDef | None = None
        if block.kind is BlockKind.CLASS_MEMBER and tree.body and isinstance(tree.body[0], cst.ClassDef):
            wrapper = tree.body[0]
        view = BlockView(synthetic_body=block.kind is BlockKind.CLASS_HEADER, text=block.parse_text)
        instances = [rule(ctx, self.engine.options(rule), view) for rule in rules]
        run = Walk(self._dispatch(rules), instances, [None] * len(instances))
        try:
            run.walk(tree)
        except RecursionError:
            logger.info("block at %s is nested too deeply to review", ctx.path)
            return _BlockResult(_UNKEPT, (), {}, (), too_deep=True)
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
                logger.error("rule %s crashed in %s (block line %d):\n%s", code, ctx.path, line + 1, error, extra=CRASH_RECORD)
                continue
            if isinstance(instance, ModuleRule):
                kept = instance.facts if wrapper is None else _off_frame(instance.facts, wrapper)
                if kept:
                    facts[code] = tuple(kept)
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
                self._positions(parsed, [node for values in facts.values() for value in values for node in fact_nodes(value)])
                self._parsed.pop(block.parse_text)
                return _BlockResult(Parsed(None, None, parsed.positions), (), facts, ())
        return _BlockResult(parsed, tuple(findings), facts, tuple(crashes))

    def _summary(self, block: Block) -> _Summary:
        """The block's words and definitions, and whether CPython's parser accepts it (cached);
        a block beyond a limit is `_Skipped` (too long to read, or refused by CPython's parser
        for its nesting: never handed to libcst, which would crash or stall on it)."""
        key = (block.text, block.prefix, block.suffix)
        summary = self._summaries.get(key)
        if summary is None:
            summary = self._read(block)
            self._summaries.put(key, summary)
        return summary

    def _read(self, block: Block) -> _Summary:
        text = block.parse_text
        excess = limits.text_excess(text)
        if excess is not None:
            return _Skipped(excess)
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            excess = limits.refusal_excess(exc)
            if excess is not None:
                return _Skipped(excess)
            shape = limits.broken_shape(text)
            if shape.excess is not None:
                return _Skipped(shape.excess)
            if shape.parse or not isinstance(exc, SyntaxError):
                return _BROKEN
            return _Broken(_syntax_issue(exc, block.prefix_lines))
        excess = limits.tree_excess(tree, text)  # what CPython accepts may still be too much for libcst
        if excess is not None:
            return _Skipped(excess)
        owner = _CLASS_NAME.search(block.prefix) if block.kind is BlockKind.CLASS_MEMBER else None
        return BlockSummary.of(text, block.text, owner.group(1) if owner else None)

    def _module_summary(self, summaries: Sequence[_Summary], rules: tuple[type[Rule], ...]) -> ModuleSummary:
        """The module-wide view triggers read (only the words and patterns some trigger asks about)."""
        interest = self._interest.get(rules)
        if interest is None:
            triggers = [rule.meta.trigger for rule in rules]
            words = frozenset(word for trigger in triggers for word in trigger.module_words)
            patterns = tuple({t.module_pattern for t in triggers if t.module_pattern is not None})
            interest = self._interest[rules] = (words, patterns)
        return ModuleSummary.of((s for s in summaries if isinstance(s, BlockSummary)), *interest)

    def _wanted_rules(
        self, summary: BlockSummary, rules: tuple[type[Rule], ...], signals: tuple[object, ...], module: ModuleSummary
    ) -> tuple[type[Rule], ...]:
        """The rules whose triggers want this block (kept with its summary, per rule set and module signals)."""
        return summary.remembered((rules, signals), lambda: tuple(rule for rule in rules if rule.wants(summary, module)))

    def _dispatch(self, rules: tuple[type[Rule], ...]) -> Dispatch:
        dispatch = self._dispatches.get(rules)
        if dispatch is None:
            dispatch = self._dispatches[rules] = Dispatch(rules)
        return dispatch

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
                end_line, end_col = block.line_count - 1, len(split_lines(block.text)[-1].rstrip("\r\n"))
            out.append(_RelFinding(code, report.message, line, where.col, end_line, end_col, report.fix, report.severity))
        return out

    def _absolute(self, rel: _RelFinding, ref: BlockRef, path: str) -> Diagnostic:
        rule = self._rule(rel.code)
        span = Span(ref.start + rel.line + 1, rel.col, ref.start + rel.end_line + 1, rel.end_col)
        fix = None
        if rel.lazy is not None:
            handle = FixHandle(ref.parsed, ref.block, ref.start, rel.lazy)
            fix = self.engine.fixes.register(path, handle, rel.lazy.title, rel.lazy.safety)
        return Diagnostic(rel.code, rule.meta.name, self.engine.config.severity_for(rule, rel.severity), rel.message, span, fix)

    def _rule(self, code: str) -> type[RuleBase]:
        from rules.registry import by_code

        return by_code()[code]

    def _check_module_rule(
        self,
        rule: type[ModuleRule],
        ctx: ModuleContext,
        facts: Sequence[Located[object]],
        crashes: list[RuleCrash],
        path: str,
    ) -> list[Diagnostic]:
        instance = rule(ctx, self.engine.options(rule))
        crash = isolate(rule.meta.code, path, 1, "module check", lambda: instance.check(facts))
        if crash is not None:
            crashes.append(crash)
            return []
        out: list[Diagnostic] = []
        for report in instance.reports:
            ref = report.at
            if not isinstance(ref, BlockRef):
                continue
            rel = self._relative([report], rule.meta.code, ref.parsed, ref.block)
            related = tuple(self._related(item, ref) for item in report.related)
            out.extend(dataclasses.replace(self._absolute(r, ref, path), related=tuple(x for x in related if x)) for r in rel)
        return out

    def _related(self, item: Related, default: BlockRef) -> RelatedSpan | None:
        ref = item.at if isinstance(item.at, BlockRef) else default
        lines = node_lines(self, ref, item.node, extend=False)
        if lines is None:
            return None
        first, last, col, end_col = lines
        return RelatedSpan(Span(first + 1, col, last + 1, end_col), item.message)


TREE_BUDGET = 12 << 20  # libcst trees kept for positions and fixes: about 23 bytes per character
RESULT_BUDGET = 12 << 20  # results holding a tree weigh as much as the tree
SUMMARY_BUDGET = 3 << 20  # a summary: about 2.5 KB plus 2 bytes per character (measured)
_MARK = 120  # characters of a line a `not-reviewed` diagnostic underlines (a line may be megabytes)


def _weigh_parsed(text: str, parsed: Parsed) -> int:
    return 24 * len(text) if parsed.tree is not None else 256


def _weigh_result(key: tuple[object, ...], result: _BlockResult) -> int:
    text = key[0]
    size = len(text) if isinstance(text, str) else 0
    return (24 if result.parsed.tree is not None else 2) * size + 512 * (1 + len(result.findings))


def _weigh_summary(key: tuple[str, str, str], summary: _Summary) -> int:
    return 2 * len(key[0]) + 2560


def _off_frame(facts: Sequence[object], wrapper: cst.ClassDef) -> list[object]:
    """The facts of a class-member block that are about the member, not about its class.

    A member is parsed inside its class's header (`class Header(Base): <member>`) so rules see
    it in its class; the class itself belongs to the header's block, which reports it. Reports
    on the header's lines are dropped by position; facts whose every node is part of the header
    (`ClassHeader(name_node)`) are dropped here, so no rule has to tell the frame apart.
    """
    frame: set[int] = {id(wrapper)}
    header = (*wrapper.decorators, wrapper.name, *wrapper.bases, *wrapper.keywords)
    for part in header:
        frame.update(id(node) for node in _subtree(part))
    kept: list[object] = []
    for fact in facts:
        nodes = list(fact_nodes(fact))
        if not nodes or not all(id(node) in frame for node in nodes):
            kept.append(fact)
    return kept


def _subtree(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    yield node
    for child in node.children:
        yield from _subtree(child)


_AFTER_ENTRY = re.compile(r"\s*,?\s*(#.*)?$")


def node_lines(
    python: PythonTier, ref: BlockRef, node: cst.CSTNode, *, lines: Sequence[str] | None = None, extend: bool = True
) -> tuple[int, int, int, int] | None:
    """(first line, last line, start col, end col) of a node, 0-based document lines.

    Decorators count as part of their definition. With `lines`, the node must own its lines
    (only indentation before it; only a comma or comment after it) and `first` grows over
    the comment lines right above it; otherwise None.
    """
    starts: list[cst.CSTNode] = [node]
    if isinstance(node, (cst.FunctionDef, cst.ClassDef)) and node.decorators:
        starts.insert(0, node.decorators[0].decorator)
    positions = python._positions(ref.parsed, starts)
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
