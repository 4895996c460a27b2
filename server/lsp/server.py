"""The reviewls language server (pygls 2.x): built from its parts and started.

    settings.py    editor settings, URIs and paths
    transport.py   the wire: framed JSON-RPC read by our loop (parse errors answered)
    protocol.py    lifecycle rules (not initialized, shut down, exit codes)
    scheduling.py  the engine thread, job order, one analysis task per document
    session.py     the server's state: documents, configuration, analyses, publishing
    convert.py     engine spans and findings <-> LSP ranges and diagnostics
    actions.py     code action building (quick fix, ignore, fix all)
    handlers/      one module per method group, each with `register(server)`

Handlers translate protocol to session calls and decide *when* to run: a change updates the
document store on the event loop (cheap: a line scan of the touched blocks), then restarts
the document's task, which analyses an immutable snapshot on the engine thread and publishes
only if the document still has that version. Pull-capable clients get pull diagnostics
instead of pushed ones (both at once would show every finding twice in VS Code).
"""

from __future__ import annotations

import logging

from server.lsp.handlers import code_actions, diagnostics, documents, hover, lifecycle, workspace
from server.lsp.session import ReviewServer

HANDLERS = (lifecycle, documents, diagnostics, code_actions, hover, workspace)


def create() -> ReviewServer:
    """A server with every handler registered."""
    server = ReviewServer()
    for handlers in HANDLERS:
        handlers.register(server)
    return server


def serve(tcp: str | None = None) -> int:
    """Run the server until the client exits; logs go to stderr and, filtered, to the client.

    Returns the process exit code: 1 when the client sent `exit` without `shutdown`.
    """
    server = create()
    logging.getLogger().addHandler(server.log_handler)
    logging.getLogger("server").setLevel(logging.INFO)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return server.exit_code
