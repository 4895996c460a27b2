"""One read-only walk of a block's libcst tree for every rule that wants the block.

The dispatch table (node type -> rule methods) is built once per rule set; each call is
guarded on its own, so a rule that raises is dropped for the rest of that block only.
"""

from __future__ import annotations

import dataclasses
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from rules.api import Rule

_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


def visitor_names(rule: type[Rule]) -> tuple[str, ...]:
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


class Dispatch:
    """The visitor table of one rule set, built once: node type -> (rule index, method) pairs.

    A block's walk calls each method on that block's rule instances; one guard per call drops a
    rule that raises for the rest of that block only (Python 3.11's `try` costs nothing until
    something raises), so one bad rule never costs the others their findings.
    """

    def __init__(self, rules: Sequence[type[Rule]]) -> None:
        self.table: dict[str, list[tuple[int, Callable[[Rule, cst.CSTNode], object]]]] = {}
        for index, rule in enumerate(rules):
            for name in visitor_names(rule):
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
class Walk:
    """One block's walk: the rule instances and, per rule, its error (traceback, node) if it raised."""

    dispatch: Dispatch
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
        for field_name in CHILD_FIELDS.get(cls) or child_fields(cls):
            value = getattr(node, field_name)
            kind = type(value)
            if kind is tuple or kind is list:
                for item in value:
                    if IS_NODE.get(type(item)) or is_node(type(item)):
                        self.walk(item)
            elif IS_NODE.get(kind) or (kind not in IS_NODE and is_node(kind)):
                self.walk(value)
        if leaves:
            self.call(leaves, node)


CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


IS_NODE: dict[type, bool] = {}


def child_fields(cls: type) -> tuple[str, ...]:
    names = CHILD_FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(cls))
        CHILD_FIELDS[cls] = names
    return names


def is_node(cls: type) -> bool:
    known = IS_NODE.get(cls)
    if known is None:
        known = IS_NODE[cls] = issubclass(cls, cst.CSTNode)  # CSTNode is an ABC: checked once per type
    return known


def fact_nodes(value: object) -> Iterator[cst.CSTNode]:
    """The libcst nodes a fact holds (its fields, and the items of tuple or list fields)."""
    if not dataclasses.is_dataclass(value):
        return
    for item in dataclasses.fields(value):
        held = getattr(value, item.name)
        for node in held if isinstance(held, (tuple, list)) else (held,):
            if isinstance(node, cst.CSTNode):
                yield node

