"""The one table that maps code prefixes to family folders."""

from __future__ import annotations

# digit of the code (RV<digit>xx) -> folder under rules/
FAMILIES: dict[str, str] = {
    "1": "hygiene",
    "2": "errors",
    "3": "io",
    "4": "security",
    "5": "routes",
    "6": "data",
    "7": "concurrency",
    "8": "testing",
    "9": "project",
}

FAMILY_TITLES: dict[str, str] = {
    "hygiene": "Hygiene",
    "errors": "Error handling",
    "io": "HTTP clients and I/O",
    "security": "Security and settings",
    "routes": "Routes and APIs",
    "data": "Data access",
    "concurrency": "Async",
    "testing": "Tests",
    "project": "Project structure and config files",
}
