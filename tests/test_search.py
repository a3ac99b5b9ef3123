"""Search: ICU word segmentation, the per-edition index and the output step that writes it.

What a visitor finds in a browser is tested in tests/test_search_browser.py.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner

from lantoa.cli import main
from lantoa.errors import LantoaError
from lantoa.search import index as sindex
from lantoa.search.segment import words
from lantoa.site import search
from lantoa.site.search import article_text

pytest.importorskip("icu", reason="PyICU is not installed (scripts/setup installs it)")


# --------------------------------------------------------------------------
# segmentation


@pytest.mark.parametrize("lang, text, word", [
    # words of the sample stories that sit inside a longer run written without spaces
    ("km", "ជួរភ្នំថ្មកំបោរលេចឡើង", "ថ្មកំបោរ"),  # limestone
    ("km", "បានថតរូងភ្នំសឺនដុង", "រូងភ្នំ"),  # cave
    ("lo", "ບັນຊີຄວາມຊົງຈຳຂອງໂລກພາກພື້ນອາຊີ", "ພາກພື້ນ"),  # region
    ("lo", "ພູຫີນປູນຮຽງລາຍ", "ຫີນປູນ"),  # limestone
    ("zh-Hans", "列入《世界记忆亚太地区名录》", "亚太地区"),
    ("ja", "ベトナムの文化を紹介する", "ベトナム"),
])
def test_dictionary_scripts_are_segmented_into_words(lang, text, word):
    out = words(text, lang)
    assert word in out, out
    assert "".join(out) == text.replace("《", "").replace("》", "")  # nothing lost but punctuation


def test_spaced_scripts_split_at_spaces_and_punctuation():
    assert words("Vịnh Hạ Long, năm 1994.", "vi") == ["vịnh", "hạ", "long", "năm", "1994"]
    assert words("L'eau du Mékong", "fr") == ["l'eau", "du", "mékong"]
    assert words("Залив Халонг", "ru") == ["залив", "халонг"]
    assert words("하롱베이 만", "ko") == ["하롱베이", "만"]
    assert words("ꪫꪸꪒ ꪙꪾ ꪵꪩ 31", "blt-Tavt") == ["ꪫꪸꪒ", "ꪙꪾ", "ꪵꪩ", "31"]
    assert words("ꨘꨈꩉ ꨥꨳꨮꩅ", "cjm-Cham") == ["ꨘꨈꩉ", "ꨥꨳꨮꩅ"]
    assert words("خليج ها لونغ", "ar") == ["خليج", "ها", "لونغ"]


def test_words_are_lower_case_nfc_and_keep_diacritics():
    nfd = unicodedata.normalize("NFD", "Hạ Long")
    assert words(nfd, "vi") == ["hạ", "long"]  # composed, lower case, tone mark kept (folding is the browser's)
    assert words("", "km") == [] and words("  \n", "vi") == []


def test_astral_characters_keep_their_offsets():
    assert words("𠀀 下龙湾", "zh-Hans")[0] == "𠀀"
    assert "".join(words("𠀀下龙湾", "zh-Hans")) == "𠀀下龙湾"


def test_missing_pyicu_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "icu", None)
    with pytest.raises(LantoaError, match="PyICU.*libicu-dev"):
        words("Hạ Long", "vi")


# --------------------------------------------------------------------------
# the index


def _docs():
    return [
        sindex.Doc("stories/a/", "Vịnh Hạ Long", "Hơn một nghìn hòn đảo.", "Vịnh có nhiều đảo đá vôi. " * 20, "vi"),
        sindex.Doc("stories/b/", "Hà Nội", "Thủ đô.", "Hà Nội có hồ Gươm.", "vi"),
    ]


def test_index_maps_words_to_weighted_postings():
    ix = sindex.build("vi", "", _docs(), [], [])
    assert ix["version"] == sindex.VERSION and ix["lang"] == "vi" and ix["prefix"] == ""
    assert ix["terms"]["hạ"] == [0, 5]  # title only
    assert ix["terms"]["hà"] == [1, 5 + 1]  # title + body
    assert ix["terms"]["đảo"] == [0, 3 + 20]  # summary + 20 times in the body
    assert ix["terms"]["nội"] == [1, 6]
    assert list(ix["terms"]) == sorted(ix["terms"])
    assert ix["docs"][0] == {"url": "stories/a/", "title": "Vịnh Hạ Long", "summary": "Hơn một nghìn hòn đảo.",
                             "lang": "vi"}


def test_index_does_not_carry_the_body_text():
    docs = _docs()
    data = sindex.dumps(sindex.build("vi", "", docs, [], [])).decode()
    assert "đảo đá vôi" not in data and "hồ Gươm" not in data
    assert data.count('"đảo"') == 1  # each word once
    body = sum(len(d.text.encode()) for d in docs)
    assert len(data.encode()) < body


def test_fallback_pages_point_to_the_shown_language_and_editions_are_listed():
    editions = [sindex.Edition("vi", "", "Tiếng Việt", "ltr"), sindex.Edition("ar", "ar/", "العربية", "rtl")]
    ix = sindex.build("tyz", "tyz/", [], [("stories/b/", "vi"), ("stories/a/", "vi")], editions)
    assert ix["fallbacks"] == [{"url": "stories/a/", "lang": "vi"}, {"url": "stories/b/", "lang": "vi"}]
    assert ix["editions"][1] == {"lang": "ar", "prefix": "ar/", "name": "العربية", "dir": "rtl"}
    assert ix["docs"] == [] and ix["terms"] == {}


def test_kept_word_counts_give_the_same_index_without_segmenting(tmp_path, monkeypatch):
    """An edition's word counts are kept between builds by text digest (lantoa.site.search): the
    index made from them is byte for byte the one made by segmenting; texts gone are not kept."""
    from lantoa.site import search as site_search

    plain = sindex.dumps(sindex.build("vi", "", _docs(), [], []))
    kept, used = {}, {}
    first = sindex.dumps(sindex.build("vi", "", _docs(), [], [], site_search._Recording(kept, used)))
    site_search._save_counts(tmp_path, "vi", used)
    assert first == plain and len(used) == 6  # title, summary and text of two pages
    assert all(isinstance(v, bytes) for v in used.values())  # held packed (a cold build segments every text)

    def refuse(text, lang):
        raise AssertionError("segmented again")

    monkeypatch.setattr(sindex, "words", refuse)
    kept, used = site_search._load_counts(tmp_path, "vi"), {}
    assert len(kept) == 6 and all(isinstance(v, bytes) for v in kept.values())  # unpacked when asked for
    again = sindex.dumps(sindex.build("vi", "", _docs()[:1], [], [], site_search._Recording(kept, used)))
    monkeypatch.undo()
    assert again == sindex.dumps(sindex.build("vi", "", _docs()[:1], [], []))
    assert len(used) == 3  # the second page's counts are not kept again
    site_search._save_counts(tmp_path, "vi", {**used, next(iter(used)): b"\x00damaged"})
    kept, used = site_search._load_counts(tmp_path, "vi"), {}
    monkeypatch.setattr(sindex, "words", refuse)
    with pytest.raises(AssertionError, match="segmented again"):  # a damaged entry is segmented again
        sindex.build("vi", "", _docs()[:1], [], [], site_search._Recording(kept, used))
    monkeypatch.undo()
    (tmp_path / "search" / "vi.marshal").write_bytes(b"\x00broken")
    assert site_search._load_counts(tmp_path, "vi") == {}


def test_dumps_is_compact_and_reproducible():
    a = sindex.dumps(sindex.build("vi", "", _docs(), [], []))
    b = sindex.dumps(sindex.build("vi", "", list(_docs()), [], []))
    assert a == b and b", " not in a and b": " not in a
    json.loads(a)


# --------------------------------------------------------------------------
# text of a built page


def test_article_text_skips_title_meta_summary_credit_and_permalinks():
    html = """<html><body><article class="md-content__inner">
      <nav>menu</nav>
      <article class="lt-story" lang="km" dir="ltr">
        <p class="lt-story__meta"><a href="#">ប្រវត្តិសាស្ត្រ</a> · 2024</p>
        <h1>ចំណងជើង</h1>
        <figure><img src="x.jpg" alt="រូប"><figcaption>ផ្ទៃមេឃ <span class="lt-credit">រូបថត: Lan Tỏa</span></figcaption></figure>
        <p class="lt-story__summary">សេចក្ដីសង្ខេប</p>
        <h2 id="a">ក្បាល<a class="headerlink" href="#a">¶</a></h2>
        <p>ថ្ម<em>កំបោរ</em> និង&nbsp;ភ្នំ</p><p>ទឹក</p>
        <br><hr>
        <script>alert(1)</script>
      </article>
      <p>outside</p>
    </article></body></html>"""
    assert article_text(html) == "ផ្ទៃមេឃ ក្បាល ថ្មកំបោរ និង ភ្នំ ទឹក"


def test_article_text_without_an_article_is_none():
    assert article_text("<html><body><article class='md-content__inner'><p>x</p></article></body></html>") is None


class _ReferenceText(HTMLParser):
    """The article's text as Python's own HTML parser finds it: the oracle of :func:`article_text`,
    which walks the tags with one regular expression instead (the same rules: lantoa.site.search)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.done, self.skip_at, self.parts = 0, False, 0, []

    def handle_starttag(self, tag, attrs):
        if self.done:
            return
        if not self.depth:
            if tag == "article" and any(k == "lang" for k, _ in attrs):
                self.depth = 1
            return
        if tag in search.BLOCKS:
            self.parts.append("\n")
        if tag in search.VOID:
            return
        self.depth += 1
        classes = set((dict(attrs).get("class") or "").split())
        if not self.skip_at and (tag in search.SKIP_TAGS or classes & search.SKIP_CLASSES):
            self.skip_at = self.depth

    def handle_endtag(self, tag):
        if not self.depth or self.done or tag in search.VOID:
            return
        if self.skip_at == self.depth:
            self.skip_at = 0
        self.depth -= 1
        if tag in search.BLOCKS:
            self.parts.append("\n")
        if not self.depth:
            self.done = True

    def handle_data(self, data):
        if self.depth and not self.skip_at and not self.done:
            self.parts.append(data)


