"""Triggers: which blocks a rule can have anything to say about, decided before libcst parses.

libcst parses at ~12k lines/s and a rule walk costs as much again, while only a few percent of
real code sits in blocks with a finding. So the engine first reads each block cheaply (CPython's
`ast` for the syntax check, one regex for its words) and asks every rule whether the block can
matter to it. Only blocks some rule wants are parsed with libcst, and only the rules that want
them walk the tree.

A trigger must be *conservative*: when it says no, the rule would have reported nothing and
collected no fact that changes a finding. Words are every identifier-like token of the block's
text (keywords, names, attributes, words inside strings and comments), so "the block mentions
`print`" is one set lookup. `tests/test_triggers.py` runs every rule's examples with and without
triggers, and the ecosystem check compares all findings on a million lines.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

T = TypeVar("T")

class Searcher(Protocol):
    """What a text trigger needs: a compiled pattern, a `Screened` one, or a rule's own test."""

    def search(self, text: str, /) -> object: ...


WORD = re.compile(r"[^\W\d]\w*")  # identifier-like: numbers are no trigger's word
_NONE: frozenset[str] = frozenset()
_BITS: dict[Searcher, int] = {}  # a bit per pattern any trigger has tested (patterns are module constants)  # one shared empty set (CPython makes a new one per empty result)
# a definition on the block's own lines (not its class frame): over-approximate on purpose
_DEFINITION = re.compile(r"^([ \t]*)(async[ \t]+def|def|class)[ \t]+(\w+)", re.M)
# `import x as y`, `from m import (a as b, ...)`: the local names triggers must also know by their origin
_ALIAS = re.compile(r"([\w.]+)\s+as\s+(\w+)")
_IMPORT = re.compile(r"^\s*(?:from\s|import\s)", re.M)


@dataclass(frozen=True, slots=True)
class BlockSummary:
    """What a trigger may look at: the block's words, its definitions and its import aliases."""

    words: tuple[str, ...]  # distinct, interned: a tuple is a tenth of a set's memory (10k blocks open)
    # (scope, name) of each definition on the block's own lines, repeats kept: "" is the module,
    # a class name its members; definitions nested deeper are "<nested>" (they cannot clash with
    # another block's, only with each other)
    defined: tuple[tuple[str, str], ...] = ()
    async_defined: frozenset[str] = frozenset()
    text: str = ""  # the block's own text (not its class frame), for triggers that need more than words
    aliases: tuple[tuple[str, str], ...] = ()  # (origin's last name, local name) of `... as ...` imports
    # what has been derived from the summary, kept with it (10k summaries open: bits and one
    # entry per question, not a dict each): patterns tested and matched, as bits of `_BITS`;
    # the last (key, value) of a rule set's word share and of its wanted rules
    tested: int = field(default=0, compare=False, hash=False, repr=False)
    matched: int = field(default=0, compare=False, hash=False, repr=False)
    share: tuple[object, frozenset[str]] | None = field(default=None, compare=False, hash=False, repr=False)
    wanted: tuple[object, object] | None = field(default=None, compare=False, hash=False, repr=False)

    def matches(self, pattern: Searcher) -> bool:
        """`pattern` found in the text (remembered: the summary is cached with the block)."""
        bit = _BITS.get(pattern)
        if bit is None:
            bit = _BITS[pattern] = 1 << len(_BITS)
        if not self.tested & bit:
            object.__setattr__(self, "tested", self.tested | bit)
            if pattern.search(self.text) is not None:
                object.__setattr__(self, "matched", self.matched | bit)
        return bool(self.matched & bit)

    def share_of(self, words: frozenset[str]) -> frozenset[str]:
        """The block's words among `words` (remembered for the last set asked about)."""
        if self.share is None or self.share[0] is not words:
            object.__setattr__(self, "share", (words, words.intersection(self.words) or _NONE))
        assert self.share is not None
        return self.share[1]

    def remembered(self, key: object, compute: Callable[[], T]) -> T:
        """One value derived for `key` (the last key asked about wins): the rules that want the block."""
        if self.wanted is None or self.wanted[0] != key:
            object.__setattr__(self, "wanted", (key, compute()))
        assert self.wanted is not None
        return self.wanted[1]  # type: ignore[return-value]

    @classmethod
    def of(cls, parse_text: str, own_text: str, owner: str | None = None) -> BlockSummary:
        """`owner` is the class whose member the block is (its definitions are that class's)."""
        defined: list[tuple[str, str]] = []
        async_defined: set[str] = set()
        base: int | None = None
        for match in _DEFINITION.finditer(own_text):
            indent = len(match.group(1).expandtabs())
            if base is None:
                base = indent
            scope = (owner or "") if indent <= base else "<nested>"
            defined.append((sys.intern(scope), sys.intern(match.group(3))))
            if match.group(2).startswith("async"):
                async_defined.add(match.group(3))
        aliases: tuple[tuple[str, str], ...] = ()
        if " as " in parse_text and _IMPORT.search(parse_text):
            aliases = tuple((origin.rsplit(".", 1)[-1], local) for origin, local in _ALIAS.findall(parse_text))
        # interned: a word shared by many blocks is kept once (10k blocks open, ~60 words each)
        words = tuple(set(map(sys.intern, WORD.findall(parse_text))))
        # patterns search the block's own text: a finding is on the block's own lines, and the
        # frame's words are in `words` (a member's frame is its class header, kept once per class)
        return cls(words, tuple(defined), frozenset(async_defined) if async_defined else _NONE, own_text, aliases)


