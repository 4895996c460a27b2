"""The ecosystem check's bookkeeping: snapshots, the labelled sample, precision, preview rules.

Running the apps themselves is the `.ci/run` stage `python -m benchmarks.primer` (it downloads
them); these tests work offline on the committed snapshots and labels.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.primer import labels as labels_module
from benchmarks.primer.__main__ import diff, render_diff
from benchmarks.primer.apps import load_apps
from benchmarks.primer.labels import (
    PRECISION_FILE,
    VERDICTS,
    Label,
    LabelFile,
    precision_table,
    read_labels,
    render_precision,
    sample,
    write_labels,
)
from benchmarks.primer.snapshot import Finding, Snapshot, load_all
from rules import precision
from rules.precision import Measured
from rules.registry import all_rules
from server.config import Config, parse_table

ROOT = Path(__file__).resolve().parent.parent


def _snapshot(app: str, findings: list[Finding]) -> Snapshot:
    return Snapshot(app, f"{app}==1", 1, 10, tuple(sorted(findings)))


def _finding(n: int, code: str = "RV101") -> Finding:
    return Finding(f"m{n % 7}.py", n, code, f"fp{n}", "message")


def test_primer_covers_ten_apps_and_the_frameworks() -> None:
    apps = load_apps()
    assert len(apps) >= 10
    frameworks = {f for app in apps for f in app.frameworks}
    assert {"django", "drf", "fastapi", "flask", "sqlalchemy"} <= frameworks
    snapshots = load_all(apps)
    assert [s.app for s in snapshots] == [a.name for a in apps], "every app has a committed snapshot"
    assert sum(s.lines for s in snapshots) >= 300_000


def test_committed_precision_is_generated_from_labels_and_snapshots() -> None:
    table = precision_table([r.meta.code for r in all_rules()], load_all(load_apps()))
    assert PRECISION_FILE.read_text(encoding="utf-8") == render_precision(table), (
        "rules/precision.json is stale: python -m benchmarks.primer --precision"
    )


def test_every_verdict_is_known_and_explained() -> None:
    for rule in all_rules():
        for label in read_labels(rule.meta.code).labels:
            assert label.verdict in (*VERDICTS, ""), (rule.meta.code, label)
            if label.verdict:
                assert label.reason.strip(), f"{rule.meta.code}: {label.path}:{label.line} has a verdict without a reason"


def test_stable_rules_meet_the_bar_together() -> None:
    stable = [m for code, m in precision.measured().items() if m.stable and m.findings]
    true = sum(m.true for m in stable)
    false = sum(m.false for m in stable)
    assert stable, "no stable rule measured on the primer"
    assert true / (true + false) >= precision.STABLE_PRECISION


def test_sample_keeps_its_members_when_other_findings_go() -> None:
    findings = [_finding(n) for n in range(60)]
    chosen = sample("RV101", [_snapshot("a", findings)])
    assert len(chosen) == labels_module.SAMPLE
    assert chosen == sample("RV101", [_snapshot("a", list(reversed(findings)))]), "order of findings does not matter"
    gone = {item.finding for item in chosen[:5]}
    remaining = sample("RV101", [_snapshot("a", [f for f in findings if f not in gone])])
    assert {i.finding for i in chosen[5:]} <= {i.finding for i in remaining}, "the rest of the sample stays"
    assert len(remaining) == labels_module.SAMPLE


def test_labels_round_trip_and_count_only_the_current_sample(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(labels_module, "LABELS", tmp_path)
    findings = [_finding(n, "RV999") for n in range(3)]
    snap = _snapshot("a", findings)
    entries = [Label("a", f.path, f.fingerprint, f.line, f.message, 'print("x \\" y")', "TRUE", "debug print") for f in findings[:2]]
    entries.append(Label("a", "gone.py", "fpX", 1, "", "", "FALSE", "no longer reported"))
    write_labels(LabelFile("RV999", entries))
    assert read_labels("RV999").labels == entries
    counted = labels_module.tally("RV999", [snap])
    assert (counted.true, counted.false, counted.unlabelled, counted.findings) == (2, 0, 1, 3)


def test_a_label_follows_its_finding_not_an_inherited_fingerprint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two identical flagged lines get fingerprints #0 and #1; when the first stops being reported
    the second inherits #0. Its old label belonged to the other line and must not carry over."""
    monkeypatch.setattr(labels_module, "LABELS", tmp_path)
    first = Finding("x.py", 10, "RV999", "fp0", "m")
    write_labels(LabelFile("RV999", [Label("a", "x.py", "fp0", 10, "m", "", "FALSE", "the first copy is fine")]))
    inherited = Finding("x.py", 30, "RV999", "fp0", "m")  # the second copy, now fingerprinted #0
    assert labels_module.tally("RV999", [_snapshot("a", [first])]).false == 1
    assert labels_module.tally("RV999", [_snapshot("a", [inherited])]).unlabelled == 1


