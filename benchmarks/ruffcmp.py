"""What the benchmarks that compare reviewls with Ruff share.

The Ruff executable and the settings both are run with, the machine-load line, the Markdown
result table, and `Session`: one language server (reviewls or `ruff server`) over stdio behind
pygls' client, with diagnostics by push (publishDiagnostics of a version) or by pull
(a textDocument/diagnostic request), and the server process' CPU time and peak RSS from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any, Self

from lsprotocol import types as lsp
from pygls.lsp.client import LanguageClient
from pygls.protocol import LanguageServerProtocol

RUFF = str(Path(sys.executable).with_name("ruff")) if Path(sys.executable).with_name("ruff").exists() else shutil.which("ruff") or "ruff"
COMMANDS = {"reviewls": [sys.executable, "-m", "server"], "ruff": [RUFF, "server"]}
TICK = os.sysconf("SC_CLK_TCK")


def add_ruff_select(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ruff-select", default="", help="Ruff's rule selection (default: Ruff's own default rules, the baseline of issue #12; ALL for every rule)")


def load() -> str:
    """The machine's load averages (1, 5, 15 minutes) and core count, for the report."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.2f}x" if theirs else "-"


def pair(ours: float, theirs: float, form: str = "{:.1f}") -> tuple[str, str, str]:
    """The reviewls, ruff and ratio cells of a table row."""
    return form.format(ours), form.format(theirs), ratio(ours, theirs)


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def table(rows: list[tuple[str, str, str, str, str]]) -> str:
    """`| measure | reviewls | ruff | ratio | goal |` in Markdown (ratio = reviewls / ruff of that row)."""
    lines = ["| measure | reviewls | ruff | ratio | goal |", "| --- | ---: | ---: | ---: | --- |"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a running process (all its threads and reaped children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / TICK


def peak_rss_mib(pid: int, field: str = "VmHWM") -> float:
    """The process' peak resident set size (VmHWM) in MiB; `field="VmRSS"`: the current one."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class _Protocol(LanguageServerProtocol):
    def get_result_type(self, method: str) -> Any:  # type: ignore[override]  # the parent is lru_cached
        # lsprotocol cannot structure Ruff's InitializeResult (its notebookDocumentSync): keep it raw
        return None if method == lsp.INITIALIZE else super().get_result_type(method)


class Session:
    """A started, initialized language server; `name` is "reviewls" or "ruff", `mode` "push" or "pull"."""

    def __init__(self, name: str, mode: str, root: Path, ruff_select: str = "") -> None:
        self.name, self.mode, self.root = name, mode, root
        lint = {"select": ruff_select.split(",")} if ruff_select else {}  # editorOnly: no config file applies
        self.options: dict[str, Any] | None = {"settings": {"lint": lint, "configurationPreference": "editorOnly", "logLevel": "warn"}} if name == "ruff" else None
        self.client = LanguageClient("reviewls-bench", "1", protocol_cls=_Protocol)
        self.pending: dict[tuple[str, int], asyncio.Future[int]] = {}
        self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)(lambda params: self._published(params))
        self.pid = 0
        self._drain: asyncio.Future[bytes] | None = None

    def _published(self, params: lsp.PublishDiagnosticsParams) -> None:
        future = self.pending.pop((params.uri, params.version), None) if params.version is not None else None
        if future is not None and not future.done():
            future.set_result(len(params.diagnostics))

    async def __aenter__(self) -> Self:
        await self.client.start_io(*COMMANDS[self.name])
        server = self.client._server  # pygls keeps the process private; the pid is for /proc
        assert server is not None and server.stderr is not None
        self.pid = server.pid
        self._drain = asyncio.ensure_future(server.stderr.read())  # a full stderr pipe would stall the server
        pull = lsp.TextDocumentClientCapabilities(diagnostic=lsp.DiagnosticClientCapabilities())
        capabilities = lsp.ClientCapabilities(text_document=pull if self.mode == "pull" else None)
        params = lsp.InitializeParams(capabilities=capabilities, root_uri=self.root.as_uri(), initialization_options=self.options)
        try:
            await asyncio.wait_for(self.client.initialize_async(params), 60)
        except Exception as exc:  # the server died or hung: say which, with its last words
            if server.returncode is None:
                server.kill()
            stderr = (await self._drain).decode(errors="replace")[-2000:]
            raise RuntimeError(f"{self.name} server did not initialize ({exc}):\n{stderr}") from exc
        self.client.initialized(lsp.InitializedParams())
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.wait_for(self.client.shutdown_async(None), 60)
        self.client.exit(None)
        await self.client.stop()
        if self._drain is not None:
            self._drain.cancel()

    def _expect(self, uri: str, version: int) -> None:
        if self.mode == "push":
            self.pending[(uri, version)] = asyncio.get_running_loop().create_future()

    def open(self, path: Path, text: str) -> str:
        """didOpen at version 1; returns the URI."""
        uri = path.as_uri()
        self._expect(uri, 1)
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(lsp.TextDocumentItem(uri, "python", 1, text)))
        return uri

    def insert(self, uri: str, version: int, line: int, col: int, text: str) -> None:
        """One incremental didChange that inserts `text` at (line, col)."""
        self._expect(uri, version)
        position = lsp.Position(line, col)
        change = lsp.TextDocumentContentChangePartial(range=lsp.Range(position, position), text=text)
        identifier = lsp.VersionedTextDocumentIdentifier(uri=uri, version=version)
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(identifier, [change]))

    async def diagnostics(self, uri: str, version: int, timeout: float = 120) -> int:
        """Wait for the diagnostics of this version (push) or request them (pull); their count."""
        if self.mode == "push":
            return await asyncio.wait_for(self.pending[(uri, version)], timeout)
        params = lsp.DocumentDiagnosticParams(lsp.TextDocumentIdentifier(uri))
        report = await asyncio.wait_for(self.client.text_document_diagnostic_async(params), timeout)
        return len(getattr(report, "items", []) or [])

    def cpu(self) -> float:
        return process_cpu(self.pid)

    def peak_rss_mib(self) -> float:
        return peak_rss_mib(self.pid)
