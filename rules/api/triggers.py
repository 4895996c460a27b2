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
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

WORD = re.compile(r"\w+")
# a definition's name, on the block's own lines (not its class frame): over-approximate on purpose
_DEFINITION = re.compile(r"^[ \t]*(async[ \t]+def|def|class)[ \t]+(\w+)", re.M)


@dataclass(frozen=True, slots=True)
class BlockSummary:
    """What a trigger may look at: the block's words and the definitions on its own lines."""

    words: frozenset[str]
    defined: tuple[str, ...] = ()  # names after `def`/`class` at a line start (repeats kept)
    async_defined: frozenset[str] = frozenset()
    text: str = ""  # the block's text with its class frame, for triggers that need more than words
    marks: dict[re.Pattern[str], bool] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def matches(self, pattern: re.Pattern[str]) -> bool:
        """`pattern` found in the text (remembered: the summary is cached with the block)."""
        found = self.marks.get(pattern)
        if found is None:
            found = self.marks[pattern] = pattern.search(self.text) is not None
        return found

    @classmethod
    def of(cls, parse_text: str, own_text: str) -> BlockSummary:
        defined: list[str] = []
        async_defined: set[str] = set()
        for match in _DEFINITION.finditer(own_text):
            defined.append(match.group(2))
            if match.group(1).startswith("async"):
                async_defined.add(match.group(2))
        return cls(frozenset(WORD.findall(parse_text)), tuple(defined), frozenset(async_defined), parse_text)


@dataclass(slots=True)
class ModuleSummary:
    """The union of a module's block summaries (blocks that `ast` could not parse are left out)."""

    words: set[str] = field(default_factory=set)  # only the words some trigger's `module_words` asks about
    definitions: Counter[str] = field(default_factory=Counter)
    async_defined: set[str] = field(default_factory=set)
    patterns: set[re.Pattern[str]] = field(default_factory=set)  # `module_pattern`s some block matches
    _redefined: frozenset[str] | None = None

    @classmethod
    def of(cls, blocks: Iterable[BlockSummary], words: frozenset[str], patterns: Iterable[re.Pattern[str]] = ()) -> ModuleSummary:
        """The summary of `blocks`, keeping of their words only `words` (the ones triggers ask about)."""
        module = cls()
        wanted = tuple(patterns)
        for block in blocks:
            if words and not words.isdisjoint(block.words):
                module.words |= words & block.words
            if block.defined:
                module.definitions.update(block.defined)
            if block.async_defined:
                module.async_defined |= block.async_defined
            for pattern in wanted:
                if pattern not in module.patterns and block.matches(pattern):
                    module.patterns.add(pattern)
        return module

    def redefined(self) -> frozenset[str]:
        """Names defined more than once anywhere in the module."""
        if self._redefined is None:
            self._redefined = frozenset(name for name, count in self.definitions.items() if count > 1)
        return self._redefined


@dataclass(frozen=True, slots=True)
class Trigger:
    """A declarative trigger: the module mentions one of `module_words` (any module when empty)
    and the block mentions one of `words` or matches `pattern` (every block when neither is set)."""

    words: frozenset[str] = frozenset()
    module_words: frozenset[str] = frozenset()
    pattern: re.Pattern[str] | None = None  # searched in the block's text (with its class frame)
    module_pattern: re.Pattern[str] | None = None  # some block of the module must match it

    def in_module(self, module: ModuleSummary) -> bool:
        if self.module_words and self.module_words.isdisjoint(module.words):
            return False
        return self.module_pattern is None or self.module_pattern in module.patterns

    def module_key(self, module: ModuleSummary) -> object:
        """All that `wants` reads of the module: blocks are re-judged only when it changes."""
        return self.in_module(module) if self.module_words or self.module_pattern else None

    def wants(self, block: BlockSummary, module: ModuleSummary) -> bool:
        if not self.in_module(module):
            return False
        if not self.words and self.pattern is None:
            return True
        if self.words and not self.words.isdisjoint(block.words):
            return True
        return self.pattern is not None and block.matches(self.pattern)


def words(*items: str) -> frozenset[str]:
    """`words("print", "pprint")`: the word set of a trigger."""
    return frozenset(items)


EVERY_BLOCK = Trigger()
