"""Rule base classes.

A rule is a libcst batchable visitor over one block's tree. It reports nodes, never
positions: the engine turns the few reported nodes into ranges, so no metadata provider runs
on the per-keystroke path. Fixes are lazy (`LazyFix`): the edit is built only when a code
action or `--fix` asks for it.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

import libcst as cst

from rules.api.context import ModuleContext
from rules.api.triggers import BlockSummary, ModuleSummary
from rules.api.types import Invalid, RuleMeta, Safety, Scope, Severity, Valid

if TYPE_CHECKING:
    from rules.api.project import ProjectView


class BlockHandle:
    """The engine's reference to one block of the module (opaque to rules): where a fact was
    collected, so a module rule's report and a fix know which block's tree a node is in."""

    __slots__ = ()


class FixBuilder(Protocol):
    """What a fix may do; implemented by the engine over the document."""

    def replace(self, old: cst.CSTNode, new: cst.CSTNode | cst.RemovalSentinel) -> None:
        """Replace a node of the reported block (format-preserving)."""

    def ensure_import(self, module: str) -> str:
        """The module's local name, adding `import <module>` where isort would put it when absent."""

    def ensure_logger(self) -> str:
        """Return the module logger's name, adding `logging` and `logger = ...` if absent."""

    def move_above(self, node: cst.CSTNode, anchor: cst.CSTNode, anchor_at: BlockHandle | None = None, *, comma: bool = False) -> None:
        """Move the lines of `node` (a statement, a decorated definition, or a list entry on
        its own lines), with the comments right above it, to just above `anchor`'s.

        `anchor_at` is the anchor's `Located.block` when it lives in another block; `comma`
        adds the separator a list entry needs when it was the last one. Every other line
        stays as it was. The fix is not offered when either node shares a line with other code.
        """


@dataclass(frozen=True, slots=True)
class LazyFix:
    title: str
    safety: Safety
    build: Callable[[FixBuilder], None]


@dataclass(frozen=True, slots=True)
class Report:
    """A finding as a rule makes it: a node of a block, not yet a range."""

    node: cst.CSTNode
    message: str
    fix: LazyFix | None = None
    at: BlockHandle | None = None  # for module rules: the Located fact's block
    end: cst.CSTNode | None = None  # the range runs to this node's end (default: `node`'s)
    related: tuple[Related, ...] = ()
    # lower than the rule's when the finding is only likely (severity follows confidence)
    severity: Severity | None = None


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a finding points at (LSP relatedInformation): a node of some block."""

    node: cst.CSTNode
    message: str
    at: BlockHandle | None = None  # the Located fact's block; None: the reported node's block


@dataclass(frozen=True, slots=True)
class BlockView:
    """How the block being visited relates to the module.

    A class member is visited inside its class (`visit_ClassDef`/`leave_ClassDef` of the class
    run around it, so class context works as in a whole module), but the class itself belongs
    to its header's block: reports on the class's header lines and facts whose nodes are all
    in that header are dropped by the engine, so no rule reports a class once per member. In
    a class-header block the body is a synthetic `...` (`synthetic_body` is True).
    """

    synthetic_body: bool = False
    text: str = ""  # the block's source with its frame (a cheap text test before a code generation)


T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Located(Generic[T]):
    """A fact a module rule collected, with the block it came from."""

    block: BlockHandle
    value: T


@dataclass(frozen=True, slots=True)
class NoOptions:
    pass


class RuleBase:
    """What every rule has: metadata, docs, examples, options, per-run state (`setup`).

    Data rules (`ConfigRule`: a config file's typed data; `ProjectRule`: the project's facts)
    build on this alone; tree rules (`Rule`) add the libcst visitor and node reporting.
    """

    meta: ClassVar[RuleMeta]
    SCOPE: ClassVar[Scope | None] = None  # what the kind of rule implies; `meta.scope` follows it
    Options: ClassVar[type] = NoOptions
    VALID: ClassVar[Sequence[Valid]] = ()
    INVALID: ClassVar[Sequence[Invalid]] = ()
    # facts of the whole project an edit rule reads from `ModuleContext.project_settings` (RV503: the
    # path parameters a router's prefix gets where another module includes it): the shared fact
    # kinds the index must gather for it, and `project_settings(view)` computes the entries
    project_needs: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def project_settings(cls, project: ProjectView) -> tuple[str, ...]:
        """Entries for `Config.project_settings` from the project index (only with `project_needs`)."""
        return ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A rule's scope comes from its class, not from a second declaration that could disagree."""
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("meta")
        if cls.__dict__.get("part_of") is not None:
            return  # a project part of an edit rule reports under that rule's very metadata
        if isinstance(meta, RuleMeta) and cls.SCOPE is not None and meta.scope is not cls.SCOPE:
            cls.meta = dataclasses.replace(meta, scope=cls.SCOPE)

    def __init__(self, ctx: ModuleContext, options: object | None = None) -> None:
        self.ctx = ctx
        # a rule with options declares `options: Options` in its class to read them typed
        self.options: object = options if options is not None else self.Options()
        self.setup()

    def setup(self) -> None:
        """Per-run state of the rule (one instance per block, module check or file): override
        this, not `__init__`; `self.ctx` and `self.options` are set (and `self.block` for tree rules)."""

    @classmethod
    def applies_to(cls, ctx: ModuleContext) -> bool:
        """Whether the rule can report anything in this module; the engine skips it otherwise."""
        return True

    @classmethod
    def docs(cls) -> str:
        """The Markdown documentation (the class docstring)."""
        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        """First sentence of `## What it does`, for tables and reports."""
        docs = cls.docs()
        _, _, rest = docs.partition("## What it does")
        text = " ".join(rest.strip().split("\n\n")[0].split())
        return text

    @classmethod
    def why(cls) -> str:
        """First sentence of `## Why is this bad?`, for reports."""
        _, _, rest = cls.docs().partition("## Why is this bad?")
        paragraph = " ".join(rest.strip().split("\n\n")[0].split())
        sentence, dot, _ = paragraph.partition(". ")
        return sentence + ("." if dot or not sentence.endswith(".") else "")

    @classmethod
    def docs_url(cls) -> str:
        return f"https://github.com/reviewls/reviewls/blob/main/docs/rules/{cls.meta.code}.md"


