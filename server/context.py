"""Building a `ModuleContext` from a module's top-level blocks.

Only import-bearing top-level statements are parsed (with `ast`, cheaply); definitions are
read from each unit's first code line. Both are cached under the unit's text, so an edit
inside a function does not redo them.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rules.api import ModuleContext, Role, roles_for_path
from rules.api.astnames import ast_dotted as dotted_ast
from server.blocks import Unit

_IMPORTISH = re.compile(r"^\s*(?:import|from)\s", re.M)
_DEF = re.compile(r"^(?:async\s+)?def\s+(\w+)", re.M)
_CLASS = re.compile(r"^class\s+(\w+)", re.M)
_ASSIGN = re.compile(r"^(\w+)\s*(?::[^=\n]*)?=(?!=)", re.M)
_LOGGER = re.compile(r"^(\w+)\s*(?::[^=\n]*)?=\s*(?:logging\.|structlog\.)?get_?[lL]ogger\(", re.M)
_MAIN_GUARD = re.compile(r"^if\s+(?:__name__\s*==\s*['\"]__main__['\"]|['\"]__main__['\"]\s*==\s*__name__)\s*:", re.M)


@dataclass(frozen=True, slots=True)
class UnitFacts:
    imports: tuple[tuple[str, str], ...]
    names: tuple[str, ...]
    logger: str | None
    main_guard: bool
    main_function: bool
    calls: tuple[tuple[str, str], ...] = ()  # `name = callee(...)` at top level, callee as written


def _imports_of(tree: ast.AST) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    out.append((alias.asname, alias.name))
                else:
                    head = alias.name.split(".")[0]
                    out.append((head, head))
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                if alias.name == "*":
                    continue
                target = f"{base}.{alias.name}" if base and not base.endswith(".") else f"{base}{alias.name}"
                out.append((alias.asname or alias.name, target))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # imports inside functions are local to them
        else:
            stack.extend(ast.iter_child_nodes(node))
    return out


@lru_cache(maxsize=8192)
def unit_facts(text: str) -> UnitFacts:
    """Module-level facts of one top-level unit (its first block's text)."""
    imports: list[tuple[str, str]] = []
    if _IMPORTISH.search(text) and not _DEF.match(text.lstrip()) and not _CLASS.match(text.lstrip()):
        try:
            imports = _imports_of(ast.parse(text))
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            imports = []
    names = [*_DEF.findall(text), *_CLASS.findall(text), *_ASSIGN.findall(text)]
    calls: list[tuple[str, str]] = []
    if _ASSIGN.match(text.lstrip()) and "(" in text:
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            tree = None
        for stmt in tree.body if tree else ():
            if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Call):
                callee = dotted_ast(stmt.value.func)
                if callee:
                    calls.extend((t.id, callee) for t in stmt.targets if isinstance(t, ast.Name))
    logger = _LOGGER.search(text)
    return UnitFacts(
        imports=tuple(imports),
        names=tuple(names),
        logger=logger.group(1) if logger else None,
        main_guard=bool(_MAIN_GUARD.search(text)),
        main_function="main" in _DEF.findall(text),
        calls=tuple(calls),
    )


def build_context(
    path: str, units: Sequence[Unit], settings_modules: Sequence[str] = (), project_settings: Sequence[str] = ()
) -> ModuleContext:
    """The module context for one version of a document."""
    imports: dict[str, str] = {}
    names: set[str] = set()
    logger: str | None = None
    main_guard = False
    main_function = False
    calls: dict[str, str] = {}
    for unit in units:
        facts = unit_facts(unit.blocks[0].text)
        imports.update(facts.imports)
        names.update(facts.names)
        logger = logger or facts.logger
        main_guard = main_guard or facts.main_guard
        main_function = main_function or facts.main_function
        calls.update(facts.calls)
    for name in imports:
        names.discard(name)
    roles = set(roles_for_path(path))
    if main_guard or main_function:
        roles.add(Role.SCRIPT)
    stem = path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".py")
    env_readers = {"os", "environ", "decouple", "pydantic_settings", "environs", "dotenv"}
    if stem in ("config", "conf", "configuration") and env_readers & {q.split(".")[0] for q in imports.values()}:
        roles.add(Role.SETTINGS)  # a config module that reads the environment
    posix = path.replace("\\", "/")
    if any(posix == target or posix.endswith("/" + target) for target in settings_modules):
        roles.add(Role.SETTINGS)  # what DJANGO_SETTINGS_MODULE names is a settings module, whatever its name
    def resolve(callee: str) -> str:
        head, _, rest = callee.partition(".")
        target = imports.get(head)
        if target is None:
            return callee
        return f"{target}.{rest}" if rest else target

    return ModuleContext(
        path=path,
        call_items=tuple(sorted((name, resolve(callee)) for name, callee in calls.items())),
        roles=frozenset(roles),
        import_items=tuple(sorted(imports.items())),
        local_names=frozenset(names),
        logger_name=logger,
        has_main_guard=main_guard,
        has_main_function=main_function,
        project_settings=frozenset(project_settings),
    )
