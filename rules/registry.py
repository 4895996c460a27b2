"""Finds every rule class under rules/<family>/ and checks its metadata.

The registry is the single source of rule metadata: the README table, hover, `--select`
and the docs pages are generated from it. Extra rule modules (plugins, test doubles) come
from the `REVIEWLS_PLUGINS` environment variable, a comma-separated list of module names.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
from functools import cache

from rules.api import FAMILIES, FileRule, ModuleRule, Rule, RuleBase, SuppressionRule
from rules.api.configdata import ConfigRule
from rules.api.project import ProjectRule


class RegistryError(Exception):
    """A rule's metadata breaks the registry's invariants."""


def _rule_classes_in(module_name: str) -> list[type[RuleBase]]:
    module = importlib.import_module(module_name)
    return [
        obj
        for _, obj in inspect.getmembers(module, inspect.isclass)
        if issubclass(obj, RuleBase)
        and obj not in (RuleBase, Rule, FileRule, ModuleRule, ConfigRule, ProjectRule, SuppressionRule)
        and obj.__module__ == module.__name__
        and hasattr(obj, "meta")
    ]


def _rule_modules() -> list[str]:
    import rules

    names: list[str] = []
    base = os.path.dirname(rules.__file__)
    for family in sorted(set(FAMILIES.values())):
        folder = os.path.join(base, family)
        if os.path.isdir(folder):
            names.extend(f"rules.{family}.{info.name}" for info in pkgutil.iter_modules([folder]))
    names.extend(filter(None, (p.strip() for p in os.environ.get("REVIEWLS_PLUGINS", "").split(","))))
    return names


@cache
def all_rules() -> tuple[type[RuleBase], ...]:
    """Every rule, sorted by code; validated once. Project parts of edit rules are not rules of
    their own (`project_parts`)."""
    found = [rule for name in _rule_modules() for rule in _rule_classes_in(name) if not _is_part(rule)]
    _validate(found)
    return tuple(sorted(found, key=lambda r: r.meta.code))


def _is_part(rule: type[RuleBase]) -> bool:
    return issubclass(rule, ProjectRule) and rule.part_of is not None


@cache
def project_parts() -> tuple[type[ProjectRule], ...]:
    """The project parts of edit rules (RV501 across files): each shares its rule's code and metadata."""
    rules = set(all_rules())
    parts: list[type[ProjectRule]] = []
    for name in _rule_modules():
        for rule in _rule_classes_in(name):
            if issubclass(rule, ProjectRule) and rule.part_of is not None:
                if rule.part_of not in rules or rule.meta is not rule.part_of.meta:
                    raise RegistryError(f"{rule.__name__} is a part of {rule.part_of.__name__}: it must share that rule's `meta`")
                parts.append(rule)
    return tuple(sorted(parts, key=lambda r: r.meta.code))


def parts_of(rule: type[RuleBase]) -> tuple[type[ProjectRule], ...]:
    return tuple(part for part in project_parts() if part.part_of is rule)


def _validate(found: list[type[RuleBase]]) -> None:
    codes: dict[str, type[RuleBase]] = {}
    names: dict[str, type[RuleBase]] = {}
    for rule in found:
        meta = rule.meta
        if meta.code in codes:
            raise RegistryError(f"{meta.code} is defined twice: {codes[meta.code].__name__} and {rule.__name__}")
        for name in (meta.name, *meta.aliases):
            if name in names:
                raise RegistryError(f"rule name {name!r} is used twice")
            names[name] = rule
        codes[meta.code] = rule


@cache
def by_code() -> dict[str, type[RuleBase]]:
    return {rule.meta.code: rule for rule in all_rules()}


@cache
def by_name() -> dict[str, type[RuleBase]]:
    table: dict[str, type[RuleBase]] = {}
    for rule in all_rules():
        table[rule.meta.name] = rule
        for alias in rule.meta.aliases:
            table[alias] = rule
    return table


def resolve_selector(selector: str) -> list[type[RuleBase]]:
    """Rules matched by a code (`RV301`), a code prefix (`RV3`, `RV`), or a name."""
    selector = selector.strip()
    if selector in by_name():
        return [by_name()[selector]]
    upper = selector.upper()
    matched = [rule for rule in all_rules() if rule.meta.code.startswith(upper)]
    if not matched or not upper.startswith("RV"):
        raise KeyError(selector)
    return matched
