"""RV905 unpinned-requirement."""

from __future__ import annotations

import fnmatch
from pathlib import Path

from rules.api import Invalid, RuleMeta, Severity, Valid
from rules.api.configdata import ConfigData, ConfigRule, FileKind, RequirementsFile

# lock files that pin what is installed, whatever the requirements say
_LOCKS = ("uv.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "requirements*.lock", "*.lock.txt")


def _locked(path: str) -> bool:
    """A lock file at the project root (beside the file, or above a `requirements/` folder), or a
    pip-tools source (`x.in` beside `x.txt`): the project pins elsewhere, these are its inputs."""
    file = Path(path)
    folders = [file.parent]
    if file.parent.name == "requirements":
        folders.append(file.parent.parent)
    if file.with_suffix(".in").is_file():
        return True
    for folder in folders:
        try:
            names = [entry.name for entry in folder.iterdir() if entry.is_file()]
        except OSError:
            continue  # an unreadable folder shows no lock file
        if any(fnmatch.fnmatch(name, pattern) for name in names for pattern in _LOCKS):
            return True
    return False


class UnpinnedRequirement(ConfigRule):
    """
    ## What it does
    Finds entries of an application's `requirements*.txt` without an exact pin (`==`), or
    with only a lower bound or a broad range (`django>=4`).

    ## Why is this bad?
    Every install resolves to whatever is newest that day: two deploys of the same commit
    run different code, a library's breaking release reaches production without a change
    in the repository, and a bug cannot be reproduced from the lock of what ran.

    ## Example
    ```text
    django>=4.2
    requests
    ```
    Use instead:
    ```text
    django==4.2.16
    requests==2.32.3
    ```

    ## Fix
    None: pick the versions with `pip freeze`, pip-tools or uv.

    Applications' `pyproject.toml` `[project].dependencies` are checked the same way (an
    application has no `[build-system]`, or says `package-mode = false` / `package = false`).

    Quiet on constraints files, libraries' pyproject (ranges are right there), URL and VCS
    requirements, `-r`/`-c`/`-e` lines, and projects that pin with a lock file (`uv.lock`,
    `poetry.lock`, `Pipfile.lock`, `pdm.lock`, `requirements*.lock` beside the file or above
    its `requirements/` folder) or compile the file with pip-tools (`x.in` beside `x.txt`):
    there the ranges are the inputs of the lock, as they should be.
    """

    kinds = frozenset((FileKind.REQUIREMENTS, FileKind.PYPROJECT))
    meta = RuleMeta(code="RV905", name="unpinned-requirement", family="project", severity=Severity.INFORMATION)

    VALID = [
        Valid("django==4.2.16\nrequests==2.32.3  # http\n-r base.txt\n-e .\n", path="requirements.txt"),
        Valid("django>=4.2\n", path="constraints.txt"),
        Valid("shop-lib @ git+https://github.com/shop/lib@3f2a1b0\nuvicorn[standard]===0.30.1\n", path="requirements/prod.txt"),
        Valid(
            '[build-system]\nrequires = ["setuptools"]\n\n[project]\nname = "lib"\ndependencies = ["requests>=2"]\n',
            path="pyproject.toml",
        ),
        # the project pins with a lock file: the requirements are its inputs
        Valid("django>=4.2\nrequests\n", path="requirements.txt", files={"uv.lock": "version = 1\n"}),
        Valid("celery~=5.3\n", path="requirements/prod.txt", files={"poetry.lock": "", "requirements/prod.in": "celery~=5.3\n"}),
    ]
    INVALID = [
        Invalid("django>=4.2  # <- RV905\nrequests  # <- RV905\ngunicorn==22.0.0\n", path="requirements.txt"),
        Invalid("celery~=5.3  # <- RV905\nredis>=4,<6  # <- RV905\n", path="requirements/prod.txt"),
        Invalid(
            '[project]\nname = "shop"\ndependencies = [\n    "django>=5",  # <- RV905\n    "gunicorn==23.0.0",\n]\n',
            path="pyproject.toml",
        ),
    ]

    def check(self, data: ConfigData) -> None:
        if not isinstance(data, RequirementsFile) or data.constraints or _locked(self.ctx.path):
            return
        for entry in data.entries:
            if entry.url is not None:
                continue
            pinned = any(op in entry.specifier for op in ("==", "===")) and "," not in entry.specifier and "*" not in entry.specifier
            if pinned:
                continue
            what = f"`{entry.name}{entry.specifier}`" if entry.specifier else f"`{entry.name}`"
            self.report_span(entry.span, f"{what} is not pinned: each install may get a different version")
