"""In Chromium: the first visit to / suggests (never redirects to) the visitor's language and
remembers the choice; hreflang links never make Material fetch anything from another origin."""

from __future__ import annotations

import pytest

from browser_util import CHROMIUM, SiteServer, chromium, local_context

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(sample_site):
    with SiteServer(sample_site) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


def open_context(browser, server, locale: str, requests: list):
    ctx = local_context(browser, server, locale=locale)
    ctx.on("request", lambda r: requests.append(r.url))
    return ctx


def test_first_visit_suggests_the_browser_language_without_redirect(browser, server):
    requests: list[str] = []
    ctx = open_context(browser, server, "en-US", requests)
    page = ctx.new_page()
    page.goto(server.url("/"))
    page.wait_for_load_state("networkidle")
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
    ctx.close()


@pytest.mark.parametrize("locale, expected", [("vi-VN", None), ("km-KH", "km"), ("zh-CN", "zh-Hans"),
                                              ("pt-BR", "pt"), ("xx", None)])
def test_suggestion_follows_preferences(browser, server, locale, expected):
    requests: list[str] = []
    ctx = open_context(browser, server, locale, requests)
    page = ctx.new_page()
    page.goto(server.url("/"))
    page.wait_for_load_state("networkidle")
    visible = page.locator(".lt-suggest [data-lt-suggest]:visible")
    if expected is None:
        assert visible.count() == 0
    else:
        assert visible.count() == 1 and visible.get_attribute("data-lt-suggest") == expected
    ctx.close()


def test_switching_language_is_remembered(browser, server):
    requests: list[str] = []
    ctx = open_context(browser, server, "en-US", requests)
    page = ctx.new_page()
    page.goto(server.url("/stories/son-doong-tren-man-anh-the-gioi/"))
    page.wait_for_load_state("networkidle")
    with page.expect_navigation():
        page.locator('a.md-select__link[hreflang="km"]').dispatch_event("click")
    page.wait_for_load_state("networkidle")
    assert page.url == server.url("/km/stories/son-doong-tren-man-anh-the-gioi/")
    assert page.evaluate("localStorage.getItem('lantoa.lang')") == "km"
    page.goto(server.url("/"))
    page.wait_for_load_state("networkidle")
    assert not page.locator(".lt-suggest").is_visible()  # a remembered choice: no suggestion
    ctx.close()


def test_hreflang_links_do_not_make_material_fetch_elsewhere(browser, server):
    requests: list[str] = []
    ctx = open_context(browser, server, "vi-VN", requests)
    page = ctx.new_page()
    page.goto(server.url("/km/stories/son-doong-tren-man-anh-the-gioi/"))
    page.wait_for_load_state("networkidle")
    assert page.locator("link[hreflang]").count() == 20  # 19 editions + x-default, still in the document
    assert page.locator('link[rel="alternate"][hreflang]').count() == 0  # renamed before Material's bundle ran
    assert not [u for u in requests if "lantoa.example.vn" in u or u.endswith("/sitemap.xml") and "/stories/" in u]
    ctx.close()
