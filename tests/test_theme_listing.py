"""Our theme loader (lantoa.site.plugin._ListingLoader) lists Material's installed folder once per
process, and finds the same static files MkDocs would."""

from __future__ import annotations

import fnmatch

import jinja2
import material

from lantoa.site import plugin


def _static(names):
    # what MkDocs' Files.add_files_from_theme keeps of a listing (its filter, in short)
    skip = [".*", "*/.*", "*.py", "*.pyc", "*.html", "*readme*", "mkdocs_theme.yml", "locales/*", "*.md"]
    return sorted(n for n in names if not any(fnmatch.fnmatch(n.lower(), p) for p in skip))


def test_installed_theme_folders_are_listed_once_and_ours_every_time(tmp_path, monkeypatch):
    installed = str(material.__path__[0] + "/templates")
    ours = tmp_path / "theme"
    (ours / "assets").mkdir(parents=True)
    (ours / "assets" / "a.css").write_text("a{}", "utf-8")
    monkeypatch.setattr(plugin, "_LISTED", {})
    walked = []
    real = jinja2.FileSystemLoader.list_templates
    pruned = plugin._without_dot_paths

    def counting(self):
        walked.extend(self.searchpath)
        return real(self)

    monkeypatch.setattr(jinja2.FileSystemLoader, "list_templates", counting)
    monkeypatch.setattr(plugin, "_without_dot_paths", lambda path: walked.append(path) or pruned(path))
    loader = plugin._ListingLoader([str(ours), installed])
    first = loader.list_templates()
    assert _static(first) == _static(real(jinja2.FileSystemLoader([str(ours), installed])))
    assert "assets/a.css" in first
    assert not any(n.startswith(".icons/") for n in first)  # skipped by MkDocs anyway
    (ours / "assets" / "b.css").write_text("b{}", "utf-8")  # a theme file added between two builds
    second = plugin._ListingLoader([str(ours), installed]).list_templates()
    assert "assets/b.css" in second
    assert walked.count(installed) == 1 and walked.count(str(ours)) == 2


def test_an_installed_folder_is_listed_as_jinja_lists_it_without_its_dot_paths(tmp_path):
    """The walk that skips dot folders lists what jinja2's own listing does, less the paths with a
    part that starts with a dot; over Material's folder and over one made to trip it."""
    folder = tmp_path / "theme"
    for rel in ("a.html", ".hidden", "x/.y/z.svg", ".icons/i/1.svg", "x/b.js", "x/y/c.css", "x/.d.css",
                "p.q/r.txt", "deep/er/est/f.html"):
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text("", "utf-8")
    (folder / "empty").mkdir()
    for path in (str(folder), material.__path__[0] + "/templates"):
        expected = [n for n in jinja2.FileSystemLoader(path).list_templates()
                    if not any(part.startswith(".") for part in n.split("/"))]
        assert list(plugin._without_dot_paths(path)) == expected
    assert plugin._without_dot_paths(str(folder)) == ("a.html", "deep/er/est/f.html", "p.q/r.txt", "x/b.js",
                                                      "x/y/c.css")


def test_the_plugin_gives_mkdocs_our_theme_loader(project, monkeypatch):
    # pinned through a real build in this process (-j 1), with the listing of the installed theme
    # forgotten first: a build that uses _ListingLoader lists Material's folder through it
    from click.testing import CliRunner

    from lantoa.cli import main

    monkeypatch.setattr(plugin, "_LISTED", {})
    result = CliRunner().invoke(main, ["-C", str(project), "-q", "build", "-j", "1", "--lang", "vi"])
    assert result.exit_code == 0, result.output
    assert any(path.endswith("material/templates") for path in plugin._LISTED)


def test_material_files_no_page_loads_are_left_out_and_ours_kept(built_project, tmp_path):
    from mkdocs.structure.files import File

    site = built_project / "build" / "site"
    shipped = sorted(p.relative_to(site).as_posix() for p in (site / "assets").rglob("*") if p.is_file())
    assert any(fnmatch.fnmatch(n, "assets/javascripts/bundle.*.min.js") for n in shipped)
    assert any(fnmatch.fnmatch(n, "assets/stylesheets/main.*.min.css") for n in shipped)
    assert not [n for n in shipped if n.endswith(".map") or "/lunr/" in n or "/workers/" in n]
    # the pages load none of them (Material starts its search worker only for a search box)
    for page in site.rglob("*.html"):
        doc = page.read_text("utf-8")
        assert "lunr" not in doc and 'data-md-component="search"' not in doc, page
    installed = material.__path__[0] + "/templates"
    ours = tmp_path / "theme"
    (ours / "assets").mkdir(parents=True)
    (ours / "assets" / "app.js.map").write_text("{}", "utf-8")
    assert plugin._unused_theme_file(File("assets/javascripts/lunr/min/lunr.ja.min.js", installed, "/s", True))
    assert not plugin._unused_theme_file(File("assets/javascripts/bundle.js", installed, "/s", True))
    assert not plugin._unused_theme_file(File("assets/app.js.map", str(ours), "/s", True))  # an override of ours


