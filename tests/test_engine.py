"""Engine behaviour: block reuse, context-driven re-runs, crash isolation, syntax errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import libcst as cst
import pytest

from rules.api import FileRule, Located, ModuleRule, RuleMeta, Scope, Severity
from server.config import Config
from server.documents import Change, Document
from server.engine import Engine
from server.engine.python import PythonTier

FUNCTIONS = 300


def _module() -> str:
    body = "".join(f"def f{i}(x):\n    y = x + {i}\n    return y\n\n\n" for i in range(FUNCTIONS))
    return "import requests\n\n\n" + body + "class Big:\n" + "".join(f"    def m{i}(self):\n        return {i}\n\n" for i in range(50))


def test_a_module_no_rule_can_report_in_is_not_parsed() -> None:
    engine = Engine()
    doc = Document("u", "big.py", _module().replace("import requests", "import os"))
    assert engine.analyze(doc.snapshot()).findings == ()
    assert engine.parse_calls == 0  # no trigger wants any block: `ast` alone read it


def test_editing_one_function_reparses_only_its_block() -> None:
    engine = Engine()
    # a print in a script guard: RV101 reads every block (which functions only the script calls)
    doc = Document("u", "big.py", _module() + "\n\nif __name__ == '__main__':\n    print(f1(1))\n")
    engine.analyze(doc.snapshot())
    first = engine.parse_calls
    assert first == len(doc.snapshot().blocks())
    line = 3 + 5 * 150 + 1  # inside f150
    doc.apply(Change("print(y)\n    ", (line, 4), (line, 4)))
    analysis = engine.analyze(doc.snapshot())
    assert engine.parse_calls - first == 1
    assert analysis.blocks_run == 1
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV101", line + 1)]
    # an edit inside one method of the big class re-parses that member only
    method_line = len(doc.lines) - 6
    doc.apply(Change("print(1)\n        ", (method_line, 8), (method_line, 8)))
    before = engine.parse_calls
    engine.analyze(doc.snapshot())
    assert engine.parse_calls - before == 1


def test_an_import_change_reruns_rules_without_reparsing() -> None:
    engine = Engine()
    doc = Document("u", "svc.py", "import requests as http\n\n\ndef notify(body):\n    return http.post(URL, json=body)\n")
    assert [f.code for f in engine.analyze(doc.snapshot()).findings] == ["RV301"]
    parses = engine.parse_calls
    assert parses == 2
    doc.apply(Change("import httpx as http", (0, 0), (0, 23)))  # httpx has a default timeout
    analysis = engine.analyze(doc.snapshot())
    assert engine.parse_calls - parses == 1  # the import line only; notify() is re-visited, not re-parsed
    assert analysis.findings == ()


class _Boom(FileRule):
    """
    ## What it does
    Raises on every call.
    """

    meta = RuleMeta(code="RV997", name="boom-test-double", family="project", severity=Severity.ERROR, scope=Scope.FILE)

    def visit_Call(self, node: cst.Call) -> None:
        raise ValueError("broken rule")


def test_a_crashing_rule_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = Engine(Config())
    real = engine.enabled_rules
    monkeypatch.setattr(engine, "enabled_rules", lambda path: (*real(path), _Boom))
    monkeypatch.setattr(engine.python, "_rule", lambda code: _Boom if code == "RV997" else PythonTier._rule(engine.python, code))
    doc = Document("u", "svc.py", "def a():\n    print(1)\n\n\ndef b():\n    print(2)\n")
    analysis = engine.analyze(doc.snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV101", 2), ("RV101", 6)]
    assert [(c.code, c.line) for c in analysis.crashes] == [("RV997", 2), ("RV997", 6)]
    assert "ValueError: broken rule" in analysis.crashes[0].error


class _Classes(ModuleRule):
    """
    ## What it does
    Reports every class once, and every method with the class it sits in.
    """

    meta = RuleMeta(code="RV996", name="classes-test-double", family="project", severity=Severity.ERROR, scope=Scope.MODULE)

    def setup(self) -> None:
        self._classes: list[str] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.fact(_Class(node.name))
        self.fact(_Seen(node.name))
        self._classes.append(node.name.value)

    def leave_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.fact(_Seen(node.name, self._classes[-1] if self._classes else ""))

    def check(self, facts: Sequence[Located[object]]) -> None:
        classes = sorted(located.value.node.value for located in facts if isinstance(located.value, _Class))
        for located in facts:
            if isinstance(located.value, _Seen):
                where = f"{located.value.node.value} in {located.value.owner or '-'}"
                self.report(located.value.node, f"{where}; classes: {', '.join(classes)}", at=located.block)


@dataclass(frozen=True)
class _Class:
    node: cst.Name


@dataclass(frozen=True)
class _Seen:
    node: cst.Name
    owner: str = ""


def test_a_class_member_is_seen_in_its_class_but_the_class_is_reported_by_its_header_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A member block is parsed under a copy of its class header: rules see the member in its
    class (no wrapper test needed) and the engine drops what they say about the class itself,
    so a class with three members is reported once, not four times."""
    engine = Engine(Config())
    monkeypatch.setattr(engine, "enabled_rules", lambda path: (_Classes,))
    monkeypatch.setattr(engine.python, "_rule", lambda code: _Classes)
    text = "class Cart(Base):\n    x = 1\n\n    def a(self):\n        pass\n\n    def b(self):\n        class Inner:\n            pass\n"
    analysis = engine.analyze(Document("u", "svc.py", text).snapshot())
    assert [(f.span.line, f.message.split(";")[0]) for f in analysis.findings] == [
        (1, "Cart in -"),
        (4, "a in Cart"),
        (7, "b in Cart"),
        (8, "Inner in -"),
    ]
    assert {f.message.split("; ")[1] for f in analysis.findings} == {"classes: Cart, Inner"}


