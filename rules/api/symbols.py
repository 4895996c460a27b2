"""The SYMBOLS fact kind: what a module defines and imports, and the resolution of names across
the project's modules from those facts alone.

Per module (one `ast` pass, cached by the project index under the file's content): its functions
and classes with their async-ness, parameters (with annotations) and bases, its imports as
qualified names, and module-level assignments that build an object (`router = APIRouter()`).
`Symbols` answers "which definition does this dotted name in that module stand for", following
`import` and `from ... import` chains through the project (re-exports in `__init__.py` included);
a name that leaves the project comes back as its qualified dotted name (`httpx.AsyncClient`),
for the tables of well-known APIs.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rules.api.astnames import ast_dotted
from rules.api.project import ProjectView, SourceFile
from rules.api.types import Span


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    annotation: str | None  # the annotation's qualified dotted name (`sqlalchemy.ext.asyncio.AsyncSession`), if plain
    default: str | None  # a call default's qualified callee (`fastapi.Depends`), if any


@dataclass(frozen=True, slots=True)
class Definition:
    """A function, method or class of a module."""

    name: str  # qualified within the module: `deactivate`, `UserRepo.get`
    kind: str  # "function" or "class"
    is_async: bool
    span: Span  # the name in its `def`/`class` line
    params: tuple[Param, ...] = ()
    bases: tuple[str, ...] = ()  # classes: qualified dotted names of the bases, as written when unresolved
    decorators: tuple[str, ...] = ()  # qualified dotted names of the decorators (calls: their callee)
    returns: str | None = None  # the return annotation's qualified dotted name, if plain


@dataclass(frozen=True, slots=True)
class ModuleSymbols:
    module: str  # dotted module name
    definitions: Mapping[str, Definition]
    imports: Mapping[str, str]  # local name -> qualified dotted name (`users` -> `app.repos.users`)
    assigned: Mapping[str, str]  # module-level `name = Callee(...)` -> the callee's qualified name
    annotated: Mapping[str, str]  # module-level and class-level `name: Type` -> the type's qualified name


def qualified(imports: Mapping[str, str], dotted: str) -> str:
    """`users.delete` in a module that did `from app.repos import users` -> `app.repos.users.delete`."""
    head, _, rest = dotted.partition(".")
    base = imports.get(head)
    if base is None:
        return dotted
    return f"{base}.{rest}" if rest else base


def dotted(expr: ast.expr | None) -> str | None:
    """`a.b.c` for Name/Attribute chains, the callee for a call (`Depends(get_db)` -> `Depends`)."""
    return ast_dotted(expr.func if isinstance(expr, ast.Call) else expr)


def _annotation(imports: Mapping[str, str], node: ast.expr | None) -> str | None:
    """A plain annotation's qualified name; `Annotated[T, ...]`, `Optional[T]` and `T | None` give T."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        try:
            node = ast.parse(node.value, mode="eval").body
        except SyntaxError:
            return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = node.left, node.right
        node = right if isinstance(left, ast.Constant) and left.value is None else left
    if isinstance(node, ast.Subscript):
        outer = (dotted(node.value) or "").rsplit(".", 1)[-1]
        if outer in ("Annotated", "Optional"):
            inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) and node.slice.elts else node.slice
            return _annotation(imports, inner)
        return None
    name = dotted(node)
    return qualified(imports, name) if name else None


def annotation_name(node: ast.expr | None, imports: Mapping[str, str] | None = None) -> str | None:
    """The dotted name a plain annotation names (qualified through `imports` when given, else as
    written), unwrapping `Annotated[T, ...]`, `Optional[T]`, `T | None` and string annotations."""
    return _annotation(imports or {}, node)


def absolute_module(file_module: str, is_package: bool, module: str | None, level: int) -> str:
    """The absolute module a (possibly relative) `from` import names."""
    if not level:
        return module or ""
    parts = file_module.split(".") if file_module else []
    if not is_package:
        parts = parts[:-1]
    parts = parts[: len(parts) - (level - 1)] if level > 1 else parts
    return ".".join([*parts, *([module] if module else [])])


