"""End to end over stdio: `python -m server` driven by a pytest-lsp client.

Parametrised over real clients' capability profiles: Neovim 0.11 pulls diagnostics
(textDocument/diagnostic); Neovim 0.7 and VS Code 1.65 get them pushed.
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

ROOT = Path(__file__).resolve().parents[2]
SERVICE = '''import requests


def charge(order):
    print("charging", order.id)
    return requests.post(URL, json=order.payload)


def refund(order):
    return order
'''


def _record(client: LanguageClient, params: lsp.PublishDiagnosticsParams) -> None:
    """Keep every publish (pytest-lsp keeps only the last), to check versions."""
    client.diagnostics[params.uri] = params.diagnostics
    client.received.append(params)  # type: ignore[attr-defined]


def _register(client: LanguageClient, params: lsp.RegistrationParams) -> None:
    client.registrations.extend(params.registrations)  # type: ignore[attr-defined]


def _apply_edit(client: LanguageClient, params: lsp.ApplyWorkspaceEditParams) -> lsp.ApplyWorkspaceEditResult:
    client.applied.append(params)  # type: ignore[attr-defined]
    return lsp.ApplyWorkspaceEditResult(applied=True)


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    client.received = []  # type: ignore[attr-defined]
    client.registrations = []  # type: ignore[attr-defined]
    client.applied = []  # type: ignore[attr-defined]
    features = {
        **DEFAULT_CLIENT_FEATURES,
        lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: _record,
        lsp.CLIENT_REGISTER_CAPABILITY: _register,
        lsp.WORKSPACE_APPLY_EDIT: _apply_edit,
    }
    register_lsp_features(client, features)
    return client


@pytest_lsp.fixture(
    config=ClientServerConfig(
        client_factory=make_client,
        server_command=[sys.executable, "-m", "server"],
        server_env={**os.environ, "REVIEWLS_PLUGINS": "tests.fixtures.plugin_rules", "PYTHONPATH": str(ROOT)},
    ),
    params=["neovim@v0.7.0", "neovim@v0.11.0", "visual_studio_code"],
)
async def client(request: pytest.FixtureRequest, lsp_client: LanguageClient, tmp_path: Path):
    # every rule, preview ones too: these tests are about the server, not about which rules are stable
    (tmp_path / "pyproject.toml").write_text("[tool.reviewls]\npreview = true\n")
    result = await lsp_client.initialize_session(
        lsp.InitializeParams(
            capabilities=client_capabilities(request.param),
            root_uri=tmp_path.as_uri(),
            initialization_options={"reviewls": {"ignore": []}},
        )
    )
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    lsp_client.encoding = result.capabilities.position_encoding or "utf-16"  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def pulls(client: LanguageClient) -> bool:
    caps = client.capabilities
    return bool(caps and caps.text_document and caps.text_document.diagnostic is not None)


async def diagnostics(client: LanguageClient, uri: str, version: int) -> list[lsp.Diagnostic]:
    """The server's diagnostics for this version: pulled, or the push that carries it."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri)))
        assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    while True:
        for params in client.received:  # type: ignore[attr-defined]
            if params.uri == uri and params.version == version:
                return list(params.diagnostics)
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


def open_doc(client: LanguageClient, name: str, text: str, version: int = 1) -> str:
    path = client.root / name  # type: ignore[attr-defined]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", version, text)))
    return uri


def change(client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str) -> None:
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                lsp.TextDocumentContentChangePartial(
                    range=lsp.Range(lsp.Position(*start), lsp.Position(*end)),
                    text=text,
                )
            ],
        )
    )


def apply(text: str, edit: lsp.WorkspaceEdit) -> str:
    """Apply a WorkspaceEdit (document_changes) to text, as an editor would (ASCII text)."""
    assert edit.document_changes
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(pos: lsp.Position) -> int:
        return offsets[min(pos.line, len(lines))] + pos.character

    edits = [e for change in edit.document_changes for e in change.edits]  # type: ignore[union-attr]
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(e.range.start)] + e.new_text + text[offset(e.range.end) :]
    return text


