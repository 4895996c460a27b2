"""RV501 across files (the route tree of the project) and RV503's path parameters from router prefixes."""

from __future__ import annotations

import dataclasses
import pickle
import textwrap
from pathlib import Path

from rules.api.project import SYMBOLS, ProjectView, SourceFile
from rules.api.routes import ROUTES, ModuleRoutes, RouteTree, collect_routes, path_param_entries
from rules.api.symbols import collect_symbols
from rules.registry import by_code
from server.projectsession import ProjectSession
from tests.harness import analyze, engine_for

MAIN = """
from fastapi import FastAPI

from app.api import search, users

app = FastAPI()
app.include_router(users.router, prefix="/users")
app.include_router(search.router, prefix="/users")
"""
USERS = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/{user_id}")
async def get_user(user_id: int):
    return {}


@router.get("/me")
async def me():
    return {}
"""
SEARCH = """
from fastapi import APIRouter

router = APIRouter()


@router.get("/search")
async def search_users():
    return []
"""


def view(files: dict[str, str]) -> ProjectView:
    """A project view of these files with the ROUTES and SYMBOLS facts, without the index."""
    routes: dict[str, object] = {}
    symbols: dict[str, object] = {}
    for path, text in files.items():
        source = SourceFile(path, textwrap.dedent(text))
        if (found := collect_routes(source)) is not None:
            routes[path] = found
        if (module := collect_symbols(source)) is not None:
            symbols[path] = module
    return ProjectView(root=".", env_uses=(), env_examples=(), python_files=tuple(files), packages=(), kinds={ROUTES: routes, SYMBOLS: symbols})


def project_findings(tmp_path: Path, files: dict[str, str]) -> list[tuple[str, object]]:
    """(path, finding) of RV501 over these files, both tiers, as the editor and `--check` run them."""
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(textwrap.dedent(text))
    engine = engine_for(by_code()["RV501"])
    session = ProjectSession(tmp_path, engine)
    session.scan(tmp_path / path for path in files)
    pairs: list[tuple[str, object]] = list(session.check())
    for path in files:
        pairs.extend((path, f) for f in analyze(engine, (tmp_path / path).read_text(), (tmp_path / path).as_posix()).findings)
    return pairs


def test_full_paths_in_resolution_order() -> None:
    tree = RouteTree(view({"app/main.py": MAIN, "app/api/users.py": USERS, "app/api/search.py": SEARCH}))
    [(path, app)] = tree.roots()
    assert path == "app/main.py"
    assert [(r.describe(), r.file) for r in tree.flatten(path, app)] == [
        ("GET /users/{user_id}", "app/api/users.py"),
        ("GET /users/me", "app/api/users.py"),
        ("GET /users/search", "app/api/search.py"),
    ]


def test_prefixes_compose_through_levels_of_includes() -> None:
    files = {
        "app/main.py": "from fastapi import FastAPI\nfrom app.api.v1 import api\napp = FastAPI()\napp.include_router(api.router, prefix='/v1')\n",
        "app/api/v1/api.py": "from fastapi import APIRouter\nfrom app.api import users\nrouter = APIRouter(prefix='/api')\n"
        "router.include_router(users.router, prefix='/users')\n",
        "app/api/users.py": USERS,
    }
    tree = RouteTree(view(files))
    [(path, app)] = tree.roots()
    assert [r.full_path for r in tree.flatten(path, app)] == ["/v1/api/users/{user_id}", "/v1/api/users/me"]


def test_reported_at_the_literal_with_the_other_file_related(tmp_path: Path) -> None:
    pairs = project_findings(tmp_path, {"app/main.py": MAIN, "app/api/users.py": USERS, "app/api/search.py": SEARCH})
    assert [(path, f.span.line) for path, f in pairs] == [("app/api/search.py", 7), ("app/api/users.py", 12)]  # type: ignore[attr-defined]
    path, finding = pairs[0]
    assert finding.message == (  # type: ignore[attr-defined]
        "`GET /users/search` is never reached: `GET /users/{user_id}`, in `app/api/users.py`, registered before it, matches the same requests"
    )
    [related] = finding.related  # type: ignore[attr-defined]
    assert (related.path, related.span.line, related.message) == ("app/api/users.py", 7, "registered first here, as GET /users/{user_id} (`get_user`)")
    assert finding.fix is None  # type: ignore[attr-defined]


def test_a_pair_the_edit_rule_orders_is_reported_once(tmp_path: Path) -> None:
    """`/me` below `/{user_id}` in one router: the edit rule's finding (with its fix), not a second one."""
    pairs = project_findings(tmp_path, {"app/main.py": MAIN, "app/api/users.py": USERS})
    assert [(path, f.span.line) for path, f in pairs] == [("app/api/users.py", 12)]  # type: ignore[attr-defined]


