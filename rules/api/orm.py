"""ORM call shapes shared by the data-access rules: loops, Django querysets, SQLAlchemy sessions.

Rules see one block without types, so these are shape heuristics: a `.objects` manager in
the receiver chain (Django), a receiver named like a session or connection (SQLAlchemy),
and the loop's own target variables for related-manager access.
"""

from __future__ import annotations

import ast
import re

import libcst as cst

from rules.api.astnames import ast_dotted
from rules.api.context import Role, dotted_name
from rules.api.helpers import find_all, string_value
from rules.api.rule import FileRule

Loop = cst.For | cst.While | cst.ListComp | cst.SetComp | cst.DictComp | cst.GeneratorExp

DJANGO_READS = frozenset(
    "get first last count exists aggregate latest earliest in_bulk filter exclude all values "
    "values_list order_by select_related prefetch_related annotate only defer distinct contains".split()
)
# manager methods that a dict or list attribute does not have with the same call shape
RELATED_READS = frozenset(("all", "filter", "exclude", "count", "exists", "first", "last", "values_list", "select_related"))
_NO_ARGS = frozenset(("all", "count", "exists", "first", "last"))
SQLALCHEMY_READS = frozenset(("execute", "scalar", "scalars", "get", "query", "get_one", "scalar_one", "exec"))
_SESSION = re.compile(r"(?:.*_)?(?:session|db|sess|conn|connection)", re.IGNORECASE)
# `session.query(X).filter(...).update(...)`: a bulk write through the query
SQLALCHEMY_WRITES = frozenset(("update", "delete", "insert"))
# methods that turn a query into an SQL construct for another statement instead of running it
SQLALCHEMY_CONSTRUCTS = frozenset(("subquery", "cte", "scalar_subquery", "as_scalar", "exists", "label", "alias", "correlate", "statement", "union", "union_all", "having", "params"))
# names a statement is given when it writes: `upsert_statement`, `event_insert`, `base_table_upd`
WRITE_NAME = re.compile(r"(?:.*_)?(?:insert|update|upsert|delete|upd|ins|del)(?:_.*)?", re.IGNORECASE)
# methods that write (or end a transaction) when called on a row, a manager or a session
WRITES = frozenset(("save", "create", "update", "delete", "get_or_create", "update_or_create", "commit", "add", "flush", "merge"))
# `get_or_create`/`update_or_create` read before they write: no bulk form does the same
MANAGER_WRITES = frozenset(("create", "update", "delete"))
# per-item calls that only collect or report: they do not make a loop per-item processing
HARMLESS = frozenset(("append", "extend", "insert", "setdefault", "pop", "remove", "discard", "clear", "bulk_create", "bulk_update", "refresh_from_db", "full_clean", "set", "clean"))
# attributes that hold a Django FieldFile (`obj.file.delete()` removes the stored file)
FILE_FIELD = re.compile(r"(?:\w+_)?(?:file|image|picture|photo|avatar|logo|attachment|thumbnail|document|pdf|upload)", re.IGNORECASE)


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
    once = _once_calls(node.body) if isinstance(node, (cst.For, cst.While)) else set()
    calls: list[cst.Call] = []
    for part in parts:
        calls.extend(c for c in find_all(part, cst.Call) if isinstance(c, cst.Call) and id(c) not in once)
    return calls


def _leaves_loop(block: cst.IndentedBlock, nested: bool) -> bool:
    """The block ends by leaving the loop (`return`, `raise`, or `break` of this loop) and has
    no `continue` that would run it again."""
    last = block.body[-1] if block.body else None
    if not isinstance(last, cst.SimpleStatementLine) or not last.body:
        return False
    end = last.body[-1]
    if not (isinstance(end, (cst.Return, cst.Raise)) or (isinstance(end, cst.Break) and not nested)):
        return False
    return not any(True for _ in find_all(block, cst.Continue))


def _blocks(stmt: cst.BaseStatement, nested: bool) -> list[tuple[cst.BaseSuite, bool, bool]]:
    """The blocks directly inside a compound statement: `(block, inside a nested loop, a try: body)`."""
    if isinstance(stmt, cst.If):
        out = [(stmt.body, nested, False)]
        if isinstance(stmt.orelse, cst.If):
            out.extend(_blocks(stmt.orelse, nested))
        elif stmt.orelse is not None:
            out.append((stmt.orelse.body, nested, False))
        return out
    if isinstance(stmt, (cst.For, cst.While)):
        return [(stmt.body, True, False)] + ([(stmt.orelse.body, nested, False)] if stmt.orelse else [])
    if isinstance(stmt, cst.With):
        return [(stmt.body, nested, False)]
    if isinstance(stmt, (cst.Try, cst.TryStar)):
        out = [(stmt.body, nested, True)] + [(h.body, nested, False) for h in stmt.handlers]
        out += [(b.body, nested, False) for b in (stmt.orelse, stmt.finalbody) if b is not None]
        return out
    if isinstance(stmt, cst.Match):
        return [(case.body, nested, False) for case in stmt.cases]
    return []


