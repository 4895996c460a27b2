"""RV107 unused-suppression with other rules on: the engine's verdicts (which comment hid which
finding, what it cannot judge) and the fix, beyond the rule's own examples (which run RV107 alone)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.hygiene.print_statement import PrintStatement
from server.config import Config
from server.documents import Document
from server.engine import Engine
from server.fixes import apply_edits, fix_all

PRINTS = Config(select=("RV101", "RV107"))


def _findings(text: str, config: Config = PRINTS, path: str = "app/services.py") -> list[tuple[int, str, str]]:
    analysis = Engine(config).analyze(Document("file:///" + path, path, text).snapshot())
    return [(f.span.line, f.code, f.message) for f in analysis.findings]


def _unused(text: str, config: Config = PRINTS, path: str = "app/services.py") -> list[tuple[int, str]]:
    return [(line, message) for line, code, message in _findings(text, config, path) if code == "RV107"]


def test_an_unknown_code_or_name_is_reported() -> None:
    text = "def f():\n    print(1)  # reviewls: ignore[RV999]\n    print(2)  # reviewls: ignore[print-statment, RV101]\n"
    assert _unused(text) == [
        (2, "unknown rule code `RV999` in suppression"),
        (3, "unknown rule code or name `print-statment` in suppression"),
    ]
    # the print on line 2 is still reported: the typo hid nothing
    assert [(line, code) for line, code, _ in _findings(text)] == [(2, "RV101"), (2, "RV107"), (3, "RV107")]


def test_a_listed_code_that_hid_nothing_is_reported() -> None:
    text = (
        "def f(rows):\n"
        "    print(rows)  # reviewls: ignore[RV101]\n"  # used
        "    return rows  # reviewls: ignore[RV101]\n"  # unused: no print here
        "    # reviewls: ignore[print-statement]\n"  # covers the next statement, which prints
        "    print(len(rows))\n"
        "    # reviewls: ignore[print-statement]\n"  # covers a statement that does not
        "    return None\n"
    )
    assert _unused(text) == [(3, "unused suppression: no `RV101` finding here"), (6, "unused suppression: no `print-statement` finding here")]


def test_a_bare_comment_that_hid_nothing_is_reported() -> None:
    text = "def f(rows):\n    print(rows)  # reviewls: ignore\n    return rows  # reviewls: ignore\n"
    assert _unused(text) == [(3, "unused suppression: no finding here to ignore")]


def test_codes_of_rules_not_enabled_are_not_judged() -> None:
    text = "def f(rows):\n    return rows  # reviewls: ignore[RV106, logging-fstring, RV101]\n"
    assert _unused(text) == [(2, "unused suppression: no `RV101` finding here")]
    assert _unused(text, Config(select=("RV107",))) == []
    # preview rules that are off count as not enabled
    preview_off = Config(select=("RV107", "RV1"))
    assert "RV106" not in {r.meta.code for r in preview_off.enabled_rules("app/services.py")}
    assert [m for _, m in _unused(text, preview_off)] == ["unused suppression: no `RV101` finding here"]


def test_project_rule_codes_and_bare_comments_wait_for_the_project_tier() -> None:
    text = "def f(rows):\n    return rows  # reviewls: ignore[RV902, duplicated-block, RV407]\n\n\nx = 1  # reviewls: ignore\n"
    config = Config(select=("RV107", "RV902", "RV407"))
    assert _unused(text, config) == []  # only the save tier sees those findings
    assert _unused(text, PRINTS) == [(5, "unused suppression: no finding here to ignore")]


def test_the_rule_is_suppressible_by_its_code_or_name_not_by_a_bare_comment() -> None:
    text = (
        "x = 1  # reviewls: ignore[RV999, unused-suppression]\n"
        "# reviewls: ignore[RV107]\n"
        "y = 2  # reviewls: ignore[RV101]\n"
        "# reviewls: ignore\n"
        "z = 3  # reviewls: ignore[RV101]\n"
    )
    # line 4's bare comment covers line 5, but a bare comment never hides this rule's findings,
    # so it hid nothing either
    assert [line for line, _ in _unused(text)] == [4, 5]


def test_directives_in_strings_are_not_comments() -> None:
    text = (
        '"""Silence a line with `# reviewls: ignore[RV101]`."""\n'
        "HELP = 'add # reviewls: ignore[RV999] to a line'  # reviewls: ignore[RV101]\n"
        'DOC = """\n# reviewls: ignore[RV999]\n"""\n'
        "class A:\n    def f(self):\n        return '# reviewls: ignore'\n"
    )
    # line 2 has a real comment after the string: the first directive on the line is the string's
    assert _unused(text) == []


