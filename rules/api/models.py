"""The MODELS fact kind: the ORM models a module defines, their fields, relations and choices.

Per module (one `ast` pass over the top-level statements and class bodies, cached by the project
index under the file's content), `collect_models` records:

- **models**: Django model classes (and SQLAlchemy declarative classes) as `Model`: the class
  name within the module, its bases as qualified dotted names (`django.db.models.Model`,
  `pretix.base.models.base.LoggedModel`, or a local name as written), `abstract` from
  `class Meta`, its managers (`objects = OrderManager()`) and its fields. A class is recorded
  when it has a field, a `class Meta`, `__tablename__` or a base known to be a model base;
  whether it really is a model is decided across modules in check, by `Models`.
- **fields** (`Field`): name, field class (qualified), `relation` (`"fk"` for `ForeignKey`,
  `"o2o"` for `OneToOneField`, `"m2m"` for `ManyToManyField`; SQLAlchemy `relationship()`:
  `"many"`, `"one"` or `"rel"` when the direction is not written), the related model as written
  (`related`: a qualified dotted name, or the string as given, `"self"`, `"Organizer"`,
  `"shop.Order"`, with `related_by_string`), `related_name` (Django's reverse accessor;
  SQLAlchemy's `back_populates`/`backref`), and `choices` (a `ChoiceSet`) when `choices=` is
  literal: a list/tuple of pairs (named groups flattened, a mapping's keys), a constant of
  this module holding one (module- or class-level, its values may be constants of the module:
  `(STATUS_PAID, _("paid"))`), a `TextChoices`/`IntegerChoices`/`Choices` class
  (`Status.choices`), a comprehension over an enum's `.value`, or a name imported from
  another module (a `ChoicesRef`, resolved in check). Unknown or computed choices: None.
- **choices**: the module's named choice sets (`STATUS_CHOICES`, `Order.STATUS_CHOICE`,
  `Order.Status` for enum classes, model_utils `Choices(...)` constants), so that a field in
  another module that imports them can be resolved.

Member values follow Django's `ChoicesType` (django/db/models/enums.py): `CANCELLED =
"cancelled", _("Cancelled")` has the value "cancelled" (a tuple whose last item is a label
drops it); `auto()` in a `TextChoices` is the member's *name* as is (its `_generate_next_value_`),
in a plain `StrEnum` the lower-cased name, in integer enums the previous value + 1;
`__empty__` adds None.

`Models(project)` answers in check, over the MODELS and SYMBOLS facts of the whole project
(a rule that uses it needs both kinds): which model a name written in a module stands for
(following imports, re-exports and inheritance), its fields with the inherited ones, the
allowed values of a field, the model a relation points to, and the reverse accessors.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from rules.api.astnames import ast_dotted as _dotted
from rules.api.project import MODELS, SYMBOLS, ProjectView, SourceFile
from rules.api.symbols import Symbols, import_table, qualified
from rules.api.types import Span

# a literal value a field can hold
Value = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class ChoicesRef:
    """Choices given by a name imported from another module, resolved in check."""

    name: str  # qualified dotted name: `shop.constants.STATUS_CHOICES`, `shop.enums.Status`
    via: str = ""  # "": the name itself; "choices": `Status.choices`; "value": `[(s.value, ...) for s in Status]`

    def accepts(self, target: ChoiceSet) -> bool:
        """Whether the set the name leads to gives the field's values used this way: a constant
        as is, a Django choices class as is or by `.choices`, any enum by its members' `.value`."""
        if target.enum == "django":
            return True
        return target.enum == "enum" if self.via == "value" else not target.enum and not self.via


