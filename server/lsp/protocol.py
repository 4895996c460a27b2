"""JSON-RPC and LSP lifecycle rules pygls leaves to the server.

- A request before `initialize` is answered with ServerNotInitialized (-32002), not `null`;
  notifications before it are dropped (`exit` excepted).
- After `shutdown` a request is answered with InvalidRequest (-32600), not left unanswered.
- `exit` ends the read loop with 0 after `shutdown`, 1 without it (`exit_code`).
- A request whose params do not fit the protocol gets an "invalid params" error: pygls logs
  such a message and drops it, leaving the client waiting forever for its answer.
- A notification leaves nothing behind (pygls kept a future per notification).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import JsonRPCNotification
from pygls.protocol.language_server import lsp_method

logger = logging.getLogger(__name__)

SERVER_NOT_INITIALIZED = -32002
INVALID_REQUEST = -32600


class ReviewProtocol(LanguageServerProtocol):
    """pygls' language server protocol with the lifecycle rules above."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialized = False
        self.exit_code: int | None = None  # set by `exit`: the read loop ends

    def send_error(self, msg_id: object, code: int, message: str) -> None:
        """An error response written as plain JSON (an `id` of null must stay in the message)."""
        self._send_data({"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}})

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if getattr(message, "jsonrpc", None) != "2.0":
            super().handle_message(message)  # pygls logs and skips it
            return
        if method == lsp.EXIT:
            self.exit_code = 0 if self._shutdown else 1
            logger.info("exit after %s", "shutdown" if self._shutdown else "no shutdown (exit code 1)")
            return
        if not self.initialized and method is not None and method != lsp.INITIALIZE:
            if is_request:
                self.send_error(message.id, SERVER_NOT_INITIALIZED, f"{method}: the server is not initialized yet")
            return
        if self._shutdown and method is not None:
            if is_request:
                self.send_error(message.id, INVALID_REQUEST, f"{method}: the server is shutting down")
            return
        if method == lsp.INITIALIZE:
            self.initialized = True
        super().handle_message(message)

    def _handle_notification(self, method_name: str, params: Any) -> None:
        super()._handle_notification(method_name, params)
        # pygls files the future of every generator-handled notification (didOpen, didChange,
        # didClose: ours below) under a fresh uuid in `_request_futures` and never removes it:
        # about 2 KB per keystroke for the life of the server. Done ones go here; a request's
        # future is only ever looked up while it runs.
        futures = self._request_futures
        for key in [key for key, future in futures.items() if future.done()]:
            del futures[key]

    # The document store (server/documents.py) is the one copy of each open file. pygls' own
    # workspace would keep another and rebuild its whole text on every incremental change (a
    # 5k-line file: a join of 5k lines per keystroke), so its text-document handlers only pass
    # the notification on to ours.
    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Iterator[Any]:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_OPEN)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Iterator[Any]:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Iterator[Any]:
        if (handler := self.fm.features.get(lsp.TEXT_DOCUMENT_DID_CLOSE)) is not None:
            yield handler, (params,), None

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            if isinstance(data, dict) and "id" in data and "method" in data:
                self._send_response(data["id"], error=exc.to_response_error())
            # a message pygls' dispatcher skips (it only handles JSON-RPC 2.0)
            return JsonRPCNotification(method=str(data.get("method", "")), params=None, jsonrpc="invalid")


