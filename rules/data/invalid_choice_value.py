"""RV605 invalid-choice-value."""

from __future__ import annotations

import ast
import difflib
import re
import sys
from dataclasses import dataclass

from rules.api import Invalid, Role, RuleMeta, Severity, Valid
from rules.api.astnames import ast_dotted as _dotted
from rules.api.models import Models, Value, literal
from rules.api.project import (
    MODELS,
    SYMBOLS,
    ProjectRule,
    ProjectView,
    RelatedPlace,
    SourceFile,
)
from rules.api.symbols import add_import, qualified
from rules.api.types import Span


@dataclass(frozen=True, slots=True)
class Write:
    """A literal written to a field of something that may be a model (decided in check)."""

    model: str  # the class as the facts record names: local, or qualified through the module's imports
    field: str
    value: str | int | float
    span: Span  # the literal
    manager: str = ""  # written through `Model.<manager>...` (`objects`); "" for an instance or a constructor


# queryset methods that write their keyword arguments (`get_or_create` creates with its lookups when nothing matches)
_WRITES = frozenset(("create", "update", "get_or_create", "update_or_create", "acreate", "aupdate", "aget_or_create", "aupdate_or_create"))
# the keyword of those that holds a dict of values to write
_DEFAULTS = frozenset(("defaults", "create_defaults"))
# queryset methods that give one row
_ONE_ROW = frozenset(("get", "first", "last", "latest", "earliest", "create", "aget", "afirst", "alast", "acreate", "get_or_create", "aget_or_create"))
# queryset methods that give no rows (values, numbers)
_NOT_ROWS = frozenset(("values", "values_list", "count", "exists", "aggregate", "update", "delete", "in_bulk", "iterator_values", "dates", "datetimes"))
# field classes holding several values (`MultiSelectField`, `ArrayField`): a write is not one choice
_MULTI = re.compile(r"Multi|Array|JSON|Flag|Bit|(?:List|Set)Field$")
# a test that exercises validation writes wrong values on purpose
_VALIDATION_TEST = re.compile(r"ValidationError|full_clean|clean_fields|IntegrityError|DataError|\braises\b|assertRaises|is_valid")


# roots of qualified names that are not the project's: their classes are never its models
_LIBRARIES = frozenset(sys.stdlib_module_names) | frozenset(
    ("django", "rest_framework", "sqlalchemy", "pydantic", "fastapi", "starlette", "flask", "ninja", "celery", "requests", "httpx")
)


def _classlike(name: str) -> bool:
    last = name.rsplit(".", 1)[-1]
    return last[:1].isupper() and not last.isupper()


# what a local name holds: ("row", model) for an instance, ("rows", model) for a queryset, None when unknown
Held = tuple[str, str] | None


