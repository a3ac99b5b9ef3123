"""``lantoa translations``: the stories × languages matrix, and recording a review."""

from __future__ import annotations

import csv
import io
import json

import click

from ..content import translations as tr
from ..errors import LantoaError
from .check import collect

SYMBOL = {tr.SOURCE: "src", tr.MISSING: "·", tr.MACHINE: "MT", tr.OUTDATED: "OLD", tr.REVIEWED: "ok"}


def _load(ctx):
    checked = collect(ctx.root)
    if checked.report.errors:
        click.echo(checked.report.render_text(), err=True)
        raise LantoaError("fix the errors above first (lantoa check)")
    return checked


def run(ctx, langs: list[str], fmt: str) -> None:
    checked = _load(ctx)
    registry = checked.registry
    unknown = [t for t in langs if t not in registry]
    if unknown:
        raise LantoaError(f"unknown language(s): {', '.join(unknown)} — registered: {', '.join(registry.tags())}")
    tags = langs or [t for t in registry.tags()]
    rows = tr.matrix(checked.project, tags)
    totals = tr.totals(rows, tags)
    if fmt == "json":
        click.echo(json.dumps({
            "languages": tags,
            "stories": [{"slug": r.slug, "status": r.statuses} for r in rows],
            "totals": totals,
        }, ensure_ascii=False, indent=2))
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(["story"] + tags)
        for r in rows:
            writer.writerow([r.slug] + [r.statuses[t] for t in tags])
        click.echo(buf.getvalue(), nl=False)
    else:
        width = max([len("story")] + [len(r.slug) for r in rows])
        cols = [max(len(t), 3) for t in tags]
        click.echo(f"{'story':<{width}}  " + "  ".join(f"{t:<{c}}" for t, c in zip(tags, cols)))
        for r in rows:
            click.echo(f"{r.slug:<{width}}  " + "  ".join(f"{SYMBOL[r.statuses[t]]:<{c}}" for t, c in zip(tags, cols)))
        for st in tr.STATUSES:
            click.echo(f"{st:<{width}}  " + "  ".join(f"{totals[t][st]:<{c}}" for t, c in zip(tags, cols)))
        ctx.echo("legend: src source language · ok reviewed · MT machine, not reviewed · OLD source changed since · · missing",
                 err=True)


def mark(ctx, slug: str, lang: str, reviewed_by: str) -> None:
    from ..content.edit import set_translation_fields

    checked = _load(ctx)
    entry = checked.project.stories.get(slug)
    if entry is None:
        import difflib

        close = difflib.get_close_matches(slug, list(checked.project.stories), n=1)
        raise LantoaError(f"no story '{slug}'" + (f" — did you mean '{close[0]}'?" if close else ""))
    variant = entry.translations.get(lang)
    if variant is None:
        raise LantoaError(f"{slug} has no translation in '{lang}' — create content/stories/{slug}/index.{lang}.md first")
    if not reviewed_by.strip():
        raise LantoaError("--reviewed-by needs a person's name")
    set_translation_fields(checked.project.root / variant.path,
                           {"reviewed_by": reviewed_by.strip(), "source_hash": tr.source_hash(entry)})
    ctx.echo(f"marked {variant.path} as reviewed by {reviewed_by.strip()} (source {tr.source_hash(entry)})")
