"""RV902 duplicated-block."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from rules.api import Invalid, Role, RuleMeta, Severity, Valid, roles_for_path
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
    """An Alembic revision: `versions/*.py` (or `versions/<dialect>/*.py`) beside the script folder's `env.py`, or importing alembic or
    `down_revision`. Revisions are generated and a downgrade mirrors its upgrade by design,
    like Django's `migrations/`."""
    posix = PurePosixPath(path)
    # `versions/` itself or one level of it per dialect (`versions/postgresql/`, `versions/sqlite/`)
    versions = next((folder for folder in (posix.parent, posix.parent.parent) if folder.name == "versions"), None)
    if versions is None:
        return False
    if (versions.parent / "env.py").as_posix() in files:
        return True
    try:  # the index keeps shapes, not text: read the header of this one candidate
        head = (Path(root) / path).read_text(encoding="utf-8", errors="replace")[:4000]
    except OSError:
        return False
    return _REVISION.search(head) is not None


# configuration modules under another name than settings: `config.py` (Flask, Superset, Open WebUI), `conf.py`
_CONFIG_MODULES = frozenset(("config.py", "conf.py", "configs.py"))


def _skipped(root: str, path: str, include_tests: bool, files: frozenset[str]) -> bool:
    parts = PurePosixPath(path).parts
    roles = roles_for_path(path)
    configuration = Role.SETTINGS in roles or parts[-1] in _CONFIG_MODULES
    if "migrations" in parts or configuration or _alembic_versions(root, path, files):
        return True  # generated, or configuration whose per-provider blocks repeat by design
    return not include_tests and (Role.TEST in roles or any(part in _TEST_SUPPORT for part in parts[:-1]))


# the index marks the digest of a window that is one whole def/class (server.project.DEFINITION_MARK)
_DEFINITION = "+def"
# a fragment the project writes this often, in this many modules, is one of its idioms
_IDIOM_COPIES = 5
_IDIOM_FILES = 3


def _idiom(windows: list[CloneWindow]) -> bool:
    """A few statements inside otherwise different functions that the project writes in many modules
    (the `offset`/`limit`/`execute` tail of every list query, the count-then-page head): its
    convention, written out on purpose, not a block copied from one place. A whole definition
    copied that often is still a copy (one engine spec's method pasted into five)."""
    return (
        len(windows) >= _IDIOM_COPIES
        and len({w.path for w in windows}) >= _IDIOM_FILES
        and not any(w.digest.endswith(_DEFINITION) for w in windows)
    )


# the tail of a project's list queries (example of an idiom): each function builds its own query
_LIST_HEADS = (
    "    stmt = select(Chat).where(Chat.user_id == user_id)\n",
    "    stmt = select(Note)\n    for word in filter.get('words', []):\n        stmt = stmt.where(Note.title.contains(word))\n",
    "    if not user_id:\n        return []\n    stmt = select(User).order_by(User.created_at.desc())\n",
    "    stmt = select(Prompt).join(Tag)\n    stmt = stmt.where(Tag.name.in_(filter['tags']))\n    log.debug('prompts %s', user_id)\n",
    "    groups = await Groups.of(user_id)\n    stmt = select(Skill).where(Skill.group_id.in_([g.id for g in groups]))\n",
)
_LIST_TAIL = (
    "    if skip is not None:\n        stmt = stmt.offset(skip)\n    if limit is not None:\n        stmt = stmt.limit(limit)\n"
    "    result = await db.execute(stmt)\n    rows = result.scalars().all()\n    return [Model.model_validate(row) for row in rows]\n"
)


