"""The server survives malformed protocol traffic and keeps answering."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _frame(body: bytes) -> bytes:
    return b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


def _read_message(stream: subprocess.Popen[bytes]) -> dict[str, object]:
    assert stream.stdout is not None
    length = 0
    while True:
        line = stream.stdout.readline()
        if line in (b"\r\n", b""):
            break
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return json.loads(stream.stdout.read(length))  # type: ignore[no-any-return]


def test_malformed_messages_do_not_kill_the_server() -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "server"], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert server.stdin is not None
    watchdog = threading.Timer(30, server.kill)  # a hang fails the test instead of blocking it
    watchdog.start()
    try:
        server.stdin.write(_frame(b"{this is not json"))
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}, "processId": None}}
        server.stdin.write(_frame(json.dumps(initialize).encode()))
        bogus = {"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": 5}}
        server.stdin.write(_frame(json.dumps(bogus).encode()))
        unknown = {"jsonrpc": "2.0", "id": 3, "method": "reviewls/nothing", "params": {}}
        server.stdin.write(_frame(json.dumps(unknown).encode()))
        server.stdin.flush()
        answers: dict[object, dict[str, object]] = {}
        while 3 not in answers:
            message = _read_message(server)
            if "id" in message:
                answers[message["id"]] = message
        result = answers[1]["result"]
        assert isinstance(result, dict) and result["serverInfo"]["name"] == "reviewls"
        assert "error" in answers[2]
        assert "error" in answers[3]
        assert server.poll() is None
    finally:
        watchdog.cancel()
        server.kill()
        server.wait()