class Rule(RuleBase, cst.BatchableCSTVisitor):
    """A tree rule: visits one block's libcst tree (its trigger says which blocks) and reports nodes."""

    def __init__(self, ctx: ModuleContext, options: object | None = None, block: BlockView | None = None) -> None:
        cst.BatchableCSTVisitor.__init__(self)
        self.block = block or BlockView()
        self.reports: list[Report] = []
        RuleBase.__init__(self, ctx, options)

    @classmethod
    def wants(cls, block: BlockSummary, module: ModuleSummary) -> bool:
        """Whether this block can matter to the rule (its metadata's trigger unless overridden).

        Must be conservative: a block the rule does not want yields no finding and no fact.
        """
        return cls.meta.trigger.wants(block, module)

    @classmethod
    def module_key(cls, module: ModuleSummary) -> object:
        """Everything `wants` reads of the module (hashable); override together with `wants`."""
        return cls.meta.trigger.module_key(module)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        fix: LazyFix | None = None,
        at: BlockHandle | None = None,
        end: cst.CSTNode | None = None,
        related: Sequence[Related] = (),
        severity: Severity | None = None,
    ) -> None:
        """Report `node`; `severity` overrides the rule's default for a finding that is only likely."""
        self.reports.append(Report(node, message, fix, at, end, tuple(related), severity))

    def fix(self, title: str, build: Callable[[FixBuilder], None], safety: Safety | None = None) -> LazyFix:
        """A lazy fix with the rule's declared safety unless given."""
        chosen = safety or self.meta.fix
        if chosen is None:
            raise TypeError(f"{self.meta.code} declares no fix in its metadata")
        return LazyFix(title, chosen, build)


class FileRule(Rule):
    """Visits one block's tree; findings depend on the block, the context and options."""

    SCOPE = Scope.FILE


class ModuleRule(Rule):
    """Collects facts per block (cached with it), then checks them over the whole module."""

    SCOPE = Scope.MODULE

    # True when every report is on a node a fact holds in one of its fields (not a child of
    # one) and the rule has no fix: the engine then keeps those nodes' positions, not the tree
    reports_fact_nodes: ClassVar[bool] = False

    def __init__(self, ctx: ModuleContext, options: object | None = None, block: BlockView | None = None) -> None:
        self.facts: list[object] = []
        super().__init__(ctx, options, block)

    def fact(self, value: object) -> None:
        """Keep a fact for `check`: a dataclass whose libcst node fields say where it is (a
        fact about a class member's enclosing class, all of whose nodes lie in the class
        header, is the header block's, and is dropped in member blocks)."""
        self.facts.append(value)

    def check(self, facts: Sequence[Located[object]]) -> None:
        """Report with `self.report(node, message, at=located.block)`."""
        raise NotImplementedError
