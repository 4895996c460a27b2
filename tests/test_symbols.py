"""rules/api/symbols.py: the SYMBOLS fact kind and its helpers."""

from __future__ import annotations

import ast

import pytest

from rules.api.project import SYMBOLS, ProjectView, SourceFile
from rules.api.symbols import Symbols, annotation_name, collect_symbols


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


def symbols(files: dict[str, str]) -> Symbols:
    facts = {path: found for path, text in files.items() if (found := collect_symbols(SourceFile(path, text))) is not None}
    return Symbols(ProjectView(root=".", env_uses=(), env_examples=(), python_files=tuple(files), packages=(), kinds={SYMBOLS: facts}))


def test_locate_follows_imports_and_reexports_to_module_level_names() -> None:
    found = symbols(
        {
            "app/main.py": "from app.api import users, search_router\nfrom app import api\nimport app.api.users\n",
            "app/api/__init__.py": "from .search import router as search_router\n",
            "app/api/users.py": "from fastapi import APIRouter\nrouter = APIRouter()\n",
            "app/api/search.py": "from fastapi import APIRouter\nrouter = APIRouter()\n",
        }
    )
    assert found.locate("app/main.py", "users.router") == ("app/api/users.py", "router")
    assert found.locate("app/main.py", "users") == ("app/api/users.py", "")
    assert found.locate("app/main.py", "search_router") == ("app/api/search.py", "router")
    assert found.locate("app/main.py", "app.api.users.router") == ("app/api/users.py", "router")
    assert found.locate("app/main.py", "local_name") == ("app/main.py", "local_name")
    assert found.locate_qualified("app.api.search.router") == ("app/api/search.py", "router")
    assert found.locate("app/api/users.py", "APIRouter") is None  # outside the project
    assert found.locate("app/missing.py", "x") is None


def test_locate_in_apps_of_a_django_project_below_the_root() -> None:
    """`manage.py` in `backend/`: the apps import each other as `shop.urls`, not `backend.shop.urls`."""
    found = symbols({"backend/manage.py": "", "backend/shop/urls.py": "urlpatterns = []\n", "backend/config/urls.py": "from shop import urls\n"})
    assert found.locate_qualified("shop.urls") == ("backend/shop/urls.py", "")
    assert found.locate("backend/config/urls.py", "urls.urlpatterns") == ("backend/shop/urls.py", "urlpatterns")


def test_locate_stops_on_an_import_cycle() -> None:
    found = symbols({"a.py": "from b import x\n", "b.py": "from a import x\n"})
    assert found.locate("a.py", "x") is None
