"""The MODELS fact kind: models, fields, relations and choices per module, resolved across modules."""

from __future__ import annotations

import pickle
import textwrap
from collections.abc import Mapping

from rules.api.facts import KINDS
from rules.api.models import ChoicesRef, Models, ModuleModels, collect_models
from rules.api.project import MODELS, SYMBOLS, ProjectView, SourceFile
from rules.api.symbols import collect_symbols


def gather(path: str, code: str) -> ModuleModels | None:
    return collect_models(SourceFile(path, textwrap.dedent(code)))


def project(files: dict[str, str]) -> ProjectView:
    sources = {path: SourceFile(path, textwrap.dedent(code)) for path, code in files.items()}
    symbols = {p: s for p, f in sources.items() if (s := collect_symbols(f)) is not None}
    models = {p: m for p, f in sources.items() if (m := collect_models(f)) is not None}
    kinds: dict[str, Mapping[str, object]] = {SYMBOLS: symbols, MODELS: models}
    return ProjectView("/p", (), (), tuple(sources), (), kinds=kinds)


ORDER = """
    from django.db import models
    from django.utils.translation import gettext_lazy as _

    STATUS_CHOICES = [("cancelled", "Cancelled"), ("paid", "Paid")]


    class Order(models.Model):
        STATUS_PENDING = "n"
        STATUS_CHOICE = ((STATUS_PENDING, _("pending")), ("p", _("paid")))

        class Kind(models.TextChoices):
            GIFT = "gift", _("Gift card")
            TICKET = "ticket"

        status = models.CharField(max_length=3, choices=STATUS_CHOICE)
        state = models.CharField(max_length=20, choices=STATUS_CHOICES)
        kind = models.CharField(max_length=10, choices=Kind.choices)
        customer = models.ForeignKey("Customer", related_name="orders", on_delete=models.CASCADE)
        parent = models.ForeignKey("self", null=True, on_delete=models.CASCADE)
        note = models.TextField()
        objects = models.Manager()
"""


def test_fields_relations_and_choices_of_a_django_model() -> None:
    facts = gather("shop/models.py", ORDER)
    assert facts is not None
    order = facts.models["Order"]
    assert order.bases == ("django.db.models.Model",)
    assert order.managers == ("objects",)
    fields = {f.name: f for f in order.fields}
    assert fields["status"].cls == "django.db.models.CharField"
    assert fields["status"].choices is not None and fields["status"].choices.values == ("n", "p")
    assert fields["state"].choices is not None and fields["state"].choices.values == ("cancelled", "paid")
    assert fields["kind"].choices is not None and fields["kind"].choices.values == ("gift", "ticket")
    assert fields["note"].choices is None and fields["note"].relation is None
    customer = fields["customer"]
    assert (customer.relation, customer.related, customer.related_by_string, customer.related_name) == ("fk", "Customer", True, "orders")
    assert fields["parent"].related == "self"
    assert facts.choices["Order.Kind"].enum == "django"
    assert facts.choices["STATUS_CHOICES"].values == ("cancelled", "paid")
    assert pickle.loads(pickle.dumps(facts)) == facts  # the index caches it on disk


def test_choices_defined_below_the_field() -> None:
    facts = gather(
        "shop/models.py",
        """
        from django.db import models


        class Order(models.Model):
            status = models.CharField(choices=STATUS_CHOICES)
            kind = models.CharField(choices=Kind.choices)

            STATUS_CHOICES = [(OPEN, "Open"), (CLOSED, "Closed")]
            OPEN = "open"
            CLOSED, ARCHIVED = "closed", "archived"

            class Kind(models.TextChoices):
                GIFT = "gift"
        """,
    )
    assert facts is not None
    fields = {f.name: f.choices for f in facts.models["Order"].fields}
    assert fields["status"] is not None and fields["status"].values == ("open", "closed")
    assert fields["kind"] is not None and fields["kind"].values == ("gift",)


