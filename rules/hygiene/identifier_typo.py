"""RV104 identifier-typo."""

from __future__ import annotations

import ast
import bisect
import builtins
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from rules.api import Fix, Invalid, RuleMeta, Safety, Severity, Span, TextEdit, Valid
from rules.api.context import Role
from rules.api.project import SYMBOLS, ProjectRule, ProjectView, SourceFile
from rules.api.symbols import Resolved, Symbols
from rules.api.spelling import is_english, match_case, misspellings, typo_neighbours, word_spans

MIN_WORD = 5  # shorter words are abbreviations in code far more often than typos (`ser`, `parm`, `indx`)
RARE = 2  # a word the project's vocabulary calls a typo occurs at most this often in the whole project
COMMON = 5  # ... and is one edit away from a word used at least this often
COMMON_FILES = 2  # ... in at least this many files
# a misspelling the project writes in several of its own names, in several files, is its own term
# (a product name, a domain word): quiet
TERM_NAMES = 5
TERM_FILES = 3
WIDESPREAD_FILES = 10  # a misspelled word written in this many files is the project's (or an API's) spelling

# decorators that leave a function's parameters the project's own; any other decorator (a route,
# a task, a fixture, a CLI command) may make the parameter names an interface defined elsewhere
_NEUTRAL_DECORATORS = frozenset(
    {
        "staticmethod", "classmethod", "property", "cached_property", "functools.cached_property",
        "cache", "functools.cache", "lru_cache", "functools.lru_cache", "wraps", "functools.wraps",
        "abstractmethod", "abc.abstractmethod", "override", "typing.override", "overload", "typing.overload",
        "contextmanager", "contextlib.contextmanager", "asynccontextmanager", "contextlib.asynccontextmanager",
    }
)
# bases whose subclasses define no method the base names (or only dunders, which are not checked)
_NEUTRAL_BASES = frozenset(dir(builtins)) | frozenset(
    {
        "abc.ABC", "typing.NamedTuple", "typing.Generic", "typing.Protocol", "typing.TypedDict",
        "typing_extensions.Protocol", "typing_extensions.TypedDict", "enum.Enum", "enum.IntEnum",
        "enum.StrEnum", "enum.Flag", "enum.IntFlag",
    }
)
_DEF_NAME = re.compile(r"(?:async\s+)?def\s+|class\s+")
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_Written = ast.expr | ast.arg | ast.keyword | ast.stmt  # the nodes an identifier is written in


@dataclass(frozen=True, slots=True)
class DefinedName:
    """A name this file defines whose words include a possible misspelling."""

    name: str
    span: Span  # its first definition
    uses: tuple[Span, ...]  # every occurrence of the identifier in the file, the definition's included
    # per class that defines it as a method (or a method's parameter): the class's bases as written
    # (`models.Model`; "?" for a base that is not a dotted name): they may define it, spelled their way
    owners: tuple[tuple[str, ...], ...] = ()
    taken: tuple[str, ...] = ()  # corrected spellings of the name that the file uses too (an alias kept on purpose)


@dataclass(frozen=True, slots=True)
class FileWords:
    """What one file gives RV104: its suspicious defined names and its vocabulary."""

    names: tuple[DefinedName, ...]
    counts: tuple[tuple[str, int], ...]  # (word, occurrences) over the identifier-like tokens of the text, words of >= MIN_WORD letters


@dataclass(frozen=True, slots=True)
class _Scope:
    kind: str  # "module" | "class" | "function"
    bases: tuple[str, ...] = ()  # a class's bases as written
    self_name: str | None = None  # a method's first parameter (`self`)


_MODULE = _Scope("module")


def _dotted(expr: ast.expr) -> str:
    if isinstance(expr, ast.Subscript):  # Generic[T], Base[Model]
        expr = expr.value
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if not isinstance(expr, ast.Name):
        return "?"
    parts.append(expr.id)
    return ".".join(reversed(parts))


def _targets(target: ast.expr) -> Iterator[ast.expr]:
    """The names and attributes an assignment target binds (`a, (b, *c) = ...`)."""
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            yield from _targets(element)
    elif isinstance(target, ast.Starred):
        yield from _targets(target.value)
    else:
        yield target


