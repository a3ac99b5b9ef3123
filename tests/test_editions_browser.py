"""In Chromium: the first visit to / suggests (never redirects to) the visitor's language and
remembers the choice; hreflang links never make Material fetch anything from another origin."""

from __future__ import annotations

import contextlib

import pytest

from browser_util import CHROMIUM, local_context

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")

pytestmark = pytest.mark.browser
# server and browser: tests/conftest.py


@contextlib.contextmanager
def visitor(browser, server, locale: str, path: str, requests: list | None = None):
    """A new visitor whose browser prefers ``locale`` (a context of its own, so no stored choice),
    on ``path`` once the network is idle; every URL the context requests goes into ``requests``."""
    ctx = local_context(browser, server, locale=locale)
    if requests is not None:
        ctx.on("request", lambda r: requests.append(r.url))
    try:
        page = ctx.new_page()
        page.goto(server.url(path))
        page.wait_for_load_state("networkidle")
        yield page
    finally:
        ctx.close()


def test_first_visit_suggests_the_browser_language_without_redirect(browser, server):
    requests: list[str] = []
    with visitor(browser, server, "en-US", "/", requests) as page:
        assert page.url == server.url("/")  # no redirect
        suggestion = page.locator('.lt-suggest [data-lt-suggest="en"]')
        assert suggestion.is_visible()
        assert suggestion.get_attribute("lang") == "en" and "English" in suggestion.inner_text()
        assert page.locator(".lt-suggest [data-lt-suggest]:visible").count() == 1
        page.locator('.lt-suggest [data-lt-suggest="en"] button').click()
        assert not page.locator(".lt-suggest").is_visible()
        page.reload()
        page.wait_for_load_state("networkidle")
        assert not page.locator(".lt-suggest").is_visible()  # the choice is remembered
        assert all(u.startswith(server.origin) for u in requests), [u for u in requests if not u.startswith(server.origin)]


@pytest.mark.parametrize("locale, expected", [("vi-VN", None), ("km-KH", "km"), ("zh-CN", "zh-Hans"),
                                              ("pt-BR", "pt"), ("xx", None)])
def test_suggestion_follows_preferences(browser, server, locale, expected):
    with visitor(browser, server, locale, "/") as page:
        visible = page.locator(".lt-suggest [data-lt-suggest]:visible")
        if expected is None:
            assert visible.count() == 0
        else:
            assert visible.count() == 1 and visible.get_attribute("data-lt-suggest") == expected


def test_switching_language_is_remembered(browser, server):
    with visitor(browser, server, "en-US", "/stories/son-doong-tren-man-anh-the-gioi/") as page:
        with page.expect_navigation():
            page.locator('a.md-select__link[hreflang="km"]').dispatch_event("click")
        page.wait_for_load_state("networkidle")
        assert page.url == server.url("/km/stories/son-doong-tren-man-anh-the-gioi/")
        assert page.evaluate("localStorage.getItem('lantoa.lang')") == "km"
        page.goto(server.url("/"))
        page.wait_for_load_state("networkidle")
        assert not page.locator(".lt-suggest").is_visible()  # a remembered choice: no suggestion


def test_hreflang_links_do_not_make_material_fetch_elsewhere(browser, server):
    requests: list[str] = []
    with visitor(browser, server, "vi-VN", "/km/stories/son-doong-tren-man-anh-the-gioi/", requests) as page:
        assert page.locator("link[hreflang]").count() == 20  # 19 editions + x-default, still in the document
        assert page.locator('link[rel="alternate"][hreflang]').count() == 0  # renamed before Material's bundle ran
        assert not [u for u in requests if "lantoa.example.vn" in u or u.endswith("/sitemap.xml") and "/stories/" in u]
