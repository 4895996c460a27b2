"""Human-readable output: one line per finding, then a summary."""

from __future__ import annotations

from collections import Counter

from rules.api import Safety
from server.batch import CheckResult


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render(result: CheckResult) -> str:
    lines: list[str] = []
    for path, codes in sorted(result.fixed.items()):
        counts = ", ".join(f"{code} x{n}" for code, n in sorted(Counter(codes).items()))
        lines.append(f"fixed {path}: {counts}")
    if result.fixed:
        lines.append("")
    for r in result.findings:
        marker = " [*]" if r.fix_safety is Safety.SAFE else ""
        lines.append(f"{r.path}:{r.line}:{r.col + 1}: {r.code}{marker} [{r.severity.value}] {r.message}")
    count = len(result.findings)
    fixable = sum(1 for r in result.findings if r.fix_safety is Safety.SAFE)
    files = _plural(result.files, "file")
    if count:
        by_code = Counter(r.code for r in result.findings)
        summary = ", ".join(f"{code} x{n}" for code, n in sorted(by_code.items()))
        lines.append("")
        lines.append(f"Found {_plural(count, 'finding')} in {files} ({summary}).")
        if fixable:
            lines.append(f"[*] {fixable} fixable with `reviewls --check --fix`.")
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
