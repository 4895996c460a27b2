"""Block cutting and its incremental update."""

from __future__ import annotations

import random

import pytest

from server.blocks import BlockIndex, BlockKind, Unit
from server.documents import Change, Document
from server.locate import split_lines

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


def _fresh_shape(doc: Document) -> list[tuple[int, str, str]]:
    return _shape(BlockIndex.build(doc.lines).units)


def test_a_decorator_left_open_takes_the_def_below_the_recut_region() -> None:
    # #13 item 7: the re-cut region ended at the old unit boundary, so `def b` kept a unit of its
    # own, where a fresh cut puts it with the decorator whose bracket now runs down to `2]]`
    text = "x = 1\n\n\n@app.get('/a')\ndef a():\n    return 1\n\n\ny = [1,\n2]]\n\n\ndef b():\n    return 2\n"
    doc = Document("u", "m.py", text)
    doc.apply(Change("", (3, 13), (3, 14)))  # the decorator's closing paren
    assert _shape(doc.index.units) == _fresh_shape(doc)
    assert [u.start for u in doc.index.units] == [0, 3]


def test_a_decorator_left_open_takes_the_method_below_the_recut_members() -> None:
    text = "class K:\n    a = 1\n\n    @cache(1)\n    def f(self):\n        return 1\n\n    def h(self):\n        return (3))\n\n    def g(self):\n        return 2\n"
    doc = Document("u", "m.py", text)
    doc.apply(Change("", (3, 12), (3, 13)))
    assert _shape(doc.index.units) == _fresh_shape(doc)


def test_an_unclosed_bracket_cuts_the_document_as_a_fresh_open_does() -> None:
    # the broken region used to be cut from where the edit's scan began, keeping a unit (a
    # decorator whose bracket an earlier edit had closed far below) that a fresh cut splits up
    text = (
        "import logging\n\nimport requests\n\nlogger = logging.getLogger(__name__)\nrouter = APIRouter()\n\n\n"
        '@router.get("/")\ndef get_order(order_id):\n    return order_id\n\n\n'
        "def order_total(lines):\n    return sum(lines)\n\n\ndef order_total(lines):\n    return len(lines)\n"
    )
    doc = Document("u", "m.py", text)
    for at, typed in (((8, 1), "("), ((16, 0), ")"), ((0, 0), "(")):
        doc.apply(Change(typed, at, at))
        assert _shape(doc.index.units) == _fresh_shape(doc)
        assert [u.provisional for u in doc.index.units] == [u.provisional for u in BlockIndex.build(doc.lines).units]


def test_a_method_indented_after_a_form_feed_stays_in_its_class() -> None:
    text = "class K:\n    a = 1\n\f    def f(self):\n        return 1\n\n    def g(self):\n        return 2\n"
    index = BlockIndex.build(split_lines(text))
    assert [u.start for u in index.units] == [0]
    # the form-fed method stays with the member above it: libcst cannot parse it first in a class body
    assert [(b.offset, b.kind.value) for b in index.units[0].blocks] == [(0, "class-header"), (1, "class-member"), (5, "class-member")]