async def quick_fix(client: LanguageClient, uri: str, diag: lsp.Diagnostic, title: str) -> lsp.CodeAction:
    """The quick fix whose title starts with `title`, with its edit resolved."""
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=diag.range,
            context=lsp.CodeActionContext(diagnostics=[diag], only=[lsp.CodeActionKind.QuickFix]),
        )
    )
    action = next(a for a in result or [] if isinstance(a, lsp.CodeAction) and a.title.startswith(title))
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None
    return action


def codes(diags: list[lsp.Diagnostic]) -> list[tuple[int, object]]:
    return sorted((d.range.start.line, d.code) for d in diags)


async def test_diagnostics_on_open(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    diags = await diagnostics(client, uri, 1)
    assert codes(diags) == [(4, "RV101"), (5, "RV301")]
    rv101 = next(d for d in diags if d.code == "RV101")
    assert rv101.range == lsp.Range(lsp.Position(4, 4), lsp.Position(4, 9))
    assert rv101.source == "reviewls"
    assert rv101.severity == lsp.DiagnosticSeverity.Warning
    assert rv101.code_description is not None and rv101.code_description.href.endswith("/RV101.md")
    assert rv101.message == "`print()` in application code: output bypasses logging and its levels"
    assert rv101.data["fix"] == "Replace `print` with `logger.info`"


async def test_positions_count_utf16_units_on_non_ascii_lines(client: LanguageClient) -> None:
    # "🧾" is one code point, two UTF-16 units, four UTF-8 bytes: the ranges the client sees and
    # sends are in the negotiated units; ASCII lines are passed through unconverted
    width = {"utf-8": 4, "utf-16": 2, "utf-32": 1}[client.encoding]  # type: ignore[attr-defined]
    text = 'def charge(order):\n    label = "🧾"; print(label)\n    return order\n'
    uri = open_doc(client, "app/receipts.py", text)
    diags = await diagnostics(client, uri, 1)
    start = 16 + width  # `print` is the 18th code point
    assert [(d.code, d.range) for d in diags] == [("RV101", lsp.Range(lsp.Position(1, start), lsp.Position(1, start + 5)))]
    change(client, uri, 2, (1, 13 + width), (1, 13 + width), "🧾")  # a second one inside the string
    diags = await diagnostics(client, uri, 2)
    moved = start + width
    assert [(d.code, d.range) for d in diags] == [("RV101", lsp.Range(lsp.Position(1, moved), lsp.Position(1, moved + 5)))]


async def test_incremental_change_updates_diagnostics(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    # delete the print line, then add a timeout to the post
    change(client, uri, 2, (4, 0), (5, 0), "")
    change(client, uri, 3, (4, 48), (4, 48), ", timeout=5")
    diags = await diagnostics(client, uri, 3)
    assert codes(diags) == []
    # type a new print into refund: only that block changes
    change(client, uri, 4, (8, 4), (8, 4), "print(order)\n    ")
    diags = await diagnostics(client, uri, 4)
    assert codes(diags) == [(8, "RV101")]


async def test_quick_fix_removes_the_finding(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    diags = await diagnostics(client, uri, 1)
    rv301 = next(d for d in diags if d.code == "RV301")
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=rv301.range,
            context=lsp.CodeActionContext(diagnostics=[rv301], only=[lsp.CodeActionKind.QuickFix]),
        )
    )
    assert result is not None
    titles = [a.title for a in result if isinstance(a, lsp.CodeAction)]
    assert titles == ["Add `timeout=10` (RV301)", "Ignore RV301 on this line"]
    action = result[0]
    assert isinstance(action, lsp.CodeAction)
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    assert action.edit is not None
    assert action.edit.document_changes[0].text_document.version == 1  # type: ignore[index,union-attr]
    fixed = apply(SERVICE, action.edit)
    assert "requests.post(URL, json=order.payload, timeout=10)" in fixed
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=fixed)],
        )
    )
    assert codes(await diagnostics(client, uri, 2)) == [(4, "RV101")]