def test_fastapi_include_in_the_same_module_copies_only_routes_declared_before() -> None:
    source = (
        "from fastapi import APIRouter, FastAPI\n\napp = FastAPI()\nrouter = APIRouter()\n\n\n@router.get('/{item_id}')\ndef item(item_id: str):\n"
        "    return {}\n\n\napp.include_router(router)\n\n\n@router.get('/late')\ndef late():\n    return {}\n"
    )
    tree = RouteTree(view({"app/main.py": source}))
    [(path, app)] = tree.roots()
    assert [r.full_path for r in tree.flatten(path, app)] == ["/{item_id}"]


def test_collected_facts_pickle() -> None:
    found = collect_routes(SourceFile("app/main.py", textwrap.dedent(MAIN)))
    assert isinstance(found, ModuleRoutes)
    assert pickle.loads(pickle.dumps(found)) == found
    assert collect_routes(SourceFile("app/util.py", "def f():\n    return 1\n")) is None


def test_non_ascii_columns_are_code_points() -> None:
    source = "from fastapi import APIRouter\nrouter = APIRouter()\nx = 'ü'; router.add_api_route('/a', f)\n"
    found = collect_routes(SourceFile("app/r.py", source))
    assert found is not None
    [container] = found.containers
    [route] = container.entries
    assert (route.span.line, route.span.col) == (3, 9)


PREFIXED = {
    "app/main.py": "from fastapi import FastAPI\nfrom app.api import orgs\napp = FastAPI()\napp.include_router(orgs.router, prefix='/orgs/{org_id}')\n",
    "app/api/orgs.py": "from fastapi import APIRouter\nfrom app.api import teams\nrouter = APIRouter()\n"
    "router.include_router(teams.router, prefix='/teams/{team_id:int}')\n",
    "app/api/teams.py": "from fastapi import APIRouter\nrouter = APIRouter(prefix='/{size}')\n\n\n@router.get('/members')\ndef members(org_id: str, team_id: int, size: int):\n"
    "    return []\n",
}


def test_path_param_entries_of_prefixes_in_other_modules() -> None:
    assert path_param_entries(view(PREFIXED)) == (
        "path-param:app/api/orgs.py:router:org_id",
        "path-param:app/api/teams.py:router:org_id",
        "path-param:app/api/teams.py:router:size",
        "path-param:app/api/teams.py:router:team_id",
    )


def test_rv503_reads_path_params_from_the_project_settings() -> None:
    """`size` comes from a prefix: with the project's entries it is no page size of the query string."""
    engine = engine_for(by_code()["RV503"])
    source = PREFIXED["app/api/teams.py"].replace("APIRouter(prefix='/{size}')", "APIRouter()")
    before = analyze(engine, source, "/work/project/app/api/teams.py").findings
    assert [f.message for f in before] == ["`size` sets a page size with no upper bound"]
    entries = path_param_entries(view({**PREFIXED, "app/api/orgs.py": PREFIXED["app/api/orgs.py"].replace("/teams/{team_id:int}", "/{size}")}))
    assert "path-param:app/api/teams.py:router:size" in entries
    engine.set_config(dataclasses.replace(engine.config, project_settings=entries))
    assert analyze(engine, source, "/work/project/app/api/teams.py").findings == ()
    assert analyze(engine, source, "app/api/teams.py").findings == ()
    # another module's router of the same name gets nothing from it
    assert len(analyze(engine, source, "/work/project/app/api/other.py").findings) == 1


def test_an_app_a_test_builds_is_no_root() -> None:
    """A test that includes the routers in its own order says nothing of the served app."""
    files = {"tests/test_api.py": MAIN, "app/api/users.py": USERS, "app/api/search.py": SEARCH}
    assert RouteTree(view(files)).roots() == []
    assert [path for path, _ in RouteTree(view({**files, "app/main.py": MAIN})).roots()] == ["app/main.py"]
