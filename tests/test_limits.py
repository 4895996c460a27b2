"""Pathological input never crashes, stalls or blocks reviewls (issue #13 items 1-4).

Blocks and files beyond the limits of `server/engine/limits.py` are not handed to libcst: each
gets one `not-reviewed` information diagnostic and the rest of the module is reviewed as usual.
A test that reproduces libcst's segfault runs the engine in a subprocess, so the suite survives
it (before the guards, the subprocess died with SIGSEGV).
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rules.api.project import CLONES
from rules.api.triggers import BlockSummary
from server.config import Config
from server.documents import Change, Document
from server.engine import Engine
from server.engine import limits
from server.engine.model import Cancelled
from server.project import ProjectIndex

ROOT = Path(__file__).resolve().parent.parent
OTHER = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"  # one RV301, line 5


def _module(statement: str) -> str:
    return f"{OTHER}\n\n{statement}\n"


def _codes(engine: Engine, text: str, path: str = "m.py") -> list[tuple[str, int]]:
    analysis = engine.analyze(Document("file:///m.py", path, text).snapshot())
    return [(f.code, f.span.line) for f in analysis.findings]


# -- item 1: deep brackets crashed libcst's native parser (SIGSEGV) ----------------------------


def _run(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, env=env, cwd=cwd)


def test_deep_brackets_do_not_kill_the_process() -> None:
    script = textwrap.dedent(
        f"""
        from server.documents import Document
        from server.engine import Engine
        text = {OTHER!r} + "\\n\\nx = " + "(" * 1500 + "1" + ")" * 1500 + "\\n"
        analysis = Engine().analyze(Document("file:///m.py", "m.py", text).snapshot())
        print([(f.code, f.span.line, f.severity.value) for f in analysis.findings])
        print([d.code for d in analysis.skipped])
        """
    )
    result = _run(script)
    assert result.returncode == 0, result.stderr[-2000:]  # was -11 (SIGSEGV in libcst's parser)
    findings, skipped = result.stdout.splitlines()
    assert findings == "[('RV301', 5, 'warning'), ('not-reviewed', 8, 'information')]"
    assert skipped == "['not-reviewed']"


def test_check_with_several_processes_reports_despite_a_deep_file(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("x = " + "[" * 1500 + "1" + "]" * 1500 + "\n")
    (tmp_path / "svc.py").write_text(OTHER)
    (tmp_path / "more.py").write_text(OTHER)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "server", "--check", "--no-cache", "--jobs", "2", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    # was a BrokenProcessPool traceback and no report (exit 2); one process exited 139
    assert result.returncode == 1, result.stdout + result.stderr[-2000:]
    assert "deep.py:1:1: not-reviewed [information] not reviewed: expressions nested deeper than the limit of 100 levels" in result.stdout
    assert "svc.py:5:" in result.stdout and "more.py:5:" in result.stdout


# -- item 2: long or deep expressions parsed in quadratic time, holding the GIL ----------------


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("x = " + "+".join(["1"] * 4000), "nested deeper than the limit"),  # CPython refuses it (RecursionError)
        ("x = " + "+".join(["1"] * 2000), "nested 2,000 levels deep"),  # CPython accepts it; libcst: 0.7 s
        ("x = " + "f(" * 150 + "1" + ")" * 150, "nested 151 levels deep"),  # 0.2 s, 110 MB in libcst
        ("x = " + "f(" * 1000 + "1" + ")" * 1000, "nested deeper than the limit"),  # 54 s, 2.3 GB in libcst
        ("x = a" + ".b" * 2500, "nested 2,501 levels deep"),
        ("x = (\n" + " +\n".join(["a"] * 500) + "\n)", "nested 500 levels deep"),  # over many lines
        ("def f():\n    return " + "-" * 2000 + "a", "nested 2,001 levels deep"),
    ],
    ids=["flat-4000", "flat-2000", "call-150", "call-1000", "attributes-2500", "multiline-500", "unary-in-def"],
)
def test_a_block_nested_too_deeply_is_not_parsed(statement: str, message: str) -> None:
    engine = Engine()
    text = _module(statement)
    analysis = engine.analyze(Document("file:///m.py", "m.py", text).snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV301", 5), ("not-reviewed", 8)]
    skipped = analysis.findings[1]
    assert skipped.severity.value == "information" and message in skipped.message
    assert analysis.skipped == (skipped,)
    assert engine.parse_calls <= 2  # the import and the function: never the deep block
    # reused as is while the document is edited elsewhere
    doc = Document("file:///m.py", "m.py", text)
    engine.analyze(doc.snapshot())
    doc.apply(Change("# note\n", (0, 0), (0, 0)))
    again = engine.analyze(doc.snapshot())
    assert [(f.code, f.span.line) for f in again.findings] == [("RV301", 6), ("not-reviewed", 9)]


def test_a_broken_block_too_large_for_libcst_reports_cpythons_error() -> None:
    engine = Engine()
    # an unclosed bracket before many items: libcst's error recovery took 13 s for 100k items
    text = _module("x = [" + ", ".join(["1"] * 30_000))
    analysis = engine.analyze(Document("file:///m.py", "m.py", text).snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV301", 5)]
    assert [(s.line, s.col) for s in analysis.syntax_errors] == [(8, 4)]  # CPython: '[' was never closed
    assert engine.parse_calls == 2


def test_a_broken_block_nested_too_deeply_is_not_parsed() -> None:
    engine = Engine()
    text = _module("x = " + "f(" * 150 + "1" + ")" * 140)  # unclosed, and past the depth limit
    assert _codes(engine, text) == [("RV301", 5), ("not-reviewed", 8)]


def test_ordinary_nesting_just_under_the_limit_is_reviewed() -> None:
    engine = Engine()
    text = "import requests\n\n\ndef g(u):\n    return " + "f(" * 90 + "requests.get(u)" + ")" * 90 + "\n"
    assert _codes(engine, text) == [("RV301", 5)]


def test_a_cancelled_analysis_stops_between_blocks_and_the_next_one_is_whole() -> None:
    text = "import requests\n\n\n" + "".join(f"def f{i}(u):\n    return requests.get(u)\n\n\n" for i in range(40))
    engine = Engine()
    doc = Document("file:///m.py", "m.py", text)
    asked = 0
    blocks = len(doc.snapshot().blocks())  # 41: it is asked before reading each, then before parsing each

    def cancelled() -> bool:
        nonlocal asked
        asked += 1
        return asked > blocks + 10

    with pytest.raises(Cancelled):
        engine.analyze(doc.snapshot(), cancelled)
    assert engine.parse_calls == 10  # stopped part of the way
    complete = engine.analyze(doc.snapshot(), lambda: False)
    fresh = Engine().analyze(Document("file:///m.py", "m.py", text).snapshot())
    assert complete.findings == fresh.findings and len(complete.findings) == 40
    with pytest.raises(Cancelled):  # a newer version: the caller says so before any work
        engine.analyze(Document("file:///m.py", "m.py", text + "x = 1\n").snapshot(), lambda: True)


# -- item 3: huge lines and huge files ---------------------------------------------------------


def test_a_block_over_the_character_limit_is_not_read() -> None:
    engine = Engine()
    text = _module("BLOB = '" + "a" * limits.MAX_BLOCK_CHARS + "'")
    analysis = engine.analyze(Document("file:///m.py", "m.py", text).snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV301", 5), ("not-reviewed", 8)]
    skipped = analysis.findings[1]
    assert "this block is too large (1,000,010 characters; the limit is 1,000,000)" in skipped.message
    assert (skipped.span.col, skipped.span.end_col) == (0, 120)  # the start of the line, not megabytes of it


def test_a_file_over_the_line_limit_is_reported_once_and_not_read() -> None:
    engine = Engine()
    text = OTHER + "x = 1\n" * limits.MAX_FILE_LINES
    analysis = engine.analyze(Document("file:///big.py", "big.py", text).snapshot())
    assert [(f.code, f.span.line, f.message) for f in analysis.findings] == [
        ("not-reviewed", 1, "not reviewed: this file is too large (50,005 lines; the limit is 50,000)")
    ]
    assert engine.parse_calls == 0 and len(engine.python._summaries) == 0  # no block was even read


def test_an_edit_in_a_module_larger_than_the_summary_cache_reads_a_few_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(cache_size=50)  # 200 blocks: more than the caches hold (as an 11k-line module)
    doc = Document("file:///m.py", "m.py", "import os\n\n\n" + "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(200)))
    engine.analyze(doc.snapshot())
    reads = 0
    original = BlockSummary.of.__func__  # type: ignore[attr-defined]

    def counted(cls: type[BlockSummary], *args: object) -> BlockSummary:
        nonlocal reads
        reads += 1
        return original(cls, *args)  # type: ignore[no-any-return]

    monkeypatch.setattr(BlockSummary, "of", classmethod(counted))
    doc.apply(Change("y = 1\n    ", (3 + 4 * 100 + 1, 4), (3 + 4 * 100 + 1, 4)))
    engine.analyze(doc.snapshot())
    # the edited block and its re-cut neighbours; it was 201: every summary had been evicted
    assert reads <= 3


# -- item 4: one bad file killed the whole save tier -------------------------------------------


def test_one_bad_file_does_not_cost_the_project_its_findings(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("DATABASE_URL=\n")
    (tmp_path / "app.py").write_text("import os\n\nDB = os.environ['DATABASE_URL']\nSECRET = os.environ['SECRET_KEY']\n")
    (tmp_path / "flat.py").write_text("import os\n\nx = " + "+".join(["1"] * 3000) + "\n")
    (tmp_path / "deep.py").write_text("x = " + "(" * 1500 + "1" + ")" * 1500 + "\n")
    (tmp_path / "loop.py").symlink_to(tmp_path / "loop.py")
    files = sorted(tmp_path.iterdir())
    index = ProjectIndex(tmp_path, needs=[CLONES])
    index.scan(files)  # raised RuntimeError (symlink loop), then RecursionError (flat.py)
    found = Engine().check_project(index.facts(), lambda path: (tmp_path / path).read_text().splitlines(keepends=True))
    assert [(path, f.code) for path, f in found] == [("app.py", "RV407")]
    assert index.problems == {
        "flat.py": "nested too deeply to read",
        "loop.py": "cannot read: Too many levels of symbolic links",
    }
    assert set(index.facts().python_files) == {"app.py", "deep.py", "flat.py"}
    (tmp_path / "loop.py").unlink()
    (tmp_path / "flat.py").write_text("X = 1\n")
    index.scan(sorted(tmp_path.iterdir()))  # fixed or gone: no longer listed
    assert index.problems == {}


def test_the_project_tier_survives_a_file_it_cannot_read(tmp_path: Path) -> None:
    (tmp_path / ".env.example").write_text("DATABASE_URL=\n")
    (tmp_path / "app.py").write_text("import os\n\nDB = os.environ['DATABASE_URL']\nSECRET = os.environ['SECRET_KEY']\n")
    index = ProjectIndex(tmp_path)
    index.scan(sorted(tmp_path.iterdir()))

    def lines_of(path: str) -> list[str]:
        raise RuntimeError(f"Symlink loop from {path!r}")

    found = Engine().check_project(index.facts(), lines_of)
    assert [(path, f.code) for path, f in found] == [("app.py", "RV407")]


# -- the limits themselves ---------------------------------------------------------------------


def _full_depth(tree: ast.AST) -> int:
    best, stack = 0, [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        best = max(best, depth)
        stack.extend((child, depth + isinstance(child, ast.expr)) for child in ast.iter_child_nodes(node))
    return best


_SHAPES = {
    "calls": lambda n: "f(" * n + "x" + ")" * n,
    "attributes": lambda n: "a" + ".b" * n,
    "sums": lambda n: "+".join(["a"] * n),
    "unary": lambda n: "-" * n + "a",
    "subscripts": lambda n: "a" + "[0]" * n,
    "lists": lambda n: "[" * n + "]" * n,
    "ternaries": lambda n: " if c else ".join(["a"] * n),
    "lambdas": lambda n: "lambda: " * n + "0",
    "f-strings": lambda n: "+".join(['f"{a:{b}}"'] * n),
    "awaits": lambda n: "await (" * n + "a" + ")" * n,
}


_LAYOUTS = {
    "line": "x = {}",
    "in-def": "def g():\n    if x:\n        y = {}",
    "handler": "try:\n    pass\nexcept {}:\n    pass",
    "decorator": "@{}\ndef g():\n    pass",
    "with": "with {} as f:\n    pass",
}


@pytest.mark.parametrize("shape", sorted(_SHAPES))
@pytest.mark.parametrize("size", [30, 48, 49, 50, 60, 97, 99, 100, 101, 150])
@pytest.mark.parametrize("layout", [*_LAYOUTS, "lines"])
def test_the_depth_walk_agrees_with_a_full_walk(shape: str, size: int, layout: str) -> None:
    expression = _SHAPES[shape](size)
    if layout == "lines":  # one logical line over many physical ones
        text = "x = (\n" + expression.replace("+", "+\n").replace(".b", "\n.b") + "\n)"
    else:
        text = _LAYOUTS[layout].format(expression)
    if shape == "awaits":  # only inside a coroutine
        text = "async def h():\n" + textwrap.indent(text, "    ")
    tree = ast.parse(text + "\n")
    excess = limits.tree_excess(tree, text + "\n")
    depth = _full_depth(tree)
    assert (excess is not None) == (depth > limits.MAX_DEPTH)
    if excess is not None:
        assert excess.value == depth


def test_no_block_of_this_repository_is_near_a_limit() -> None:
    files = [p for folder in ("server", "rules", "examples") for p in sorted((ROOT / folder).rglob("*.py"))]
    over: list[str] = []
    for path in files:
        doc = Document(path.as_uri(), path.name, path.read_text(encoding="utf-8"))
        assert limits.file_excess(doc.snapshot().lines) is None
        for start, block in doc.snapshot().blocks():
            text = block.parse_text
            try:
                tree = ast.parse(text)
            except SyntaxError:
                continue
            if limits.text_excess(text) or limits.tree_excess(tree, text):
                over.append(f"{path}:{start + 1}")
    assert over == [] and len(files) > 100


def test_fix_all_and_the_module_context_survive_an_expression_cpython_cannot_compile(tmp_path: Path) -> None:
    """`ast.parse` of a 4,000-term sum raises RecursionError (not SyntaxError): the parse check of
    `--fix`, the fix builder's import reader and the module context read it as "does not parse"."""
    from server.context import unit_facts
    from server.fixes import fix_all, parses

    deep = "x = " + "+".join(["1"] * 4000) + "\n"
    assert parses(deep) is False
    assert unit_facts("import os\n" + deep) is not None
    source = "import requests\n\n\n" + deep + "\n\ndef pay():\n    return requests.get('https://x')\n"
    fixed = fix_all(Engine(Config(select=("RV301",))), "app/pay.py", source)
    assert fixed.text == source and fixed.applied == ()  # code CPython cannot compile is left alone, no crash


