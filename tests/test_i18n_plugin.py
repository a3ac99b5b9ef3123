"""Pins on how we extend mkdocs-static-i18n and Material (if upstream changes, these fail first)."""

from __future__ import annotations

import pytest
from mkdocs.config.base import ValidationError
from mkdocs_static_i18n.config import RE_LOCALE
from mkdocs_static_i18n.plugin import I18n

from lantoa.site import material_strings
from lantoa.site.i18n_plugin import LantoaI18n

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


def test_our_language_partials_answer_as_material_s_own_and_make_their_strings_once():
    """Material's ``language.html`` imports ``partials/languages/<tag>.html`` as ``lang`` and calls
    ``lang.t(key)`` (then English's, then the key, when it answers nothing). Ours answer exactly
    as Material's own form would (its dict written inside the macro), but make the dict once per
    imported template, not at every call."""
    import jinja2

    strings = material_strings.material_strings("vi") | {"language": "km", "x.quote": 'a "b" & <c>'}
    body = __import__("json").dumps(strings, ensure_ascii=False)
    env = jinja2.Environment(loader=jinja2.DictLoader({
        "ours.html": material_strings.partial(strings),
        "material.html": "{% macro t(key) %}{{ " + body + "[key] }}{% endmacro %}",
        "page.html": "{% import 'ours.html' as lang %}{% for k in keys %}[{{ lang.t(k) or 'FALLBACK' }}]{% endfor %}",
        "theirs.html": "{% import 'material.html' as lang %}{% for k in keys %}[{{ lang.t(k) or 'FALLBACK' }}]{% endfor %}",
    }))
    keys = [*strings, "no.such.key", ""]
    assert env.get_template("page.html").render(keys=keys) == env.get_template("theirs.html").render(keys=keys)
    assert "[FALLBACK]" in env.get_template("page.html").render(keys=keys)
    template = material_strings.partial(strings)
    assert template.count("search.placeholder") == 1 and "{% macro t(key) %}{{ strings[key] }}{% endmacro %}" in template
