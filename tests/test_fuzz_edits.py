"""Random incremental edits give the findings a fresh open of the same text gives (#13 items 6, 7).

The server keeps one `Document` per open file, applies each LSP change to its lines and its
block cut, and analyses every version with one engine that reuses block results across
versions. A fresh open cuts and analyses the text from nothing. Any difference is a stale
block, a wrong cut or a line that drifted. Random edits (syntax errors, CRLF, lone CR, form
feeds, astral characters, tabs) find those where hand-written cases do not. The edits go
through the objects the server uses (`DocumentStore`, the UTF-16 position codec, `Engine`),
without a subprocess; the seed is fixed, so a failure replays.
"""

from __future__ import annotations

import bisect
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from pygls.workspace.position_codec import PositionCodec

from rules.api import Span
from server.documents import Change, Document, DocumentStore
from server.engine import Analysis, Engine
from server.lsp.convert import from_client_position, span_range

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "examples" / "shop" / "shop"

# the LSP's line breaks, written independently of the server's own helper
_BREAK = re.compile(r"\r\n|\r|\n")

POOL = (
    "(", ")", ":", "'", '"', '"""', "[", "]", ",", "=", "\\", "#", " ", "x",
    "é", "𝒳", "\r\n", "\r", "\f", "\t", "\n", "\n    ", "\n        ", "    ",
    "def ", "class ", "return ", "async ", "await ", "import ", "for ", " in ", "if ", "else:",
    "try:", "except Exception:", "pass", "print(", "requests.get(url)", "http.post(URL)",
    "time.sleep(1)", "import requests\n", "    print(x)\n", "\f\n", "x = '𝒳é'\n",
)


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Client:
    """The editor's side: its own text, and positions in UTF-16 units as LSP counts lines."""

    text: str

    def starts(self) -> list[int]:
        return [0, *(m.end() for m in _BREAK.finditer(self.text))]

    def lines(self) -> list[str]:
        starts = self.starts()
        ends = [*starts[1:], len(self.text)]
        return [self.text[a:b] for a, b in zip(starts, ends) if a < b]

    def position(self, offset: int) -> lsp.Position:
        starts = self.starts()
        line = bisect.bisect_right(starts, offset) - 1
        return lsp.Position(line, _utf16(self.text[starts[line] : offset]))

    def boundary(self, offset: int) -> int:
        """An offset a position can name: never between the CR and the LF of one break."""
        if 0 < offset < len(self.text) and self.text[offset - 1] == "\r" and self.text[offset] == "\n":
            return offset - 1
        return offset


def _snippet(rng: random.Random) -> str:
    return "".join(rng.choice(POOL) for _ in range(rng.randint(1, 3)))


def _edit(rng: random.Random, client: Client, base: str) -> tuple[int, int, str]:
    """A random [start, end) offset range of the client's text and its replacement."""
    text = client.text
    roll = rng.random()
    if roll < 0.2 or len(text) > 3 * len(base):
        # back to the original module, as an undo would: one range covering what differs
        start = 0
        while start < min(len(text), len(base)) and text[start] == base[start]:
            start += 1
        end, end_base = len(text), len(base)
        while end > start and end_base > start and text[end - 1] == base[end_base - 1]:
            end -= 1
            end_base -= 1
        if client.boundary(end) != end:  # the range must not end between a CR and its LF either
            end, end_base = end + 1, end_base + 1
        start = client.boundary(start)
        return start, end, base[start:end_base]
    start = client.boundary(rng.randint(0, len(text)))
    if roll < 0.3:  # at a line start, a whole line
        start = client.starts()[bisect.bisect_right(client.starts(), start) - 1]
        return start, start, rng.choice(("    print(x)\n", "x = 1\r\n", "\f\n", "def f():\n", "class K:\r", "\n"))
    if roll < 0.6:
        return start, start, _snippet(rng)
    length = rng.choice((1, 1, 2, 3, 5, 12, 40))
    end = client.boundary(min(start + length, len(text)))
    return start, max(start, end), _snippet(rng) if roll < 0.8 else ""


def _place(span: Span) -> tuple[int, int, int, int]:
    return span.line, span.col, span.end_line, span.end_col


def _view(analysis: Analysis) -> list[tuple[object, ...]]:
    found = [(f.code, _place(f.span), f.message) for f in analysis.findings]
    return sorted(found + [("syntax", _place(span), "") for span in analysis.syntax_errors])


