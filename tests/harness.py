"""Run rule examples through the real engine path: blocks, context, suppressions, fix-all."""

from __future__ import annotations

import re
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

from rules.api import Invalid, RuleBase, Scope, Valid
from rules.registry import parts_of
from server.config import Config
from server.documents import Document
from server.engine import Analysis, Engine
from server.fixes import FixAllResult, fix_all
from server.projectsession import ProjectSession

MARKER = re.compile(r"[ \t]*# <- (RV\d{3}(?:\s*,\s*RV\d{3})*)[ \t]*$")


@dataclass(frozen=True)
class Expected:
    source: str
    findings: frozenset[tuple[int, str]]


def strip_markers(source: str) -> Expected:
    """Remove `# <- RVxxx` markers; return the clean source and the (line, code) pairs."""
    lines: list[str] = []
    found: set[tuple[int, str]] = set()
    for number, line in enumerate(source.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        marker = MARKER.search(body)
        if marker:
            for code in marker.group(1).split(","):
                found.add((number, code.strip()))
            body = body[: marker.start()]
        lines.append(body + ending)
    return Expected("".join(lines), frozenset(found))


def engine_for(rule: type[RuleBase]) -> Engine:
    return Engine(Config(select=(rule.meta.code,)))


def analyze(engine: Engine, source: str, path: str) -> Analysis:
    return engine.analyze(Document("file:///" + path, path, source).snapshot())


def run_example(rule: type[RuleBase], example: Valid | Invalid) -> tuple[Expected, Analysis]:
    expected = strip_markers(example.source)
    if rule.meta.scope is Scope.PROJECT:
        return expected, _run_project(rule, example, expected)
    if parts_of(rule):  # an edit rule with a project part (RV501 across files): both tiers, as in the editor
        return expected, _run_project(rule, example, expected, edit=True)
    if example.files:  # a file rule that looks at its neighbours (RV905's lock files): give it a folder
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            for path, text in {**example.files, example.path: expected.source}.items():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text)
            analysis = analyze(engine_for(rule), expected.source, (root / example.path).as_posix())
        return expected, analysis
    return expected, analyze(engine_for(rule), expected.source, example.path)


def _run_project(rule: type[RuleBase], example: Valid | Invalid, expected: Expected, *, edit: bool = False) -> Analysis:
    """Write the example's files to a temporary project, index it, run the project rules (with
    `edit`, the edit tier over the example file too, and over the other files for their markers).

    Markers in the other files (`files=`) are checked too: their findings must be expected
    there, and are left out of the returned analysis, which holds the example file's own.
    """
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        contents = {example.path: expected.source}
        others: set[tuple[str, int, str]] = set()
        for path, text in example.files.items():
            stripped = strip_markers(textwrap.dedent(text))
            contents[path] = stripped.source
            others.update((path, line, code) for line, code in stripped.findings)
        for path, text in contents.items():
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(text)
        engine = engine_for(rule)
        project = ProjectSession(root, engine)
        project.scan(root / path for path in contents)
        pairs = project.check()
        if edit:
            for path, text in contents.items():
                if path.endswith(".py"):
                    pairs.extend((path, f) for f in analyze(engine, text, (root / path).as_posix()).findings)
    got_others = {(path, f.span.line, f.code) for path, f in pairs if path != example.path}
    assert got_others == others, f"findings in other files: {got_others} != {others}"
    own = tuple(sorted((f for path, f in pairs if path == example.path), key=lambda f: (f.span.line, f.span.col, f.code)))
    return Analysis(example.path, None, own, (), (), 0)


def run_fix(rule: type[RuleBase], source: str, path: str) -> FixAllResult:
    return fix_all(engine_for(rule), path, source, unsafe=True)
