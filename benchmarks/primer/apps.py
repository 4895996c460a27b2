"""The primer's applications: pinned wheels from PyPI, fetched once, unpacked into `.primer-cache/`.

A wheel carries the application's Python source (and a few config files); `paths` picks the
folders that are its back end. pip checks each wheel against the pinned hash, so an app's
findings can only change when our code changes or its pin does.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CACHE = ROOT / ".primer-cache"
# what reviewls reads besides Python: requirements, compose, nginx, env examples, pyproject
KEEP_SUFFIXES = {".py", ".txt", ".toml", ".yml", ".yaml", ".conf", ".cfg", ".ini"}


@dataclass(frozen=True)
class App:
    name: str
    wheel: str  # "name==version"
    sha256: str
    paths: tuple[str, ...]
    frameworks: tuple[str, ...]

    @property
    def version(self) -> str:
        return self.wheel.partition("==")[2]

    @property
    def folder(self) -> Path:
        """Where the app is unpacked; the version is in the name so a new pin unpacks anew."""
        return CACHE / "apps" / f"{self.name}-{self.version}"


def load_apps(path: Path = HERE / "apps.toml") -> list[App]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return [
        App(a["name"], a["wheel"], a["sha256"], tuple(a["paths"]), tuple(a.get("frameworks", ())))
        for a in data["app"]
    ]


def _download(app: App) -> Path:
    wheels = CACHE / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    project = app.wheel.partition("==")[0].replace("-", "_").lower()
    for candidate in wheels.glob("*.whl"):
        if candidate.name.lower().startswith(f"{project}-{app.version}-"):
            return candidate
    requirements = CACHE / f"{app.name}.requirements.txt"
    requirements.write_text(f"{app.wheel} --hash=sha256:{app.sha256}\n", encoding="utf-8")
    log.info("downloading %s", app.wheel)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
         "--require-hashes", "-r", str(requirements), "-d", str(wheels)],
        check=True,
    )
    for candidate in wheels.glob("*.whl"):
        if candidate.name.lower().startswith(f"{project}-{app.version}-"):
            return candidate
    raise FileNotFoundError(f"pip downloaded no wheel for {app.wheel}")


def _wanted(name: str, paths: tuple[str, ...]) -> bool:
    pure = PurePosixPath(name)
    if pure.suffix not in KEEP_SUFFIXES and not pure.name.startswith(".env"):
        return False
    return any(name == p or name.startswith(p.rstrip("/") + "/") for p in paths)


def fetch(app: App) -> Path:
    """The app's unpacked folder, downloading and unpacking it the first time."""
    done = app.folder / ".unpacked"
    if done.exists():
        return app.folder
    wheel = _download(app)
    if app.folder.exists():
        shutil.rmtree(app.folder)
    app.folder.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as archive:
        for info in archive.infolist():
            if not info.is_dir() and _wanted(info.filename, app.paths) and ".." not in PurePosixPath(info.filename).parts:
                archive.extract(info, app.folder)
    # an empty config of its own: the app is reviewed with defaults, never with ours
    (app.folder / "reviewls.toml").write_text("", encoding="utf-8")
    done.write_text(app.sha256, encoding="utf-8")
    return app.folder


def line_count(app: App) -> tuple[int, int]:
    """(Python files, lines) of the app's reviewed folders."""
    files = lines = 0
    for rel in app.paths:
        target = app.folder / rel
        for path in [target] if target.is_file() else target.rglob("*.py"):
            if path.suffix == ".py":
                files += 1
                with path.open("rb") as handle:
                    lines += sum(1 for _ in handle)
    return files, lines
