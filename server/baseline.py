"""Baselines: record today's findings so CI reports only new ones.

Findings are matched by (path, code, fingerprint of the flagged code), never by line, so
inserting lines above a finding does not resurrect it. Matching counts: two identical
findings in a baseline absorb at most two today.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from server.batch import Record
from server.fsio import ReadError, read_source

VERSION = 1


class BaselineError(Exception):
    """A baseline file that cannot be read; says which file and why."""


def write_baseline(path: Path, records: Sequence[Record]) -> None:
    entries = [
        {"path": r.path, "code": r.code, "fingerprint": r.fingerprint, "line": r.line, "message": r.message}
        for r in sorted(records, key=lambda r: (r.path, r.line, r.code))
    ]
    path.write_text(json.dumps({"version": VERSION, "tool": "reviewls", "findings": entries}, indent=1) + "\n", encoding="utf-8")


def read_baseline(path: Path) -> Counter[tuple[str, str, str]]:
    try:
        # a regular file under the size limit: `baseline = "/dev/zero"` is an error, not a hang
        data = json.loads(read_source(path, coding_line=False).text)
    except ReadError as exc:
        raise BaselineError(f"{path}: cannot read: {exc.reason}") from None
    except ValueError as exc:
        raise BaselineError(f"{path}: not a reviewls baseline (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("findings"), list):
        raise BaselineError(f"{path}: not a reviewls baseline (expected version {VERSION} and a findings list)")
    try:
        return Counter((str(e["path"]), str(e["code"]), str(e["fingerprint"])) for e in data["findings"])
    except (KeyError, TypeError):
        raise BaselineError(f"{path}: a finding lacks path, code or fingerprint") from None


def filter_new(records: Sequence[Record], baseline: Counter[tuple[str, str, str]]) -> tuple[list[Record], int]:
    """Findings not in the baseline, and how many were baselined."""
    remaining = Counter(baseline)
    new: list[Record] = []
    matched = 0
    for record in records:
        key = (record.path, record.code, record.fingerprint)
        if remaining[key] > 0:
            remaining[key] -= 1
            matched += 1
        else:
            new.append(record)
    return new, matched
