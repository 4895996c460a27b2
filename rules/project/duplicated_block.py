"""RV902 duplicated-block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rules.api import Invalid, Role, RuleMeta, Scope, Severity, Valid, roles_for_path
from rules.api.project import CLONES, CloneWindow, ProjectFacts, ProjectRule
from rules.api.types import Span


@dataclass(frozen=True, slots=True)
class Options:
    min_lines: int = 6  # logical lines (statements); below 6 the index keeps no windows
    include_tests: bool = False  # tests' arrange blocks repeat by design


@dataclass(slots=True)
class _Region:
    """Where two copies of the same code sit, grown from the matching windows."""

    first: CloneWindow
    second: CloneWindow
    first_end: Span
    second_end: Span
    lines: int


# folders of test support code (factories, fixtures, test middleware) outside `tests/`
_TEST_SUPPORT = frozenset(("testutils", "test_utils", "testing", "fixtures", "factories"))


_REVISION = re.compile(r"^(?:down_revision\b|from alembic import|import alembic\b)", re.MULTILINE)


def _alembic_versions(root: str, path: str, files: frozenset[str]) -> bool:
    """An Alembic revision: `versions/*.py` beside the script folder's `env.py`, or importing alembic or
    `down_revision`. Revisions are generated and a downgrade mirrors its upgrade by design,
    like Django's `migrations/`."""
    posix = PurePosixPath(path)
    if posix.parent.name != "versions":
        return False
    if (posix.parent.parent / "env.py").as_posix() in files:
        return True
    try:  # the index keeps shapes, not text: read the header of this one candidate
        head = (Path(root) / path).read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    return _REVISION.search(head) is not None


def _skipped(root: str, path: str, include_tests: bool, files: frozenset[str]) -> bool:
    parts = PurePosixPath(path).parts
    roles = roles_for_path(path)
    if "migrations" in parts or Role.SETTINGS in roles or _alembic_versions(root, path, files):
        return True  # generated, or configuration whose per-provider blocks repeat by design
    return not include_tests and (Role.TEST in roles or any(part in _TEST_SUPPORT for part in parts[:-1]))