def test_choices_enum_members_follow_django() -> None:
    facts = gather(
        "shop/enums.py",
        """
        from enum import Enum, StrEnum, auto

        from django.db import models


        class Status(models.TextChoices):
            DRAFT = auto()
            PUBLISHED = "published", "Published"
            __empty__ = "(Unknown)"


        class Priority(models.IntegerChoices):
            LOW = 1, "Low"
            HIGH = 2


        class Color(StrEnum):
            RED = auto()


        class Mixed(str, Enum):
            A = auto()


        class Computed(models.TextChoices):
            A = make_value()
        """,
    )
    assert facts is not None
    assert facts.choices["Status"].values == ("DRAFT", "published", None)  # TextChoices' auto() is the name as is
    assert facts.choices["Priority"].values == (1, 2)
    assert facts.choices["Color"].values == ("red",)
    assert facts.choices["Color"].enum == "enum"
    assert "Mixed" not in facts.choices  # str mixin with auto(): "1", not worth guessing
    assert "Computed" not in facts.choices
    assert not facts.models


def test_unknown_choices_are_none_and_groups_and_mappings_are_flattened() -> None:
    facts = gather(
        "media/models.py",
        """
        from django.db import models
        from django.conf import settings

        MEDIA = [("Audio", (("vinyl", "Vinyl"), ("cd", "CD"))), ("unknown", "Unknown")]


        class Disc(models.Model):
            media = models.CharField(choices=MEDIA)
            size = models.IntegerField(choices={1: "one", -1: "minus one"})
            language = models.CharField(choices=settings.LANGUAGES)
            computed = models.CharField(choices=[(k, v) for k, v in TYPES.items()])
            added = models.CharField(choices=[(None, "none")] + MEDIA)
            tag = models.CharField(choices=[(t, t) for t in ("a", "b")])
        """,
    )
    assert facts is not None
    fields = {f.name: f.choices for f in facts.models["Disc"].fields}
    assert fields["media"] is not None and fields["media"].values == ("vinyl", "cd", "unknown")
    assert fields["size"] is not None and fields["size"].values == (1, -1)
    assert fields["language"] is not None and fields["language"].values is None  # a reference, unknown outside the project
    assert fields["computed"] is None
    assert fields["added"] is not None and fields["added"].values == (None, "vinyl", "cd", "unknown")
    assert fields["tag"] is not None and fields["tag"].values == ("a", "b")


def test_imported_choices_are_references() -> None:
    facts = gather(
        "shop/models.py",
        """
        from django.db import models
        from .constants import STATUS_CHOICES
        from shop import enums


        class Order(models.Model):
            status = models.CharField(choices=STATUS_CHOICES)
            kind = models.CharField(choices=enums.Kind.choices)
            color = models.CharField(choices=[(c.value, c.name) for c in enums.Color])
        """,
    )
    assert facts is not None
    fields = {f.name: f.choices for f in facts.models["Order"].fields}
    assert fields["status"] is not None and fields["status"].ref == ChoicesRef("shop.constants.STATUS_CHOICES")
    assert fields["kind"] is not None and fields["kind"].ref == ChoicesRef("shop.enums.Kind", "choices")
    assert fields["color"] is not None and fields["color"].ref == ChoicesRef("shop.enums.Color", "value")


def test_forms_serializers_and_plain_classes_are_not_models() -> None:
    assert (
        gather(
            "shop/forms.py",
            """
            from django import forms
            from rest_framework import serializers


            class OrderForm(forms.Form):
                status = forms.ChoiceField(choices=[("a", "A")])


            class OrderSerializer(serializers.Serializer):
                status = serializers.ChoiceField(choices=[("a", "A")])


            class Helper:
                def run(self):
                    return 1
            """,
        )
        is None
    )


