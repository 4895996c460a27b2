"""`reviewls`: the language server by default, `--check` for batch review.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it (or a file that
could not be read, or a fix that could not be written); 2 usage, configuration or internal error (a rule
crash, a file whose review crashed or killed its process). Blocks beyond the engine's limits
(`not-reviewed`) are information findings, listed on stderr too: never 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from rules.api import Severity
from rules.registry import all_rules
from server import __version__
from server.baseline import BaselineError, filter_new, read_baseline, write_baseline
from server.batch import Progress, run_check
from server.config import Config, ConfigError, find_config_file, load_config
from server.docs import UnknownRule, find_rule, option_defaults, rule_info, rule_page, rules_listing
from server.gitdiff import DiffError, changed_lines, on_changed_lines
from server.report import FORMATS, renderer

logger = logging.getLogger(__name__)

def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reviewls",
        description="Code review for Python web back ends: a language server (default) and a CI checker (--check).",
    )
    parser.add_argument("--version", action="version", version=f"reviewls {__version__}")
    mode = parser.add_argument_group("server")
    mode.add_argument("--stdio", action="store_true", help="serve LSP over stdin/stdout (the default)")
    mode.add_argument("--tcp", metavar="HOST:PORT", help="serve LSP over TCP")
    check = parser.add_argument_group("check")
    check.add_argument("--check", action="store_true", help="review files and directories, print findings, exit")
    check.add_argument("paths", nargs="*", metavar="PATH", help="files or directories (default: .)")
    check.add_argument("--format", choices=FORMATS, default="text", help="output format (default: text)")
    check.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    check.add_argument("--select", metavar="CODES", help="comma-separated codes, prefixes or names to enable")
    check.add_argument("--ignore", metavar="CODES", help="comma-separated codes, prefixes or names to disable")
    check.add_argument(
        "--fail-on",
        choices=[s.value for s in Severity],
        default=Severity.WARNING.value,
        help="lowest severity that makes the exit code 1 (default: warning)",
    )
    check.add_argument("--preview", action="store_true", help="also run preview rules (measured precision below 90%%)")
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place (only when the result parses)")
    check.add_argument("--diff", metavar="REV", help="report only findings on lines changed since git revision REV")
    check.add_argument("--baseline", metavar="FILE", help="report only findings that are not in FILE")
    check.add_argument("--write-baseline", metavar="FILE", help="record the current findings in FILE and exit 0")
    check.add_argument("--jobs", "-j", type=int, metavar="N", help="review in N processes (default: all cores)")
    check.add_argument("--no-cache", action="store_true", help=f"neither read nor write the result cache ({'.reviewls_cache'})")
    check.add_argument("--config", metavar="FILE", help="pyproject.toml or reviewls.toml to use")
    check.add_argument(
        "--respect-gitignore",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="skip what .gitignore files and .git/info/exclude ignore (default: on; also `respect-gitignore` in the config)",
    )
    check.add_argument("--show-settings", action="store_true", help="print the configuration and each rule's state, exit")
    docs = parser.add_argument_group("rules", "`reviewls rule CODE|NAME` prints a rule's documentation, `reviewls rules` lists them")
    docs.add_argument("--explain", metavar="CODE", help="print the documentation of a rule (code or name), exit")
    # any case: the VS Code setting's example is `["--log-level", "debug"]`
    parser.add_argument("--log-level", default="WARNING", type=str.upper, choices=["DEBUG", "INFO", "WARNING", "ERROR"], help=argparse.SUPPRESS)
    return parser


def _rule_parser(command: str) -> argparse.ArgumentParser:
    """`reviewls rule CODE|NAME` and `reviewls rules`, as `ruff rule` and `ruff rule --all`."""
    if command == "rule":
        parser = argparse.ArgumentParser(prog="reviewls rule", description="Print a rule's documentation (its docs/rules page).")
        parser.add_argument("rule", nargs="?", metavar="CODE|NAME", help="a rule code (RV604) or name (count-after-cursor-filter)")
        parser.add_argument("--all", action="store_true", help="print every rule's page")
    else:
        parser = argparse.ArgumentParser(prog="reviewls rules", description="List every rule: code, name, family, severity, fix, status.")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output format (default: text)")
    return parser


def rule_main(command: str, argv: Sequence[str]) -> int:
    """`reviewls rule` / `reviewls rules`: the docs from the registry, no configuration read."""
    parser = _rule_parser(command)
    args = parser.parse_args(argv)
    if command == "rules" or args.all:
        chosen = list(all_rules())
    elif args.rule is None:
        parser.print_usage(sys.stderr)
        return _error("give a rule code or name, or --all")
    else:
        try:
            chosen = [find_rule(args.rule)]
        except UnknownRule as exc:
            return _error(str(exc))
    if args.format == "json":
        items = [rule_info(rule) | ({"explanation": rule_page(rule.meta.code)} if command == "rule" else {}) for rule in chosen]
        document: object = items[0] if command == "rule" and not args.all else items
        sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    elif command == "rules":
        sys.stdout.write(rules_listing())
    else:
        sys.stdout.write("\n".join(rule_page(rule.meta.code) for rule in chosen))
    return 0


def _error(message: str) -> int:
    sys.stderr.write(f"reviewls: error: {message}\n")
    return 2


def _codes(value: str) -> list[str]:
    """`--select RV1,RV301`: the flag takes a comma-separated string, the config file a list."""
    return [part.strip() for part in value.split(",") if part.strip()]


def _load(args: argparse.Namespace) -> Config:
    if args.config:
        path = Path(args.config)
        if not path.exists() and not path.is_symlink():
            raise ConfigError("--config", str(path), "no such file")
        config = load_config(path)
    else:
        start = Path(args.paths[0]) if args.paths else Path.cwd()
        config = load_config(find_config_file(start if start.exists() else Path.cwd()))
    overrides: dict[str, object] = {}
    if args.select is not None:
        overrides["select"] = _codes(args.select)
    if args.ignore is not None:
        overrides["ignore"] = _codes(args.ignore)
    if args.preview:
        overrides["preview"] = True
    if args.respect_gitignore is not None:
        overrides["respect-gitignore"] = args.respect_gitignore
    return config.merged(overrides, "command line") if overrides else config


def _toml(value: object) -> str:
    """An option value as it is written in the config file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(_toml(item) for item in value) + "]"
    return json.dumps(value) if isinstance(value, str) else str(value)