@lru_cache(maxsize=1 << 16)
def _vocabulary_words(token: str) -> tuple[str, ...]:
    """The words of an identifier that the vocabulary counts (shorter ones are never compared)."""
    return tuple(word for _, _, word in word_spans(token) if len(word) >= MIN_WORD)


def _suspect(word: str, file_count: int) -> bool:
    """Could the project call this word a typo (decided in `check` over the whole project)?"""
    if len(word) < MIN_WORD:
        return False
    if word in misspellings():
        return True
    return file_count <= RARE and not is_english(word)


class _Positions:
    """ast columns are UTF-8 byte offsets; spans are code points."""

    def __init__(self, text: str) -> None:
        self.ascii = text.isascii()
        self.lines = text.split("\n")

    def col(self, line: int, offset: int) -> int:
        if self.ascii or line > len(self.lines):
            return offset
        return len(self.lines[line - 1].encode("utf-8")[:offset].decode("utf-8", errors="ignore"))

    def span(self, node: _Written, name: str) -> Span | None:
        """Where the identifier `name` is written in `node` (a name, attribute, parameter, keyword
        argument, or the name of a `def`/`class`)."""
        if isinstance(node, ast.Attribute):  # the attribute ends the node: `obj.name`
            line, end = node.end_lineno or node.lineno, self.col(node.end_lineno or node.lineno, node.end_col_offset or 0)
            return Span(line, end - len(name), line, end)
        line = node.lineno
        col = self.col(line, node.col_offset)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            text = self.lines[line - 1] if line <= len(self.lines) else ""
            found = _DEF_NAME.match(text, col)
            if found is None or not text.startswith(name, found.end()):
                return None  # `def \` continued on the next line: no span, no finding
            col = found.end()
        return Span(line, col, line, col + len(name))


def _definitions(tree: ast.Module) -> dict[str, list[tuple[_Written, _Scope | None]]]:
    """The names the module defines (name -> each definition, with the class for a method or its
    parameter), from its statements only: expressions define nothing RV104 checks."""
    definitions: dict[str, list[tuple[_Written, _Scope | None]]] = {}

    def define(name: str, node: _Written, owner: _Scope | None = None) -> None:
        if not (name.startswith("__") and name.endswith("__")):
            definitions.setdefault(name, []).append((node, owner))

    stack: list[tuple[ast.stmt, _Scope]] = [(stmt, _MODULE) for stmt in tree.body]
    while stack:
        node, scope = stack.pop()
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            method_of = scope if scope.kind == "class" else None
            is_test = node.name.startswith("test")
            # a test method overrides nothing (the runner finds it by its prefix)
            define(node.name, node, None if is_test else method_of)
            args = node.args
            positional = [*args.posonlyargs, *args.args]
            decorators = {_dotted(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list}
            # a test's parameters name fixtures defined elsewhere; a framework's decorator (a route,
            # a task, a command) may make the parameter names an interface
            if not is_test and all(d in _NEUTRAL_DECORATORS or d.endswith((".setter", ".getter", ".deleter")) for d in decorators):
                for arg in [*positional, *args.kwonlyargs, *(a for a in (args.vararg, args.kwarg) if a)]:
                    if arg.arg not in ("self", "cls"):
                        define(arg.arg, arg, method_of)
            self_name = positional[0].arg if method_of and positional and "staticmethod" not in decorators else None
            inner = _Scope("function", self_name=self_name)
        elif isinstance(node, ast.ClassDef):
            define(node.name, node)
            inner = _Scope("class", bases=tuple(_dotted(b) for b in node.bases))
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in (t for group in targets for t in _targets(group)):
                if isinstance(target, ast.Name) and scope.kind in ("module", "class"):
                    define(target.id, target)
                elif (
                    isinstance(target, ast.Attribute)
                    and scope.self_name
                    and isinstance(target.value, ast.Name)
                    and target.value.id == scope.self_name
                ):
                    define(target.attr, target)
        for block in (getattr(node, "body", None), getattr(node, "orelse", None), getattr(node, "finalbody", None)):
            if isinstance(block, list):
                stack.extend((child, inner) for child in block if isinstance(child, ast.stmt))
        for handler in getattr(node, "handlers", ()):
            stack.extend((child, inner) for child in handler.body)
        for case in getattr(node, "cases", ()):
            stack.extend((child, inner) for child in case.body)
    return definitions


def _identifier(node: ast.AST) -> tuple[str, _Written] | None:
    if isinstance(node, ast.Name):
        return node.id, node
    if isinstance(node, ast.Attribute):
        return node.attr, node
    if isinstance(node, ast.arg):
        return node.arg, node
    if isinstance(node, ast.keyword) and node.arg:
        return node.arg, node
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name, node
    return None


def _occurrences(tree: ast.Module, names: set[str], text: str) -> dict[str, list[_Written]]:
    """Where each of `names` is written as an identifier (not in strings or comments). Walks only
    the statements whose lines hold one of the names: a typo is rare, a module is large."""
    pattern = re.compile(r"\b(?:" + "|".join(sorted(map(re.escape, names))) + r")\b")
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    lines = sorted({bisect.bisect_right(starts, m.start()) for m in pattern.finditer(text)})

    def holds(node: ast.AST) -> bool:
        first: int | None = getattr(node, "lineno", None)
        if first is None:  # a `case` has no lines of its own
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.decorator_list:
            first = node.decorator_list[0].lineno  # a definition's lines start at its decorators
        last: int = getattr(node, "end_lineno", None) or first
        i = bisect.bisect_left(lines, first)
        return i < len(lines) and lines[i] <= last

    found: dict[str, list[_Written]] = {}

    def note(node: ast.AST) -> None:
        for inner in ast.walk(node):
            written = _identifier(inner)
            if written is not None and written[0] in names:
                found.setdefault(written[0], []).append(written[1])

    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if not holds(node):
            continue
        written = _identifier(node)
        if written is not None and written[0] in names:  # a def's or class's own name
            found.setdefault(written[0], []).append(written[1])
        for _, value in ast.iter_fields(node):
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, (ast.stmt, ast.ExceptHandler, ast.match_case)):
                    stack.append(item)  # its own header is noted when it holds a name
                elif isinstance(item, ast.AST):
                    note(item)
    return found


