"""The EFFECTS fact kind: what each function of a module does to the outside world, and the
transitive summary over the project's calls.

Per module (one `ast` pass, cached by the project index under the file's content), each function
and method (named as SYMBOLS names them: `reserve`, `Inventory.reserve`) gets its *direct* effects
— `query` (Django `Model.objects.get/filter(...)` evaluated, `.count()`, a related manager's
`filter/first`, SQLAlchemy `session.execute/scalars/get/query(...)`), `write` (`.save()`,
`.delete()`, `Model.objects.create/update/delete`, SQLAlchemy writes; `batched` for `bulk_*` and
`session.add/merge/delete`, which go out together), `commit` (`session.commit()`,
`transaction.commit()`) and `http` (requests/httpx/urllib) — the first of each, and the calls it
makes (the callee as written), so that `Summaries` can follow calls into other project functions
with `Symbols`: "does `reserve` write, and along which chain" (`reserve -> _lock_stock ->
stock.save()`). The shapes are those of RV601/RV602 (`rules/api/orm.py`) and RV301.

A function decorated with a cache (`lru_cache`, `cache`, `cached_property`) is taken to run its
body once, not per call: it has no effects for its callers.
"""

from __future__ import annotations

import ast
import builtins
import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from rules.api.astnames import ast_dotted
from rules.api.context import Role
from rules.api.orm import (
    DJANGO_READS,
    FILE_FIELD,
    HARMLESS,
    LAZY,
    MANAGER_WRITES,
    RELATED_READS,
    SQLALCHEMY_CONSTRUCTS,
    SQLALCHEMY_LAZY,
    SQLALCHEMY_READS,
    SQLALCHEMY_WRITES,
    WRITE_NAME,
    WRITES,
    AstLoop,
    AstLoopScope,
    _ast_once_nodes,
    ast_assignments,
    ast_chain,
    ast_chain_calls,
    ast_is_data_migration,
    ast_loop_parts,
    ast_mark_evaluated,
    ast_method,
    ast_session_receiver,
    is_schema_migration,
)
from rules.api.project import EFFECTS, ProjectView, SourceFile
from rules.api.symbols import Resolved, Symbols, qualified
from rules.api.symbols import add_import as symbols_add_import
from rules.api.types import Span

QUERY = "query"
WRITE = "write"
COMMIT = "commit"
HTTP = "http"

_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# qualified names of HTTP calls (RV301's tables: requests, httpx and urllib functions)
HTTP_CALLS = frozenset(
    [f"requests.{v}" for v in _VERBS]
    + [f"requests.api.{v}" for v in _VERBS]
    + [f"httpx.{v}" for v in (*_VERBS, "stream")]
    + ["urllib.request.urlopen", "urllib3.request"]
)
# decorators that make a function run its body once per arguments (or per instance), not per call
_CACHES = frozenset(("lru_cache", "cache", "cached_property", "cached", "memoize", "memoized", "cachedmethod", "cache_page"))
_BULK = frozenset(("bulk_create", "bulk_update"))
_SESSION_WRITES = frozenset(("add", "add_all", "merge", "delete", "bulk_save_objects", "bulk_insert_mappings", "bulk_update_mappings"))
# methods that return a model instance (or a copy of one): a receiver assigned from these is a row
_ROW_GETTERS = frozenset(("get", "first", "last", "create", "get_or_create", "latest", "earliest", "copy", "deepcopy"))
_BUILTINS = frozenset(dir(builtins))
_NOT_ASCII = re.compile(r"\r\n|\r|\n")
_DEFERRED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


@dataclass(frozen=True, slots=True)
class Effect:
    kind: str  # QUERY, WRITE, COMMIT or HTTP
    label: str  # the call as written, shortened: `stock.save()`, `Order.objects.get()`
    span: Span  # the callee
    batched: bool = False  # a write that goes out with others (`bulk_create`, `session.add`)


@dataclass(frozen=True, slots=True)
class Call:
    """A call a function makes to a plain or dotted name (`reserve`, `inventory.reserve`, `self._lock`)."""

    callee: str
    span: Span


@dataclass(frozen=True, slots=True)
class FunctionEffects:
    name: str  # as SYMBOLS names it: `reserve`, `Inventory.reserve`
    effects: tuple[Effect, ...]  # the first of each (kind, batched)
    calls: tuple[Call, ...]  # the first call to each callee
    cached: bool = False  # `@lru_cache`/`@cached_property`: its body runs once, not per call