def test_diff_matches_by_identity_not_line() -> None:
    old = _snapshot("a", [Finding("x.py", 3, "RV101", "fp", "m"), Finding("x.py", 9, "RV203", "fq", "m")])
    new = _snapshot("a", [Finding("x.py", 5, "RV101", "fp", "m"), Finding("y.py", 1, "RV301", "fr", "m")])
    added, removed = diff(old, new)
    assert [f.code for f in added] == ["RV301"]
    assert [f.code for f in removed] == ["RV203"]
    text = "\n".join(render_diff("a", added, removed, limit=10))
    assert "RV203: +0 -1" in text and "+ y.py:1 RV301" in text


def test_snapshot_json_round_trips() -> None:
    snap = _snapshot("a", [_finding(1), _finding(2, "RV203")])
    assert Snapshot.from_json(snap.to_json()) == snap
    assert json.loads(snap.to_json())["counts"] == {"RV101": 1, "RV203": 1}


# ---- stable and preview rules -------------------------------------------------------------

@pytest.fixture
def rv101_in_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    table = {r.meta.code: Measured(true=20, findings=40) for r in all_rules()}
    table["RV101"] = Measured(true=5, false=10, findings=40)
    monkeypatch.setattr(precision, "measured", lambda: table)


def test_measured_stability() -> None:
    assert Measured(true=19, false=1, findings=50).stable
    assert not Measured(true=17, false=3, findings=50).stable
    assert not Measured(true=18, false=1, unlabelled=1, findings=50).stable, "an unlabelled sample is not a measure"
    assert not Measured(true=5, findings=50).stable, "too few labels"
    assert Measured(true=4, findings=4).stable, "all of a rare rule's findings are enough"
    assert Measured(lookalikes="judged on 5 look-alikes").stable and not Measured().stable


@pytest.mark.usefixtures("rv101_in_preview")
def test_preview_rules_are_off_unless_asked_for() -> None:
    def on(config: Config) -> bool:
        return any(r.meta.code == "RV101" for r in config.enabled_rules("app/x.py"))

    assert not on(Config())
    assert "preview" in Config().rule_states("app/x.py")["RV101"]
    assert on(parse_table({"preview": True}, "test"))
    assert on(parse_table({"select": ["RV101"]}, "test")), "an exact code turns a preview rule on"
    assert on(parse_table({"select": ["print-statement"]}, "test")), "so does its name"
    assert not on(parse_table({"select": ["RV1"]}, "test")), "a prefix does not"
    assert on(parse_table({"select": ["RV1"], "preview": True}, "test"))
    assert not on(parse_table({"preview": True, "ignore": ["RV101"]}, "test"))
    with pytest.raises(Exception, match="preview"):
        parse_table({"preview": "yes"}, "test")


def test_show_settings_names_preview_rules_and_why(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "server", "--check", "--show-settings", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    previews = [code for code, m in precision.measured().items() if not m.stable]
    for code in previews:
        line = next(line for line in done.stdout.splitlines() if f" {code} " in line)
        assert "preview:" in line and "--preview" in line
    with_flag = subprocess.run(
        [sys.executable, "-m", "server", "--check", "--show-settings", "--preview", str(tmp_path)], capture_output=True, text=True, cwd=ROOT
    )
    assert "preview:" not in with_flag.stdout
