"""The one crash guard around rule code, for every tier.

A rule that raises loses its findings for that block (edit tier walk: `walk.Walk`), that
module check, that config file or that project run; the others keep theirs. The crash is
logged with `CRASH_RECORD` (the LSP layer reports each (rule, file) once to the client) and
returned as a `RuleCrash`, which makes `--check` exit 2.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from server.engine.model import RuleCrash

logger = logging.getLogger("server.engine")
# log records of rule crashes carry this, so the LSP layer can report each (rule, file) once
CRASH_RECORD = {"reviewls_crash": True}


def isolate(code: str, path: str, line: int, where: str, run: Callable[[], object]) -> RuleCrash | None:
    """Run rule code; on an exception, log it and return the crash (None when it ran)."""
    try:
        run()
    except Exception:  # isolation point: a rule bug must not cost the other rules their findings
        error = traceback.format_exc(limit=-3)
        logger.error("rule %s crashed in %s (%s):\n%s", code, path, where, error, extra=CRASH_RECORD)
        return RuleCrash(code, path, line, error)
    return None