@dataclass(frozen=True, slots=True)
class ModuleEffects:
    functions: Mapping[str, FunctionEffects]


def span_of(node: ast.expr, text: str, lines: list[str] | None) -> Span:
    """The node's range in code points (`ast` columns are UTF-8 bytes); `lines` only when the
    text is not ASCII."""
    line, col = node.lineno, node.col_offset
    end_line, end_col = node.end_lineno or line, node.end_col_offset or col
    if lines is not None:
        col = len(lines[line - 1].encode()[:col].decode(errors="replace")) if line <= len(lines) else col
        end_col = len(lines[end_line - 1].encode()[:end_col].decode(errors="replace")) if end_line <= len(lines) else end_col
    return Span(line, col, end_line, end_col)


def source_lines(text: str) -> list[str] | None:
    """The lines as `ast` counts them, when columns need converting (None: ASCII, they do not)."""
    return None if text.isascii() else _NOT_ASCII.split(text)


def call_label(call: ast.Call, limit: int = 60) -> str:
    """`Order.objects.filter().first()`: the call chain as written, arguments left out."""
    parts: list[str] = []
    node: ast.expr = call
    while True:
        if isinstance(node, ast.Call):
            parts.append("()")
            node = node.func
        elif isinstance(node, ast.Attribute):
            parts.append(f".{node.attr}")
            node = node.value
        elif isinstance(node, ast.Subscript):
            parts.append("[]")
            node = node.value
        else:
            parts.append(node.id if isinstance(node, ast.Name) else "(...)")
            break
    label = "".join(reversed(parts))
    return label if len(label) <= limit else "..." + label[-(limit - 3) :]


def module_imports(tree: ast.Module, file: SourceFile) -> dict[str, str]:
    """Local name -> qualified dotted name, as SYMBOLS reads them, from the module's own
    statements (`if TYPE_CHECKING:`/`try:` blocks included); a function's own imports are added
    when its body is read."""
    imports: dict[str, str] = {}
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            add_import(stmt, file, imports)
        elif isinstance(stmt, (ast.If, ast.Try, ast.TryStar, ast.With)):
            stack.extend(s for s in ast.iter_child_nodes(stmt) if isinstance(s, ast.stmt))
            for handler in getattr(stmt, "handlers", ()):
                stack.extend(handler.body)
    return imports


def add_import(node: ast.Import | ast.ImportFrom, file: SourceFile, imports: dict[str, str]) -> None:
    symbols_add_import(node, file.module, file.path.endswith("__init__.py"), imports)


def own_nodes(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[ast.AST]:
    """The nodes of a function's body, not those of functions, lambdas or classes defined
    inside it (they run when they are called, maybe never or once: `cache.get_or_set(key, lambda: ...)`)."""
    stack: list[ast.AST] = [s for s in reversed(fn.body) if not isinstance(s, _DEFERRED)]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, _DEFERRED):
                stack.append(child)


