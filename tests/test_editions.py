"""Every language a first-class edition: feeds, sitemaps, hreflang, 404, status page, content API,
and the translation workflow (outdated → mark → reviewed)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from conftest import REPO
from lantoa.cli import main
from lantoa.i18n import registry as registry_mod
from lantoa.site import editions as editions_mod
from lantoa.site import status_page as status_mod

DATA = Path(__file__).parent / "data"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XH = "{http://www.w3.org/1999/xhtml}"
SITE_URL = "https://lantoa.example.vn/"


def run(root: Path, *args):
    return CliRunner().invoke(main, ["-C", str(root), *args])


@pytest.fixture(scope="module")
def registry():
    reg, _ = registry_mod.load(REPO / "locales", REPO)
    return reg


def editions(site: Path, registry) -> dict[str, Path]:
    return {tag: site / ("" if tag == registry.default else tag) for tag in registry.tags()}


def test_feeds_parse_and_carry_json_feed_11_fields(sample_site, registry):
    for tag, root in editions(sample_site, registry).items():
        rss = feedparser.parse((root / "feed.xml").read_bytes())
        assert not rss.bozo, (tag, rss.bozo_exception)
        assert rss.feed.language == tag and rss.entries
        assert all(e.link.startswith(SITE_URL) and e.published for e in rss.entries)
        feed = json.loads((root / "feed.json").read_text("utf-8"))
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["language"] == tag and feed["feed_url"].startswith(SITE_URL) and feed["home_page_url"]
        for item in feed["items"]:
            assert {"id", "url", "title", "summary", "date_published", "language"} <= set(item)
            assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$", item["date_published"])
            assert "image" in item and item["image"].startswith(SITE_URL)
        # the parsed JSON Feed agrees with the RSS feed
        assert [i["url"] for i in feed["items"]] == [e.link for e in rss.entries]
        # each enclosure's length is its image's (made before the images were moved into the site)
        for item in ET.parse(root / "feed.xml").getroot().iter("item"):
            enclosure = item.find("enclosure")
            image = sample_site / enclosure.get("url").removeprefix(SITE_URL)
            assert int(enclosure.get("length")) == image.stat().st_size > 0, (tag, image)


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint (Debian libxml2-utils) is not installed")
def test_every_sitemap_validates(sample_site, registry):
    files = [root / "sitemap.xml" for root in editions(sample_site, registry).values()]
    out = subprocess.run(["xmllint", "--noout", "--schema", str(DATA / "sitemap.xsd"), *map(str, files)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    out = subprocess.run(["xmllint", "--noout", "--schema", str(DATA / "siteindex.xsd"),
                          str(sample_site / "sitemap_index.xml")], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    index = ET.parse(sample_site / "sitemap_index.xml").getroot()
    assert len(index.findall(f"{SM}sitemap")) == len(files)
    assert "Sitemap: https://lantoa.example.vn/sitemap_index.xml" in (sample_site / "robots.txt").read_text()
    import gzip

    for f in files:  # the compressed copy is the same sitemap
        assert gzip.decompress(f.with_suffix(".xml.gz").read_bytes()) == f.read_bytes()


def test_hreflang_is_reciprocal_and_absolute_in_sitemaps(sample_site, registry):
    alternates: dict[str, dict[str, str]] = {}  # url -> {hreflang: href}
    for root in editions(sample_site, registry).values():
        for url in ET.parse(root / "sitemap.xml").getroot().findall(f"{SM}url"):
            loc = url.find(f"{SM}loc").text
            alternates[loc] = {link.get("hreflang"): link.get("href") for link in url.findall(f"{XH}link")}
    assert len(alternates) > 300
    for loc, alts in alternates.items():
        assert set(alts) == set(registry.tags()) | {"x-default"}, loc
        for lang, href in alts.items():
            assert href.startswith(SITE_URL), href
            if lang != "x-default":
                assert href in alternates, f"{loc} names {href}, which no sitemap lists"
                assert loc in alternates[href].values(), f"{href} does not link back to {loc}"
    assert not any("/_status/" in loc for loc in alternates)


def test_head_hreflang_links_are_absolute_with_x_default(sample_site, registry):
    page = sample_site / "km" / "stories" / "son-doong-tren-man-anh-the-gioi" / "index.html"
    html = page.read_text("utf-8")
    links = dict((m[1], m[0]) for m in re.findall(r'<link rel="alternate" href="([^"]+)" hreflang="([^"]+)">', html))
    assert set(links) == set(registry.tags()) | {"x-default"}
    assert links["km"] == SITE_URL + "km/stories/son-doong-tren-man-anh-the-gioi/"
    assert links["x-default"] == links["vi"] == SITE_URL + "stories/son-doong-tren-man-anh-the-gioi/"
    assert '<meta property="og:locale" content="km">' in html
    assert html.count('property="og:locale:alternate"') == len(registry.tags()) - 1


def test_404_of_each_edition_is_in_its_language(sample_site, registry):
    for tag, root in editions(sample_site, registry).items():
        html = (root / "404.html").read_text("utf-8")
        assert f'<html lang="{tag}"' in html
        assert f"<h1>{registry.string(tag, 'notfound.title')}</h1>" in html
        # every edition has its own words for it: none falls back along its chain to another language's
        assert registry.string_lang(tag, "notfound.title") == tag, tag
    nginx = (REPO / "docs" / "editions.md").read_text("utf-8")
    assert "error_page 404 /km/404.html" in nginx


def test_status_page_is_unlinked_and_unindexed(sample_site):
    status = sample_site / "_status" / "index.html"
    assert "noindex" in status.read_text("utf-8") and (sample_site / "_status" / "coverage.png").stat().st_size > 1000
    for page in sample_site.rglob("*.html"):
        if "_status" not in page.parts:
            assert "_status" not in page.read_text("utf-8"), page


def test_content_api(sample_site, registry):
    index = json.loads((sample_site / "api" / "km" / "stories.json").read_text("utf-8"))
    assert index["language"] == "km" and index["count"] == len(index["stories"]) == 14
    first = index["stories"][0]
    assert {"slug", "url", "language", "title", "summary", "date", "category", "hero", "license", "api",
            "translation_status", "fallback"} <= set(first)
    story = json.loads((sample_site / "api" / "km" / "stories" / "viet-nam-va-31-danh-hieu-unesco.json")
                       .read_text("utf-8"))
    assert story["language"] == "km" and story["translation_status"] == "machine"
    assert "<h2" in story["html"] and "<script" not in story["html"]
    assert story["translations"]["vi"]["status"] == "source" and story["translations"]["en"]["status"] == "reviewed"
    assert "jra" not in story["translations"]  # no Jrai translation of this story


def test_switcher_marks_languages_that_fall_back(sample_site):
    html = (sample_site / "stories" / "viet-nam-va-31-danh-hieu-unesco" / "index.html").read_text("utf-8")
    assert re.search(r'hreflang="jra" lang="jra" class="md-select__link lt-fallback"', html)
    assert re.search(r'hreflang="km" lang="km" class="md-select__link"', html)


def test_editing_a_source_sentence_outdates_its_translations(project):
    src = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    result = run(project, "translations", "--format", "json")
    assert json.loads(result.output)["stories"][0]["status"]["en"] == "reviewed"
    src.write_text(src.read_text("utf-8").replace("Vịnh có nhiều đảo đá vôi.", "Vịnh có gần hai nghìn đảo."), "utf-8")
    status = json.loads(run(project, "translations", "--format", "json").output)
    assert status["stories"][0]["status"]["en"] == "outdated"
    assert status["totals"]["en"]["outdated"] == 1
    assert run(project, "-q", "build").exit_code == 0
    en = (project / "build" / "site" / "en" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert "lt-notice--outdated" in en and 'hreflang="vi"' in en
    result = run(project, "translations", "mark", "vinh-ha-long", "en", "--reviewed-by", "Nguyễn Thị Lan")
    assert result.exit_code == 0, result.output
    text = (project / "content" / "stories" / "vinh-ha-long" / "index.en.md").read_text("utf-8")
    assert 'reviewed_by: "Nguyễn Thị Lan"' in text and "method: human" in text
    assert json.loads(run(project, "translations", "--format", "json").output)["stories"][0]["status"]["en"] == "reviewed"
    assert run(project, "-q", "build").exit_code == 0
    en = (project / "build" / "site" / "en" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    assert "lt-notice--outdated" not in en


def test_a_story_s_statuses_hash_its_source_once(project, monkeypatch):
    """A build asks for every story's translation statuses in several places: each asks for all
    its languages at once, and the source's hash is made once for them, not once a language."""
    from lantoa.content import translations as tr
    from lantoa.content.loader import load_project
    from lantoa.site import api

    entry = load_project(project)[0].stories["vinh-ha-long"]
    langs = ["vi", "en", "fr", "km"]
    one_by_one = {lang: tr.status(entry, lang) for lang in langs}
    assert one_by_one == {"vi": "source", "en": "reviewed", "fr": "missing", "km": "missing"}
    made = []
    real = tr.source_hash
    monkeypatch.setattr(tr, "source_hash", lambda e: made.append(e.slug) or real(e))
    assert tr.statuses(entry, langs) == one_by_one and made == ["vinh-ha-long"]
    assert api.translations(entry, langs) == {"vi": "source", "en": "reviewed"} and len(made) == 2


