"""Block cutting and its incremental update."""

from __future__ import annotations

import random

import pytest

from server.blocks import BlockIndex, BlockKind, Unit
from server.documents import Change, Document

MODULE = '''"""Orders."""
import requests

# the one service
@decorator
class OrderService(Base):
    """Docstring."""

    retries = 3
    timeout = 10

    # computes totals
    def total(self, order):
        return sum(
            line.amount
for line in order.lines
        )

    @property
    def name(self):
        return "x"

    class Meta:
        ordering = ["id"]


SQL = """
SELECT *
def not_a_block():
"""


def helper(x):
    if x:
        return 1
    else:
        return 2
try:
    import ujson
except ImportError:
    ujson = None
'''


def _shape(units: list[Unit]) -> list[tuple[int, str, str]]:
    return [(u.start + b.offset, b.kind.value, b.text.splitlines()[0] if b.text.strip() else "") for u in units for b in u.blocks]


def test_cut_follows_statements_members_and_strings() -> None:
    index = BlockIndex.build(MODULE.splitlines(keepends=True))
    assert _shape(index.units) == [
        (0, "statement", '"""Orders."""'),
        (1, "statement", "import requests"),
        (3, "class-header", "# the one service"),
        (6, "class-member", '    """Docstring."""'),
        (11, "class-member", "    # computes totals"),
        (18, "class-member", "    @property"),
        (22, "class-member", "    class Meta:"),
        (26, "statement", 'SQL = """'),
        (32, "statement", "def helper(x):"),
        (37, "statement", "try:"),
    ]


def test_every_block_parses_alone_with_its_frame() -> None:
    import libcst as cst

    for _, block in BlockIndex.build(MODULE.splitlines(keepends=True)).blocks():
        cst.parse_module(block.parse_text)
        if block.kind is BlockKind.CLASS_MEMBER:
            assert block.parse_text.startswith("# the one service\n@decorator\nclass OrderService(Base):\n")


def _check_partition(index: BlockIndex, lines: list[str]) -> None:
    position = 0
    for unit in index.units:
        assert unit.start == position
        assert "".join(b.text for b in unit.blocks).rstrip("\n") == "".join(lines[unit.start : unit.end]).rstrip("\n")
        position = unit.end
    assert position == len(lines)


@pytest.mark.parametrize("seed", range(6))
def test_incremental_update_matches_a_fresh_cut(seed: int) -> None:
    rng = random.Random(seed)
    doc = Document("u", "m.py", MODULE * 3)
    snippets = ["x = 1\n", "    y = 2\n", "def f():\n    return 3\n", "# note\n", "class K:\n    a = 1\n", ")\n", '"""\n']
    for _ in range(120):
        line = rng.randrange(len(doc.lines) + 1)
        if rng.random() < 0.5 and line < len(doc.lines):
            doc.apply(Change("", (line, 0), (line + 1, 0)))
        else:
            doc.apply(Change(rng.choice(snippets), (line, 0), (line, 0)))
        _check_partition(doc.index, doc.lines)
        fresh = BlockIndex.build(doc.lines)
        if not any(u.provisional for u in fresh.units) and not any(u.provisional for u in doc.index.units):
            assert _shape(doc.index.units) == _shape(fresh.units)


def test_an_edit_rescans_only_nearby_units() -> None:
    text = "".join(f"def f{i}():\n    return {i}\n\n\n" for i in range(500))
    doc = Document("u", "m.py", text)
    doc.apply(Change("    x = 1\n", (1000, 0), (1000, 0)))
    assert doc.index.rescanned_lines < 20


def test_unclosed_string_breaks_only_its_region() -> None:
    text = "def a():\n    return 1\n\n\ndef b():\n    return 2\n\n\ndef c():\n    return 3\n"
    doc = Document("u", "m.py", text)
    doc.apply(Change('x = """', (5, 4), (5, 4)))  # typing an opening quote inside b()
    starts = [u.start for u in doc.index.units]
    assert starts == [0, 4, 8]
    assert [u.provisional for u in doc.index.units] == [False, True, False]
    doc.apply(Change("", (5, 4), (5, 11)))  # and deleting it again
    assert not any(u.provisional for u in doc.index.units)
    assert doc.text == text