def _collect(file: SourceFile, tree: ast.Module) -> FileWords | None:
    definitions = _definitions(tree)
    # the vocabulary: every identifier-like token of the text (docstrings and comments are the
    # project's words too), a C-speed scan instead of a walk over every node
    tokens = Counter(_TOKEN.findall(file.text))
    counts: Counter[str] = Counter()
    for token, n in tokens.items():
        for word in _vocabulary_words(token):
            counts[word] += n
    suspects: dict[str, list[tuple[int, int, str]]] = {}
    for name in definitions:
        words = [(s, e, w) for s, e, w in word_spans(name) if _suspect(w, counts[w])]
        if words:
            suspects[name] = words
    names: list[DefinedName] = []
    if suspects:
        positions = _Positions(file.text)
        occurrences = _occurrences(tree, set(suspects), file.text)
        for name, words in suspects.items():
            defs = definitions[name]
            spans = [span for span in (positions.span(n, name) for n in occurrences.get(name, ())) if span is not None]
            first = min((positions.span(n, name) for n, _ in defs), key=lambda s: (s.line, s.col) if s else (1 << 30, 0))
            if first is None or "codespell:ignore" in positions.lines[first.line - 1]:
                continue
            owners = tuple(sorted({owner.bases for _, owner in defs if owner is not None and owner.bases}))
            taken = _taken(name, words, counts, tokens)
            names.append(DefinedName(name, first, tuple(sorted(spans, key=lambda s: (s.line, s.col))), owners, taken))
    names.sort(key=lambda d: (d.span.line, d.span.col))
    return FileWords(tuple(names), tuple(sorted(counts.items())))


def _taken(name: str, suspects: list[tuple[int, int, str]], counts: Mapping[str, int], identifiers: Mapping[str, object]) -> tuple[str, ...]:
    """Spellings of `name` with one suspect word corrected that the file uses as well."""
    taken: set[str] = set()
    for start, end, word in suspects:
        corrections = misspellings().get(word) or tuple(v for v in typo_neighbours(word) if v in counts)
        for correction in corrections:
            candidate = name[:start] + match_case(correction, name[start:end]) + name[end:]
            if candidate in identifiers:
                taken.add(candidate)
    return tuple(sorted(taken))


