"""JSON-RPC and LSP lifecycle rules, checked on the wire against a real server process.

Each test speaks raw JSON-RPC (a client library would never send these messages): a request
before `initialize`, malformed JSON, a short Content-Length, requests after `shutdown`,
`exit` without `shutdown`, a code action resolve with data the server never made, a
`didClose` of a document never opened.
"""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # seconds before a missing answer fails the test (a hang must not block the suite)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002


class RawClient:
    """A server process and the messages it sends, read on a thread into a queue."""

    def __init__(self, cwd: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server"],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        )
        self.messages: queue.Queue[dict[str, object] | None] = queue.Queue()
        self.stderr = b""
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=self._drain_stderr, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    self.messages.put(None)
                    return
                if line == b"\r\n":
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.messages.put(json.loads(stream.read(length)))

    def _drain_stderr(self) -> None:
        assert self.process.stderr is not None
        self.stderr = self.process.stderr.read()

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: dict[str, object], length_delta: int = 0) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.send_raw(b"Content-Length: " + str(len(body) + length_delta).encode() + b"\r\n\r\n" + body)

    def request(self, id: int, method: str, params: object = None) -> None:
        self.send({"id": id, "method": method, "params": params})

    def notify(self, method: str, params: object = None) -> None:
        self.send({"method": method, "params": params})

    def answer(self, id: object) -> dict[str, object]:
        """The response to request `id` (other messages are skipped)."""
        while True:
            message = self.messages.get(timeout=WAIT)
            assert message is not None, f"the server closed the connection before answering {id}"
            if "method" not in message and message.get("id") == id:
                return message

    def initialize(self) -> None:
        self.request(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        assert "result" in self.answer(1)
        self.notify("initialized", {})

    def exit_code(self) -> int:
        return self.process.wait(timeout=WAIT)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[RawClient]:
    raw = RawClient(tmp_path)
    yield raw
    if raw.process.poll() is None:
        raw.process.kill()
        raw.process.wait()


def _error(message: dict[str, object]) -> int:
    error = message.get("error")
    assert isinstance(error, dict), f"expected an error, got {message}"
    code = error["code"]
    assert isinstance(code, int)
    return code


def test_a_request_before_initialize_is_an_error_not_null(client: RawClient) -> None:
    client.request(7, "textDocument/hover", {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}})
    assert _error(client.answer(7)) == SERVER_NOT_INITIALIZED
    client.initialize()  # and the server still initializes afterwards


def test_malformed_json_gets_a_parse_error_and_the_next_message_is_served(client: RawClient) -> None:
    client.initialize()
    client.send_raw(b"Content-Length: 17\r\n\r\n{this is not json")
    parse = client.answer(None)
    assert _error(parse) == PARSE_ERROR
    client.request(2, "shutdown")
    assert client.answer(2).get("result", "missing") is None


def test_a_short_content_length_loses_only_its_own_message(client: RawClient) -> None:
    client.initialize()
    hover = {"textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": 0, "character": 0}}
    client.send({"id": 2, "method": "textDocument/hover", "params": hover}, length_delta=-5)  # body cut short
    client.request(3, "textDocument/hover", hover)
    assert _error(client.answer(None)) == PARSE_ERROR  # the cut body
    assert "result" in client.answer(3)  # the next message is served
    client.request(4, "shutdown")
    assert client.answer(4).get("result", "missing") is None


def test_requests_after_shutdown_are_refused_and_exit_then_ends_with_0(client: RawClient) -> None:
    client.initialize()
    client.request(2, "shutdown")
    assert client.answer(2).get("result", "missing") is None
    client.request(3, "textDocument/hover", {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 0, "character": 0}})
    assert _error(client.answer(3)) == INVALID_REQUEST
    client.notify("exit")
    assert client.exit_code() == 0


def test_exit_without_shutdown_exits_1(client: RawClient) -> None:
    client.initialize()
    client.notify("exit")
    assert client.exit_code() == 1


def test_resolve_with_data_the_server_never_made_returns_the_action_unchanged(client: RawClient) -> None:
    client.initialize()
    uri = "file:///tmp/app/svc.py"
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}})
    for n, data in enumerate(
        [
            {"uri": uri, "version": 1, "code": "RV301", "range": "not a range"},
            {"uri": uri, "version": 1, "code": "RV301", "range": [0, 0]},
            {"uri": 5, "version": "one"},
            "just a string",
            {"uri": uri, "version": 1, "fixAll": True, "fixKey": "x"},
        ],
        start=2,
    ):
        client.request(n, "codeAction/resolve", {"title": "Fix", "data": data})
        answer = client.answer(n)
        assert "error" not in answer, answer
        result = answer["result"]
        assert isinstance(result, dict) and result["title"] == "Fix"
    client.request(20, "shutdown")
    client.answer(20)
    client.notify("exit")
    assert client.exit_code() == 0
    assert b"Traceback" not in client.stderr


