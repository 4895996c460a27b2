"""One project session: the project index, what the project configures, and the project rules
over them — the same sequence for the language server, `--check` and the test harness.

`settings_config` is the one place that decides which modules are the project's settings (the
modules `DJANGO_SETTINGS_MODULE` names in its entry points, and the settings modules among its
files) and what they configure around endpoints; the edit tier reads the result from the config.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from server.config import Config
from server.engine import Diagnostic, Engine
from server.engine.model import RuleCrash
from server.fsio import refusal
from server.project import ProjectIndex, project_defaults, settings_targets

logger = logging.getLogger(__name__)


def settings_config(
    root: Path, config: Config, entry_points: Iterable[Path], files: Iterable[Path], roots: Iterable[Path] | None = None
) -> Config:
    """`config` with the project's settings modules and what they configure (DRF defaults, the
    classes that limit attempts): `entry_points` are read for DJANGO_SETTINGS_MODULE, `files`
    are the project's Python files (or the settings modules among them). With `roots`, a named
    settings module the reading policy refuses there (a symlink out of them) is not one."""
    targets = settings_targets(root, entry_points)
    if roots is not None:
        allowed = tuple(roots)
        targets = tuple(t for t in targets if refusal(root / t, allowed) is None)
    defaults = project_defaults(root, targets, files)
    if targets or defaults:
        return dataclasses.replace(config, settings_modules=targets, project_settings=defaults)
    return config


class ProjectSession:
    """The project index of one root and the project rules of one engine over it."""

    def __init__(self, root: Path, engine: Engine, *, cache_dir: Path | None = None, secret: bytes | None = None) -> None:
        self.root = root
        self.engine = engine
        config = engine.config
        rules = engine.projects.rules()
        needs = {need for rule in rules for need in rule.needs}
        self.index = ProjectIndex(
            root, config.file_types, needs=needs, cache_dir=cache_dir, gatherers=engine.projects.gatherers(), secret=secret
        )
        self.enabled = bool(rules)  # project rules to run
        self.informs = bool(engine.projects.settings_rules())  # edit rules to tell about the project

    @property
    def config(self) -> Config:
        return self.engine.config

    @property
    def crashes(self) -> list[RuleCrash]:
        """Project rules that crashed in the last `check`."""
        return list(self.engine.project_crashes)

    @property
    def problems(self) -> dict[str, str]:
        """Files the index has no facts of, and why."""
        return self.index.problems

    def scan(self, paths: Iterable[Path]) -> None:
        for _ in self.scan_steps(paths):
            pass

    def scan_steps(self, paths: Iterable[Path], step: int = 50) -> Iterator[None]:
        """Index these files (the whole project: files no longer among them are dropped), pausing
        every `step` files; files unchanged on disk since the last scan are not read again."""
        return self.index.scan_steps(paths, step)

    def update(self, path: Path, text: str | None = None) -> None:
        """Re-index one file (a save: the editor's text; a watched change: from disk)."""
        self.index.update(path, text)

    def remove(self, path: Path) -> None:
        self.index.remove(path)

    def project_settings(self) -> tuple[str, ...]:
        """What the edit rules that read the whole project need from it (`RuleBase.project_needs`):
        entries for `Config.project_settings`, computed from the index."""
        if not self.informs:
            return ()
        return self.engine.projects.project_settings(self.index.facts(self.config.settings_modules))

    def check(
        self, lines_of: Callable[[str], Sequence[str]] | None = None, *, cancelled: Callable[[], bool] | None = None
    ) -> list[tuple[str, Diagnostic]]:
        """The project rules over the index; (path relative to the root, finding) pairs.
        `cancelled()` is asked between rules: when it says so, `Cancelled` is raised."""
        if not self.enabled:
            return []
        return self.engine.check_project(self.index.facts(self.config.settings_modules), lines_of, cancelled)
