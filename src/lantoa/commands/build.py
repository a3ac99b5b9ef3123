"""``lantoa build``: check first, refuse on errors, then build and swap in atomically."""

from __future__ import annotations

import click

from .check import SilentFailure, collect


def run(ctx, langs, clean: bool, strict: bool, out, jobs: int, kiosk: bool = False) -> None:
    from ..site import incremental

    if kiosk and out is None:
        out = ctx.root / "build" / "kiosk"
    target = (out or ctx.root / "build" / "site").resolve()
    cache_dir = ctx.root / ".cache" / "lantoa"
    key = incremental.input_key(ctx.root, {"langs": sorted(langs), "strict": strict, "kiosk": kiosk,
                                           "out": str(target)})
    if not clean and incremental.up_to_date(cache_dir, key, target):
        ctx.echo(f"{target} is up to date (no input changed since the last build)")
        return
    checked = collect(ctx.root)
    report = checked.report
    if report.items and (report.failed(strict) or ctx.verbosity >= 0):
        click.echo(report.render_text(), err=True)
    if report.failed(strict):
        ctx.echo(f"not built: {len(report.errors)} error(s), {len(report.warnings)} warning(s); "
                 "build/site is unchanged", err=True)
        raise SilentFailure()
    from ..site.builder import build_site

    result = build_site(checked, langs=langs, out=target, jobs=jobs, cache=not clean, kiosk=kiosk)
    incremental.record(cache_dir, key, target)
    ctx.echo(result.summary())