def reference_text(doc: str) -> str | None:
    parser = _ReferenceText()
    parser.feed(doc)
    parser.close()
    return " ".join("".join(parser.parts).split()) if parser.depth or parser.done else None


TRICKY = [
    # a quoted attribute value holding ">", a comment holding a tag, entities split by inline tags
    """<article lang="vi"><p title="a > b" class='x'>một<!-- <p>không</p> -->hai</p>&amp;<b>lt</b>;&lt;3</article>""",
    # a script and a style whose text holds tags; a skipped class among others; upper-case tags
    """<article lang="en"><P>One</P><script>if (a<b) document.write("</p><p>x")</script>
       <style>p > span {}</style><DIV CLASS="note lt-credit">credit<p>inner</p></DIV>two</article>""",
    # self-closing tags, void and not; a bare "<" in text; a declaration; nested skipped parts
    """<article lang="km"><p>ក<br/>ខ<div/>គ</p>a < b<!DOCTYPE x><h1>t<span>i</span></h1>
       <p class="lt-story__meta">m<span class="headerlink">¶</span>m</p><img alt="x"/>end</article>""",
    # Material's wrapper first (no lang), then ours; text after ours is not its text
    """<article class="md-content__inner"><p>wrapper</p><article class="lt-story" lang="ar" dir="rtl">
       <p>نص&#x627;&#1604;</p></article><p>after</p></article>""",
    # an article never closed, and one never opened
    """<article lang="lo"><ul><li>ໜຶ່ງ<li>ສອງ</ul><table><tr><td>a<td>b</table>""",
    """<html><body><p>no article</p></body></html>""",
]