def _once_calls(body: cst.BaseSuite) -> set[int]:
    """Calls in a branch of the loop body that leaves the loop (`if found: ...; return x`):
    they run at most once per loop, not per iteration. A `try:` body does not count (the call
    may raise and the loop go on), nor does a nested function."""
    found: set[int] = set()

    def walk(block: cst.BaseSuite, nested: bool) -> None:
        if not isinstance(block, cst.IndentedBlock):
            return
        for stmt in block.body:
            for sub, sub_nested, in_try in _blocks(stmt, nested):
                if in_try:
                    continue
                if isinstance(sub, cst.IndentedBlock) and _leaves_loop(sub, sub_nested):
                    found.update(id(c) for c in find_all(sub, cst.Call))
                else:
                    walk(sub, sub_nested)

    walk(body, False)
    return found


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


# Django queryset methods that build a query without running it (the queryset is lazy)
LAZY = frozenset(
    "all filter exclude order_by values values_list select_related prefetch_related annotate alias only defer distinct "
    "using none reverse select_for_update union intersection difference extra".split()
)
# builtins that evaluate a queryset (or any iterable) handed to them
_EVALUATORS = frozenset(("list", "tuple", "set", "frozenset", "len", "sorted", "bool", "any", "all", "sum", "min", "max", "next", "dict"))
# related-manager reads answered from a `prefetch_related` cache
CACHED_READS = frozenset(("all", "count", "exists"))
# SQLAlchemy query-building methods: nothing runs until the result is iterated or a terminal call
SQLALCHEMY_LAZY = frozenset(
    "query filter filter_by join outerjoin order_by options where limit offset group_by distinct with_entities select_from".split()
)
_CONSTANT = re.compile(r"_*[A-Z][A-Z0-9_]*")
_CLASS = re.compile(r"_*[A-Z][a-z0-9]\w*")
_WRAPPERS = frozenset(("enumerate", "sorted", "reversed", "zip", "list", "tuple", "set", "iter"))
# concatenations of iterables: fixed when every part is
_CHAINS = frozenset(("chain", "itertools.chain"))
_CLASS_HOLDER = re.compile(r"\w*_(?:cls|class)")


def _is_class_name(part: str) -> bool:
    """A name that holds a class, not an instance: `Format`, `format_cls`, `form_class`."""
    return bool(_CLASS.fullmatch(part) or _CLASS_HOLDER.fullmatch(part))


def _own_assignments(fn: cst.FunctionDef) -> dict[str, list[cst.BaseExpression]]:
    """`name -> values` assigned to plain names in a function (nested definitions included)."""
    found: dict[str, list[cst.BaseExpression]] = {}
    for node in find_all(fn.body, cst.Assign):
        assert isinstance(node, cst.Assign)
        for target in node.targets:
            name = dotted_name(target.target)
            if name is not None:
                found.setdefault(name, []).append(node.value)
    return found


def is_fixed_collection(expr: cst.BaseExpression | None, assigned: dict[str, list[cst.BaseExpression]], depth: int = 0) -> bool:
    """A small collection written in the code, not rows: literals, UPPER_CASE constants,
    `settings.X`, enum classes, class attributes (`self.format_cls.autoaddon`), `range(10)`,
    and their `.items()`/`enumerate(...)`/`chain(...)` views."""
    if expr is None or depth > 3:
        return False
    if isinstance(expr, (cst.List, cst.Tuple, cst.Set, cst.Dict, cst.SimpleString, cst.ConcatenatedString)):
        return all(not isinstance(e, cst.StarredElement) for e in getattr(expr, "elements", ()))
    if isinstance(expr, cst.Call):
        func = expr.func
        name = dotted_name(func) or ""
        if name == "range":
            return all(isinstance(a.value, (cst.Integer, cst.UnaryOperation)) for a in expr.args)
        if (name in _WRAPPERS or name in _CHAINS) and expr.args:
            return all(is_fixed_collection(a.value, assigned, depth + 1) for a in expr.args)
        if isinstance(func, cst.Attribute) and func.attr.value in ("items", "keys", "values") and not expr.args:
            return is_fixed_collection(func.value, assigned, depth + 1)
        return False
    dotted = dotted_name(expr)
    if dotted is None:
        return False
    parts = dotted.split(".")
    if parts[0] == "settings" or _CONSTANT.fullmatch(parts[-1]) or parts[-1] in ("choices", "__members__"):
        return True
    if _CLASS.fullmatch(parts[-1]):
        return True  # iterating a class: an Enum's members
    if len(parts) > 1 and parts[-1] != "objects" and _is_class_name(parts[-2]):
        return True  # a class attribute (`self.format_cls.autoaddon`): configuration written in the class body
    values = assigned.get(dotted, [])
    return bool(values) and all(is_fixed_collection(v, assigned, depth + 1) for v in values)


