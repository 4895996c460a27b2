"""End to end: the project tier of `python -m server` — the workspace indexed with progress at
start, findings in files that are not open, watched-file changes (a rename) followed by the
index. Same clients' capability profiles as test_server.py.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from tests.lsp.test_server import ROOT, make_client, pulls

ITEMS = """from fastapi import APIRouter

router = APIRouter()


@router.get("/{item_id}")
async def get_item(item_id: int):
    return {}
"""
SERVICES = """from svc import repos


async def offboard(user):
    repos.deactivate(user)
    return user
"""

# the workspace as it is on disk before the editor starts
WORKSPACE = {
    "pyproject.toml": "[tool.reviewls]\npreview = true\n",
    "app/__init__.py": "",
    # RV901: a module beside a package of the same name
    "app/helpers.py": "def slugify(text):\n    return text.lower()\n",
    "app/helpers/__init__.py": "",
    "app/tools/__init__.py": "",
    "app/views.py": "def index(request):\n    return None\n",
    # RV501 across files: both routers under /items; `items` is included first
    "shop/__init__.py": "",
    "shop/main.py": (
        "from fastapi import FastAPI\n\nfrom shop import items, reports\n\napp = FastAPI()\n"
        'app.include_router(items.router, prefix="/items")\napp.include_router(reports.router, prefix="/items")\n'
    ),
    "shop/items.py": ITEMS.replace("/{item_id}", "/by-id/{item_id}"),
    "shop/reports.py": (
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/summary")\nasync def summary():\n    return {}\n'
    ),
    # RV701 across modules: the service calls `users.deactivate` without await
    "svc/__init__.py": "",
    "svc/repos.py": "def deactivate(user):\n    user.active = False\n",
    "svc/services.py": SERVICES,
    # settings deeper than the server's quick look at start: the project worker finds them
    "backend/project/settings/base.py": 'REST_FRAMEWORK = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]}\n',
}

LOGIN_VIEW = """from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class LoginView(APIView):
    permission_classes = [AllowAny]

    def post(self, request):
        return None
"""


@pytest_lsp.fixture(
    config=ClientServerConfig(
        client_factory=make_client,
        server_command=[sys.executable, "-m", "server"],
        server_env={**os.environ, "PYTHONPATH": str(ROOT)},
    ),
    params=["neovim@v0.7.0", "neovim@v0.11.0", "visual_studio_code"],
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, tmp_path: Path):
    for name, text in WORKSPACE.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    await lsp_client.initialize_session(
        lsp.InitializeParams(capabilities=client_capabilities(request.param), root_uri=tmp_path.as_uri())
    )
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def until(client: LanguageClient, condition: Callable[[], bool], what: str) -> None:
    """Wait (bounded: 60 s, a slow CI machine) for a condition on what the client received."""
    for _ in range(1200):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def project_findings(client: LanguageClient, uri: str) -> list[lsp.Diagnostic]:
    """The diagnostics of a file that is not open: the last push, or a workspace pull."""
    if pulls(client):
        report = await client.workspace_diagnostic_async(lsp.WorkspaceDiagnosticParams(previous_result_ids=[]))
        for item in report.items:
            if item.uri == uri and isinstance(item, lsp.WorkspaceFullDocumentDiagnosticReport):
                return list(item.items)
        return []
    pushes = [p for p in client.received if p.uri == uri]  # type: ignore[attr-defined]
    return list(pushes[-1].diagnostics) if pushes else []


async def wait_for_codes(client: LanguageClient, uri: str, expected: list[str]) -> list[lsp.Diagnostic]:
    found: list[lsp.Diagnostic] = []

    async def poll() -> bool:
        nonlocal found
        found = await project_findings(client, uri)
        return sorted(str(d.code) for d in found) == expected

    for _ in range(600):
        if await poll():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{uri}: expected {expected}, last saw {[(d.code, d.message) for d in found]}")


async def test_the_workspace_is_indexed_at_start_with_progress(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    # a finding in a file nobody opened: the index was built from the disk
    found = await wait_for_codes(client, (root / "app/helpers.py").as_uri(), ["RV901"])
    assert "app/helpers/" in found[0].message

    def ended() -> bool:
        return any(
            any(isinstance(value, lsp.WorkDoneProgressEnd) for value in values) for values in client.progress_reports.values()
        )

    await until(client, ended, "the end of the indexing progress")
    (values,) = [v for v in client.progress_reports.values() if v]
    assert isinstance(values[0], lsp.WorkDoneProgressBegin)
    assert values[0].title == "reviewls: indexing the project"
    assert isinstance(values[-1], lsp.WorkDoneProgressEnd)
    assert values[-1].message == f"{len([n for n in WORKSPACE if n.endswith('.py')])} files indexed"
    reports = [v for v in values if isinstance(v, lsp.WorkDoneProgressReport)]
    assert reports and reports[-1].percentage == 100


async def test_a_renamed_file_moves_its_findings(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    old, new = root / "app/helpers.py", root / "app/tools.py"
    await wait_for_codes(client, old.as_uri(), ["RV901"])
    old.rename(new)  # what a rename in the file manager or `git mv` does; the editor's watcher reports it
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(
            changes=[
                lsp.FileEvent(uri=old.as_uri(), type=lsp.FileChangeType.Deleted),
                lsp.FileEvent(uri=new.as_uri(), type=lsp.FileChangeType.Created),
            ]
        )
    )
    found = await wait_for_codes(client, new.as_uri(), ["RV901"])
    assert "app/tools/" in found[0].message
    await wait_for_codes(client, old.as_uri(), [])  # cleared where it was


async def test_a_deleted_file_clears_its_findings(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    target = root / "app/helpers.py"
    await wait_for_codes(client, target.as_uri(), ["RV901"])
    target.unlink()
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=target.as_uri(), type=lsp.FileChangeType.Deleted)])
    )
    await wait_for_codes(client, target.as_uri(), [])


async def test_settings_found_anywhere_in_the_workspace_reach_the_edit_tier(client: LanguageClient) -> None:
    """The project worker decides the settings over the whole workspace, as `--check` does: the
    throttling default set in a deep settings module silences RV502 in an open view."""
    root: Path = client.root  # type: ignore[attr-defined]
    path = root / "backend/shop/views.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(LOGIN_VIEW)
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, LOGIN_VIEW)))
    seen: list[str] = []
    for _ in range(600):
        if pulls(client):
            report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri)))
            assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
            items = list(report.items)
        else:
            pushes = [p for p in client.received if p.uri == uri]  # type: ignore[attr-defined]
            if not pushes:
                await asyncio.sleep(0.1)
                continue
            items = list(pushes[-1].diagnostics)
        seen = [str(d.code) for d in items]
        if "RV502" not in seen and client.progress_reports and all(
            any(isinstance(v, lsp.WorkDoneProgressEnd) for v in values) for values in client.progress_reports.values() if values
        ):
            break
        await asyncio.sleep(0.1)
    assert "RV502" not in seen


def open_file(client: LanguageClient, name: str) -> str:
    path: Path = client.root / name  # type: ignore[attr-defined]
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, path.read_text())))
    return uri


def save_as(client: LanguageClient, name: str, version: int, text: str) -> None:
    """Replace an open document's text, write it to disk and save it, as the editor does."""
    path: Path = client.root / name  # type: ignore[attr-defined]
    uri = path.as_uri()
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    path.write_text(text)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri)))


