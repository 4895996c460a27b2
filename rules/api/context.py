"""What a rule knows about the module around its block.

A file rule sees one block; the imports live in other blocks. The engine builds one
`ModuleContext` per module version from the import blocks and top-level definitions alone
(a cheap pass), so `import requests as http` in line 1 resolves `http.post` in line 900.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from pathlib import PurePosixPath

import libcst as cst


class Role(StrEnum):
    """What kind of module this is; rules stay quiet in some roles."""

    TEST = "test"
    CONFTEST = "conftest"
    SETTINGS = "settings"
    LOCAL_SETTINGS = "local-settings"
    MIGRATION = "migration"
    MANAGEMENT_COMMAND = "management-command"
    SCRIPT = "script"


_LOCAL_SETTINGS_STEMS = ("local", "dev", "development", "test", "tests", "testing")


def roles_for_path(path: str) -> frozenset[Role]:
    """Roles that follow from the path alone (content adds SCRIPT)."""
    p = PurePosixPath(path.replace("\\", "/"))
    parts = p.parts
    name = p.name
    stem = p.stem
    roles: set[Role] = set()
    if name == "conftest.py":
        roles.update((Role.CONFTEST, Role.TEST))
    if name.startswith("test_") or stem.endswith("_test") or name == "tests.py" or any(
        part in ("tests", "test") for part in parts[:-1]
    ):
        roles.add(Role.TEST)
    if "migrations" in parts[:-1]:
        roles.add(Role.MIGRATION)
    if len(parts) >= 3 and parts[-3:-1] == ("management", "commands"):
        roles.add(Role.MANAGEMENT_COMMAND)
    in_settings_pkg = len(parts) >= 2 and parts[-2] == "settings"
    if stem == "settings" or in_settings_pkg or stem.endswith("_settings"):
        roles.add(Role.SETTINGS)
        local_stem = stem.removesuffix("_settings")
        if in_settings_pkg and (stem.startswith(_LOCAL_SETTINGS_STEMS)) or local_stem in _LOCAL_SETTINGS_STEMS:
            roles.add(Role.LOCAL_SETTINGS)
    return frozenset(roles)


def dotted_name(expr: cst.BaseExpression) -> str | None:
    """`a.b.c` for Name/Attribute chains, else None (calls, subscripts...)."""
    parts: list[str] = []
    node: cst.BaseExpression = expr
    while isinstance(node, cst.Attribute):
        parts.append(node.attr.value)
        node = node.value
    if not isinstance(node, cst.Name):
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


@dataclass(frozen=True)
class ModuleContext:
    """Facts about the whole module that rules on a single block need."""

    path: str = "module.py"
    roles: frozenset[Role] = frozenset()
    # local name -> qualified name ("http" -> "requests", "get" -> "requests.get")
    import_items: tuple[tuple[str, str], ...] = ()
    # names bound at top level by def/class/assignment (they shadow builtins)
    local_names: frozenset[str] = frozenset()
    logger_name: str | None = None
    has_main_guard: bool = False
    has_main_function: bool = False
    # `name = callee(...)` at top level, callee resolved through imports ("session" -> "requests.Session")
    call_items: tuple[tuple[str, str], ...] = ()
    # project-wide framework defaults the settings configure (`DEFAULT_THROTTLE_CLASSES`, ...)
    project_settings: frozenset[str] = frozenset()

    @cached_property
    def imports(self) -> Mapping[str, str]:
        return dict(self.import_items)

    @cached_property
    def module_calls(self) -> Mapping[str, str]:
        """Top-level names bound to a call's result, with the callee's qualified name."""
        return dict(self.call_items)

    @cached_property
    def frameworks(self) -> frozenset[str]:
        """Top-level packages imported by the module (django, fastapi, requests...)."""
        return frozenset(q.split(".")[0] for _, q in self.import_items)

    @property
    def key(self) -> tuple[object, ...]:
        """What a block's findings depend on besides its own text."""
        return (
            self.path,
            self.roles,
            self.import_items,
            self.local_names,
            self.logger_name,
            self.has_main_guard,
            self.has_main_function,
            self.call_items,
            self.project_settings,
        )

    def has_role(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    def is_production_settings(self) -> bool:
        """A settings module that is not a local, dev or test variant."""
        return Role.SETTINGS in self.roles and not self.has_role(Role.LOCAL_SETTINGS, Role.TEST)

    def qualified_name(self, expr: cst.BaseExpression) -> str | None:
        """Resolve a Name/Attribute through the module's imports.

        Imported names map to their source (`http.post` -> `requests.post`); names defined in
        the module resolve to `<module>.name`; anything else (builtins) stays as written.
        """
        name = dotted_name(expr)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        target = self.imports.get(head)
        if target is not None:
            return f"{target}.{rest}" if rest else target
        if head in self.local_names:
            return f"<module>.{name}"
        return name
