"""The ``lantoa`` command line: parse options, build the context, call commands.*; no logic here."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from . import __version__


class Ctx:
    def __init__(self, root: Path, verbosity: int):
        self.root = root
        self.verbosity = verbosity

    def echo(self, message: str = "", err: bool = False) -> None:
        """Progress and summaries; -q silences them (errors are raised, never echoed here)."""
        if self.verbosity >= 0:
            click.echo(message, err=err)


pass_ctx = click.make_pass_decorator(Ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="lantoa")
@click.option("-C", "--project", "project", type=click.Path(file_okay=False, path_type=Path), default=".",
              show_default=True, help="The project folder (with content/, locales/, mkdocs.yml).")
@click.option("-v", "--verbose", count=True, help="Explain more (-vv: debug).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@click.pass_context
def main(ctx: click.Context, project: Path, verbose: int, quiet: bool) -> None:
    """Lan Tỏa: write stories, check them, build and preview the multilingual site."""
    from . import log

    verbosity = -1 if quiet else verbose
    log.setup(verbosity)
    ctx.obj = Ctx(project.resolve(), verbosity)


@main.group()
def new() -> None:
    """Create new content from a template."""


@new.command("story")
@click.argument("title")
@click.option("--lang", default="vi", show_default=True, help="Language the story is written in.")
@click.option("--category", default="culture", show_default=True, help="Category id from content/categories.yml.")
@click.option("--slug", default=None, help="Folder name (default: made from the title).")
@pass_ctx
def new_story(ctx: Ctx, title: str, lang: str, category: str, slug: str | None) -> None:
    """Create content/stories/<slug>/index.md with its front matter filled in."""
    from .commands import new as cmd

    path = cmd.new_story(ctx.root, title, lang=lang, category=category, slug=slug)
    ctx.echo(f"created {path.relative_to(ctx.root).as_posix()}")


@main.command()
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@pass_ctx
def check(ctx: Ctx, strict: bool, fmt: str) -> None:
    """Validate all content, the language registry and mkdocs.yml; print every problem."""
    from .commands import check as cmd

    cmd.run(ctx, strict=strict, fmt=fmt)


@main.command()
@click.option("--lang", "langs", multiple=True, metavar="TAG", help="Build only these languages (repeatable).")
@click.option("--clean", is_flag=True, help="Ignore caches and build everything from scratch.")
@click.option("--no-cache", "no_cache", is_flag=True,
              help="Neither read nor write .cache/lantoa (images, fonts); --clean implies it.")
@click.option("--strict", is_flag=True, help="Refuse to build on warnings too.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: build/site).")
@click.option("-j", "--jobs", type=int, default=0, help="Parallel language builds (default: number of cores).")
@click.option("--kiosk", is_flag=True, help="A copy that works offline from file:// (links name index.html); "
              "default output build/kiosk.")
@click.option("--shard", metavar="K/N", default=None,
              help="Render only the K-th of N shares of the editions into .cache/lantoa/parts (for a CI "
              "matrix); then a plain build with every shard's parts assembles the site.")
@pass_ctx
def build(ctx: Ctx, langs: tuple[str, ...], clean: bool, no_cache: bool, strict: bool, out: Path | None, jobs: int,
          kiosk: bool, shard: str | None) -> None:
    """Check, then build the whole site into build/site (swapped in only when it succeeded)."""
    from .commands import build as cmd

    cmd.run(ctx, langs=list(langs), clean=clean or no_cache, strict=strict, out=out, jobs=jobs, kiosk=kiosk,
            shard=cmd.parse_shard(shard) if shard else None)


@main.group(invoke_without_command=True)
@click.option("--lang", "langs", multiple=True, metavar="TAG", help="Only these languages (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table", show_default=True)
@click.pass_context
def translations(click_ctx: click.Context, langs: tuple[str, ...], fmt: str) -> None:
    """Stories × languages: missing, machine, outdated (source changed since) or reviewed."""
    if click_ctx.invoked_subcommand is None:
        from .commands import translations as cmd

        cmd.run(click_ctx.find_object(Ctx), langs=list(langs), fmt=fmt)


@translations.command("mark")
@click.argument("story")
@click.argument("lang")
@click.option("--reviewed-by", required=True, help="The person who reviewed the translation.")
@pass_ctx
def translations_mark(ctx: Ctx, story: str, lang: str, reviewed_by: str) -> None:
    """Record a review of STORY in LANG: sets reviewed_by and the current source hash."""
    from .commands import translations as cmd

    cmd.mark(ctx, story, lang, reviewed_by)


@main.command()
@click.option("--lang", "langs", multiple=True, metavar="TAG", help="Preview only these languages.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--no-reload", is_flag=True, help="Do not rebuild on edits.")
@click.option("--poll", type=click.FloatRange(min=0.1), default=1.0, show_default=True, metavar="SECONDS",
              help="Also look for edits this often (edits are seen as they are saved where the operating "
                   "system reports them; not on some network drives).")
@pass_ctx
def serve(ctx: Ctx, langs: tuple[str, ...], port: int, no_reload: bool, poll: float) -> None:
    """Preview the site on http://127.0.0.1:PORT/, rebuilding on edits."""
    from .commands import serve as cmd

    cmd.run(ctx, langs=list(langs), port=port, reload=not no_reload, poll=poll)



