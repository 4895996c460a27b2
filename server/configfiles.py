"""The non-Python files reviewls reviews: which kind a path is, and one reader per kind.

docker-compose files are read with PyYAML's composer, whose nodes keep their marks (line and
column), so findings point at the exact value; requirements lines with `packaging`; nginx
configuration with a small tokenizer (comments, quotes, braces); `.env.example` by lines.
"""

from __future__ import annotations

import bisect
import fnmatch
import re
import tomllib
from collections.abc import Sequence
from pathlib import PurePosixPath

import yaml
from packaging.requirements import InvalidRequirement
from packaging.requirements import Requirement as PackagingRequirement

from rules.api.configdata import (
    ComposeEnv,
    ComposeFile,
    ComposeService,
    ConfigData,
    DotenvFile,
    DotenvKey,
    FileKind,
    NginxFile,
    NginxUpstream,
    Requirement,
    RequirementsFile,
)
from rules.api.types import Span
from server.locate import split_lines


class ConfigParseError(Exception):
    """A config file the reader cannot parse; line is 1-based."""

    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.col = col
        self.message = message


_COMPOSE = ("docker-compose*.yml", "docker-compose*.yaml", "compose.yml", "compose.yaml", "compose.*.yml", "compose.*.yaml")
_REQUIREMENTS = ("requirements*.txt", "requirements/*.txt", "constraints*.txt", "*-requirements.txt", "requirements-*.txt")
_DOTENV = (".env.example", ".env.sample", ".env.template", ".env.dist", "*.env.example")
_NGINX_DIRS = ("nginx", "conf.d", "sites-available", "sites-enabled")


def kind_of(path: str, mapping: Sequence[tuple[str, str]] = ()) -> FileKind | None:
    """The kind of file `path` is, or None when reviewls does not review it."""
    posix = PurePosixPath(path.replace("\\", "/"))
    text = posix.as_posix()
    for pattern, kind in mapping:
        if fnmatch.fnmatch(text, pattern) or fnmatch.fnmatch(text, f"*/{pattern}") or fnmatch.fnmatch(posix.name, pattern):
            return FileKind(kind)
    name = posix.name
    if name.endswith((".py", ".pyi")):
        return FileKind.PYTHON
    if any(fnmatch.fnmatch(name, p) for p in _COMPOSE):
        return FileKind.COMPOSE
    if any(fnmatch.fnmatch(name, p) or fnmatch.fnmatch(f"{posix.parent.name}/{name}", p) for p in _REQUIREMENTS):
        return FileKind.REQUIREMENTS
    if any(fnmatch.fnmatch(name, p) for p in _DOTENV):
        return FileKind.DOTENV
    if name == "pyproject.toml":
        return FileKind.PYPROJECT
    if name.endswith(".conf") and (name.startswith("nginx") or any(part in _NGINX_DIRS for part in posix.parts[:-1])):
        return FileKind.NGINX
    return None


def _span(node: yaml.Node) -> Span:
    return Span(node.start_mark.line + 1, node.start_mark.column, node.end_mark.line + 1, node.end_mark.column)


def _mapping(node: yaml.Node | None) -> list[tuple[yaml.Node, yaml.Node]]:
    return list(node.value) if isinstance(node, yaml.MappingNode) else []


def _get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    for k, v in _mapping(node):
        if isinstance(k, yaml.ScalarNode) and k.value == key:
            return v
    return None


def _environment(node: yaml.Node | None) -> list[ComposeEnv]:
    entries: list[ComposeEnv] = []
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode):
                continue
            literal = value.value if isinstance(value, yaml.ScalarNode) and value.tag != "tag:yaml.org,2002:null" else None
            entries.append(ComposeEnv(str(key.value), _span(key), None if literal is None else str(literal), _span(value) if literal is not None else None))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            if not isinstance(item, yaml.ScalarNode) or not isinstance(item.value, str):
                continue
            key, sep, value = item.value.partition("=")
            span = _span(item)
            quote = 1 if item.style in ("'", '"') else 0
            key_span = Span(span.line, span.col + quote, span.line, span.col + quote + len(key))
            value_span = None
            if sep and span.line == span.end_line:
                start = span.col + quote + len(key) + 1
                value_span = Span(span.line, start, span.line, span.end_col - quote)
            entries.append(ComposeEnv(key.strip(), key_span, value if sep else None, value_span))
    return entries


def read_compose(text: str) -> ComposeFile:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise ConfigParseError((mark.line + 1) if mark else 1, mark.column if mark else 0, str(exc.problem or exc)) from None
    services_node = _get(root, "services")
    if services_node is None:  # compose file format 1: services at the top
        services_node = root if any(_get(v, "image") or _get(v, "build") for _, v in _mapping(root)) else None
    services: list[ComposeService] = []
    for name, body in _mapping(services_node):
        if not isinstance(name, yaml.ScalarNode):
            continue
        network = _get(body, "network_mode")
        env_file = _get(body, "env_file")
        files: tuple[str, ...] = ()
        if isinstance(env_file, yaml.ScalarNode):
            files = (str(env_file.value),)
        elif isinstance(env_file, yaml.SequenceNode):
            files = tuple(str(i.value) for i in env_file.value if isinstance(i, yaml.ScalarNode))
        services.append(
            ComposeService(
                str(name.value),
                _span(name),
                tuple(_environment(_get(body, "environment"))),
                (str(network.value), _span(network)) if isinstance(network, yaml.ScalarNode) else None,
                files,
            )
        )
    return ComposeFile(tuple(services))


