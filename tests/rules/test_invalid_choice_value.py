"""RV605 invalid-choice-value beyond its examples: messages, where it points, and what it skips."""

from __future__ import annotations

import textwrap

from rules.api import Invalid, Valid
from rules.data.invalid_choice_value import InvalidChoiceValue
from tests.harness import run_example

MODELS = """
from django.db import models
from django.contrib.postgres.fields import ArrayField

from shop.enums import Priority, Status


class Order(models.Model):
    status = models.CharField(max_length=20, choices=Status.choices)
    priority = models.IntegerField(choices=Priority.choices, default=Priority.LOW)
    tags = ArrayField(models.CharField(max_length=10), choices=[("a", "A")])

    objects = models.Manager()
"""
ENUMS = """
from django.db import models


class Status(models.TextChoices):
    PENDING = "pending", "Pending"
    CANCELLED = "cancelled", "Cancelled"


class Priority(models.IntegerChoices):
    LOW = 1, "Low"
    HIGH = 2, "High"
"""
FILES = {"shop/__init__.py": "", "shop/models.py": MODELS, "shop/enums.py": ENUMS}


def findings(code: str, path: str = "shop/services.py", files: dict[str, str] | None = None) -> list[tuple[int, str]]:
    example = Valid(textwrap.dedent(code), path=path, files={**FILES, **(files or {})})
    _, analysis = run_example(InvalidChoiceValue, example)
    assert not analysis.crashes
    return [(f.span.line, f.message) for f in analysis.findings]


def test_the_message_suggests_the_closest_value_and_points_at_the_field() -> None:
    example = Invalid(
        'from shop.models import Order\n\n\ndef cancel(order: Order):\n    order.status = "canceled"  # <- RV605\n',
        path="shop/services.py",
        files=FILES,
    )
    _, analysis = run_example(InvalidChoiceValue, example)
    (finding,) = analysis.findings
    assert finding.message == '`"canceled"` is not one of `Order.status`\'s choices: did you mean `"cancelled"`?'
    assert (finding.span.line, finding.span.col, finding.span.end_col) == (5, 19, 29)  # the literal
    (related,) = finding.related
    assert related.path == "shop/models.py" and related.span.line == 9  # `status = models.CharField(...)`


def test_far_values_are_listed() -> None:
    got = findings('from shop.models import Order\n\nOrder.objects.create(status="zzz")\nOrder(status="penned")\nOrder(status="CANCELLED")\n')
    assert got == [
        (3, '`"zzz"` is not one of `Order.status`\'s choices: allowed: `"pending"`, `"cancelled"`'),
        (4, '`"penned"` is not one of `Order.status`\'s choices: allowed: `"pending"`, `"cancelled"`'),  # too far to suggest
        (5, '`"CANCELLED"` is not one of `Order.status`\'s choices: did you mean `"cancelled"`?'),
    ]


def test_integer_choices_compare_as_written_in_either_type() -> None:
    got = findings('from shop.models import Order\n\nOrder(priority=3)\nOrder(priority="1")\nOrder(priority=2)\n')
    assert [line for line, _ in got] == [3]


def test_empty_values_several_valued_fields_and_lookups_are_not_checked() -> None:
    code = """
        from shop.models import Order

        Order(status="")
        Order(tags="b")
        Order.objects.get_or_create(status__in=["x"], defaults={"status": "pending"})
        Order.objects.filter(status="legacy")
        Order.Status.create(status="x")
    """
    assert findings(code) == []


def test_async_writes_and_querysets_held_in_names() -> None:
    code = """
        from shop.models import Order


        async def close():
            await Order.objects.acreate(status="closed")
            order = await Order.objects.aget(pk=1)
            order.status = "done"
            pending = Order.objects.filter(status="pending")
            pending.update(status="stale")
    """
    assert [line for line, _ in findings(code)] == [5, 7, 9]  # the source starts at its first line


def test_columns_count_code_points() -> None:
    got = findings('from shop.models import Order\n\nOrder(note="é€", status="nope")\n')
    assert got and got[0][0] == 3
    example = Invalid('from shop.models import Order\n\nOrder(note="é€", status="nope")  # <- RV605\n', path="shop/services.py", files=FILES)
    _, analysis = run_example(InvalidChoiceValue, example)
    assert analysis.findings[0].span.col == len('Order(note="é€", status=')


def test_a_fixture_in_a_test_is_checked_a_validation_test_is_not() -> None:
    code = """
        from django.core.exceptions import ValidationError

        from shop.models import Order


        def test_cancel():
            order = Order.objects.create(status="canceled")


        def test_unknown_status(self):
            order = Order(status="bogus")
            self.assertRaises(ValidationError, order.full_clean)
    """
    assert [line for line, _ in findings(code, path="shop/tests/test_orders.py")] == [7]


def test_a_name_rebound_to_another_class_is_unknown() -> None:
    code = """
        from shop.models import Order


        def f(flag, other):
            order = Order()
            if flag:
                order = other
            order.status = "x"
    """
    assert findings(code) == []


def test_sqlalchemy_enum_columns() -> None:
    files = {
        "app/__init__.py": "",
        "app/db.py": """
            from sqlalchemy import Column, Enum, Integer
            from sqlalchemy.orm import declarative_base

            Base = declarative_base()


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                role = Column(Enum("admin", "member", name="role"))
        """,
    }
    code = """
        from app.db import User


        def promote(session, user: User):
            user.role = "admin"
            session.add(User(role="owner"))
    """
    assert [line for line, _ in findings(code, path="app/services.py", files=files)] == [6]


def test_models_imported_below_the_project_root() -> None:
    # label-studio: `label_studio/projects/models.py` is imported as `projects.models` (manage.py's folder is on sys.path)
    files = {
        "label_studio/manage.py": "",
        "label_studio/projects/__init__.py": "",
        "label_studio/projects/models.py": """
            from django.db import models


            class Project(models.Model):
                state = models.CharField(max_length=9, choices=[("open", "Open"), ("closed", "Closed")])
        """,
    }
    code = "from projects.models import Project\n\nProject.objects.create(state='opened')\n"
    assert [line for line, _ in findings(code, path="label_studio/projects/api.py", files=files)] == [3]


def test_string_annotations_that_are_not_expressions_are_skipped() -> None:
    code = """
        from shop.models import Order


        def f(a: "Order\\x00", b: "not an (expression", c: "Order"):
            c.status = "x"
    """
    assert [line for line, _ in findings(code)] == [5]
