"""Pull diagnostics (textDocument/diagnostic), for clients that ask instead of being pushed to."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from server.lsp.convert import diagnostic
from server.lsp.session import ReviewServer
from server.lsp.settings import uri_to_path

async def pull_diagnostics(ls: ReviewServer, params: lsp.DocumentDiagnosticParams) -> lsp.DocumentDiagnosticReport:
    uri = params.text_document.uri
    if not ls.settings.enable:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[], result_id="disabled")
    result = await ls.analysis_for(uri)
    if result is None:
        return lsp.RelatedFullDocumentDiagnosticReport(items=[])
    snapshot, analysis = result
    result_id = f"{snapshot.version}:{id(analysis)}"
    if params.previous_result_id == result_id:
        return lsp.RelatedUnchangedDocumentDiagnosticReport(result_id=result_id)
    codec = ls.codec()
    findings = [*analysis.findings, *ls.project_findings.get(uri, [])]
    items = [diagnostic(codec, snapshot.lines, f, snapshot.version, uri, ls.related_lines) for f in findings]
    return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


async def workspace_diagnostics(ls: ReviewServer, params: lsp.WorkspaceDiagnosticParams) -> lsp.WorkspaceDiagnosticReport:
    """Project findings of the files that are not open (open ones come with their document's
    pull), and an empty report for a file whose findings are gone since the last answer."""
    if not ls.projects.workspace_pull:
        ls.projects.workspace_pull = True
        for uri in sorted(ls.projects.pushed):  # pushed before the client pulled the workspace: cleared there
            ls.publish(uri, None, [])
        ls.projects.pushed.clear()
    if not ls.settings.enable:
        return lsp.WorkspaceDiagnosticReport(items=[])
    codec = ls.codec()
    reports: list[lsp.WorkspaceDocumentDiagnosticReport] = []
    shown: set[str] = set()
    for uri, findings in sorted(ls.project_findings.items()):
        if ls.store.get(uri) is not None:
            continue
        lines = ls.file_lines(Path(uri_to_path(uri)))
        items = [diagnostic(codec, lines, f, None, uri, ls.related_lines) for f in findings]
        reports.append(lsp.WorkspaceFullDocumentDiagnosticReport(uri=uri, items=items, version=None))
        shown.add(uri)
    for uri in sorted(ls.projects.pulled - shown):
        if ls.store.get(uri) is None:
            reports.append(lsp.WorkspaceFullDocumentDiagnosticReport(uri=uri, items=[], version=None))
    ls.projects.pulled = shown
    return lsp.WorkspaceDiagnosticReport(items=reports)


def register(ls: ReviewServer) -> None:
    ls.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(identifier="reviewls", inter_file_dependencies=True, workspace_diagnostics=True),
    )(pull_diagnostics)
    ls.feature(lsp.WORKSPACE_DIAGNOSTIC)(workspace_diagnostics)
