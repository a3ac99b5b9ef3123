"""Validation: read everything, then report every problem at once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..content.loader import load_project
from ..content.model import Project
from ..diagnostics import Diagnostic, Report, Severity
from ..gcpause import paused
from ..i18n import registry as registry_mod
from ..i18n.registry import Registry
from .rules import check_project


@dataclass
class Checked:
    project: Project
    registry: Registry
    report: Report


def check(root: Path, now: dt.datetime | None = None, memo: bool = True) -> Checked:
    """Load content and the language registry and run every rule. Never raises for content problems.
    ``memo``: take what earlier runs read from source files unchanged since (lantoa.content.memo)."""
    root = Path(root).resolve()
    report = Report()
    with paused():  # what is made here lives on (lantoa.gcpause)
        registry, diags = registry_mod.load(root / "locales", root)
        report.extend(diags)
        project, diags = load_project(root, memo=memo)
        report.extend(diags)
        report.extend(check_project(project, registry, now=now))
        report.items = _soften_unpublished(project, report.items)
    return Checked(project, registry, report)


def _soften_unpublished(project: Project, items: list[Diagnostic]) -> list[Diagnostic]:
    """A draft is not built, so its problems must not stop everyone else's build: they become
    warnings (``--strict`` still fails on them). Unreadable files stay errors: their status is unknown."""
    from ..content.loader import FATAL

    unpublished: set[str] = set()
    for entry in project.entries():
        if entry.source is None:
            continue  # an orphan translation: its status means nothing without a source
        for variant in entry.variants():
            readable = not any(p.code in FATAL for p in variant.doc.problems)
            if readable and variant.status_known and (not entry.published or variant.status != "published"):
                unpublished.add(variant.path)
    out = []
    for d in items:
        if d.path in unpublished and d.severity is Severity.ERROR:
            d = Diagnostic(d.path, d.line, d.col, d.code, Severity.WARNING, f"(not published) {d.message}", d.hint)
        out.append(d)
    return out