def is_queryset(expr: cst.BaseExpression | None, assigned: dict[str, list[cst.BaseExpression]], depth: int = 0) -> bool:
    """Rows from the database as far as the function shows: a `.objects` chain, a related
    manager's `.all()/.filter()`, `.iterator()`, or a name assigned one of those."""
    if expr is None or depth > 3:
        return False
    if isinstance(expr, cst.Call):
        name = dotted_name(expr.func) or ""
        if name in _WRAPPERS and expr.args:
            return is_queryset(expr.args[0].value, assigned, depth + 1)
        chain = receiver_chain(expr, slices=True)
        if "objects" in chain[1:] or any(c in ("iterator", "select_related", "prefetch_related", "scalars", "query") for c in chain[:-1]):
            return True
        return bool(chain) and chain[0] in LAZY and len(chain) >= 3
    if isinstance(expr, cst.Subscript):
        return is_queryset(expr.value, assigned, depth + 1)
    dotted = dotted_name(expr)
    values = assigned.get(dotted, []) if dotted else []
    return any(is_queryset(v, assigned, depth + 1) for v in values)


def _is_endless(node: cst.While) -> bool:
    """Not a walk over rows: `while True:` and other retry, unique-code, polling or paging
    loops. Only `while queue:` (a collection consumed item by item) walks rows."""
    test = node.test
    if isinstance(test, (cst.Name, cst.Attribute)):
        return dotted_name(test) in ("True", None) or not any(
            method_name(c) in ("pop", "popleft", "popitem") or dotted_name(c.func) == "next"
            for c in find_all(node.body, cst.Call)
            if isinstance(c, cst.Call)
        )
    return True


# a name that holds one slice of a larger set: `chunk`, `batch_ids`, `metric_key_batches`, `page`
_CHUNK = re.compile(r"(?:.*_)?(?:chunk|batch|page|segment|slice|window)(?:e?s)?(?:_.*)?", re.IGNORECASE)
# helpers that split an iterable into slices (itertools.batched, more_itertools.chunked, Paginator)
_CHUNKERS = re.compile(r"(?:.*_)?(?:chunk|chunked|chunks|batch|batched|batches|paginate|pages|grouper|split_every|windowed)(?:_.*)?", re.IGNORECASE)


def is_chunked(node: Loop) -> bool:
    """A loop over slices of a larger set (`for batch in chunked(ids, 500)`, `range(0, n, size)`):
    one statement per slice is how the code batches, not an N+1."""
    if isinstance(node, cst.While):
        return False
    iterable = loop_iterable(node)
    targets = loop_targets(node)
    if any(_CHUNK.fullmatch(t) for t in targets):
        return True
    while isinstance(iterable, cst.Call) and (dotted_name(iterable.func) or "") in _WRAPPERS and iterable.args:
        iterable = iterable.args[0].value
    if isinstance(iterable, cst.Call):
        callee = (dotted_name(iterable.func) or "").rsplit(".", 1)[-1]
        if callee == "range" and len(iterable.args) == 3:
            return True  # `range(0, len(ids), size)`: the body slices one chunk
        return bool(_CHUNKERS.fullmatch(callee))
    held = dotted_name(iterable) if iterable is not None else None
    return held is not None and bool(_CHUNK.fullmatch(held.rsplit(".", 1)[-1]))


def loop_iterable(node: Loop) -> cst.BaseExpression | None:
    if isinstance(node, cst.For):
        return node.iter
    if isinstance(node, cst.While):
        return None
    return node.for_in.iter


def _evaluated(parts: list[cst.CSTNode]) -> set[int]:
    """ids of expressions whose value is evaluated where they stand: loop iterables,
    `list(...)`/`len(...)`-style arguments, `[0]` indexing, `if`/`while` tests, `not x`."""
    out: set[int] = set()
    for part in parts:
        for node in find_all(part, (cst.For, cst.CompFor, cst.Call, cst.Subscript, cst.If, cst.While, cst.UnaryOperation, cst.BooleanOperation, cst.IfExp)):
            if isinstance(node, (cst.For, cst.CompFor)):
                out.add(id(node.iter))
            elif isinstance(node, cst.Call):
                if (dotted_name(node.func) or "") in _EVALUATORS and node.args:
                    out.add(id(node.args[0].value))
            elif isinstance(node, cst.Subscript):
                if any(isinstance(e.slice, cst.Index) for e in node.slice):
                    out.add(id(node.value))
            elif isinstance(node, (cst.If, cst.While, cst.IfExp)):
                out.add(id(node.test))
            elif isinstance(node, cst.UnaryOperation):
                out.add(id(node.expression))
            elif isinstance(node, cst.BooleanOperation):
                out.update((id(node.left), id(node.right)))
    return out


