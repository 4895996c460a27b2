"""Lines break where the LSP and Python break them: LF, CRLF and CR, nothing else (#13 item 6).

`str.splitlines` also breaks at form feed, vertical tab, U+2028 and a few more; a document cut
that way has more lines than the editor, so every position below such a character drifted.
"""

from __future__ import annotations

from rules.api import TextEdit
from server.blocks import BlockIndex
from server.documents import Change, Document
from server.engine import Engine
from server.fixes import fix_all
from server.locate import split_lines


def _apply(text: str, edits: tuple[TextEdit, ...]) -> str:
    """Apply edits the way an LSP client does: lines split at LF, CRLF and CR."""
    lines = split_lines(text)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_col), reverse=True):
        a = starts[edit.start_line - 1] + edit.start_col
        b = starts[edit.end_line - 1] + edit.end_col
        text = text[:a] + edit.text + text[b:]
    return text


def test_split_lines_breaks_at_lf_crlf_and_cr_only() -> None:
    text = "a\fb\vc\x1cd\x85e\u2028f\u2029g\r\nh\ri\nj"
    assert split_lines(text) == ["a\fb\vc\x1cd\x85e\u2028f\u2029g\r\n", "h\r", "i\n", "j"]
    assert split_lines("x = 1\n") == ["x = 1\n"]
    assert split_lines("\r\r\n\n") == ["\r", "\r\n", "\n"]
    assert split_lines("") == []


def test_a_document_has_the_lines_the_editor_has() -> None:
    doc = Document("u", "m.py", "x = 1\f\ny = '\u2028'\n")
    assert doc.lines == ["x = 1\f\n", "y = '\u2028'\n"]
    doc.apply(Change("\f", (1, 0), (1, 0)))
    assert doc.lines == ["x = 1\f\n", "\fy = '\u2028'\n"]
    doc.apply(Change("z = 2\x1c\n"))
    assert doc.lines == ["z = 2\x1c\n"]


def test_a_quick_fix_below_a_form_feed_edits_its_own_line() -> None:
    # the report: the fix landed one line up and produced `return data, timeout=10`
    text = "import requests\n\f\n\ndef notify(data):\n    return requests.post(URL, json=data)\n"
    engine = Engine()
    (finding,) = engine.analyze(Document("u", "app/notify.py", text).snapshot()).findings
    assert (finding.code, finding.span.line) == ("RV301", 5)
    fixed = fix_all(engine, "app/notify.py", text).text
    assert fixed == text.replace("json=data)", "json=data, timeout=10)")


def test_a_statement_indented_after_a_form_feed_stays_in_its_class() -> None:
    # Python resets the indentation count at a form feed: the method is inside the class
    text = "import requests\n\n\nclass Client:\n    retries = 3\n\f    def fetch(self):\n        return requests.get(URL)\n"
    analysis = Engine().analyze(Document("u", "app/client.py", text).snapshot())
    assert analysis.syntax_errors == ()
    assert [(f.code, f.span.line) for f in analysis.findings] == [("RV301", 7)]


def test_a_lone_cr_then_an_inserted_lf_is_one_line_break() -> None:
    doc = Document("u", "m.py", "x = 1\ry = 2\r")
    doc.apply(Change("\n", (1, 0), (1, 0)))  # right after the first CR: it becomes a CRLF
    assert doc.lines == ["x = 1\r\n", "y = 2\r"]
    doc.apply(Change("\n", (2, 0), (2, 0)))  # at the end of the document
    assert doc.lines == ["x = 1\r\n", "y = 2\r\n"]
    fresh = BlockIndex.build(doc.lines)
    assert [(u.start, u.line_count) for u in doc.index.units] == [(u.start, u.line_count) for u in fresh.units]


def test_a_class_member_below_a_header_ending_in_a_lone_cr_is_placed_on_its_line() -> None:
    text = "import requests\r\r\rclass Client:\r    def fetch(self):\r        return requests.get(URL)\r"
    (finding,) = Engine().analyze(Document("u", "app/client.py", text).snapshot()).findings
    assert (finding.code, finding.span.line, finding.span.col) == ("RV301", 6, 15)


def test_a_fix_in_a_file_with_lone_cr_line_breaks_edits_its_own_line() -> None:
    text = "import requests\r\r\rdef notify(data):\r    return requests.post(URL, json=data)\r"
    engine = Engine()
    snapshot = Document("u", "app/notify.py", text).snapshot()
    (finding,) = engine.analyze(snapshot).findings
    fix = engine.build_fix(snapshot, finding)
    assert fix is not None
    assert _apply(text, fix.edits) == text.replace("json=data)", "json=data, timeout=10)")


def test_config_files_count_lines_as_the_editor_does() -> None:
    """A form feed or U+2028 inside a requirements or .env.example line is not a line break."""
    from server.configfiles import read_dotenv, read_requirements

    requirements = read_requirements("django==5.2  # pinned\f\nrequests\u2028\nhttpx\n", "requirements.txt")
    assert [(r.name, r.span.line) for r in requirements.entries] == [("django", 1), ("requests", 2), ("httpx", 3)]
    dotenv = read_dotenv("A=1\fB\nSECRET_KEY=\nC=\r")
    assert [(k.key, k.span.line) for k in dotenv.keys] == [("A", 1), ("SECRET_KEY", 2), ("C", 3)]


def test_fix_all_in_a_file_with_lone_cr_line_breaks_applies_the_fix() -> None:
    """`--fix` placed edits by LF only: in a CR-only file every fix landed on line 1 and was
    dropped as "the result does not parse"."""
    from server.config import Config
    from server.engine import Engine
    from server.fixes import fix_all

    source = "import requests\r\rURL = 'https://x'\r\r\rdef pay():\r    return requests.get(URL)\r"
    fixed = fix_all(Engine(Config(select=("RV301",))), "app/pay.py", source)
    assert fixed.text == source.replace("requests.get(URL)", "requests.get(URL, timeout=10)")
