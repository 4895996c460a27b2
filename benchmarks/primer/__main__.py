"""The ecosystem check: reviewls on ten real back ends, compared with the committed snapshots.

    python -m benchmarks.primer                 # CI: run every app, print what changed, exit 1 if anything did
    python -m benchmarks.primer --update        # write the snapshots (and rules/precision.json) anew
    python -m benchmarks.primer --sample RV203  # refresh the rule's label file to its current sample
    python -m benchmarks.primer --precision     # regenerate rules/precision.json from labels and snapshots
    python -m benchmarks.primer --app pretix    # any of the above on some apps only

Reading a diff: each app lists the rules whose findings changed as `+added -removed`, then the
findings themselves (`+` new, `-` gone) as `path:line CODE message`. Judge each as the app's
maintainers would: an added finding should be one they want; a removed one should have been wrong.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from collections.abc import Sequence

from benchmarks.primer.apps import App, fetch, load_apps
from benchmarks.primer.labels import PRECISION_FILE, SourceLine, precision_table, refresh, render_precision, tally
from benchmarks.primer.snapshot import Finding, Snapshot, load, load_all, run, snapshot_path
from rules.registry import all_rules

log = logging.getLogger("benchmarks.primer")


def _take(findings: Sequence[Finding], wanted: Counter[tuple[str, str, str]]) -> list[Finding]:
    """The findings whose identity is in `wanted`, as many times as it counts them."""
    left = Counter(wanted)
    taken: list[Finding] = []
    for finding in findings:
        if left[finding.key] > 0:
            left[finding.key] -= 1
            taken.append(finding)
    return taken


def diff(old: Snapshot | None, new: Snapshot) -> tuple[list[Finding], list[Finding]]:
    """(added, removed), matching findings by identity with multiplicity, not by line."""
    previous = old.findings if old else ()
    before = Counter(f.key for f in previous)
    after = Counter(f.key for f in new.findings)
    return _take(new.findings, after - before), _take(previous, before - after)


def render_diff(app: str, added: Sequence[Finding], removed: Sequence[Finding], limit: int) -> list[str]:
    lines = [f"{app}: +{len(added)} -{len(removed)}"]
    codes = sorted({f.code for f in (*added, *removed)})
    for code in codes:
        plus = [f for f in added if f.code == code]
        minus = [f for f in removed if f.code == code]
        lines.append(f"  {code}: +{len(plus)} -{len(minus)}")
        shown = sorted([("+", f) for f in plus] + [("-", f) for f in minus], key=lambda item: (item[1].path, item[1].line))
        for sign, finding in shown[:limit]:
            lines.append(f"    {sign} {finding.path}:{finding.line} {finding.code} {finding.message}")
        if len(shown) > limit:
            lines.append(f"    ... {len(shown) - limit} more (--limit 0 shows all)")
    return lines


def _write_precision(apps: list[App]) -> None:
    table = precision_table([r.meta.code for r in all_rules()], load_all(apps))
    PRECISION_FILE.write_text(render_precision(table), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.primer", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--diff", action="store_true", help="run and compare with the snapshots (the default)")
    mode.add_argument("--update", action="store_true", help="run and write the snapshots")
    mode.add_argument("--sample", nargs="+", metavar="CODE", help="run these rules and refresh their label files")
    mode.add_argument("--precision", action="store_true", help="regenerate rules/precision.json (offline)")
    mode.add_argument("--fetch", action="store_true", help="only download and unpack the apps")
    parser.add_argument("--app", action="append", help="only this app (repeatable)")
    parser.add_argument("--limit", type=int, default=40, help="findings shown per rule and app in a diff (0: all)")
    parser.add_argument("--jobs", type=int, help="reviewls --jobs")
    parser.add_argument("--from-snapshots", action="store_true", help="with --sample: draw from the committed snapshots instead of running")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    apps = load_apps()
    if args.app:
        unknown = set(args.app) - {a.name for a in apps}
        if unknown:
            parser.error(f"unknown app(s): {', '.join(sorted(unknown))}")
        apps = [a for a in apps if a.name in args.app]

    if args.precision:
        _write_precision(load_apps())
        log.info("wrote %s", PRECISION_FILE)
        return 0
    if args.fetch:
        for app in apps:
            fetch(app)
        return 0
    if args.sample:
        codes = [c.upper() for c in args.sample]
        known = {r.meta.code for r in all_rules()}
        if set(codes) - known:
            parser.error(f"unknown rule code(s): {', '.join(sorted(set(codes) - known))}")
        # the sample is drawn from every app, whatever --app says
        if args.from_snapshots:
            snapshots = load_all(load_apps())
        else:
            snapshots = [run(app, jobs=args.jobs, select=codes) for app in load_apps()]
        reader = SourceLine({app.name: app.folder for app in load_apps()})
        for code in codes:
            file = refresh(code, snapshots, reader)
            todo = [label for label in file.labels if not label.verdict]
            count = tally(code, snapshots)
            log.info("%s: %d findings on the primer, %d sampled, %d to label -> %s", code, count.findings, len(file.labels), len(todo), file.path)
        return 0

    changed = 0
    limit = args.limit or 10**9
    for app in apps:
        log.info("reviewing %s (%s)", app.name, app.wheel)
        new = run(app, jobs=args.jobs)
        if args.update:
            snapshot_path(app).parent.mkdir(parents=True, exist_ok=True)
            snapshot_path(app).write_text(new.to_json(), encoding="utf-8")
            counts = ", ".join(f"{code} {n}" for code, n in sorted(new.counts.items()))
            sys.stdout.write(f"{app.name}: {len(new.findings)} findings in {new.files} files, {new.lines} lines ({counts})\n")
            continue
        old = load(app)
        added, removed = diff(old, new)
        if old is None:
            sys.stdout.write(f"{app.name}: no snapshot yet (python -m benchmarks.primer --update)\n")
            changed += 1
        elif added or removed:
            changed += 1
            sys.stdout.write("\n".join(render_diff(app.name, added, removed, limit)) + "\n")
        else:
            sys.stdout.write(f"{app.name}: unchanged ({len(new.findings)} findings)\n")
    if args.update:
        if not args.app:
            _write_precision(apps)
        return 0
    if changed:
        sys.stdout.write(
            f"\n{changed} app(s) differ from the snapshot: read the findings above as each app's maintainers would, "
            "then record them with `python -m benchmarks.primer --update` and re-label the changed rules' samples.\n"
        )
        return 1
    sys.stdout.write(f"ecosystem check: all {len(apps)} apps match their snapshots\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
