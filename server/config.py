"""Configuration: `[tool.reviewls]` in pyproject.toml, or reviewls.toml, into one frozen Config.

Precedence (low to high), in `Config.merged`: defaults < file < editor settings < CLI flags.
Unknown keys, wrong types and unknown codes raise `ConfigError` naming the key and file.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from rules.api import RuleBase, Severity
from rules.precision import is_preview, preview_reason
from rules.registry import all_rules, by_code, by_name, resolve_selector
from server.fsio import ReadError, read_source


class ConfigError(Exception):
    """A configuration value that cannot be used; says which key in which file."""

    def __init__(self, key: str, source: str, reason: str) -> None:
        super().__init__(f"{source}: `{key}`: {reason}")
        self.key = key
        self.source = source
        self.reason = reason


_KEYS = {
    "select",
    "ignore",
    "severity",
    "per-file-ignores",
    "exclude",
    "report-syntax-errors",
    "rules",
    "baseline",
    "file-types",
    "preview",
    "respect-gitignore",
}
DEFAULT_EXCLUDE = (
    ".git",
    ".hg",
    ".venv",
    "venv",
    "env",
    ".tox",
    ".nox",
    "node_modules",
    "__pycache__",
    "build",
    "dist",
    "site-packages",
    ".reviewls_cache",
    ".mypy_cache",
    ".pytest_cache",
)


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    exclude: tuple[str, ...] = ()
    # None (unset): `--check` reports syntax errors as findings, as Ruff does, and editors do not
    # (they show their own); true or false decides for both
    report_syntax_errors: bool | None = None
    rule_options: tuple[tuple[str, object], ...] = ()
    baseline: str | None = None  # relative to `root`
    file_types: tuple[tuple[str, str], ...] = ()  # glob -> kind, for custom file names
    preview: bool = False  # also run the rules whose measured precision is below the bar
    # walks skip what .gitignore files and .git/info/exclude ignore (Ruff's default); explicit files never
    respect_gitignore: bool = True
    # found in the project, not configured: modules DJANGO_SETTINGS_MODULE points at
    settings_modules: tuple[str, ...] = ()
    # found in the project's settings: framework defaults configured there (DEFAULT_THROTTLE_CLASSES...)
    project_settings: tuple[str, ...] = ()
    source: str = "defaults"
    root: str = "."

    @property
    def key(self) -> tuple[object, ...]:
        """Everything that changes findings (cache key part)."""
        return (
            self.select,
            self.preview,
            self.ignore,
            self.severity,
            self.per_file_ignores,
            self.report_syntax_errors,
            self.rule_options,
            self.settings_modules,
            self.project_settings,
        )

    def options_for(self, rule: type[RuleBase]) -> object:
        for name, options in self.rule_options:
            if name == rule.meta.name:
                return options
        return rule.Options()

    def severity_for(self, rule: type[RuleBase], reported: Severity | None = None) -> Severity:
        """The configured severity, else the one the finding was reported with, else the rule's."""
        for code, severity in self.severity:
            if code == rule.meta.code:
                return severity
        return reported or rule.meta.severity

    def rule_states(self, path: str) -> dict[str, str]:
        """code -> "enabled" or the reason it is off, for `--show-settings`."""
        selected = _expand(self.select, self.source, "select") if self.select is not None else {r.meta.code for r in all_rules()}
        exact = _exact(self.select)
        ignored = _expand(self.ignore, self.source, "ignore")
        per_file: set[str] = set()
        posix = PurePosixPath(path.replace("\\", "/"))
        for pattern, codes in self.per_file_ignores:
            if _path_matches(posix, pattern):
                per_file |= _expand(codes, self.source, "per-file-ignores")
        states: dict[str, str] = {}
        for rule in all_rules():
            code = rule.meta.code
            if code not in selected:
                states[code] = "not selected"
            elif is_preview(code) and not self.preview and code not in exact:
                states[code] = f"preview: {preview_reason(code)}; enable with `preview = true`, --preview or by selecting {code}"
            elif code in ignored:
                states[code] = "ignored"
            elif code in per_file:
                states[code] = "per-file-ignore"
            else:
                states[code] = "enabled"
        return states

    def enabled_rules(self, path: str) -> tuple[type[RuleBase], ...]:
        states = self.rule_states(path)
        return tuple(rule for rule in all_rules() if states[rule.meta.code] == "enabled")

    def is_excluded(self, path: Path) -> bool:
        """Is this entry (met while walking a directory) excluded by its name or its path?

        Names (`build`, `*.egg-info`) match the entry's own name: folders are pruned as they
        are walked, so their contents never come up. Patterns with a `/` match the path.
        """
        names, paths = _exclude_patterns(self.exclude)
        if names.match(path.name):
            return True
        return paths is not None and bool(paths.match(path.as_posix()))

    def merged(self, overrides: Mapping[str, object], source: str) -> Config:
        """This config with the keys in `overrides` (same schema as the file) replacing its own."""
        parsed = parse_table(overrides, source, comma_lists=True)
        changes = {f.name: getattr(parsed, f.name) for f in dataclasses.fields(parsed) if f.name in _set_fields(overrides)}
        return dataclasses.replace(self, **changes)


