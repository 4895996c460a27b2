"""The project index v2: fact kinds gathered per file and cached by content (in memory, and signed
on disk for `--check`), a save re-gathers one file, a deleted folder leaves the index, and the
SYMBOLS kind resolves names across modules."""

from __future__ import annotations

import hmac
from pathlib import Path

from rules.api.project import SourceFile
from rules.api.symbols import Symbols, collect_symbols
from server.project import Gatherer, ProjectIndex

SECRET = b"k" * 32


def _project(root: Path, files: dict[str, str]) -> list[Path]:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return [root / name for name in files]


def _names(file: SourceFile) -> object | None:
    tree = file.tree()
    return None if tree is None else tuple(sorted(getattr(node, "name", "") for node in tree.body if hasattr(node, "name")))


def _index(root: Path, cache: Path | None = None) -> ProjectIndex:
    return ProjectIndex(root, gatherers=[Gatherer("names", 1, _names)], cache_dir=cache, secret=SECRET if cache else None)


def test_a_save_gathers_the_saved_file_only(tmp_path: Path) -> None:
    paths = _project(tmp_path, {"a.py": "def f(): pass\n", "b.py": "def g(): pass\n", "c.py": "x = (\n"})
    index = _index(tmp_path)
    index.scan(paths)
    assert index.gathered == 3
    assert dict(index.facts().facts("names")) == {"a.py": ("f",), "b.py": ("g",)}  # c.py does not parse: no value
    index.update(tmp_path / "a.py", "def f(): pass\ndef h(): pass\n")
    assert index.gathered == 4
    assert index.facts().facts("names")["a.py"] == ("f", "h")
    index.update(tmp_path / "b.py", "def g(): pass\n")  # saved unchanged: nothing to gather
    assert index.gathered == 4


def test_a_warm_check_reads_the_facts_from_the_signed_cache(tmp_path: Path) -> None:
    root, cache = tmp_path / "project", tmp_path / "cache"
    paths = _project(root, {"a.py": "def f(): pass\n", "pkg/b.py": "class B: pass\n"})
    first = _index(root, cache)
    first.scan(paths)
    assert first.gathered == 2
    warm = _index(root, cache)
    warm.scan(paths)
    assert warm.gathered == 0
    assert dict(warm.facts().facts("names")) == dict(first.facts().facts("names"))
    # an entry someone else wrote (or altered) is never unpickled: gathered again
    for entry in cache.glob("*.pickle"):
        mac, _, payload = entry.read_bytes().partition(b"\n")
        entry.write_bytes(hmac.new(b"other key", payload, "sha256").hexdigest().encode() + b"\n" + payload)
    tampered = _index(root, cache)
    tampered.scan(paths)
    assert tampered.gathered == 2


def test_a_deleted_folder_leaves_the_index(tmp_path: Path) -> None:
    paths = _project(tmp_path, {"app/a.py": "def f(): pass\n", "app/sub/b.py": "def g(): pass\n", "other.py": "x = 1\n"})
    index = _index(tmp_path)
    index.scan(paths)
    index.remove(tmp_path / "app")
    assert index.paths() == ["other.py"]


def test_migrations_gather_no_facts(tmp_path: Path) -> None:
    paths = _project(tmp_path, {"shop/migrations/0001_initial.py": "class Migration: pass\n", "shop/models.py": "class Order: pass\n"})
    index = _index(tmp_path)
    index.scan(paths)
    assert dict(index.facts().facts("names")) == {"shop/models.py": ("Order",)}
    assert "shop/migrations/0001_initial.py" in index.facts().python_files


def _symbols(root: Path, files: dict[str, str]) -> Symbols:
    from rules.api.facts import KINDS

    kind = KINDS["symbols"]
    index = ProjectIndex(root, gatherers=[Gatherer(kind.name, kind.version, kind.gather)])
    index.scan(_project(root, files))
    return Symbols(index.facts())


def test_symbols_follow_imports_and_re_exports_across_modules(tmp_path: Path) -> None:
    symbols = _symbols(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/repos/__init__.py": "from .users import deactivate as retire\n",
            "app/repos/users.py": "class Repo:\n    async def get(self, id): ...\n\nasync def deactivate(user): ...\n",
            "app/services.py": "from app.repos import users, retire\nfrom app import repos\nimport httpx\nfrom .repos.users import Repo\n",
        },
    )
    where = "app/services.py"
    found = symbols.resolve(where, "users.deactivate")
    assert (found.path, found.name, found.definition and found.definition.is_async) == ("app/repos/users.py", "deactivate", True)
    assert symbols.resolve(where, "retire").name == "deactivate"  # re-exported under another name
    assert symbols.resolve(where, "repos.users.deactivate").path == "app/repos/users.py"
    assert symbols.resolve(where, "Repo.get").name == "Repo.get"  # a relative import
    outside = symbols.resolve(where, "httpx.AsyncClient.get")
    assert (outside.path, outside.name) == (None, "httpx.AsyncClient.get")
    assert symbols.resolve(where, "unknown_name").definition is None


def test_symbols_record_parameters_annotations_and_dependencies() -> None:
    text = (
        "from typing import Annotated\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "from app.db import get_db\n\n"
        "async def handler(db: AsyncSession = Depends(get_db), other: Annotated[AsyncSession, Depends(get_db)] = None, n: 'int | None' = None): ...\n"
    )
    module = collect_symbols(SourceFile("app/api.py", text))
    assert module is not None
    params = {p.name: (p.annotation, p.default) for p in module.definitions["handler"].params}
    assert params["db"] == ("sqlalchemy.ext.asyncio.AsyncSession", "fastapi.Depends")
    assert params["other"][0] == "sqlalchemy.ext.asyncio.AsyncSession"
    assert params["n"][0] == "int"


def test_check_tells_edit_rules_what_they_read_of_the_project(tmp_path: Path) -> None:
    """`--check` indexes the project before its file review: RV503 knows that `size` comes from
    the prefix another module includes the router with, so it is no query parameter."""
    import subprocess
    import sys

    _project(
        tmp_path,
        {
            "pyproject.toml": '[tool.reviewls]\npreview = true\nselect = ["RV503"]\n',
            "app/__init__.py": "",
            "app/teams.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n@router.get('/teams')\ndef list_teams(size: int):\n    return []\n",
            "app/main.py": "from fastapi import FastAPI\n\nfrom app import teams\n\napp = FastAPI()\napp.include_router(teams.router, prefix='/sizes/{size}')\n",
        },
    )
    run = [sys.executable, "-m", "server", "--check", "app", "--no-cache", "--format", "json"]
    included = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert included.returncode == 0, included.stdout + included.stderr
    (tmp_path / "app/main.py").write_text("from fastapi import FastAPI\n\nfrom app import teams\n\napp = FastAPI()\napp.include_router(teams.router, prefix='/sizes')\n")
    plain = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert plain.returncode == 1 and "`size` sets a page size" in plain.stdout


def test_modules_resolve_below_a_folder_holding_manage_py(tmp_path: Path) -> None:
    """Django puts manage.py's folder on sys.path: `organizations.urls` is label_studio/organizations/urls.py."""
    index = ProjectIndex(tmp_path)
    index.scan(_project(tmp_path, {"label_studio/manage.py": "", "label_studio/organizations/urls.py": "", "src/pkg/mod.py": ""}))
    view = index.facts()
    assert view.module_path("organizations.urls") == "label_studio/organizations/urls.py"
    assert view.module_path("pkg.mod") == "src/pkg/mod.py"
    assert view.module_path("label_studio.organizations.urls") == "label_studio/organizations/urls.py"
    assert view.module_path("django.urls") is None