@pytest.mark.parametrize("doc", TRICKY, ids=range(len(TRICKY)))
def test_article_text_is_what_an_html_parser_finds(doc):
    assert article_text(doc) == reference_text(doc)


def test_article_text_of_every_sample_page_is_what_an_html_parser_finds(sample_site):
    pages = sorted(sample_site.rglob("*.html"))
    with_text = 0
    for page in pages:
        doc = page.read_text("utf-8")
        assert article_text(doc) == reference_text(doc), page.relative_to(sample_site)
        with_text += bool(article_text(doc))
    assert with_text > 20  # story and editor pages in every edition, Khmer and Tai Viet among them


# --------------------------------------------------------------------------
# the output step, on a tiny project (vi, en, km, ar, tyz, blt-Tavt; one story in vi and en)


def _index(site, prefix=""):
    return json.loads((site / prefix / "search" / "index.json").read_text("utf-8"))


def _shown(site, path: str) -> str:
    """The language a built page shows its text in (its <article lang>)."""
    import re

    return re.search(r'<article class="lt-story" lang="([^"]+)"', (site / path / "index.html").read_text("utf-8"))[1]


def test_every_edition_gets_its_index(built_project):
    site = built_project / "build" / "site"
    vi = _index(site)
    assert vi["lang"] == "vi" and vi["prefix"] == ""
    urls = {d["url"]: d for d in vi["docs"]}
    assert urls["stories/vinh-ha-long/"]["title"] == "Vịnh Hạ Long"
    assert "kỳ" in vi["terms"] and "vôi" in vi["terms"]  # the body is indexed
    assert "quan" in vi["terms"]  # a word of an <h2>
    en = _index(site, "en")
    assert {d["url"] for d in en["docs"]} == {"stories/vinh-ha-long/"}
    assert "limestone" in en["terms"] and "vôi" not in en["terms"]
    assert en["editions"][0]["lang"] == "vi"
    assert {e["lang"] for e in en["editions"]} == {"vi", "en", "km", "ar", "tyz", "blt-Tavt"}
    assert next(e for e in en["editions"] if e["lang"] == "ar")["dir"] == "rtl"


