"""Editor settings: what a client sends as initializationOptions and didChangeConfiguration,
and the file paths behind document URIs."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

CONFIG_FILES = ("pyproject.toml", "reviewls.toml")
_FILE_KEYS = {
    "select": "select",
    "ignore": "ignore",
    "severity": "severity",
    "perFileIgnores": "per-file-ignores",
    "exclude": "exclude",
    "reportSyntaxErrors": "report-syntax-errors",
    "rules": "rules",
    "preview": "preview",
    "respectGitignore": "respect-gitignore",
}
_EDITOR_KEYS = {
    "enable",
    "run",
    "diagnosticMode",
    "debounce",
    "showNotifications",
    "trace",
    "logLevel",
    "interpreter",
    "importStrategy",
    "args",
    "path",
    "cwd",
    "workspace",
}




@dataclass
class EditorSettings:
    """What the client sends as initializationOptions / didChangeConfiguration."""

    enable: bool = True
    run: str = "onType"  # or "onSave"
    diagnostic_mode: str = "auto"  # "push", "pull" or "auto" (pull when the client can)
    debounce_ms: int = 0
    log_level: str = "warning"
    config: dict[str, object] = field(default_factory=dict)  # keys in the config-file schema


def parse_settings(raw: object, previous: EditorSettings | None = None) -> tuple[EditorSettings, list[str]]:
    """Editor settings from a client payload; unknown keys are returned as warnings."""
    settings = EditorSettings() if previous is None else EditorSettings(**vars(previous))
    warnings: list[str] = []
    if not isinstance(raw, Mapping):
        return settings, warnings
    for wrapper in ("reviewls", "settings"):
        inner = raw.get(wrapper)
        if isinstance(inner, Mapping):
            raw = inner
    config = dict(settings.config)
    for key, value in raw.items():
        if key in _FILE_KEYS:
            # editors send every setting with its default; an empty one must not hide the project's file
            if value is None or value == [] or value == {}:
                config.pop(_FILE_KEYS[key], None)
            else:
                config[_FILE_KEYS[key]] = value
        elif key == "enable":
            settings.enable = bool(value)
        elif key == "run" and value in ("onType", "onSave"):
            settings.run = str(value)
        elif key == "diagnosticMode" and value in ("auto", "push", "pull"):
            settings.diagnostic_mode = str(value)
        elif key == "debounce" and isinstance(value, int):
            settings.debounce_ms = max(0, value)
        elif key in ("logLevel", "trace") and isinstance(value, str):
            settings.log_level = "debug" if value in ("verbose", "debug") else value
        elif key not in _EDITOR_KEYS:
            warnings.append(f"unknown setting `{key}` ignored")
    settings.config = config
    return settings, warnings


def uri_to_path(uri: str) -> str:
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        path = unquote(parsed.path)
        if os.name == "nt" and path.startswith("/"):
            path = path[1:]
        return path
    return unquote(parsed.path) or uri



def display_path(root: Path, uri: str) -> str:
    """The path findings and per-file settings use: relative to the workspace root when inside it."""
    path = Path(uri_to_path(uri))
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