async def test_quick_fix_follows_the_fix_key_in_the_diagnostic_data(client: LanguageClient) -> None:
    """The server names each fix by an opaque key in `Diagnostic.data` (as Ruff's server does):
    a client that echoes the data back gets that finding's fix even if it reshaped the range;
    a client that drops `data` is still served by code and range."""
    uri = open_doc(client, "app/services.py", SERVICE)
    diags = await diagnostics(client, uri, 1)
    rv301 = next(d for d in diags if d.code == "RV301")
    assert isinstance(rv301.data["fixKey"], int) and rv301.data["version"] == 1
    widened = lsp.Diagnostic(
        lsp.Range(lsp.Position(rv301.range.start.line, 0), rv301.range.end), rv301.message, code="RV301", source="reviewls", data=rv301.data
    )
    action = await quick_fix(client, uri, widened, "Add `timeout=10`")
    assert "timeout=10" in apply(SERVICE, action.edit)  # type: ignore[arg-type]
    no_data = lsp.Diagnostic(rv301.range, rv301.message, code="RV301", source="reviewls")
    action = await quick_fix(client, uri, no_data, "Add `timeout=10`")
    assert "timeout=10" in apply(SERVICE, action.edit)  # type: ignore[arg-type]


async def test_fix_all_and_ignore(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    diags = await diagnostics(client, uri, 1)
    result = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
            context=lsp.CodeActionContext(diagnostics=[], only=["source.fixAll.reviewls"]),
        )
    )
    assert result is not None and len(result) == 1
    action = result[0]
    assert isinstance(action, lsp.CodeAction) and action.kind == "source.fixAll.reviewls"
    if action.edit is None:
        action = await client.code_action_resolve_async(action)
    fixed = apply(SERVICE, action.edit)  # type: ignore[arg-type]
    assert fixed == (  # RV101's fix is unsafe: fix-all leaves the print to its quick fix
        "import requests\n\n\n"
        'def charge(order):\n    print("charging", order.id)\n'
        "    return requests.post(URL, json=order.payload, timeout=10)\n\n\ndef refund(order):\n    return order\n"
    )
    # the ignore action on the print
    rv101 = next(d for d in diags if d.code == "RV101")
    actions = await client.text_document_code_action_async(
        lsp.CodeActionParams(
            text_document=lsp.TextDocumentIdentifier(uri),
            range=rv101.range,
            context=lsp.CodeActionContext(diagnostics=[rv101]),
        )
    )
    ignore = next(a for a in actions or [] if isinstance(a, lsp.CodeAction) and a.title.startswith("Ignore"))
    ignored = apply(SERVICE, ignore.edit)  # type: ignore[arg-type]
    assert '    print("charging", order.id)  # reviewls: ignore[RV101]\n' in ignored
    client.text_document_did_change(
        lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=ignored)],
        )
    )
    assert codes(await diagnostics(client, uri, 2)) == [(5, "RV301")]


async def test_hover_shows_rule_docs(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    hover = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(5, 22))
    )
    assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
    assert hover.contents.value.startswith("**RV301 http-call-without-timeout** (warning)")
    assert "## Why is this bad?" in hover.contents.value
    nothing = await client.text_document_hover_async(
        lsp.HoverParams(text_document=lsp.TextDocumentIdentifier(uri), position=lsp.Position(9, 4))
    )
    assert nothing is None


async def test_pull_diagnostics_request(client: LanguageClient) -> None:
    """Pull works for every client that asks, whichever mode it was given."""
    uri = open_doc(client, "app/services.py", SERVICE)
    report = await client.text_document_diagnostic_async(lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri)))
    assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport)
    assert codes(list(report.items)) == [(4, "RV101"), (5, "RV301")]
    again = await client.text_document_diagnostic_async(
        lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri), previous_result_id=report.result_id)
    )
    assert isinstance(again, lsp.RelatedUnchangedDocumentDiagnosticReport)


async def test_syntax_error_keeps_other_blocks(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE + "\n\ndef later():\n    print('x')\n")
    assert codes(await diagnostics(client, uri, 1)) == [(4, "RV101"), (5, "RV301"), (13, "RV101")]
    # break refund() half-way through typing
    change(client, uri, 2, (9, 16), (9, 16), " +")
    diags = await diagnostics(client, uri, 2)
    assert codes(diags) == [(4, "RV101"), (5, "RV301"), (13, "RV101")]
    # break charge(): its findings go, the others stay
    change(client, uri, 3, (4, 31), (4, 31), " (")
    assert codes(await diagnostics(client, uri, 3)) == [(13, "RV101")]


