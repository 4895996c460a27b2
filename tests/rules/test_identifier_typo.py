"""RV104 identifier-typo: the word splitter, codespell's dictionaries, the collected facts and the fix."""

from __future__ import annotations

import logging
import pickle
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from rules.api import ModuleContext, TextEdit
import importlib
from rules.api.project import ProjectReport, ProjectView, SourceFile, collect_kind
from rules.api.symbols import collect_symbols
from rules.api.spelling import (
    english_words,
    is_english,
    match_case,
    misspellings,
    parse_corrections,
    split_words,
    typo_neighbours,
    word_spans,
)
from rules.hygiene.identifier_typo import FileWords, IdentifierTypo


def run(files: dict[str, str], **options: object) -> list[ProjectReport]:
    """RV104's collect and check over an in-memory project, as the index runs them."""
    rule = IdentifierTypo(ModuleContext(path="."), IdentifierTypo.Options(**options) if options else None)  # type: ignore[arg-type]
    collected: dict[str, object] = {}
    symbols: dict[str, object] = {}
    for path, text in files.items():
        source = SourceFile(path, textwrap.dedent(text))
        value = rule.collect(source)
        if value is not None:
            collected[path] = pickle.loads(pickle.dumps(value))  # the index keeps it on disk for --check
        module = collect_symbols(source)
        if module is not None:
            symbols[path] = module
    view = ProjectView(".", (), (), tuple(files), (), kinds={"symbols": symbols, collect_kind(IdentifierTypo): collected})
    rule.check(view)
    return sorted(rule.project_reports, key=lambda r: (r.path, r.span.line))


def apply(text: str, edits: tuple[TextEdit, ...]) -> str:
    lines = text.splitlines(keepends=True)
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_col), reverse=True):
        assert edit.start_line == edit.end_line
        line = lines[edit.start_line - 1]
        lines[edit.start_line - 1] = line[: edit.start_col] + edit.text + line[edit.end_col :]
    return "".join(lines)


# the word splitter


@pytest.mark.parametrize(
    ("identifier", "expected"),
    [
        ("get_curernt_user", ("get", "curernt", "user")),
        ("recievePayment", ("recieve", "payment")),
        ("HTTPResponseCode", ("http", "response", "code")),
        ("getHTTP2Url", ("get", "http", "url")),
        ("SEND_NOTIFCATION", ("send", "notifcation")),
        ("_private__name_", ("private", "name")),
        ("oauth2client", ("oauth", "client")),
        ("X", ("x",)),
        ("größe_value", ()),  # non-ASCII: not judged against an English dictionary
    ],
)
def test_split_words(identifier: str, expected: tuple[str, ...]) -> None:
    assert split_words(identifier) == expected


def test_word_spans_locate_each_word_in_the_identifier() -> None:
    assert word_spans("sendNotifcationNow") == ((0, 4, "send"), (4, 15, "notifcation"), (15, 18, "now"))


@pytest.mark.parametrize(("word", "like", "expected"), [("receive", "recieve", "receive"), ("receive", "Recieve", "Receive"), ("receive", "RECIEVE", "RECEIVE")])
def test_match_case(word: str, like: str, expected: str) -> None:
    assert match_case(word, like) == expected


# codespell's dictionaries


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("receive", ("receive",)),
        ("and, bad,", ("and", "bad")),  # several suggestions: no automatic fix
        ("input, in out,", ("input",)),  # a suggestion of two words is no identifier word
        ("children, child's,", ("children",)),
        ("class, disabled because of name clash in c++", None),  # a reason: codespell disables the entry
    ],
)
def test_parse_corrections(data: str, expected: tuple[str, ...] | None) -> None:
    assert parse_corrections(data) == expected


def test_misspellings_come_from_codespells_main_dictionary_once() -> None:
    table = misspellings()
    assert table is misspellings()  # read once per process
    assert table["recieve"] == ("receive",)
    assert table["seperator"] == ("separator",)
    assert len(table["wether"]) == 2
    # not misspellings in code: codespell's "code" dictionary (`creat`, `deque`), its "rare" one
    # (valid words: `bale`, `brunch`), and main-dictionary entries that are code terms
    for word in ("creat", "deque", "referer", "bale", "brunch", "datas", "inout"):
        assert word not in table


