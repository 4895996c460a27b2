"""RV107 unused-suppression."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rules.api import Invalid, RuleMeta, Safety, Severity, SuppressionRule, SuppressionUse, Usage, Valid
from rules.api.types import Fix, TextEdit

_CODE = re.compile(r"RV\d+", re.I)


class UnusedSuppression(SuppressionRule):
    """
    ## What it does
    Finds `# reviewls: ignore[...]` comments that name no rule (`RV999`, `print-statment`) or
    that hide nothing: a listed code with no finding on the line it covers, or a bare
    `# reviewls: ignore` with no finding there at all.

    ## Why is this bad?
    A suppression that names no rule is a typo that silences nothing, so the finding it was
    written for is still reported (or, worse, the reader believes it is handled). One that
    hides nothing outlived the code it was written for and will silently hide the next real
    finding on that line. Ruff's RUF100 keeps `# noqa` comments honest the same way.

    ## Example
    ```python
    def refund(order):
        print(order)  # reviewls: ignore[RV999]
        return order.total  # reviewls: ignore[RV101]
    ```
    Use instead: `print(order)  # reviewls: ignore[RV101]` (the code of the finding to hide)
    and no comment on the `return` line, where RV101 finds nothing.

    ## Fix
    Safe: removes the unknown or unused codes from the list, or the whole directive when
    nothing is left (with the reason written after it, `# reviewls: ignore[RV101] legacy
    script`); the line's code and its other comments (`# noqa: E501`) stay, and a comment line
    that held only the directive goes.

    A code is judged unused only when its rule ran on the whole file in this run and found
    nothing the comment covers. So these are never reported:

    - codes of rules this configuration does not run (not selected, ignored for the file,
      preview rules without `preview = true`): they cannot prove the comment useless, and a
      fix run with `--select RV107` must not strip the suppressions the full run needs. Ruff's
      RUF100 reports such codes as "non-enabled"; reviewls leaves them alone;
    - codes of project rules (RV407, RV901, RV902): their findings come from the save tier
      after the file's review, so only that tier could tell, and it does not judge comments;
    - codes of rules that crashed on the file, every code in a file with a syntax error or a
      block beyond the review limits (only unknown codes are reported there), and the
      engine's own codes (`syntax-error`, `not-reviewed`);
    - `unused-suppression` itself: list it (`# reviewls: ignore[RV999, unused-suppression]`,
      on the line or on a comment line above) to keep a comment this rule would remove, as
      `# noqa: RUF100` does for Ruff. A bare comment never hides this rule's findings: it
      would hide its own report;
    - a directive inside a string (`HELP = "# reviewls: ignore[RV101]"`).

    A bare `# reviewls: ignore` is judged against the rules this run enabled (as Ruff judges
    a blanket `# noqa`), and only when no project rule is enabled for the file, since a project
    finding it hides is not seen here. Listing codes keeps it checkable: prefer
    `# reviewls: ignore[RV101]`.
    """

    meta = RuleMeta(
        code="RV107",
        name="unused-suppression",
        family="hygiene",
        severity=Severity.WARNING,
        fix=Safety.SAFE,
    )

    VALID = [
        # RV101 is not enabled when only RV107 runs: nothing proves the comment useless
        Valid('def report(rows):\n    print(rows)  # reviewls: ignore[RV101]\n'),
        Valid('def report(rows):\n    print(rows)  # reviewls: ignore[print-statement]\n'),
        Valid('HELP = "add `# reviewls: ignore[RV999]` to a line to silence it"\n'),
        Valid("x = compute()  # reviewls: ignore[RV999, unused-suppression]\n"),
        Valid("# reviewls: ignore[duplicated-block]\ndef handler(event):\n    return event\n"),
        Valid("TABLE = [1, 2, 3]  # reviewls: ignore[not-reviewed]\n"),
    ]
    INVALID = [
        Invalid(
            """
            import os
            x = os.getcwd()  # reviewls: ignore[RV999]  # <- RV107
            """,
            fixed="""
            import os
            x = os.getcwd()
            """,
        ),
        Invalid(
            """
            def report(rows):
                print(rows)  # reviewls: ignore[print-statment, RV101]  # noqa: T201  # <- RV107
            """,
            fixed="""
            def report(rows):
                print(rows)  # reviewls: ignore[RV101]  # noqa: T201
            """,
        ),
        Invalid(
            """
            def total(order):
                return order.total  # reviewls: ignore  # <- RV107


            # reviewls: ignore  # <- RV107
            def empty():
                return 0  # reviewls: ignore[] (legacy)  # <- RV107
            """,
            fixed="""
            def total(order):
                return order.total


            def empty():
                return 0
            """,
        ),
    ]

    def check(self, comments: Sequence[SuppressionUse]) -> None:
        for comment in comments:
            if comment.bare:
                if comment.usage is Usage.UNUSED:
                    self.report_span(comment.span, "unused suppression: no finding here to ignore", fix=_remove(comment))
                continue
            unknown = [code.text for code in comment.codes if code.usage is Usage.UNKNOWN]
            unused = [code.text for code in comment.codes if code.usage is Usage.UNUSED]
            if comment.codes and not unknown and not unused:
                continue
            problems = []
            if unknown:
                kind = "code" if all(_CODE.fullmatch(text) for text in unknown) else "code or name"
                problems.append(f"unknown rule {kind}{'s' if len(unknown) > 1 else ''} {_listed(unknown, 'and')} in suppression")
            if unused:
                problems.append(f"unused suppression: no {_listed(unused, 'or')} finding here")
            if not comment.codes:
                problems.append("empty suppression list: it hides nothing")
            kept = [code.text for code in comment.codes if code.usage in (Usage.USED, Usage.UNDECIDED)]
            fix = _remove(comment) if not kept else _keep(comment, kept)
            self.report_span(comment.span, "; ".join(problems), fix=fix)


def _listed(texts: list[str], word: str) -> str:
    quoted = [f"`{text}`" for text in texts]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} {word} {quoted[-1]}"


def _keep(comment: SuppressionUse, kept: list[str]) -> Fix:
    """The comment listing only `kept`."""
    where = comment.list_span or comment.span
    edit = TextEdit(where.line, where.col, where.line, where.end_col, ", ".join(kept))
    return Fix("Remove the unknown or unused codes from the suppression", Safety.SAFE, (edit,))


def _remove(comment: SuppressionUse) -> Fix:
    """The line without the directive (and the reason written after it); a line that held only
    the directive goes whole; the code before it and a `# other comment` after it stay."""
    title = "Remove the unused suppression"
    line = comment.span.line
    body = comment.line_text.rstrip("\r\n")
    before, after = body[: comment.span.col], body[comment.span.end_col :]
    other = after.find("#")
    tail = "" if other < 0 else after[other:]
    if not before.strip():
        if not tail:
            end = TextEdit(line, 0, line + 1, 0, "") if len(body) < len(comment.line_text) else TextEdit(line, 0, line, len(body), "")
            return Fix(title, Safety.SAFE, (end,))
        return Fix(title, Safety.SAFE, (TextEdit(line, comment.span.col, line, len(body), tail),))
    code_end = len(before.rstrip())
    return Fix(title, Safety.SAFE, (TextEdit(line, code_end, line, len(body), f"  {tail}" if tail else ""),))