@dataclass(frozen=True, slots=True)
class _Typo:
    start: int
    end: int
    word: str
    corrections: tuple[str, ...]
    common: int = 0  # how often the project uses the correction (its own vocabulary); 0: codespell's dictionary


class IdentifierTypo(ProjectRule):
    """
    ## What it does
    Finds misspelled words in the names a project defines (functions, methods, classes,
    parameters, module and class variables, attributes set on `self`): words codespell's
    dictionary lists as common misspellings (`recieve_payment`), and words one letter away from a
    word the rest of the project uses often while this spelling is rare (`renew_subscripton` in a
    project that writes `subscription` everywhere else).

    ## Why is this bad?
    A misspelled name is found by nobody who searches for the right spelling, gets copied into
    every caller, and ends up in an API that is hard to rename later. It is cheapest to fix when
    it is written.

    ## Example
    ```python
    def recieve_payment(order):
        ...
    ```
    Use instead:
    ```python
    def receive_payment(order):
        ...
    ```

    ## Fix
    Renames the definition and every use of the name in its file. Unsafe: other modules that
    import or call the name, keyword arguments, strings (`getattr`, templates) and database
    columns keep the old spelling until they are renamed too.

    Quiet on correct English words (including British spellings, plurals and other
    inflections), words shorter than five letters (abbreviations such as `parm`, `indx`), words the
    project writes the same way in several of its own names and files (its product or domain
    terms), methods and their parameters in classes whose bases come from outside the project (a
    framework's spelling), parameters of functions with decorators from a framework (route,
    task and fixture parameters are an interface), a misspelled name kept beside the corrected one
    (a compatibility alias), migrations, and the words of `ignore_words`.

    ## Options
    `ignore_words`: words never reported (lower case).
    """

    @dataclass(frozen=True, slots=True)
    class Options:  # [tool.reviewls.rules.identifier-typo]
        ignore_words: tuple[str, ...] = ()

    options: Options

    meta = RuleMeta(code="RV104", name="identifier-typo", family="hygiene", severity=Severity.INFORMATION, fix=Safety.UNSAFE)
    needs = frozenset({SYMBOLS})
    collect_version = 1

    _SUBSCRIPTIONS = (
        "from app.models import Subscription\n\n\n"
        "def subscription_plan(user):\n    return user.subscription_plan\n\n\n"
        "def subscription_text(subscription: Subscription) -> str:\n    return subscription.text\n"
    )
    _SUBSCRIPTIONS_TOO = "from app.billing import subscription_text\n\n\ndef render(subscription):\n    return subscription_text(subscription)\n"

    VALID = [
        # correct words, British spelling, plurals, short abbreviations
        Valid("def get_current_user(users, colour, parm):\n    return users[0]\n\n\nclass OrderSerializer:\n    widths = {}\n"),
        # an override of a framework method, spelled the framework's way; a route's parameter is its
        # API; a test's parameter names a fixture defined elsewhere
        Valid(
            """
            from django.views import View
            from fastapi import APIRouter

            router = APIRouter()


            class Inbox(View):
                def recieve(self, request, adress):
                    return adress


            @router.get("/items")
            def list_items(adress: str):
                return adress


            def test_inbox(adress_book):
                assert adress_book
            """
        ),
        # the project's own term (a product name), written that way in many names and files
        Valid(
            "def wether_forecast():\n    return WetherClient().wether_today()\n",
            files={
                "app/wether.py": "class WetherClient:\n    def wether_today(self):\n        return 1\n\n\nWETHER_URL = ''\n",
                "app/views.py": "from app.services import wether_forecast\n\n\ndef wether_page():\n    return wether_forecast()\n",
            },
        ),
        # a compatibility alias kept beside the corrected name, and a line codespell is told to skip
        Valid(
            "def receive_payment(order):\n    return order\n\n\n"
            "recieve_payment = receive_payment  # old name, kept for callers\n"
            "SEPERATOR = ','  # codespell:ignore\n"
        ),
        # a rare word one edit from a common one, but itself English (`modal` / `model`), one with
        # relatives in the project (`polls` beside `polling` / `pools`), or one that no typing slip
        # makes: a word of another language (`preis` / `press`), another product (`mssql` / `mysql`)
        Valid(
            "def modal_title(preis, mssql, polls):\n    return preis\n",
            files={
                "app/a.py": "model = mysql = press = pools = 1\nmodel_name = model_field = model_label = mysql_url = mysql_user = press_kit = press_id = pools_id = pools_max = polling = 2\n",
                "app/b.py": "model = mysql = press = pools = 1\nmodel_kind = mysql_name = press_name = pools_name = 2\n",
            },
        ),
        # migrations are generated
        Valid("def recieve_payment(apps, schema_editor):\n    pass\n", path="app/migrations/0002_data.py"),
    ]
    INVALID = [
        Invalid(
            """
            class PaymentService:
                def recieve_payment(self, order, ammount):  # <- RV104, RV104
                    self.ammount = ammount
                    return self.recieve_payment


            def handle(service: PaymentService, order):
                return service.recieve_payment(order, ammount=10)
            """,
        ),
        # the project's vocabulary: `subscription` is common, `subscripton` (in no dictionary) a slip
        Invalid(
            "from app.billing import subscription_text\n\n\ndef renew_subscripton(user):  # <- RV104\n    return subscription_text(user)\n",
            files={"app/billing.py": _SUBSCRIPTIONS, "app/render.py": _SUBSCRIPTIONS_TOO},
        ),
        # one finding per misspelled word and file; a name in another file has its own
        Invalid(
            "SEPERATOR = ','  # <- RV104\nLINE_SEPERATOR = '\\n'\nWETHER_CODES = {}  # <- RV104\n\n\ndef split(line):\n    return line.split(SEPERATOR)\n",
            files={"app/parse.py": "from app.services import SEPERATOR\n\n\nclass Parser:\n    seperator = SEPERATOR  # <- RV104\n"},
        ),
    ]

    def collect(self, file: SourceFile) -> object | None:
        if Role.MIGRATION in file.roles:
            return None
        tree = file.tree()
        return None if tree is None else _collect(file, tree)

    def check(self, project: ProjectView) -> None:
        collected: Mapping[str, FileWords] = {path: words for path, words in project.collected(self).items() if isinstance(words, FileWords)}
        totals: Counter[str] = Counter()
        files: Counter[str] = Counter()
        for words in collected.values():
            for word, count in words.counts:
                totals[word] += count
                files[word] += 1
        # codespell words the project writes in its own names: how many names, in how many files
        term_names: dict[str, set[str]] = {}
        term_files: dict[str, set[str]] = {}
        table = misspellings()
        for path, words in collected.items():
            for defined in words.names:
                for _, _, word in word_spans(defined.name):
                    if word in table:
                        term_names.setdefault(word, set()).add(defined.name)
                        term_files.setdefault(word, set()).add(path)
        ignored = frozenset(w.lower() for w in self.options.ignore_words)
        symbols = Symbols(project)
        external: dict[tuple[str | None, str], bool] = {}
        for path, words in sorted(collected.items()):
            found: list[tuple[DefinedName, list[_Typo]]] = []
            for defined in words.names:
                typos = []
                for start, end, word in word_spans(defined.name):
                    if len(word) < MIN_WORD or word in ignored:
                        continue
                    if word in table:
                        is_term = len(term_names.get(word, ())) >= TERM_NAMES and len(term_files.get(word, ())) >= TERM_FILES
                        if not is_term and files[word] < WIDESPREAD_FILES:
                            typos.append(_Typo(start, end, word, table[word]))
                    elif totals[word] <= RARE and not is_english(word) and not _has_relatives(word, totals):
                        common = self._common_neighbour(word, totals, files)
                        if common is not None:
                            typos.append(_Typo(start, end, word, (common,), totals[common]))
                if typos and not any(self._external(symbols, path, bases, external) for bases in defined.owners):
                    found.append((defined, typos))
            self._report(path, found)

    @staticmethod
    def _common_neighbour(word: str, totals: Mapping[str, int], files: Mapping[str, int]) -> str | None:
        """The project's common English word one edit inside `word`, the most used one if several."""
        best: str | None = None
        for other in set(typo_neighbours(word)):
            if totals.get(other, 0) >= COMMON and files.get(other, 0) >= COMMON_FILES and len(other) >= MIN_WORD and is_english(other):
                if best is None or (totals[other], other) > (totals[best], best):
                    best = other
        return best

    def _external(self, symbols: Symbols, path: str, bases: tuple[str, ...], memo: dict[tuple[str | None, str], bool]) -> bool:
        """Does a class with these bases (as written in `path`) inherit from outside the project?"""
        return any(base == "?" or self._outside(symbols, symbols.resolve(path, base), memo) for base in bases)

    def _outside(self, symbols: Symbols, resolved: Resolved, memo: dict[tuple[str | None, str], bool]) -> bool:
        """Is this base, or a base of it, a class from outside the project (builtins aside)?"""
        key = (resolved.path, resolved.name)
        if key in memo:
            return memo[key]
        memo[key] = True  # a cycle of project classes counts as outside: stay quiet
        definition = resolved.definition
        if resolved.path is None:
            outside = resolved.name not in _NEUTRAL_BASES
        elif definition is None or definition.kind != "class":
            outside = True
        else:
            module = symbols.of(resolved.path)
            local = module.definitions if module is not None else {}
            # a definition's bases are qualified, or written as is when the class is of its own module
            outside = any(
                self._outside(symbols, symbols.resolve(resolved.path, base) if base in local else symbols.resolve_qualified(base), memo)
                for base in definition.bases
            )
        memo[key] = outside
        return outside

    def _report(self, path: str, found: list[tuple[DefinedName, list[_Typo]]]) -> None:
        """One finding per misspelled word and file, at the first name that has it: a word
        misspelled in several names of a module is one slip copied, and one fix renames them all."""
        groups: dict[str, list[tuple[DefinedName, list[_Typo], str]]] = {}
        for defined, typos in found:
            fixed = _corrected(defined.name, typos)
            if fixed in defined.taken:
                continue  # both spellings in one file: an alias kept for old callers
            groups.setdefault(typos[0].word, []).append((defined, typos, fixed))
        for members in groups.values():
            defined, typos, fixed = members[0]
            parts = []
            for typo in typos:
                if typo.common:
                    parts.append(f"`{typo.word}` looks like a misspelling of `{typo.corrections[0]}`, which this project uses {typo.common} times")
                else:
                    parts.append(f"`{typo.word}` is a misspelling of " + " or ".join(f"`{c}`" for c in typo.corrections))
            message = f"`{defined.name}`: " + "; ".join(parts)
            if len(members) > 1:
                message += f" (also in {len(members) - 1} more name{'s' if len(members) > 2 else ''} of this file)"
            fix = None
            if all(len(t.corrections) == 1 and f.isidentifier() for _, ts, f in members for t in ts):
                edits = tuple(TextEdit(s.line, s.col, s.end_line, s.end_col, f) for d, _, f in members for s in d.uses)
                title = f"Rename `{defined.name}` to `{fixed}`" + (f" and {len(members) - 1} more" if len(members) > 1 else "")
                fix = Fix(f"{title} in this file (other modules keep the old name)", Safety.UNSAFE, edits)
            self.report_file(path, defined.span, message, fix=fix)


def _corrected(name: str, typos: list[_Typo]) -> str:
    """The name with each misspelled word replaced by its first correction, in the word's case."""
    for typo in sorted(typos, key=lambda t: -t.start):
        name = name[: typo.start] + match_case(typo.corrections[0], name[typo.start : typo.end]) + name[typo.end :]
    return name


_INFLECTIONS = ("s", "es", "ed", "d", "ing", "er", "ers", "ings")


def _has_relatives(word: str, totals: Mapping[str, int]) -> bool:
    """Does the project write other forms of the word (`polling` beside a rare `polls`)? A typo
    has no family; a real word the dictionary lacks usually has one."""
    stems = {word} | {word[: -len(s)] for s in _INFLECTIONS if word.endswith(s) and len(word) - len(s) >= 3}
    for stem in stems:
        for form in (stem, *(stem + s for s in _INFLECTIONS), *(stem[:-1] + s for s in ("ing", "ed", "er") if stem.endswith("e"))):
            if form != word and totals.get(form, 0) > 0:
                return True
    return False
