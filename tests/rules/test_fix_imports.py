"""Where a fix's `import` and module logger go (#15 item 1): where isort and Ruff's I001 put them.

`import logging` appended after `import requests` broke the import order of every module
RV101 fixed; a reviewer would have moved it. The rules' `fixed=` examples show the common
layouts; these are the headers real applications have besides.
"""

from __future__ import annotations

import textwrap

import pytest

from rules.registry import all_rules
from tests.harness import run_fix

_RULES = {rule.meta.code: rule for rule in all_rules()}
_PRINT = "\n\ndef charge(order):\n    print(order)\n"
_LOGGED = "\n\ndef charge(order):\n    logger.info(\"%s\", order)\n"
_LOGGER = "logger = logging.getLogger(__name__)\n"


def _fix(code: str, source: str, path: str = "app/services.py") -> str:
    return run_fix(_RULES[code], textwrap.dedent(source), path).text


@pytest.mark.parametrize(
    ("header", "fixed"),
    [
        # a licence comment above the first import stays the module's header
        (
            "# Licence: AGPL\n#\nfrom urllib.parse import quote\n\nimport requests\n",
            f"# Licence: AGPL\n#\nimport logging\nfrom urllib.parse import quote\n\nimport requests\n\n{_LOGGER}",
        ),
        # no standard-library group yet: a new one before the third-party group
        (
            "import django\nfrom django.db import models\n\nfrom .models import Order\n",
            f"import logging\n\nimport django\nfrom django.db import models\n\nfrom .models import Order\n\n{_LOGGER}",
        ),
        # only relative imports (a star import names nothing, it still is an import)
        (
            "from .database import *  # noqa\n",
            f"import logging\n\nfrom .database import *  # noqa\n\n{_LOGGER}",
        ),
        # after `from __future__`, as its own group
        (
            "from __future__ import annotations\n",
            f"from __future__ import annotations\n\nimport logging\n\n{_LOGGER}",
        ),
        # no imports: after the docstring, a blank line between
        ('"""Orders."""\n', f'"""Orders."""\n\nimport logging\n\n{_LOGGER}'),
        # in order among the plain imports, before the section's `from` imports
        (
            "import json\nimport os\n# the one place sys is needed\nimport sys\nfrom pathlib import Path\n",
            f"import json\nimport logging\nimport os\n# the one place sys is needed\nimport sys\nfrom pathlib import Path\n\n{_LOGGER}",
        ),
        (
            "import abc\nfrom pathlib import Path\n\nimport requests\n",
            f"import abc\nimport logging\nfrom pathlib import Path\n\nimport requests\n\n{_LOGGER}",
        ),
    ],
    ids=["licence-header", "no-stdlib-group", "star-import", "future-only", "docstring-only", "plain-before-sys", "plain-before-from"],
)
def test_logging_goes_where_isort_puts_it(header: str, fixed: str) -> None:
    assert _fix("RV101", header + _PRINT) == fixed + _LOGGED


def test_third_party_import_goes_in_its_own_section() -> None:
    source = """
        import os

        from rest_framework.permissions import AllowAny
        from rest_framework.views import APIView

        from .models import User


        class LoginView(APIView):
            permission_classes = [AllowAny]

            def post(self, request):
                return User
        """
    fixed = _fix("RV502", source)
    assert fixed.startswith("\nimport os\n\nimport rest_framework.throttling\nfrom rest_framework.permissions import AllowAny\n")

