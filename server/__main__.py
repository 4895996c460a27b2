"""`python -m server`: the same entry point as the `reviewls` command."""

from __future__ import annotations

import sys

from server.cli import main

sys.exit(main())