class DuplicatedBlock(ProjectRule):
    """
    ## What it does
    Finds the same block of code, at least six logical lines (statements) long, in two
    places of the project: identical once identifiers and literals are renamed, so a
    copy-pasted view with the model name changed still counts. Both places are reported,
    each pointing at the other.

    ## Why is this bad?
    The next bug fix lands in one copy and not the other. Reviewers see the same change
    twice, tests cover one copy, and the two drift until nobody knows which is right.

    ## Example
    ```python
    # orders/views.py                      # invoices/views.py
    def export(request):                    def export(request):
        rows = Order.objects.filter(...)        rows = Invoice.objects.filter(...)
        ...six more identical lines...          ...the same six lines...
    ```
    Use instead: one helper both call, with what differs as a parameter.

    ## Fix
    None: choosing the shared helper's name, home and parameters is design work.

    Quiet on migrations (Django `migrations/`, Alembic `versions/` beside `env.py`), settings
    modules (one block per auth provider or backend is how settings read), tests and test
    support folders (`testutils/`, `fixtures/`, `factories/`; option `include-tests`), runs of imports, assignments and
    docstrings only, classes made of those (settings, models, dataclasses: field lists repeat
    by design), and runs of several small definitions (a row of properties is a pattern). The threshold is the
    option `min-lines` (at least 6).
    """

    meta = RuleMeta(code="RV902", name="duplicated-block", family="project", severity=Severity.WARNING, scope=Scope.PROJECT)
    Options = Options
    needs = frozenset((CLONES,))

    _BODY = (
        "def export(request, status):\n"
        "    rows = Order.objects.filter(status=status)\n"
        "    total = 0\n"
        "    for row in rows:\n"
        "        total += row.amount\n"
        "        row.exported = True\n"
        "        row.save()\n"
        "    return {'total': total, 'count': len(rows)}\n"
    )
    VALID = [
        Valid(_BODY, path="orders/views.py", files={"invoices/views.py": "def export(request):\n    return None\n"}),
        Valid(_BODY, path="orders/migrations/0002_export.py", files={"invoices/migrations/0003_export.py": _BODY}),
        Valid(_BODY, path="tests/test_orders.py", files={"tests/test_invoices.py": _BODY}),
        # Alembic revisions mirror each other (a downgrade undoes its upgrade) and are generated
        Valid(
            "from alembic import op\n\n\ndef upgrade():\n"
            "    op.drop_constraint('item_owner_fkey', 'item', type_='foreignkey')\n    op.drop_column('item', 'owner_id')\n"
            "    op.alter_column('item', 'new_owner_id', new_column_name='owner_id')\n    op.drop_column('user', 'id')\n"
            "    op.alter_column('user', 'new_id', new_column_name='id')\n    op.create_primary_key('user_pkey', 'user', ['id'])\n\n\n"
            "def downgrade():\n"
            "    op.drop_constraint('item_owner_fkey', 'item', type_='foreignkey')\n    op.drop_column('item', 'owner_id')\n"
            "    op.alter_column('item', 'old_owner_id', new_column_name='owner_id')\n    op.drop_column('user', 'id')\n"
            "    op.alter_column('user', 'old_id', new_column_name='id')\n    op.create_primary_key('user_pkey', 'user', ['id'])\n",
            path="alembic/versions/0001_ids.py",
            files={"alembic/env.py": "from alembic import context\n"},
        ),
        Valid(_BODY, path="shop/testutils/middleware.py", files={"shop/testutils/factories.py": _BODY}),
        Valid(
            "DEBUG = False\nALLOWED_HOSTS = []\nTIME_ZONE = 'UTC'\nUSE_TZ = True\nLANGUAGE_CODE = 'en'\nSITE_ID = 1\n",
            path="config/settings/prod.py",
            files={"config/settings/staging.py": "DEBUG = True\nALLOWED_HOSTS = ['x']\nTIME_ZONE = 'UTC'\nUSE_TZ = True\nLANGUAGE_CODE = 'de'\nSITE_ID = 2\n"},
        ),
    ]
    INVALID = [
        Invalid(
            "def export(request, status):  # <- RV902\n"
            "    rows = Order.objects.filter(status=status)\n"
            "    total = 0\n"
            "    for row in rows:\n"
            "        total += row.amount\n"
            "        row.exported = True\n"
            "        row.save()\n"
            "    return {'total': total, 'count': len(rows)}\n",
            path="orders/views.py",
            files={
                "invoices/views.py": "import csv\n\n\ndef export_invoices(request, state):  # <- RV902\n"
                "    items = Invoice.objects.filter(state=state)\n    amount = 1\n    for item in items:\n        amount += item.amount\n"
                "        item.exported = False\n        item.save()\n    return {'sum': amount, 'n': len(items)}\n"
            },
        ),
        Invalid(
            "class Report:\n"
            "    def build(self, rows):  # <- RV902\n"
            "        out = []\n"
            "        for row in rows:\n"
            "            if row.total > 100:\n"
            "                out.append(row.id)\n"
            "            else:\n"
            "                self.skip(row)\n"
            "        return out\n"
            "\n"
            "    def rebuild(self, items):  # <- RV902\n"
            "        result = []\n"
            "        for item in items:\n"
            "            if item.total > 5:\n"
            "                result.append(item.id)\n"
            "            else:\n"
            "                self.skip(item)\n"
            "        return result\n",
            path="reports/build.py",
        ),
    ]

    def check(self, facts: ProjectFacts) -> None:
        options = self.options if isinstance(self.options, Options) else Options()
        groups: dict[str, list[CloneWindow]] = {}
        files = frozenset(facts.python_files)
        for window in facts.clones:
            if not _skipped(facts.root, window.path, options.include_tests, files):
                groups.setdefault(window.digest, []).append(window)
        # every copy pairs with the first one (k copies give k-1 pairs, not k^2)
        pairs: dict[tuple[str, str], list[tuple[CloneWindow, CloneWindow]]] = {}
        for windows in groups.values():
            if len(windows) < 2:
                continue
            windows.sort(key=lambda w: (w.path, w.span.line))
            original = windows[0]
            for copy in windows[1:]:
                if copy.path == original.path and copy.span.line <= original.span.end_line:
                    continue  # overlapping windows of one repetitive run
                pairs.setdefault((original.path, copy.path), []).append((original, copy))
        # one finding per copy, naming the other places
        places: dict[tuple[str, int, int], tuple[Span, list[CloneWindow]]] = {}
        for matches in pairs.values():
            for region in self._regions(matches):
                if region.lines < max(options.min_lines, 6):
                    continue
                for here, end, other in ((region.first, region.first_end, region.second), (region.second, region.second_end, region.first)):
                    span = Span(here.span.line, here.span.col, end.end_line, end.end_col)
                    key = (here.path, span.line, span.col)
                    known = places.setdefault(key, (span, []))
                    if (span.end_line, span.end_col) > (known[0].end_line, known[0].end_col):
                        places[key] = (span, known[1])
                    places[key][1].append(other)
        for (path, _, _), (span, others) in sorted(places.items()):
            self._report(path, span, others)

    def _regions(self, matches: list[tuple[CloneWindow, CloneWindow]]) -> list[_Region]:
        """Merge windows that overlap on both sides into one region per copied block."""
        regions: list[_Region] = []
        for first, second in sorted(matches, key=lambda m: (m[0].span.line, m[1].span.line)):
            last = regions[-1] if regions else None
            if (
                last is not None
                and first.span.line <= last.first_end.end_line + 1
                and last.second.span.line <= second.span.line <= last.second_end.end_line + 1
            ):
                if (first.span.end_line, first.span.end_col) > (last.first_end.end_line, last.first_end.end_col):
                    last.first_end = first.span
                    last.lines += 1
                if (second.span.end_line, second.span.end_col) > (last.second_end.end_line, last.second_end.end_col):
                    last.second_end = second.span
                continue
            regions.append(_Region(first, second, first.span, second.span, first.lines))
        return regions

    def _report(self, path: str, span: Span, others: list[CloneWindow]) -> None:
        unique = sorted({(o.path, o.span.line) for o in others})
        first_path, first_line = unique[0]
        where = f"{first_path}:{first_line}" if first_path != path else f"line {first_line}"
        more = f" and {len(unique) - 1} more place{'s' if len(unique) > 2 else ''}" if len(unique) > 1 else ""
        lines = span.end_line - span.line + 1
        self.report_file(path, span, f"these {lines} lines repeat {where}{more} (the same code once names and literals are renamed)")
