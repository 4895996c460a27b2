"""Do triggers change any finding? The engine with and without them, file by file.

Triggers (rules/api/triggers.py) let the engine skip libcst for blocks no rule can report in;
they must never change a finding. This reviews every Python file under the given paths twice
in one process (every rule on, preview included) and prints each finding only one side has.
Exit 1 on any difference.

    .venv/bin/python benchmarks/same_findings.py [PATH...]   (default: the demo and Django 5.2)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.corpus import python_files, sdist
from server.config import Config
from server.documents import Document
from server.engine import Engine, Diagnostic


def _key(finding: Diagnostic) -> tuple[object, ...]:
    span = finding.span
    return (span.line, span.col, span.end_line, span.end_col, finding.code, finding.message, finding.fix.title if finding.fix else None, finding.severity)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*")
    args = parser.parse_args()
    roots = [Path(p) for p in args.paths] or [Path(__file__).resolve().parent.parent / "examples", sdist("django==5.2.*") / "django"]
    config = dataclasses.replace(Config(), preview=True)
    fast, full = Engine(config), Engine(config, use_triggers=False)
    files = [p for root in roots for p in ([root] if root.is_file() else python_files(root))]
    differences = lines = 0
    spent = {"triggers": 0.0, "every block": 0.0}
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines += text.count("\n")
        results = []
        for label, engine in (("triggers", fast), ("every block", full)):
            snapshot = Document(path.resolve().as_uri(), str(path), text).snapshot()
            started = time.process_time()
            analysis = engine.analyze(snapshot)
            spent[label] += time.process_time() - started
            results.append({_key(f) for f in analysis.findings})
            engine.clear_caches()
        for sign, only in (("-", results[1] - results[0]), ("+", results[0] - results[1])):
            for item in sorted(only, key=str):
                differences += 1
                print(f"{sign} {path}:{item[0]}:{item[1]} {item[4]} {item[5]}")
    print(
        f"{len(files)} files, {lines:,} lines: {differences} difference(s); analysis CPU "
        f"{spent['triggers']:.1f} s with triggers, {spent['every block']:.1f} s without"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    raise SystemExit(main())