async def test_crashing_rule_is_isolated_and_reported_once(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE + "\n\ndef f():\n    boom()\n    print(1)\n")
    diags = await diagnostics(client, uri, 1)
    assert codes(diags) == [(4, "RV101"), (5, "RV301"), (14, "RV101")]
    change(client, uri, 2, (15, 0), (15, 0), "    boom()\n")
    assert codes(await diagnostics(client, uri, 2)) == [(4, "RV101"), (5, "RV301"), (14, "RV101")]
    crash_logs = [m for m in client.log_messages if "RV998 crashed" in m.message]
    assert len(crash_logs) == 1
    assert crash_logs[0].type == lsp.MessageType.Error
    assert "app/services.py:14" in crash_logs[0].message


async def test_a_crashing_project_rule_is_reported_to_the_client(client: LanguageClient) -> None:
    uri = open_doc(client, "boom_project.py", "x = 1\n")
    await diagnostics(client, uri, 1)
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri)))
    while not any("RV996 crashed" in m.message for m in client.log_messages):
        await client.wait_for_notification(lsp.WINDOW_LOG_MESSAGE)
    crash = next(m for m in client.log_messages if "RV996 crashed" in m.message)
    assert crash.type == lsp.MessageType.Error


async def test_stale_version_is_not_published(client: LanguageClient) -> None:
    """A pull client only ever gets the current version and nothing pushed."""
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    # version 2 takes the slow rule's 0.8 s; version 3 arrives meanwhile
    change(client, uri, 2, (9, 0), (9, 0), "    SLOW = 1\n")
    change(client, uri, 3, (9, 0), (10, 0), "")
    diags = await diagnostics(client, uri, 3)
    assert codes(diags) == [(4, "RV101"), (5, "RV301")]
    versions = [p.version for p in client.received if p.uri == uri]  # type: ignore[attr-defined]
    if pulls(client):
        assert versions == []
    else:
        assert 2 not in versions
        assert versions[-1] == 3


async def test_close_clears_diagnostics(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(lsp.TextDocumentIdentifier(uri)))
    if pulls(client):
        report = await client.text_document_diagnostic_async(
            lsp.DocumentDiagnosticParams(text_document=lsp.TextDocumentIdentifier(uri))
        )
        assert isinstance(report, lsp.RelatedFullDocumentDiagnosticReport) and list(report.items) == []
        return
    while not any(p.uri == uri and p.version is None and not p.diagnostics for p in client.received):  # type: ignore[attr-defined]
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def _next_publish(client: LanguageClient, uri: str, seen: int) -> list[lsp.Diagnostic]:
    """Diagnostics of the first push for `uri` after the first `seen` pushes."""
    while True:
        pushes = [p for p in client.received if p.uri == uri]  # type: ignore[attr-defined]
        if len(pushes) > seen:
            return list(pushes[seen].diagnostics)
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


async def _after_config_change(client: LanguageClient, uri: str, seen: int) -> list[lsp.Diagnostic]:
    if pulls(client):
        return await diagnostics(client, uri, 1)
    return await _next_publish(client, uri, seen)


