"""Install reviewls and its dependencies into bundled/libs for one platform.

Pure-Python packages go to `libs/common` once; packages with compiled extensions (libcst,
PyYAML) go to `libs/cp3XX` for every supported Python, from the registry's wheels for the
target platform, so the .vsix works with any of those interpreters without a compiler.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ROOT = HERE.parent.parent
PYTHONS = ("3.11", "3.12", "3.13", "3.14")
PLATFORMS = {
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
    "linux-arm64": ("manylinux_2_28_aarch64", "manylinux_2_17_aarch64", "manylinux2014_aarch64"),
    "darwin-arm64": ("macosx_11_0_arm64", "macosx_12_0_arm64", "macosx_14_0_arm64"),
    "win32-x64": ("win_amd64",),
}
NATIVE = ("libcst", "yaml", "_yaml", "PyYAML", "pyyaml")


def pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args], check=True)


def platform_args(target: str, python: str) -> list[str]:
    args = ["--only-binary=:all:", "--implementation", "cp", "--python-version", python]
    for tag in PLATFORMS[target]:
        args += ["--platform", tag]
    return args


def is_native(entry: Path) -> bool:
    name = entry.name.split("-")[0].split(".")[0]
    return name in NATIVE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--target", choices=sorted(PLATFORMS), default="linux-x64")
    options = parser.parse_args()
    libs = HERE / "bundled" / "libs"
    shutil.rmtree(libs, ignore_errors=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", tmp, str(ROOT)], check=True)
        wheel = next(Path(tmp).glob("reviewls-*.whl"))
        first, *others = PYTHONS
        common = libs / "common"
        pip("--target", str(common), *platform_args(options.target, first), str(wheel))
        native_dir = libs / f"cp{first.replace('.', '')}"
        native_dir.mkdir(parents=True)
        pins = []
        for entry in sorted(common.iterdir()):
            if is_native(entry):
                if entry.name.endswith(".dist-info"):
                    project, version = entry.name[: -len(".dist-info")].rsplit("-", 1)
                    pins.append(f"{project}=={version}")
                shutil.move(str(entry), native_dir / entry.name)
        for python in others:
            pip("--no-deps", "--target", str(libs / f"cp{python.replace('.', '')}"), *platform_args(options.target, python), *pins)
    # Not shipped (the .vsix takes all of bundled/libs): console scripts, byte code, and the
    # libraries' own test suites (libcst's are 160 files per Python). Fewer files also keep vsce's
    # secret scan, which grows with the square of the file count, short.
    shutil.rmtree(common / "bin", ignore_errors=True)
    for name in ("__pycache__", "tests"):
        for folder in sorted(libs.rglob(name), reverse=True):
            if folder.is_dir():
                shutil.rmtree(folder, ignore_errors=True)
    sys.stdout.write(f"bundled {', '.join(sorted(p.name for p in libs.iterdir()))} for {options.target} ({', '.join(pins)})\n")


if __name__ == "__main__":
    main()
