"""Hand labels of a fixed sample of each rule's primer findings, and the precision they give.

The sample is a min-hash: each finding ranks by a hash of its identity and a rule keeps its
lowest-ranked `SAMPLE` findings. A finding keeps its rank whatever else changes, so when a rule
stops reporting false alarms the labelled findings that remain stay in the sample and only the
next-ranked ones need new labels.

Label files are `labels/RVxxx.toml`, one `[[label]]` table per sampled finding:
`app`, `path`, `line` (when labelled), `fingerprint`, `message`, `source` (the flagged line),
`verdict` ("TRUE", "FALSE", "DEBATABLE", or "" while unlabelled) and `reason` (one line).
A rule with no primer finding may say how it was judged instead: `lookalikes = "..."`.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.primer.apps import HERE, ROOT
from benchmarks.primer.snapshot import Finding, Snapshot

LABELS = HERE / "labels"
PRECISION_FILE = ROOT / "rules" / "precision.json"
SAMPLE = 20
VERDICTS = ("TRUE", "FALSE", "DEBATABLE")


@dataclass(frozen=True)
class Sampled:
    app: str
    finding: Finding

    @property
    def key(self) -> tuple[str, str, str, int]:
        return (self.app, self.finding.path, self.finding.fingerprint, self.finding.line)


@dataclass
class Label:
    app: str
    path: str
    fingerprint: str
    line: int = 0
    message: str = ""
    source: str = ""
    verdict: str = ""
    reason: str = ""

    @property
    def key(self) -> tuple[str, str, str, int]:
        # the line too: a fingerprint counts identical flagged code within a file, so when an earlier
        # copy stops being reported the next one inherits its fingerprint (the apps are pinned:
        # a finding's line only moves when the rule changes where it reports)
        return (self.app, self.path, self.fingerprint, self.line)


@dataclass
class LabelFile:
    code: str
    labels: list[Label] = field(default_factory=list)
    lookalikes: str = ""

    @property
    def path(self) -> Path:
        return LABELS / f"{self.code}.toml"


def _rank(code: str, sampled: Sampled) -> str:
    return hashlib.sha256(f"{code}\0{sampled.app}\0{sampled.finding.path}\0{sampled.finding.fingerprint}".encode()).hexdigest()


def sample(code: str, snapshots: Iterable[Snapshot], size: int = SAMPLE) -> list[Sampled]:
    """The rule's sampled findings, in a stable order (by app, path, line)."""
    found = [Sampled(s.app, f) for s in snapshots for f in s.findings if f.code == code]
    chosen = sorted(found, key=lambda item: _rank(code, item))[:size]
    return sorted(chosen, key=lambda item: (item.app, item.finding.path, item.finding.line))


def read_labels(code: str) -> LabelFile:
    path = LABELS / f"{code}.toml"
    if not path.exists():
        return LabelFile(code)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    labels = [Label(**{k: v for k, v in entry.items() if k in Label.__dataclass_fields__}) for entry in data.get("label", [])]
    return LabelFile(code, labels, str(data.get("lookalikes", "")))


def _toml(value: object) -> str:
    # JSON strings and integers are valid TOML values (basic strings with the same escapes)
    return json.dumps(value, ensure_ascii=False)


def write_labels(file: LabelFile) -> None:
    lines = [f"# {file.code}: labelled sample of its primer findings (python -m benchmarks.primer --sample {file.code})"]
    if file.lookalikes:
        lines.append(f"lookalikes = {_toml(file.lookalikes)}")
    for label in file.labels:
        lines += [
            "",
            "[[label]]",
            f"app = {_toml(label.app)}",
            f"path = {_toml(label.path)}",
            f"line = {label.line}",
            f"fingerprint = {_toml(label.fingerprint)}",
            f"message = {_toml(label.message)}",
            f"source = {_toml(label.source)}",
            f"verdict = {_toml(label.verdict)}",
            f"reason = {_toml(label.reason)}",
        ]
    LABELS.mkdir(parents=True, exist_ok=True)
    file.path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def refresh(code: str, snapshots: Sequence[Snapshot], source_line: "SourceLine") -> LabelFile:
    """Rewrite the rule's label file to its current sample, keeping the verdicts already given."""
    old = read_labels(code)
    known = {label.key: label for label in old.labels}
    labels: list[Label] = []
    for item in sample(code, snapshots):
        previous = known.get(item.key)
        finding = item.finding
        labels.append(
            Label(
                item.app,
                finding.path,
                finding.fingerprint,
                finding.line,
                finding.message,
                source_line(item.app, finding.path, finding.line),
                previous.verdict if previous else "",
                previous.reason if previous else "",
            )
        )
    file = LabelFile(code, labels, old.lookalikes)
    write_labels(file)
    return file


class SourceLine:
    """Reads the flagged line of a finding from the unpacked apps (for the labeller's eye)."""

    def __init__(self, folders: dict[str, Path]) -> None:
        self.folders = folders

    def __call__(self, app: str, path: str, line: int) -> str:
        try:
            text = (self.folders[app] / path).read_text(encoding="utf-8", errors="replace").splitlines()
        except (KeyError, OSError):
            return ""
        return text[line - 1].strip()[:200] if 0 < line <= len(text) else ""


@dataclass(frozen=True)
class Tally:
    true: int = 0
    false: int = 0
    debatable: int = 0
    unlabelled: int = 0
    findings: int = 0
    lookalikes: str = ""

    def as_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "true": self.true,
            "false": self.false,
            "debatable": self.debatable,
            "unlabelled": self.unlabelled,
            "findings": self.findings,
        }
        if self.lookalikes:
            out["lookalikes"] = self.lookalikes
        return out


def tally(code: str, snapshots: Sequence[Snapshot]) -> Tally:
    """Verdict counts over the rule's current sample (a label whose finding is gone does not count)."""
    labels = {label.key: label for label in read_labels(code).labels}
    counts = {verdict: 0 for verdict in VERDICTS}
    unlabelled = 0
    for item in sample(code, snapshots):
        label = labels.get(item.key)
        if label is None or label.verdict not in VERDICTS:
            unlabelled += 1
        else:
            counts[label.verdict] += 1
    findings = sum(s.counts[code] for s in snapshots)
    return Tally(counts["TRUE"], counts["FALSE"], counts["DEBATABLE"], unlabelled, findings, read_labels(code).lookalikes)


def precision_table(codes: Sequence[str], snapshots: Sequence[Snapshot]) -> dict[str, object]:
    """The content of rules/precision.json."""
    apps = [{"app": s.app, "wheel": s.wheel, "files": s.files, "lines": s.lines} for s in snapshots]
    return {
        "generated_by": "python -m benchmarks.primer --precision",
        "sample_per_rule": SAMPLE,
        "apps": apps,
        "rules": {code: tally(code, snapshots).as_dict() for code in codes},
    }


def render_precision(table: dict[str, object]) -> str:
    return json.dumps(table, indent=1) + "\n"
