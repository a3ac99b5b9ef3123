"""The built sample site in a real browser (Debian's Chromium, driven by Playwright).

One HTTP server per session, one browser and one browser context per module, a new page per
test (tests/conftest.py; the plain "does this page load cleanly" checks share one recorded load
per page). The context's route keeps every request on 127.0.0.1 and turns the HTTP cache off, so every
page's font and image requests are seen. What a page should show is read from
locales/*.yml and content/ (tests/browser_util.py), not from lantoa's own code.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from browser_util import (AXE_JS, CHROMIUM, built_stories, font_faces, in_script, languages, prefix, record,
                          split_clusters, system_fonts)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")

try:
    from conftest import ARTIFACTS
except ImportError:  # pragma: no cover - run from elsewhere
    from browser_util import REPO

    ARTIFACTS = REPO / "test-artifacts"

pytestmark = pytest.mark.browser

LANGS = sorted(languages(), key=lambda t: (t != "vi", t))

#: the scripts whose self-hosted face we check: edition -> (font family, ISO 15924 code)
SCRIPT_FONTS = {
    "km": ("Lantoa Khmer", "Khmr"),
    "lo": ("Lantoa Lao", "Laoo"),
    "blt-Tavt": ("Lantoa Tai Viet", "Tavt"),
    "cjm-Cham": ("Lantoa Cham", "Cham"),
    "ar": ("Lantoa Arabic", "Arab"),
    "zh-Hans": ("Lantoa CJK SC", "Hans"),
    "ja": ("Lantoa CJK JP", "Jpan"),
    "ko": ("Lantoa CJK KR", "Kore"),
}
#: one screenshot per script
SCREENSHOT_LANGS = ["vi", "km", "lo", "blt-Tavt", "cjm-Cham", "ar", "zh-Hans", "ja", "ko"]


# --------------------------------------------------------------------------
# fixtures (server, browser, context, page and network_log come from tests/conftest.py)


@pytest.fixture(scope="session")
def site(sample_site):
    return sample_site


@pytest.fixture(scope="session")
def stories(site):
    found = built_stories(site)
    assert found, f"no stories in {site / 'stories'}"
    return found


def story_for(stories, tag: str) -> str:
    """A story translated into ``tag`` if there is one, else any story."""
    translated = [s for s in stories if stories[s].translated(tag)]
    return (translated or sorted(stories))[0]


def url_of(kind: str, tag: str, stories) -> str:
    if kind == "home":
        return prefix(tag)
    if kind == "story":
        return f"{prefix(tag)}stories/{story_for(stories, tag)}/"
    return f"{prefix(tag)}{kind}/"


@pytest.fixture(scope="module")
def visit(context, server, stories):
    """visit(tag, kind): one recorded load of that page, made once per session and shared by the
    tests that only look at what a clean load did (errors, <html> attributes, requests)."""
    done = {}

    def get(tag: str, kind: str):
        key = (tag, kind)
        if key not in done:
            pg = context.new_page()
            try:
                done[key] = record(pg, server.url(url_of(kind, tag, stories)))
            finally:
                pg.close()
        return done[key]

    return get


# --------------------------------------------------------------------------
# 1-3: every edition loads cleanly, says its language and direction, stays local


@pytest.mark.parametrize("kind", ["home", "story"])
@pytest.mark.parametrize("tag", LANGS)
def test_page_loads_without_errors(visit, tag, kind):
    v = visit(tag, kind)
    assert v.status == 200, v.url
    problems = v.problems()
    assert not problems, f"{v.url}:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("tag", LANGS)
def test_html_lang_and_dir(visit, tag):
    want_dir = "rtl" if tag == "ar" else "ltr"
    assert languages()[tag].dir == want_dir, f"locales/{tag}.yml: dir"
    for kind in ("home", "story"):
        v = visit(tag, kind)
        assert (v.html_lang, v.html_dir) == (tag, want_dir), v.url


def _outside(server, visits) -> list[str]:
    return [f"{v.url} -> {u}" for v in visits for u in v.requests
            if not (u.startswith(server.origin + "/") or u.startswith("data:"))]


@pytest.mark.parametrize("tag", LANGS)
def test_no_request_leaves_localhost(visit, server, tag):
    outside = _outside(server, [visit(tag, "home"), visit(tag, "story")])
    assert not outside, "requests leaving 127.0.0.1:\n  " + "\n  ".join(outside)


@pytest.mark.parametrize("tag", ["vi", "en", "ar"])
def test_other_pages_load_cleanly_and_stay_local(visit, server, site, tag):
    category = sorted(p.parent.name for p in (site / "categories").glob("*/index.html"))[0]
    visits = [visit(tag, kind) for kind in ("languages", "about", f"categories/{category}")]
    problems = [f"{v.url}: {p}" for v in visits for p in v.problems()]
    problems += [f"{v.url}: <html lang={v.html_lang} dir={v.html_dir}>" for v in visits
                 if (v.html_lang, v.html_dir) != (tag, languages()[tag].dir)]
    problems += [f"leaves 127.0.0.1: {u}" for u in _outside(server, visits)]
    assert not problems, "\n  ".join(problems)


# --------------------------------------------------------------------------
# 4: the language switcher


def _switch(page, server, to: str):
    link = page.locator(f'header a.md-select__link[hreflang="{to}"]')
    assert link.count() == 1, f"{page.url}: {link.count()} switcher links with hreflang={to}"
    href = link.evaluate("a => a.href")
    assert href.startswith(server.origin + "/"), href
    page.goto(href)
    return urlsplit(page.url).path


@pytest.mark.parametrize("tag", ["en", "km"])
def test_language_switcher_keeps_the_story(page, server, stories, tag):
    both = [s for s in sorted(stories) if stories[s].translated(tag) and stories[s].translated("vi")]
    if not both:
        pytest.skip(f"no story is translated into {tag}")
    slug = both[0]
    title = stories[slug].variants
    page.goto(server.url(f"stories/{slug}/"))
    assert page.locator("article.lt-story h1").inner_text().strip() == title["vi"].title

    path = _switch(page, server, tag)
    assert path == f"/{tag}/stories/{slug}/"
    assert page.get_attribute("html", "lang") == tag
    assert page.locator("article.lt-story h1").inner_text().strip() == title[tag].title

    path = _switch(page, server, "vi")
    assert path == f"/stories/{slug}/"
    assert page.get_attribute("html", "lang") == "vi"
    assert page.locator("article.lt-story h1").inner_text().strip() == title["vi"].title


# --------------------------------------------------------------------------
# 5: the scripts render with our self-hosted fonts


#: the text of a story page: the article's blocks and the notices above it
TEXT_BLOCKS = ", ".join(f"article.lt-story {t}" for t in ("h1", "h2", "h3", "p", "li", "figcaption")) + ", .lt-notice"


@pytest.mark.parametrize("tag", list(SCRIPT_FONTS))
def test_script_renders_with_self_hosted_font(page, server, site, stories, tag):
    family, script = SCRIPT_FONTS[tag]
    translated = [s for s in sorted(stories) if stories[s].translated(tag)]
    assert translated, (f"no story in content/ is translated into {tag}: add a content/stories/<slug>/"
                        f"index.{tag}.md so the {family} face can be checked on real text")
    slug = translated[0]
    fonts_requested = []
    page.on("requestfinished", lambda req: "/fonts/" in req.url and fonts_requested.append(req))
    page.goto(server.url(f"{prefix(tag)}stories/{slug}/"))
    page.evaluate("document.fonts.ready.then(() => true)")
    h1 = page.locator("article.lt-story h1").inner_text().strip()
    assert in_script(h1, script), f"{page.url}: the h1 {h1!r} has no {script} characters"

    # The browser has our face, loaded, and considers it ready for the title.
    faces = page.evaluate("""() => [...document.fonts].map(f => ({
        family: f.family.replace(/^["']|["']$/g, ''), status: f.status}))""")
    loaded = [f for f in faces if f["family"] == family and f["status"] == "loaded"]
    assert loaded, f"{page.url}: no loaded {family!r} face; faces: {[(f['family'], f['status']) for f in faces]}"
    assert page.evaluate("([font, text]) => document.fonts.check(font, text)", [f'16px "{family}"', h1])

    # It came from this site's fonts/ folder.
    files = {f.file for f in font_faces(site) if f.family == family}
    assert files, f"fonts/fonts.css declares no {family!r} face"
    ours = [r for r in fonts_requested if r.url.rsplit("/", 1)[-1] in files]
    assert ours, f"{page.url}: none of {sorted(files)} was requested; font requests: {[r.url for r in fonts_requested]}"
    for req in ours:
        assert req.url.startswith(server.origin + "/fonts/"), req.url
        resp = req.response()
        assert resp.status == 200 and resp.header_value("content-type") == "font/woff2", (req.url, resp.status)

    # Every glyph of the story was drawn with a web font: no system font (or tofu) stands in.
    fallback = system_fonts(page, TEXT_BLOCKS)
    if fallback:
        lines = []
        for text, system in fallback[:4]:
            used = ", ".join(f"{f['familyName']} ({f['glyphCount']} glyphs)" for f in system)
            lines.append(f"{text[:60]!r}: {used}")
            for cluster, where in list(split_clusters(text, font_faces(site), family).items())[:3]:
                lines.append(f"    cluster {cluster!r} spans several font files: {'; '.join(where)}")
        pytest.fail(f"{page.url}: {len(fallback)} text blocks partly drawn with system fonts, not {family!r} "
                    "(a browser shapes each cluster with one font file; fonts/fonts.css splits the family "
                    "into unicode-range slices that cut clusters apart):\n  " + "\n  ".join(lines), pytrace=False)


# --------------------------------------------------------------------------
# 6: notices


@pytest.mark.parametrize("tag", ["tyz", "pt"])
def test_fallback_notice(page, server, stories, tag):
    missing = [s for s in sorted(stories) if not stories[s].translated(tag)]
    if not missing:
        pytest.skip(f"every story is translated into {tag}")
    slug = missing[0]
    shown = stories[slug].shown(tag)
    page.goto(server.url(f"{prefix(tag)}stories/{slug}/"))
    notice = page.locator(".lt-notice--fallback")
    assert notice.count() == 1, f"{page.url}: {notice.count()} fallback notices"
    assert notice.is_visible() and notice.inner_text().strip(), f"{page.url}: the fallback notice is not visible"
    assert page.get_attribute("html", "lang") == tag
    article = page.locator("article.lt-story")
    assert article.get_attribute("lang") == shown.lang, f"{page.url}: shows {shown.lang} text"
    assert article.get_attribute("dir") == languages()[shown.lang].dir
    assert article.locator("h1").inner_text().strip() == shown.title


def test_machine_translation_notice(page, server, stories):
    machine = [(s, t) for s in sorted(stories) for t, v in sorted(stories[s].variants.items())
               if v.machine_unreviewed and t in languages()]
    if not machine:
        pytest.skip("no unreviewed machine translation in content/")
    slug, tag = machine[0]
    page.goto(server.url(f"{prefix(tag)}stories/{slug}/"))
    notice = page.locator(".lt-notice--machine")
    assert notice.count() == 1, f"{page.url}: {notice.count()} machine-translation notices"
    assert notice.is_visible() and notice.inner_text().strip()
    assert page.locator(".lt-notice--fallback").count() == 0, f"{page.url}: a translated story says it falls back"


def test_reviewed_translation_has_no_notice(page, server, stories):
    reviewed = [(s, t) for s in sorted(stories) for t, v in sorted(stories[s].variants.items())
                if t != stories[s].source_lang and not v.machine_unreviewed and t in languages()]
    if not reviewed:
        pytest.skip("no reviewed translation in content/")
    slug, tag = reviewed[0]
    page.goto(server.url(f"{prefix(tag)}stories/{slug}/"))
    assert page.locator(".lt-notice").count() == 0, f"{page.url}: {page.locator('.lt-notice').all_inner_texts()}"
    assert page.locator("article.lt-story").get_attribute("lang") == tag


# --------------------------------------------------------------------------
# 7: accessibility (axe-core)

AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact, summary: n.failureSummary}))}));
}"""


@pytest.mark.parametrize("kind", ["home", "story"])
@pytest.mark.parametrize("tag", LANGS)
def test_no_serious_accessibility_violations(page, server, stories, tag, kind):
    if not AXE_JS.is_file():
        pytest.skip(f"{AXE_JS} is missing: run 'npm ci' in the repository")
    url = server.url(url_of(kind, tag, stories))
    page.goto(url)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.evaluate(AXE_JS.read_text("utf-8"))  # not a <script>: the page's CSP blocks inline scripts
    violations = page.evaluate(AXE_RUN)
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    lines = []
    for v in bad:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1].strip()}" for n in v["nodes"][:8]]
        if len(v["nodes"]) > 8:
            lines.append(f"    ... and {len(v['nodes']) - 8} more")
    if bad:
        pytest.fail(f"{url}: axe-core finds {len(bad)} serious/critical violations:\n  " + "\n  ".join(lines),
                    pytrace=False)


# --------------------------------------------------------------------------
# 8: screenshots, one per script


@pytest.mark.parametrize("tag", SCREENSHOT_LANGS)
def test_story_screenshot(page, server, stories, tag):
    out = ARTIFACTS / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{tag}-story.png"
    path.unlink(missing_ok=True)
    page.goto(server.url(url_of("story", tag, stories)))
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file() and path.stat().st_size > 10_000, path


# --------------------------------------------------------------------------
# last: nothing any test above opened left 127.0.0.1


def test_zz_every_request_of_the_session_was_local(network_log, server):
    if not network_log:
        pytest.skip("no page was opened in this session")
    outside = sorted({u for u in network_log if not (u.startswith(server.origin + "/") or u.startswith("data:"))})
    assert not outside, "requests leaving 127.0.0.1:\n  " + "\n  ".join(outside)