def _loop_parts(node: Loop) -> list[cst.CSTNode]:
    if isinstance(node, cst.For):
        return [node.body]
    if isinstance(node, cst.While):
        return [node.test, node.body]
    parts: list[cst.CSTNode] = [node.key, node.value] if isinstance(node, cst.DictComp) else [node.elt]
    parts.extend(node.for_in.ifs)
    clause: cst.CompFor | None = node.for_in.inner_for_in
    while clause is not None:
        parts.extend((clause.iter, *clause.ifs))
        clause = clause.inner_for_in
    return parts


def is_schema_migration(path: str) -> bool:
    """Alembic revisions (`alembic/versions/`, `_migrations/versions/`): one-off scripts like Django's."""
    parts = path.replace("\\", "/").split("/")[:-1]
    return any(p in ("alembic", "_migrations", "migrations") for p in parts) and "versions" in parts


_MIGRATES = re.compile(r"(?:.*_)?(?:migrate|migrates|migration|migrations|backfill)(?:_.*)?", re.IGNORECASE)


def is_data_migration(fn: cst.FunctionDef) -> bool:
    """A function that says it migrates data (`_migrate_tabs`, `backfill_x`, a `migration_name`
    parameter): a one-off script like a Django data migration, outside `migrations/`."""
    params = (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params)
    return bool(_MIGRATES.fullmatch(fn.name.value)) or any(_MIGRATES.fullmatch(p.name.value) for p in params)


class LoopScope:
    """One loop being visited: its per-iteration calls and what the function says about them."""

    __slots__ = ("node", "targets", "calls", "outer", "evaluated", "fixed", "rows", "iterable", "chunked")

    def __init__(self, node: Loop, assigned: dict[str, list[cst.BaseExpression]]) -> None:
        self.node = node
        self.targets = loop_targets(node)
        calls = loop_calls(node)
        self.calls = {id(c) for c in calls}
        inner: set[int] = set()
        for call in calls:
            inner.update(id(c) for c in chain_calls(call))
        self.outer = self.calls - inner  # the outermost call of each method chain
        self.evaluated = _evaluated(_loop_parts(node))
        self.iterable = loop_iterable(node)
        if isinstance(node, cst.While):
            self.fixed = _is_endless(node)
            self.rows = False
        else:
            self.fixed = is_fixed_collection(self.iterable, assigned)
            self.rows = is_queryset(self.iterable, assigned)
        # rows of a model named like a slice (`for page in Page.objects.all()`) are still rows
        self.chunked = not self.rows and is_chunked(node)


