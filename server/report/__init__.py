"""Reporters for `reviewls --check`: each turns a CheckResult into text for stdout or a file."""

from __future__ import annotations

from collections.abc import Callable

from server.batch import CheckResult

FORMATS = ("text", "json", "sarif", "github", "markdown")


def renderer(name: str) -> Callable[[CheckResult], str]:
    if name == "json":
        from server.report.json import render
    elif name == "sarif":
        from server.report.sarif import render
    elif name == "github":
        from server.report.github import render
    elif name == "markdown":
        from server.report.markdown import render
    else:
        from server.report.text import render
    return render