def _show_settings(config: Config, paths: Sequence[str]) -> str:
    """What applies to the first PATH: the file, the walk, per-file ignores, each rule's state and options."""
    target = paths[0] if paths else "."
    lines = [
        f"config: {config.source}",
        f"path: {target}",
        f"respect-gitignore: {_toml(config.respect_gitignore)}",
        f"exclude: {_toml(config.exclude)} (and the defaults: .git, .venv, node_modules, build, dist, ...)",
        "per-file-ignores:" + ("" if config.per_file_ignores else " none"),
    ]
    for pattern, codes in config.per_file_ignores:
        lines.append(f"  {json.dumps(pattern)} = {_toml(codes)}")
    lines.append("rules:")
    states = config.rule_states(target)
    for rule in all_rules():
        severity = config.severity_for(rule).value
        lines.append(f"  {rule.meta.code} {rule.meta.name:<32} {severity:<12} {states[rule.meta.code]}")
        if states[rule.meta.code] in ("not selected", "ignored"):
            continue
        options = config.options_for(rule)
        for name, default in option_defaults(rule).items():
            value = getattr(options, name.replace("-", "_"))
            origin = "default" if value == default else f"default {_toml(default)}"
            lines.append(f"      {name} = {_toml(value)}  # {origin}")
    return "\n".join(lines) + "\n"


