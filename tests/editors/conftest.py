"""Editor end-to-end tests: real Neovim and real VS Code (code-server) against the real server.

They need `bash editors/e2e/setup.sh` first (Chromium, Neovim, code-server, the .vsix) and run
with `pytest -m editors`. Under CI (CI=true) a missing tool is a failure, not a skip.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
E2E_DIR = Path(os.environ.get("E2E_DIR", ROOT / ".editors-cache"))
ARTIFACTS = Path(os.environ.get("REVIEWLS_ARTIFACTS", ROOT / "artifacts"))


def require(condition: bool, what: str) -> None:
    """Skip when a tool is missing locally; fail under CI, where setup.sh must have run."""
    if condition:
        return
    message = f"{what} (run `bash editors/e2e/setup.sh`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


SERVICE = '''import requests


def charge(order):
    print("charging", order)
    return requests.post("https://payments.example.com", json=order, timeout=5)
'''
