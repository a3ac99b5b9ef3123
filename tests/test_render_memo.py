"""The memo of converted Markdown (lantoa.site.rendermemo): pages rendered again take the HTML of an
earlier conversion of the same Markdown, and the site is byte-identical to a clean build's."""

from __future__ import annotations

import logging
import shutil

import pytest
from click.testing import CliRunner
from mkdocs.structure import pages as mkdocs_pages

from conftest import tree_digest
from lantoa.cli import main
from lantoa.site import rendermemo


def build(root, *args) -> str:
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", "-j", "1", *args])
    assert result.exit_code == 0, result.output
    return tree_digest(root / "build" / "site")


def render_everything_again(root) -> None:
    """As after a change of theme: no edition kept, the rest of the build cache as it is."""
    shutil.rmtree(root / "build")
    shutil.rmtree(root / ".cache" / "lantoa" / "parts")
    (root / ".cache" / "lantoa" / "last-build.json").unlink()


@pytest.fixture
def conversions(monkeypatch) -> list[str]:
    """The pages MkDocs converted (its own Page.render ran), in this process (builds with -j 1)."""
    done: list[str] = []
    render = mkdocs_pages.Page.render

    def counting(page, config, files):
        done.append(page.file.src_uri)
        return render(page, config, files)

    monkeypatch.setattr(mkdocs_pages.Page, "render", counting)
    return done


def test_pages_rendered_again_are_not_converted_again_and_match_a_clean_build(project, conversions):
    build(project)
    memos = sorted(p.name for p in (project / ".cache" / "lantoa" / "render").iterdir())
    assert memos == sorted(f"{t}.marshal" for t in ("vi", "en", "km", "ar", "tyz", "blt-Tavt"))
    assert conversions
    conversions.clear()

    # a template changed: every page is rendered again, none of them converted
    main_html = project / "theme" / "main.html"
    main_html.write_text(main_html.read_text("utf-8") + "{# changed #}\n", "utf-8")
    render_everything_again(project)
    again = build(project)
    assert conversions == []
    shutil.rmtree(project / "build")
    assert build(project, "--clean") == again

    # a translation's text changed: the pages that show it are converted again, and only they
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    story.write_text(story.read_text("utf-8").replace("many limestone islands", "very many islands"), "utf-8")
    build(project, "--clean")
    clean = tree_digest(project / "build" / "site")
    conversions.clear()
    render_everything_again(project)
    assert build(project) == clean
    # the story's page in the English edition and in those that fall back to English; not in
    # Vietnamese (the source's language), not any other page
    assert "stories/vinh-ha-long/index.en.md" in conversions
    assert all(c.startswith("stories/vinh-ha-long/index.") for c in conversions)
    assert "stories/vinh-ha-long/index.vi.md" not in conversions and len(conversions) < 6


def test_a_memo_that_does_not_read_is_made_again(project, conversions):
    clean = build(project, "--clean")
    shutil.rmtree(project / "build")
    build(project)
    for memo in (project / ".cache" / "lantoa" / "render").iterdir():
        memo.write_bytes(b"\x00not marshal")
    render_everything_again(project)
    conversions.clear()
    assert build(project) == clean and conversions  # converted again, as from no memo
    conversions.clear()
    render_everything_again(project)
    assert build(project) == clean and conversions == []  # and kept again


class _File:
    def __init__(self, src: str):
        self.src_uri, self.dest_uri, self.url = src, src.replace(".md", ".html"), src.replace(".md", "/")

    def is_documentation_page(self) -> bool:
        return self.src_uri.endswith(".md")


class _Files(list):
    def get_file_from_path(self, src):
        return next((f for f in self if f.src_uri == src), None)

    def documentation_pages(self):
        return [f for f in self if f.is_documentation_page()]


class _Page:
    said = ""

    def __init__(self, file, markdown):
        self.file, self.markdown = file, markdown
        self.toc, self.links_to_anchors, self.present_anchor_ids = [], None, None

    def render(self, config, files):
        if self.said:
            logging.getLogger("mkdocs.structure.pages").warning(self.said)
        self.content, self._title_from_render = f"<p>{self.markdown}</p>", None
        self.present_anchor_ids = {"a"}


CONFIG = {"markdown_extensions": ["toc"], "mdx_configs": {}, "validation": {}, "use_directory_urls": True}


def test_a_conversion_that_said_something_is_not_kept(tmp_path):
    """A page whose conversion logged (a link MkDocs could not resolve, say) is converted again at
    every build, so that it says so again."""
    files = _Files([_File("a.md"), _File("b.md")])
    memo = rendermemo.RenderMemo(tmp_path / "m.marshal")
    quiet, loud = _Page(files[0], "one"), _Page(files[1], "two")
    loud.said = "a link to 'c.md' which is not found"
    for page in (quiet, loud):
        memo.render(page, CONFIG, files)
    memo.save(files)
    again = rendermemo.RenderMemo(tmp_path / "m.marshal")
    converted: list[str] = []
    render = _Page.render
    _Page.render = lambda self, config, files: converted.append(self.markdown) or render(self, config, files)
    try:
        for page in (_Page(files[0], "one"), _Page(files[1], "two"), _Page(files[0], "one, edited")):
            again.render(page, CONFIG, files)
            assert page.content == f"<p>{page.markdown}</p>" and page.present_anchor_ids == {"a"}
    finally:
        _Page.render = render
    assert converted == ["two", "one, edited"]
    assert again.hits == 1


def test_the_memo_is_keyed_by_every_file_s_place(tmp_path):
    """MkDocs rewrites a page's links relative to the files they name: a file moved (its URL), or a
    file added, is another context, and nothing converted before is taken."""
    files = _Files([_File("a.md"), _File("b.md")])
    first = rendermemo._context(CONFIG, files)
    moved = _Files([_File("a.md"), _File("b.md")])
    moved[1].url = "elsewhere/"
    assert rendermemo._context(CONFIG, moved) != first
    assert rendermemo._context(CONFIG, _Files([*files, _File("c.md")])) != first
    assert rendermemo._context(dict(CONFIG, mdx_configs={"toc": {"permalink": True}}), files) != first
    assert rendermemo._context(CONFIG, _Files([_File("a.md"), _File("b.md")])) == first


def test_no_memo_with_an_extension_that_may_keep_state(project, conversions):
    """An extension outside plugin.RESETS_CLEANLY might make a page's HTML depend on more than its
    text: then nothing is kept, and every page is converted at every rendering."""
    config = project / "mkdocs.yml"
    text = config.read_text("utf-8")
    config.write_text(text.replace("markdown_extensions:\n", "markdown_extensions:\n  - pymdownx.caret\n", 1), "utf-8")
    build(project)
    assert not (project / ".cache" / "lantoa" / "render").exists()
    conversions.clear()
    render_everything_again(project)
    build(project)
    assert conversions
