"""rules/api/symbols.py: the SYMBOLS fact kind and its helpers."""

from __future__ import annotations

import ast

import pytest

from rules.api.symbols import annotation_name


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        ("AsyncSession", "AsyncSession"),
        ("httpx.AsyncClient", "httpx.AsyncClient"),
        ("Annotated[AsyncSession, Depends(get_db)]", "AsyncSession"),
        ("Optional[UserRepo]", "UserRepo"),
        ("UserRepo | None", "UserRepo"),
        ("None | UserRepo", "UserRepo"),
        ("'UserRepo'", "UserRepo"),
        ("list[UserRepo]", None),
        ("'not valid ('", None),
    ],
)
def test_annotation_name_as_written(annotation: str, expected: str | None) -> None:
    assert annotation_name(ast.parse(annotation, mode="eval").body) == expected


def test_annotation_name_qualified_through_imports() -> None:
    imports = {"AsyncSession": "sqlalchemy.ext.asyncio.AsyncSession", "httpx": "httpx"}
    node = ast.parse("Annotated[AsyncSession, Depends(get_db)]", mode="eval").body
    assert annotation_name(node, imports) == "sqlalchemy.ext.asyncio.AsyncSession"
    assert annotation_name(None, imports) is None