def add_import(node: ast.AST, module: str, is_package: bool, imports: dict[str, str]) -> None:
    """Record what an `import`/`from ... import` statement binds (local name -> qualified dotted
    name, a relative import resolved against `module`) into `imports`; other nodes bind nothing."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.asname:
                imports[alias.asname] = alias.name
            else:
                head = alias.name.split(".")[0]
                imports.setdefault(head, head)
    elif isinstance(node, ast.ImportFrom):
        base = absolute_module(module, is_package, node.module, node.level)
        for alias in node.names:
            if alias.name != "*":
                imports[alias.asname or alias.name] = f"{base}.{alias.name}" if base else alias.name


def import_table(nodes: Iterable[ast.AST], module: str, is_package: bool) -> dict[str, str]:
    """Local name -> qualified dotted name of the `import`/`from ... import` statements among
    `nodes` (relative imports resolved against `module`); a later binding wins."""
    imports: dict[str, str] = {}
    for node in nodes:
        add_import(node, module, is_package, imports)
    return imports


def collect_symbols(file: SourceFile) -> ModuleSymbols | None:
    tree = file.tree()
    if tree is None:
        return None
    is_package = file.path.endswith("__init__.py")
    # imports anywhere (inside functions too): names are looked up by the last binding
    imports = import_table(ast.walk(tree), file.module, is_package)
    definitions: dict[str, Definition] = {}
    assigned: dict[str, str] = {}
    annotated: dict[str, str] = {}

    def params_of(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[Param, ...]:
        args = fn.args
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs: list[tuple[ast.arg, ast.expr | None]] = [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]
        out: list[Param] = []
        for arg, default in pairs:
            callee = dotted(default) if isinstance(default, ast.Call) else None
            out.append(Param(arg.arg, _annotation(imports, arg.annotation), qualified(imports, callee) if callee else None))
        return tuple(out)

    def visit(body: list[ast.stmt], prefix: str) -> None:
        for stmt in body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{stmt.name}"
                line = stmt.lineno
                col = stmt.col_offset + (len("async def ") if isinstance(stmt, ast.AsyncFunctionDef) else len("def ") if isinstance(stmt, ast.FunctionDef) else len("class "))
                span = Span(line, col, line, col + len(stmt.name))
                decorators = tuple(qualified(imports, d) for d in (dotted(x) for x in stmt.decorator_list) if d)
                if isinstance(stmt, ast.ClassDef):
                    bases = tuple(qualified(imports, b) for b in (dotted(x) for x in stmt.bases) if b)
                    definitions[name] = Definition(name, "class", False, span, bases=bases, decorators=decorators)
                    for member in stmt.body:
                        if isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
                            kind = _annotation(imports, member.annotation)
                            if kind:
                                annotated[f"{name}.{member.target.id}"] = kind
                    visit(stmt.body, f"{name}.")
                else:
                    definitions[name] = Definition(
                        name,
                        "function",
                        isinstance(stmt, ast.AsyncFunctionDef),
                        span,
                        params_of(stmt),
                        decorators=decorators,
                        returns=_annotation(imports, stmt.returns),
                    )
                    if prefix and stmt.name == "__init__":  # `self.repo: UserRepo = repo` / `self.repo = UserRepo()`
                        owner = prefix[:-1]
                        for node in ast.walk(stmt):
                            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Attribute) and dotted(node.target.value) == "self":
                                kind = _annotation(imports, node.annotation)
                                if kind:
                                    annotated.setdefault(f"{owner}.{node.target.attr}", kind)
            elif not prefix and isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                callee = dotted(stmt.value.func)
                if callee:
                    for target in stmt.targets:
                        if isinstance(target, ast.Name):
                            assigned[target.id] = qualified(imports, callee)
            elif not prefix and isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
                kind = _annotation(imports, stmt.annotation)
                if kind:
                    annotated[stmt.target.id] = kind
            elif isinstance(stmt, (ast.If, ast.Try)):  # `if TYPE_CHECKING:`, `try: import x` at this level
                visit([*stmt.body, *stmt.orelse, *(s for h in getattr(stmt, "handlers", ()) for s in h.body)], prefix)

    visit(tree.body, "")
    return ModuleSymbols(file.module, definitions, imports, assigned, annotated)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Where a dotted name leads: a definition of the project, or a name outside it."""

    path: str | None  # the project file defining it; None outside the project
    name: str  # the definition's name in that module, or the qualified dotted name outside
    definition: Definition | None


