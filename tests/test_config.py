"""Configuration values are validated like the README documents them (#13 item 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.config import ConfigError, Config, load_config


def _load(tmp_path: Path, body: str) -> Config:
    path = tmp_path / "pyproject.toml"
    path.write_text(body)
    return load_config(path)


@pytest.mark.parametrize("key", ["select", "ignore", "exclude"])
def test_a_string_where_a_list_is_expected_is_an_error(tmp_path: Path, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f'[tool.reviewls]\n{key} = "RV1"\n')
    assert caught.value.key == key and caught.value.source == str(tmp_path / "pyproject.toml")
    assert "expected a list of strings" in str(caught.value)


@pytest.mark.parametrize(
    ("table", "option", "value", "message"),
    [
        ("duplicated-block", "min-lines", "3", "must be at least 6, got 3"),
        ("http-call-without-timeout", "timeout", "0", "must be at least 1, got 0"),
        ("print-statement", "level", '"loud"', "expected one of debug, info, warning, error, critical, exception, got 'loud'"),
    ],
)
def test_rule_options_below_their_documented_bounds_are_errors(tmp_path: Path, table: str, option: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"[tool.reviewls.rules.{table}]\n{option} = {value}\n")
    assert caught.value.key == f"rules.{table}.{option}"
    assert message in str(caught.value)


def test_valid_values_and_flags_still_load(tmp_path: Path) -> None:
    config = _load(tmp_path, '[tool.reviewls]\nselect = ["RV1"]\n[tool.reviewls.rules.duplicated-block]\nmin-lines = 6\n')
    assert config.select == ("RV1",)
    # editor settings and flags may give comma-separated strings
    assert config.merged({"select": "RV1,RV301"}, "editor settings").select == ("RV1", "RV301")
