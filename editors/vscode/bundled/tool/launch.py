"""Start the reviewls language server for the VS Code extension.

Run as a script (`python launch.py`), so the workspace's own directories never shadow our
packages the way `python -m` would. REVIEWLS_IMPORT_STRATEGY=useBundled puts the libraries
bundled with the extension first on sys.path (pure-Python ones in `libs/common`, compiled
ones per Python version in `libs/cp3XX`); fromEnvironment uses the interpreter's own install.
"""

from __future__ import annotations

import os
import sys

NOT_AVAILABLE = 3  # the extension shows this exit as "reviewls is not available"


def _fail(message: str) -> None:
    sys.stderr.write(f"reviewls: {message}\n")
    sys.exit(NOT_AVAILABLE)


def _use_bundled() -> None:
    libs = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "libs")
    tag = f"cp{sys.version_info[0]}{sys.version_info[1]}"
    native = os.path.join(libs, tag)
    if not os.path.isdir(native):
        versions = sorted(name for name in os.listdir(libs) if name.startswith("cp")) if os.path.isdir(libs) else []
        _fail(
            f"the bundled reviewls has no build for Python {sys.version_info[0]}.{sys.version_info[1]} "
            f"(bundled: {', '.join(versions) or 'none'}); pick another interpreter or set reviewls.importStrategy to fromEnvironment"
        )
    sys.path[0:0] = [native, os.path.join(libs, "common")]


def main() -> None:
    if sys.version_info < (3, 11):
        _fail(f"reviewls needs Python 3.11 or newer; {sys.executable} is {sys.version.split()[0]}")
    if os.environ.get("REVIEWLS_IMPORT_STRATEGY", "useBundled") == "useBundled":
        _use_bundled()
    try:
        from server.cli import main as serve
    except ImportError as exc:
        _fail(f"reviewls is not installed for {sys.executable} ({exc}); install it into that environment (from a clone: `pip install /path/to/reviewls`; see the README's Install section) or use the bundled one")
    sys.exit(serve(sys.argv[1:]))


if __name__ == "__main__":
    main()
