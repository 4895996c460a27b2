"""Human-readable output: one line per finding, then a summary."""

from __future__ import annotations

from collections import Counter

from server.report import CheckResult


def render(result: CheckResult) -> str:
    lines: list[str] = []
    for item in result.findings:
        f = item.finding
        marker = " [*]" if f.fix_safety is not None and f.fix_safety.value == "safe" else ""
        lines.append(f"{item.path}:{f.span.line}:{f.span.col + 1}: {f.code}{marker} [{f.severity.value}] {f.message}")
    count = len(result.findings)
    fixable = sum(1 for item in result.findings if item.finding.fix_safety is not None and item.finding.fix_safety.value == "safe")
    if count:
        by_code = Counter(item.finding.code for item in result.findings)
        summary = ", ".join(f"{code} x{n}" for code, n in sorted(by_code.items()))
        lines.append("")
        lines.append(f"Found {count} finding{'s' if count != 1 else ''} in {result.files} file{'s' if result.files != 1 else ''} ({summary}).")
        if fixable:
            lines.append(f"[*] {fixable} fixable with `reviewls --check --fix`.")
    else:
        lines.append(f"All checks passed ({result.files} file{'s' if result.files != 1 else ''}).")
    if result.fixed:
        lines.append(f"Fixed {result.fixed} finding{'s' if result.fixed != 1 else ''}.")
    return "\n".join(lines) + "\n"
