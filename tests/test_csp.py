"""The Content-Security-Policy in every page and the host headers, from one table: unit checks,
the built site, a build that refuses inline handlers, docs/hosting.md in sync, and Chromium
(no violation on real pages and in the preview server; an injected inline script is blocked)."""

from __future__ import annotations

import functools
import html
import http.server
import random
import re
import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from browser_util import csp_context
from conftest import REPO, make_project

from lantoa.cli import main
from lantoa.publish import headers
from lantoa.site import csp


def build(root: Path, *extra) -> object:
    return CliRunner().invoke(main, ["-C", str(root), "-q", "build", *extra])


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = make_project(tmp_path_factory.mktemp("csp") / "site", langs=("vi", "en", "ar"))
    r = build(root)
    assert r.exit_code == 0, r.output
    return root / "build" / "site"


# --------------------------------------------------------------------------
# units


DOC = """<!doctype html><html><head><meta charset="utf-8"><title>x</title>
<script>var a=1</script><script src="x.js"></script><script type="application/json">{"a":1}</script>
<script type="module">import "./m.js"</script><style>p{color:red}</style></head>
<body><p style="color: #123">x</p><p style='margin:0'>y</p><p>style="not an attribute"</p></body></html>"""


def test_hashes_of_inline_scripts_and_styles():
    scripts, styles, attrs = csp.inline_hashes(DOC)
    assert scripts == [csp.sha256_b64("var a=1"), csp.sha256_b64('import "./m.js"')]  # not src=, not JSON data
    assert styles == [csp.sha256_b64("p{color:red}")]
    assert attrs == [csp.sha256_b64("color: #123"), csp.sha256_b64("margin:0")]
    policy = csp.policy_for(DOC)
    assert "'unsafe-inline'" not in policy
    assert f"script-src 'self' 'sha256-{scripts[0]}' 'sha256-{scripts[1]}';" in policy
    assert "style-src 'self' 'unsafe-hashes'" in policy


def test_meta_goes_right_after_the_charset_and_replaces_an_old_one():
    once = csp.apply(DOC)
    assert once.index('<meta http-equiv="Content-Security-Policy"') == once.index('<meta charset="utf-8">') + len(
        '<meta charset="utf-8">')
    assert csp.apply(once) == once  # idempotent
    assert once.count("Content-Security-Policy") == 1
    assert csp.meta_policy(once) == csp.policy_for(DOC)


def test_inline_handlers_and_javascript_urls_are_found():
    bad = csp.forbidden('<p><a href="javascript:alert(1)">x</a><img src=x onerror="alert(1)"><b ONCLICK=x>')
    assert len(bad) == 3 and "onerror=" in bad[1] and "ONCLICK=" in bad[2]
    assert csp.forbidden("<p>onclick= is text here</p><a href=\"/javascript/\">ok</a>") == []