def test_untranslated_pages_are_searched_in_the_shown_language(built_project):
    site = built_project / "build" / "site"
    km = _index(site, "km")
    shown = _shown(site, "km/stories/vinh-ha-long")
    assert shown in ("vi", "en")  # along km's fallback chain
    assert km["docs"] == []  # nothing is in Khmer: nothing indexed twice
    assert {"url": "stories/vinh-ha-long/", "lang": shown} in km["fallbacks"]
    assert km["terms"] == {}


EN_STORY = """---
title: The Mekong Delta
summary: Rivers, rice fields and floating markets.
date: 2024-01-01
category: tourism
lang: en
status: published
---
Boats meet at dawn on the river.
"""


def test_pages_shown_in_a_language_without_edition_are_indexed_where_shown(tmp_path):
    from conftest import make_project

    root = make_project(tmp_path / "site")
    folder = root / "content" / "stories" / "mekong"
    folder.mkdir()
    (folder / "index.md").write_text(EN_STORY, "utf-8")
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", "--lang", "km"])
    assert result.exit_code == 0, result.output
    site = root / "build" / "site"
    for prefix in ("", "km"):  # no en edition in this build: the English story is indexed in both
        ix = _index(site, prefix)
        assert [e["lang"] for e in ix["editions"]] == ["vi", "km"]  # the default first
        doc = next(d for d in ix["docs"] if d["url"] == "stories/mekong/")
        assert doc["lang"] == "en" and doc["title"] == "The Mekong Delta"
        assert "boats" in ix["terms"]
        assert not any(f["url"] == "stories/mekong/" for f in ix["fallbacks"])
    km = _index(site, "km")
    if _shown(site, "km/stories/vinh-ha-long") == "vi":  # km's chain reaches vi first: point to vi's index
        assert {"url": "stories/vinh-ha-long/", "lang": "vi"} in km["fallbacks"]
    else:  # it reaches en, which has no edition here: indexed in place
        assert next(d for d in km["docs"] if d["url"] == "stories/vinh-ha-long/")["lang"] == "en"


