"""Hover: the rule documentation of the findings under the cursor."""

from __future__ import annotations

from lsprotocol import types as lsp

from server.lsp.convert import hover_markdown, span_range
from server.lsp.session import ReviewServer

async def hover(ls: ReviewServer, params: lsp.HoverParams) -> lsp.Hover | None:
    result = await ls.analysis_for(params.text_document.uri)
    if result is None:
        return None
    snapshot, analysis = result
    codec = ls.codec()
    pos = params.position
    parts: list[str] = []
    hit: lsp.Range | None = None
    for finding in analysis.findings:
        r = span_range(codec, snapshot.lines, finding.span)
        if (r.start.line, r.start.character) <= (pos.line, pos.character) <= (r.end.line, r.end.character):
            text = hover_markdown(finding.code)
            if text and text not in parts:
                parts.append(text)
                hit = hit or r
    if not parts:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value="\n\n---\n\n".join(parts)), range=hit)


def register(ls: ReviewServer) -> None:
    ls.feature(lsp.TEXT_DOCUMENT_HOVER)(hover)
