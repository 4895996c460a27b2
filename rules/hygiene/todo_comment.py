"""RV102 todo-comment."""

from __future__ import annotations

import re

import libcst as cst

from rules.api import FileRule, Invalid, RuleMeta, Severity, Valid
from rules.api.triggers import Trigger

# a tag standing alone: not a placeholder inside a value (`"XXX.apps.googleusercontent.com"`, `555-XXXX`)
_UPPER = re.compile(r"(?<![\w.\-'\"/])(TODO|FIXME|XXX|HACK)(?![\w\-'\"/]|\.\w)")
# lower-case tags open the comment; "hack"/"xxx" only as a tag (`# hack: ...`), since
# `# hack around DRF's validation order` explains a workaround rather than scheduling work
_LEADING = re.compile(r"^#+\s*(?:(todo|fixme)\b|(hack|xxx)\s*[:(\-])", re.I)


class TodoComment(FileRule):
    """
    ## What it does
    Finds `# TODO`, `# FIXME`, `# XXX` and `# HACK` comments.

    ## Why is this bad?
    A TODO in the code is work nobody has scheduled: it is invisible to the team's tracker,
    outlives its author, and marks code a reviewer should not trust yet. Reviewers ask for an
    issue link or for the work to be done before merge.

    ## Example
    ```python
    def refund(order):
        # TODO: handle partial refunds
        ...
    ```
    Use instead: do the work, or file it and link it where the reason matters
    (`# Partial refunds: see #412`).

    ## Fix
    None: only a person can decide whether to do the work or file it.

    Upper-case tags count anywhere in a comment; lower-case ones only where they open it as a
    tag (`# todo ...`, `# hack: ...`), so prose such as `# hack around DRF's validation
    order` stays quiet, and so does a placeholder inside a value (`"XXX.apps.example.com"`).
    The words inside strings are never findings.
    """

    meta = RuleMeta(
        code="RV102",
        name="todo-comment",
        family="hygiene",
        severity=Severity.INFORMATION,
        trigger=Trigger(pattern=re.compile(r"(?i)todo|fixme|xxx|hack")),
    )

    VALID = [
        Valid('MESSAGE = "TODO: this is a string, not a comment"\n'),
        Valid("# Partial refunds follow the policy in docs/refunds.md\nx = 1\n"),
        Valid("def f():\n    return 'FIXME'  # returns the word, no tag here\n"),
        Valid("# the todos table holds user tasks\nTODOS_TABLE = 'todos'\n"),
        Valid('# OAUTH_PROVIDERS = [{"id": "XXX.apps.googleusercontent.com", "phone": "555-XXXX"}]\nOAUTH_PROVIDERS = []\n'),
        Valid("def validate_position(self, value):\n    self.instance = value  # hack around DRF's validation order\n    return value\n"),
    ]
    INVALID = [
        Invalid(
            """
            def refund(order):
                # TODO: handle partial refunds  # <- RV102
                return order.total
            """
        ),
        Invalid(
            """
            class Cart:
                def total(self):
                    return 0  # FIXME wrong for discounts  # <- RV102

            # hack: remove after the migration  # <- RV102
            x = 1
            """
        ),
        Invalid("import os  # XXX pin this  # <- RV102\n"),
    ]

    def visit_Comment(self, node: cst.Comment) -> None:
        text = node.value
        found = _UPPER.search(text) or _LEADING.search(text)
        if found is None:
            return
        tag = next((group for group in found.groups() if group), "").upper()
        self.report(node, f"`{tag}` comment: unscheduled work hides in the code; do it or track it in an issue")