@dataclass(frozen=True, slots=True)
class ChoiceSet:
    """The allowed values of a field or of a named choices constant: known values, or a reference."""

    values: tuple[Value, ...] | None = None
    ref: ChoicesRef | None = None
    enum: str = ""  # the set is an enum class: "django" (TextChoices/IntegerChoices/Choices) or "enum"


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    cls: str  # the field class's qualified dotted name (`django.db.models.CharField`), as written when unresolved
    span: Span  # the field's name in its class
    relation: str | None = None  # "fk", "o2o", "m2m"; SQLAlchemy: "many", "one", "rel"
    related: str | None = None  # the related model: a qualified dotted name, or the string as written
    related_by_string: bool = False  # `related` is a string (`"self"`, `"Organizer"`, `"shop.Order"`)
    related_name: str | None = None  # the reverse accessor given (`related_name=`, `back_populates=`, `backref=`)
    choices: ChoiceSet | None = None  # None: no choices, or not literal


@dataclass(frozen=True, slots=True)
class Model:
    name: str  # the class's name within the module (`Order`)
    span: Span  # the class name in its `class` line
    bases: tuple[str, ...]  # qualified dotted names, or local names as written
    fields: tuple[Field, ...]
    managers: tuple[str, ...] = ()  # class-level managers (`objects = OrderManager()`, `QuerySet.as_manager()`)
    abstract: bool = False  # `class Meta: abstract = True`
    framework: str = "django"  # "django" or "sqlalchemy"


@dataclass(frozen=True, slots=True)
class ModuleModels:
    module: str
    models: Mapping[str, Model]
    choices: Mapping[str, ChoiceSet]  # named choice sets: `STATUS_CHOICES`, `Order.STATUS_CHOICE`, `Order.Status`


# qualified names of the bases that make a class a Django model
DJANGO_MODEL_BASES = frozenset(("django.db.models.Model", "django.db.models.base.Model"))
_DJANGO_CHOICES = frozenset(
    f"django.db.models.{prefix}{name}"
    for prefix in ("", "enums.")
    for name in ("TextChoices", "IntegerChoices", "Choices")
)
_ENUM_BASES = frozenset(("enum.Enum", "enum.StrEnum", "enum.IntEnum"))
# bases of classes that have fields but are not models: forms, serializers, filters, schemas
_NOT_MODELS = ("django.forms", "rest_framework", "django_filters", "pydantic", "marshmallow", "graphene", "wtforms", "ninja")
_SQLALCHEMY_FIELDS = frozenset(("Column", "mapped_column", "relationship", "column_property", "deferred"))
_MISSING = object()


def module_imports(file: SourceFile, body: list[ast.stmt]) -> dict[str, str]:
    """Local name -> qualified dotted name, from the imports among these statements (and under
    `if`/`try` at that level), relative imports resolved."""
    return import_table(_flat(body), file.module, file.path.endswith("__init__.py"))


def _flat(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """The statements of a body, with those under `if`/`try` at the same level."""
    for stmt in body:
        if isinstance(stmt, ast.If):
            yield from _flat([*stmt.body, *stmt.orelse])
        elif isinstance(stmt, ast.Try):
            yield from _flat([*stmt.body, *stmt.orelse, *stmt.finalbody, *(s for h in stmt.handlers for s in h.body)])
        else:
            yield stmt


def _assigned(stmt: ast.stmt) -> tuple[str, ast.expr] | None:
    """`NAME = value` / `NAME: T = value` with one plain name target."""
    if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
        return stmt.targets[0].id, stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value is not None:
        return stmt.target.id, stmt.value
    return None


def literal(node: ast.expr) -> object:
    """A constant's value (`-1` included), or _MISSING."""
    if isinstance(node, ast.Constant) and not isinstance(node.value, (bytes, type(Ellipsis))):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant):
        value = node.operand.value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    return _MISSING