class Classifier:
    """Which effect one call has, in one module (its imports) and one function (its assignments
    and which expressions it evaluates)."""

    def __init__(self, imports: Mapping[str, str]) -> None:
        self.imports = imports
        # Django code, or a module that imports models (`from .models import Stock`)
        self.django = any(q.split(".")[0] == "django" or q.endswith(".models") or ".models." in q for q in imports.values())

    def classify(self, call: ast.Call, evaluated: set[int], assigned: Mapping[str, list[ast.expr]]) -> tuple[str, bool] | None:
        """(kind, batched) for an outermost call of a chain, or None."""
        name = ast_dotted(call.func)
        if name is not None:
            full = qualified(self.imports, name)
            if full in HTTP_CALLS:
                return HTTP, False
            if full in ("django.db.transaction.commit",):
                return COMMIT, False
        method = ast_method(call)
        if method is None:
            return None
        chain = ast_chain(call)
        if len(chain) >= 3 and "objects" in chain[1:]:  # a Django manager
            if method in MANAGER_WRITES or (method == "save" and not call.args):  # `X.objects.get(...).save()` too
                return WRITE, False
            if method in _BULK:
                return WRITE, True
            if "select_for_update" in chain or method not in DJANGO_READS or (method in LAZY and id(call) not in evaluated):
                return None
            return QUERY, False
        inner = ast_chain_calls(call)
        base = inner[-1] if inner else call
        session = ast_session_receiver(base)
        if session is not None:
            return self._session(call, base, method, evaluated, assigned)
        if self.django and _related_read(base) and not (method in LAZY and id(call) not in evaluated):
            return QUERY, False
        if method in _BULK and call.args:
            return WRITE, True
        if method in ("save", "delete") and isinstance(call.func, ast.Attribute):
            return self._row_write(call, method, assigned)
        return None

    def _session(
        self, call: ast.Call, base: ast.Call, method: str, evaluated: set[int], assigned: Mapping[str, list[ast.expr]]
    ) -> tuple[str, bool] | None:
        """A SQLAlchemy session's (or connection's) read, write or commit."""
        if base is call and method == "commit" and not call.args:
            return COMMIT, False
        if base is call and method in _SESSION_WRITES and call.args:
            return WRITE, True
        base_method = ast_method(base)
        if base_method not in SQLALCHEMY_READS or not _is_sql_call(base):
            return None
        if method in SQLALCHEMY_WRITES or _is_write(base, assigned):
            return WRITE, False
        if method in (SQLALCHEMY_LAZY | SQLALCHEMY_CONSTRUCTS) and id(call) not in evaluated:
            return None  # a statement built for later
        return QUERY, False

    def _row_write(self, call: ast.Call, method: str, assigned: Mapping[str, list[ast.expr]]) -> tuple[str, bool] | None:
        """`obj.save()`/`obj.delete()` on what looks like a model instance (RV602's notion)."""
        if call.args or (method == "delete" and any(k.arg not in ("using", "keep_parents") for k in call.keywords)):
            return None  # `Model.save()`/`.delete()` take keywords only: `pdf.save(path)`, `cache.delete(key)`
        assert isinstance(call.func, ast.Attribute)
        receiver = call.func.value
        if isinstance(receiver, ast.Attribute) and FILE_FIELD.fullmatch(receiver.attr):
            return None  # a FieldFile removes a stored file
        owner = ast_dotted(receiver)
        update_fields = any(k.arg == "update_fields" for k in call.keywords)
        if owner is None:
            return (WRITE, False) if update_fields else None
        if "form" in owner.rsplit(".", 1)[-1].lower():
            return None
        for value in assigned.get(owner, ()):
            if isinstance(value, ast.Call) and not self._row_factory(value):
                return None  # `dst = pikepdf.new()`
        return (WRITE, False) if update_fields or self.django else None

    def _row_factory(self, value: ast.Call) -> bool:
        """`_model_factory` over `ast`: a call that may return a model instance."""
        chain = ast_chain(value)
        if len(chain) >= 3 and "objects" in chain[1:]:
            return True
        name = ast_dotted(value.func) or ""
        full = qualified(self.imports, name)
        head, last = full.split(".")[0], full.rsplit(".", 1)[-1]
        if head in ("copy", "django"):
            return True
        if "." in full and head not in ("self", "cls") and full != name:
            return False  # resolved through an import of another package
        return last[:1].isupper() or ast_method(value) in _ROW_GETTERS


def _related_read(call: ast.Call) -> bool:
    """`order.lines.filter(...)` / `.first()` on a name's relation: a query even when the rows
    were prefetched (`all()`/`count()`/`exists()` are left out: a prefetch may answer them)."""
    func = call.func
    if not isinstance(func, ast.Attribute) or func.attr not in RELATED_READS or func.attr in ("all", "count", "exists"):
        return False
    if func.attr in ("first", "last") and call.args:
        return False
    manager = func.value
    return isinstance(manager, ast.Attribute) and isinstance(manager.value, ast.Name) and manager.attr != "objects"


def _is_sql_call(call: ast.Call) -> bool:
    """`query_in_loop._is_sql_call` over `ast`: `session.get(User, pk)`, not a dict-like session's
    `get("key", default)` nor an HTTP client's `session.get(url)`."""
    method = ast_method(call)
    if not call.args:
        return False
    first = call.args[0]
    if method in ("get", "get_one"):
        name = ast_dotted(first)
        return len(call.args) >= 2 and not isinstance(call.args[1], ast.Starred) and name is not None and name.rsplit(".", 1)[-1][:1].isupper()
    if isinstance(first, ast.Constant) and (type(first.value) is int or (method == "query" and isinstance(first.value, str))):
        return False
    return not isinstance(first, ast.Dict)