def _tag_by_tag(doc: str) -> tuple[list[str], list[str]]:
    """What the scan must find, by the plain rule: each tag on its own (the reference for csp.scan,
    which searches each distinct tag once and remembers it)."""
    bad, attrs = [], []
    style = re.compile(r"""\sstyle\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
    for tag in csp._TAG.finditer(csp._SCRIPT.sub("", csp._OLD_META.sub("", doc))):
        text = tag.group(0)
        bad += [f"inline event handler {m.group(1)}= in {text[:80]}" for m in csp._HANDLER_ATTR.finditer(text)]
        if csp._JS_URL.search(text):
            bad.append(f"javascript: URL in {text[:80]}")
        attrs += [csp.sha256_b64(html.unescape(a.group(1) if a.group(1) is not None else a.group(2)))
                  for a in style.finditer(text)]
    return bad, list(dict.fromkeys(attrs))


def test_the_scan_finds_what_a_tag_by_tag_search_finds():
    """Random tag soup (quotes and ">" inside values, tags in values, case, unclosed tags, text that
    looks like attributes): the scan agrees with the tag-by-tag rule on every one."""
    atoms = ["<a", "<div", "<B", "<p/", " ", "\n", "onclick=", " ONload =", " on=", "x", '"', "'", ">", "<",
             "style=", " style = ", ' style="', "'a>b'", "javascript:", " href=", " src =", " formaction=", "=",
             "/", "<script>", "</script>", "&amp;", "é", "\u212a"]
    rng = random.Random(20261125)
    for _ in range(20000):
        doc = "".join(rng.choice(atoms) for _ in range(rng.randint(1, 30)))
        bad, (_, _, attrs), _ = csp.scan(doc)
        assert (bad, attrs) == _tag_by_tag(doc), repr(doc)


def test_header_table_renders_for_every_host():
    netlify = headers.netlify_headers(["a/x.0123abcd.js", "a/lunr.js", "b/c/y.0123abcd.css", "fonts/f-0123456789ab.woff2",
                                       "fonts/fonts.css", "index.html"])
    rules = [ln for ln in netlify.splitlines() if ln.startswith("/")]
    assert rules == ["/*", "/a/x.0123abcd.js", "/b/*", "/fonts/f-0123456789ab.woff2"]  # a/* would catch a/lunr.js
    for k, v in headers.SECURITY_HEADERS.items():
        assert f"  {k}: {v}" in netlify
        assert f'add_header {k} "{v}" always;' in headers.nginx_snippet()
    assert "unsafe-inline" not in netlify + headers.nginx_snippet()


def test_immutable_rules_are_the_outermost_folders_with_nothing_unhashed_below():
    """netlify_headers' rules, made in one pass over some 17,000 files, against the rule as written:
    for each hashed file, its outermost folder with no unhashed file anywhere below, else itself."""
    import posixpath

    def parents(path):
        out, d = [], posixpath.dirname(path)
        while d:
            out.append(d)
            d = posixpath.dirname(d)
        return out

    def reference(paths):
        unhashed = [p for p in paths if not headers.is_hashed(p)]
        mixed = {d for p in unhashed for d in parents(p)}
        rules = []
        for p in sorted(p for p in paths if headers.is_hashed(p)):
            top = next((d for d in reversed(parents(p)) if d not in mixed), None)
            rule = f"/{top}/*" if top else f"/{p}"
            if rule not in rules:
                rules.append(rule)
        return rules

    rng = random.Random(20261126)
    names = ["index.html", "x.0123abcd.js", "y.css", "f-0123456789ab.woff2", "p-960.0123456789ab.webp"]
    for _ in range(300):
        paths = sorted({"/".join(rng.choice("abc") for _ in range(rng.randint(0, 3))) + "/" + rng.choice(names)
                        for _ in range(rng.randint(1, 25))})
        paths = [p.lstrip("/") for p in paths]
        rules = [ln for ln in headers.netlify_headers(paths).splitlines() if ln.startswith("/")][1:]
        assert rules == reference(paths), paths


def test_docs_quote_the_current_table():
    doc = (REPO / "docs" / "hosting.md").read_text("utf-8")
    assert headers.render_doc(doc) == doc, ("docs/hosting.md is out of date with src/lantoa/publish/headers.py: "
                                            "run python3 -m lantoa.publish.headers docs/hosting.md")


# --------------------------------------------------------------------------
# the built site


def test_every_page_carries_a_policy_that_covers_its_inline_scripts(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        doc = page.read_text("utf-8")
        policy = csp.meta_policy(doc)
        assert policy, f"{page}: no CSP meta"
        assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
        meta_at = doc.index('http-equiv="Content-Security-Policy"')
        first_script = doc.find("<script")
        assert first_script == -1 or meta_at < first_script, page
        for text in re.findall(r"<script>(.*?)</script>", doc, re.S):
            assert f"'sha256-{csp.sha256_b64(text)}'" in policy, f"{page}: inline script not allowed: {text[:60]}"
        assert policy.startswith("default-src 'none'; script-src 'self'")


def test_headers_file_names_exactly_the_hashed_files(site):
    text = (site / "_headers").read_text("utf-8")
    rules = re.findall(r"^(/\S*)\n  Cache-Control: (.*)$", text, re.M)
    files = [p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and p.name != "_headers"]

    def immutable(path):
        return any(c == headers.IMMUTABLE and (r == "/" + path or r.endswith("/*") and ("/" + path).startswith(r[:-1]))
                   for r, c in rules)

    wrong = [p for p in files if immutable(p) != headers.is_hashed(p)]
    assert wrong == []
    assert [p for p in files if headers.is_hashed(p) and p.startswith("fonts/")], "no hashed font in the build?"


def test_headers_are_made_from_every_file_the_site_ends_with(site):
    """The output steps list the site once and are told of the files written after (the fonts, the
    host's files): ``_headers`` is what a listing of the finished site gives."""
    from lantoa.site.incremental import file_names

    paths = [p for p in file_names(site) if p not in headers.HOST_FILES]
    assert any(p.startswith("fonts/") for p in paths) and "sitemap.xml" in paths
    assert (site / "_headers").read_text("utf-8") == headers.netlify_headers(paths)


def test_the_output_steps_know_every_file_of_the_site_without_listing_it(tmp_path, monkeypatch):
    """The steps' listing of the site is made from what the merge placed and what each step
    reports (OutputContext.known), not from the disk: it is what the disk holds, at the last step,
    in a build, in a one-story edit's build (most editions linked from the cache) and in a kiosk
    copy."""
    from lantoa.site import incremental, outputs

    root = make_project(tmp_path / "site", langs=("vi", "en", "km"))
    compared = []

    def checking(ctx):
        assert ctx.known is not None and ctx.files() == incremental.file_names(ctx.site)
        compared.append(len(ctx.files()))
        return csp.headers_step(ctx)

    monkeypatch.setattr(outputs, "STEPS", [checking if s is csp.headers_step else s for s in outputs.STEPS])
    assert build(root).exit_code == 0
    story = root / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    story.write_text(story.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert build(root).exit_code == 0
    assert build(root, "--kiosk").exit_code == 0
    assert len(compared) == 3 and min(compared) > 50, compared


def test_a_page_with_an_inline_handler_does_not_build(tmp_path):
    root = make_project(tmp_path / "site", langs=("vi", "en"))
    story_html = root / "theme" / "story.html"
    story_html.write_text(story_html.read_text("utf-8").replace(
        "{% block content %}", '{% block content %}<button onclick="alert(1)">x</button>', 1), "utf-8")
    before = sorted((root / "build").rglob("*")) if (root / "build").exists() else []
    r = build(root)
    assert r.exit_code == 1
    assert "pages with script the Content-Security-Policy would block" in r.output
    assert "stories/vinh-ha-long/index.html: inline event handler onclick=" in r.output and "theme/assets/" in r.output
    assert "Traceback" not in r.output
    assert not (root / "build" / "site").exists() and before == []


# --------------------------------------------------------------------------
# Chromium

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing")
    pytest.importorskip("playwright.sync_api")
    from browser_util import chromium

    with chromium() as b:
        yield b


@pytest.mark.browser
def test_pages_load_in_chromium_without_violations(browser, site):
    from browser_util import SiteServer, record

    with SiteServer(site) as server:
        ctx = csp_context(browser, server.origin + "/")
        try:
            for path in ["", "en/", "ar/", "stories/vinh-ha-long/", "en/stories/vinh-ha-long/", "languages/",
                         "en/about/" if (site / "en" / "about").exists() else "en/languages/"]:
                page = ctx.new_page()
                v = record(page, server.url(path))
                assert v.status == 200 and v.problems() == [], (v.url, v.problems())
                # Material's inline scripts ran (they define __md_get), so they were allowed by hash
                assert page.evaluate("typeof __md_get") == "function", v.url
                page.close()
        finally:
            ctx.close()


@pytest.mark.browser
def test_an_injected_inline_script_is_blocked(browser, site, tmp_path):
    from browser_util import SiteServer, record

    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page_path = copy / "stories" / "vinh-ha-long" / "index.html"
    doc = page_path.read_text("utf-8")
    page_path.write_text(doc.replace("</h1>", "</h1><script>document.title='pwned'</script>", 1), "utf-8")
    with SiteServer(copy) as server:
        ctx = csp_context(browser, server.origin + "/")
        try:
            page = ctx.new_page()
            v = record(page, server.url("stories/vinh-ha-long/"))
            assert page.title() != "pwned"
            assert any("CSP violation: script-src" in m for m in v.console_errors), v.console_errors
        finally:
            ctx.close()


@pytest.mark.browser
def test_preview_server_reload_script_runs_under_the_policy(browser, site):
    """lantoa serve injects its reload script as a file: the page's policy allows it, and it reloads."""
    from browser_util import record

    from lantoa.commands.serve import Preview, make_handler

    preview = Preview(SimpleNamespace(root=site, echo=lambda message: None), [])  # never built here
    preview.announce()  # build 1
    handler = functools.partial(make_handler(preview), directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{httpd.server_address[1]}"
    ctx = csp_context(browser, origin + "/")
    try:
        page = ctx.new_page()
        v = record(page, origin + "/en/")
        assert v.problems() == [], v.problems()
        assert origin + "/__lantoa__/reload.js" in v.requests
        # the script asks for the build number (1: its baseline), then for the next one (held)
        for _ in range(100):
            if origin + "/__lantoa__/build?after=1" in v.requests:
                break
            page.wait_for_timeout(100)
        assert origin + "/__lantoa__/build" in v.requests and origin + "/__lantoa__/build?after=1" in v.requests
        page.evaluate("window.__before_reload = true")
        with page.expect_navigation(timeout=15_000):
            preview.announce()  # a rebuild finished (build 2): the page reloads itself
        assert page.evaluate("window.__before_reload") is None
        assert not [m for m in v.console_errors if "CSP" in m]
    finally:
        ctx.close()
        httpd.shutdown()
        httpd.server_close()
