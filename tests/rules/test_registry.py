"""Every rule's metadata, docs and examples are well formed; generated docs are current."""

from __future__ import annotations

import re

import pytest

from rules.api import FAMILIES, RuleBase, Safety, Scope
from rules.registry import all_rules, resolve_selector
from server.docs import expected_files
from tests.harness import run_example, run_fix, strip_markers

RULES = all_rules()
SECTIONS = ("## What it does", "## Why is this bad?", "## Example", "## Fix")


def test_codes_and_names_are_unique_and_well_formed() -> None:
    codes = [r.meta.code for r in RULES]
    names = [r.meta.name for r in RULES]
    assert len(set(codes)) == len(codes)
    assert len(set(names)) == len(names)
    for rule in RULES:
        assert re.fullmatch(r"RV[1-9]\d\d", rule.meta.code)
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.meta.name)
        assert not rule.meta.name.startswith(("no-", "avoid-"))
        assert FAMILIES[rule.meta.code[2]] == rule.meta.family
        assert rule.__module__ == f"rules.{rule.meta.family}.{rule.__module__.rsplit('.', 1)[-1]}"
        assert not rule.__module__.rsplit(".", 1)[-1].startswith("test_")


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.code for r in RULES])
def test_docs_and_examples(rule: type[RuleBase]) -> None:
    docs = rule.docs()
    positions = [docs.find(section) for section in SECTIONS]
    assert all(p >= 0 for p in positions), f"{rule.meta.code} docs miss a section"
    assert positions == sorted(positions)
    assert rule.summary()
    assert len(rule.VALID) >= 2 and len(rule.INVALID) >= 2


@pytest.mark.parametrize("rule", RULES, ids=[r.meta.code for r in RULES])
def test_fix_metadata_agrees_with_behaviour(rule: type[RuleBase]) -> None:
    offered: list[str | None] = []
    for example in rule.INVALID:
        _, analysis = run_example(rule, example)
        offered.extend(f.fix.title if f.fix else None for f in analysis.findings)
        for finding in analysis.findings:
            if finding.fix is not None:
                assert finding.fix.safety == rule.meta.fix
                assert finding.fix.title[0].isupper() and not finding.fix.title.endswith(".")
    if rule.meta.fix is None:
        assert not any(offered), f"{rule.meta.code} declares no fix but offers one"
    else:
        assert any(offered), f"{rule.meta.code} declares a fix but no example offers one"
        if rule.meta.scope is Scope.PROJECT:
            return  # project fixes edit other files: tests/test_project.py applies them
        changed = [
            e for e in rule.INVALID
            if e.fixed is not None and run_fix(rule, strip_markers(e.source).source, e.path).text != strip_markers(e.source).source
        ]
        assert changed, f"{rule.meta.code} needs an example whose `fixed=` shows the fix"


def test_messages_follow_the_house_style() -> None:
    for rule in RULES:
        for example in rule.INVALID:
            _, analysis = run_example(rule, example)
            for finding in analysis.findings:
                assert not finding.message.endswith("."), finding.message
                assert not finding.message.startswith("RV"), finding.message


def test_selectors() -> None:
    assert [r.meta.code for r in resolve_selector("RV101")] == ["RV101"]
    assert [r.meta.code for r in resolve_selector("print-statement")] == ["RV101"]
    assert {r.meta.code for r in resolve_selector("RV2")} >= {"RV201", "RV203", "RV204"}
    with pytest.raises(KeyError):
        resolve_selector("RV000")


def test_generated_docs_are_current() -> None:
    stale = [str(path) for path, content in expected_files().items() if not path.exists() or path.read_text(encoding="utf-8") != content]
    assert not stale, f"run `python -m server.docs`; stale: {stale}"


def test_safe_fix_means_fix_all_applies_it() -> None:
    assert {r.meta.code for r in RULES if r.meta.fix is Safety.SAFE} >= {"RV106", "RV301", "RV501"}
