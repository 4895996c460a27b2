"""Pull diagnostics (textDocument/diagnostic), for clients that ask instead of being pushed to."""

from __future__ import annotations

from lsprotocol import types as lsp

from server.lsp.convert import diagnostic
from server.lsp.session import ReviewServer

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
    items = [diagnostic(codec, snapshot.lines, f, snapshot.version, uri) for f in findings]
    return lsp.RelatedFullDocumentDiagnosticReport(items=items, result_id=result_id)


def register(ls: ReviewServer) -> None:
    ls.feature(
        lsp.TEXT_DOCUMENT_DIAGNOSTIC,
        lsp.DiagnosticOptions(identifier="reviewls", inter_file_dependencies=False, workspace_diagnostics=False),
    )(pull_diagnostics)
