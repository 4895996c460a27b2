"""Names in `ast` trees: the one place that spells `a.b.c` out of a Name/Attribute chain."""

from __future__ import annotations

import ast


def ast_dotted(node: ast.AST | None) -> str | None:
    """`a.b.c` for an `ast` Name/Attribute chain, else None (calls, subscripts...)."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))