async def test_pyproject_change_is_picked_up(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    workspace = client.capabilities.workspace if client.capabilities else None
    watches = bool(workspace and workspace.did_change_watched_files and workspace.did_change_watched_files.dynamic_registration)
    registered = any(r.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES for r in client.registrations)  # type: ignore[attr-defined]
    assert registered == watches
    seen = len([p for p in client.received if p.uri == uri])  # type: ignore[attr-defined]
    pyproject = client.root / "pyproject.toml"  # type: ignore[attr-defined]
    pyproject.write_text('[tool.reviewls]\nignore = ["print-statement"]\n')
    client.workspace_did_change_watched_files(
        lsp.DidChangeWatchedFilesParams(changes=[lsp.FileEvent(uri=pyproject.as_uri(), type=lsp.FileChangeType.Changed)])
    )
    assert codes(await _after_config_change(client, uri, seen)) == [(5, "RV301")]


async def test_editor_settings_override_the_file(client: LanguageClient) -> None:
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    seen = len([p for p in client.received if p.uri == uri])  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(
        lsp.DidChangeConfigurationParams(settings={"reviewls": {"select": ["RV101"], "severity": {"RV101": "error"}}})
    )
    diags = await _after_config_change(client, uri, seen)
    assert codes(diags) == [(4, "RV101")]
    assert diags[0].severity == lsp.DiagnosticSeverity.Error


async def test_settings_module_env_name_typo(client: LanguageClient) -> None:
    # the evidence of a typo: another setting of the module owns the variable OPENROUTER_API_KEY reads
    text = 'import environ\n\nenv = environ.Env()\nOPENROUTER_API_KEY = env("OPENAI_API_KEY")\nOPENAI_API_KEY = env("OPENAI_API_KEY")\n'
    uri = open_doc(client, "config/settings.py", text)
    diags = await diagnostics(client, uri, 1)
    assert codes(diags) == [(3, "RV403")]
    assert diags[0].range == lsp.Range(lsp.Position(3, 25), lsp.Position(3, 41))


COMPOSE = "services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2pw\n"


async def test_compose_secret_is_found_and_fixed(client: LanguageClient) -> None:
    uri = open_doc(client, "docker-compose.yml", COMPOSE)
    diags = await diagnostics(client, uri, 1)
    assert codes(diags) == [(4, "RV903")]
    assert diags[0].range == lsp.Range(lsp.Position(4, 25), lsp.Position(4, 34))
    assert "hunter2pw" not in diags[0].message
    action = await quick_fix(client, uri, diags[0], "Use")
    assert apply(COMPOSE, action.edit) == COMPOSE.replace("hunter2pw", "${POSTGRES_PASSWORD}")  # type: ignore[arg-type]


async def saved_findings(client: LanguageClient, uri: str, code: str) -> list[lsp.Diagnostic]:
    """Save `uri` and return its diagnostics of `code` once the save tier has reported them.

    The project tier also runs once in the background at start, so its findings may come with
    the open or after the save: poll the current diagnostics (bounded) instead of one event.
    """
    client.text_document_did_save(lsp.DidSaveTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri)))
    diags: list[lsp.Diagnostic] = []
    for _ in range(200):
        if pulls(client):
            diags = await diagnostics(client, uri, 1)
        else:
            pushes = [p for p in client.received if p.uri == uri]  # type: ignore[attr-defined]
            diags = list(pushes[-1].diagnostics) if pushes else []
        if any(d.code == code for d in diags):
            break
        await asyncio.sleep(0.05)
    return [d for d in diags if d.code == code]


async def test_save_runs_project_rules(client: LanguageClient) -> None:
    root = client.root  # type: ignore[attr-defined]
    (root / ".env.example").write_text("SECRET_KEY=\n")
    text = "import os\n\nSECRET_KEY = os.environ['SECRET_KEY']\nSTRIPE_KEY = os.getenv('STRIPE_KEY')\n"
    uri = open_doc(client, "config/settings.py", text)
    await diagnostics(client, uri, 1)
    rv407 = await saved_findings(client, uri, "RV407")
    assert [(d.range.start.line, d.message) for d in rv407] == [(3, "`STRIPE_KEY` is read here but .env.example does not list it")]
    action = await quick_fix(client, uri, rv407[0], "Add")
    assert action.edit is not None and action.edit.document_changes
    change = action.edit.document_changes[0]
    assert isinstance(change, lsp.TextDocumentEdit)
    assert change.text_document.uri == (root / ".env.example").as_uri()
    assert change.edits[0].new_text == "STRIPE_KEY=\n"


NINJA_ROUTES = '''from ninja import Router

router = Router()


@router.get("/{account_id}")
def get_account(request, account_id: int):
    return {"id": account_id}


@router.get("/summary")
def summary(request):
    return {}


@router.get("/stats/summary")
def stats(request):
    return {}


@router.post("/{account_id}/sync")
def sync(request, account_id: int):
    return {}


# bulk sync for the nightly job
@router.post("/batch/sync")
def batch_sync(request):
    return {}
'''
FASTAPI_ROUTES = NINJA_ROUTES.replace("from ninja import Router", "from fastapi import APIRouter").replace("Router()", "APIRouter()").replace("request, ", "").replace("(request)", "()")
DJANGO_URLS = '''from django.urls import path

from . import views

urlpatterns = [
    path("accounts/<slug:account>/", views.account),
    path("accounts/summary/", views.summary),
    path("accounts/stats/summary/", views.stats),
    path("accounts/<slug:account>/sync/", views.sync),
    # bulk sync for the nightly job
    path("accounts/batch/sync/", views.batch_sync)
]
'''


