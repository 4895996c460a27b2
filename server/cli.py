"""`reviewls`: the language server by default, `--check` for batch review.

Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it (or a file that
could not be read); 2 usage, configuration or internal error (a rule crash included).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from rules.api import Severity
from rules.registry import all_rules
from server import __version__
from server.config import Config, ConfigError, find_config_file, load_config
from server.documents import Document
from server.engine import Engine
from server.fixes import fix_all
from server.report import CheckResult, FileFinding

logger = logging.getLogger(__name__)

FORMATS = ("text", "json")


class ReadError(Exception):
    """A file that cannot be reviewed (missing, unreadable, not UTF-8)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


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
    check.add_argument("--fix", action="store_true", help="apply safe fixes in place (only when the result parses)")
    check.add_argument("--config", metavar="FILE", help="pyproject.toml or reviewls.toml to use")
    check.add_argument("--show-settings", action="store_true", help="print the configuration and each rule's state, exit")
    parser.add_argument("--log-level", default="WARNING", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help=argparse.SUPPRESS)
    return parser


def _error(message: str) -> int:
    sys.stderr.write(f"reviewls: error: {message}\n")
    return 2


def _load(args: argparse.Namespace) -> Config:
    if args.config:
        path = Path(args.config)
        if not path.is_file():
            raise ConfigError("--config", str(path), "no such file")
        config = load_config(path)
    else:
        start = Path(args.paths[0]) if args.paths else Path.cwd()
        config = load_config(find_config_file(start if start.exists() else Path.cwd()))
    overrides: dict[str, object] = {}
    if args.select is not None:
        overrides["select"] = args.select
    if args.ignore is not None:
        overrides["ignore"] = args.ignore
    return config.merged(overrides, "command line") if overrides else config


def iter_files(paths: Sequence[str], config: Config) -> Iterator[Path]:
    """Python files under `paths`, skipping excluded folders; explicit files are always kept."""
    for raw in paths:
        path = Path(raw)
        if path.is_file():
            yield path
            continue
        for root, dirs, files in os.walk(path):
            here = Path(root)
            dirs[:] = sorted(d for d in dirs if not config.is_excluded(here / d))
            for name in sorted(files):
                if name.endswith((".py", ".pyi")) and not config.is_excluded(here / name):
                    yield here / name


def read_source(path: Path) -> tuple[str, bool]:
    """The file's text and whether it had a UTF-8 BOM; ReadError with the reason otherwise."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReadError(str(path), f"cannot read: {exc.strerror or exc}") from None
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        return data.decode("utf-8-sig"), bom
    except UnicodeDecodeError as exc:
        raise ReadError(str(path), f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); file skipped") from None


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def write_atomic(path: Path, text: str, bom: bool) -> None:
    """Replace the file in one step: a crash never leaves half a file."""
    data = ("\ufeff" if bom else "") + text
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
            stream.write(data)
        os.chmod(temp, path.stat().st_mode & 0o7777)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def run_check(paths: Sequence[str], config: Config, *, fix: bool = False, want_fixes: bool = False) -> CheckResult:
    """Review files on disk with the same engine the server uses."""
    engine = Engine(config)
    result = CheckResult()
    for path in iter_files(paths, config):
        display = _display(path)
        try:
            text, bom = read_source(path)
        except ReadError as exc:
            result.errors.append((display, exc.reason))
            continue
        result.files += 1
        if fix:
            fixed = fix_all(engine, display, text)
            if fixed.applied and fixed.text != text:
                write_atomic(path, fixed.text, bom)
                result.fixed += len(fixed.applied)
                text = fixed.text
        snapshot = Document(path.as_uri() if path.is_absolute() else display, display, text).snapshot()
        analysis = engine.analyze(snapshot)
        for crash in analysis.crashes:
            result.crashes.append((crash.code, display, crash.line))
        for finding in analysis.findings:
            built = engine.build_fix(snapshot, finding) if want_fixes and finding.fix_title else None
            result.findings.append(FileFinding(display, finding, built))
        engine.clear_caches()
    return result


def _show_settings(config: Config, paths: Sequence[str]) -> str:
    target = paths[0] if paths else "."
    lines = [f"config: {config.source}", f"path: {target}", "rules:"]
    states = config.rule_states(target)
    for rule in all_rules():
        severity = config.severity_for(rule).value
        lines.append(f"  {rule.meta.code} {rule.meta.name:<32} {severity:<12} {states[rule.meta.code]}")
    return "\n".join(lines) + "\n"


def check_main(args: argparse.Namespace) -> int:
    try:
        config = _load(args)
    except ConfigError as exc:
        return _error(f"invalid configuration: {exc}")
    paths = args.paths or ["."]
    if args.show_settings:
        sys.stdout.write(_show_settings(config, paths))
        return 0
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        return _error(f"no such file or directory: {missing[0]}")
    result = run_check(paths, config, fix=args.fix, want_fixes=args.format == "json")
    if args.format == "json":
        from server.report.json import render
    else:
        from server.report.text import render
    report = render(result)
    if args.output:
        try:
            Path(args.output).write_text(report, encoding="utf-8")
        except OSError as exc:
            return _error(f"cannot write {args.output}: {exc.strerror}")
    else:
        sys.stdout.write(report)
    for path, reason in result.errors:
        sys.stderr.write(f"reviewls: {path}: {reason}\n")
    for code, path, line in result.crashes:
        sys.stderr.write(f"reviewls: internal error: rule {code} crashed on {path}:{line}; other rules' findings are shown\n")
    if result.crashes:
        return 2
    threshold = Severity(args.fail_on).rank
    failing = any(item.finding.severity.rank >= threshold for item in result.findings)
    return 1 if failing or result.errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=args.log_level, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    if args.check or args.show_settings:
        return check_main(args)
    if args.paths:
        return _error("paths are only accepted with --check")
    from server.lsp.server import serve

    return serve(tcp=args.tcp)

