"""``lantoa build``: check first, refuse on errors, then build and swap in atomically."""

from __future__ import annotations

import click

from .check import SilentFailure, collect


def run(ctx, langs, clean: bool, strict: bool, out, jobs: int) -> None:
    checked = collect(ctx.root)
    report = checked.report
    if report.items and (report.failed(strict) or ctx.verbosity >= 0):
        click.echo(report.render_text(), err=True)
    if report.failed(strict):
        ctx.echo(f"not built: {len(report.errors)} error(s), {len(report.warnings)} warning(s); "
                 "build/site is unchanged", err=True)
        raise SilentFailure()
    from ..site.builder import build_site

    result = build_site(checked, langs=langs, out=out, jobs=jobs, cache=not clean)
    ctx.echo(result.summary())
