"""Neovim headless: our client config (0.7 module, 0.11 lsp/reviewls.lua) against the real server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.editors.conftest import ROOT, SERVICE, require

pytestmark = pytest.mark.editors

VENV_NVIM = Path(sys.executable).parent / "nvim"
DEBIAN_NVIM = Path("/usr/bin/nvim")


def _version(nvim: Path) -> str:
    out = subprocess.run([str(nvim), "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    return out.splitlines()[0].split()[-1].lstrip("v")


@pytest.mark.parametrize(
    ("which", "api"),
    [("debian", "setup"), ("pypi", "setup"), ("pypi", "enable")],
    ids=["nvim-0.7-setup", "nvim-0.11-setup", "nvim-0.11-lsp-enable"],
)
def test_diagnostic_and_quick_fix_in_neovim(tmp_path: Path, which: str, api: str) -> None:
    nvim = DEBIAN_NVIM if which == "debian" else VENV_NVIM
    require(nvim.exists(), f"{nvim} is not installed")
    version = _version(nvim)
    assert version.startswith("0.7." if which == "debian" else "0.11."), version
    server = shutil.which("reviewls", path=str(Path(sys.executable).parent))
    assert server, "the reviewls console script is installed with the package"
    work = tmp_path / "project"
    (work / "app").mkdir(parents=True)
    (work / "pyproject.toml").write_text("[tool.reviewls]\n")
    (work / "app" / "services.py").write_text(SERVICE)
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),  # Neovim 0.7 keeps lsp.log there
        "REVIEWLS_NEOVIM_DIR": str(ROOT / "editors" / "neovim"),
        "REVIEWLS_NVIM_API": api,
        "REVIEWLS_CMD": server,
    }
    e2e = ROOT / "editors" / "e2e"
    result = subprocess.run(
        [str(nvim), "--headless", "-i", "NONE", "-u", str(e2e / "nvim_init.lua"), "-c", f"luafile {e2e / 'nvim_e2e.lua'}", "app/services.py"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"no report from nvim (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
    report = json.loads(lines[-1])
    assert result.returncode == 0, report
    assert report["nvim"].startswith(version[:4])
    assert report["diagnostic"]["source"] == "reviewls" and report["diagnostic"]["lnum"] == 4
    assert report["diagnostic"]["message"].startswith("`print()` in application code")
    assert any(title.startswith("Replace `print` with `logger.info`") for title in report["actions"])
    # shown as virtual text: by default on 0.7, with the README's vim.diagnostic.config line on 0.11
    assert "`print()` in application code" in "".join(report["virtual_text"]), report["virtual_text"]
    # the shipped config sends no setting the server does not know (empty settings as {}, not [])
    log = Path(report["lsp_log"])
    assert "unknown setting" not in (log.read_text(errors="replace") if log.exists() else "")
    assert report["cleared"] is True
    assert 'logger.info("charging %s", order)' in report["text"]
    assert "logger = logging.getLogger(__name__)" in report["text"]
