"""The built site: escaping, sanitizing, fallbacks, notices, atomic swap, no external requests."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from click.testing import CliRunner

from conftest import make_project, tree_digest
from lantoa.cli import main
from lantoa.site.plugin import sanitize


def run(root: Path, *args):
    return CliRunner().invoke(main, ["-C", str(root), *args])


def test_sanitizer_cuts_script_and_handlers():
    dirty = ('<p onclick="x()">a<script>alert(1)</script><a href="javascript:alert(1)">l</a>'
             '<img src="x.jpg" onerror="alert(1)" alt="a"><iframe src="https://evil"></iframe></p>')
    clean = sanitize(dirty)
    assert "script" not in clean and "onclick" not in clean and "onerror" not in clean
    assert "javascript:" not in clean and "iframe" not in clean
    assert '<img src="x.jpg" alt="a">' in clean


def test_front_matter_text_is_escaped_everywhere(project):
    story = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    text = story.read_text("utf-8").replace(
        "summary: Hơn một nghìn hòn đảo đá vôi giữa biển xanh.",
        "summary: 'Cái gọi là \"kỳ quan\" & đảo'")
    story.write_text(text, "utf-8")
    assert run(project, "-q", "build").exit_code == 0
    html = (project / "build" / "site" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert '<meta name="description" content="Cái gọi là &#34;kỳ quan&#34; &amp; đảo">' in html
    assert '<meta property="og:description" content="Cái gọi là &#34;kỳ quan&#34; &amp; đảo">' in html
    assert re.search(r'content="[^"]*"kỳ', html) is None


def test_editions_fallback_and_notices(built_project):
    site = built_project / "build" / "site"
    tyz = (site / "tyz" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert '<html lang="tyz" class="no-js" dir="ltr">' in tyz
    assert "lt-notice--fallback" in tyz and '<article class="lt-story" lang="vi"' in tyz
    ar = (site / "ar" / "index.html").read_text("utf-8")
    assert 'dir="rtl"' in ar.split("<head>")[0]
    en = (site / "en" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert "lt-notice" not in en  # reviewed human translation: no notice
    assert "<h1>Ha Long Bay</h1>" in en


def test_switcher_links_to_the_same_story(built_project):
    html = (built_project / "build" / "site" / "km" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    links = dict(re.findall(r'href="([^"]+)" hreflang="([^"]+)" lang="[^"]+" class="md-select__link"', html))
    assert links["../../../en/stories/vinh-ha-long/"] == "en"
    assert links["../../../stories/vinh-ha-long/"] == "vi"
    # every language listed once, in the registry's order, on every kind of page, with relative links
    # (static-i18n's own links for a home page are root-absolute, "/km/", which break on a sub-path mirror)
    home = (built_project / "build" / "site" / "km" / "index.html").read_text("utf-8")
    home_links = re.findall(r'href="([^"]+)" hreflang="([^"]+)" lang="[^"]+" class="md-select__link', home)
    story_tags = re.findall(r'hreflang="([^"]+)" lang="[^"]+" class="md-select__link', html)
    assert [tag for _, tag in home_links] == story_tags and len(set(story_tags)) == len(story_tags) > 2
    assert dict(home_links) == {"..": "vi", "./": "km", **{f"../{t}/": t for _, t in home_links if t not in ("vi", "km")}}


def test_each_edition_build_hands_static_i18n_only_its_own_pages(tmp_path):
    """MkDocs' docs_dir is empty: our plugin's on_files hands it this edition's staged pages alone
    (from memory), before mkdocs-static-i18n's (priority -100), which would otherwise sort every file
    of every language and work out alternates for each, in every language's build (the bulk of the
    time, growing with languages × pages). Their texts are attached after it (it makes new Files)."""
    from types import SimpleNamespace

    from mkdocs.plugins import CombinedEvent
    from mkdocs.structure.files import File, Files
    from mkdocs_static_i18n.plugin import I18n

    from lantoa.site.plugin import LantoaPlugin

    config = SimpleNamespace(docs_dir=str(tmp_path / "docs"), site_dir=str(tmp_path / "site"), use_directory_urls=True,
                             site_url=None)
    files = Files([File("assets/x.css", str(tmp_path / "theme"), config.site_dir, True)])
    plugin = LantoaPlugin()
    plugin.sources = {"stories/a/index.km.md": "# a", "index.km.md": "# home"}
    plugin.kept = frozenset({"km/stories/a/index.html"})
    kept = plugin._edition_pages(files, config)
    assert [f.src_uri for f in kept] == ["assets/x.css", "index.km.md", "stories/a/index.km.md"]
    assert isinstance(LantoaPlugin.__dict__["on_files"], CombinedEvent)
    first, then = LantoaPlugin.__dict__["on_files"].methods
    assert not hasattr(first, "mkdocs_priority") and then.mkdocs_priority < I18n.on_files.mkdocs_priority == -100
    # the texts, from memory; a page reused from the kept edition is neither read nor rendered
    for f in kept.documentation_pages():  # where mkdocs-static-i18n puts them
        f.dest_uri = "km/" + f.src_uri.replace(".km.md", ".html")
    plugin._page_texts(kept, config)
    home, story = kept.documentation_pages()
    assert home.content_string == "# home" and home.is_modified()
    assert not story.is_modified()
    assert plugin.sources == {}  # each text is held by its File alone
    # once MkDocs has read a page's text, it is let go (the page keeps its Markdown)
    page = SimpleNamespace(meta={}, title="Home", file=home)
    assert plugin.on_page_markdown("# home", page, config, kept) == "# home"
    assert home.content_string == "" and home.is_modified()
    # a kept page in the navigation (home, categories, languages, editors' pages) is read, for its
    # title in the navigation of the pages rendered, but not written; a kept story page is neither
    plugin.sources = {"stories/a/index.km.md": "# a", "index.km.md": "# home"}
    plugin.kept = frozenset({"km/stories/a/index.html", "km/index.html"})
    kept = plugin._edition_pages(Files([]), config)
    for f in kept.documentation_pages():
        f.dest_uri = "km/" + f.src_uri.replace(".km.md", ".html")
    plugin._page_texts(kept, config)
    home, story = kept.documentation_pages()
    assert not home.is_modified() and not story.is_modified()
    nav = SimpleNamespace(pages=[SimpleNamespace(file=home)])
    assert plugin.on_nav(nav, config, kept) is nav
    assert home.content_string == "# home" and home.is_modified() and not story.is_modified()
    env = SimpleNamespace()
    assert LantoaPlugin.__dict__["on_env"].methods[0](plugin, env, config, kept) is env  # every page read
    assert not home.is_modified() and not story.is_modified()  # what MkDocs writes now: not those


def test_pages_are_handed_to_mkdocs_in_the_order_its_walk_of_docs_dir_lists_them(tmp_path):
    from mkdocs.structure.files import get_files

    from lantoa.site.plugin import _walk_order

    names = ["index.km.md", "b.km.md", "stories/index.km.md", "stories/a/index.km.md", "stories/a-b/index.km.md",
             "stories/z.km.md", "categories/x/index.km.md", "README.md", "aa/index.md", "a/b/c/index.km.md"]
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x", "utf-8")
    config = {"docs_dir": str(tmp_path), "site_dir": str(tmp_path / "site"), "use_directory_urls": True,
              "exclude_docs": None, "draft_docs": None, "not_in_nav": None}
    walked = [f.src_uri for f in get_files(config)]
    assert sorted(names, key=_walk_order) == walked


def test_nothing_is_loaded_from_another_origin(built_project):
    site = built_project / "build" / "site"
    loads = re.compile(r'<link\b[^>]*\brel="(?:stylesheet|preload|modulepreload|icon|preconnect|dns-prefetch|manifest)"'
                       r'[^>]*\bhref="([^"]+)"|\bsrc="([^"]+)"|url\(([^)]+)\)')
    for page in list(site.rglob("*.html")) + list(site.rglob("*.css")):
        text = page.read_text("utf-8")
        for groups in loads.findall(text):
            url = next(g for g in groups if g).strip("'\"")
            assert not re.match(r"(https?:)?//", url), (page, url)
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text


def test_fonts_are_self_hosted_with_licence(built_project):
    fonts = built_project / "build" / "site" / "fonts"
    css = (fonts / "fonts.css").read_text("utf-8")
    assert "Lantoa Khmer" in css and "Lantoa Tai Viet" in css and "Lantoa Arabic" in css
    for url in re.findall(r'url\("\.\./fonts/([^"]+)"\)', css):
        assert (fonts / url).is_file()
    licence = (fonts / "OFL.txt").read_text("utf-8")
    assert "SIL OPEN FONT LICENSE" in licence.upper() and "Noto" in licence


def test_failed_build_leaves_previous_site_untouched(project):
    assert run(project, "-q", "build").exit_code == 0
    before = tree_digest(project / "build" / "site")
    (project / "theme" / "story.html").write_text("{% extends 'main.html' %}{% block content %}{{ oops(", "utf-8")
    result = run(project, "build")
    assert result.exit_code == 1
    assert "story.html" in result.output and "Traceback" not in result.output
    assert tree_digest(project / "build" / "site") == before
    assert not list((project / "build").glob(".lantoa-build-*"))


def test_earlier_sites_are_deleted_by_the_next_build(project):
    """The build's scratch folder is set aside (one rename) and deleted while the next build works;
    the previous site is kept beside build/site, and the next build deletes its files and makes its
    own site in its folders (lantoa.site.skeleton): never left to pile up, never in the way."""
    trash = project / "build" / ".lantoa-trash"
    spare = project / "build" / ".lantoa-spare-site"
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    assert run(project, "-q", "build").exit_code == 0
    first = set(trash.iterdir())
    assert first and all(p.name.startswith(".lantoa-build-") for p in first)  # the scratch folder
    first_site = (project / "build" / "site").stat().st_ino
    assert not spare.exists()
    story.write_text(story.read_text("utf-8") + "\nMore.\n", "utf-8")
    assert run(project, "-q", "build").exit_code == 0
    second = set(trash.iterdir())
    assert not first & second  # deleted by the second build
    assert spare.stat().st_ino == first_site and (spare / "index.html").is_file()  # the first site, set aside
    second_site = (project / "build" / "site").stat().st_ino
    story.write_text(story.read_text("utf-8") + "\nMore still.\n", "utf-8")
    assert run(project, "-q", "build").exit_code == 0
    assert (project / "build" / "site").stat().st_ino == first_site  # made in the first site's folders
    assert spare.stat().st_ino == second_site
    assert sorted(p.name for p in (project / "build").iterdir()) == [".lantoa-spare-site", ".lantoa-trash", "site"]


def test_draft_is_not_built(project):
    draft = project / "content" / "stories" / "ban-nhap"
    draft.mkdir()
    (draft / "index.md").write_text("---\ntitle: Nháp\nsummary: s\ndate: 2024-01-01\ncategory: culture\n"
                                     "status: draft\n---\nx\n", "utf-8")
    assert run(project, "-q", "build").exit_code == 0
    assert not (project / "build" / "site" / "stories" / "ban-nhap").exists()


def test_media_are_reencoded_without_metadata(project):
    from PIL import Image

    hero = project / "content" / "stories" / "vinh-ha-long" / "hero.jpg"
    im = Image.new("RGB", (300, 200), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x8825] = {1: "N", 2: (21.0, 1.0, 0.0)}  # GPS
    im.save(hero, exif=exif.tobytes())
    assert run(project, "-q", "build").exit_code == 0
    site = project / "build" / "site"
    assert not (site / "stories" / "vinh-ha-long" / "hero.jpg").exists()  # never copied verbatim
    outs = sorted((site / "media" / "stories" / "vinh-ha-long").glob("hero-*"))  # variants (lantoa.site.images)
    assert outs
    for out in outs:
        assert out.read_bytes() != hero.read_bytes()
        with Image.open(out) as im2:
            assert im2.size == (200, 300)  # turned upright
            assert not im2.getexif()


def test_clean_checkout_has_no_build_dir_committed():
    repo = Path(__file__).resolve().parents[1]
    assert "/build/" in (repo / ".gitignore").read_text()


def test_the_trash_is_deleted_without_rm_too(tmp_path, monkeypatch):
    """Where there is no rm (another system), a thread deletes the trash."""
    from lantoa.site import builder

    for rm in ("/bin/rm", None):
        (tmp_path / builder.TRASH / "old" / "a" / "b").mkdir(parents=True)
        (tmp_path / builder.TRASH / "old" / "a" / "b" / "page.html").write_text("x", "utf-8")
        monkeypatch.setattr(builder.shutil, "which", lambda name: rm)
        sweeper = builder.sweep(tmp_path)
        assert (sweeper.process is not None) == (rm is not None)
        sweeper.join()
        assert list((tmp_path / builder.TRASH).iterdir()) == []


def test_mkdocs_yml_is_parsed_once_per_text_and_each_caller_gets_its_own_copy(tmp_path, monkeypatch):
    """A build reads mkdocs.yml five times (`lantoa serve` at every rebuild, and its editions'
    processes again): parsed once per text; a caller that changes what it got changes nobody
    else's; an edit, or a broken file, is read as it is now."""
    import yaml

    from lantoa.site import config as site_config

    (tmp_path / "mkdocs.yml").write_text("site_name: A\nsite_url: https://a.example/\nextra: {x: [1]}\n", "utf-8")
    site_config._parsed.cache_clear()
    parsed = []
    real = yaml.load
    monkeypatch.setattr(site_config.yaml, "load", lambda *a, **k: parsed.append(1) or real(*a, **k))
    first, _ = site_config.read_raw(tmp_path)
    first["extra"]["x"].append(2)
    again, diags = site_config.read_raw(tmp_path)
    assert len(parsed) == 1 and again == {"site_name": "A", "site_url": "https://a.example/", "extra": {"x": [1]}}
    assert diags == []
    (tmp_path / "mkdocs.yml").write_text("site_name: B\n", "utf-8")
    assert site_config.read_raw(tmp_path)[0] == {"site_name": "B"} and len(parsed) == 2
    (tmp_path / "mkdocs.yml").write_text("site_name: [B\n", "utf-8")
    data, diags = site_config.read_raw(tmp_path)
    assert data == {} and [d.code for d in diags] == ["yaml-syntax"]
    diags.clear()  # a caller's list is its own
    assert [d.code for d in site_config.read_raw(tmp_path)[1]] == ["yaml-syntax"]
    (tmp_path / "mkdocs.yml").write_bytes(b"site_name: \xff\n")
    assert [d.code for d in site_config.read_raw(tmp_path)[1]] == ["yaml-syntax"]
