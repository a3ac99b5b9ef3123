"""Pins on how we extend mkdocs-static-i18n and Material (if upstream changes, these fail first)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mkdocs.config.base import ValidationError
from mkdocs_static_i18n.config import RE_LOCALE
from mkdocs_static_i18n.plugin import I18n

from lantoa.i18n import registry as registry_mod
from lantoa.site import material_strings
from lantoa.site.i18n_plugin import LantoaI18n

REPO = Path(__file__).resolve().parents[1]

LANGS = [
    {"locale": "vi", "name": "Tiếng Việt", "default": True},
    {"locale": "tyz", "name": "Tày"},
    {"locale": "blt-Tavt", "name": "ꪼꪕꪒꪾ"},
    {"locale": "cjm-Cham", "name": "ꨌꩌ"},
    {"locale": "zh-Hans", "name": "简体中文"},
]


@pytest.mark.parametrize("tag", ["tyz", "blt-Tavt", "cjm-Cham", "rad", "jra", "bdq", "hmn"])
def test_upstream_still_refuses_three_letter_codes(tag):
    # the reason our subclass exists; if upstream merges PR #348 this documents the change
    assert not RE_LOCALE.match(tag)
    errors, _ = I18n().load_config({"languages": [{"locale": "vi", "name": "vi", "default": True},
                                                  {"locale": tag, "name": tag}]})
    assert errors, f"upstream accepted {tag}"


def test_our_subclass_accepts_bcp47_tags_and_keeps_upstream_links():
    plugin = LantoaI18n()
    errors, warnings = plugin.load_config({"languages": LANGS})
    assert errors == []
    assert [lang.link for lang in plugin.config.languages] == ["/", "/tyz/", "/blt-Tavt/", "/cjm-Cham/", "/zh-Hans/"]


@pytest.mark.parametrize("bad, fragment", [
    ("khm", "use 'km'"),  # has a two-letter code
    ("xx", "not an ISO 639-1"),
    ("tyz-Abcd", "not an ISO 15924"),
    ("Tyz", "not a BCP 47 tag"),
])
def test_our_subclass_refuses_bad_tags(bad, fragment):
    errors, _ = LantoaI18n().load_config({"languages": LANGS[:1] + [{"locale": bad, "name": bad}]})
    assert errors and fragment in str(errors[0][1])


def test_build_language_selects_the_edition_and_post_build_does_not_rebuild(tmp_path, monkeypatch):
    plugin = LantoaI18n()
    errors, _ = plugin.load_config({"languages": LANGS, "build_language": "blt-Tavt"})
    assert errors == []
    assert plugin.current_language is None

    # on_post_build of upstream calls mkdocs.commands.build.build for every other language
    import mkdocs.commands.build as build_mod

    calls = []
    monkeypatch.setattr(build_mod, "build", lambda *a, **k: calls.append(a))
    assert plugin.on_post_build(config=None) is None
    assert calls == []


def test_unknown_build_language_is_refused():
    plugin = LantoaI18n()
    errors, _ = plugin.load_config({"languages": LANGS, "build_language": "ko"})
    assert errors == []
    with pytest.raises(ValidationError):
        plugin.on_config(config=None)


def test_material_partial_format_is_readable():
    # we read Material's UI strings from its generated partials; pin the format
    strings = material_strings.material_strings("vi")
    assert strings["language"] == "vi" and strings["search.placeholder"]
    assert "km" not in material_strings.material_languages()  # why we generate our own partials
    assert "lo" not in material_strings.material_languages()


def test_our_language_partial_answers_as_material_s_own():
    """Material's base.html imports ``partials/language.html`` with context (at every page) and
    calls ``lang.t(key)``. Ours hands it a Python function with the edition's strings: for a
    language Material has, it answers every key (and a missing one, and "") exactly as Material's
    own partial does, in templates with and without autoescape."""
    import jinja2

    page = ("{% import 'partials/language.html' as lang with context %}"
            "{% for k in keys %}[{{ lang.t(k) }}]{% endfor %}"
            "{% autoescape true %}{% for k in keys %}<{{ lang.t(k) }}>{% endfor %}{% endautoescape %}")
    ours = jinja2.Environment(loader=jinja2.DictLoader({"page.html": page,
                                                        "partials/language.html": material_strings.LANGUAGE_PARTIAL}))
    for code in ("fr", "vi", "ar", "zh"):
        strings = material_strings.material_strings(code) | {"x.quote": 'a "b" & <c>'}
        strings["search.result.none"] = ""  # an empty string: Material's falls back to English's
        keys = [*strings, "no.such.key", ""]
        ours.globals["lantoa_material_t"] = material_strings.translator(strings)
        theirs = jinja2.Environment(loader=jinja2.ChoiceLoader([
            jinja2.DictLoader({"page.html": page, f"partials/languages/{code}.html": "{% macro t(key) %}{{ "
                               + json.dumps(strings, ensure_ascii=False) + "[key] }}{% endmacro %}"}),
            jinja2.FileSystemLoader(material_strings.material_dir())]))
        config = {"theme": {"language": code}}
        expected = theirs.get_template("page.html").render(keys=keys, config=config)
        assert ours.get_template("page.html").render(keys=keys, config=config) == expected
        assert "[no.such.key]" in expected and '[a "b" & <c>]' in expected and '<a "b" & <c>>' in expected


def test_every_edition_gets_the_material_strings_of_its_language(tmp_path):
    """A language Material lacks (Khmer) gets English's strings under the registry's own, with its
    exact tag and direction; the partial Material would have imported for it does not exist."""
    import jinja2

    registry, _ = registry_mod.load(REPO / "locales", REPO)

    def answers(tag: str):
        env = jinja2.Environment()
        env.globals["t"] = material_strings.translator(material_strings.resolved(registry, tag))
        return lambda key: env.from_string("{{ t(key) }}").render(key=key)

    t = answers("km")
    assert t("language") == "km" and t("direction") == "ltr" and answers("ar")("direction") == "rtl"
    assert t("search.placeholder") == registry.string("km", "search.placeholder")
    assert t("search.placeholder") != material_strings.material_strings("en")["search.placeholder"]
    assert t("no.such.key") == "no.such.key"
    material_strings.write_partials(tmp_path)
    assert (tmp_path / "partials" / "language.html").read_text("utf-8") == material_strings.LANGUAGE_PARTIAL