@main.command()
@click.option("--to", "to", metavar="s3://BUCKET/PREFIX", required=True, help="The origin bucket (and prefix).")
@click.option("--site", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The built site (default: build/site).")
@click.option("--endpoint-url", metavar="URL", default=None, help="An S3-compatible store other than AWS S3.")
@click.option("--dry-run", is_flag=True, help="Show what would be uploaded, archived and deleted; change nothing.")
@click.option("--max-deletes", type=click.IntRange(min=0), default=100, show_default=True,
              help="Refuse (change nothing) when more stale objects than this would be deleted.")
@click.option("--yes", is_flag=True, help="Do not ask before deleting stale objects or rolling back.")
@click.option("--grace", type=click.FloatRange(min=0), default=24.0, show_default=True, metavar="HOURS",
              help="Keep the objects of every release that was live within this many hours (the previous "
                   "release is always kept).")
@click.option("--distribution-id", metavar="ID", default=None,
              help="CloudFront distribution to invalidate (only the changed paths).")
@click.option("--rollback", metavar="VERSION", default=None, help="Republish an earlier release, as a new release.")
@click.option("--releases", "list_releases", is_flag=True, help="List the releases at the origin and exit.")
@click.option("-j", "--jobs", type=click.IntRange(min=1, max=64), default=8, show_default=True,
              help="Parallel requests.")
@pass_ctx
def publish(ctx: Ctx, to: str, site: Path | None, endpoint_url: str | None, dry_run: bool, max_deletes: int,
            yes: bool, grace: float, distribution_id: str | None, rollback: str | None, list_releases: bool,
            jobs: int) -> None:
    """Upload the built site to an S3-compatible origin: only what changed, assets before pages, deletes last."""
    from .commands import publish as cmd

    if list_releases:
        return cmd.list_releases(ctx, to, endpoint_url)
    cmd.run(ctx, to=to, site=site, endpoint_url=endpoint_url, dry_run=dry_run, max_deletes=max_deletes, yes=yes,
            grace=grace, distribution_id=distribution_id, rollback=rollback, jobs=jobs)


@main.command()
@click.option("--pub", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Public key file (default: lantoa.pub in the project).")
@click.option("--sec", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Secret key file (default: ~/.lantoa/lantoa.key).")
@click.option("--force", is_flag=True, help="Replace existing key files.")
@pass_ctx
def keygen(ctx: Ctx, pub: Path | None, sec: Path | None, force: bool) -> None:
    """Create the Ed25519 key pair (minisign format) that signs mirror bundles."""
    from .commands import keygen as cmd

    cmd.run(ctx, pub=pub, sec=sec, force=force)


@main.command()
@click.option("--site", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The built site (default: build/site; build/kiosk for file:// kiosks).")
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Secret key (default: ~/.lantoa/lantoa.key).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: build/dist).")
@click.option("--name", default=None, help="Site name in the file name (default: from site_name in mkdocs.yml).")
@click.option("--expires", type=float, default=30.0, show_default=True, metavar="DAYS",
              help="Mirrors refuse the bundle after this many days.")
@pass_ctx
def bundle(ctx: Ctx, site: Path | None, key: Path | None, out: Path | None, name: str | None, expires: float) -> None:
    """Write build/dist/<site>-<version>.tar.gz with a signed manifest.json for mirrors and kiosks."""
    from .commands import bundle as cmd

    cmd.run(ctx, site=site, key=key, out=out, name=name, expires=expires)


@main.group()
def mirror() -> None:
    """Embassy mirrors and kiosks: verify a copy, pull a new one."""


@mirror.command("verify")
@click.argument("target", metavar="DIR|BUNDLE")
@click.option("--pubkey", required=True, metavar="KEY", help="The public key file (or its base64 line).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="State file with the newest version seen (default: next to the folder).")
@pass_ctx
def mirror_verify(ctx: Ctx, target: str, pubkey: str, state: Path | None) -> None:
    """Check every file against the signed manifest: modified, missing, extra, expired, rolled back, wrong key."""
    from .commands import mirror as cmd

    cmd.verify(ctx, target, pubkey, state)


@mirror.command("pull")
@click.argument("args", nargs=-1, metavar="SOURCE WEBROOT")
@click.option("--pubkey", metavar="KEY", default=None, help="The public key file (or its base64 line).")
@click.option("--state", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="State file (default: next to WEBROOT).")
@click.option("--revert", is_flag=True, help="Go back to the previous copy: lantoa mirror pull --revert WEBROOT.")
@pass_ctx
def mirror_pull(ctx: Ctx, args: tuple[str, ...], pubkey: str | None, state: Path | None, revert: bool) -> None:
    """Download SOURCE (bundle path or URL, or a served copy's URL), verify it, swap it into WEBROOT atomically."""
    from .commands import mirror as cmd

    if len(args) != (1 if revert else 2):
        raise click.UsageError("usage: lantoa mirror pull SOURCE WEBROOT --pubkey KEY, or lantoa mirror pull "
                               "--revert WEBROOT")
    cmd.pull(ctx, None if revert else args[0], Path(args[-1]), pubkey, state, revert)


def entry() -> None:
    """The ``lantoa`` command (and ``python -m lantoa.cli``): :func:`main`, then the end of the
    process without the interpreter's teardown, which frees every object the run made, one by
    one: 30 ms of a 0.6 s one-story edit's build at 100 stories x 12 languages, 60 ms at 400. A
    caller of :func:`main` in a process that goes on (Click's CliRunner) is not concerned."""
    try:
        main()
    except SystemExit as exc:
        _end(exc.code)
    _end(0)  # pragma: no cover (main() in Click's standalone mode always exits)


def _end(code) -> NoReturn:
    """Exit with ``code`` as ``sys.exit`` does, but at once (``os._exit``) when nothing is left
    to finish: no thread but daemons, no child process, an exit status that is a number. The
    logging is shut down and the output flushed first, as a normal exit would; what else the
    interpreter's exit handlers do (Pillow's and multiprocessing's) is for processes and memory
    that end with this one. Anything else takes the normal way out."""
    import logging
    import os
    import sys
    import threading

    code = 0 if code is None else code
    if (not isinstance(code, int) or any(t is not threading.main_thread() and not t.daemon for t in threading.enumerate())
            or ("multiprocessing" in sys.modules and sys.modules["multiprocessing"].active_children())):
        sys.exit(code)
    logging.shutdown()
    try:
        sys.stdout.flush()  # click.echo and logging flush as they write: in case anything did not
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or stream: the interpreter reports it as it does
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