class _Collector:
    """One module's models and choice sets."""

    def __init__(self, file: SourceFile, tree: ast.Module) -> None:
        self.file = file
        self.imports = module_imports(file, tree.body)
        self.consts: dict[str, Value] = {}  # `NAME` / `Cls.NAME` -> literal value
        self.choices: dict[str, ChoiceSet] = {}
        self.models: dict[str, Model] = {}
        body = list(_flat(tree.body))
        for stmt in body:  # constants and choice lists first: a class may use one defined below it
            self._constant(stmt, "")
        for stmt in body:
            if not isinstance(stmt, ast.ClassDef):
                self._named_choices(stmt, "")
        for stmt in body:
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, "")

    # --- values -------------------------------------------------------------------------------

    def _constant(self, stmt: ast.stmt, prefix: str) -> None:
        pair = _assigned(stmt)
        if pair is None:
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Tuple) and isinstance(stmt.value, ast.Tuple):
                names, values = stmt.targets[0].elts, stmt.value.elts  # `PENDING, PAID = "p", "d"`
                if len(names) == len(values):
                    for name, node in zip(names, values):
                        value = self._value(node, prefix)
                        if isinstance(name, ast.Name) and value is not _MISSING:
                            self.consts[f"{prefix}{name.id}"] = value  # type: ignore[assignment]
            return
        value = self._value(pair[1], prefix)
        if value is not _MISSING:
            self.consts[f"{prefix}{pair[0]}"] = value  # type: ignore[assignment]

    def _value(self, node: ast.expr, prefix: str) -> object:
        """A literal, or a constant of this module (`STATUS_PAID`, `Order.STATUS_PAID`, a class-level
        name from inside its class)."""
        value = literal(node)
        if value is not _MISSING:
            return value
        name = _dotted(node)
        if name is None:
            return _MISSING
        scopes = prefix.split(".")[:-1]
        for cut in range(len(scopes), -1, -1):
            key = ".".join([*scopes[:cut], name])
            if key in self.consts:
                return self.consts[key]
        return _MISSING

    def choice_set(self, node: ast.expr, prefix: str) -> ChoiceSet | None:
        """The choices an expression stands for, or None when not literal."""
        if isinstance(node, (ast.List, ast.Tuple)):
            values: list[Value] = []
            for item in node.elts:
                if not isinstance(item, (ast.Tuple, ast.List)) or len(item.elts) != 2:
                    return None
                group = item.elts[1]
                if isinstance(group, (ast.Tuple, ast.List)) and group.elts and all(isinstance(e, (ast.Tuple, ast.List)) for e in group.elts):
                    inner = self.choice_set(group, prefix)  # a named group: ("Audio", (("vinyl", "Vinyl"), ...))
                    if inner is None or inner.values is None:
                        return None
                    values.extend(inner.values)
                    continue
                value = self._value(item.elts[0], prefix)
                if value is _MISSING:
                    return None
                values.append(value)  # type: ignore[arg-type]
            return ChoiceSet(tuple(values))
        if isinstance(node, ast.Dict):  # Django 5: {value: label}
            keys = [self._value(k, prefix) if k is not None else _MISSING for k in node.keys]
            if any(k is _MISSING for k in keys):
                return None
            return ChoiceSet(tuple(keys))  # type: ignore[arg-type]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, right = self.choice_set(node.left, prefix), self.choice_set(node.right, prefix)
            if left is None or right is None or left.values is None or right.values is None:
                return None
            return ChoiceSet((*left.values, *right.values))
        if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
            return self._comprehension(node, prefix)
        if isinstance(node, ast.Call) and not node.keywords and len(node.args) == 1 and _dotted(node.func) in ("list", "tuple"):
            return self.choice_set(node.args[0], prefix)
        name = _dotted(node)
        if name is None:
            return None
        via = "choices" if name.endswith(".choices") else ""
        if via:
            name = name[: -len(".choices")]
        return self._named(name, via, prefix)

    def _named(self, name: str, via: str, prefix: str) -> ChoiceSet | None:
        """A choice set by name: this module's (known now), or an imported one (a reference)."""
        local = self._local_choices(name, prefix)
        if local is not None:
            # `.choices` of a plain Enum is the project's own method: unknown
            return ChoiceSet(local.values) if ChoicesRef(name, via).accepts(local) else None
        if name.split(".")[0] in self.imports:
            return ChoiceSet(ref=ChoicesRef(qualified(self.imports, name), via))
        return None

    def _local_choices(self, name: str, prefix: str) -> ChoiceSet | None:
        scopes = prefix.split(".")[:-1]
        for cut in range(len(scopes), -1, -1):
            found = self.choices.get(".".join([*scopes[:cut], name]))
            if found is not None:
                return found
        return None

    def _comprehension(self, node: ast.ListComp | ast.GeneratorExp, prefix: str) -> ChoiceSet | None:
        """`[(s.value, s.label) for s in Status]` (an enum's values), `[(x, x) for x in NAMES]`."""
        if len(node.generators) != 1 or node.generators[0].ifs or not isinstance(node.elt, ast.Tuple) or len(node.elt.elts) != 2:
            return None
        gen = node.generators[0]
        first = node.elt.elts[0]
        if not isinstance(gen.target, ast.Name):
            return None
        target = gen.target.id
        if isinstance(first, ast.Attribute) and first.attr == "value" and isinstance(first.value, ast.Name) and first.value.id == target:
            name = _dotted(gen.iter)
            return self._named(name, "value", prefix) if name is not None else None
        if isinstance(first, ast.Name) and first.id == target and isinstance(gen.iter, (ast.List, ast.Tuple)):
            values = [self._value(e, prefix) for e in gen.iter.elts]
            return None if any(v is _MISSING for v in values) else ChoiceSet(tuple(values))  # type: ignore[arg-type]
        return None

    def _named_choices(self, stmt: ast.stmt, prefix: str) -> None:
        """A module- or class-level constant that holds choices (only literal ones are kept)."""
        pair = _assigned(stmt)
        if pair is None:
            return
        name, value = pair
        if isinstance(value, ast.Call) and _dotted(value.func) is not None:
            callee = qualified(self.imports, _dotted(value.func) or "")
            if callee in ("model_utils.Choices", "model_utils.choices.Choices"):
                found = self._model_utils(value, prefix)
                if found is not None:
                    self.choices[f"{prefix}{name}"] = found
            return
        if not isinstance(value, (ast.List, ast.Tuple, ast.Dict, ast.BinOp)):
            return
        found = self.choice_set(value, prefix)
        if found is not None and found.values:
            self.choices[f"{prefix}{name}"] = found

    def _model_utils(self, call: ast.Call, prefix: str) -> ChoiceSet | None:
        """model_utils `Choices("draft", ("published", "Published"), (0, "zero", "Zero"))`."""
        values: list[Value] = []
        for arg in call.args:
            node = arg.elts[0] if isinstance(arg, (ast.Tuple, ast.List)) and arg.elts else arg
            value = self._value(node, prefix)
            if value is _MISSING:
                return None
            values.append(value)  # type: ignore[arg-type]
        return ChoiceSet(tuple(values)) if values else None

    # --- classes ------------------------------------------------------------------------------

    def _class(self, node: ast.ClassDef, prefix: str) -> None:
        name = f"{prefix}{node.name}"
        bases = tuple(qualified(self.imports, b) for b in (_dotted(x) for x in node.bases) if b)
        if self._enum(node, name, bases):
            return
        if any(b.startswith(_NOT_MODELS) for b in bases):
            return
        inner = f"{name}."
        members = list(_flat(node.body))
        for stmt in members:  # constants, choice lists and enums first: a field may use one defined below it
            self._constant(stmt, inner)
        for stmt in members:
            if isinstance(stmt, ast.ClassDef) and stmt.name != "Meta":
                self._class(stmt, inner)
            elif not isinstance(stmt, ast.ClassDef):
                self._named_choices(stmt, inner)
        fields: list[Field] = []
        managers: list[str] = []
        abstract = meta = tablename = sqlalchemy = False
        for stmt in members:
            if isinstance(stmt, ast.ClassDef):
                if stmt.name == "Meta":
                    meta = True
                    abstract = abstract or any(
                        (pair := _assigned(s)) is not None and pair[0] == "abstract" and literal(pair[1]) is True for s in stmt.body
                    )
                continue
            pair = _assigned(stmt)
            if pair is None:
                continue
            target, value = pair
            if target in ("__tablename__", "__table__"):
                tablename = True
                continue
            if target == "__abstract__":
                abstract = abstract or literal(value) is True
                continue
            if not isinstance(value, ast.Call):
                continue
            made = self._field(target, stmt, value, inner)
            if made is not None:
                fields.append(made)
                sqlalchemy = sqlalchemy or made.cls.rsplit(".", 1)[-1] in _SQLALCHEMY_FIELDS
            elif _manager(value):
                managers.append(target)
        django = any(b in DJANGO_MODEL_BASES for b in bases)
        orm_base = any(b.startswith("sqlalchemy.") for b in bases)
        if not bases or not (fields or meta or tablename or django or orm_base or managers):
            return
        col = node.col_offset + len("class ")
        framework = "sqlalchemy" if (tablename or orm_base or sqlalchemy) and not django else "django"
        self.models[name] = Model(
            name,
            Span(node.lineno, col, node.lineno, col + len(node.name)),
            bases,
            tuple(fields),
            tuple(managers),
            abstract or (framework == "sqlalchemy" and not tablename),  # a declarative base or mixin has no table
            framework,
        )

    def _enum(self, node: ast.ClassDef, name: str, bases: tuple[str, ...]) -> bool:
        """An enum class: its members' values as a named choice set. True when it is one."""
        kind = "django" if any(b in _DJANGO_CHOICES for b in bases) else "enum" if any(b in _ENUM_BASES for b in bases) else ""
        if not kind:
            return False
        # what `auto()` gives: TextChoices the name, StrEnum the lower-cased name, integer enums previous + 1
        text = "name" if any(b.endswith("TextChoices") for b in bases) else "lower" if any(b.endswith("StrEnum") for b in bases) else ""
        number = not text and "str" not in bases and not any(b.endswith(".Choices") for b in bases)
        values: list[Value] = []
        for stmt in node.body:
            pair = _assigned(stmt)
            if pair is None:
                continue
            member, value = pair
            if member == "__empty__" and kind == "django":
                values.append(None)
                continue
            if member.startswith("_") or member in ("label", "do_not_call_in_templates"):
                continue
            if kind == "django" and isinstance(value, ast.Tuple) and len(value.elts) > 1:
                last = value.elts[-1]
                if (isinstance(last, ast.Constant) and isinstance(last.value, str)) or isinstance(last, ast.Call):
                    value = value.elts[0] if len(value.elts) == 2 else value  # `X = "x", _("Label")` -> "x"
            if isinstance(value, ast.Call) and qualified(self.imports, _dotted(value.func) or "") == "enum.auto" and not value.args:
                previous = values[-1] if values else 0
                if text:
                    values.append(member if text == "name" else member.lower())
                elif number and isinstance(previous, int):
                    values.append(previous + 1)
                else:  # `class S(str, Enum)`: auto() gives an int that str() turns into "1"
                    self.choices.pop(name, None)
                    return True
                continue
            found = self._value(value, f"{name}.")
            if found is _MISSING:
                self.choices.pop(name, None)
                return True  # a computed member: the set is unknown
            values.append(found)  # type: ignore[arg-type]
        self.choices[name] = ChoiceSet(tuple(values), enum=kind)
        return True

    def _field(self, target: str, stmt: ast.stmt, call: ast.Call, prefix: str) -> Field | None:
        callee = _dotted(call.func)
        if callee is None:
            return None
        cls = qualified(self.imports, callee)
        last = cls.rsplit(".", 1)[-1]
        kwargs = {k.arg: k.value for k in call.keywords if k.arg}
        sqlalchemy = last in _SQLALCHEMY_FIELDS
        if not (last.endswith(("Field", "ForeignKey")) or last in ("ParentalKey", "GenericRelation") or "choices" in kwargs or sqlalchemy):
            return None
        span = Span(stmt.lineno, stmt.col_offset, stmt.lineno, stmt.col_offset + len(target))
        relation = related_name = None
        related: str | None = None
        by_string = False
        if last.endswith("ForeignKey") or last == "ParentalKey":
            relation = "fk"
        elif last.endswith("OneToOneField"):
            relation = "o2o"
        elif last.endswith("ManyToManyField"):
            relation = "m2m"
        elif last == "relationship":
            relation = _direction(stmt, kwargs)
        if relation is not None:
            to = kwargs.get("to") or kwargs.get("argument") or (call.args[0] if call.args else None)
            if isinstance(to, ast.Constant) and isinstance(to.value, str):
                related, by_string = to.value, True
            elif to is not None and (written := _dotted(to)) is not None:
                related = qualified(self.imports, written)
            reverse = kwargs.get("related_name") or kwargs.get("back_populates") or kwargs.get("backref")
            if isinstance(reverse, ast.Call) and reverse.args:  # `backref("orders", lazy=...)`
                reverse = reverse.args[0]
            if isinstance(reverse, ast.Constant) and isinstance(reverse.value, str):
                related_name = reverse.value
        choices = self.choice_set(kwargs["choices"], prefix) if "choices" in kwargs else None
        if sqlalchemy and choices is None:
            choices = self._sqlalchemy_enum(call)
        return Field(target, cls, span, relation, related, by_string, related_name, choices)

    def _sqlalchemy_enum(self, call: ast.Call) -> ChoiceSet | None:
        """`Column(Enum("draft", "published", name="status"))`: the strings are the allowed values."""
        for arg in call.args:
            if isinstance(arg, ast.Call) and (_dotted(arg.func) or "").rsplit(".", 1)[-1] == "Enum" and arg.args:
                strings = [a.value for a in arg.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if len(strings) == len(arg.args):
                    return ChoiceSet(tuple(strings))
        return None


def _direction(stmt: ast.stmt, kwargs: Mapping[str, ast.expr]) -> str:
    """A SQLAlchemy relationship's side: "many" (a collection), "one", or "rel" when not written."""
    uselist = kwargs.get("uselist")
    if uselist is not None and literal(uselist) is not _MISSING:
        return "many" if literal(uselist) else "one"
    if "secondary" in kwargs:
        return "many"
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.annotation, ast.Subscript):
        inner = stmt.annotation.slice
        if isinstance(inner, ast.Subscript):
            outer = (_dotted(inner.value) or "").rsplit(".", 1)[-1].lower()
            return "many" if outer in ("list", "set", "sequence", "collection") else "one"
        return "one"
    return "rel"


