"""The save tier in `--check`: project rules over several files (RV901, RV407)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from server.project import ProjectIndex

ROOT = Path(__file__).resolve().parent.parent


def reviewls(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env)


def make_project(root: Path) -> None:
    files = {
        "config/settings.py": "DEBUG = False\n",
        "config/settings/__init__.py": "",
        "config/settings/base.py": "import os\n\nSECRET_KEY = os.environ['SECRET_KEY']\nSTRIPE_KEY = os.getenv('STRIPE_KEY')\n",
        ".env.example": "SECRET_KEY=\nLEGACY_FLAG=1\n",
    }
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)


def test_check_reports_module_package_clash_and_undocumented_env(tmp_path: Path) -> None:
    make_project(tmp_path)
    result = reviewls("--check", ".", "--format", "json", "--no-cache", "--select", "RV901,RV407", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    got = sorted((d["path"], d["line"], d["code"], d["message"]) for d in json.loads(result.stdout)["diagnostics"])
    assert got == [
        (".env.example", 2, "RV407", "`LEGACY_FLAG` is listed but nothing in the code reads it"),
        ("config/settings.py", 1, "RV901", "`settings.py` sits beside the package `config/settings/`: `import settings` loads the package, this module is dead"),
        ("config/settings/base.py", 4, "RV407", "`STRIPE_KEY` is read here but .env.example does not list it"),
    ]


def test_fix_appends_the_missing_key(tmp_path: Path) -> None:
    make_project(tmp_path)
    out = reviewls("--check", ".", "--fix", "--no-cache", "--select", "RV407", cwd=tmp_path).stdout
    assert "fixed .env.example: RV407 x1" in out
    assert (tmp_path / ".env.example").read_text() == "SECRET_KEY=\nLEGACY_FLAG=1\nSTRIPE_KEY=\n"
    again = json.loads(reviewls("--check", ".", "--format", "json", "--no-cache", "--select", "RV407", cwd=tmp_path).stdout)
    assert [d["path"] for d in again["diagnostics"]] == [".env.example"]  # only the unread LEGACY_FLAG is left


def test_index_rereads_only_changed_files(tmp_path: Path) -> None:
    make_project(tmp_path)
    index = ProjectIndex(tmp_path)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    index.scan(files)
    first = index.reads
    index.scan(files)
    assert index.reads == first  # nothing changed, nothing re-read
    (tmp_path / "config/settings/base.py").write_text("import os\n\nSECRET_KEY = os.environ['SECRET_KEY']\n")
    index.update(tmp_path / "config/settings/base.py")
    assert index.reads == first + 1
    assert [u.key for u in index.facts().env_uses] == ["SECRET_KEY"]


def test_django_settings_module_target_is_reviewed_as_settings(tmp_path: Path) -> None:
    (tmp_path / "manage.py").write_text(
        "import os\n\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'shop.conf.prod')\n"
    )
    (tmp_path / "shop" / "conf").mkdir(parents=True)
    (tmp_path / "shop" / "conf" / "prod.py").write_text("DEBUG = True\n")
    (tmp_path / "shop" / "conf" / "other.py").write_text("DEBUG = True\n")
    result = reviewls("--check", ".", "--format", "json", "--no-cache", "--select", "RV404", cwd=tmp_path)
    assert [(d["path"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]] == [("shop/conf/prod.py", 1)]