@dataclass(slots=True)
class ModuleSummary:
    """The union of a module's block summaries (blocks that `ast` could not parse are left out)."""

    words: set[str] = field(default_factory=set)  # only the words some trigger's `module_words` asks about
    definitions: Counter[tuple[str, str]] = field(default_factory=Counter)
    async_defined: set[str] = field(default_factory=set)
    patterns: set[Searcher] = field(default_factory=set)  # `module_pattern`s some block matches
    aliases: dict[str, set[str]] = field(default_factory=dict)  # origin's last name -> local names
    blocks: list[BlockSummary] = field(default_factory=list)
    _memo: dict[object, object] = field(default_factory=dict)

    @classmethod
    def of(
        cls, blocks: Iterable[BlockSummary], words: frozenset[str], patterns: Iterable[Searcher] = ()
    ) -> ModuleSummary:
        """The summary of `blocks`, keeping of their words only `words` (the ones triggers ask about)."""
        module = cls()
        wanted = tuple(patterns)
        for block in blocks:
            module.blocks.append(block)
            if words:
                found = block.share_of(words)
                if found:
                    module.words |= found
            if block.defined:
                module.definitions.update(block.defined)
            if block.async_defined:
                module.async_defined |= block.async_defined
            for origin, local in block.aliases:
                module.aliases.setdefault(origin, set()).add(local)
            for pattern in wanted:
                if pattern not in module.patterns and block.matches(pattern):
                    module.patterns.add(pattern)
        return module

    def memo(self, key: object, compute: Callable[[], T]) -> T:
        """A module-wide value a trigger derives, computed once per analysis."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[return-value]

    def redefined(self) -> frozenset[str]:
        """Names defined more than once in one scope (module, a class, or one block's nesting)."""
        return self.memo("redefined", lambda: frozenset(name for (_, name), count in self.definitions.items() if count > 1))

    def local_names(self, words: frozenset[str]) -> frozenset[str]:
        """`words` plus the names they are imported as (`from django.urls import path as p`: p)."""
        if not self.aliases or words.isdisjoint(self.aliases):
            return words
        return words.union(*(self.aliases[w] for w in words if w in self.aliases))


@dataclass(frozen=True, slots=True, eq=False)  # hashed by identity: a pattern constant
class Screened:
    """A pattern searched only in texts that hold one of its literals (a C substring scan): a long
    alternation with look-arounds costs ~100 µs per block, the screen a few.

    `literals` must be in every match (`folded` ones in any case)."""

    pattern: re.Pattern[str]
    literals: tuple[str, ...] = ()
    folded: tuple[str, ...] = ()

    def search(self, text: str) -> re.Match[str] | None:
        if any(literal in text for literal in self.literals):
            return self.pattern.search(text)
        if self.folded:
            lowered = text.lower()
            if any(literal in lowered for literal in self.folded):
                return self.pattern.search(text)
        return None


@dataclass(frozen=True, slots=True)
class Trigger:
    """A declarative trigger: the module mentions one of `module_words` (any module when empty)
    and the block mentions one of `words` or matches `pattern` (every block when neither is set)."""

    words: frozenset[str] = frozenset()
    module_words: frozenset[str] = frozenset()
    pattern: Searcher | None = None  # searched in the block's own text (a finding is on its own lines)
    module_pattern: Searcher | None = None  # some block of the module must match it

    def in_module(self, module: ModuleSummary) -> bool:
        if self.module_words and self.module_words.isdisjoint(module.words):
            return False
        return self.module_pattern is None or self.module_pattern in module.patterns

    def module_key(self, module: ModuleSummary) -> object:
        """All that `wants` reads of the module: blocks are re-judged only when it changes."""
        return (self.in_module(module), module.local_names(self.words))

    def wants(self, block: BlockSummary, module: ModuleSummary) -> bool:
        if not self.in_module(module):
            return False
        if not self.words and self.pattern is None:
            return True
        if self.words and not module.local_names(self.words).isdisjoint(block.words):
            return True
        return self.pattern is not None and block.matches(self.pattern)


def words(*items: str) -> frozenset[str]:
    """`words("print", "pprint")`: the word set of a trigger."""
    return frozenset(items)


EVERY_BLOCK = Trigger()