def test_a_file_with_a_syntax_error_reports_only_unknown_codes() -> None:
    text = "def f():\n    return 1 +\n\n\nx = 1  # reviewls: ignore[RV101, RV999]\ny = 2  # reviewls: ignore\n"
    assert _unused(text) == [(5, "unknown rule code `RV999` in suppression")]


def test_codes_of_a_rule_that_crashed_are_not_judged(monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(self: PrintStatement, facts: object) -> None:
        raise RuntimeError("rule bug on purpose")

    monkeypatch.setattr(PrintStatement, "check", crash)
    text = "def f(rows):\n    print(rows)\n    return rows  # reviewls: ignore[RV101]\n\n\nx = 1  # reviewls: ignore\n"
    assert _unused(text) == []


def test_config_files_are_judged_too() -> None:
    text = "requests==2.31.0  # reviewls: ignore[RV999]\nflask  # reviewls: ignore[RV905]\nhttpx==0.27.0  # reviewls: ignore[RV905]\n"
    config = Config(select=("RV107", "RV905"))
    assert _unused(text, config, "requirements.txt") == [
        (1, "unknown rule code `RV999` in suppression"),
        (3, "unused suppression: no `RV905` finding here"),
    ]


def test_the_rule_is_preview_and_off_by_default() -> None:
    text = "x = 1  # reviewls: ignore[RV999]\n"
    assert _unused(text, Config()) == []
    assert _unused(text, Config(preview=True)) == [(1, "unknown rule code `RV999` in suppression")]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("x = 1  # reviewls: ignore[RV101]\n", "x = 1\n"),
        ("x = 1  # noqa: E501  # reviewls: ignore[RV101]  # keep\n", "x = 1  # noqa: E501  # keep\n"),
        ("x = 1  # reviewls: ignore[RV101] legacy import\n", "x = 1\n"),
        ("x = 1\n    # reviewls: ignore[RV101]\ny = 2\n".replace("    ", ""), "x = 1\ny = 2\n"),
        ("# reviewls: ignore[RV101]  # why\nx = 1\n", "# why\nx = 1\n"),
        ("def f(rows):\n    print(rows)  # reviewls: ignore[RV999, RV101, RV106]\n", "def f(rows):\n    print(rows)  # reviewls: ignore[RV101, RV106]\n"),
        ("x = 1  # reviewls: ignore", "x = 1"),
        ("x = 1\n# reviewls: ignore[RV101]", "x = 1\n"),
        ("x = 1  # reviewls: ignore[RV101]\r\ny = 2\r\n", "x = 1\r\ny = 2\r\n"),
    ],
)
def test_the_fix_removes_what_hid_nothing_and_keeps_the_rest(before: str, after: str) -> None:
    result = fix_all(Engine(PRINTS), "app/services.py", before)
    assert result.text == after
    assert _unused(result.text) == []


def test_the_fix_is_offered_as_safe_edits_on_the_comment() -> None:
    engine = Engine(PRINTS)
    text = "def f(rows):\n    return rows  # reviewls: ignore[RV101]\n"
    snapshot = Document("u", "app/services.py", text).snapshot()
    [finding] = engine.analyze(snapshot).findings
    assert finding.span.line == 2 and (finding.span.col, finding.span.end_col) == (17, 42)
    fix = engine.build_fix(snapshot, finding)
    assert fix is not None and fix.safety.value == "safe"
    assert apply_edits(text, fix.edits) == "def f(rows):\n    return rows\n"


def test_our_own_code_has_no_unused_suppression() -> None:
    root = Path(__file__).resolve().parents[2]
    engine = Engine(Config(preview=True))
    found = []
    for folder in ("server", "rules"):
        for path in sorted((root / folder).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            if "reviewls" not in text:
                continue
            relative = path.relative_to(root).as_posix()
            found += [(relative, f.span.line, f.message) for f in engine.analyze(Document("u", relative, text).snapshot()).findings if f.code == "RV107"]
    assert found == []
