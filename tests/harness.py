"""Run rule examples through the real engine path: blocks, context, suppressions, fix-all."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rules.api import Invalid, Rule, Valid
from server.config import Config
from server.documents import Document
from server.engine import Analysis, Engine
from server.fixes import FixAllResult, fix_all

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


def engine_for(rule: type[Rule]) -> Engine:
    return Engine(Config(select=(rule.meta.code,)))


def analyze(engine: Engine, source: str, path: str) -> Analysis:
    return engine.analyze(Document("file:///" + path, path, source).snapshot())


def run_example(rule: type[Rule], example: Valid | Invalid) -> tuple[Expected, Analysis]:
    expected = strip_markers(example.source)
    return expected, analyze(engine_for(rule), expected.source, example.path)


def run_fix(rule: type[Rule], source: str, path: str) -> FixAllResult:
    return fix_all(engine_for(rule), path, source, unsafe=True)