def test_translations_table_csv_and_errors(project):
    table = run(project, "translations")
    assert table.exit_code == 0 and "vinh-ha-long" in table.output and "src" in table.output
    csv = run(project, "translations", "--lang", "en", "--format", "csv")
    assert csv.output.splitlines() == ["story,en", "vinh-ha-long,reviewed"]
    bad = run(project, "translations", "mark", "vinh-ha-lon", "en", "--reviewed-by", "X")
    assert bad.exit_code == 1 and "did you mean 'vinh-ha-long'" in bad.output
    missing = run(project, "translations", "mark", "vinh-ha-long", "km", "--reviewed-by", "X")
    assert missing.exit_code == 1 and "index.km.md" in missing.output
    unknown = run(project, "translations", "--lang", "zz")
    assert unknown.exit_code == 1 and "zz" in unknown.output


def test_the_coverage_map_is_drawn_again_only_when_a_status_changes(project, monkeypatch):
    from lantoa.site import status_page

    runner = CliRunner()
    assert runner.invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    png = project / "build" / "site" / "_status" / "coverage.png"
    first = png.read_bytes()
    drawn = []
    heatmap = status_page.heatmap
    monkeypatch.setattr(status_page, "heatmap", lambda *a: drawn.append(1) or heatmap(*a))
    story = project / "content" / "stories" / "vinh-ha-long"
    (story / "index.en.md").write_text((story / "index.en.md").read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert runner.invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    assert drawn == [] and png.read_bytes() == first  # a text edit changes no status
    (story / "index.md").write_text((story / "index.md").read_text("utf-8") + "\nA new source line.\n", "utf-8")
    assert runner.invoke(main, ["-C", str(project), "-q", "build"]).exit_code == 0
    assert drawn == [1] and png.read_bytes() != first  # the translation is now outdated
    assert len(list((project / ".cache" / "lantoa" / "status").glob("*.png"))) == 1


def test_the_coverage_map_is_the_drawn_heatmap_compressed_once(tmp_path, monkeypatch):
    """The PNG holds the heatmap's pixels, written once at zlib's default level: optimize=True
    tried every filter at level 9, 240 ms at 400 stories x 12 languages (a source's first edit
    since review redraws it) for a larger file."""
    from PIL import Image, ImageChops

    from lantoa.content import translations as tr
    from lantoa.site import status_page

    langs = ["vi", "en", "km"]
    rows = [tr.Row(f"story-{i}", {"vi": tr.SOURCE, "en": [tr.REVIEWED, tr.OUTDATED][i % 2], "km": tr.MISSING})
            for i in range(40)]
    saved = []
    real_save = Image.Image.save
    monkeypatch.setattr(Image.Image, "save", lambda im, fp, *a, **k: saved.append(k) or real_save(im, fp, *a, **k))
    status_page._coverage_png(rows, langs, tmp_path / "coverage.png", tmp_path / "cache")
    assert saved == [{}]
    with Image.open(tmp_path / "coverage.png") as png:
        assert ImageChops.difference(png.convert("RGB"), status_page.heatmap(rows, langs)).getbbox() is None


def test_the_feeds_and_sitemaps_escape_as_xml_sax_saxutils_does():
    """lantoa.site.editions has its own copies, so that no build imports urllib.request and ssl."""
    import random
    from xml.sax import saxutils

    from lantoa.site import editions

    rng = random.Random(7)
    alphabet = "ab&<>\"'\n\r\t ;#ạờ\u17a2\u0644"
    samples = ["", "plain", "a\"b", "a'b", "a\"b'c", "&amp;", "<x y='1'>", "line\nnext\r\ttab"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randrange(12))) for _ in range(2000)]
    for text in samples:
        assert editions.escape(text) == saxutils.escape(text), repr(text)
        assert editions.quoteattr(text) == saxutils.quoteattr(text), repr(text)
    assert "xml.sax.saxutils" not in subprocess.run(
        [__import__("sys").executable, "-c", "import sys, lantoa.site.builder, lantoa.site.outputs; print(sorted(sys.modules))"],
        capture_output=True, text=True, check=True).stdout


