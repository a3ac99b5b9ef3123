"""Mirrors in Chromium: the built site under a sub-path of a local HTTP server, and a mirror
pulled from a signed kiosk bundle, served under a sub-path and opened from file://."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from browser_util import CHROMIUM, QuietHandler, csp_context, record
from conftest import make_project

from lantoa.cli import main
from lantoa.publish import minisign

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")

pytestmark = pytest.mark.browser
SUB = "/mirror/sub/"
PAGES = ["index.html", "en/index.html", "km/index.html", "ar/index.html", "stories/vinh-ha-long/index.html",
         "en/stories/vinh-ha-long/index.html", "km/stories/vinh-ha-long/index.html", "languages/index.html"]


def run(*args):
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert r.exit_code == 0, r.output + repr(r.exception)
    return r


@pytest.fixture(scope="module")
def mirrors(tmp_path_factory):
    """A normal build, and a webroot pulled from a signed bundle of the kiosk build."""
    work = tmp_path_factory.mktemp("mirrors")
    root = make_project(work / "site", langs=("vi", "en", "km", "ar"))
    run("-C", root, "-q", "build")
    run("-C", root, "-q", "build", "--kiosk")
    minisign.write_keypair(work / "k.pub", work / "k.key")
    run("-C", root, "-q", "bundle", "--site", root / "build" / "kiosk", "--key", work / "k.key", "--out", work / "dist")
    bundle = next((work / "dist").glob("*.tar.gz"))
    (work / "www").mkdir()
    run("-q", "mirror", "pull", bundle, work / "www" / "lantoa", "--pubkey", work / "k.pub")
    run("-q", "mirror", "verify", work / "www" / "lantoa", "--pubkey", work / "k.pub")
    return {"site": root / "build" / "site", "kiosk": root / "build" / "kiosk", "webroot": work / "www" / "lantoa"}


class SubPathServer:
    """A folder served only under http://127.0.0.1:<port>/mirror/sub/ (everything else is 404)."""

    def __init__(self, folder: Path):
        class Handler(QuietHandler):
            def translate_path(self, path):
                p = urlsplit(path).path
                if not p.startswith(SUB):
                    return str(folder / "__outside_the_sub_path__")
                return super().translate_path("/" + path[len(SUB):])

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# browser: tests/conftest.py


def _check_pages(browser, base: str, pages, allowed_problem=lambda p: False, directory_urls=False):
    """Load each page under ``base``; every request stays under it; follow a story link and a switcher link."""
    ctx = csp_context(browser, base)
    problems = []
    try:
        for rel in pages:
            url = base + (rel[: -len("index.html")] if directory_urls else rel)
            page = ctx.new_page()
            v = record(page, url)
            bad = [p for p in v.problems() if not allowed_problem(p)]
            outside = [u for u in v.requests if not (u.startswith(base) or u.startswith("data:"))]
            problems += [f"{url}: {p}" for p in bad] + [f"{url}: request outside {base}: {u}" for u in outside]
            if page.locator("link[href*='fonts.css']").count():
                loaded = page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').length")
                if not loaded:
                    problems.append(f"{url}: no web font loaded")
            page.close()
        # navigation: a story card, then the language switcher, land on real pages under base
        page = ctx.new_page()
        page.goto(base + ("" if directory_urls else "index.html"))
        page.locator("a[href*='stories/vinh-ha-long']").first.click()
        page.wait_for_load_state("load")
        assert page.url.startswith(base) and "/stories/vinh-ha-long/" in page.url, page.url
        assert page.locator("article.lt-story h1").inner_text().strip() == "Vịnh Hạ Long"
        href = page.locator('header a.md-select__link[hreflang="en"]').evaluate("a => a.href")
        page.goto(href)
        assert page.url.startswith(base) and page.get_attribute("html", "lang") == "en", page.url
        assert page.locator("article.lt-story h1").inner_text().strip() == "Ha Long Bay"
        page.close()
    finally:
        ctx.close()
    assert problems == [], "\n  ".join(problems)


def test_built_site_works_under_a_sub_path(browser, mirrors):
    with SubPathServer(mirrors["site"]) as srv:
        _check_pages(browser, srv.origin + SUB, PAGES, directory_urls=True)


def test_pulled_mirror_works_under_a_sub_path(browser, mirrors):
    assert mirrors["webroot"].is_symlink()
    with SubPathServer(mirrors["webroot"]) as srv:
        _check_pages(browser, srv.origin + SUB, PAGES)


def _sitemap_prefetch(problem: str) -> bool:
    """Material's bundle fetches sitemap.xml on every page (for instant navigation); Chromium refuses
    requests under file:// and says so in the console. Nothing else may go wrong."""
    return "sitemap.xml" in problem and ("CORS policy" in problem or "net::ERR_FAILED" in problem)


def test_pulled_mirror_works_from_file_urls(browser, mirrors):
    base = mirrors["webroot"].resolve().as_uri() + "/"
    _check_pages(browser, base, PAGES, allowed_problem=_sitemap_prefetch)


def test_kiosk_links_name_their_index_html(mirrors):
    """Under file:// a directory link opens no index.html: every relative link of the kiosk build names a file."""
    import re

    kiosk = mirrors["kiosk"]
    bad = []
    for page in kiosk.rglob("*.html"):
        if page.name == "404.html":
            continue  # served for any missing URL, at any depth: its links are root-absolute on purpose
        for href in re.findall(r'<a\b[^>]*\shref="([^"#?]*)', page.read_text("utf-8")):
            if not href or re.match(r"^[a-z]+:|^//", href):
                continue
            target = (page.parent / href).resolve()
            if not target.is_file():
                bad.append(f"{page.relative_to(kiosk)} -> {href}")
    assert bad == []