@pytest.mark.parametrize(
    ("name", "source", "shadowed", "swallower"),
    [
        ("api/accounts.py", NINJA_ROUTES, {10: "/summary", 26: "/batch/sync"}, {10: 5, 26: 20}),
        ("api/fastapi_accounts.py", FASTAPI_ROUTES, {10: "/summary", 26: "/batch/sync"}, {10: 5, 26: 20}),
        ("accounts/urls.py", DJANGO_URLS, {6: "accounts/summary/", 10: "accounts/batch/sync/"}, {6: 5, 10: 8}),
    ],
    ids=["ninja", "fastapi", "django"],
)
async def test_shadowed_routes_are_reported_and_reordered(
    client: LanguageClient, name: str, source: str, shadowed: dict[int, str], swallower: dict[int, int]
) -> None:
    uri = open_doc(client, name, source)
    diags = [d for d in await diagnostics(client, uri, 1) if d.code == "RV501"]
    assert {d.range.start.line: d.message.split("`")[1].split()[-1] for d in diags} == shadowed  # not /stats/summary
    for diag in diags:
        assert diag.related_information and diag.related_information[0].location.uri == uri
        assert diag.related_information[0].location.range.start.line == swallower[diag.range.start.line]
    text, version = source, 1
    while diags:
        action = await quick_fix(client, uri, diags[0], "Move ")
        text = apply(text, action.edit)  # type: ignore[arg-type]
        version += 1
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )
        diags = [d for d in await diagnostics(client, uri, version) if d.code == "RV501"]
    assert version == 3  # one fix per shadowed route, then nothing left
    # every line kept; the entry that was last gains the comma it now needs
    assert sorted(text.splitlines()) == sorted(source.replace("views.batch_sync)\n", "views.batch_sync),\n").splitlines())
    compile(text, name, "exec")
    for line, literal in shadowed.items():
        swallowing = next(part for part in source.splitlines()[swallower[line]].split('"') if "{" in part or "<" in part)
        assert text.index(f'"{literal}"') < text.index(f'"{swallowing}"')
    assert "# bulk sync for the nightly job\n" in text and text.index("# bulk sync") < text.index("batch")


async def test_apply_fix_all_command(client: LanguageClient) -> None:
    """workspace/executeCommand `reviewls.applyFixAll` (for clients without code actions) sends the fix-all edit."""
    uri = open_doc(client, "app/services.py", SERVICE)
    await diagnostics(client, uri, 1)
    await client.workspace_execute_command_async(lsp.ExecuteCommandParams(command="reviewls.applyFixAll", arguments=[uri]))
    applied = client.applied  # type: ignore[attr-defined]
    assert len(applied) == 1 and applied[0].label == "reviewls: fix all"
    fixed = apply(SERVICE, applied[0].edit)
    assert 'print("charging", order.id)' in fixed and "timeout=10" in fixed  # RV101's fix is unsafe: not in fix-all


EXPORT = '''def export_{name}(status):
    rows = {model}.objects.filter(status=status)
    total = 0
    for row in rows:
        total += row.amount
        row.exported = True
        row.save()
    return {{"total": total, "count": len(rows)}}
'''


async def test_save_finds_code_duplicated_in_another_file(client: LanguageClient) -> None:
    root = client.root  # type: ignore[attr-defined]
    (root / "invoices").mkdir()
    (root / "invoices" / "exports.py").write_text(EXPORT.format(name="invoices", model="Invoice"))
    uri = open_doc(client, "orders/exports.py", EXPORT.format(name="orders", model="Order"))
    await diagnostics(client, uri, 1)
    rv902 = await saved_findings(client, uri, "RV902")
    assert [(d.range.start.line, d.range.end.line) for d in rv902] == [(0, 7)]
    assert rv902[0].message.startswith("these 8 lines repeat invoices/exports.py:1")