def test_navigation_rendered_once_per_folder_is_the_navigation_each_page_would_render(project, monkeypatch):
    """plugin._memoize_nav: the site is byte-identical to one where every page renders Material's
    navigation itself, and the memo is used (stories share one) but not for pages in the nav."""
    from types import SimpleNamespace

    from click.testing import CliRunner

    from conftest import tree_digest
    from lantoa.cli import main

    def build():
        result = CliRunner().invoke(main, ["-C", str(project), "-q", "build", "--clean", "-j", "1"])
        assert result.exit_code == 0, result.output
        return tree_digest(project / "build" / "site")

    import shutil

    stories = project / "content" / "stories"
    shutil.copytree(stories / "vinh-ha-long", stories / "vinh-ha-long-2")  # two stories in one folder
    keys = []
    real_key = plugin.nav_memo_key
    monkeypatch.setattr(plugin, "nav_memo_key", lambda page, nav: keys.append(real_key(page, nav)) or keys[-1])
    memoized = build()
    assert keys.count("stories") == 2 and None in keys  # the stories share one; the nav's own pages do not
    monkeypatch.setattr(plugin, "_memoize_nav", lambda env: None)
    assert build() == memoized

    nav = SimpleNamespace(pages=[SimpleNamespace(url="about/"), SimpleNamespace(url="stories/a/sub/")])
    assert real_key(SimpleNamespace(url="stories/b/"), nav) == "stories"
    assert real_key(SimpleNamespace(url="stories/a/"), nav) is None  # a nav link lies under the page
    assert real_key(nav.pages[0], nav) is None  # the page is in the nav: its item is active


_STATEFUL_BODY = """
## Kỳ quan

Vịnh có nhiều đảo[^1] và HTML.

## Kỳ quan

!!! note "Ghi chú"
    Một đoạn trong khung.

| Cột | Giá trị |
| --- | ------- |
| a   | 1       |

Một đoạn có lớp.
{: .lt-note }

```
mã
```

[^1]: Theo UNESCO.

*[HTML]: HyperText Markup Language
"""


def test_one_markdown_per_edition_renders_what_one_per_page_does(project, monkeypatch):
    """plugin._OneMarkdown: one Markdown instance, reset, for every page of an edition gives the
    same site as MkDocs' new instance per page, with the extensions that keep state across a
    document (footnotes, abbreviations, heading ids) on every page; and it is one instance."""
    import shutil

    import markdown
    from click.testing import CliRunner

    from conftest import stamp_translations, tree_digest
    from lantoa.cli import main

    stories = project / "content" / "stories"
    source = stories / "vinh-ha-long" / "index.md"
    text = source.read_text("utf-8")
    source.write_text(text[: text.index("## Kỳ quan")] + _STATEFUL_BODY.lstrip(), "utf-8")
    shutil.copytree(stories / "vinh-ha-long", stories / "vinh-ha-long-2")
    for name in ("index.md", "index.en.md"):  # the second story without footnotes or abbreviations
        p = stories / "vinh-ha-long-2" / name
        p.write_text(p.read_text("utf-8").replace("[^1]", "").replace("[^1]: Theo UNESCO.", "")
                     .replace("*[HTML]: HyperText Markup Language", ""), "utf-8")
    stamp_translations(project)

    def build():
        result = CliRunner().invoke(main, ["-C", str(project), "-q", "build", "--clean", "-j", "1"])
        assert result.exit_code == 0, result.output
        return tree_digest(project / "build" / "site")

    made = []
    real = markdown.Markdown
    monkeypatch.setattr(markdown, "Markdown", lambda **kw: made.append(1) or real(**kw))
    one = build()
    editions = 6
    # per edition: one as MkDocs checks the configuration, and one for all its pages
    assert len(made) == 2 * editions, len(made)
    page = (project / "build" / "site" / "stories" / "vinh-ha-long-2" / "index.html").read_text("utf-8")
    assert 'id="ky-quan_1"' in page and "footnote" not in page and "<abbr" not in page
    monkeypatch.setattr(plugin.LantoaPlugin, "on_pre_build", lambda self, config: None)
    made.clear()
    assert build() == one
    assert len(made) > 5 * editions  # MkDocs' own: one per page


def test_one_markdown_only_with_extensions_that_reset_cleanly():
    import markdown

    def instances(**kw):
        shim = plugin._OneMarkdown(markdown)
        made = [shim.Markdown(**kw) for _ in range(3)]  # all held: no id is reused
        return len({id(md) for md in made})

    assert instances(extensions=["toc", "markdown.extensions.tables", "footnotes"], extension_configs={}) == 1
    # footnote ids that count the resets, and another project's extension: a new instance each time
    assert instances(extensions=["footnotes"], extension_configs={"footnotes": {"UNIQUE_IDS": True}}) == 3
    assert instances(extensions=["toc", "pymdownx.superfences"], extension_configs={}) == 3