def test_sqlalchemy_declarative_models() -> None:
    facts = gather(
        "app/db.py",
        """
        from sqlalchemy import Column, Enum, ForeignKey, Integer, String
        from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


        class Base(DeclarativeBase):
            pass


        class User(Base):
            __tablename__ = "users"
            id = Column(Integer, primary_key=True)
            role = Column(Enum("admin", "member", name="role"))
            posts: Mapped[list["Post"]] = relationship(back_populates="author")


        class Post(Base):
            __tablename__ = "posts"
            author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
            author: Mapped["User"] = relationship("User", back_populates="posts")
        """,
    )
    assert facts is not None
    assert facts.models["Base"].abstract
    user = {f.name: f for f in facts.models["User"].fields}
    assert facts.models["User"].framework == "sqlalchemy" and not facts.models["User"].abstract
    assert user["role"].choices is not None and user["role"].choices.values == ("admin", "member")
    assert (user["posts"].relation, user["posts"].related_name) == ("many", "author")
    post = {f.name: f for f in facts.models["Post"].fields}
    assert (post["author"].relation, post["author"].related, post["author"].related_by_string) == ("one", "User", True)


def test_models_resolve_across_modules() -> None:
    view = project(
        {
            "shop/__init__.py": "",
            "shop/constants.py": 'STATUS_CHOICES = (("cancelled", "Cancelled"), ("paid", "Paid"))\n',
            "shop/enums.py": "from django.db import models\n\nclass Kind(models.TextChoices):\n    GIFT = 'gift', 'Gift'\n",
            "shop/base.py": """
                from django.db import models

                class Stamped(models.Model):
                    created = models.DateTimeField()

                    class Meta:
                        abstract = True

                class LockMixin:
                    def lock(self):
                        pass
            """,
            "shop/models/__init__.py": "from .orders import Order\nfrom .customers import Customer\n",
            "shop/models/customers.py": "from django.db import models\n\nclass Customer(models.Model):\n    name = models.CharField(max_length=5)\n",
            "shop/models/orders.py": """
                from django.db import models
                from shop.base import LockMixin, Stamped
                from shop.constants import STATUS_CHOICES
                from shop.enums import Kind

                class Order(LockMixin, Stamped):
                    status = models.CharField(choices=STATUS_CHOICES)
                    kind = models.CharField(choices=Kind.choices)
                    customer = models.ForeignKey("Customer", related_name="orders", on_delete=models.CASCADE)
                    previous = models.OneToOneField("self", null=True, on_delete=models.SET_NULL)

                class GiftOrder(Order):
                    pass
            """,
            "shop/services.py": "from shop.models import Order\n",
        }
    )
    models = Models(view)
    order = models.model("shop/services.py", "shop.models.Order")  # through the package's re-export
    assert order is not None and (order.path, order.name) == ("shop/models/orders.py", "Order")
    assert set(order.fields) == {"created", "status", "kind", "customer", "previous"}
    assert order.fields["created"][0] == "shop/base.py"
    assert models.choices(order.fields["status"][1].choices) == ("cancelled", "paid")
    assert models.choices(order.fields["kind"][1].choices) == ("gift",)
    customer = models.related(order, "customer")
    assert customer is not None and customer.name == "Customer"
    assert models.related(order, "previous") == order
    assert set(models.reverse(customer)) == {"orders"}
    assert models.reverse(customer)["orders"][0] == "fk"
    assert "order" in models.reverse(order)  # the o2o to "self": Django's default accessor
    gift = models.model("shop/models/orders.py", "GiftOrder")  # no fields of its own: a model by its base
    assert gift is not None and "status" in gift.fields
    assert models.model("shop/base.py", "LockMixin") is None
    assert models.model("shop/services.py", "django.db.models.Model") is None
    assert "shop/models/orders.py" in {m.path for m in models.all()}


def test_the_kind_is_registered() -> None:
    assert KINDS[MODELS].gather(SourceFile("a.py", "x = (")) is None


def test_modules_imported_from_a_django_source_root() -> None:
    # label-studio keeps its apps beside `label_studio/manage.py` and imports them as `projects.models`
    model = "from django.db import models\n\nclass Project(models.Model):\n    title = models.CharField(max_length=5)\n"
    view = project(
        {
            "label_studio/manage.py": "",
            "label_studio/projects/models.py": model,
            "label_studio/projects/api.py": "from projects.models import Project\n",
            "other/projects/models.py": model,
        }
    )
    models = Models(view)
    found = models.model("label_studio/projects/api.py", "projects.models.Project")
    assert found is not None and found.path == "label_studio/projects/models.py"