def test_a_document_beyond_the_file_limits_is_not_cut_until_it_is_back_under_them(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cutting a 166k-line document into blocks took 4 s on the event loop per open, for a file
    the engine then refuses: it is not cut at all, and is cut whole once an edit brings it back
    under the limits (the same blocks as a fresh open)."""
    from server.lsp.session import _small

    monkeypatch.setattr(limits, "MAX_FILE_LINES", 30)
    text = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(10))  # 40 lines
    doc = Document("file:///big.py", "big.py", text)
    assert doc.snapshot().units == ()
    analysis = Engine().analyze(doc.snapshot())
    assert [f.code for f in analysis.findings] == [limits.NOT_REVIEWED]
    doc.apply(Change("", (20, 0), (40, 0)))  # down to 20 lines
    assert [b.text for _, b in doc.snapshot().blocks()] == [b.text for _, b in Document("u", "big.py", doc.text).snapshot().blocks()]
    doc.apply(Change(text, (20, 0), (20, 0)))  # past the limit again
    assert doc.snapshot().units == ()
    assert not _small(Document("u", "one.py", "x = '" + "a" * 300_000 + "'\n").snapshot())  # one line, but not small


def test_a_tree_too_deep_for_the_walk_is_reported_not_reviewed() -> None:
    """3,000 adjacent string literals are one constant to `ast` (under every limit) but a
    3,000-deep tree to libcst: the walk's RecursionError used to drop the block's findings with
    only a log line; now the block says it was not reviewed, and the other blocks are."""
    text = "def f():\n    print(1)\n\n\nx = (\n" + "".join(f'    "part {i} "\n' for i in range(3000)) + ")\nprint(x)\n"
    doc = Document("u", "m.py", text)
    engine = Engine()
    analysis = engine.analyze(doc.snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV101", 2), (limits.NOT_REVIEWED, 5), ("RV101", 3007)]
    assert [d.span.line for d in analysis.skipped] == [5]
    doc.apply(Change("    ", (1, 0), (1, 4)))  # an edit elsewhere: the block is reused, and still says so
    again = engine.analyze(doc.snapshot())
    assert [d.span.line for d in again.skipped] == [5]
