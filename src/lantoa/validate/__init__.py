"""Validation: read everything, then report every problem at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..content.loader import load_project
from ..content.model import Project
from ..diagnostics import Report
from ..i18n import registry as registry_mod
from ..i18n.registry import Registry
from .rules import check_project


@dataclass
class Checked:
    project: Project
    registry: Registry
    report: Report


def check(root: Path, now: dt.datetime | None = None) -> Checked:
    """Load content and the language registry and run every rule. Never raises for content problems."""
    root = Path(root).resolve()
    report = Report()
    registry, diags = registry_mod.load(root / "locales", root)
    report.extend(diags)
    project, diags = load_project(root)
    report.extend(diags)
    report.extend(check_project(project, registry, now=now))
    return Checked(project, registry, report)
