"""Code actions: the rule's quick fix (edits resolved lazily), "ignore RVxxx on this line",
and "fix all safe reviewls fixes" (source.fixAll.reviewls)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

from lsprotocol import types as lsp

from rules.api import Safety, TextEdit
from pygls.workspace.position_codec import PositionCodec

from server.engine import Engine, Diagnostic, Snapshot
from server.fixes import fix_all
from server.fsio import ReadError, read_source
from server.lsp.convert import span_range, text_edit, to_client_range
from server.locate import split_lines
from server.suppressions import add_code

FIX_ALL_KIND = "source.fixAll.reviewls"
logger = logging.getLogger(__name__)


def _workspace_edit(uri: str, version: int | None, edits: Sequence[lsp.TextEdit]) -> lsp.WorkspaceEdit:
    """A versioned edit: the client refuses it if the document moved on."""
    return lsp.WorkspaceEdit(
        document_changes=[
            lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=list(edits),
            )
        ]
    )


def find_finding(
    findings: Sequence[Diagnostic], codec: PositionCodec, lines: Sequence[str], code: object, where: lsp.Range, data: object
) -> Diagnostic | None:
    """The engine diagnostic a client diagnostic (or a code action's data) stands for: the one
    whose fix key the server put in `data`, else the one with the same code and range (a
    client that drops `data`, or a diagnostic of another version)."""
    key = data.get("fixKey") if isinstance(data, Mapping) else None
    if isinstance(key, int):
        for finding in findings:
            if finding.fix is not None and finding.fix.key == key and finding.code == code:
                return finding
    for finding in findings:
        if finding.code == code and span_range(codec, lines, finding.span) == where:
            return finding
    return None


def fix_action(
    engine: Engine,
    snapshot: Snapshot,
    uri: str,
    codec: PositionCodec,
    finding: Diagnostic,
    diag: lsp.Diagnostic,
    lazy: bool,
    root: Path | None = None,
) -> lsp.CodeAction | None:
    if finding.fix is None:
        return None
    action = lsp.CodeAction(
        title=f"{finding.fix.title} ({finding.code})",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        is_preferred=finding.fix.safety is Safety.SAFE,
        data={
            "uri": uri,
            "version": snapshot.version,
            "code": finding.code,
            "range": _range_data(diag.range),
            "fixKey": finding.fix.key,
        },
    )
    if not lazy:
        action.edit = resolve_fix(engine, snapshot, uri, codec, finding, root)
        if action.edit is None:
            return None
    return action


def _range_data(r: lsp.Range) -> list[int]:
    return [r.start.line, r.start.character, r.end.line, r.end.character]


def range_from_data(data: object) -> lsp.Range | None:
    """The range a code action's data carries; None for data this server did not make."""
    if not (isinstance(data, (list, tuple)) and len(data) == 4 and all(type(n) is int and 0 <= n < 2**31 for n in data)):
        return None
    return lsp.Range(lsp.Position(data[0], data[1]), lsp.Position(data[2], data[3]))


def resolve_fix(
    engine: Engine, snapshot: Snapshot, uri: str, codec: PositionCodec, finding: Diagnostic, root: Path | None = None
) -> lsp.WorkspaceEdit | None:
    """The fix as a versioned edit; edits to other files (project fixes) go to those files.

    Another file is edited only if it is a regular file inside the workspace root (a symlink
    pointing out, `../x`, a FIFO are refused): the client would write through it. A fix that
    cannot make all its edits makes none (None).
    """
    fix = engine.build_fix(snapshot, finding)
    if fix is None:
        return None
    own = [text_edit(codec, snapshot.lines, e) for e in fix.edits if e.path is None]
    changes: list[lsp.TextDocumentEdit] = []
    if own:
        changes.append(lsp.TextDocumentEdit(lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=snapshot.version), list(own)))
    others: dict[str, list[TextEdit]] = {}
    for edit in fix.edits:
        if edit.path is not None:
            others.setdefault(edit.path, []).append(edit)
    workspace = root or Path.cwd()
    for path, edits in others.items():
        file = workspace / path
        try:
            lines = split_lines(read_source(file, (workspace.resolve(),)).text)
        except ReadError as exc:
            logger.warning("%s fix not offered: %s: %s", finding.code if finding else "a", path, exc.listing)
            return None
        changes.append(
            lsp.TextDocumentEdit(
                lsp.OptionalVersionedTextDocumentIdentifier(uri=file.as_uri(), version=None),
                [text_edit(codec, lines, e) for e in edits],
            )
        )
    return lsp.WorkspaceEdit(document_changes=changes)


def ignore_action(snapshot: Snapshot, uri: str, codec: PositionCodec, finding: Diagnostic, diag: lsp.Diagnostic) -> lsp.CodeAction:
    index = finding.span.line - 1
    old = snapshot.lines[index] if index < len(snapshot.lines) else ""
    new = add_code(old, finding.code)
    body_end = len(old.rstrip("\r\n"))
    edit = lsp.TextEdit(
        to_client_range(codec, snapshot.lines, finding.span.line, 0, finding.span.line, body_end),
        new.rstrip("\r\n"),
    )
    return lsp.CodeAction(
        title=f"Ignore {finding.code} on this line",
        kind=lsp.CodeActionKind.QuickFix,
        diagnostics=[diag],
        edit=_workspace_edit(uri, snapshot.version, [edit]),
    )


def fix_all_edit(engine: Engine, snapshot: Snapshot, uri: str, codec: PositionCodec) -> lsp.WorkspaceEdit | None:
    """One edit, over the changed lines only, for every safe fix applied to a fixed point."""
    text = "".join(snapshot.lines)
    result = fix_all(engine, snapshot.path, text)
    if result.text == text:
        return None
    old, new = list(snapshot.lines), split_lines(result.text)
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    stop = len(old) - tail
    if stop == len(old) and old and not old[-1].endswith(("\n", "\r")):
        end_line, end_col = stop, len(old[-1])  # no final newline: end at the last character
    else:
        end_line, end_col = stop + 1, 0
    replacement = "".join(new[head : len(new) - tail])
    edit = lsp.TextEdit(to_client_range(codec, snapshot.lines, head + 1, 0, end_line, end_col), replacement)
    return _workspace_edit(uri, snapshot.version, [edit])


def fix_all_action(uri: str, version: int | None) -> lsp.CodeAction:
    return lsp.CodeAction(
        title="Fix all safe reviewls fixes",
        kind=FIX_ALL_KIND,
        data={"uri": uri, "version": version, "fixAll": True},
    )


def wants(only: Sequence[str] | None, kind: str) -> bool:
    """Does a `context.only` filter ask for this kind (or a parent of it)?"""
    if not only:
        return True
    return any(kind == k or kind.startswith(f"{k}.") for k in only)