_OPTION = re.compile(r"^\s*-")


def read_requirements(text: str, path: str) -> RequirementsFile:
    entries: list[Requirement] = []
    for number, line in enumerate(split_lines(text), start=1):
        line = line.rstrip("\r\n")
        body = re.split(r"\s+#", line, maxsplit=1)[0].rstrip()
        if body.lstrip().startswith("#") or not body.strip() or _OPTION.match(body):
            continue
        body = body.split(" --", 1)[0].rstrip()  # per-line options such as --hash
        try:
            parsed = PackagingRequirement(body.strip())
        except InvalidRequirement:
            # not a requirement line pip understands either (a typo, an option we do not know)
            continue
        start = len(line) - len(line.lstrip())
        entries.append(
            Requirement(
                parsed.name,
                str(parsed.specifier),
                str(parsed.marker or ""),
                parsed.url,
                Span(number, start, number, start + len(body.strip())),
            )
        )
    name = PurePosixPath(path.replace("\\", "/")).name
    return RequirementsFile(tuple(entries), constraints=name.startswith("constraints"))


_NGINX_TOKEN = re.compile(r"#[^\n]*|\"(?:\\.|[^\"])*\"|'(?:\\.|[^'])*'|[{};]|[^\s{};#\"']+")


def read_nginx(text: str) -> NginxFile:
    upstreams: list[NginxUpstream] = []
    tokens: list[tuple[str, int, int]] = []
    line_starts = [0]
    for i, char in enumerate(text):
        if char == "\n":
            line_starts.append(i + 1)

    def position(offset: int) -> tuple[int, int]:
        index = bisect.bisect_right(line_starts, offset) - 1
        return index + 1, offset - line_starts[index]

    for found in _NGINX_TOKEN.finditer(text):
        if not found.group().startswith("#"):
            tokens.append((found.group(), found.start(), found.end()))
    depth = 0
    for i, (token, start, _) in enumerate(tokens):
        if token == "{":
            depth += 1
        elif token == "}":
            depth = max(depth - 1, 0)
        elif token == "upstream" and i + 2 < len(tokens) and tokens[i + 2][0] == "{":
            name, _, name_end = tokens[i + 1]
            line, col = position(start)
            end_line, end_col = position(name_end)
            upstreams.append(NginxUpstream(name.strip("\"'"), Span(line, col, end_line, end_col)))
    return NginxFile(tuple(upstreams))


_DOTENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=")


def read_dotenv(text: str) -> DotenvFile:
    keys: list[DotenvKey] = []
    for number, line in enumerate(split_lines(text), start=1):
        line = line.rstrip("\r\n")
        found = _DOTENV_LINE.match(line)
        if found:
            keys.append(DotenvKey(found.group(1), Span(number, found.start(1), number, found.end(1))))
    return DotenvFile(tuple(keys))


def read_pyproject(text: str) -> RequirementsFile:
    """`[project].dependencies`, positioned in the text; a library's ranges are its business.

    An application is a pyproject without `[build-system]`, or one that says it is not a
    package (`tool.poetry.package-mode = false`, `tool.uv.package = false`).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigParseError(getattr(exc, "lineno", 1) or 1, 0, str(exc)) from None
    tool = data.get("tool", {})
    application = "build-system" not in data or tool.get("poetry", {}).get("package-mode") is False or tool.get("uv", {}).get("package") is False
    dependencies = data.get("project", {}).get("dependencies", [])
    entries: list[Requirement] = []
    search_from = max(text.find("dependencies"), 0)
    for dep in dependencies if isinstance(dependencies, list) else []:
        if not isinstance(dep, str):
            continue
        try:
            parsed = PackagingRequirement(dep)
        except InvalidRequirement:
            continue  # pip would reject it too; reviewing the rest is more useful than stopping
        at = text.find(dep, search_from)
        if at < 0:
            continue
        line = text.count("\n", 0, at) + 1
        col = at - (text.rfind("\n", 0, at) + 1)
        entries.append(Requirement(parsed.name, str(parsed.specifier), str(parsed.marker or ""), parsed.url, Span(line, col, line, col + len(dep))))
        search_from = at + len(dep)
    return RequirementsFile(tuple(entries), constraints=not application)


def read(kind: FileKind, text: str, path: str) -> ConfigData:
    """Typed data of a non-Python file; ConfigParseError when it does not parse."""
    if kind is FileKind.COMPOSE:
        return read_compose(text)
    if kind is FileKind.REQUIREMENTS:
        return read_requirements(text, path)
    if kind is FileKind.NGINX:
        return read_nginx(text)
    if kind is FileKind.DOTENV:
        return read_dotenv(text)
    if kind is FileKind.PYPROJECT:
        return read_pyproject(text)
    raise ValueError(f"not a config file kind: {kind}")


def parses(kind: FileKind, text: str, path: str) -> bool:
    try:
        read(kind, text, path)
    except ConfigParseError:
        return False
    return True