def test_closing_a_document_never_opened_is_not_an_error(client: RawClient) -> None:
    client.initialize()
    client.notify("textDocument/didClose", {"textDocument": {"uri": "file:///never/opened.py"}})
    client.request(2, "shutdown")
    client.answer(2)
    client.notify("exit")
    assert client.exit_code() == 0
    assert b"ERROR" not in client.stderr and b"Traceback" not in client.stderr, client.stderr.decode(errors="replace")


def test_notifications_leave_nothing_behind() -> None:
    """pygls kept a future per didChange (under a fresh uuid) for the life of the server: 2 KB a
    keystroke, +30% memory over 10,000 edits. Driven in process through the real read path."""
    import asyncio

    from pygls.io_ import StdoutWriter

    from server.lsp.server import create
    from server.lsp.transport import receive

    async def run() -> int:
        server = create()
        server.protocol.set_writer(StdoutWriter(open(os.devnull, "wb")))  # noqa: SIM115 - closed with the process
        protocol = server.review_protocol

        def send(message: dict[str, object]) -> None:
            receive(protocol, json.dumps({"jsonrpc": "2.0", **message}).encode())

        send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        send({"method": "initialized", "params": {}})
        uri = "file:///tmp/app/notes.py"
        send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}})
        for version in range(2, 202):
            position = {"line": 0, "character": 5}
            change = {"range": {"start": position, "end": position}, "text": str(version % 10)}
            send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
            await asyncio.sleep(0)
        await asyncio.sleep(0.1)
        send({"method": "textDocument/didClose", "params": {"textDocument": {"uri": uri}}})
        server.engine_thread.shutdown()
        server.projects.stop()  # the project worker `initialized` started
        return len(protocol._request_futures)

    assert asyncio.run(run()) <= 1


def test_an_analysis_superseded_by_a_newer_version_stops_and_the_newer_one_is_served() -> None:
    """The engine is asked between blocks whether the analysis still has a use: once a newer
    version arrives it stops (no engine time spent on a version nobody sees) and the newest
    version is analysed; after `shutdown` nothing is analysed at all."""
    import asyncio

    from server.documents import Change
    from server.engine.model import Cancelled
    from server.lsp.server import create

    async def run() -> tuple[list[object], object, object]:
        server = create()
        server.store.open("file:///a.py", "a.py", "x = 1\n", 1)
        seen: list[object] = []
        real = server.engine.analyze

        def analyze(snapshot: object, cancelled: object = None) -> object:
            seen.append(snapshot.version)  # type: ignore[attr-defined]
            if snapshot.version == 1:  # type: ignore[attr-defined]
                server.store.change("file:///a.py", 2, [Change("print(2)\n")])  # an edit arrives mid-analysis
                assert callable(cancelled) and cancelled()
                raise Cancelled("a.py")
            return real(snapshot, cancelled)  # type: ignore[arg-type]

        server.engine.analyze = analyze  # type: ignore[method-assign]
        result = await server.analysis_for("file:///a.py")
        server.stopping = True
        after_shutdown = await server.analysis_for("file:///a.py")
        server.engine_thread.shutdown()
        assert result is not None
        return seen, result[1].version, after_shutdown

    seen, served, after_shutdown = asyncio.run(run())
    assert seen == [1, 2] and served == 2 and after_shutdown is None


def test_a_burst_of_edits_is_analysed_once_not_once_per_edit() -> None:
    """2,000 edits sent at once used to be analysed one by one (149 stale publishes, the last
    version's diagnostics 17 s late): a newer version cancels the pending task of an older one,
    so a burst read in one go costs one analysis, and the last version is the one published."""
    import asyncio

    from pygls.io_ import StdoutWriter

    from server.lsp.server import create
    from server.lsp.transport import receive

    async def run() -> list[int | None]:
        server = create()
        server.protocol.set_writer(StdoutWriter(open(os.devnull, "wb")))  # noqa: SIM115 - closed with the process
        published: list[int | None] = []
        server.publish = lambda uri, version, diagnostics: published.append(version)  # type: ignore[method-assign]
        protocol = server.review_protocol

        def send(message: dict[str, object]) -> None:
            receive(protocol, json.dumps({"jsonrpc": "2.0", **message}).encode())

        send({"id": 1, "method": "initialize", "params": {"processId": None, "rootUri": None, "capabilities": {}}})
        uri = "file:///tmp/app/burst.py"
        send({"method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": "x = 1\n"}}})
        for version in range(2, 302):  # one read of the pipe: no turn of the event loop in between
            position = {"line": 0, "character": 5}
            change = {"range": {"start": position, "end": position}, "text": str(version % 10)}
            send({"method": "textDocument/didChange", "params": {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}})
        for _ in range(3000):  # up to 30 s on a slow machine; a few milliseconds here
            await asyncio.sleep(0.01)
            if published and published[-1] == 301:
                break
        server.engine_thread.shutdown()
        return published

    published = asyncio.run(run())
    assert published[-1] == 301
    assert len(published) <= 3, published  # the burst: one analysis (plus the open's, at most)
