"""Release pipeline and install documentation: the workflows do what the README promises, and the
README's install and editor steps match what ships (the steps themselves run in .ci/run:
scripts/release_check.sh builds and installs the wheel, editors/e2e/setup.sh packages the .vsix)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = ROOT / ".github" / "workflows"
README = (ROOT / "README.md").read_text(encoding="utf-8")
PACKAGE_JSON = json.loads((ROOT / "editors" / "vscode" / "package.json").read_text(encoding="utf-8"))
TARGETS = ("linux-x64", "linux-arm64", "darwin-arm64", "win32-x64")


def _workflow(name: str) -> dict[Any, Any]:
    loaded = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 (PyYAML) reads the key `on` as True
    triggers = workflow.get("on", workflow.get(True))
    assert isinstance(triggers, dict)
    return triggers


def _runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(step["uses"]) for step in job["steps"] if "uses" in step]


def test_ci_workflow_runs_ci_run_on_push_and_pull_request() -> None:
    workflow = _workflow("ci.yml")
    assert {"push", "pull_request"} <= set(_triggers(workflow))
    (job,) = workflow["jobs"].values()
    assert "bash .ci/run" in _runs(job)
    # the editor tests install Debian's Chromium and Neovim 0.7.2 from apt
    assert str(job["container"]).startswith("debian:")


def test_release_workflow_builds_checks_and_publishes_on_a_version_tag() -> None:
    workflow = _workflow("release.yml")
    assert _triggers(workflow) == {"push": {"tags": ["v*"]}}
    jobs = workflow["jobs"]
    assert "bash scripts/release_check.sh dist" in _runs(jobs["python"])
    assert (ROOT / "scripts" / "release_check.sh").exists()
    # one .vsix per platform that bundle_libs.py knows, each packaged by its npm script
    assert jobs["vsix"]["strategy"]["matrix"]["target"] == list(TARGETS)
    assert "npm run package:${{ matrix.target }}" in _runs(jobs["vsix"])
    for target in TARGETS:
        assert f"--target {target}" in PACKAGE_JSON["scripts"][f"package:{target}"]
        assert f"--target {target}" in PACKAGE_JSON["scripts"][f"bundle:{target}"]
    # nothing is published unless every build passed
    for name in ("pypi", "marketplace", "openvsx"):
        assert set(jobs[name]["needs"]) == {"python", "vsix"}
    # PyPI by trusted publishing: an OIDC token, no password
    pypi = jobs["pypi"]
    assert pypi["permissions"] == {"id-token": "write"}
    (publish,) = [step for step in pypi["steps"] if str(step.get("uses", "")).startswith("pypa/gh-action-pypi-publish@")]
    assert "with" not in publish or "password" not in publish["with"]
    assert workflow["permissions"] == {"contents": "read"}
    for name, tool, secret in (("marketplace", "@vscode/vsce", "VSCE_PAT"), ("openvsx", "ovsx", "OVSX_PAT")):
        (step,) = [step for step in jobs[name]["steps"] if " publish --packagePath vsix/*.vsix" in str(step.get("run", ""))]
        assert f"npx --yes {tool}@" in step["run"]
        assert step["env"] == {secret: "${{ secrets.%s }}" % secret}
    assert "actions/download-artifact@v4" in _uses(jobs["github-release"])


def test_extension_is_bundled_by_esbuild_and_packaged_with_the_secret_scan_on() -> None:
    scripts = PACKAGE_JSON["scripts"]
    assert PACKAGE_JSON["main"] == "./dist/extension.js"
    assert "--outfile=dist/extension.js" in scripts["esbuild"] and "--external:vscode" in scripts["esbuild"]
    assert "npm run -s esbuild" in scripts["vscode:prepublish"] and "npm run -s compile" in scripts["vscode:prepublish"]
    assert "esbuild" in PACKAGE_JSON["devDependencies"]
    # vsce's secret scan stays on; only the fake secrets of RV401's documentation examples are allowed
    assert "--allow-package-all-secrets" not in json.dumps(PACKAGE_JSON)
    assert "--allow-package-secrets github slack" in scripts["package"]


def _section(title: str) -> str:
    """The README text under a heading, up to the next heading of the same or a higher level."""
    match = re.search(rf"^(#+) {re.escape(title)}\n", README, re.MULTILINE)
    assert match, title
    level = len(match.group(1))
    end = re.search(rf"^#{{1,{level}}} ", README[match.end() :], re.MULTILINE)
    return README[match.end() : match.end() + end.start()] if end else README[match.end() :]


def _code_blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def test_readme_marks_every_pip_install_reviewls_as_after_the_first_release() -> None:
    """`pip install reviewls` fails until the package is published; the README says so where it uses it."""
    paragraphs = re.split(r"\n\s*\n", README)
    unmarked = [
        line.strip()
        for paragraph in paragraphs
        for line in paragraph.splitlines()
        if re.search(r"pipx? install reviewls\b", line) and "after the first release" not in (line + paragraph).lower()
    ]
    assert not unmarked
    install = _section("Install")
    assert "after the first release" in install.lower()
    for step in ("pip install .", "pip install -e", "python -m build", "reviewls-0.1.0-py3-none-any.whl", "--install-extension"):
        assert step in install, step


def test_readme_packages_the_extension_as_the_editor_tests_do() -> None:
    """The e2e stage packages the .vsix with the README's command, so that command is tested."""
    vscode = _section("VS Code")
    (build,) = [block for block in _code_blocks(vscode, "sh") if "npm" in block]
    assert "npm ci" in build and "npm run package:linux-x64" in build
    setup = (ROOT / "editors" / "e2e" / "setup.sh").read_text(encoding="utf-8")
    assert "npm ci " in setup and "npm run -s package:linux-x64" in setup


