"""The ``lantoa`` command line: parse options, build the context, call commands.*; no logic here."""

from __future__ import annotations

from pathlib import Path

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
@click.option("--strict", is_flag=True, help="Refuse to build on warnings too.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: build/site).")
@click.option("-j", "--jobs", type=int, default=0, help="Parallel language builds (default: number of cores).")
@pass_ctx
def build(ctx: Ctx, langs: tuple[str, ...], clean: bool, strict: bool, out: Path | None, jobs: int) -> None:
    """Check, then build the whole site into build/site (swapped in only when it succeeded)."""
    from .commands import build as cmd

    cmd.run(ctx, langs=list(langs), clean=clean, strict=strict, out=out, jobs=jobs)


@main.command()
@click.option("--lang", "langs", multiple=True, metavar="TAG", help="Preview only these languages.")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--no-reload", is_flag=True, help="Do not rebuild on edits.")
@pass_ctx
def serve(ctx: Ctx, langs: tuple[str, ...], port: int, no_reload: bool) -> None:
    """Preview the site on http://127.0.0.1:PORT/, rebuilding on edits."""
    from .commands import serve as cmd

    cmd.run(ctx, langs=list(langs), port=port, reload=not no_reload)


if __name__ == "__main__":  # pragma: no cover
    main()
