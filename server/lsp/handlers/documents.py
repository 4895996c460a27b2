"""Document synchronisation: open, change (incremental), save (the save tier), close."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp

from server.documents import Change
from server.lsp.convert import from_client_position
from server.lsp.session import ReviewServer
from server.lsp.settings import CONFIG_FILES, display_path, uri_to_path


def did_open(ls: ReviewServer, params: lsp.DidOpenTextDocumentParams) -> None:
    doc = params.text_document
    ls.store.open(doc.uri, display_path(ls.root, doc.uri), doc.text, doc.version)
    if not ls.pull:
        ls.schedule(doc.uri)


def did_change(ls: ReviewServer, params: lsp.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    doc = ls.store.get(uri)
    if doc is None:
        return
    codec = ls.codec()
    for change in params.content_changes:
        if isinstance(change, lsp.TextDocumentContentChangePartial):
            # each change's range refers to the text after the previous changes
            start = from_client_position(codec, doc.lines, change.range.start)
            end = from_client_position(codec, doc.lines, change.range.end)
            ls.store.change(uri, params.text_document.version, [Change(change.text, start, end)])
        else:
            ls.store.change(uri, params.text_document.version, [Change(change.text)])
    ls.latest.pop(uri, None)
    if not ls.pull and ls.settings.run == "onType":
        ls.schedule(uri)


async def did_save(ls: ReviewServer, params: lsp.DidSaveTextDocumentParams) -> None:
    uri = params.text_document.uri
    if Path(uri_to_path(uri)).name in CONFIG_FILES:
        ls.load_file_config()
        ls.config_changed()
        return
    # a settings module or an entry point: the project worker decides the settings again with this run
    if not ls.pull and ls.settings.run == "onSave":
        ls.schedule(uri)
    doc = ls.store.get(uri)
    await ls.run_project(Path(uri_to_path(uri)), doc.text if doc else None)


def did_close(ls: ReviewServer, params: lsp.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    ls.tasks.cancel(uri)
    doc = ls.store.get(uri)
    if doc is None:
        return  # never opened (or closed twice): nothing to drop, nothing to clear
    ls.submit(ls.engine.forget, doc.path)  # its blocks and fix handles (which hold its trees), in turn
    ls.store.close(uri)
    ls.latest.pop(uri, None)
    if not ls.pull:
        ls.publish(uri, None, [])


def register(ls: ReviewServer) -> None:
    ls.feature(lsp.TEXT_DOCUMENT_DID_OPEN)(did_open)
    ls.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)(did_change)
    ls.feature(lsp.TEXT_DOCUMENT_DID_SAVE)(did_save)
    ls.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)(did_close)
