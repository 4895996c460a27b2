"""RV901 module-package-clash."""

from __future__ import annotations

from pathlib import PurePosixPath

from rules.api import Invalid, RuleMeta, Severity, Valid
from rules.api.types import Span
from rules.api.project import ProjectFacts, ProjectRule


class ModulePackageClash(ProjectRule):
    """
    ## What it does
    Finds a module `x.py` next to a package folder `x/` (for example `config/settings.py`
    beside `config/settings/`).

    ## Why is this bad?
    `import x` finds only one of them (a regular package, one with `__init__.py`, wins over
    the module), so the other is dead code that
    still looks in use: edits to it do nothing, and which one runs depends on details few
    people remember. It usually happens when settings are split into a package and the old
    module stays behind.

    ## Example
    ```text
    config/settings.py
    config/settings/__init__.py
    config/settings/production.py
    ```
    Use instead: delete or rename `config/settings.py`.

    ## Fix
    None: what to keep from the old module is for a person to decide.

    Quiet when the folder has no `__init__.py`: a namespace package loses to the module, so
    the module is the one that loads and nothing is dead.
    """

    meta = RuleMeta(code="RV901", name="module-package-clash", family="project", severity=Severity.ERROR)

    VALID = [
        Valid("DEBUG = False\n", path="config/settings/base.py", files={"config/settings/__init__.py": "", "config/urls.py": "x = 1\n"}),
        Valid("x = 1\n", path="app/models.py", files={"app/views.py": "y = 2\n"}),
        # `tests/database/` has no `__init__.py`: a namespace package, which the module `database.py` beats
        Valid(
            "from sqlalchemy.orm import sessionmaker\nSession = sessionmaker()\n",
            path="tests/database.py",
            files={"tests/database/test_service.py": "def test_x():\n    assert 1\n"},
        ),
    ]
    INVALID = [
        Invalid("DEBUG = True  # <- RV901\n", path="config/settings.py", files={"config/settings/__init__.py": "", "config/settings/prod.py": "DEBUG = False\n"}),
        Invalid("import os  # <- RV901\n", path="utils.py", files={"utils/__init__.py": "", "utils/text.py": "x = 1\n"}),
    ]

    def check(self, facts: ProjectFacts) -> None:
        files = set(facts.python_files)
        for path in facts.python_files:
            module = PurePosixPath(path)
            if module.suffix != ".py":
                continue
            twin = module.with_suffix("").as_posix()
            # a folder without `__init__.py` is a namespace package: the module beside it wins the
            # import and nothing is shadowed (pytest's rootdir-relative test folders look like this)
            if f"{twin}/__init__.py" in files:
                self.report_file(
                    path,
                    Span(1, 0, 1, 0),
                    f"`{module.name}` sits beside the package `{twin}/`: `import {module.stem}` loads the package, this module is dead",
                )
