"""A review report a team lead would read: what is critical, what to fix this sprint.

Deterministic (no timestamps, stable order) so a report of `examples/` can be a golden file.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from rules.api import FAMILY_TITLES, RuleBase, Safety, Severity
from rules.registry import by_code
from server.batch import CheckResult, Record

SECTIONS = (
    (Severity.ERROR, "Fix before merging", "Errors: behaviour that is wrong or unsafe today."),
    (Severity.WARNING, "Fix this sprint", "Warnings: latent failures and code that misleads its readers."),
    (Severity.INFORMATION, "When you next touch the code", "Information: hygiene that keeps the code honest."),
    (Severity.HINT, "Hints", "Hints: worth a look, never urgent."),
)
ORDER = [Severity.ERROR, Severity.WARNING, Severity.INFORMATION, Severity.HINT]


def _rule(code: str) -> type[RuleBase] | None:
    return by_code().get(code)


def _fix_label(record: Record) -> str:
    if record.fix is None:
        return "no automatic fix"
    if record.fix.safety is Safety.SAFE:
        return "safe fix with `--fix`"
    return "unsafe fix: apply in the editor and review"


def render(result: CheckResult) -> str:
    findings = result.findings
    severities = Counter(r.severity for r in findings)
    out = ["# Code review report", ""]
    counts = ", ".join(f"{severities[s]} {s.value}" for s in ORDER if severities[s])
    unsafe = f"; {result.fixable_unsafe} more have an unsafe fix to apply in the editor and review" if result.fixable_unsafe else ""
    out.append(
        f"Reviewed **{result.files}** files: **{len(findings)}** findings"
        + (f" in {result.files_with_findings} files" if findings else "")
        + (f" ({counts})" if counts else "")
        + f"; {result.fixable_safe} can be fixed automatically with `reviewls --check --fix`{unsafe}."
    )
    if result.baselined:
        out.append(f"{result.baselined} known findings are in the baseline and not listed.")
    if result.errors:
        out.append(f"{len(result.errors)} files could not be reviewed: " + ", ".join(f"`{p}` ({why})" for p, why in result.errors) + ".")
    if result.unwritten:
        out.append(f"{len(result.unwritten)} files could not be fixed: " + ", ".join(f"`{p}` ({why})" for p, why in result.unwritten) + ".")
    out.append("")
    if not findings:
        out += ["Nothing to report.", ""]
        return "\n".join(out)

    out += ["## Summary", "", "| area | " + " | ".join(s.value for s in ORDER) + " | total |", "|---|" + "---:|" * (len(ORDER) + 1)]
    by_family: dict[str, Counter[Severity]] = defaultdict(Counter)
    for r in findings:
        rule = _rule(r.code)
        by_family[rule.meta.family if rule else "other"][r.severity] += 1
    for family in sorted(by_family, key=lambda f: (-sum(by_family[f].values()), f)):
        row = by_family[family]
        cells = " | ".join(str(row[s]) for s in ORDER)
        out.append(f"| {FAMILY_TITLES.get(family, family)} | {cells} | {sum(row.values())} |")
    out.append("")

    out += ["## Files with the most findings", "", "| file | findings | errors |", "|---|---:|---:|"]
    per_file = Counter(r.path for r in findings)
    errors = Counter(r.path for r in findings if r.severity is Severity.ERROR)
    # by findings, then errors: the table's title promises the most findings first
    for path, n in sorted(per_file.items(), key=lambda item: (-item[1], -errors[item[0]], item[0]))[:10]:
        out.append(f"| `{path}` | {n} | {errors[path]} |")
    out.append("")

    for severity, title, blurb in SECTIONS:
        group = [r for r in findings if r.severity is severity]
        if not group:
            continue
        out += [f"## {title}", "", blurb, ""]
        by_rule: dict[str, list[Record]] = defaultdict(list)
        for r in group:
            by_rule[r.code].append(r)
        for code in sorted(by_rule, key=lambda c: (-len(by_rule[c]), c)):
            rule = _rule(code)
            name = rule.meta.name if rule else code
            out.append(f"### {code} `{name}` ({len(by_rule[code])})")
            out.append("")
            if rule:
                out.append(f"Why it matters: {rule.why()}")
                out.append("")
            for r in sorted(by_rule[code], key=lambda r: (r.path, r.line)):
                out.append(f"- `{r.path}:{r.line}` {r.message} · {_fix_label(r)}")
            out.append("")
    return "\n".join(out)