def test_a_kiosk_copy_gets_script_twins_of_its_indexes(tmp_path):
    from conftest import make_project

    root = make_project(tmp_path / "site")
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", "--kiosk"])
    assert result.exit_code == 0, result.output
    site = root / "build" / "kiosk"  # where --kiosk writes by default
    for prefix in ("", "en", "km"):
        folder = site / prefix / "search"
        script = (folder / "index.js").read_text("utf-8")
        assert script.startswith("lantoaSearch.receive(") and script.endswith(");\n")
        assert script[len("lantoaSearch.receive("):-len(");\n")] == (folder / "index.json").read_text("utf-8")


def test_the_index_key_changes_with_everything_an_index_is_made_from():
    """lantoa.site.search.index_key: a kept index is reused only for the same documents, fallbacks,
    editions and kind of build."""
    from lantoa.search.index import Doc, Edition
    from lantoa.site.search import index_key

    docs = [Doc("stories/a/", "Vịnh", "Tóm tắt", "văn bản", "vi"), Doc("stories/b/", "B", "S", "T", "vi")]
    fallbacks = [("stories/c/", "en")]
    editions = [Edition("vi", "", "Tiếng Việt", "ltr"), Edition("en", "en/", "English", "ltr")]
    base = index_key("vi", "", docs, fallbacks, editions, False)
    assert base == index_key("vi", "", list(docs), list(fallbacks), list(editions), False)
    changed = [
        index_key("en", "", docs, fallbacks, editions, False),
        index_key("vi", "vi/", docs, fallbacks, editions, False),
        index_key("vi", "", docs, fallbacks, editions, True),
        index_key("vi", "", docs[::-1], fallbacks, editions, False),
        index_key("vi", "", docs[:1], fallbacks, editions, False),
        index_key("vi", "", [docs[0], Doc("stories/b/", "B", "S", "T.", "vi")], fallbacks, editions, False),
        index_key("vi", "", [docs[0], Doc("stories/b/", "BS", "", "T", "vi")], fallbacks, editions, False),
        index_key("vi", "", [docs[0], Doc("stories/b/", "B", "S", "T", "en")], fallbacks, editions, False),
        index_key("vi", "", docs, [], editions, False),
        index_key("vi", "", docs, [("stories/c/", "fr")], editions, False),
        index_key("vi", "", docs, fallbacks, editions[:1], False),
        index_key("vi", "", docs, fallbacks, [editions[0], Edition("en", "en/", "English", "rtl")], False),
    ]
    assert len({base, *changed}) == len(changed) + 1


def _edited(docs, rng):
    """``docs`` with a few of them edited as editors do: a word changed, added or taken out of the
    body, a new title, a summary emptied (words gone from the index, words new to it)."""
    import dataclasses

    out, changed = list(docs), sorted(rng.sample(range(len(docs)), rng.randint(1, 3)))
    for i in changed:
        d = out[i]
        out[i] = rng.choice([
            dataclasses.replace(d, text=d.text + " sông Mê Kông " * rng.randint(1, 3)),
            dataclasses.replace(d, text=" ".join(d.text.split()[1:])),
            dataclasses.replace(d, title=f"Tựa mới {i} zzzz{i}"),
            dataclasses.replace(d, summary=""),
            dataclasses.replace(d, title="", summary="", text=""),
        ])
    return out, changed


