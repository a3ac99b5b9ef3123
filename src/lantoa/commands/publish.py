"""``lantoa publish``: the built site to an S3-compatible origin (lantoa.publish.s3), or a rollback."""

from __future__ import annotations

import sys

import click

from ..errors import LantoaError


def run(ctx, to: str, site, endpoint_url: str | None, dry_run: bool, max_deletes: int, yes: bool, grace: float,
        distribution_id: str | None, rollback: str | None, jobs: int) -> None:
    from ..publish import s3

    store = s3.Store(to, endpoint_url=endpoint_url, max_pool=max(jobs, 10))
    if rollback:
        plan = s3.plan_rollback(store, rollback, grace_hours=grace)
    else:
        plan = s3.plan_publish(store, site or ctx.root / "build" / "site", grace_hours=grace)
    if plan.commit or plan.uploads or plan.deletes:
        what = f"rollback to {rollback} as release {plan.new.version}" if rollback else f"release {plan.new.version}"
        ctx.echo(f"{to}: {what}: {len(plan.uploads)} to upload ({s3.mb(plan.upload_bytes)}), {plan.skipped} "
                 f"unchanged, {len(plan.archives)} to archive, {len(plan.deletes)} to delete, {len(plan.kept)} kept "
                 "from earlier releases")
    else:
        ctx.echo(f"{to}: up to date (release {plan.current.version}), nothing to do")
    if dry_run:
        for line in s3.describe_plan(plan):
            click.echo(line)
        _print_invalidations(plan.invalidations)
        ctx.echo("dry run: nothing was changed")
        s3.check_delete_cap(plan, max_deletes)  # a dry run that a real run would refuse fails too
        return
    s3.check_delete_cap(plan, max_deletes)
    interactive = sys.stdin.isatty()
    if rollback and not yes:
        if not interactive:
            raise LantoaError("a rollback changes the live site: add --yes to confirm")
        click.confirm(f"Restore release {rollback} on {to}?", abort=True)
    delete = True
    if plan.deletes and not yes:
        delete = interactive and click.confirm(f"Delete {len(plan.deletes)} stale objects after the upload?",
                                               default=True)
    total = plan.upload_bytes
    if ctx.verbosity >= 0 and plan.uploads:
        with click.progressbar(length=total, label="uploading", file=sys.stderr, show_pos=False,
                               show_percent=True) as bar:
            result = s3.execute(store, plan, jobs=jobs, delete=delete, max_deletes=max_deletes,
                                distribution_id=distribution_id, progress=bar.update)
    else:
        result = s3.execute(store, plan, jobs=jobs, delete=delete, max_deletes=max_deletes,
                            distribution_id=distribution_id)
    _print_invalidations(plan.invalidations)
    if result.invalidation_id:
        ctx.echo(f"CloudFront invalidation {result.invalidation_id} created for {len(plan.invalidations)} paths")
    ctx.echo(result.summary())


def _print_invalidations(paths: list[str]) -> None:
    """The exact changed URL paths, one a line on stdout (for a CDN invalidation by other tools)."""
    if paths:
        click.echo(f"changed paths ({len(paths)}):")
        for p in paths:
            click.echo(p)


def list_releases(ctx, to: str, endpoint_url: str | None) -> None:
    from ..publish import s3

    store = s3.Store(to, endpoint_url=endpoint_url)
    current = store.get_json(s3.CURRENT)
    for v in s3.release_versions(store):
        click.echo(v + ("  (current)" if current and current.get("version") == v else ""))
