#!/usr/bin/env bash
# The release workflow's Python part that runs without credentials (.github/workflows/release.yml
# runs this script before it publishes; .ci/run runs it on every change):
#   1. build the sdist and the wheel with `python -m build` (the wheel is built from the unpacked
#      sdist, so a file the sdist lacks fails here, not on a user's machine)
#   2. `twine check --strict` both (metadata, and the README as PyPI will render it)
#   3. install the wheel into a clean venv (its dependencies from PyPI, nothing from this checkout)
#      and review the demo with it, as the README does: `reviewls --check examples/shop`; the
#      findings (JSON) and the exit code must equal the development tree's.
# Usage: bash scripts/release_check.sh [DIST_DIR]   (default dist/)
#   PYTHON: an interpreter with the dev extras (build, twine); default .venv/bin/python
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
DIST=$(mkdir -p "${1:-$ROOT/dist}" && cd "${1:-$ROOT/dist}" && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$ROOT"
unset PYTHONPATH
step() { local start=$SECONDS; "$@"; echo "release check: $(( SECONDS - start ))s: $*" | cut -c1-140 >&2; }

# 1. sdist and wheel
rm -f "$DIST"/reviewls-*
start=$SECONDS
if ! "$PYTHON" -m build --outdir "$DIST" . > "$WORK/build.log" 2>&1; then
  cat "$WORK/build.log" >&2; exit 1
fi
echo "release check: $(( SECONDS - start ))s: python -m build" >&2
version=$("$PYTHON" -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
extension=$("$PYTHON" -c 'import json; print(json.load(open("editors/vscode/package.json"))["version"])')
if [ "$version" != "$extension" ]; then
  echo "release check: pyproject.toml says $version, editors/vscode/package.json $extension" >&2; exit 1
fi
sdist="$DIST/reviewls-$version.tar.gz"
wheel="$DIST/reviewls-$version-py3-none-any.whl"
for file in "$sdist" "$wheel"; do
  [ -f "$file" ] || { echo "release check: $file was not built" >&2; exit 1; }
done

# 2. metadata
step "$PYTHON" -m twine check --strict "$sdist" "$wheel"

# 3. the wheel alone in a clean venv reviews the demo like the development tree
step python3 -m venv "$WORK/venv"
step "$WORK/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$wheel"
installed=$(cd "$WORK" && "$WORK/venv/bin/python" -c 'import rules, server; print(server.__file__, rules.__file__)')
case "$installed" in
  "$WORK/venv/"*" $WORK/venv/"*) ;;
  *) echo "release check: the venv imports reviewls from outside it: $installed" >&2; exit 1 ;;
esac
[ "$("$WORK/venv/bin/reviewls" --version)" = "reviewls $version" ]
set +e
"$WORK/venv/bin/reviewls" --check examples/shop --no-cache --format json > "$WORK/wheel.json"
wheel_status=$?
"$PYTHON" -m server --check examples/shop --no-cache --format json > "$WORK/tree.json"
tree_status=$?
set -e
"$PYTHON" - "$WORK/wheel.json" "$WORK/tree.json" "$wheel_status" "$tree_status" <<'EOF'
"""Compare the wheel's review of the demo with the development tree's."""
import json
import sys

wheel, tree = (json.load(open(path, encoding="utf-8")) for path in sys.argv[1:3])
wheel_status, tree_status = sys.argv[3:5]
if (wheel, wheel_status) != (tree, tree_status):
    sys.exit(f"release check: the wheel's findings on examples/shop (exit {wheel_status}) differ from the tree's (exit {tree_status})")
codes = sorted({d["code"] for d in wheel["diagnostics"]})
if not codes:
    sys.exit("release check: the wheel found nothing in examples/shop")
sys.stderr.write(f"release check: the wheel reviews examples/shop like the tree: {len(wheel['diagnostics'])} findings ({', '.join(codes)}), exit {wheel_status}\n")
EOF
echo "release check passed: $(basename "$sdist") $(basename "$wheel") in $DIST" >&2
