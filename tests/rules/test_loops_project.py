"""RV601/RV602 across files: calls into project functions that query or write, and the Django
foreign-key N+1, through the real project tier (both tiers run, as in the editor)."""

from __future__ import annotations

from rules.api import Invalid, Valid
from rules.data.query_in_loop import QueryInLoop
from rules.data.save_in_loop import SaveInLoop
from server.engine.model import Diagnostic
from tests.harness import run_example

INVENTORY = """
from shop.models import Stock


def _lock_stock(item):
    stock = Stock.objects.get(pk=item.stock_id)
    stock.quantity -= 1
    stock.save(update_fields=["quantity"])


def reserve(item):
    _lock_stock(item)
"""


def findings(rule: type[QueryInLoop] | type[SaveInLoop], source: str, files: dict[str, str], path: str = "shop/views.py") -> list[Diagnostic]:
    expected, analysis = run_example(rule, Invalid(source, path=path, files=files))
    got = {(f.span.line, f.code) for f in analysis.findings}
    assert got == set(expected.findings), [f.message for f in analysis.findings]
    return list(analysis.findings)


def test_message_names_the_chain_and_points_at_the_write() -> None:
    source = """
    from shop import inventory


    def checkout(cart):
        for item in cart.items.all():
            inventory.reserve(item)  # <- RV602
    """
    (finding,) = findings(SaveInLoop, source, {"shop/inventory.py": INVENTORY})
    assert finding.message == (
        "`inventory.reserve(item)` writes to the database on every iteration: "
        "reserve -> _lock_stock -> stock.save() (shop/inventory.py:8)"
    )
    (related,) = finding.related
    assert related.path == "shop/inventory.py" and related.span.line == 8
    (query,) = findings(QueryInLoop, source.replace("RV602", "RV601"), {"shop/inventory.py": INVENTORY})
    assert "reserve -> _lock_stock -> Stock.objects.get() (shop/inventory.py:6)" in query.message


def test_what_the_edit_rule_reports_is_not_reported_again() -> None:
    source = """
    from shop import inventory
    from shop.models import Stock


    def restock(items):
        for item in items:
            Stock.objects.filter(pk=item.stock_id).update(quantity=0)  # <- RV602
    """
    (finding,) = findings(SaveInLoop, source, {"shop/inventory.py": INVENTORY})
    assert "bulk" in finding.message or "once per iteration" in finding.message


def test_a_recursive_helper_ends() -> None:
    helpers = """
    def walk(node):
        for child in node.children:
            walk(child)
        return visit(node)


    def visit(node):
        return walk(node.parent)
    """
    source = """
    from shop.tree import walk


    def all_nodes(nodes):
        for node in nodes:
            walk(node)
    """
    assert findings(QueryInLoop, source, {"shop/tree.py": helpers}) == []


def test_a_custom_manager_may_join_so_its_rows_are_not_judged() -> None:
    models = """
    from django.db import models


    class PostManager(models.Manager):
        def get_queryset(self):
            return super().get_queryset().select_related("author")


    class Post(models.Model):
        author = models.ForeignKey("auth.User", on_delete=models.CASCADE)
        objects = PostManager()
    """
    source = """
    from blog.models import Post


    def names():
        return [p.author.username for p in Post.objects.all()]
    """
    expected, analysis = run_example(QueryInLoop, Valid(source, path="blog/views.py", files={"blog/models.py": models}))
    assert analysis.findings == ()


def test_inherited_relations_and_models_imported_through_a_package() -> None:
    files = {
        "blog/models/__init__.py": "from .post import Post\n",
        "blog/models/base.py": """
            from django.db import models


            class Authored(models.Model):
                author = models.ForeignKey("auth.User", on_delete=models.CASCADE)

                class Meta:
                    abstract = True
            """,
        "blog/models/post.py": """
            from django.db import models

            from .base import Authored


            class Post(Authored):
                title = models.CharField(max_length=10)
            """,
    }
    source = """
    from blog import models


    def names():
        return [p.author.username for p in models.Post.objects.filter(title="x")]  # <- RV601
    """
    (finding,) = findings(QueryInLoop, source, files, path="blog/views.py")
    assert finding.message.startswith("`p.author` runs a query on every iteration")