def _is_write(call: ast.Call, assigned: Mapping[str, list[ast.expr]]) -> bool:
    """`session.execute(update(...))`, a statement named or built as a write (`upsert_stmt`), or
    rows handed over for an executemany: a write, not a read."""
    if not call.args:
        return False
    first = call.args[0]
    if ast_method(call) in ("execute", "exec") and len(call.args) > 1 and isinstance(call.args[1], (ast.List, ast.ListComp)):
        return True
    if isinstance(first, ast.Name):
        return bool(WRITE_NAME.fullmatch(first.id)) or any(_builds_write(v) for v in assigned.get(first.id, ()))
    return _builds_write(first)


def _builds_write(first: ast.expr) -> bool:
    while isinstance(first, ast.Call):
        name = first.func.attr if isinstance(first.func, ast.Attribute) else ast_dotted(first.func) or ""
        if name.rsplit(".", 1)[-1] in ("update", "insert", "delete", "upsert"):
            return True
        if not isinstance(first.func, ast.Attribute):
            break
        first = first.func.value
    return False


def is_cached(fn: ast.FunctionDef | ast.AsyncFunctionDef, imports: Mapping[str, str]) -> bool:
    for decorator in fn.decorator_list:
        name = ast_dotted(decorator.func if isinstance(decorator, ast.Call) else decorator)
        if name is not None and qualified(imports, name).rsplit(".", 1)[-1] in _CACHES:
            return True
    return False


def function_effects(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str, classifier: Classifier, file: SourceFile, lines: list[str] | None
) -> FunctionEffects:
    """One pass over the function's own nodes: its calls, what it evaluates, what it assigns
    and imports; then each outermost call of a chain is an effect or a call to follow."""
    calls: list[ast.Call] = []
    evaluated: set[int] = set()
    assigned: dict[str, list[ast.expr]] = {}
    local: dict[str, str] = {}
    kept: set[int] = set()  # calls whose result is kept for later calls: `self._rates[c] = Rate.objects.get(...)`
    for node in own_nodes(fn):
        ast_mark_evaluated(node, evaluated)
        if isinstance(node, ast.Call):
            calls.append(node)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                held = ast_dotted(target)
                if held is not None:
                    assigned.setdefault(held, []).append(node.value)
                if isinstance(target, ast.Subscript) or (held is not None and held.startswith(("self.", "cls."))):
                    kept.update(id(n) for n in ast.walk(node.value) if isinstance(n, ast.Call))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            add_import(node, file, local)
    if local:
        classifier = Classifier({**classifier.imports, **local})
    calls.sort(key=lambda c: (c.lineno, c.col_offset))  # the first effect in source order
    inner = {id(c) for call in calls for c in ast_chain_calls(call)}
    text = file.text
    effects: dict[tuple[str, bool], Effect] = {}
    made: dict[str, Call] = {}
    for call in calls:
        if id(call) in inner:
            continue
        if id(call) in kept:
            continue  # memoised: runs once, then the kept value answers
        found = classifier.classify(call, evaluated, assigned)
        for part in ast_chain_calls(call):  # `X.objects.get(pk=pk).save()` reads, then writes
            within = classifier.classify(part, evaluated, assigned)
            if within is not None and within not in effects:
                effects[within] = Effect(within[0], call_label(part), span_of(part.func, text, lines), within[1])
        if found is not None:
            if found not in effects:
                effects[found] = Effect(found[0], call_label(call), span_of(call.func, text, lines), found[1])
            continue
        callee = ast_dotted(call.func)
        if callee is not None and callee not in made and callee.split(".")[0] not in _BUILTINS and ".objects." not in callee:
            made[callee] = Call(callee, span_of(call.func, text, lines))
    return FunctionEffects(name, tuple(effects.values()), tuple(made.values()), is_cached(fn, classifier.imports))


def collect_effects(file: SourceFile) -> ModuleEffects | None:
    tree = file.tree()
    if tree is None:
        return None
    classifier = Classifier(module_imports(tree, file))
    lines = source_lines(file.text)
    functions: dict[str, FunctionEffects] = {}

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                visit(stmt.body, f"{prefix}{stmt.name}.")
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{prefix}{stmt.name}"
                summary = function_effects(stmt, name, classifier, file, lines)
                if summary.effects or summary.calls:
                    functions[name] = summary
            elif isinstance(stmt, (ast.If, ast.Try)):
                visit([*stmt.body, *stmt.orelse, *(s for h in getattr(stmt, "handlers", ()) for s in h.body)], prefix)

    visit(tree.body, "")
    return ModuleEffects(functions) if functions else None


