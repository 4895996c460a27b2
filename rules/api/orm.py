"""ORM call shapes shared by the data-access rules: loops, Django querysets, SQLAlchemy sessions.

Rules see one block without types, so these are shape heuristics: a `.objects` manager in
the receiver chain (Django), a receiver named like a session or connection (SQLAlchemy),
and the loop's own target variables for related-manager access.
"""

from __future__ import annotations

import re

import libcst as cst
import libcst.matchers as m

from rules.api.context import Role, dotted_name
from rules.api.helpers import find_all
from rules.api.rule import FileRule

Loop = cst.For | cst.While | cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp

DJANGO_READS = frozenset(
    "get first last count exists aggregate latest earliest in_bulk get_or_create filter exclude all values "
    "values_list order_by select_related prefetch_related annotate only defer distinct contains".split()
)
# manager methods that a dict or list attribute does not have with the same call shape
RELATED_READS = frozenset(("all", "filter", "exclude", "count", "exists", "first", "last", "values_list", "select_related"))
_NO_ARGS = frozenset(("all", "count", "exists", "first", "last"))
SQLALCHEMY_READS = frozenset(("execute", "scalar", "scalars", "get", "query", "get_one", "scalar_one", "exec"))
_SESSION = re.compile(r"(?:.*_)?(?:session|db|sess|conn|connection)", re.IGNORECASE)


_LOOP_CALLS: dict[int, tuple[Loop, list[cst.Call]]] = {}


def loop_calls(node: Loop) -> list[cst.Call]:
    """Calls evaluated on every iteration (not the first iterable of a loop or comprehension).

    Remembered for the node, so the rules that look at the same loop share one traversal.
    """
    known = _LOOP_CALLS.get(id(node))
    if known is not None and known[0] is node:
        return known[1]
    calls = _loop_calls(node)
    if len(_LOOP_CALLS) > 256:
        _LOOP_CALLS.clear()
    _LOOP_CALLS[id(node)] = (node, calls)
    return calls


def _loop_calls(node: Loop) -> list[cst.Call]:
    if isinstance(node, cst.For):
        parts: list[cst.CSTNode] = [node.body]
    elif isinstance(node, cst.While):
        parts = [node.test, node.body]
    else:
        parts = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
        parts.extend(node.for_in.ifs)
        clause: cst.CompFor | None = node.for_in.inner_for_in
        while clause is not None:
            parts.extend((clause.iter, *clause.ifs))
            clause = clause.inner_for_in
    calls: list[cst.Call] = []
    for part in parts:
        calls.extend(c for c in find_all(part, cst.Call) if isinstance(c, cst.Call))
    return calls


def loop_targets(node: Loop) -> set[str]:
    """Names bound per iteration (`for order in ...`, `[o for o in ...]`)."""
    targets: list[cst.BaseExpression] = []
    if isinstance(node, cst.For):
        targets.append(node.target)
    elif not isinstance(node, cst.While):
        clause: cst.CompFor | None = node.for_in
        while clause is not None:
            targets.append(clause.target)
            clause = clause.inner_for_in
    names: set[str] = set()
    for target in targets:
        names.update(n.value for n in find_all(target, cst.Name) if isinstance(n, cst.Name))
    return names


def receiver_chain(call: cst.BaseExpression, *, slices: bool = False) -> list[str]:
    """Attribute names from the outermost call inwards: `A.objects.filter(x).first()` -> [first, filter, objects, A].

    With `slices`, a subscript in the chain shows as "[]" (`qs[:10]` -> ["[]", "qs"]).
    """
    names: list[str] = []
    node: cst.BaseExpression = call
    while True:
        if isinstance(node, cst.Call):
            node = node.func
        elif isinstance(node, cst.Attribute):
            names.append(node.attr.value)
            node = node.value
        elif isinstance(node, cst.Name):
            names.append(node.value)
            return names
        elif isinstance(node, cst.Subscript):
            if slices:
                names.append("[]")
            node = node.value
        else:
            return names


def is_django_manager_call(call: cst.Call) -> bool:
    chain = receiver_chain(call)
    return len(chain) >= 3 and "objects" in chain[1:]


def method_name(call: cst.Call) -> str | None:
    return call.func.attr.value if isinstance(call.func, cst.Attribute) else None


def session_receiver(call: cst.Call) -> str | None:
    """`session` / `self.db` / `conn` for `session.execute(...)`-like calls."""
    if not isinstance(call.func, cst.Attribute):
        return None
    owner = dotted_name(call.func.value)
    if owner is None or not _SESSION.fullmatch(owner.rsplit(".", 1)[-1]):
        return None
    return owner


def related_manager(call: cst.Call, loop_vars: set[str]) -> str | None:
    """`order.items.all()` with `order` a loop variable: the related name ("items")."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in RELATED_READS:
        return None
    if func.attr.value in _NO_ARGS and call.args:
        return None  # `items.count(x)` is a list method
    manager = func.value
    if isinstance(manager, cst.Attribute) and isinstance(manager.value, cst.Name) and manager.value.value in loop_vars:
        if manager.attr.value != "objects":
            return manager.attr.value
    return None


def call_text(call: cst.Call, limit: int = 40) -> str:
    """`Order.objects.get()` style label: the callee as written, with empty parentheses."""
    code = cst.Module([]).code_for_node(call.func)
    code = " ".join(code.split())
    return (code[: limit - 3] + "...") if len(code) > limit else code + "()"


def chain_calls(call: cst.Call) -> list[cst.Call]:
    """The calls inside a method chain (`a.filter(x).first()` -> the `filter` call)."""
    inner: list[cst.Call] = []
    node: cst.BaseExpression = call.func
    while True:
        if isinstance(node, cst.Attribute):
            node = node.value
        elif isinstance(node, cst.Call):
            inner.append(node)
            node = node.func
        else:
            return inner


class PerIterationRule(FileRule):
    """Base of rules about calls made once per loop iteration: `classify` names the problem.

    Each call is judged once (the outermost of a method chain), however deeply loops nest.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._seen: set[int] = set()

    def classify(self, call: cst.Call, loop_vars: set[str]) -> str | None:
        raise NotImplementedError

    def _loop(self, node: Loop) -> None:
        if self.ctx.has_role(Role.TEST):
            return  # fixtures built in a loop are not a production query pattern
        loop_vars = loop_targets(node)
        for call in loop_calls(node):
            if id(call) in self._seen:
                continue
            message = self.classify(call, loop_vars)
            if message is None:
                continue
            self._seen.add(id(call))
            self._seen.update(id(c) for c in chain_calls(call))
            self.report(call.func, message)

    def visit_For(self, node: cst.For) -> None:
        self._loop(node)

    def visit_While(self, node: cst.While) -> None:
        self._loop(node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._loop(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._loop(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._loop(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._loop(node)