class Symbols:
    """Name resolution over the SYMBOLS facts of the whole project."""

    def __init__(self, project: ProjectView) -> None:
        self.project = project
        self.modules: Mapping[str, ModuleSymbols] = project.facts("symbols")
        self._roots: tuple[str, ...] | None = None

    def of(self, path: str) -> ModuleSymbols | None:
        return self.modules.get(path)

    def resolve(self, path: str, name: str, *, depth: int = 0) -> Resolved:
        """What `name` (dotted, as written in the module at `path`) stands for."""
        module = self.modules.get(path)
        if module is None:
            return Resolved(None, name, None)
        head = name.split(".")[0]
        if head in module.imports:
            return self.resolve_qualified(qualified(module.imports, name), depth=depth + 1)
        definition = module.definitions.get(name)
        if definition is not None:
            return Resolved(path, name, definition)
        return Resolved(None, name, None) if head not in module.definitions else self._member(path, name)

    def _member(self, path: str, name: str) -> Resolved:
        """`Cls.method` where `method` is inherited from a project base class."""
        module = self.modules[path]
        owner, _, attr = name.rpartition(".")
        cls = module.definitions.get(owner)
        for base in cls.bases if cls is not None else ():
            found = self.resolve(path, f"{base}.{attr}") if base.split(".")[0] in module.imports or base in module.definitions else self.resolve_qualified(f"{base}.{attr}")
            if found.definition is not None:
                return found
        return Resolved(None, name, None)

    def resolve_qualified(self, name: str, *, depth: int = 0) -> Resolved:
        """A fully qualified dotted name: the longest prefix that is a project module, then the
        rest inside it (following re-exports); a name outside the project comes back as is."""
        if depth > 20:  # an import cycle
            return Resolved(None, name, None)
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            path = self.project.module_path(".".join(parts[:cut]))
            if path is None:
                continue
            rest = ".".join(parts[cut:])
            if not rest:
                return Resolved(path, "", None)  # the module itself
            return self.resolve(path, rest, depth=depth + 1)
        return Resolved(None, name, None)

    def locate(self, path: str, name: str, *, depth: int = 0) -> tuple[str, str] | None:
        """Where a dotted name as written in the module at `path` is bound at module level in
        the project, following imports and re-exports: (file, name there), with an empty name
        for a module itself (`users` after `from app.api import users`). For objects that are
        not definitions (a router, a list of routes); None when the name leaves the project."""
        module = self.modules.get(path)
        if module is None:
            return None
        if name.split(".")[0] in module.imports:
            return self.locate_qualified(qualified(module.imports, name), depth=depth + 1)
        return (path, name)

    def locate_qualified(self, name: str, *, depth: int = 0) -> tuple[str, str] | None:
        """`locate` for a fully qualified dotted name (`app.api.users.router`, an import string).
        A Django project whose `manage.py` is in a subfolder imports its apps from there
        (`organizations.urls` is `label_studio/organizations/urls.py`): tried after the root."""
        if depth > 20:  # an import cycle
            return None
        parts = name.split(".")
        for base in ("", *self._source_roots()):
            for cut in range(len(parts), 0, -1):
                path = self.project.module_path(".".join((base, *parts[:cut])) if base else ".".join(parts[:cut]))
                if path is None:
                    continue
                rest = ".".join(parts[cut:])
                return (path, "") if not rest else self.locate(path, rest, depth=depth + 1)
        return None

    def _source_roots(self) -> tuple[str, ...]:
        """Dotted names of the subfolders holding a `manage.py` (Django puts them on `sys.path`)."""
        if self._roots is None:
            self._roots = tuple(sorted({p.rsplit("/", 1)[0].replace("/", ".") for p in self.project.python_files if p.endswith("/manage.py")}))
        return self._roots
