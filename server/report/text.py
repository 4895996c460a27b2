"""Human-readable output: one line per finding, then a summary."""

from __future__ import annotations

from collections import Counter

from rules.api import Safety
from server.batch import CheckResult


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _files(result: CheckResult) -> str:
    """`3 of 16 files`: files with findings of the files reviewed (a project finding may be in a file not reviewed)."""
    with_findings = result.files_with_findings
    if with_findings <= result.files:
        return f"{with_findings} of {_plural(result.files, 'file')}"
    return f"{_plural(with_findings, 'file')} ({result.files} reviewed)"


def render(result: CheckResult) -> str:
    lines: list[str] = []
    for path, codes in sorted(result.fixed.items()):
        counts = ", ".join(f"{code} x{n}" for code, n in sorted(Counter(codes).items()))
        lines.append(f"fixed {path}: {counts}")
    if result.fixed:
        lines.append("")
    for r in result.findings:
        # `path:line:col: CODE` first, as editors' and CI's problem matchers read it; then the rule's name
        marker = " [*]" if r.fix_safety is Safety.SAFE else ""
        name = f" {r.rule}:" if r.rule and r.rule != r.code else ""
        lines.append(f"{r.path}:{r.line}:{r.col + 1}: {r.code}{marker} [{r.severity.value}]{name} {r.message}")
    count = len(result.findings)
    files = _plural(result.files, "file")
    if count:
        by_code = Counter(r.code for r in result.findings)
        summary = ", ".join(f"{code} x{n}" for code, n in sorted(by_code.items()))
        lines.append("")
        lines.append(f"Found {_plural(count, 'finding')} in {_files(result)} ({summary}).")
        if result.fixable_safe:
            lines.append(f"[*] {result.fixable_safe} fixable with `reviewls --check --fix`.")
        if result.fixable_unsafe:
            # there is no --unsafe-fixes: these are applied one by one in the editor
            more = " more" if result.fixable_safe else ""
            have = "has" if result.fixable_unsafe == 1 and not more else "have"
            lines.append(f"{result.fixable_unsafe}{more} {have} an unsafe fix, offered as a quick fix in the editor (review it before keeping it).")
        example = next((code for code in sorted(by_code) if code.startswith("RV")), None)
        if example:
            lines.append(f"What a rule finds, why it matters and how to fix it: `reviewls rule CODE` (e.g. `reviewls rule {example}`).")
    elif result.errors:
        # not "All checks passed": some files were not reviewed at all (why: on stderr)
        lines.append(f"No findings in {files}; {_plural(len(result.errors), 'file')} could not be reviewed.")
    else:
        lines.append(f"All checks passed ({files}).")
    if result.baselined:
        lines.append(f"{_plural(result.baselined, 'finding')} in the baseline not shown.")
    if result.fixed:
        lines.append(f"Fixed {_plural(result.fixed_count, 'finding')}.")
    if result.unwritten:
        # the findings above are still there: say so, and why on stderr
        lines.append(f"{_plural(len(result.unwritten), 'file')} not fixed: could not be written (reasons on stderr).")
    return "\n".join(lines) + "\n"
