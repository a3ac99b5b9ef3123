"""Logging set-up: the CLI owns the console; modules only use logging.getLogger(__name__)."""

from __future__ import annotations

import logging
import sys


def setup(verbosity: int) -> None:
    """-q → errors only, default → warnings and our info lines, -v → info, -vv → debug."""
    level = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}.get(verbosity, logging.DEBUG)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_lantoa", False):
            root.removeHandler(old)
    handler._lantoa = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # MkDocs and its plugins are chatty at INFO, and fontTools' subsetter logs some 60 lines for each
    # font it subsets: keep them at WARNING unless -vv
    for name in ("mkdocs", "mkdocs_static_i18n", "material", "fontTools"):
        logging.getLogger(name).setLevel(logging.DEBUG if verbosity >= 2 else logging.WARNING)