class _Collector:
    """One pass over a module's statements: the literal writes to fields and what names hold."""

    def __init__(self, file: SourceFile) -> None:
        self.file = file
        self.imports: dict[str, str] = {}
        self.writes: list[Write] = []
        self._lines: list[bytes] | None = None
        self._text_lines: list[str] | None = None

    # --- names ------------------------------------------------------------------------------------

    def qualified(self, dotted: str) -> str:
        return qualified(self.imports, dotted)

    def _import(self, stmt: ast.Import | ast.ImportFrom) -> None:
        add_import(stmt, self.file.module, self.file.path.endswith("__init__.py"), self.imports)

    def _annotation(self, node: ast.expr | None) -> str | None:
        """`order: Order`, `Optional[Order]`, `Order | None`, `"Order"`: the class, qualified."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            try:
                node = ast.parse(node.value, mode="eval").body
            except (SyntaxError, ValueError, RecursionError):  # not an expression, NUL bytes, nested too deeply
                return None
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            left, right = node.left, node.right
            node = right if isinstance(left, ast.Constant) and left.value is None else left if isinstance(right, ast.Constant) and right.value is None else None
        if isinstance(node, ast.Subscript) and (_dotted(node.value) or "").rsplit(".", 1)[-1] == "Optional":
            node = node.slice
        name = _dotted(node)
        return self.qualified(name) if name is not None and _classlike(name) else None

    def _manager_root(self, node: ast.expr, held: dict[str, Held]) -> tuple[str, str, str] | None:
        """`Order.objects.filter(...).select_related(...)`: (model, manager, first method) of a
        queryset chain; a name holding a queryset gives (model, "", ...)."""
        method = ""
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method = node.func.attr
            node = node.func.value
        if isinstance(node, ast.Attribute):
            model = _dotted(node.value)
            if model is not None and _classlike(model) and model not in held:
                return self.qualified(model), node.attr, method
        if isinstance(node, ast.Name):
            kind = held.get(node.id)
            if kind is not None and kind[0] == "rows":
                return kind[1], "", method
        return None

    def _holds(self, value: ast.expr, held: dict[str, Held]) -> Held:
        """What an expression gives: a row of a model, a queryset of one, or None."""
        if isinstance(value, ast.Await):
            value = value.value
        if isinstance(value, ast.Name):
            return held.get(value.id)
        if not isinstance(value, ast.Call):
            return None
        name = _dotted(value.func)
        if name is not None and _classlike(name):
            return ("row", self.qualified(name)) if name not in held else None
        if name is not None and name.rsplit(".", 1)[-1] in ("get_object_or_404", "aget_object_or_404") and value.args:
            model = _dotted(value.args[0])
            return ("row", self.qualified(model)) if model is not None and _classlike(model) else None
        methods = self._methods(value)
        if not methods or any(m in _NOT_ROWS for m in methods):
            return None
        root = self._manager_root(value, held)
        if root is None:
            return None
        return ("row" if methods[0] in _ONE_ROW else "rows", root[0])

    @staticmethod
    def _methods(call: ast.Call) -> list[str]:
        out: list[str] = []
        node: ast.expr = call
        while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            out.append(node.func.attr)
            node = node.func.value
        return out

    @staticmethod
    def _bind(target: ast.expr, what: Held, held: dict[str, Held]) -> None:
        """A name bound again to something else holds nothing known from then on (a branch or a loop
        may have bound it either way)."""
        if isinstance(target, ast.Name):
            held[target.id] = what if held.get(target.id, what) == what else None
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                _Collector._bind(element, None, held)

    # --- writes -----------------------------------------------------------------------------------

    def _span(self, node: ast.expr) -> Span:
        """ast columns are UTF-8 byte offsets; a Span counts code points."""
        if self._lines is None:
            self._lines = [line.encode("utf-8", "surrogatepass") for line in self.file.text.split("\n")]
        end_line = node.end_lineno or node.lineno
        end_col = node.end_col_offset or 0

        def points(line: int, col: int) -> int:
            raw = self._lines[line - 1] if self._lines and line - 1 < len(self._lines) else b""
            return len(raw[:col].decode("utf-8", "replace"))

        return Span(node.lineno, points(node.lineno, node.col_offset), end_line, points(end_line, end_col))

    def _write(self, model: str, field: str, value: ast.expr, manager: str = "") -> None:
        if "__" in field:
            return  # a lookup (`status__in=`), not a value
        found = literal(value)
        if isinstance(found, bool) or not isinstance(found, (str, int, float)) or found == "":
            return  # "" and None skip Django's choices check (empty values)
        self.writes.append(Write(model, field, found, self._span(value), manager))

    def _call(self, call: ast.Call, held: dict[str, Held]) -> None:
        if not call.keywords:
            return
        name = _dotted(call.func)
        if name is not None and _classlike(name) and name not in held:  # `Order(status="x")`
            model = self.qualified(name)
            if model.split(".")[0] in _LIBRARIES:
                return  # `models.CharField(default="x")`, `Response(status=200)`: not the project's class
            for keyword in call.keywords:
                if keyword.arg:
                    self._write(model, keyword.arg, keyword.value)
            return
        if not isinstance(call.func, ast.Attribute) or call.func.attr not in _WRITES:
            return
        root = self._manager_root(call.func.value, held)
        if root is None:
            return
        model, manager = root[0], root[1]
        for keyword in call.keywords:
            if keyword.arg in _DEFAULTS and isinstance(keyword.value, ast.Dict):
                for key, value in zip(keyword.value.keys, keyword.value.values):
                    if isinstance(key, ast.Constant) and isinstance(key.value, str):
                        self._write(model, key.value, value, manager)
            elif keyword.arg and keyword.arg not in _DEFAULTS:
                self._write(model, keyword.arg, keyword.value, manager)

    def _expr(self, node: ast.AST, held: dict[str, Held]) -> None:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                self._call(sub, held)

    # --- statements -------------------------------------------------------------------------------

    def body(self, stmts: list[ast.stmt], held: dict[str, Held], owner: str | None, *, class_level: bool = False) -> None:
        for stmt in stmts:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                self._import(stmt)
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self._function(stmt, held, owner)
            elif isinstance(stmt, ast.ClassDef):
                self.body(stmt.body, {}, stmt.name if owner is None else f"{owner}.{stmt.name}", class_level=True)
            elif class_level:
                continue  # field declarations (`status = StatusField(default="x")`), not writes
            elif isinstance(stmt, (ast.For, ast.AsyncFor)):
                self._expr(stmt.iter, held)
                what = self._holds(stmt.iter, held)
                self._bind(stmt.target, ("row", what[1]) if what is not None and what[0] == "rows" else None, held)
                self.body(stmt.body, held, owner)
                self.body(stmt.orelse, held, owner)
            else:
                self._statement(stmt, held, owner)

    def _statement(self, stmt: ast.stmt, held: dict[str, Held], owner: str | None) -> None:
        for field_name, value in ast.iter_fields(stmt):
            if isinstance(value, ast.AST) and not isinstance(value, (ast.stmt, ast.expr_context)):
                self._expr(value, held)
            elif isinstance(value, list):
                if value and isinstance(value[0], ast.stmt):
                    self.body(value, held, owner)
                    continue
                for item in value:
                    if isinstance(item, ast.ExceptHandler):
                        self.body(item.body, held, owner)
                    elif isinstance(item, ast.match_case):
                        self.body(item.body, held, owner)
                    elif isinstance(item, ast.withitem):
                        self._expr(item.context_expr, held)
                    elif isinstance(item, ast.AST) and field_name != "targets":
                        self._expr(item, held)
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                self._assigned(target, stmt.value, held)
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            self._assigned(stmt.target, stmt.value, held)
            annotated = self._annotation(stmt.annotation)
            if annotated is not None and isinstance(stmt.target, ast.Name):
                self._bind(stmt.target, ("row", annotated), held)

    def _assigned(self, target: ast.expr, value: ast.expr, held: dict[str, Held]) -> None:
        if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name):
            what = held.get(target.value.id)
            if what is not None and what[0] == "row":
                self._write(what[1], target.attr, value)  # `order.status = "x"`
            return
        if isinstance(target, ast.Tuple) and target.elts and isinstance(value, (ast.Call, ast.Await)):
            call = value.value if isinstance(value, ast.Await) else value
            if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and call.func.attr.lstrip("a").endswith("_or_create"):
                what = self._holds(call, held)  # `order, created = Order.objects.get_or_create(...)`
                self._bind(target.elts[0], what, held)
                for rest in target.elts[1:]:
                    self._bind(rest, None, held)
                return
        self._bind(target, self._holds(value, held), held)

    def _function(self, fn: ast.FunctionDef | ast.AsyncFunctionDef, outer: dict[str, Held], owner: str | None) -> None:
        for decorator in fn.decorator_list:
            self._expr(decorator, outer)
        if Role.TEST in self.file.roles and self._tests_validation(fn):
            return
        held: dict[str, Held] = dict(outer)
        args = fn.args
        params = [*args.posonlyargs, *args.args, *args.kwonlyargs]
        for index, arg in enumerate(params):
            held.pop(arg.arg, None)  # a parameter hides the enclosing function's name
            if index == 0 and owner is not None and arg.arg == "self" and not any(_dotted(d) in ("staticmethod", "classmethod") for d in fn.decorator_list):
                held["self"] = ("row", owner)  # a model's own method: `self.status = "x"`
                continue
            annotated = self._annotation(arg.annotation)
            if annotated is not None:
                held[arg.arg] = ("row", annotated)
        for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
            self._expr(default, outer)
        self.body(fn.body, held, None)

    def _tests_validation(self, fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
        if self._text_lines is None:
            self._text_lines = self.file.text.split("\n")
        lines = self._text_lines[fn.lineno - 1 : fn.end_lineno or fn.lineno]
        return _VALIDATION_TEST.search("\n".join(lines)) is not None


def _show(value: Value) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


class InvalidChoiceValue(ProjectRule):
    """
    ## What it does
    Finds a literal written to a model field that the field's `choices` do not allow
    (`Order(status="canceled")` where the choices spell it `"cancelled"`), with the model,
    its fields and their choices read from the whole project.

    Writes are `Order(...)`, `Order.objects.create(...)`, `.update(...)`,
    `.get_or_create(...)`/`.update_or_create(...)` (their lookups and `defaults=`), and
    `order.status = "canceled"` where `order` is known to be an `Order` (a parameter annotated
    with it, a variable assigned from `Order(...)`, `Order.objects.get(...)`,
    `get_object_or_404(Order, ...)`, a loop over `Order.objects.filter(...)`, `self` in a method
    of the model). The model may be defined in another module, inherit the field from an
    abstract base, and take its choices from a constant or a `TextChoices` class of a third
    module. The message suggests the closest allowed value.

    ## Why is this bad?
    Nothing checks `choices` on save: only `full_clean()` (forms, the admin, serializers) does.
    The row is stored with a value no other code expects — a filter on `"cancelled"` misses
    it, `get_status_display()` shows the raw value, a `match` falls through, and the next form
    that edits the row refuses to save it.

    ## Example
    ```python
    # shop/models.py
    class Order(models.Model):
        STATUS_PENDING, STATUS_CANCELLED = "pending", "cancelled"
        STATUS_CHOICES = [(STATUS_PENDING, "Pending"), (STATUS_CANCELLED, "Cancelled")]
        status = models.CharField(max_length=20, choices=STATUS_CHOICES)

    # shop/services.py
    def cancel(order: Order) -> None:
        order.status = "canceled"
        order.save()
    ```
    Use instead:
    ```python
    def cancel(order: Order) -> None:
        order.status = Order.STATUS_CANCELLED
        order.save()
    ```

    ## Fix
    None: the closest allowed value is a guess (the message names it); the right value, or a
    new choice, is for a person to decide.

    Checks only literal strings and numbers (a value taken from the choices constants is right
    by construction) and only fields whose choices are literal (computed choices, choices from
    settings or from a name the project does not define are skipped). `""` and None are
    never checked (Django skips the choices check for empty values). Quiet on reads:
    `filter(status="refunded")` may look for a legacy value that old rows still hold. Quiet in
    migrations (their historical models may have other choices), on fields holding several
    values (`ArrayField`, `MultiSelectField`), and in tests that exercise validation (a test
    function mentioning `ValidationError`, `full_clean`, `IntegrityError`, `raises`,
    `assertRaises` or `is_valid` writes wrong values on purpose); other tests are checked:
    a fixture with a misspelt status tests a state that cannot happen.
    """

    meta = RuleMeta(code="RV605", name="invalid-choice-value", family="data", severity=Severity.ERROR, frameworks=("django", "sqlalchemy"))
    needs = frozenset({SYMBOLS, MODELS})

    _MODELS = """
        from django.db import models
        from django.utils.translation import gettext_lazy as _

        STATUS_CHOICES = [
            ("pending", _("Pending")),
            ("cancelled", _("Cancelled")),
        ]


        class Order(models.Model):
            class Kind(models.TextChoices):
                GIFT = "gift", _("Gift card")
                TICKET = "ticket", _("Ticket")

            status = models.CharField(max_length=20, choices=STATUS_CHOICES, default="pending")
            kind = models.CharField(max_length=10, choices=Kind.choices)
            note = models.CharField(max_length=200, blank=True)
    """

    VALID = [
        Valid(
            """
            from shop.models import STATUS_CHOICES, Order


            def cancel(order: Order) -> None:
                order.status = "cancelled"
                order.kind = Order.Kind.GIFT
                order.note = "anything"
                order.save()


            def open_order() -> Order:
                return Order.objects.create(status="pending", kind="ticket", note="")
            """,
            path="shop/services.py",
            files={"shop/__init__.py": "", "shop/models.py": _MODELS},
        ),
        # reads may look for legacy values; empty values are not checked; a class that is not a model
        Valid(
            """
            from shop.models import Order


            class Ticket:
                def __init__(self, status):
                    self.status = status


            def legacy():
                Order.objects.filter(status="refunded").count()
                Order.objects.create(status="")
                Ticket(status="canceled")
            """,
            path="shop/services.py",
            files={"shop/__init__.py": "", "shop/models.py": _MODELS},
        ),
        # a test of validation writes a wrong value on purpose
        Valid(
            """
            import pytest
            from django.core.exceptions import ValidationError

            from shop.models import Order


            def test_unknown_status_is_rejected():
                order = Order(status="bogus", kind="gift")
                with pytest.raises(ValidationError):
                    order.full_clean()
            """,
            path="shop/tests/test_models.py",
            files={"shop/__init__.py": "", "shop/models.py": _MODELS},
        ),
        # computed choices, and a name rebound to another class
        Valid(
            """
            from django.db import models

            from shop.models import Order
            from shop.registry import TYPES


            class Media(models.Model):
                type = models.CharField(max_length=10, choices=[(k, v) for k, v in TYPES.items()])


            def build(flag):
                Media.objects.create(type="tape")
                item = Order()
                if flag:
                    item = Media()
                item.status = "tape"
            """,
            path="shop/services.py",
            files={"shop/__init__.py": "", "shop/models.py": _MODELS, "shop/registry.py": "TYPES = {}\n"},
        ),
        # migrations write historical values
        Valid(
            """
            def forwards(apps, schema_editor):
                from shop.models import Order
                Order.objects.filter(status="refunded").update(status="canceled")
            """,
            path="shop/migrations/0002_status.py",
            files={"shop/__init__.py": "", "shop/models.py": _MODELS},
        ),
    ]
    INVALID = [
        Invalid(
            """
            from shop import models
            from shop.models import Order


            def cancel(order: Order) -> None:
                order.status = "canceled"  # <- RV605
                order.save()


            def create_gift():
                models.Order(status="pending", kind="gifts")  # <- RV605
                Order.objects.filter(status="pending").update(status="cancel")  # <- RV605
                order, _ = Order.objects.get_or_create(pk=1, defaults={"status": "Pending"})  # <- RV605
                order.kind = "tickets"  # <- RV605
            """,
            path="shop/services.py",
            files={"shop/__init__.py": "", "shop/models.py": _MODELS},
        ),
        # choices from a constants module, a field inherited from an abstract base, `self` in the model
        Invalid(
            """
            from shop.base import Stamped


            class Invoice(Stamped):
                def void(self):
                    self.state = "voided"  # <- RV605
                    self.save()
            """,
            path="shop/invoices.py",
            files={
                "shop/__init__.py": "",
                "shop/constants.py": 'STATES = (("draft", "Draft"), ("void", "Void"))\n',
                "shop/base.py": """
                    from django.db import models

                    from shop.constants import STATES


                    class Stamped(models.Model):
                        state = models.CharField(max_length=10, choices=STATES)

                        class Meta:
                            abstract = True
                """,
                "shop/tasks.py": """
                    from shop.invoices import Invoice


                    def purge():
                        for invoice in Invoice.objects.filter(state="draft"):
                            invoice.state = "deleted"  # <- RV605
                            invoice.save()
                """,
            },
        ),
    ]

    def collect(self, file: SourceFile) -> tuple[Write, ...] | None:
        if Role.MIGRATION in file.roles:
            return None
        tree = file.tree()
        if tree is None:
            return None
        collector = _Collector(file)
        collector.body(tree.body, {}, None)
        return tuple(collector.writes) or None

    def check(self, project: ProjectView) -> None:
        models = Models(project)
        for path, writes in project.collected(self).items():
            for write in writes:
                self._judge(models, path, write)

    def _judge(self, models: Models, path: str, write: Write) -> None:
        info = models.model(path, write.model)
        if info is None:
            return
        if write.manager and write.manager != "objects" and write.manager not in info.managers:
            return  # `Order.Status.create(...)` or an attribute that is not a manager
        found = info.fields.get(write.field)
        if found is None:
            return
        field_path, field = found
        if _MULTI.search(field.cls.rsplit(".", 1)[-1]):
            return
        allowed = models.choices(field.choices)
        if not allowed or write.value in allowed or str(write.value) in {str(v) for v in allowed}:
            return
        spelled = [str(v) for v in allowed if v is not None and v != ""]
        same_case = [v for v in spelled if v.casefold() == str(write.value).casefold()]
        # a suggestion below 0.75 is misleading (`"COMPLETED"` is not a misspelt `"CREATED"`)
        close = same_case or difflib.get_close_matches(str(write.value), spelled, n=1, cutoff=0.75)
        owner = f"{info.label}.{write.field}"
        if close:
            hint = f"did you mean `{_show(next(v for v in allowed if str(v) == close[0]))}`?"
        else:
            shown = ", ".join(f"`{_show(v)}`" for v in allowed[:6] if v is not None)
            hint = f"allowed: {shown}{', ...' if len(allowed) > 6 else ''}"
        self.report_file(
            path,
            write.span,
            f"`{_show(write.value)}` is not one of `{owner}`'s choices: {hint}",
            related=(RelatedPlace(field_path, field.span, f"`{owner}` and its choices"),),
        )
