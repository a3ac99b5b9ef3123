"""Search in Chromium, on the sample site: a visitor types into the header's search box.

The words come from content/ (checked here, so a test fails clearly when the sample
changes), the expected stories too; nothing expected is computed by lantoa's own code, except
where the browser's segmentation is compared with the index builder's.
The index and its segmentation are unit-tested in tests/test_search.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import yaml

from browser_util import AXE_JS, CHROMIUM, REPO, front_matter, local_context, prefix, read_story, record

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="Python playwright is not installed")
pytest.importorskip("icu", reason="PyICU is not installed (scripts/setup installs it)")

pytestmark = pytest.mark.browser

STORIES = REPO / "content" / "stories"
# server, browser, context and page: tests/conftest.py


# --------------------------------------------------------------------------
# helpers


@dataclass
class Hit:
    path: str  # the link's path on the server, e.g. /km/stories/x/
    lang: str
    title: str
    group: str | None  # the edition heading above it ("all languages"), None for this edition


def source(slug: str, tag: str) -> str:
    path = STORIES / slug / ("index.md" if tag == "vi" else f"index.{tag}.md")
    assert path.is_file(), f"{path} is missing: the sample content changed, pick another word"
    return path.read_text("utf-8")


def shown_text(path) -> str:
    """What a story page shows as its text: title, summary, hero caption and body (not its sources)."""
    meta = front_matter(path)
    body = path.read_text("utf-8").split("\n---", 2)[-1]
    return " ".join([str(meta.get("title", "")), str(meta.get("summary", "")),
                     str((meta.get("hero") or {}).get("caption", "")), body])


def stories_containing(tag: str, text: str) -> set[str]:
    """The published stories whose text in ``tag`` contains ``text``."""
    name = "index.md" if tag == "vi" else f"index.{tag}.md"
    return {p.parent.name for p in STORIES.glob(f"*/{name}")
            if tag in read_story(p.parent).variants and text in shown_text(p)}


def open_page(page, server, path: str):
    visit = record(page, server.url(path), wait_fonts=False)
    assert visit.status == 200, visit.url
    assert page.locator("header form[role=search] input[type=search]").is_visible(), "no search box in the header"
    return visit


def search(page, query: str) -> list[Hit]:
    box = page.locator("input.lt-search__input")
    box.click()
    box.fill(query)
    page.wait_for_selector('.lt-search__results[aria-busy="false"]', state="attached")
    return hits(page)


def hits(page) -> list[Hit]:
    out = []
    for a in page.locator(".lt-search__results a").all():
        group = a.locator("xpath=../../preceding-sibling::h2[1]")
        out.append(Hit(urlsplit(a.evaluate("a => a.href")).path, a.get_attribute("lang"),
                       a.locator(".lt-search__title").inner_text().strip(),
                       group.get_attribute("lang") if group.count() else None))
    return out


def story_path(tag: str, slug: str) -> str:
    return f"/{prefix(tag)}stories/{slug}/"


def clean(visit):
    problems = visit.problems()
    assert not problems, f"{visit.url}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------
# one language: the right story, in that language only

#: (edition, what the visitor types, the story it must find first, the text of that story it stands for)
WORDS = [
    # Khmer and Lao: words inside longer runs written without spaces
    ("km", "ថ្មកំបោរ", "viet-nam-va-31-danh-hieu-unesco", "ថ្មកំបោរ"),  # limestone: ជួរភ្នំថ្មកំបោរលេចឡើង
    ("km", "រូងភ្នំ", "son-doong-tren-man-anh-the-gioi", "រូងភ្នំ"),  # cave: បានថតរូងភ្នំសឺនដុង
    ("lo", "ພາກພື້ນ", "viet-nam-va-31-danh-hieu-unesco", "ພາກພື້ນ"),  # region: …ຂອງໂລກພາກພື້ນອາຊີ–ປາຊີຟິກ
    ("lo", "ຫີນປູນ", "viet-nam-va-31-danh-hieu-unesco", "ຫີນປູນ"),  # limestone: ພູຫີນປູນຮຽງລາຍ
    # Chinese: no spaces at all
    ("zh-Hans", "亚太地区", "viet-nam-va-31-danh-hieu-unesco", "亚太地区"),
    # Vietnamese typed without diacritics
    ("vi", "son doong", "son-doong-tren-man-anh-the-gioi", "Sơn Đoòng"),
    ("vi", "doi moi", "tu-doi-moi-den-muc-tieu-2045", "Đổi Mới"),
]


@pytest.mark.parametrize("tag, query, slug, written", WORDS, ids=[f"{w[0]}-{w[1]}" for w in WORDS])
def test_word_finds_its_story_in_that_language_only(page, server, tag, query, slug, written):
    text = source(slug, tag)
    assert written in text, f"'{written}' is no longer in {slug}/index.{tag}.md"
    if tag in ("km", "lo", "zh-Hans"):
        runs = [r for r in re.split(r"[\s,.;:!?()«»《》“”\"'·—–-]+", text) if query in r]
        assert any(r != query for r in runs), f"'{query}' never sits inside a longer run in {slug}/index.{tag}.md"
    else:
        assert query not in text.lower(), "the query must differ from the text (it is typed without diacritics)"

    visit = open_page(page, server, prefix(tag))
    found = search(page, query)
    assert found, f"{tag}: '{query}' finds nothing"
    assert found[0].path == story_path(tag, slug), f"{tag}: '{query}' -> {[h.path for h in found]}"
    assert {h.lang for h in found} == {tag}, f"{tag}: results in other languages: {[(h.lang, h.path) for h in found]}"
    assert all(h.path.startswith("/" + prefix(tag)) for h in found)
    if tag in ("km", "lo", "zh-Hans"):  # a word of a dictionary script matches exactly the stories that have it
        assert {h.path for h in found} == {story_path(tag, s) for s in stories_containing(tag, query)}
    status = page.locator(".lt-search__count")
    assert re.search(r"\d", status.inner_text()) and status.get_attribute("aria-live") == "polite"
    clean(visit)


def test_diacritics_rank_the_exact_spelling_first(page, server):
    visit = open_page(page, server, "")
    # "đổi mới" typed exactly: the story whose title says it comes first, and also without the marks
    exact = search(page, "đổi mới")
    folded = search(page, "doi moi")
    assert exact[0].path == folded[0].path == story_path("vi", "tu-doi-moi-den-muc-tieu-2045")
    assert len(folded) >= len(exact)
    clean(visit)


def test_tay_edition_lists_tay_results_first(page, server):
    # "Việt Nam" is in every Vietnamese story, often many times, and in the Tày ones: by score alone
    # Vietnamese pages would come first; Tày ones must
    word = "Việt Nam"
    tay = stories_containing("tyz", word)
    untranslated_vi = {s for s in stories_containing("vi", word) if "tyz" not in read_story(STORIES / s).variants}
    assert tay and untranslated_vi, f"the sample needs {word} in a Tày story and in a Vietnamese one not in Tày"
    visit = open_page(page, server, "tyz/")
    found = search(page, word)
    langs = [h.lang for h in found]
    assert "tyz" in langs and any(lang != "tyz" for lang in langs), langs
    first_other = next(i for i, lang in enumerate(langs) if lang != "tyz")
    assert all(lang != "tyz" for lang in langs[first_other:]), f"Tày results after others: {langs}"
    stories = [h for h in found if "/stories/" in h.path]
    assert {h.path for h in stories if h.lang == "tyz"} == {story_path("tyz", s) for s in tay}
    # a story not yet in Tày is found in its Vietnamese text and opens in the Tày edition (with its notice)
    assert {h.path for h in stories if h.lang == "vi"} == {story_path("tyz", s) for s in untranslated_vi}
    assert all(h.path.startswith("/tyz/") for h in found)
    clean(visit)


def test_all_languages_finds_a_story_in_another_edition(page, server):
    requests: list[str] = []
    page.on("request", lambda r: requests.append(urlsplit(r.url).path))
    word, tag, slug = "ханой", "ru", "viet-nam-va-31-danh-hieu-unesco"
    assert "Ханой" in source(slug, tag)
    visit = open_page(page, server, "km/")
    assert search(page, word) == [], "a Russian word found in the Khmer edition"
    assert "/ru/search/index.json" not in requests, "other editions' indexes load only when asked for"
    page.locator("input.lt-search__all").check()
    page.wait_for_selector('.lt-search__results[aria-busy="false"]', state="attached")
    found = hits(page)
    assert [h.path for h in found] == [story_path(tag, slug)], found
    assert found[0].lang == "ru" and found[0].group == "ru"
    heading = page.locator(".lt-search__results h2[lang=ru]")
    assert heading.inner_text().strip() == "Русский"
    assert "/ru/search/index.json" in requests
    page.locator(".lt-search__results a").first.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == story_path(tag, slug) and page.get_attribute("html", "lang") == "ru"
    clean(visit)


# --------------------------------------------------------------------------
# the box: keyboard, announcements, right-to-left, accessibility


def test_keyboard_only(page, server):
    visit = open_page(page, server, "")
    page.keyboard.press("/")
    assert page.evaluate("() => document.activeElement.id") == "lt-search-input"
    page.keyboard.type("son doong")
    page.wait_for_selector('.lt-search__results[aria-busy="false"]', state="attached")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("() => document.activeElement.classList.contains('lt-search__link')")
    page.keyboard.press("ArrowUp")
    assert page.evaluate("() => document.activeElement.id") == "lt-search-input"
    page.keyboard.press("Enter")  # the first result
    page.wait_for_url(re.compile(r"/stories/son-doong-tren-man-anh-the-gioi/$"))
    page.keyboard.press("/")
    page.keyboard.press("Escape")
    assert not page.locator(".lt-search__panel").is_visible()
    clean(visit)


def test_labels_and_announcement_come_from_the_locale(page, server):
    # Material's French strings (partials/languages/fr.html) and ours (locales/fr.yml)
    visit = open_page(page, server, "fr/")
    label = page.locator("label[for=lt-search-input]")
    assert label.count() == 1 and label.inner_text().strip() == "Rechercher"
    assert page.locator("label.lt-search__scope").inner_text().strip() == "Rechercher dans toutes les langues"
    page.locator("input.lt-search__input").focus()
    assert page.locator(".lt-search__count").inner_text().strip() == "Taper pour démarrer la recherche"
    n = len(search(page, "unesco"))
    assert n and page.locator(".lt-search__count").inner_text().strip() == (
        "1 document trouvé" if n == 1 else f"{n} documents trouvés")
    assert search(page, "zzzz") == []
    assert page.locator(".lt-search__count").inner_text().strip() == "Aucun document trouvé"
    clean(visit)


def test_arabic_box_is_right_to_left_and_on_screen(page, server):
    visit = open_page(page, server, "ar/")
    found = search(page, "الْيُونِسْكُو")  # with tashkeel; the text has none
    assert found and found[0].path == story_path("ar", "viet-nam-va-31-danh-hieu-unesco"), found
    panel = page.locator(".lt-search__panel")
    assert panel.evaluate("p => getComputedStyle(p).direction") == "rtl"
    assert page.locator(".lt-search__results a").first.get_attribute("dir") == "rtl"
    box = panel.bounding_box()
    width = page.viewport_size["width"]
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    clean(visit)


def test_kiosk_copy_searches_from_file_urls(browser, tmp_path):
    """lantoa build --kiosk: opened from a USB stick (file://), where fetch() is refused."""
    from click.testing import CliRunner
    from conftest import make_project

    from lantoa.cli import main

    root = make_project(tmp_path / "site")
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", "--kiosk"])
    assert result.exit_code == 0, result.output
    site = root / "build" / "kiosk"  # where --kiosk writes by default
    page = browser.new_page()
    failed = []
    page.on("requestfailed", lambda r: "/search/" in r.url and failed.append(r.url))
    page.goto((site / "km" / "index.html").as_uri())
    found = search(page, "limestone")  # km falls back to English here: searched in en's index
    assert [h.path for h in found] == [str(site / "km" / "stories" / "vinh-ha-long" / "index.html")], found
    assert found[0].lang == "en" and not failed, failed
    page.locator(".lt-search__results a").first.click()
    page.wait_for_load_state("load")
    assert page.url == (site / "km" / "stories" / "vinh-ha-long" / "index.html").as_uri()
    page.close()


def test_a_missing_index_says_so_in_the_visitors_language(page, server):
    page.route("**/km/search/index.json", lambda route: route.fulfill(status=404, body="gone"))
    page.goto(server.url("km/"))
    assert search(page, "ថ្មកំបោរ") == []
    expected = yaml.safe_load((REPO / "locales" / "km.yml").read_text("utf-8"))["strings"]["search.error"]
    assert page.locator(".lt-search__count").inner_text().strip() == expected


def test_open_results_have_no_serious_accessibility_violations(browser, server):
    if not AXE_JS.is_file():
        pytest.skip(f"{AXE_JS} is missing: run 'npm ci' in the repository")
    ctx = local_context(browser, server, bypass_csp=True)  # the site's CSP forbids injecting axe-core, rightly
    page = ctx.new_page()
    open_page(page, server, "km/")
    search(page, "ថ្មកំបោរ")
    page.evaluate(AXE_JS.read_text("utf-8"))  # not a <script>: the page's CSP blocks inline scripts
    violations = page.evaluate("""async () => (await axe.run(document.querySelector('.lt-search'),
        {resultTypes: ['violations']})).violations.map(v => v.impact + ' ' + v.id + ': ' + v.help)""")
    ctx.close()
    bad = [v for v in violations if v.startswith(("serious", "critical"))]
    assert not bad, bad


# --------------------------------------------------------------------------
# the query is segmented like the index


#: phrases of the sample stories, in scripts that Chromium's ICU segments by rule, like PyICU does
SAME_TOKENS = [("vi", "Sơn Đoòng trên màn ảnh thế giới"), ("zh-Hans", "世界记忆亚太地区名录"),
               ("ja", "日本で開かれるベトナムフェスティバル"), ("ru", "Вьетнам и его 31 статус ЮНЕСКО"),
               ("ar", "فيتنام وألقابها الواحد والثلاثون لدى اليونسكو"), ("ko", "베트남의 관광 홍보대사들"),
               ("blt-Tavt", "ꪫꪸꪒ ꪙꪾ ꪵꪩ 31 ꪋꪳ ꪅꪮꪉ UNESCO")]


def test_browser_and_index_segment_the_same_way(page, server):
    from lantoa.search.segment import words

    open_page(page, server, "")
    for tag, text in SAME_TOKENS:
        browser = page.evaluate("""([t, l]) => [...new Intl.Segmenter(l, {granularity: 'word'}).segment(t)]
            .filter(s => s.isWordLike).map(s => s.segment.toLowerCase())""", [text, tag])
        assert browser == words(text, tag), tag
    # Khmer and Lao: Chromium's dictionaries are not the build's ICU, so a run of those scripts stays one
    # unit and is matched against the index's own words (the Khmer and Lao tests above find words with it)
    for tag, text in [("km", "ជួរភ្នំថ្មកំបោរលេចឡើង"), ("lo", "ຂອງໂລກພາກພື້ນອາຊີ")]:
        units = page.evaluate("([t, l]) => lantoaSearch.units(t, l)", [text, tag])
        assert [(u["text"], u["dict"]) for u in units] == [(text, True)], units
    # the browser folds like the index expects: diacritics, đ, Arabic tashkeel
    fold = page.evaluate("() => ['Hạ Long', 'ĐỔI MỚI', 'الْيُونِسْكُو', 'Ханой', 'ថ្មកំបោរ'].map(lantoaSearch.fold)")
    assert fold == ["ha long", "doi moi", "اليونسكو", "ханои", "ថ្មកំបោរ"]
