"""mkdocs.yml: the editor-facing site settings, checked and completed by Lan Tỏa.

``mkdocs.yml`` holds what a site owner chooses (name, URL, theme colours,
Markdown extensions). What Lan Tỏa derives (docs_dir, site_dir, the language
list, the i18n plugin, nav, fonts) is added here, so the two never disagree.
"""

from __future__ import annotations

import copy
import logging
from functools import lru_cache
from pathlib import Path

import yaml

from ..diagnostics import Diagnostic, error, warning
from ..i18n.registry import Registry
from . import material_strings

log = logging.getLogger(__name__)

#: keys Lan Tỏa sets itself; an editor setting them is told so
DERIVED = {"docs_dir", "site_dir", "nav", "plugins"}
EXTERNAL_PREFIXES = ("http://", "https://", "//")


class _Loader(yaml.SafeLoader):
    """mkdocs.yml may use !ENV and !!python/name tags: read them as plain values for checking."""


def _any_tag(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("", _any_tag)


def read_raw(root: Path) -> tuple[dict, list[Diagnostic]]:
    """mkdocs.yml's settings as written, or why they cannot be read. Parsed once per text in a
    process (a build asks five times, `lantoa serve` at every rebuild and its editions' processes
    again): each caller gets its own copy."""
    path = root / "mkdocs.yml"
    if not path.is_file():
        return {}, [error("mkdocs.yml", 0, 0, "no-config", "mkdocs.yml is missing",
                          "copy mkdocs.yml from the Lan Tỏa repository")]
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as exc:
        return {}, [error("mkdocs.yml", 1, 1, "yaml-syntax", f"cannot read mkdocs.yml: {exc}")]
    data, diags = _parsed(text)
    return copy.deepcopy(data), list(diags)


@lru_cache(maxsize=4)
def _parsed(text: str) -> tuple[dict, tuple[Diagnostic, ...]]:
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        return {}, (error("mkdocs.yml", mark.line + 1 if mark else 1, mark.column + 1 if mark else 1,
                          "yaml-syntax", f"YAML syntax error: {exc.problem}", "check the indentation"),)
    except yaml.YAMLError as exc:
        return {}, (error("mkdocs.yml", 1, 1, "yaml-syntax", f"cannot read mkdocs.yml: {exc}"),)
    if not isinstance(data, dict):
        return {}, (error("mkdocs.yml", 1, 1, "config-type", "mkdocs.yml must be a mapping of settings"),)
    return data, ()


def _line_of(root: Path, key: str) -> int:
    for i, line in enumerate((root / "mkdocs.yml").read_text("utf-8").splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return i
    return 1


def check(root: Path, registry: Registry) -> list[Diagnostic]:
    """Problems with mkdocs.yml and with the registry's use of Material."""
    data, diags = read_raw(root)
    if diags:
        return diags
    for key in sorted(DERIVED & set(data)):
        diags.append(warning("mkdocs.yml", _line_of(root, key), 1, "derived-setting",
                             f"'{key}' is set by lantoa and ignored here", f"remove '{key}:' from mkdocs.yml"))
    if not data.get("site_url"):
        diags.append(warning("mkdocs.yml", 1, 1, "no-site-url",
                             "site_url is not set: no sitemaps, feeds or absolute hreflang links will be made",
                             "add site_url: https://your.domain/"))
    if not data.get("site_name"):
        diags.append(error("mkdocs.yml", 1, 1, "missing-field", "site_name is missing", "add site_name: Lan Tỏa"))
    theme = data.get("theme") or {}
    if not isinstance(theme, dict) or theme.get("name") != "material":
        diags.append(error("mkdocs.yml", _line_of(root, "theme"), 1, "theme", "the theme must be Material",
                           "theme:\\n  name: material\\n  custom_dir: theme"))
    elif theme.get("font") not in (None, False):
        diags.append(error("mkdocs.yml", _line_of(root, "theme"), 1, "external-fonts",
                           "theme.font loads Google Fonts from a third-party origin",
                           "set 'font: false'; lantoa self-hosts Noto fonts"))
    for key in ("extra_css", "extra_javascript"):
        for item in data.get(key) or []:
            src = item if isinstance(item, str) else (item or {}).get("path", "")
            if str(src).startswith(EXTERNAL_PREFIXES):
                diags.append(error("mkdocs.yml", _line_of(root, key), 1, "external-asset",
                                   f"'{src}' would load from another origin", "copy the file into theme/ and link it"))
    custom_dir = theme.get("custom_dir", "theme") if isinstance(theme, dict) else "theme"
    own = Path(str(custom_dir)) / "partials" / "language.html"
    if (root / own).is_file():
        diags.append(error(own.as_posix(), 1, 1, "theme-language-partial",
                           "this file would replace lantoa's partials/language.html, which gives Material its UI "
                           "strings in every language (Material has none for km, lo, tyz …)",
                           "delete it and set the strings in locales/<tag>.yml (see docs/writing.md)"))
    available = material_strings.material_languages()
    for lang in registry.languages.values():
        if lang.material and lang.material not in available:
            diags.append(error(lang.path, 1, 1, "unknown-material-language",
                               f"Material has no UI translation '{lang.material}'",
                               "set material: null (our strings and the fallback chain are used)"))
    return diags


def mkdocs_config(root: Path, registry: Registry, staged, lang: str, site_dir: Path, work: Path,
                  kiosk: bool = False, template_cache: Path | None = None, render_memo: Path | None = None):
    """The full MkDocs config for building edition ``lang`` of the staged docs.

    ``kiosk``: a copy that works from file:// (USB sticks, offline kiosks): links name index.html
    (a browser opens no index.html for a directory URL under file://), no instant navigation.
    ``template_cache``: a folder for compiled templates (kept across editions and builds).
    ``render_memo``: the edition's memo of converted Markdown (lantoa.site.rendermemo), or None."""
    from mkdocs.config import load_config

    data, _ = read_raw(root)
    languages = []
    for tag in staged.languages:
        L = registry[tag]
        languages.append({
            "locale": tag, "name": L.autonym, "build": True, "default": tag == registry.default,
            "site_name": registry.string(tag, "site.name"),
            "site_description": registry.string(tag, "site.description"),
            "nav_translations": staged.nav_translations.get(tag, {}),
        })
    plugins = [
        {"lantoa": {"work_dir": str(work), "language": lang, "template_cache": str(template_cache or ""),
                    "render_memo": str(render_memo or ""), "policy": not kiosk}},
        {"lantoa-i18n": {"docs_structure": "suffix", "fallback_to_default": False, "reconfigure_search": False,
                         "languages": languages, "build_language": lang}},
    ]
    theme = dict(data.get("theme") or {})
    theme["font"] = False
    theme.setdefault("custom_dir", "theme")
    theme["custom_dir"] = str((root / theme["custom_dir"]).resolve())
    extra = {}
    if kiosk:
        theme["features"] = [f for f in theme.get("features") or [] if not str(f).startswith("navigation.instant")]
        extra["use_directory_urls"] = False
    cfg = load_config(
        config_file=str(root / "mkdocs.yml"),
        docs_dir=str(staged.docs_dir),
        site_dir=str(site_dir),
        nav=staged.nav,
        plugins=plugins,
        theme=theme,
        not_in_nav="/stories/\n",
        **extra,
    )
    return cfg