def check_main(args: argparse.Namespace) -> int:
    try:
        config = _load(args)
    except ConfigError as exc:
        return _error(f"invalid configuration: {exc}")
    paths = args.paths or ["."]
    if config.report_syntax_errors is None:
        # a file that does not parse is a finding in CI (only partly reviewed), never "All checks passed"
        config = dataclasses.replace(config, report_syntax_errors=True)
    if args.show_settings:
        sys.stdout.write(_show_settings(config, paths))
        return 0
    missing = [p for p in paths if not os.path.lexists(p)]  # a symlink loop is listed as not reviewed, later
    if missing:
        return _error(f"no such file or directory: {missing[0]}")
    if args.jobs is not None and args.jobs < 1:
        return _error("--jobs must be at least 1")
    changes = None
    if args.diff:
        try:
            changes = changed_lines(args.diff, Path.cwd())
        except DiffError as exc:
            return _error(str(exc))
    baseline_path = args.baseline or (str(Path(config.root) / config.baseline) if config.baseline else None)
    baseline = None
    if baseline_path and not args.write_baseline:
        try:
            baseline = read_baseline(Path(baseline_path))
        except BaselineError as exc:
            return _error(str(exc))
    machine = args.format != "text" or bool(args.output)
    progress = Progress(enabled=not machine)
    cache_root = None if args.no_cache else Path(config.root if config.source != "defaults" else ".")
    try:
        result = run_check(paths, config, fix=args.fix, jobs=args.jobs, cache_root=cache_root, progress=progress)
    finally:
        progress.close()
    skipped = result.skipped  # every one, whatever --diff or the baseline then hide
    if changes is not None:
        result.findings = [r for r in result.findings if on_changed_lines(r.path, r.line, r.end_line, changes)]
    if args.write_baseline:
        write_baseline(Path(args.write_baseline), result.findings)
        sys.stderr.write(f"reviewls: wrote {len(result.findings)} findings to {args.write_baseline}\n")
        return 0
    if baseline is not None:
        result.findings, result.baselined = filter_new(result.findings, baseline)
    report = renderer(args.format)(result)
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc.strerror}")
    else:
        sys.stdout.write(report)
    for path, reason in [*result.errors, *result.unwritten]:
        sys.stderr.write(f"reviewls: {path}: {reason}\n")
    for path, reason in result.unindexed:
        sys.stderr.write(f"reviewls: {path}: not indexed for project rules: {reason}\n")
    for record in skipped:
        # information findings: they never make the exit code 2, and 1 only under --fail-on information
        why = record.message if record.message.startswith("not reviewed") else f"not reviewed: {record.message}"
        sys.stderr.write(f"reviewls: {record.path}:{record.line}: {why}\n")
    for code, path, line in result.crashes:
        sys.stderr.write(f"reviewls: internal error: rule {code} crashed on {path}:{line}; other rules' findings are shown\n")
    crashed = len(result.crashed_files) + len(result.unindexed_crashes)
    if crashed:
        files = "1 file" if crashed == 1 else f"{crashed} files"
        sys.stderr.write(f"reviewls: internal error: the review of {files} crashed (listed above); the other files' findings are shown\n")
    if result.crashed:
        return 2
    threshold = Severity(args.fail_on).rank
    failing = any(r.severity.rank >= threshold for r in result.findings)
    return 1 if failing or result.errors or result.unwritten else 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("rule", "rules") and "--check" not in argv:
        # a subcommand, as `ruff rule`; `reviewls --check rules` still reviews a folder named rules
        return rule_main(argv[0], argv[1:])
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.explain is not None:
        return rule_main("rule", [args.explain, "--format", "json" if args.format == "json" else "text"])
    if args.check or args.show_settings:
        # the code under review is compiled by `ast` (the engine, the rules, in every worker, which
        # inherit this filter): CPython's SyntaxWarnings about it (`1if`, "\d") are not ours to print
        warnings.filterwarnings("ignore", category=SyntaxWarning)
        try:
            return check_main(args)
        except KeyboardInterrupt:
            return 130
        except Exception:  # isolation point: an internal error is exit 2, never the findings code 1
            logging.getLogger(__name__).exception("internal error")
            sys.stderr.write("reviewls: internal error (traceback above); please report it\n")
            return 2
    if args.paths:
        return _error("paths are only accepted with --check")
    from server.lsp.server import serve

    return serve(tcp=args.tcp)

