"""GitHub Actions workflow commands: each finding becomes an annotation on the pull request.

`::error file=F,line=L,col=C,endLine=EL,endColumn=EC,title=T::MESSAGE`, with the escapes
GitHub documents for property values (`%`, CR, LF, `:`, `,`) and for the message (`%`, CR, LF).
"""

from __future__ import annotations

from rules.api import Severity
from server.batch import CheckResult

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFORMATION: "notice", Severity.HINT: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render(result: CheckResult) -> str:
    lines = []
    for r in result.findings:
        props = ",".join(
            (
                f"file={escape_property(r.path)}",
                f"line={r.line}",
                f"col={r.col + 1}",
                f"endLine={r.end_line}",
                f"endColumn={r.end_col + 1}",
                f"title={escape_property(f'{r.code} {r.rule}')}",
            )
        )
        lines.append(f"::{COMMANDS[r.severity]} {props}::{escape_data(r.message)}")
    for path, reason in [*result.errors, *result.unwritten]:
        lines.append(f"::error file={escape_property(path)},title=reviewls::{escape_data(reason)}")
    return "".join(line + "\n" for line in lines)
