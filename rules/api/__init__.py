"""The rule SDK: everything a rule module imports."""

from __future__ import annotations

from rules.api.context import ModuleContext, Role, dotted_name, roles_for_path
from rules.api.families import FAMILIES, FAMILY_TITLES
from rules.api.helpers import (
    append_arg,
    body_statements,
    caught_names,
    decorator_names,
    find_all,
    fstring_to_percent,
    get_kwarg,
    has_star_kwargs,
    is_docstring,
    is_logger,
    is_main_guard,
    is_view_function,
    kwarg,
    string_literal,
    string_value,
)
from rules.api.rule import BlockView, FileRule, FixBuilder, LazyFix, Located, ModuleRule, NoOptions, Related, Report, Rule
from rules.api.types import Fix, Invalid, RuleMeta, Safety, Scope, Severity, Span, TextEdit, Valid

__all__ = [
    "FAMILIES",
    "FAMILY_TITLES",
    "BlockView",
    "FileRule",
    "Fix",
    "FixBuilder",
    "Invalid",
    "LazyFix",
    "Located",
    "ModuleContext",
    "ModuleRule",
    "NoOptions",
    "Related",
    "Report",
    "Role",
    "Rule",
    "RuleMeta",
    "Safety",
    "Scope",
    "Severity",
    "Span",
    "TextEdit",
    "Valid",
    "append_arg",
    "body_statements",
    "caught_names",
    "decorator_names",
    "dotted_name",
    "find_all",
    "fstring_to_percent",
    "get_kwarg",
    "has_star_kwargs",
    "is_docstring",
    "is_logger",
    "is_main_guard",
    "is_view_function",
    "kwarg",
    "roles_for_path",
    "string_literal",
    "string_value",
]