def test_an_index_updated_for_edited_documents_is_the_index_built_anew():
    """lantoa.search.index.update: the index of a few edited documents, made from the kept index
    (its JSON read back), is byte for byte the one built from all of them."""
    import random

    rng = random.Random(7)
    vocabulary = "vịnh hạ long đảo đá vôi hà nội hồ gươm phố cổ hội an huế cố đô chùa một cột sông".split()
    docs = [sindex.Doc(f"stories/s{i:02}/", " ".join(rng.sample(vocabulary, 3)), " ".join(rng.sample(vocabulary, 4)),
                       " ".join(rng.choices(vocabulary, k=rng.randint(0, 60))), "vi") for i in range(24)]
    editions = [sindex.Edition("vi", "", "Tiếng Việt", "ltr")]
    for _ in range(40):
        kept = json.loads(sindex.dumps(sindex.build("vi", "", docs, [("stories/x/", "en")], editions)))
        new, changed = _edited(docs, rng)
        updated = sindex.update(kept, new, changed)
        assert sindex.dumps(updated) == sindex.dumps(sindex.build("vi", "", new, [("stories/x/", "en")], editions))
        docs = new


def _edition(tmp_path, name, docs, kept=None):
    """An edition's output folder with the index of ``docs`` made by lantoa.site.search.edition_index
    (``kept``: the kept edition it may start from); the folder and the index's bytes."""

    class Lang:
        autonym, dir = "Tiếng Việt", "ltr"

    root = tmp_path / name
    model = {"editions": {"vi": ""}, "pages": {
        d.url: {"kind": "story", "src": f"{d.url}index.md", "lang": "vi", "title": d.title, "summary": d.summary}
        for d in docs}}
    texts = {f"{d.url}index.html": d.text for d in docs}
    search.edition_index(root, "vi", model, ["vi"], {"vi": Lang()}, texts, cache_dir=tmp_path / "cache", kept=kept)
    return root, (root / "search" / "index.json").read_bytes()


def test_an_edit_updates_the_kept_index_instead_of_indexing_every_page(tmp_path, monkeypatch):
    """lantoa.site.search.edition_index, given the kept edition: an index of the same pages, few of
    them edited, is updated from the kept one (nothing is built whole) and equals a clean build;
    other pages, many edits or a kept edition of an older kind build it whole."""
    import dataclasses
    from lantoa.site.incremental import SEARCH_DOCS

    docs = [sindex.Doc(f"stories/s{i}/", f"Tựa {i}", "Tóm tắt.", f"Văn bản số {i} về vịnh Hạ Long.", "vi")
            for i in range(8)]
    kept, _ = _edition(tmp_path, "kept", docs)
    edited = [*docs[:3], dataclasses.replace(docs[3], text="Hồ Gươm ở Hà Nội."), *docs[4:]]
    _, clean = _edition(tmp_path, "clean", edited)
    real, built = sindex.build, []
    monkeypatch.setattr(sindex, "build", lambda *a, **k: built.append(a[2]) or real(*a, **k))
    _, updated = _edition(tmp_path, "edit", edited, kept=kept)
    assert updated == clean and built == []
    # the kept edition is of the edit now: a second edit starts from it
    again = [*edited[:6], dataclasses.replace(edited[6], title="Phố cổ"), edited[7]]
    edit, _ = _edition(tmp_path, "edit2", again, kept=tmp_path / "edit")
    assert (edit / "search" / "index.json").read_bytes() == _edition(tmp_path, "clean2", again)[1]
    built.clear()
    # built whole: a page more, many pages edited, a kept edition without its record of documents
    more = [*again, sindex.Doc("stories/s9/", "Mới", "", "Văn bản.", "vi")]
    many = [dataclasses.replace(d, text=d.text + " Huế.") for d in again]
    assert _edition(tmp_path, "more", more, kept=edit)[1] == _edition(tmp_path, "more-clean", more)[1]
    assert _edition(tmp_path, "many", many, kept=edit)[1] == _edition(tmp_path, "many-clean", many)[1]
    (edit / SEARCH_DOCS).unlink()
    assert _edition(tmp_path, "old", edited, kept=edit)[1] == clean
    assert [len(d) for d in built] == [9, 9, 8, 8, 8]