def _manager(call: ast.Call) -> bool:
    """`OrderManager()`, `OrderQuerySet.as_manager()`, `Manager.from_queryset(QS)()`."""
    func = call.func
    if isinstance(func, ast.Call):  # `Manager.from_queryset(QS)()`
        return isinstance(func.func, ast.Attribute) and func.func.attr == "from_queryset"
    name = _dotted(func) or ""
    return name.endswith("Manager") or name.endswith(".as_manager")


def collect_models(file: SourceFile) -> ModuleModels | None:
    """The MODELS facts of one module (None when it has neither models nor choice sets)."""
    tree = file.tree()
    if tree is None:
        return None
    collector = _Collector(file, tree)
    if not collector.models and not collector.choices:
        return None
    return ModuleModels(file.module, collector.models, collector.choices)


# --- resolution in check ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A model of the project with its fields, inherited ones included."""

    path: str
    name: str
    model: Model | None  # None: a class without fields of its own (its bases make it a model)
    fields: Mapping[str, tuple[str, Field]]  # name -> (the path of the module declaring it, the field)
    managers: frozenset[str]
    framework: str = "django"

    @property
    def label(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(slots=True)
class _Memo:
    models: dict[tuple[str, str], ModelInfo | None] = field(default_factory=dict)
    by_name: dict[str, list[tuple[str, str]]] | None = None
    reverse: dict[tuple[str, str], dict[str, tuple[str, ModelInfo]]] | None = None


class Models:
    """Models of the whole project from the MODELS and SYMBOLS facts (a rule using it needs both)."""

    def __init__(self, project: ProjectView) -> None:
        self.project = project
        self.modules: Mapping[str, ModuleModels] = project.facts(MODELS)
        self.symbols: Mapping[str, object] = project.facts(SYMBOLS)
        self._resolver = Symbols(project)
        self._memo = _Memo()

    def locate(self, name: str) -> tuple[str, str] | None:
        """A qualified dotted name -> (the project file, the name inside it), following re-exports
        (`from .orders import Order` in a package's `__init__.py`) and Django source roots (a
        `manage.py` in a subfolder); None outside the project (`Symbols.locate_qualified`)."""
        found = self._resolver.locate_qualified(name)
        return found if found is not None and found[1] else None

    def _imports(self, path: str) -> Mapping[str, str]:
        module = self.symbols.get(path)
        imports = getattr(module, "imports", None)
        return imports if isinstance(imports, Mapping) else {}

    def _defines(self, path: str, name: str) -> bool:
        module = self.modules.get(path)
        if module is not None and (name in module.models or name in module.choices):
            return True
        definitions = getattr(self.symbols.get(path), "definitions", None)
        return isinstance(definitions, Mapping) and name in definitions

    def _bases_of(self, path: str, name: str) -> tuple[str, ...] | None:
        definitions = getattr(self.symbols.get(path), "definitions", None)
        definition = definitions.get(name) if isinstance(definitions, Mapping) else None
        bases = getattr(definition, "bases", None)
        return tuple(bases) if isinstance(bases, tuple) else None

    def _place(self, path: str, name: str) -> tuple[str, str] | None:
        """A name recorded in the module at `path` (local, or qualified through its imports)."""
        head = name.split(".")[0]
        if self._defines(path, head):
            return path, name
        if "." not in name and name in self._imports(path):
            name = self._imports(path)[name]
        return self.locate(name)

    def model(self, path: str, name: str) -> ModelInfo | None:
        """The model that `name` (local or qualified, as the facts record names) stands for in
        the module at `path`; None when it is not a model of the project."""
        place = self._place(path, name)
        return self._model(*place) if place is not None else None

    def _model(self, path: str, name: str, depth: int = 0) -> ModelInfo | None:
        key = (path, name)
        if key in self._memo.models:
            return self._memo.models[key]
        self._memo.models[key] = None  # a cycle of bases is not a model
        if depth > 30:
            return None
        module = self.modules.get(path)
        own = module.models.get(name) if module is not None else None
        bases = own.bases if own is not None else self._bases_of(path, name)
        if bases is None:
            return None
        fields: dict[str, tuple[str, Field]] = {}
        managers: set[str] = set()
        is_model = any(b in DJANGO_MODEL_BASES for b in bases)
        framework = "django"
        for base in reversed(bases):
            place = self._place(path, base)
            info = self._model(*place, depth=depth + 1) if place is not None else None
            if info is None:
                continue
            is_model = True
            fields.update(info.fields)
            managers.update(info.managers)
            framework = info.framework
        if own is not None:
            fields.update((f.name, (path, f)) for f in own.fields)
            managers.update(own.managers)
            if own.framework == "sqlalchemy":
                is_model, framework = True, "sqlalchemy"
        if not is_model:
            return None
        info = ModelInfo(path, name, own, fields, frozenset(managers), framework)
        self._memo.models[key] = info
        return info

    def all(self) -> Iterator[ModelInfo]:
        """Every model of the project (abstract ones included: `info.model.abstract`)."""
        for path, module in self.modules.items():
            for name in module.models:
                info = self._model(path, name)
                if info is not None:
                    yield info

    def choices(self, choices: ChoiceSet | None, *, depth: int = 0) -> tuple[Value, ...] | None:
        """The allowed values of a field's (or a named) choice set; None when unknown."""
        if choices is None or depth > 10:
            return None
        if choices.values is not None or choices.ref is None:
            return choices.values
        place = self.locate(choices.ref.name)
        module = self.modules.get(place[0]) if place is not None else None
        target = module.choices.get(place[1]) if module is not None and place is not None else None
        if target is None or not choices.ref.accepts(target):
            return None
        return self.choices(target, depth=depth + 1)

    def related(self, info: ModelInfo, name: str) -> ModelInfo | None:
        """The model a relation field of `info` points to."""
        found = info.fields.get(name)
        if found is None or found[1].related is None:
            return None
        path, fld = found
        related = fld.related
        assert related is not None
        if not fld.related_by_string:
            return self.model(path, related)
        if related == "self":
            return info
        if "." not in related:
            local = self._model(path, related) if self._defines(path, related) else None
            if local is not None:
                return local
        return self._by_label(path, related)

    def _by_label(self, path: str, label: str) -> ModelInfo | None:
        """`"shop.Order"` or `"Order"`: the project's model of that class name (in that app, or in
        the app of `path` when no label is given), if there is exactly one."""
        if self._memo.by_name is None:
            by_name: dict[str, list[tuple[str, str]]] = {}
            for module_path, module in self.modules.items():
                for model_name in module.models:
                    by_name.setdefault(model_name.rsplit(".", 1)[-1], []).append((module_path, model_name))
            self._memo.by_name = by_name
        app, _, cls = label.rpartition(".")
        candidates = self._memo.by_name.get(cls, [])
        if len(candidates) > 1:  # the app label is usually the app folder's name (an AppConfig may rename it)
            if app:
                candidates = [c for c in candidates if PurePosixPath(_app_of(c[0])).name == app]
            else:
                candidates = [c for c in candidates if _app_of(c[0]) == _app_of(path)]
        if len(candidates) != 1:
            return None
        return self._model(*candidates[0])

    def reverse(self, info: ModelInfo) -> Mapping[str, tuple[str, ModelInfo]]:
        """Reverse accessors onto a model: name -> (relation kind, the model holding the field).
        `related_name` when given, else Django's `<model>_set` (`<model>` for a one-to-one)."""
        if self._memo.reverse is None:
            table: dict[tuple[str, str], dict[str, tuple[str, ModelInfo]]] = {}
            for source in self.all():
                if source.model is None or source.model.abstract:
                    continue
                for fname, (_, fld) in source.fields.items():
                    if fld.relation not in ("fk", "o2o", "m2m") or fld.related_name == "+" or (fld.related_name or "").endswith("+"):
                        continue
                    target = self.related(source, fname)
                    if target is None:
                        continue
                    lower = source.label.lower()
                    accessor = (fld.related_name or "").replace("%(class)s", lower)
                    if not accessor:
                        accessor = lower if fld.relation == "o2o" else f"{lower}_set"
                    table.setdefault((target.path, target.name), {})[accessor] = (fld.relation, source)
            self._memo.reverse = table
        return self._memo.reverse.get((info.path, info.name), {})


def _app_of(path: str) -> str:
    """The Django app folder of a module: `shop/models.py` and `shop/models/order.py` -> `shop`."""
    parts = PurePosixPath(path).parts
    if "models" in parts[:-1]:
        return "/".join(parts[: parts.index("models")])
    return "/".join(parts[:-1])