def _list_query(index: int) -> str:
    return f"async def search(db, user_id, filter, skip=None, limit=None):\n{_LIST_HEADS[index]}{_LIST_TAIL}"


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

    Quiet on migrations (Django `migrations/`, Alembic `versions/` or `versions/<dialect>/`
    beside `env.py`), settings and configuration modules (`settings.py`, `config.py`: one block
    per auth provider or backend is how settings read), tests and test support folders (`testutils/`, `fixtures/`, `factories/`; option
    `include-tests`), runs of imports, assignments, docstrings and calls that only hand data
    over (`threads.append(email)`, `tags.extend(["a", "b"])`: sample data), classes made of those
    (settings, models, dataclasses: field lists repeat by design), runs of several small
    definitions (a row of properties is a pattern), tables written as statements (a run that
    repeats one short pattern once names, literals and attributes are erased: rows of
    `registry.register(...)`, chains of `if x is not None: kwargs["x"] = x`), and the project's
    idioms: a few statements inside otherwise different functions that it writes in five places
    or more across three modules or more (the `offset`/`limit`/`execute` tail of every list
    query). A whole function copied that often is still reported. The threshold is the option
    `min-lines` (at least 6).
    """

    meta = RuleMeta(code="RV902", name="duplicated-block", family="project", severity=Severity.WARNING)
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
        # tables written as statements: rows of `registry.register(...)`, chains of `if x: kwargs["x"] = x`
        Valid(
            "def register_defaults(registry):\n"
            + "".join(f"    registry.register('{s}', {c}Repository)\n" for s, c in (("s3", "S3"), ("gs", "GCS"), ("hdfs", "HDFS"), ("ftp", "FTP"), ("file", "Local"), ("dbfs", "Dbfs"), ("r2", "R2")))
            + "\n\ndef build(auth=None, tools=None, tags=None, lifespan=None):\n    kwargs = {}\n"
            + "".join(f"    if {n} is not None:\n        kwargs['{n}'] = {n}\n" for n in ("auth", "tools", "tags", "lifespan"))
            + "    return kwargs\n",
            path="store/registry.py",
            files={"store/other.py": "def register_more(registry):\n" + "".join(f"    registry.register('{s}', {s.upper()}Repo)\n" for s in ("a", "b", "c", "d", "e", "f", "g"))},
        ),
        # the offset/limit/execute tail every list query of the project ends with: its idiom, not a copy
        Valid(
            _list_query(0),
            path="models/chats.py",
            files={f"models/{name}s.py": _list_query(index) for index, name in enumerate(("note", "user", "prompt", "skill"), start=1)},
        ),
        # sample data written as statements (a mock-up page's fake threads): data, not logic
        Valid(
            "def sample_threads():\n    threads = []\n"
            + "".join(
                f"    email = Email()\n    email.email_id = {n}\n    email.title = '{t}'\n    email.age = '{n} days'\n"
                f"    email.tags.extend(['{t.lower()}', 'fedora'])\n    email.author = '{a}'\n    threads.append(email)\n"
                for n, t, a in ((1, "Rawhide", "Stephen"), (2, "Kicad", "Toshio"), (3, "Board", "Kevin"))
            )
            + "    return threads\n",
            path="lib/mockup.py",
        ),
        # a configuration module: one env-parsing block per provider is how settings read
        Valid(
            "".join(
                f"{n}_URL = os.getenv('{n}_URL', '')\n{n.lower()}_params = os.getenv('{n}_PARAMS', '')\ntry:\n"
                f"    {n.lower()}_params = json.loads({n.lower()}_params)\nexcept ValueError:\n    {n.lower()}_params = {{}}\n"
                f"{n}_PARAMS = {n.lower()}_params\nif not {n}_URL:\n    log.info('{n} disabled: %s', {n.lower()}_params.get('reason'))\n\n"
                for n in ("MINERU", "DOCLING", "TIKA")
            ),
            path="app/config.py",
        ),
        # Alembic revisions per dialect (`versions/postgresql/`, `versions/sqlite/`)
        Valid(_BODY, path="db/migrations/versions/postgresql/0002_export.py", files={"db/migrations/env.py": "", "db/migrations/versions/sqlite/0002_export.py": _BODY}),
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
        skipped: dict[str, bool] = {}  # per file, not per window: a module has hundreds of windows
        for window in facts.clones:
            path = window.path
            if path not in skipped:
                skipped[path] = _skipped(facts.root, path, options.include_tests, files)
            if not skipped[path]:
                groups.setdefault(window.digest.removesuffix(_DEFINITION), []).append(window)
        for idiom in [digest for digest, windows in groups.items() if _idiom(windows)]:
            del groups[idiom]
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
