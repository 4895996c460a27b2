"""Every rule's VALID and INVALID examples, through the real engine path."""

from __future__ import annotations

import pytest

from rules.api import Invalid, RuleBase, Valid
from rules.registry import all_rules
from server.fixes import parses
from tests.harness import analyze, engine_for, run_example, run_fix, strip_markers


def _cases() -> list[object]:
    cases = []
    for rule in all_rules():
        for n, example in enumerate(rule.VALID):
            cases.append(pytest.param(rule, example, id=f"{rule.meta.code}-valid-{n}"))
        for n, example in enumerate(rule.INVALID):
            cases.append(pytest.param(rule, example, id=f"{rule.meta.code}-invalid-{n}"))
    return cases


def _fixed_cases() -> list[object]:
    return [
        pytest.param(rule, example, id=f"{rule.meta.code}-fixed-{n}")
        for rule in all_rules()
        for n, example in enumerate(rule.INVALID)
        if example.fixed is not None
    ]


@pytest.mark.parametrize(("rule", "example"), _cases())
def test_example_findings(rule: type[RuleBase], example: Valid | Invalid) -> None:
    expected, analysis = run_example(rule, example)
    got = {(f.span.line, f.code) for f in analysis.findings}
    assert not analysis.crashes, analysis.crashes
    assert got == set(expected.findings), f"source:\n{expected.source}\nfindings: {analysis.findings}"
    if isinstance(example, Invalid):
        assert expected.findings, "an INVALID example needs at least one `# <- RVxxx` marker"


@pytest.mark.parametrize(("rule", "example"), _fixed_cases())
def test_example_fix(rule: type[RuleBase], example: Invalid) -> None:
    source = strip_markers(example.source).source
    result = run_fix(rule, source, example.path)
    assert result.text == example.fixed_source, f"edits gave:\n{result.text}"
    assert parses(result.text, example.path)
    again = run_fix(rule, result.text, example.path)
    assert again.text == result.text, "a second fix-all changed the code again"
    remaining = analyze(engine_for(rule), result.text, example.path).findings
    assert not [f for f in remaining if f.fix], f"fixable findings remain: {remaining}"