def _set_fields(table: Mapping[str, object]) -> set[str]:
    names = {"select", "ignore", "severity", "exclude"}
    out = {key for key in table if key in names}
    if "per-file-ignores" in table:
        out.add("per_file_ignores")
    if "report-syntax-errors" in table:
        out.add("report_syntax_errors")
    if "rules" in table:
        out.add("rule_options")
    if "baseline" in table:
        out.add("baseline")
    if "file-types" in table:
        out.add("file_types")
    if "preview" in table:
        out.add("preview")
    if "respect-gitignore" in table:
        out.add("respect_gitignore")
    return out


@functools.cache
def _exclude_patterns(extra: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """One regex for name patterns, one for path patterns (matched anywhere below the root)."""
    patterns = (*DEFAULT_EXCLUDE, *extra)
    names = [fnmatch.translate(p) for p in patterns if "/" not in p.strip("/")]
    paths = [fnmatch.translate("*/" + p.strip("/")) for p in patterns if "/" in p.strip("/")]
    paths += [fnmatch.translate(p.strip("/")) for p in patterns if "/" in p.strip("/")]
    return re.compile("|".join(names) or "(?!)"), re.compile("|".join(paths)) if paths else None


def _path_matches(path: PurePosixPath, pattern: str) -> bool:
    text = path.as_posix()
    return fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(text, f"*/{pattern}") or path.match(pattern)


def _expand(selectors: tuple[str, ...] | None, source: str, key: str) -> set[str]:
    codes: set[str] = set()
    for selector in selectors or ():
        try:
            codes.update(rule.meta.code for rule in resolve_selector(selector))
        except KeyError:
            raise ConfigError(key, source, f"unknown rule code or name {selector!r}") from None
    return codes


def _exact(selectors: tuple[str, ...] | None) -> set[str]:
    """Codes named exactly (a code or a rule name, not a prefix): these turn a preview rule on."""
    codes: set[str] = set()
    for selector in selectors or ():
        rule = by_name().get(selector.strip()) or by_code().get(selector.strip().upper())
        if rule is not None:
            codes.add(rule.meta.code)
    return codes


def _str_list(value: object, key: str, source: str, comma: bool = False) -> tuple[str, ...]:
    """A list of strings; `comma`: also "RV1,RV301" (editor settings). In a file, `select = "RV1"`
    is a mistake for `["RV1"]` and says so."""
    if isinstance(value, str) and comma:
        value = [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, str):
        raise ConfigError(key, source, f"expected a list of strings, like [{value!r}], got a string")
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(key, source, "expected a list of strings")
    return tuple(value)


# Documented bounds of rule options, (rule name, option) -> (minimum, allowed values). A rule can
# also declare them on its Options field: `field(default=6, metadata={"minimum": 6})`.
_OPTION_BOUNDS: dict[tuple[str, str], tuple[int | None, tuple[str, ...] | None]] = {
    ("duplicated-block", "min_lines"): (6, None),  # the project index keeps no shorter windows
    ("http-call-without-timeout", "timeout"): (1, None),  # requests refuses 0 and below
    ("print-statement", "level"): (None, ("debug", "info", "warning", "error", "critical", "exception")),
}


def _check_bounds(rule: str, option: dataclasses.Field[object], value: object, key: str, source: str) -> None:
    minimum, choices = _OPTION_BOUNDS.get((rule, option.name), (None, None))
    minimum = option.metadata.get("minimum", minimum)
    choices = option.metadata.get("choices", choices)
    if minimum is not None and isinstance(value, (int, float)) and value < minimum:
        raise ConfigError(key, source, f"must be at least {minimum}, got {value}")
    if choices is not None and value not in choices:
        raise ConfigError(key, source, f"expected one of {', '.join(map(str, choices))}, got {value!r}")


def _rule_options(table: object, source: str) -> tuple[tuple[str, object], ...]:
    if not isinstance(table, Mapping):
        raise ConfigError("rules", source, "expected a table of rule names")
    out: list[tuple[str, object]] = []
    for name, values in table.items():
        rule = by_name().get(name)
        if rule is None:
            raise ConfigError(f"rules.{name}", source, "unknown rule name")
        if not isinstance(values, Mapping):
            raise ConfigError(f"rules.{name}", source, "expected a table of options")
        fields = {f.name: f for f in dataclasses.fields(rule.Options)}
        kwargs: dict[str, Any] = {}
        for option, value in values.items():
            attr = option.replace("-", "_")
            if attr not in fields:
                known = ", ".join(sorted(f.replace("_", "-") for f in fields)) or "none"
                raise ConfigError(f"rules.{name}.{option}", source, f"unknown option (known: {known})")
            default = getattr(rule.Options(), attr)
            if type(default) is not type(value) and not (isinstance(default, float) and isinstance(value, int)):
                raise ConfigError(f"rules.{name}.{option}", source, f"expected {type(default).__name__}, got {type(value).__name__}")
            _check_bounds(rule.meta.name, fields[attr], value, f"rules.{name}.{option}", source)
            kwargs[attr] = tuple(value) if isinstance(value, list) else value
        out.append((rule.meta.name, rule.Options(**kwargs)))
    return tuple(sorted(out, key=lambda item: item[0]))


def parse_table(table: Mapping[str, object], source: str, root: str = ".", *, comma_lists: bool = False) -> Config:
    """Validate a `[tool.reviewls]` table (also used for editor settings and flags, which may
    give `select`/`ignore` as comma-separated strings: `comma_lists`)."""
    for key in table:
        if key not in _KEYS:
            raise ConfigError(key, source, f"unknown key (known: {', '.join(sorted(_KEYS))})")
    select = _str_list(table["select"], "select", source, comma_lists) if "select" in table else None
    ignore = _str_list(table.get("ignore", []), "ignore", source, comma_lists)
    _expand(select, source, "select")
    _expand(ignore, source, "ignore")
    severity_table = table.get("severity", {})
    if not isinstance(severity_table, Mapping):
        raise ConfigError("severity", source, "expected a table like {RV101 = \"error\"}")
    severity: list[tuple[str, Severity]] = []
    for selector, level in severity_table.items():
        try:
            chosen = Severity(str(level))
        except ValueError:
            raise ConfigError(f"severity.{selector}", source, f"expected one of {', '.join(s.value for s in Severity)}") from None
        for code in sorted(_expand((selector,), source, f"severity.{selector}")):
            severity.append((code, chosen))
    per_file_table = table.get("per-file-ignores", {})
    if not isinstance(per_file_table, Mapping):
        raise ConfigError("per-file-ignores", source, "expected a table of glob = [codes]")
    per_file: list[tuple[str, tuple[str, ...]]] = []
    for pattern, codes in per_file_table.items():
        parsed = _str_list(codes, f"per-file-ignores.{pattern}", source, comma_lists)
        _expand(parsed, source, f"per-file-ignores.{pattern}")
        per_file.append((pattern, parsed))
    file_types_table = table.get("file-types", {})
    kinds = ("python", "compose", "requirements", "nginx", "dotenv", "pyproject")
    if not isinstance(file_types_table, Mapping) or not all(v in kinds for v in file_types_table.values()):
        raise ConfigError("file-types", source, f"expected a table of glob = kind, kinds: {', '.join(kinds)}")
    baseline = table.get("baseline")
    if baseline is not None and not isinstance(baseline, str):
        raise ConfigError("baseline", source, "expected a file path")
    preview = table.get("preview", False)
    if not isinstance(preview, bool):
        raise ConfigError("preview", source, "expected true or false")
    respect_gitignore = table.get("respect-gitignore", True)
    if not isinstance(respect_gitignore, bool):
        raise ConfigError("respect-gitignore", source, "expected true or false")
    report_syntax = table.get("report-syntax-errors")
    if report_syntax is not None and not isinstance(report_syntax, bool):
        raise ConfigError("report-syntax-errors", source, "expected true or false")
    return Config(
        select=select,
        ignore=ignore,
        severity=tuple(severity),
        per_file_ignores=tuple(per_file),
        exclude=_str_list(table.get("exclude", []), "exclude", source, comma_lists),
        report_syntax_errors=report_syntax,
        rule_options=_rule_options(table.get("rules", {}), source),
        baseline=baseline,
        file_types=tuple((str(k), str(v)) for k, v in file_types_table.items()),
        preview=preview,
        respect_gitignore=respect_gitignore,
        source=source,
        root=root,
    )


_OUR_TABLE = re.compile(r"^\s*\[\s*tool\s*\.\s*reviewls\b", re.M)


def find_config_file(start: Path) -> Path | None:
    """The nearest reviewls.toml, or pyproject.toml with a [tool.reviewls] table."""
    start = start.resolve()
    for folder in (start, *start.parents) if start.is_dir() else (start.parent, *start.parent.parents):
        candidate = folder / "reviewls.toml"
        if os.path.lexists(candidate) and not candidate.is_dir():
            return candidate  # ours by its name: loading it says what is wrong if it is not a readable file
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                text = read_source(candidate, coding_line=False).text
                data = tomllib.loads(text)
            except ReadError:
                continue  # an unreadable pyproject.toml cannot be ours to configure; look further up
            except tomllib.TOMLDecodeError:
                if _OUR_TABLE.search(text):
                    return candidate  # ours, but broken: loading it reports the TOML error
                continue

            if "reviewls" in data.get("tool", {}):
                return candidate
    return None


def load_config(path: Path | None) -> Config:
    """Read a config file; `None` gives the defaults."""
    if path is None:
        return Config()
    source = str(path)
    try:
        # a regular file under the size limit: a config that is a symlink to /dev/zero is an error, not a hang
        data = tomllib.loads(read_source(path, coding_line=False).text)
    except ReadError as exc:
        raise ConfigError("-", source, "not UTF-8" if exc.kind == "undecodable" else f"cannot read: {exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError("-", source, f"invalid TOML: {exc}") from None
    table = data if path.name == "reviewls.toml" else data.get("tool", {}).get("reviewls", {})
    if not isinstance(table, Mapping):
        raise ConfigError("tool.reviewls", source, "expected a table")
    return parse_table(table, source, root=str(path.parent))


def config_field_names() -> list[str]:
    return sorted(_KEYS)

