"""Code actions: quick fixes and ignores, fix-all, lazy resolve, and the fix-all command."""

from __future__ import annotations

from collections.abc import Mapping

from lsprotocol import types as lsp

from server.lsp import actions
from server.lsp.session import ReviewServer

def _lazy_resolve(ls: ReviewServer) -> bool:
    caps = ls.client_capabilities.text_document
    action = caps.code_action if caps else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


async def code_action(ls: ReviewServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
    uri = params.text_document.uri
    result = await ls.analysis_for(uri)
    if result is None:
        return None
    snapshot, analysis = result
    codec = ls.codec()
    only = params.context.only
    out: list[lsp.CodeAction] = []
    if actions.wants(only, lsp.CodeActionKind.QuickFix):
        lazy = _lazy_resolve(ls)
        for diag in params.context.diagnostics:
            if diag.source != "reviewls":
                continue
            finding = actions.find_finding(
                [*analysis.findings, *ls.project_findings.get(uri, [])], codec, snapshot.lines, diag.code, diag.range, diag.data
            )
            if finding is None:
                continue
            fix = await ls.in_engine(actions.fix_action, ls.engine, snapshot, uri, codec, finding, diag, lazy, ls.root)
            if fix is not None:
                out.append(fix)
            if finding.code.startswith("RV"):
                out.append(actions.ignore_action(snapshot, uri, codec, finding, diag))
    if actions.wants(only, actions.FIX_ALL_KIND) and any(f.fix and f.fix.safety.value == "safe" for f in analysis.findings):
        action = actions.fix_all_action(uri, snapshot.version)
        if not _lazy_resolve(ls):
            action.edit = await ls.in_engine(actions.fix_all_edit, ls.engine, snapshot, uri, codec)
        out.append(action)
    return out


async def resolve_code_action(ls: ReviewServer, action: lsp.CodeAction) -> lsp.CodeAction:
    data = action.data if isinstance(action.data, Mapping) else {}
    uri = str(data.get("uri", ""))
    result = await ls.analysis_for(uri)
    if result is None:
        return action
    snapshot, analysis = result
    if data.get("version") != snapshot.version:
        return action  # the document moved on: no edit rather than a wrong one
    codec = ls.codec()
    if data.get("fixAll"):
        action.edit = await ls.in_engine(actions.fix_all_edit, ls.engine, snapshot, uri, codec)
        return action
    target = actions.range_from_data(data.get("range"))
    if target is None:
        return action  # data this server did not make: no edit rather than an error
    findings = [*analysis.findings, *ls.project_findings.get(uri, [])]
    finding = actions.find_finding(findings, codec, snapshot.lines, data.get("code"), target, data)
    if finding is not None:
        action.edit = await ls.in_engine(actions.resolve_fix, ls.engine, snapshot, uri, codec, finding, ls.root)
    return action


# not `reviewls.fixAll`: vscode-languageclient registers server commands as VS Code commands,
# and the extension's own palette command has that id
async def fix_all_command(ls: ReviewServer, uri: str) -> None:
    """workspace/executeCommand for clients without code actions: apply every safe fix to `uri`."""
    result = await ls.analysis_for(uri)
    if result is None:
        return
    snapshot, _ = result
    edit = await ls.in_engine(actions.fix_all_edit, ls.engine, snapshot, uri, ls.codec())
    if edit is not None:
        await ls.workspace_apply_edit_async(lsp.ApplyWorkspaceEditParams(edit=edit, label="reviewls: fix all"))


def register(ls: ReviewServer) -> None:
    ls.feature(
        lsp.TEXT_DOCUMENT_CODE_ACTION,
        lsp.CodeActionOptions(
            code_action_kinds=[lsp.CodeActionKind.QuickFix, lsp.CodeActionKind.SourceFixAll, actions.FIX_ALL_KIND],
            resolve_provider=True,
        ),
    )(code_action)
    ls.feature(lsp.CODE_ACTION_RESOLVE)(resolve_code_action)
    ls.command("reviewls.applyFixAll")(fix_all_command)