def test_the_outputs_made_from_the_models_are_made_while_the_editions_render(project, caplog, monkeypatch):
    """Sitemaps, feeds and the status page are made by the build's main process while it waits for
    the editions (lantoa.site.outputs.prepare); a failure there fails the build in the step's turn,
    and the site stays as it was."""
    import logging

    from lantoa.errors import LantoaError
    from lantoa.site import outputs

    runner = CliRunner()
    with caplog.at_level(logging.INFO, logger="lantoa"):
        assert runner.invoke(main, ["-C", str(project), "-v", "build"]).exit_code == 0
    said = [r.getMessage() for r in caplog.records]
    prepared = [i for i, m in enumerate(said) if re.match(r"output (sitemaps|feeds|status) prepared", m)]
    rendered = next(i for i, m in enumerate(said) if m.startswith("rendered "))
    assert len(prepared) == 3 and max(prepared) < rendered, said
    site = project / "build" / "site"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}

    def broken(ctx):
        (ctx.site / "half-written.xml").write_text("<", "utf-8")
        raise LantoaError("the feeds cannot be made")

    monkeypatch.setattr(outputs, "EARLY", (editions_mod.sitemaps_step, broken, status_mod.status_step))
    monkeypatch.setattr(outputs, "STEPS", [broken if s is editions_mod.feeds_step else s for s in outputs.STEPS])
    story = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    story.write_text(story.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    failed = runner.invoke(main, ["-C", str(project), "-q", "build"])
    assert failed.exit_code == 1 and "the feeds cannot be made" in failed.output and "Traceback" not in failed.output
    assert {p: p.read_bytes() for p in site.rglob("*") if p.is_file()} == before


def test_mkdocs_does_not_render_a_sitemap_that_ours_replaces(project):
    """With ``site_url`` set, each edition's sitemap is ours (with hreflang alternates): MkDocs'
    own, rendered and gzipped by every edition's build and then written over, is not made."""
    r = CliRunner().invoke(main, ["-C", str(project), "-q", "build"])
    assert r.exit_code == 0, r.output
    parts = list((project / ".cache" / "lantoa" / "parts").glob("*/*/"))
    assert parts and all((p / "404.html").is_file() for p in parts)
    assert not [p for p in parts if (p / "sitemap.xml").exists() or (p / "sitemap.xml.gz").exists()]
    site = project / "build" / "site"
    for sitemap in [site / "sitemap.xml", site / "en" / "sitemap.xml"]:
        links = ET.parse(sitemap).getroot().findall(f"{SM}url/{XH}link")
        assert links and all(link.get("href").startswith("https://") for link in links)
