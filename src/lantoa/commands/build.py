"""``lantoa build``: check first, refuse on errors, then build and swap in atomically."""

from __future__ import annotations

import click

from ..buildlock import one_build_at_a_time
from .check import SilentFailure, collect


def parse_shard(text: str) -> tuple[int, int]:
    """'2/3' -> (2, 3); anything else is a usage error naming the expected form."""
    k, _, n = text.partition("/")
    if not (k.isdigit() and n.isdigit() and 1 <= int(k) <= int(n)):
        raise click.BadParameter(f"'{text}' is not K/N with 1 ≤ K ≤ N (e.g. --shard 1/3, --shard 2/3, --shard 3/3)",
                                 param_hint="--shard")
    return int(k), int(n)


def run(ctx, langs, clean: bool, strict: bool, out, jobs: int, kiosk: bool = False,
        shard: tuple[int, int] | None = None) -> None:
    from .. import digests
    from ..site import incremental

    if kiosk and out is None:
        out = ctx.root / "build" / "kiosk"
    target = (out or ctx.root / "build" / "site").resolve()
    cache_dir = ctx.root / ".cache" / "lantoa"
    with one_build_at_a_time(ctx.root):  # the "nothing changed" check too: another build may be changing it
        digests.load(None if clean else cache_dir)
        try:
            _run(ctx, langs, clean, strict, target, cache_dir, jobs, kiosk, shard)
        finally:
            digests.save()


def _run(ctx, langs, clean: bool, strict: bool, target, cache_dir, jobs: int, kiosk: bool,
         shard: tuple[int, int] | None) -> None:
    from ..site import incremental, skeleton

    nothing_to_do = (lambda key: False) if clean or shard else incremental.up_to_date(cache_dir, target)
    key = incremental.input_key(ctx.root, {"langs": sorted(langs), "strict": strict, "kiosk": kiosk,
                                           "out": str(target)})
    if nothing_to_do(key):
        ctx.echo(f"{target} is up to date (no input changed since the last build)")
        return
    # beside the check: the kept editions' stamps, and the deletion of the last site's files (its
    # folders are taken for the new one's)
    with incremental.stamps_begun(None if clean else cache_dir), skeleton.begun(None if shard else target):
        _check_and_build(ctx, langs, clean, strict, target, cache_dir, jobs, kiosk, shard, key)


def _check_and_build(ctx, langs, clean: bool, strict: bool, target, cache_dir, jobs: int, kiosk: bool,
                     shard: tuple[int, int] | None, key: str) -> None:
    from ..site import incremental

    checked = collect(ctx.root, memo=not clean)
    report = checked.report
    if report.items and (report.failed(strict) or ctx.verbosity >= 0):
        click.echo(report.render_text(), err=True)
    if report.failed(strict):
        ctx.echo(f"not built: {len(report.errors)} error(s), {len(report.warnings)} warning(s); "
                 "build/site is unchanged", err=True)
        raise SilentFailure()
    from ..site.builder import build_site

    result = build_site(checked, langs=langs, out=target, jobs=jobs, cache=not clean, kiosk=kiosk, shard=shard)
    if shard:
        ctx.echo(f"shard {shard[0]}/{shard[1]}: rendered {', '.join(result.pages) or 'no editions'} "
                 f"({sum(result.pages.values())} pages) into {result.site_dir} in {result.seconds:.1f} s; "
                 f"{target} is untouched. Gather every shard's {result.site_dir.name}/ into one "
                 ".cache/lantoa/parts/ and run `lantoa build` to assemble the site.")
        return
    incremental.record(cache_dir, key, target, stamp=result.stamp)
    ctx.echo(result.summary())
