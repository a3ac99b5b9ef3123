"""Front matter, the strict YAML reader, the markup scanner and the language registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantoa.content import frontmatter, yamlsafe
from lantoa.i18n import registry as registry_mod
from lantoa.i18n import tags
from lantoa.validate import links, markup

REPO = Path(__file__).resolve().parents[1]


def test_plain_scalars_stay_strings_no_yaml11_coercion():
    doc = yamlsafe.load("lang: no\nversion: 1.10\ndate: 2023-09-01\nok: true\nnone: ~\nquoted: 'yes'\n")
    assert doc.data == {"lang": "no", "version": "1.10", "date": "2023-09-01", "ok": True, "none": None,
                        "quoted": "yes"}


def test_positions_of_keys_and_nested_values():
    doc = yamlsafe.load("title: x\nhero:\n  src: a.jpg\n  alt: b\nsources:\n  - url: u\n")
    assert (doc.pos(("hero", "alt")).line, doc.pos(("hero", "alt")).col) == (4, 3)
    assert doc.pos(("sources", 0, "url")).line == 6


@pytest.mark.parametrize("text, code", [
    ("a: &x [1]\nb: *x\n", "yaml-alias"),
    ("a: !!python/object/apply:os.system ['true']\n", "yaml-tag"),
    ("a: 1\na: 2\n", "duplicate-key"),
    ("a: [1\n", "yaml-syntax"),
    ("<<: {a: 1}\n", "yaml-alias"),
])
def test_refused_yaml(text, code):
    assert code in [p.code for p in yamlsafe.load(text).problems]


def test_billion_laughs_is_refused_without_expanding():
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(8))
    doc = yamlsafe.load(bomb)
    assert doc.problems[0].code == "yaml-alias" and doc.problems[0].line == 2


def test_front_matter_line_numbers_survive_blank_lines(tmp_path):
    # python-frontmatter's own boundary regex swallows the blank line after '---'
    p = tmp_path / "index.md"
    p.write_text("---\n\n\ntitle: x\nsummary: [\n---\nbody\n", "utf-8")
    doc = frontmatter.read(p)
    assert doc.problems[0].code == "yaml-syntax"
    assert doc.problems[0].line == 6  # the unclosed '[' is reported where YAML gives up: the closing line


def test_body_line_and_nfc(tmp_path):
    p = tmp_path / "index.md"
    decomposed = "Vi\u0323nh"  # 'ị' as i + combining dot below
    p.write_text(f"---\ntitle: {decomposed}\n---\n\nline {decomposed}\n", "utf-8")
    doc = frontmatter.read(p)
    assert doc.meta["title"] == "Vịnh" and doc.body_line == 4
    assert "Vịnh" in doc.body


@pytest.mark.parametrize("body, code", [
    ("<script>alert(1)</script>", "unsafe-html"),
    ("<img src=x onerror=alert(1)>", "unsafe-html"),
    ('<abbr title="x" onclick="y">a</abbr>', "unsafe-html"),
    ("[x](javascript:alert(1))", "unsafe-link"),
    ("[x](JaVaScRiPt:alert(1))", "unsafe-link"),
    ("[x](jav&#x61;script:alert(1))", "unsafe-link"),
    ("[x](data:text/html;base64,AAAA)", "unsafe-link"),
    ("[x]: vbscript:msgbox\n", "unsafe-link"),
    ("<javascript:alert(1)>", "unsafe-link"),
    ("<div>hi</div>", "raw-html"),
    ('<span style="color:red">x</span>', "raw-html"),
])
def test_markup_scanner_refuses(body, code):
    findings, _ = markup.scan(body)
    assert code in [f.code for f in findings]


@pytest.mark.parametrize("body", [
    '<abbr title="Liên Hợp Quốc">LHQ</abbr> và H<sub>2</sub>O',
    "`<script>` in code is text",
    "```\n<script>alert(1)</script>\n```",
    "[UNESCO](https://whc.unesco.org/) and [about](../about/) and [mail](mailto:a@b.c)",
    "1 < 2 and 3 > 2",
])
def test_markup_scanner_allows(body):
    findings, _ = markup.scan(body)
    assert findings == []


def test_a_footnote_is_not_a_link_and_a_reference_definition_is():
    """``[^1]: Theo UNESCO.`` defines a footnote (text), ``[r]: ../hoi-an/`` a link: only the second
    is checked as a link (lantoa.validate.rules._link_rules)."""
    _, links = markup.scan("Vịnh[^1] và [Hội An][r].\n\n[^1]: Theo UNESCO.\n[r]: ../hoi-an/\n")
    assert [link.url for link in links] == ["../hoi-an/"]


@pytest.mark.parametrize("kind, slug, url, site", [
    # from a page: the content folder's ../../stories/ is the site's ../stories/, in the form written
    ("page", "about", "../../stories/hoi-an/", "../stories/hoi-an/"),
    ("page", "about", "../../stories/hoi-an/index.md#lich-su", "../stories/hoi-an/#lich-su"),
    ("page", "about", "../../stories/hoi-an/index.en.md", None),  # refused by check (no such page)
    ("page", "about", "../../stories/hoi-an", "../stories/hoi-an/"),
    ("story", "ha-long", "../hoi-an#lich-su", "../hoi-an/#lich-su"),
    ("page", "about", "../home/", "../"),
    ("page", "home", "../../stories/hoi-an/", "stories/hoi-an/"),
    ("page", "home", "../about/index.md", "about/"),
    # from a story to a page
    ("story", "ha-long", "../../pages/about/?ref=1#team", "../../about/?ref=1#team"),
    ("story", "ha-long", "../../pages/home/", "../../"),
    # the same in both layouts, or not a link to another text: left as written
    ("story", "ha-long", "../hoi-an/", None),
    ("story", "ha-long", "../hoi-an/index.md", "../hoi-an/"),
    ("story", "ha-long", "../../stories/hoi-an/", "../hoi-an/"),
    ("story", "ha-long", "hero.jpg", None),
    ("story", "ha-long", "../hoi-an/hero.jpg", None),
    ("page", "about", "../../stories/hoi-an/hero.jpg", None),
    ("page", "about", "https://example.org/", None),
    ("page", "about", "/stories/hoi-an/", None),
    ("page", "about", "#team", None),
    ("page", "about", "../../../outside/", None),
])
def test_a_link_to_another_text_is_given_that_texts_path_in_the_site(kind, slug, url, site):
    """Editors link texts by their folders in content/; the site keeps stories at stories/<slug>/,
    pages at <slug>/ and the home page at the edition's root (lantoa.validate.links). A link to
    index.md becomes the folder's address, as MkDocs would make it, whether or not that text is in
    the build."""
    assert links.docs_url(kind, slug, url) == site


def test_registry_of_the_repository_is_clean():
    reg, diags = registry_mod.load(REPO / "locales", REPO)
    assert [d.format() for d in diags if d.severity.value == "error"] == []
    assert reg.chain("tyz") == ["tyz", "vi", "en"]
    assert reg.chain("km") == ["km", "en"]
    assert reg["ar"].dir == "rtl"
    assert reg["blt-Tavt"].script == "Tavt"


def test_a_registry_s_remembered_fallback_chain_follows_the_languages_registered():
    from lantoa.i18n.registry import Language, Registry

    reg = Registry({t: Language(t, t, t, "Latn") for t in ("vi", "en")}, "vi")
    reg["vi"].fallback = []
    assert reg.chain("tyz") == ["en"] and reg.string("tyz", "k") == "k"
    chain = reg.chain("vi")
    chain.append("xx")  # the caller's own list: the remembered chain is not changed
    assert reg.chain("vi") == ["vi", "en"]
    tyz = Language("tyz", "Tày", "Tày", "Latn")
    tyz.fallback = ["vi"]
    tyz.strings = {"k": "Tày text"}
    reg.languages["tyz"] = tyz  # registered later: the chains are worked out again
    assert reg.chain("tyz") == ["tyz", "vi", "en"] and reg.string("tyz", "k") == "Tày text"
    reg.languages = {"tyz": tyz, "en": reg["en"]}  # another set of languages altogether
    assert reg.chain("tyz") == ["tyz", "en"]


def test_lookalike_code_is_caught(tmp_path):
    (tmp_path / "locales").mkdir()
    for tag in ("vi", "en"):
        (tmp_path / "locales" / f"{tag}.yml").write_text((REPO / "locales" / f"{tag}.yml").read_text("utf-8"), "utf-8")
    text = (REPO / "locales" / "tyz.yml").read_text("utf-8").replace("tag: \"tyz\"", "tag: ty", 1)
    (tmp_path / "locales" / "ty.yml").write_text(text, "utf-8")
    _, diags = registry_mod.load(tmp_path / "locales", tmp_path)
    lookalike = [d for d in diags if d.code == "lookalike-tag"]
    assert lookalike and "Tahitian" in lookalike[0].message and "tyz" in lookalike[0].hint


@pytest.mark.parametrize("tag, ok", [("vi", True), ("zh-Hans", True), ("blt-Tavt", True), ("cjm-Cham", True),
                                     ("pt-BR", True), ("tyz", True), ("khm", False), ("ty", True), ("zz", False),
                                     ("vi-latn", False), ("", False)])
def test_tag_parser(tag, ok):
    if ok:
        tags.parse(tag)
    else:
        with pytest.raises(tags.TagError):
            tags.parse(tag)


def test_iso_answers_are_remembered_between_runs_without_loading_pycountry(tmp_path, monkeypatch):
    """A run that asks about codes an earlier run asked about (with the same pycountry database)
    does not load pycountry's databases: 6 MB and 30 ms of every build, inherited by every edition
    process. The answers, known codes and unknown alike, are the ones pycountry gave."""
    import pycountry

    from lantoa import digests
    from conftest import REPO

    cache = tmp_path / "cache"
    locales = tmp_path / "locales"
    locales.mkdir()
    for tag in ("vi", "en", "km", "tyz", "blt-Tavt"):
        (locales / f"{tag}.yml").write_text((REPO / "locales" / f"{tag}.yml").read_text("utf-8"), "utf-8")
    asked = ["vi", "tyz", "blt-Tavt", "cjm-Cham", "khm", "zz", "qqq", "vi-Xyzw"]

    def answers():
        out = []
        for tag in asked:
            try:
                out.append(tags.parse(tag))
            except tags.TagError as exc:
                out.append((str(exc), exc.hint))
        return out, tags.code_for_name("Khmer"), tags.language_name("km"), registry_mod.load(locales, tmp_path)[1]

    try:
        digests.load(cache)
        first = answers()
        digests.save()
        digests.load(None)  # another run: what was remembered is read back from the cache
        digests.load(cache)

        def refuse(*args, **kwargs):
            raise AssertionError("pycountry's database was asked")
        for db in (pycountry.languages, pycountry.scripts):
            monkeypatch.setattr(db, "get", refuse)
            monkeypatch.setattr(type(db), "__iter__", refuse)
        assert answers() == first
    finally:
        digests.load(None)
    assert first[1] == "km" and first[2] == "Khmer" and not first[3]
    assert [type(a).__name__ for a in first[0]] == ["TagInfo"] * 4 + ["tuple"] * 4
    assert "two-letter" in first[0][4][0] and first[0][4][1] == "use 'km'"
    # the answers are keyed by the files pycountry reads, found without importing it
    assert tags._database_file("language") == pycountry.languages.filename
    assert tags._database_file("script") == pycountry.scripts.filename


def test_what_pycountry_loaded_is_let_go_of_and_loads_again_when_asked(tmp_path, monkeypatch):
    """A build lets go of pycountry's databases before it forks its editions' processes
    (lantoa.site.builder): a cold build loaded them for its checks, and every process forked after
    held them. They load again when asked, with the same answers."""
    import pycountry

    from conftest import make_project
    from lantoa.cli import main
    from lantoa.site import builder
    from click.testing import CliRunner

    tags._names.cache_clear()
    before = tags.code_for_name("Khmer"), pycountry.languages.get(alpha_3="khm").name
    assert pycountry.languages.objects and tags._names.cache_info().currsize == 1
    tags.let_go()
    assert not pycountry.languages.objects and not pycountry.scripts.objects
    assert tags._names.cache_info().currsize == 0
    assert (tags.code_for_name("Khmer"), pycountry.languages.get(alpha_3="khm").name) == before
    # in a cold build (nothing remembered: every code asked of pycountry), before the fork
    loaded_at_fork: list[bool] = []
    forker = builder.Forker

    def forking(*args, **kwargs):
        loaded_at_fork.append(bool(pycountry.languages.objects))
        return forker(*args, **kwargs)

    monkeypatch.setattr(builder, "Forker", forking)
    root = make_project(tmp_path / "p")
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert loaded_at_fork == [False]


def test_the_source_hash_follows_the_text_it_was_made_from(tmp_path):
    # the hash is kept between calls (a build asks for it tens of thousands of times): a kept
    # hash must never outlive a change to the title, summary or body
    from lantoa.content.model import Variant

    variant = Variant("vi", "content/stories/x/index.md", frontmatter.Document(tmp_path / "index.md", body="Một."),
                      title="Tựa", summary="Tóm tắt")
    first = variant.text_hash()
    assert variant.text_hash() == first
    variant.doc.body = "Hai."
    second = variant.text_hash()
    variant.title = "Tựa mới"
    third = variant.text_hash()
    variant.summary = "Khác"
    assert len({first, second, third, variant.text_hash()}) == 4
    variant.doc.body, variant.title, variant.summary = "Một.", "Tựa", "Tóm tắt"
    assert variant.text_hash() == first


def test_the_source_hash_covers_image_alt_and_caption_but_not_credit(tmp_path):
    # hero and body images' alt text and caption are translated; credit and licence are names.
    # The kept hash must follow a change to any of them, also made inside the dicts.
    from lantoa.content.model import Variant

    variant = Variant("vi", "content/stories/x/index.md", frontmatter.Document(tmp_path / "index.md", body="Một."),
                      title="Tựa", summary="Tóm tắt")
    bare = variant.text_hash()
    variant.hero_text.update(credit="Lan Tỏa", license="CC BY 4.0")
    variant.images["a.jpg"] = {"credit": "B", "license": "CC0"}
    assert variant.text_hash() == bare  # names only: nothing a translator translates
    seen = {bare}
    for change in (lambda: variant.hero_text.update(alt="Thuyền"), lambda: variant.hero_text.update(caption="Vịnh"),
                   lambda: variant.images["a.jpg"].update(alt="Bản đồ"),
                   lambda: variant.images["a.jpg"].update(caption="Ba khu vực"),
                   lambda: variant.images.update({"b.jpg": {"alt": "Bản đồ"}}),
                   lambda: variant.images["b.jpg"].update(alt="Ba khu vực")):
        change()
        seen.add(variant.text_hash())
    assert len(seen) == 7
    last = variant.text_hash()
    variant.hero_text["credit"] = "Khác"
    assert variant.text_hash() == last
    # the body images in file-name order, whatever order the front matter lists them in
    again = Variant("vi", variant.path, variant.doc, title="Tựa", summary="Tóm tắt", hero_text=dict(variant.hero_text),
                    images={name: dict(variant.images[name]) for name in sorted(variant.images, reverse=True)})
    assert again.text_hash() == last
