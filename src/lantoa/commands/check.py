"""``lantoa check``: every problem at once, like a compiler."""

from __future__ import annotations

import click

from ..errors import LantoaError


def collect(root, strict: bool = False, memo: bool = True):
    """Content + registry + site configuration, in one report (``memo``: lantoa.content.memo)."""
    from .. import validate
    from ..site import config as site_config

    checked = validate.check(root, memo=memo)
    checked.report.extend(site_config.check(root, checked.registry))
    return checked


def run(ctx, strict: bool, fmt: str) -> None:
    from .. import digests

    # the photos' checks, kept by their content as a build keeps them: without them, every check
    # decoded every photo again (a 12-megapixel JPEG: 40-90 ms; 400 stories: half a minute)
    digests.load(ctx.root / ".cache" / "lantoa")
    try:
        checked = collect(ctx.root)
    finally:
        digests.save(prune=False)  # what a build reads and a check does not (fonts, theme) is kept
    report = checked.report
    if fmt == "json":
        click.echo(report.render_json())
    else:
        if report.items:
            click.echo(report.render_text(), err=False)
        summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        stories = len(checked.project.stories)
        langs = len(checked.registry.languages)
        ctx.echo(f"checked {stories} {'story' if stories == 1 else 'stories'} in {langs} languages: {summary}", err=True)
    if report.failed(strict):
        raise SilentFailure()


class SilentFailure(LantoaError):
    """Exit 1 after the diagnostics were already printed."""

    def __init__(self):
        super().__init__("")

    def show(self, file=None) -> None:
        pass