async def open_findings(client: LanguageClient, uri: str, code: str, count: int) -> list[lsp.Diagnostic]:
    """Wait until an open document shows `count` findings of `code` (pulled, or the last push)."""
    found: list[lsp.Diagnostic] = []
    last: tuple[str | None, list[lsp.Diagnostic]] = (None, [])
    for _ in range(600):
        if pulls(client):
            # as editors pull: with the previous result id, keeping the items while "unchanged"
            report = await client.text_document_diagnostic_async(
                lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri), previous_result_id=last[0])
            )
            if isinstance(report, lsp.RelatedFullDocumentDiagnosticReport):
                last = (report.result_id, list(report.items))
            else:
                assert isinstance(report, lsp.RelatedUnchangedDocumentDiagnosticReport)
            items = last[1]
        else:
            pushes = [p for p in client.received if p.uri == uri]  # type: ignore[attr-defined]
            items = list(pushes[-1].diagnostics) if pushes else []
        found = [d for d in items if d.code == code]
        if len(found) == count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{uri}: expected {count} {code}, saw {[(d.code, d.message) for d in found]}")


async def test_saving_a_router_that_newly_shadows_another_routers_route(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    reports = (root / "shop/reports.py").as_uri()
    await wait_for_codes(client, (root / "app/helpers.py").as_uri(), ["RV901"])  # the first index is done
    assert [d for d in await project_findings(client, reports) if d.code == "RV501"] == []
    uri = open_file(client, "shop/items.py")
    save_as(client, "shop/items.py", 2, ITEMS)  # GET /items/{item_id}, included before reports' /items/summary
    (found,) = await wait_for_codes(client, reports, ["RV501"])
    assert "/items/summary" in found.message and "/items/{item_id}" in found.message
    assert found.range.start.line == 5  # the literal route's decorator, in the file nobody opened
    related = found.related_information or []
    assert [(r.location.uri, r.location.range.start.line) for r in related] == [(uri, 5)]
    save_as(client, "shop/items.py", 3, ITEMS.replace("/{item_id}", "/by-id/{item_id}"))  # fixed
    await wait_for_codes(client, reports, [])


async def test_a_coroutine_of_another_module_called_without_await_after_that_module_is_saved(client: LanguageClient) -> None:
    root: Path = client.root  # type: ignore[attr-defined]
    services = open_file(client, "svc/services.py")
    await wait_for_codes(client, (root / "app/helpers.py").as_uri(), ["RV901"])  # the first index is done
    assert await open_findings(client, services, "RV701", 0) == []
    open_file(client, "svc/repos.py")
    save_as(client, "svc/repos.py", 2, "async def deactivate(user):\n    user.active = False\n")
    (found,) = await open_findings(client, services, "RV701", 1)
    assert found.range.start.line == 4
    assert "deactivate" in found.message