class PerIterationRule(FileRule):
    """Base of rules about calls made once per loop iteration: `classify` names the problem.

    A call is judged once, against the innermost loop that runs it on every iteration, and
    only as the outermost call of its method chain (`X.objects.filter(...).update()` is one
    write, not a read plus a write). Functions that migrate data (`_migrate_tabs`) are
    one-off scripts like migrations. Loops over fixed collections (literals, constants,
    `settings.X`, enums, class attributes, `chain(...)` of those), calls in a branch
    that leaves the loop (`return`/`break`: once, not per iteration), loops over chunks/batches/pages (one statement per chunk is the
    batching) and `while True:` retry loops do not count, nor do one-off code
    (migrations, management commands) and tests.
    """

    def setup(self) -> None:
        self._loops: list[LoopScope] = []
        self._functions: list[dict[str, list[cst.BaseExpression]]] = []
        self._one_off: list[bool] = []
        self._quiet = self.ctx.has_role(Role.TEST, Role.MIGRATION, Role.MANAGEMENT_COMMAND) or is_schema_migration(self.ctx.path)

    def classify(self, call: cst.Call, loop: LoopScope, loops: list[LoopScope]) -> str | None:
        raise NotImplementedError

    @property
    def assigned(self) -> dict[str, list[cst.BaseExpression]]:
        return self._functions[-1] if self._functions else {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(_own_assignments(node))
        self._one_off.append(is_data_migration(node))

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._one_off.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self._quiet or any(self._one_off):
            return
        key = id(node)
        for depth in range(len(self._loops) - 1, -1, -1):
            loop = self._loops[depth]
            if key not in loop.calls:
                continue  # e.g. the iterable of an inner loop: it belongs to the outer one
            if key not in loop.outer:
                return
            enclosing = self._loops[: depth + 1]
            if all(scope.fixed for scope in enclosing) or loop.chunked:
                return  # a fixed collection, or one statement per chunk: the batching itself
            message = self.classify(node, loop, enclosing)
            if message is not None:
                self.report(node.func, message)
            return

    def _push(self, node: Loop) -> None:
        self._loops.append(LoopScope(node, self.assigned))

    def _pop(self, node: Loop) -> None:
        self._loops.pop()

    def visit_For(self, node: cst.For) -> None:
        self._push(node)

    def leave_For(self, original_node: cst.For) -> None:
        self._pop(original_node)

    def visit_While(self, node: cst.While) -> None:
        self._push(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._pop(original_node)

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._push(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._pop(original_node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._push(node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._pop(original_node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._push(node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._pop(original_node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._push(node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._pop(original_node)


ANY_RELATION = "*"  # a collection loaded with its relations (`self.cached_groups`): every read is cached
# a property/attribute that says it holds loaded rows: Django code names its prefetched querysets so
_CACHED_ATTR = re.compile(r"_*(?:cached|prefetched)_\w+")


def _expand(lookup: str) -> set[str]:
    """`"a__b__c"` -> {a, a__b, a__b__c}: a nested lookup prefetches every step of its path."""
    parts = lookup.split("__")
    return {"__".join(parts[: i + 1]) for i in range(len(parts))}


def _lookup_paths(value: cst.BaseExpression, assigned: dict[str, list[cst.BaseExpression]], depth: int) -> set[str]:
    """Paths one `prefetch_related` argument caches: a lookup string or `Prefetch(lookup, queryset=...)`."""
    if (text := string_value(value)) is not None:
        return _expand(text)
    if isinstance(value, cst.Call) and (dotted_name(value.func) or "").endswith("Prefetch") and value.args:
        lookup = string_value(value.args[0].value)
        if lookup is None:
            return set()
        queryset = next((a.value for a in value.args if a.keyword is not None and a.keyword.value == "queryset"), None)
        if queryset is None and len(value.args) > 1 and value.args[1].keyword is None:
            queryset = value.args[1].value
        paths = _expand(lookup)
        paths |= {f"{lookup}__{p}" for p in prefetched(queryset, assigned, depth + 1) if p != ANY_RELATION}
        return paths
    return set()


def prefetched(expr: cst.BaseExpression | None, assigned: dict[str, list[cst.BaseExpression]], depth: int = 0) -> set[str]:
    """Relation paths a queryset prefetches, nested ones included:
    `prefetch_related("lines__product", Prefetch("tags", queryset=Tag.objects.prefetch_related("owner")))`
    -> {lines, lines__product, tags, tags__owner}. Follows names assigned in the function."""
    paths: set[str] = set()
    node: cst.BaseExpression | None = expr
    while node is not None and depth <= 3:
        if isinstance(node, cst.Call):
            func = node.func
            if (dotted_name(func) or "") in _WRAPPERS and node.args:
                node = node.args[0].value
                continue
            if isinstance(func, cst.Attribute):
                if func.attr.value == "prefetch_related":
                    for arg in node.args:
                        paths |= _lookup_paths(arg.value, assigned, depth)
                node = func.value
                continue
            return paths
        if isinstance(node, cst.Attribute):
            if _CACHED_ATTR.fullmatch(node.attr.value):
                paths.add(ANY_RELATION)
            node = node.value
        elif isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, (cst.BooleanOperation, cst.IfExp)):  # `kwargs.pop("items", None) or qs.prefetch_related(...)`
            sides = (node.left, node.right) if isinstance(node, cst.BooleanOperation) else (node.body, node.orelse)
            for side in sides:
                paths |= prefetched(side, assigned, depth + 1)
            return paths
        elif isinstance(node, cst.Name):
            for value in assigned.get(node.value, ()):
                if value is not expr:
                    paths |= prefetched(value, assigned, depth + 1)
            return paths
        else:
            return paths
    return paths


def _relation_base(expr: cst.BaseExpression) -> tuple[str, str] | None:
    """`order.lines.all().filter(x)` -> ("order", "lines"): the row and the relation a queryset starts from."""
    node = expr
    while True:
        if isinstance(node, cst.Call):
            if (dotted_name(node.func) or "") in _WRAPPERS and node.args:
                node = node.args[0].value
                continue
            node = node.func
        elif isinstance(node, cst.Attribute):
            if isinstance(node.value, cst.Name):
                return node.value.value, node.attr.value
            node = node.value
        else:
            return None


def row_prefetches(
    owner: str, loops: list[LoopScope], assigned: dict[str, list[cst.BaseExpression]], depth: int = 0
) -> set[str]:
    """Relation paths cached on the rows a loop variable walks: the loop's own `prefetch_related`,
    plus what an outer loop prefetched below the relation this loop walks
    (`for o in orders.prefetch_related("lines__product")` / `for line in o.lines.all()` -> {product})."""
    index = next((i for i in range(len(loops) - 1, -1, -1) if owner in loops[i].targets), None)
    if index is None or depth > 4:
        return set()
    source = loops[index].iterable
    candidates: list[cst.BaseExpression] = [source] if source is not None else []
    if isinstance(source, cst.Name):
        candidates.extend(assigned.get(source.value, ()))
    paths: set[str] = set()
    for expr in candidates:
        paths |= prefetched(expr, assigned)
        base = _relation_base(expr)
        if base is not None and base[0] != owner:
            parent = row_prefetches(base[0], loops[:index], assigned, depth + 1)
            if ANY_RELATION in parent:
                paths.add(ANY_RELATION)
            prefix = base[1] + "__"
            paths |= {p[len(prefix):] for p in parent if p.startswith(prefix)}
    return paths


# ---------------------------------------------------------------------------------------------
# The same notions over `ast`, for the project tier (`collect()` sees a file's `ast` tree, never
# libcst): a loop over rows, the calls it makes per iteration. Each function mirrors the libcst
# one named in its docstring; tests/test_effects.py checks they agree on the rules' examples.

AstLoop = ast.For | ast.AsyncFor | ast.While | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp
AST_LOOPS = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
_AST_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


def ast_chain(call: ast.expr, *, slices: bool = False) -> list[str]:
    """`receiver_chain` over `ast`: `A.objects.filter(x).first()` -> [first, filter, objects, A]."""
    names: list[str] = []
    node: ast.expr = call
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            names.append(node.id)
            return names
        elif isinstance(node, ast.Subscript):
            if slices:
                names.append("[]")
            node = node.value
        else:
            return names


def ast_method(call: ast.Call) -> str | None:
    return call.func.attr if isinstance(call.func, ast.Attribute) else None


def ast_chain_calls(call: ast.Call) -> list[ast.Call]:
    """`chain_calls` over `ast`: the calls inside a method chain."""
    inner: list[ast.Call] = []
    node: ast.expr = call.func
    while True:
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            inner.append(node)
            node = node.func
        else:
            return inner


def is_session_name(owner: str) -> bool:
    """`session`, `self.db`, `conn`: a receiver named like a SQLAlchemy session or connection."""
    return bool(_SESSION.fullmatch(owner.rsplit(".", 1)[-1]))


def ast_session_receiver(call: ast.Call) -> str | None:
    """`session_receiver` over `ast`."""
    if not isinstance(call.func, ast.Attribute):
        return None
    owner = ast_dotted(call.func.value)
    return owner if owner is not None and is_session_name(owner) else None


def ast_assignments(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> dict[str, list[ast.expr]]:
    """`_own_assignments` over `ast`: `name -> values` assigned to plain (dotted) names in a function."""
    found: dict[str, list[ast.expr]] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                name = ast_dotted(target)
                if name is not None:
                    found.setdefault(name, []).append(node.value)
    return found


def ast_fixed_collection(expr: ast.expr | None, assigned: dict[str, list[ast.expr]], depth: int = 0) -> bool:
    """`is_fixed_collection` over `ast`: a small collection written in the code, not rows."""
    if expr is None or depth > 3:
        return False
    if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
        return not any(isinstance(e, ast.Starred) for e in expr.elts)
    if isinstance(expr, ast.Dict):
        return None not in expr.keys
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (str, bytes))
    if isinstance(expr, ast.Starred):  # `chain(*groups)`: as fixed as what it unpacks
        return ast_fixed_collection(expr.value, assigned, depth)
    if isinstance(expr, ast.Call):
        name = ast_dotted(expr.func) or ""
        if name == "range":
            return all(isinstance(a, ast.UnaryOp) or (isinstance(a, ast.Constant) and type(a.value) is int) for a in expr.args)
        if (name in _WRAPPERS or name in _CHAINS) and expr.args:
            return all(ast_fixed_collection(a, assigned, depth + 1) for a in expr.args) and all(
                ast_fixed_collection(k.value, assigned, depth + 1) for k in expr.keywords
            )
        if isinstance(expr.func, ast.Attribute) and expr.func.attr in ("items", "keys", "values") and not expr.args:
            return ast_fixed_collection(expr.func.value, assigned, depth + 1)
        return False
    dotted = ast_dotted(expr)
    if dotted is None:
        return False
    parts = dotted.split(".")
    if parts[0] == "settings" or _CONSTANT.fullmatch(parts[-1]) or parts[-1] in ("choices", "__members__"):
        return True
    if _CLASS.fullmatch(parts[-1]):
        return True
    if len(parts) > 1 and parts[-1] != "objects" and _is_class_name(parts[-2]):
        return True
    values = assigned.get(dotted, [])
    return bool(values) and all(ast_fixed_collection(v, assigned, depth + 1) for v in values)


def ast_is_queryset(expr: ast.expr | None, assigned: dict[str, list[ast.expr]], depth: int = 0) -> bool:
    """`is_queryset` over `ast`: rows from the database as far as the function shows."""
    if expr is None or depth > 3:
        return False
    if isinstance(expr, ast.Call):
        name = ast_dotted(expr.func) or ""
        if name in _WRAPPERS and expr.args:
            return ast_is_queryset(expr.args[0], assigned, depth + 1)
        chain = ast_chain(expr, slices=True)
        if "objects" in chain[1:] or any(c in ("iterator", "select_related", "prefetch_related", "scalars", "query") for c in chain[:-1]):
            return True
        return bool(chain) and chain[0] in LAZY and len(chain) >= 3
    if isinstance(expr, ast.Subscript):
        return ast_is_queryset(expr.value, assigned, depth + 1)
    dotted = ast_dotted(expr)
    values = assigned.get(dotted, []) if dotted else []
    return any(ast_is_queryset(v, assigned, depth + 1) for v in values)


def ast_loop_iterable(node: AstLoop) -> ast.expr | None:
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return node.iter
    if isinstance(node, ast.While):
        return None
    return node.generators[0].iter


def ast_loop_targets(node: AstLoop) -> set[str]:
    """`loop_targets` over `ast`: names bound per iteration."""
    targets: list[ast.expr] = []
    if isinstance(node, (ast.For, ast.AsyncFor)):
        targets.append(node.target)
    elif not isinstance(node, ast.While):
        targets.extend(g.target for g in node.generators)
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _ast_calls(node: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(node) if isinstance(n, ast.Call)]


def _ast_is_endless(node: ast.While) -> bool:
    """`_is_endless` over `ast`: only `while queue:` consumed item by item walks rows."""
    test = node.test
    if isinstance(test, (ast.Name, ast.Attribute)):
        return ast_dotted(test) in ("True", None) or not any(
            ast_method(c) in ("pop", "popleft", "popitem") or ast_dotted(c.func) == "next" for s in node.body for c in _ast_calls(s)
        )
    return True


def ast_is_chunked(node: AstLoop) -> bool:
    """`is_chunked` over `ast`: a loop over slices of a larger set."""
    if isinstance(node, ast.While):
        return False
    iterable = ast_loop_iterable(node)
    if any(_CHUNK.fullmatch(t) for t in ast_loop_targets(node)):
        return True
    while isinstance(iterable, ast.Call) and (ast_dotted(iterable.func) or "") in _WRAPPERS and iterable.args:
        iterable = iterable.args[0]
    if isinstance(iterable, ast.Call):
        callee = (ast_dotted(iterable.func) or "").rsplit(".", 1)[-1]
        if callee == "range" and len(iterable.args) == 3:
            return True
        return bool(_CHUNKERS.fullmatch(callee))
    held = ast_dotted(iterable) if iterable is not None else None
    return held is not None and bool(_CHUNK.fullmatch(held.rsplit(".", 1)[-1]))


def _ast_leaves_loop(block: list[ast.stmt], nested: bool) -> bool:
    """`_leaves_loop` over `ast`."""
    if not block:
        return False
    end = block[-1]
    if not (isinstance(end, (ast.Return, ast.Raise)) or (isinstance(end, ast.Break) and not nested)):
        return False
    return not any(isinstance(n, ast.Continue) for s in block for n in ast.walk(s))


def _ast_blocks(stmt: ast.stmt, nested: bool) -> list[tuple[list[ast.stmt], bool, bool]]:
    """`_blocks` over `ast`: `(block, inside a nested loop, a try: body)`."""
    if isinstance(stmt, ast.If):
        out = [(stmt.body, nested, False)]
        if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):
            out.extend(_ast_blocks(stmt.orelse[0], nested))
        elif stmt.orelse:
            out.append((stmt.orelse, nested, False))
        return out
    if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)):
        return [(stmt.body, True, False)] + ([(stmt.orelse, nested, False)] if stmt.orelse else [])
    if isinstance(stmt, (ast.With, ast.AsyncWith)):
        return [(stmt.body, nested, False)]
    if isinstance(stmt, (ast.Try, ast.TryStar)):
        out = [(stmt.body, nested, True)] + [(h.body, nested, False) for h in stmt.handlers]
        out += [(b, nested, False) for b in (stmt.orelse, stmt.finalbody) if b]
        return out
    if isinstance(stmt, ast.Match):
        return [(case.body, nested, False) for case in stmt.cases]
    return []


def _ast_once_calls(body: list[ast.stmt]) -> set[int]:
    """`_once_calls` over `ast`: calls in a branch of the loop body that leaves the loop."""
    return _ast_once_nodes(body, ast.Call)


def _ast_once_nodes(body: list[ast.stmt], kind: type[ast.AST] = ast.AST) -> set[int]:
    """Nodes (of `kind`) in a branch of the loop body that leaves the loop: they run at most once."""
    found: set[int] = set()

    def walk(block: list[ast.stmt], nested: bool) -> None:
        for stmt in block:
            for sub, sub_nested, in_try in _ast_blocks(stmt, nested):
                if in_try:
                    continue
                if _ast_leaves_loop(sub, sub_nested):
                    found.update(id(n) for s in sub for n in ast.walk(s) if isinstance(n, kind))
                else:
                    walk(sub, sub_nested)

    walk(body, False)
    return found


def ast_loop_parts(node: AstLoop) -> list[ast.AST]:
    """What runs on every iteration (`_loop_parts`): not the first iterable, nor a `for`'s `else:`."""
    if isinstance(node, (ast.For, ast.AsyncFor)):
        return list(node.body)
    if isinstance(node, ast.While):
        return [node.test, *node.body]
    parts: list[ast.AST] = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    parts.extend(node.generators[0].ifs)
    for clause in node.generators[1:]:
        parts.extend((clause.iter, *clause.ifs))
    return parts


def ast_loop_calls(node: AstLoop) -> list[ast.Call]:
    """`loop_calls` over `ast`: calls evaluated on every iteration (not in a branch that leaves the loop)."""
    once = _ast_once_calls(node.body) if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) else set()
    return [c for part in ast_loop_parts(node) for c in _ast_calls(part) if id(c) not in once]


def ast_is_data_migration(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """`is_data_migration` over `ast`."""
    args = fn.args
    params = (*args.posonlyargs, *args.args, *args.kwonlyargs)
    return bool(_MIGRATES.fullmatch(fn.name)) or any(_MIGRATES.fullmatch(p.arg) for p in params)


def ast_evaluated(parts: list[ast.AST]) -> set[int]:
    """`_evaluated` over `ast`: ids of expressions whose value is evaluated where they stand."""
    out: set[int] = set()
    for part in parts:
        for node in ast.walk(part):
            ast_mark_evaluated(node, out)
    return out


def ast_mark_evaluated(node: ast.AST, out: set[int]) -> None:
    """Add to `out` the ids of the expressions `node` evaluates where they stand (one step of `ast_evaluated`)."""
    if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        out.add(id(node.iter))
    elif isinstance(node, ast.Call):
        if node.args and isinstance(node.func, ast.Name) and node.func.id in _EVALUATORS:
            out.add(id(node.args[0]))
    elif isinstance(node, ast.Subscript):
        if not isinstance(node.slice, ast.Slice):
            out.add(id(node.value))
    elif isinstance(node, (ast.If, ast.While, ast.IfExp)):
        out.add(id(node.test))
    elif isinstance(node, ast.UnaryOp):
        out.add(id(node.operand))
    elif isinstance(node, ast.BoolOp):
        out.update(id(v) for v in node.values)


class AstLoopScope:
    """`LoopScope` over `ast`: one loop, its per-iteration calls and what the function says about them."""

    __slots__ = ("node", "targets", "calls", "outer", "fixed", "rows", "iterable", "chunked")

    def __init__(self, node: AstLoop, assigned: dict[str, list[ast.expr]]) -> None:
        self.node = node
        self.targets = ast_loop_targets(node)
        calls = ast_loop_calls(node)
        self.calls = {id(c) for c in calls}
        inner: set[int] = set()
        for call in calls:
            inner.update(id(c) for c in ast_chain_calls(call))
        self.outer = self.calls - inner
        self.iterable = ast_loop_iterable(node)
        if isinstance(node, ast.While):
            self.fixed = _ast_is_endless(node)
            self.rows = False
        else:
            self.fixed = ast_fixed_collection(self.iterable, assigned)
            self.rows = ast_is_queryset(self.iterable, assigned)
        self.chunked = not self.rows and ast_is_chunked(node)