def test_the_vocabulary_knows_english_and_its_inflections() -> None:
    assert len(english_words()) > 15_000
    for word in ("receive", "notification", "colour", "analyse", "referer", "unread", "resend", "retried", "stopped", "filename"):
        assert is_english(word), word
    for word in ("notifcation", "curernt", "recieve", "mssql"):
        assert not is_english(word), word


def test_typo_neighbours_are_slips_inside_the_word() -> None:
    assert "notification" in set(typo_neighbours("notifcation"))  # a letter missing
    assert "current" in set(typo_neighbours("curernt"))  # two swapped
    assert "settings" in set(typo_neighbours("sertings"))  # a neighbouring key
    assert "payment" in set(typo_neighbours("paymnent"))  # a letter too many, next to its neighbour
    assert "mysql" not in set(typo_neighbours("mssql"))  # `s` and `y` are far apart
    assert "press" not in set(typo_neighbours("preis"))
    assert "user" not in set(typo_neighbours("users"))  # inflections change the end
    assert "reset" not in set(typo_neighbours("preset"))  # other words change the start


@pytest.fixture
def no_codespell(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(importlib.import_module("rules.api.spelling"), "_data_folder", lambda: None)
    for cached in (misspellings, english_words, is_english):
        cached.cache_clear()
    yield
    monkeypatch.undo()
    for cached in (misspellings, english_words, is_english):
        cached.cache_clear()


def test_without_codespell_the_rule_finds_nothing_and_says_why(no_codespell: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        assert misspellings() == {}
        assert run({"app/a.py": "def recieve_payment(order):\n    return order\n"}) == []
    assert "codespell's dictionary was not found" in caplog.text


# collect


def test_collect_keeps_only_suspicious_names_and_long_words() -> None:
    source = SourceFile(
        "app/pay.py",
        "import os\n\n\nclass Payments:\n    def recieve_payment(self, order):\n        self.total = order\n        return os.getenv('X')\n",
    )
    collected = IdentifierTypo(ModuleContext(path=".")).collect(source)
    assert isinstance(collected, FileWords)
    assert [d.name for d in collected.names] == ["recieve_payment"]
    assert collected.names[0].owners == ()  # `Payments` has no base: nothing outside defines the method
    assert all(len(word) >= 5 for word, _ in collected.counts)
    assert dict(collected.counts)["payment"] == 1
    assert pickle.loads(pickle.dumps(collected)) == collected


def test_collect_skips_migrations_and_files_that_do_not_parse() -> None:
    rule = IdentifierTypo(ModuleContext(path="."))
    assert rule.collect(SourceFile("app/migrations/0001_initial.py", "def recieve(apps, schema_editor):\n    pass\n")) is None
    assert rule.collect(SourceFile("app/a.py", "def recieve(:\n")) is None


# check and the fix


def test_fix_renames_the_definition_and_its_uses_in_the_file() -> None:
    code = textwrap.dedent(
        """\
        class PaymentService:
            def recieve_payment(self, order, ammount):
                self.ammount = ammount
                return self.recieve_payment


        def handle(service, order):
            match order:
                case {"kind": kind} if service.recieve_payment:
                    return service.recieve_payment(order, ammount=10)
        """
    )
    reports = run({"app/pay.py": code})
    assert [(r.span.line, r.message) for r in reports] == [
        (2, "`recieve_payment`: `recieve` is a misspelling of `receive`"),
        (2, "`ammount`: `ammount` is a misspelling of `amount`"),
    ]
    fixed = code
    for report in reports:
        assert report.fix is not None
        assert report.fix.title.endswith("in this file (other modules keep the old name)")
        fixed = apply(fixed, report.fix.edits)
    assert fixed == code.replace("recieve_payment", "receive_payment").replace("ammount", "amount")


def test_a_word_misspelled_in_several_names_of_a_file_is_one_finding_whose_fix_renames_all() -> None:
    code = "SEPERATOR = ','\nLINE_SEPERATOR = '\\n'\n\n\ndef split(text, seperator=SEPERATOR):\n    return text.split(seperator or LINE_SEPERATOR)\n"
    reports = run({"app/text.py": code})
    assert len(reports) == 1
    assert reports[0].message == "`SEPERATOR`: `seperator` is a misspelling of `separator` (also in 2 more names of this file)"
    assert reports[0].fix is not None
    assert apply(code, reports[0].fix.edits) == code.replace("SEPERATOR", "SEPARATOR").replace("seperator", "separator")


def test_spans_count_code_points_on_lines_with_other_scripts() -> None:
    code = "TITRE = 'Été'; SEPERATOR = ','\nprint('é', SEPERATOR)\n"
    reports = run({"app/fr.py": code})
    assert [(r.span.line, r.span.col, r.span.end_col) for r in reports] == [(1, 15, 24)]
    assert reports[0].fix is not None
    assert apply(code, reports[0].fix.edits) == code.replace("SEPERATOR", "SEPARATOR")


def test_uses_in_decorators_and_match_cases_are_renamed() -> None:
    code = textwrap.dedent(
        """\
        import functools


        @functools.singledispatch
        def recieve(value):
            return value


        @recieve.register
        def _(value: int):
            match value:
                case 1:
                    return recieve(str(value))
        """
    )
    reports = run({"app/d.py": code})
    assert len(reports) == 1 and reports[0].fix is not None
    assert apply(code, reports[0].fix.edits) == code.replace("recieve", "receive")


def test_ambiguous_misspelling_is_reported_without_a_fix() -> None:
    reports = run({"app/w.py": "def wether_ok(x):\n    return x\n"})
    assert [r.message for r in reports] == ["`wether_ok`: `wether` is a misspelling of `weather` or `whether`"]
    assert reports[0].fix is None


def test_the_projects_vocabulary_names_the_word_and_how_often_it_is_used() -> None:
    files = {
        "app/billing.py": "def subscription_text(subscription):\n    return subscription.text\n\n\nSUBSCRIPTION_KINDS = ()\n",
        "app/render.py": "from app.billing import subscription_text\n\n\ndef render(subscription):\n    return subscription_text(subscription)\n",
        "app/renew.py": "def renew_subscripton(user):\n    return user\n",
    }
    reports = run(files)
    assert [(r.path, r.message) for r in reports] == [
        ("app/renew.py", "`renew_subscripton`: `subscripton` looks like a misspelling of `subscription`, which this project uses 8 times"),
    ]
    # the same word, twice more in the project: no longer rare, so the project's own spelling
    files["app/other.py"] = "def subscripton_id(subscripton):\n    return subscripton\n"
    assert run(files) == []


def test_overrides_of_classes_from_outside_the_project_stay_quiet_through_project_bases() -> None:
    files = {
        "app/base.py": "from django.views import View\n\n\nclass BaseView(View):\n    pass\n\n\nclass Plain:\n    pass\n",
        "app/views.py": (
            "from app.base import BaseView, Plain\n\n\n"
            "class Inbox(BaseView):\n    def recieve(self):\n        return 1\n\n\n"
            "class Outbox(Plain):\n    def recieve(self):\n        return 2\n"
        ),
    }
    reports = run(files)
    # `recieve` is a method of both: in `Inbox` it may override Django's, so the name is left alone
    assert reports == []
    files["app/views.py"] = files["app/views.py"].replace("class Inbox(BaseView)", "class Inbox(Plain)")
    assert [(r.path, r.span.line) for r in run(files)] == [("app/views.py", 5)]


def test_ignore_words_option() -> None:
    assert run({"app/a.py": "def recieve(x):\n    return x\n"}, ignore_words=("Recieve",)) == []


def test_findings_run_through_the_project_session(tmp_path: Path) -> None:
    """The engine's path: RV104 as a project rule of `--check`, with its finding's fix offered."""
    from server.config import Config
    from server.engine import Engine
    from server.projectsession import ProjectSession

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "pay.py").write_text("def recieve_payment(order):\n    return order\n")
    session = ProjectSession(tmp_path, Engine(Config(select=("RV104",))))
    session.scan([tmp_path / "app" / "pay.py"])
    pairs = session.check()
    assert [(path, f.code, f.span.line, f.fix is not None) for path, f in pairs] == [("app/pay.py", "RV104", 1, True)]