def test_a_syntax_error_only_costs_its_block() -> None:
    engine = Engine()
    doc = Document("u", "svc.py", "def a():\n    print(1)\n\n\ndef b():\n    print(2 +\n\n\ndef c():\n    print(3)\n")
    analysis = engine.analyze(doc.snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV101", 2), ("RV101", 10)]
    assert [s.line for s in analysis.syntax_errors] == [6]
    reporting = Engine(Config(report_syntax_errors=True))
    codes = [(f.code, f.span.line) for f in reporting.analyze(doc.snapshot()).findings]
    assert ("syntax-error", 6) in codes


def test_suppression_comments() -> None:
    engine = Engine()
    text = (
        "def a():\n    print(1)  # reviewls: ignore[RV101]\n    print(2)  # reviewls: ignore\n"
        "    # reviewls: ignore[print-statement]\n    print(3)\n    print(4)  # reviewls: ignore[RV301]\n"
    )
    analysis = engine.analyze(Document("u", "svc.py", text).snapshot())
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV101", 6)]


def test_config_select_ignore_severity_and_per_file() -> None:
    from server.config import parse_table

    config = parse_table(
        {"ignore": ["RV3"], "severity": {"RV101": "error"}, "per-file-ignores": {"legacy/*.py": ["print-statement"]}},
        "pyproject.toml",
    )
    engine = Engine(config)
    text = "import requests\n\ndef a():\n    print(1)\n    requests.get(URL)\n"
    found = engine.analyze(Document("u", "app/x.py", text).snapshot()).findings
    assert [(f.code, f.severity.value) for f in found] == [("RV101", "error")]
    assert engine.analyze(Document("u", "legacy/x.py", text).snapshot()).findings == ()
    assert config.rule_states("legacy/x.py")["RV101"] == "per-file-ignore"
    assert config.rule_states("app/x.py")["RV301"] == "ignored"


def test_a_finding_reported_as_only_likely_keeps_its_lower_severity_unless_configured() -> None:
    from rules.api import Severity
    from rules.registry import by_code

    rule = by_code()["RV101"]
    assert Config().severity_for(rule) == rule.meta.severity
    assert Config().severity_for(rule, Severity.INFORMATION) == Severity.INFORMATION
    configured = Config(severity=(("RV101", Severity.ERROR),))
    assert configured.severity_for(rule, Severity.INFORMATION) == Severity.ERROR, "the user's choice wins"


def test_one_fix_removes_every_node_it_names() -> None:
    """A quick fix that deletes three commented-out lines deletes all three, not the first only."""
    from rules.registry import by_code
    from server.fixes import apply_edits

    source = "def f(x):\n    y = x + 1\n    # z = compute(x)\n    # w = other(z)\n    # return w\n    return y\n"
    engine = Engine(Config(select=("RV103",)))
    snapshot = Document("file:///app/svc.py", "app/svc.py", source).snapshot()
    finding = next(f for f in engine.analyze(snapshot).findings if f.code == by_code()["RV103"].meta.code)
    fix = engine.build_fix(snapshot, finding)
    assert fix is not None
    assert apply_edits(source, fix.edits) == "def f(x):\n    y = x + 1\n    return y\n"


def test_a_nul_byte_in_a_string_crashes_no_rule() -> None:
    # libcst parses the block, but Python refuses to evaluate the literal: rules read it as unknown
    engine = Engine()
    doc = Document("u", "svc.py", 'API_KEY = "sk\x00live"\nlabel = "a\x00b" % 1\n\n\ndef f():\n    print("x\x00y")\n')
    analysis = engine.analyze(doc.snapshot())
    assert analysis.crashes == ()
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV101", 6)]


def test_a_fix_is_an_opaque_key_the_newest_analysis_resolves() -> None:
    """No parsed tree leaves the engine: a diagnostic names its fix by key, the engine's fix
    table resolves keys of the newest analysis of the document, and a closed document's
    handles (which hold its trees) are dropped."""
    import dataclasses

    from server.engine import FixRef

    source = "def f(x):\n    y = x + 1\n    # z = compute(x)\n    # w = other(z)\n    return y\n\n\ndef g():\n    return 1\n"
    engine = Engine(Config(select=("RV103",)))
    doc = Document("file:///app/svc.py", "app/svc.py", source)
    first = engine.analyze(doc.snapshot())
    (old,) = first.findings
    assert isinstance(old.fix, FixRef)
    assert {f.name for f in dataclasses.fields(old)} == {"code", "name", "severity", "message", "span", "fix", "related"}
    # an edit in another block: an equal diagnostic (keys stay off identity) that resolves
    doc.apply(Change("    return 2\n", (9, 0), (10, 0)))
    second = engine.analyze(doc.snapshot())
    assert second.findings == first.findings
    assert engine.build_fix(doc.snapshot(), second.findings[0]) is not None
    # an edit above it shifts the block: a new key; a key of an older analysis no longer
    # resolves, so a stale diagnostic gets no edit rather than one at the wrong place
    doc.apply(Change("import os\n", (0, 0), (0, 0)))
    third = engine.analyze(doc.snapshot())
    assert third.findings[0].fix is not None and old.fix.key != third.findings[0].fix.key
    assert engine.build_fix(doc.snapshot(), old) is None
    fix = engine.build_fix(doc.snapshot(), third.findings[0])
    assert fix is not None and fix.edits[0].start_line == 4
    engine.forget("app/svc.py")
    assert engine.build_fix(doc.snapshot(), third.findings[0]) is None


def test_caches_are_bounded_by_bytes_not_only_by_entries() -> None:
    """An entry cap alone let a long session keep every block ever typed; the byte budget
    drops the least recently used entries once their estimated size passes it."""
    from server.engine.cache import LRU

    cache: LRU[str, str] = LRU(1000, budget=100, weigh=lambda key, value: len(value))
    for n in range(10):
        cache.put(f"k{n}", "x" * 30)
        cache.get("k0")  # kept in use: never the one dropped
    assert len(cache) == 3 and cache.weight == 90
    assert cache.get("k0") is not None and cache.get("k9") is not None and cache.get("k1") is None
    cache.put("k0", "x" * 5)  # replacing an entry replaces its weight
    assert cache.weight == 65
    engine = Engine()
    for n in range(3000):  # 3,000 different one-function modules: the summary cache stays in budget
        engine.analyze(Document("u", "m.py", f"def f{n}(x):\n    return x + {n}\n").snapshot())
    assert engine.python._summaries.weight <= 3 << 20 and len(engine.python._summaries) < 3000