def _filetypes(lua: str) -> list[str]:
    """The `filetypes = { ... }` list of a Lua table."""
    match = re.search(r"filetypes = \{([^}]*)\}", lua)
    assert match, lua
    return re.findall(r"'([^']+)'", match.group(1))


def _lua_filetypes(path: Path) -> list[str]:
    return _filetypes(path.read_text(encoding="utf-8"))


def test_readme_file_types_are_the_shipped_neovim_filetypes() -> None:
    shipped = _lua_filetypes(ROOT / "editors" / "neovim" / "lsp" / "reviewls.lua")
    assert shipped == _lua_filetypes(ROOT / "editors" / "neovim" / "lua" / "reviewls" / "init.lua")
    # the lspconfig example and the file types given for other clients
    (lspconfig,) = [block for block in _code_blocks(_section("Neovim"), "lua") if "lspconfig" in block]
    assert _filetypes(lspconfig) == shipped
    listed = re.search(r"file types the shipped Neovim config attaches to:\s+((?:`[^`]+`,?\s*)+);", README)
    assert listed, "the file types for other clients"
    assert re.findall(r"`([^`]+)`", listed.group(1)) == shipped


def test_readme_turns_on_virtual_text_as_the_neovim_test_does() -> None:
    """Neovim 0.11 shows only signs; the e2e test profile turns on virtual text with the README's line."""
    line = "vim.diagnostic.config({ virtual_text = true })"
    assert line in _section("Neovim")
    assert "virtual_lines = true" in _section("Neovim")
    assert line in (ROOT / "editors" / "e2e" / "nvim_init.lua").read_text(encoding="utf-8")


def test_readme_pre_commit_hook_reviews_staged_files(tmp_path: Path) -> None:
    """The README's pre-commit configuration works from a clone: run it on a repository with a finding."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    (config,) = [block for block in _code_blocks(README, "yaml") if "hooks:" in block and "repo: local" in block]
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / ".pre-commit-config.yaml").write_text(config)
    (repo / "app" / "services.py").write_text('def charge(order):\n    print("charging", order)\n')
    bin_dir = str(Path(sys.executable).parent)
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",  # `reviewls` as installed from the clone
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for command in (["git", "init", "-q"], ["git", "add", "."]):
        subprocess.run(command, cwd=repo, env=env, check=True, capture_output=True)
    result = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--color", "never"], cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RV101" in result.stdout and "app/services.py" in result.stdout, result.stdout