# --- the transitive summary ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Trace:
    """How a function reaches an effect: the functions called on the way (the first is the
    function asked about), and the effect with the file it is in."""

    functions: tuple[str, ...]
    effect: Effect
    path: str

    def chain(self) -> str:
        """`reserve -> _lock_stock -> stock.save() (shop/inventory.py:14)`."""
        return " -> ".join((*self.functions, self.effect.label)) + f" ({self.path}:{self.effect.span.line})"


@dataclass
class Summaries:
    """Transitive effects of the project's functions over the EFFECTS and SYMBOLS facts:
    memoised per function, cycle-safe, at most `depth` calls deep; for each (kind, batched) the
    shortest call chain."""

    project: ProjectView
    symbols: Symbols | None = None
    depth: int = 5
    _memo: dict[tuple[str, str], dict[tuple[str, bool], Trace]] = field(default_factory=dict)
    _resolved: dict[tuple[str, str, str], tuple[str, str] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.symbols is None:
            self.symbols = Symbols(self.project)
        self.modules: Mapping[str, ModuleEffects] = self.project.facts(EFFECTS)

    def function(self, path: str, name: str) -> FunctionEffects | None:
        module = self.modules.get(path)
        return module.functions.get(name) if module is not None else None

    def resolve_call(self, path: str, caller: str | None, callee: str) -> tuple[str, str] | None:
        """The project function (path, name) that `callee`, written in `caller` (a function of
        the module at `path`, or None at module level), stands for; None when unknown or a class."""
        key = (path, caller or "", callee)
        if key in self._resolved:
            return self._resolved[key]
        found = self._resolve(path, caller, callee)
        self._resolved[key] = found
        return found

    def _resolve(self, path: str, caller: str | None, callee: str) -> tuple[str, str] | None:
        symbols = self.symbols
        assert symbols is not None
        module = symbols.of(path)
        if module is None:
            return None
        head, _, rest = callee.partition(".")
        owner = caller.rpartition(".")[0] if caller and "." in caller else None
        result: Resolved | None = None
        if head in ("self", "cls") and rest:
            if owner is None or owner not in module.definitions:
                return None
            attr, _, method = rest.partition(".")
            if not method:
                result = symbols.resolve(path, f"{owner}.{attr}")
            else:  # `self.repo.get(...)`: the attribute's annotated class
                kind = module.annotated.get(f"{owner}.{attr}")
                if kind is None or "." in method:
                    return None
                result = symbols.resolve_qualified(f"{kind}.{method}") if "." in kind else symbols.resolve(path, f"{kind}.{method}")
        elif head in module.assigned and rest and "." not in rest and head not in module.definitions:
            kind = module.assigned[head]  # `service = InventoryService()` at module level
            result = symbols.resolve_qualified(f"{kind}.{rest}") if "." in kind else symbols.resolve(path, f"{kind}.{rest}")
        else:
            result = symbols.resolve(path, callee)
        if result.path is None or result.definition is None or result.definition.kind != "function":
            return None
        return result.path, result.name

    def effects(self, path: str, name: str) -> Mapping[tuple[str, bool], Trace]:
        """(kind, batched) -> the shortest trace from the function to such an effect."""
        key = (path, name)
        known = self._memo.get(key)
        if known is not None:
            return known
        found: dict[tuple[str, bool], Trace] = {}
        seen = {key}
        queue: deque[tuple[str, str, tuple[str, ...]]] = deque([(path, name, (name,))])
        while queue and len(found) < 8:
            at, fn, hops = queue.popleft()
            summary = self.function(at, fn)
            if summary is None or summary.cached:
                continue
            for effect in summary.effects:
                found.setdefault((effect.kind, effect.batched), Trace(hops, effect, at))
            if len(hops) > self.depth:
                continue
            for call in summary.calls:
                target = self.resolve_call(at, fn, call.callee)
                if target is not None and target not in seen:
                    seen.add(target)
                    queue.append((target[0], target[1], (*hops, target[1])))
        self._memo[key] = found
        return found

    def trace(self, path: str, name: str, kinds: frozenset[str], *, batched: bool = False) -> Trace | None:
        """The shortest trace to an effect of one of `kinds` (`batched` writes count only when asked)."""
        best: Trace | None = None
        for (kind, is_batched), trace in self.effects(path, name).items():
            if kind in kinds and (batched or not is_batched) and (best is None or len(trace.functions) < len(best.functions)):
                best = trace
        return best


# --- calls made once per iteration of a loop over rows (RV601/RV602's project parts) ------------


@dataclass(frozen=True, slots=True)
class LoopCall:
    """A call, once per iteration of a loop over rows, to a plain or dotted name that the edit
    rules cannot judge (not itself a query or a write): `inventory.reserve(item)`."""

    callee: str  # as written: `reserve`, `inventory.reserve`, `self._lock`
    caller: str | None  # the enclosing function as SYMBOLS names it (`Cart.checkout`): what `self` is
    label: str  # `inventory.reserve(item)`, shortened
    span: Span  # the callee
    batchable: bool  # the loop does nothing else per item but prepare and write rows (RV602's notion)


# the edit rules' own words: a call named so is theirs to judge (or deliberately not)
_ORM_NAMES = DJANGO_READS | LAZY | SQLALCHEMY_READS | SQLALCHEMY_LAZY | SQLALCHEMY_CONSTRUCTS | WRITES | HARMLESS | _BULK | _SESSION_WRITES | RELATED_READS
_LOGGER = re.compile(r"_*(?:log|logger|[a-z_]*_logger|logging)", re.IGNORECASE)
@dataclass(frozen=True, slots=True)
class RelationRead:
    """`post.author` read on every iteration of `for post in Post.objects...`: a query per row
    unless the queryset selects (or prefetches) that relation. Judged in check with MODELS."""

    model: str  # the queryset's model, qualified through the file's imports (`shop.models.Post`)
    field: str  # `author`
    label: str  # `post.author`
    span: Span  # the attribute access
    selected: frozenset[str]  # relations the queryset joins or prefetches (first hops); "*": all, or unknown


@dataclass(frozen=True, slots=True)
class LoopFacts:
    calls: tuple[LoopCall, ...] = ()
    reads: tuple[RelationRead, ...] = ()


_MEMO: dict[int, tuple[ast.Module, LoopFacts]] = {}


def loop_calls_of(file: SourceFile) -> tuple[LoopCall, ...]:
    """The file's calls made per iteration of loops over rows (the notion RV601/RV602 use:
    not fixed collections, chunks or `while True:`, not in a branch that leaves the loop, not in
    tests, migrations, management commands or data-migrating functions) whose arguments use
    the loop's item. Shared by both rules' `collect` (computed once per parsed tree)."""
    return loop_facts_of(file).calls


def relation_reads_of(file: SourceFile) -> tuple[RelationRead, ...]:
    """The file's reads of a row's attribute in loops over a Django queryset, with what the
    queryset selects (the same loops as `loop_calls_of`); whether the attribute is a relation
    is for check to say, from the MODELS facts."""
    return loop_facts_of(file).reads


def loop_facts_of(file: SourceFile) -> LoopFacts:
    tree = file.tree()
    if tree is None:
        return LoopFacts()
    known = _MEMO.get(id(tree))
    if known is not None and known[0] is tree:
        return known[1]
    if file.roles & {Role.TEST, Role.MIGRATION, Role.MANAGEMENT_COMMAND} or is_schema_migration(file.path):
        found = LoopFacts()
    else:
        visitor = _LoopVisitor(file, module_imports(tree, file))
        visitor.visit(tree)
        found = LoopFacts(tuple(visitor.found), tuple(visitor.reads))
    if len(_MEMO) > 64:
        _MEMO.clear()
    _MEMO[id(tree)] = (tree, found)
    return found


# queryset methods that keep the rows model instances and add no join of their own
_KEEPS_ROWS = frozenset(
    "all filter exclude order_by distinct reverse annotate alias using select_for_update iterator extra defer "
    "select_related prefetch_related".split()
)


class _LoopVisitor(ast.NodeVisitor):
    """`PerIterationRule`'s walk over `ast`: loops as a stack, a call judged against the
    innermost loop that runs it on every iteration, as the outermost call of its chain."""

    def __init__(self, file: SourceFile, imports: Mapping[str, str]) -> None:
        self.file = file
        self.imports = imports
        self.lines = source_lines(file.text)
        self.found: list[LoopCall] = []
        self.classes: list[str] = []
        self.callers: list[str] = []
        self.functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []
        self.assigned_of: dict[int, dict[str, list[ast.expr]]] = {}  # per function, read when it has a loop
        self.one_off: list[bool] = []
        self.loops: list[AstLoopScope] = []
        self.batch: dict[int, tuple[bool, tuple[tuple[int, bool], ...]]] = {}
        self.reads: list[RelationRead] = []
        self.django = ".objects" in file.text

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.classes.append(node.name)
        self.generic_visit(node)
        self.classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.callers.append(self.callers[-1] if self.callers else ".".join((*self.classes, node.name)))
        self.functions.append(node)
        self.one_off.append(ast_is_data_migration(node))
        loops, self.loops = self.loops, []  # a function defined in a loop runs when called
        self.generic_visit(node)
        self.loops = loops
        self.one_off.pop()
        self.functions.pop()
        self.callers.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Constant(self, node: ast.Constant) -> None:
        """Nothing to do (and skips `NodeVisitor`'s compatibility shim for old node types)."""

    def _assigned(self) -> dict[str, list[ast.expr]]:
        if not self.functions:
            return {}
        fn = self.functions[-1]
        known = self.assigned_of.get(id(fn))
        if known is None:
            known = self.assigned_of[id(fn)] = ast_assignments(fn)
        return known

    def _loop(self, node: AstLoop) -> None:
        scope = AstLoopScope(node, self._assigned())
        if self.django and scope.rows and not scope.chunked and not any(self.one_off) and not isinstance(node, ast.While):
            self._relation_reads(node, scope)
        self.loops.append(scope)
        self.generic_visit(node)
        self.loops.pop()

    def _relation_reads(self, node: AstLoop, scope: AstLoopScope) -> None:
        """`for post in Post.objects.all(): post.author.name`: the row's attributes read per
        iteration (the first read of each), with the relations the queryset selects."""
        if isinstance(node, (ast.For, ast.AsyncFor)):
            target = node.target
        elif isinstance(node, ast.While) or len(node.generators) > 1:
            return
        else:
            target = node.generators[0].target
        if not isinstance(target, ast.Name):
            return
        source = self._queryset(scope.iterable, self._assigned(), set())
        model, selected = source if source is not None else (None, frozenset[str]())
        if model is None:
            return
        parts = ast_loop_parts(node)
        once = _ast_once_nodes(node.body) if isinstance(node, (ast.For, ast.AsyncFor)) else set()
        stored: set[str] = set()
        reads: dict[str, ast.Attribute] = {}
        for part in parts:
            for sub in ast.walk(part):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == target.id:
                    if not isinstance(sub.ctx, ast.Load):
                        stored.add(sub.attr)
                    elif id(sub) not in once and not sub.attr.startswith("_") and not sub.attr.endswith("_id"):
                        if sub.attr not in reads or (sub.lineno, sub.col_offset) < (reads[sub.attr].lineno, reads[sub.attr].col_offset):
                            reads[sub.attr] = sub
                elif isinstance(sub, ast.Name) and sub.id == target.id and isinstance(sub.ctx, ast.Store):
                    return  # the loop rebinds its row
        for attr, sub in reads.items():
            if attr not in stored:
                self.reads.append(
                    RelationRead(qualified(self.imports, model), attr, f"{target.id}.{attr}", span_of(sub, self.file.text, self.lines), selected)
                )

    def _queryset(self, expr: ast.expr | None, assigned: Mapping[str, list[ast.expr]], seen: set[str]) -> tuple[str | None, frozenset[str]] | None:
        """(the model as written, the relations selected) of a Django queryset that keeps its rows
        model instances: `Post.objects.filter(...).select_related("author")`, or a name assigned
        such querysets in the function (`posts = posts.select_related(...)` adds to them).
        None when it is not one, or may not be (`.values()`, `.only()`, a custom method)."""
        selected: set[str] = set()
        node = expr
        while True:
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method = node.func.attr
                if method not in _KEEPS_ROWS:
                    return None
                if method in ("select_related", "prefetch_related"):
                    selected |= _selected(node)
                node = node.func.value
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
                node = node.value
            elif isinstance(node, ast.Attribute) and node.attr == "objects":
                model = ast_dotted(node.value)
                return (model, frozenset(selected)) if model is not None else None
            elif isinstance(node, ast.Name):
                if node.id in seen:
                    return None, frozenset(selected)  # `posts = posts.select_related(...)`: the same rows
                values = assigned.get(node.id, [])
                if not values:
                    return None
                models: set[str] = set()
                for value in values:
                    found = self._queryset(value, assigned, seen | {node.id})
                    if found is None:
                        return None
                    if found[0] is not None:
                        models.add(found[0])
                    selected |= found[1]
                if len(models) != 1:
                    return None
                return models.pop(), frozenset(selected)
            else:
                return None

    visit_For = visit_AsyncFor = visit_While = visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _loop

    def visit_Call(self, node: ast.Call) -> None:
        if self.loops and not any(self.one_off):
            key = id(node)
            for depth in range(len(self.loops) - 1, -1, -1):
                loop = self.loops[depth]
                if key not in loop.calls:
                    continue
                enclosing = self.loops[: depth + 1]
                if key in loop.outer and not all(scope.fixed for scope in enclosing) and not loop.chunked:
                    self._judge(node, loop, enclosing)
                break
        self.generic_visit(node)

    def _judge(self, node: ast.Call, loop: AstLoopScope, enclosing: list[AstLoopScope]) -> None:
        callee = ast_dotted(node.func)
        if callee is None or callee.split(".")[0] in _BUILTINS or ".objects." in callee or "." in callee and callee.rsplit(".", 1)[-1] in _ORM_NAMES:
            return
        if qualified(self.imports, callee) in HTTP_CALLS:
            return
        targets = set().union(*(scope.targets for scope in enclosing if not scope.fixed))
        used = (n.id for arg in (*node.args, *(k.value for k in node.keywords)) for n in ast.walk(arg) if isinstance(n, ast.Name))
        if not any(name in targets for name in used):
            return  # the call does not depend on the item: a helper over the whole collection
        text = ast.unparse(node)
        label = text if len(text) <= 50 else f"{callee}(...)"
        self.found.append(
            LoopCall(callee, self.callers[-1] if self.callers else None, label, span_of(node.func, self.file.text, self.lines), self._batchable(loop, node))
        )

    def _batchable(self, loop: AstLoopScope, call: ast.Call) -> bool:
        """`SaveInLoop._batchable` over `ast`: nothing else happens per item but preparing and
        writing rows (a loop that also sends mail or calls a service does so on purpose)."""
        node = loop.node
        if not isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            return True
        known = self.batch.get(id(node))
        if known is None:
            blocked = False
            calls: list[tuple[int, bool]] = []
            for stmt in (n for s in node.body for n in ast.walk(s)):
                if isinstance(stmt, (ast.Return, ast.With, ast.AsyncWith, ast.Raise, ast.Yield, ast.YieldFrom)):
                    blocked = True
                    break
                if isinstance(stmt, ast.Expr):
                    value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
                    if isinstance(value, ast.Call):
                        calls.append((id(value), self._harmless(value)))
            known = (blocked, tuple(calls))
            self.batch[id(node)] = known
        blocked, calls_ok = known
        return not blocked and all(ok for key, ok in calls_ok if key != id(call))

    def _harmless(self, call: ast.Call) -> bool:
        method = ast_method(call)
        if method in WRITES or method in HARMLESS or ast_dotted(call.func) in ("setattr", "print"):
            return True
        receiver = ast_dotted(call.func.value) if isinstance(call.func, ast.Attribute) else None
        return receiver is not None and bool(_LOGGER.fullmatch(receiver.rsplit(".", 1)[-1]))


def _selected(call: ast.Call) -> set[str]:
    """The first hops a `select_related(...)`/`prefetch_related(...)` call joins or prefetches;
    "*" for `select_related()` (every non-null foreign key) or an argument not written out."""
    if not call.args:
        return {"*"} if ast_method(call) == "select_related" else set()
    out: set[str] = set()
    for arg in call.args:
        lookup = arg
        if isinstance(arg, ast.Call) and (ast_dotted(arg.func) or "").endswith("Prefetch") and arg.args:
            lookup = arg.args[0]
        if isinstance(lookup, ast.Constant) and isinstance(lookup.value, str):
            out.add(lookup.value.split("__")[0])
        else:
            out.add("*")
    return out
