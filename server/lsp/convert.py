"""Engine types <-> lsprotocol types; positions through the document's position codec."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lsprotocol import types as lsp
from pygls.workspace.position_codec import PositionCodec

from rules.api import Severity, Span, TextEdit
from rules.registry import by_code
from server.engine import Diagnostic

SOURCE = "reviewls"

_SEVERITY = {
    Severity.ERROR: lsp.DiagnosticSeverity.Error,
    Severity.WARNING: lsp.DiagnosticSeverity.Warning,
    Severity.INFORMATION: lsp.DiagnosticSeverity.Information,
    Severity.HINT: lsp.DiagnosticSeverity.Hint,
}


def to_client_range(codec: PositionCodec, lines: Sequence[str], line: int, col: int, end_line: int, end_col: int) -> lsp.Range:
    """1-based engine lines and code-point columns -> an LSP range in the client's units."""
    server_range = lsp.Range(lsp.Position(line - 1, col), lsp.Position(end_line - 1, end_col))
    if _ascii(lines, line - 1) and _ascii(lines, end_line - 1):
        return server_range  # one code unit per character in every encoding: nothing to convert
    return codec.range_to_client_units(lines, server_range)


def _ascii(lines: Sequence[str], index: int) -> bool:
    return index >= len(lines) or lines[index].isascii()


def span_range(codec: PositionCodec, lines: Sequence[str], span: Span) -> lsp.Range:
    return to_client_range(codec, lines, span.line, span.col, span.end_line, span.end_col)


def text_edit(codec: PositionCodec, lines: Sequence[str], edit: TextEdit) -> lsp.TextEdit:
    return lsp.TextEdit(to_client_range(codec, lines, edit.start_line, edit.start_col, edit.end_line, edit.end_col), edit.text)


def from_client_position(codec: PositionCodec, lines: Sequence[str], position: lsp.Position) -> tuple[int, int]:
    """An LSP position -> (0-based line, code-point column)."""
    if position.line >= len(lines) or lines[position.line].isascii():
        return position.line, position.character
    converted = codec.position_from_client_units(lines, position)
    return converted.line, converted.character


def diagnostic(
    codec: PositionCodec,
    lines: Sequence[str],
    finding: Diagnostic,
    version: int | None,
    uri: str = "",
    other: Callable[[str], tuple[str, Sequence[str]]] | None = None,
) -> lsp.Diagnostic:
    """An engine finding as an LSP diagnostic; `other(path)` gives the URI and lines of another
    file a project finding points at (relatedInformation in that file)."""
    rule = by_code().get(finding.code)
    related = []
    for item in finding.related:
        where, where_lines = (uri, lines) if item.path is None or other is None else other(item.path)
        related.append(lsp.DiagnosticRelatedInformation(lsp.Location(where, span_range(codec, where_lines, item.span)), item.message))
    return lsp.Diagnostic(
        related_information=related or None,
        range=span_range(codec, lines, finding.span),
        message=finding.message,
        severity=_SEVERITY[finding.severity],
        code=finding.code if rule else None,
        code_description=lsp.CodeDescription(href=rule.docs_url()) if rule else None,
        source=SOURCE,
        data={
            "rule": finding.name,
            "fix": finding.fix.title if finding.fix else None,
            "safety": finding.fix.safety.value if finding.fix else None,
            "fixKey": finding.fix.key if finding.fix else None,
            "version": version,
        },
    )


def hover_markdown(code: str) -> str | None:
    rule = by_code().get(code)
    if rule is None:
        return None
    meta = rule.meta
    return f"**{meta.code} {meta.name}** ({meta.severity.value})\n\n{rule.docs()}\n\n[Rule documentation]({rule.docs_url()})"