def _misplaced(client: Client, codec: PositionCodec, lines: tuple[str, ...], analysis: Analysis) -> list[str]:
    """Findings whose range in UTF-16 units is not where the client counts the same characters."""
    starts = client.starts()
    out: list[str] = []
    for finding in analysis.findings:
        span = finding.span
        if span.line > len(lines) or span.end_line > len(lines):
            continue
        if span.col > len(lines[span.line - 1]) or span.end_col > len(lines[span.end_line - 1]):
            continue  # past the line's end (libcst drops a comment line before a file's last dedent)
        got = span_range(codec, lines, span)
        want_start = client.position(starts[span.line - 1] + span.col)
        want_end = client.position(starts[span.end_line - 1] + span.end_col)
        if (got.start, got.end) != (want_start, want_end):
            out.append(f"{finding.code} {_place(span)}: client range {got} should be {want_start} {want_end}")
    return out


def _open(store: DocumentStore, uri: str, path: str, text: str, version: int) -> Engine:
    """Open (or re-open) the document; a new engine that has analysed it, as the server's would."""
    engine = Engine()
    engine.analyze(store.open(uri, path, text, version).snapshot())
    return engine


def _run(base: str, path: str, seed: int, edits: int) -> list[str]:
    """Apply `edits` random changes; the differences from a fresh open, described."""
    rng = random.Random(seed)
    codec = PositionCodec(lsp.PositionEncodingKind.Utf16)
    uri = f"file:///fuzz/{path}"
    store = DocumentStore()
    engine = _open(store, uri, path, base, 0)
    client = Client(base)
    problems: list[str] = []
    for version in range(1, edits + 1):
        before = client.text
        # one didChange may carry several changes, each relative to the text after the last one
        for _ in range(1 if rng.random() < 0.85 else rng.randint(2, 3)):
            start, end, new = _edit(rng, client, base)
            doc = store.get(uri)
            assert doc is not None
            change = Change(
                new,
                from_client_position(codec, doc.lines, client.position(start)),
                from_client_position(codec, doc.lines, client.position(end)),
            )
            client.text = client.text[:start] + new + client.text[end:]
            store.change(uri, version, [change])
        doc = store.get(uri)
        assert doc is not None
        if doc.text != client.text or doc.lines != client.lines():
            problems.append(f"edit {version}: lines differ\n  before {before!r}\n  after  {client.text!r}\n  doc    {doc.text!r}")
            engine = _open(store, uri, path, client.text, version)  # as re-opening the file would
            continue
        if rng.random() < 0.25:
            continue  # the debounce: some versions are never analysed
        snapshot = store.snapshot(uri)
        assert snapshot is not None
        incremental = engine.analyze(snapshot)
        fresh = Engine().analyze(Document(uri, path, client.text).snapshot())
        if _view(incremental) != _view(fresh):
            problems.append(
                f"edit {version}: findings differ\n  before {before!r}\n  after  {client.text!r}\n"
                f"  incremental {_view(incremental)}\n  fresh       {_view(fresh)}"
            )
            engine = _open(store, uri, path, client.text, version)
            continue
        misplaced = _misplaced(client, codec, snapshot.lines, incremental)
        if misplaced:
            problems.append(f"edit {version}: UTF-16 ranges wrong in {client.text!r}\n  " + "\n  ".join(misplaced))
    return problems


@pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore:invalid escape sequence:DeprecationWarning")  # CPython, on garbage
@pytest.mark.parametrize(
    ("module", "seed", "edits"),
    [("services/payments.py", 1307, 600), ("services/reports.py", 2613, 500), ("api/orders.py", 3919, 300)],
)
def test_incremental_findings_equal_a_fresh_open(module: str, seed: int, edits: int) -> None:
    base = (SHOP / module).read_text(encoding="utf-8")
    problems = _run(base, f"shop/{module}", seed, edits)
    assert not problems, f"{len(problems)} of {edits} edits differ; first ones:\n" + "\n".join(problems[:3])


def test_a_duplicate_definition_outlives_an_unclosed_bracket_far_above_it() -> None:
    """The issue's case, reduced: with a `(` left open at the top, RV105 below was lost until reopened."""
    text = (
        "import logging\n\nimport requests\n\nlogger = logging.getLogger(__name__)\nrouter = APIRouter()\n\n\n"
        '@router.get("/")\ndef get_order(order_id):\n    return order_id\n\n\n'
        "def order_total(lines):\n    return sum(lines)\n\n\ndef order_total(lines):\n    return len(lines)\n"
    )
    doc = Document("u", "shop/orders.py", text)
    engine = Engine()
    engine.analyze(doc.snapshot())
    for at, typed in (((8, 1), "("), ((16, 0), ")"), ((0, 0), "(")):
        doc.apply(Change(typed, at, at))
        incremental = engine.analyze(doc.snapshot())
    fresh = Engine().analyze(Document("u", "shop/orders.py", doc.text).snapshot())
    assert _view(incremental) == _view(fresh)
    assert "RV105" in {f.code for f in incremental.findings}
