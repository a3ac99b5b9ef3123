"""The ``lantoa`` MkDocs plugin: shows the staged model through our Material overrides.

It renders nothing on its own: the stager (``lantoa.site.stage``) decided every
page; this plugin hands that data to the templates, keeps editor text escaped
and editor HTML sanitized, and puts ``dir`` on ``<html>``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nh3
from markupsafe import Markup, escape
from mkdocs.config import base, config_options
from mkdocs.plugins import BasePlugin, event_priority

#: what Markdown (with our extensions) produces, plus the inline tags editors may write
SAFE_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "ul", "ol", "li", "blockquote", "code", "pre", "em",
    "strong", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "div", "span", "sup", "sub", "abbr",
    "dl", "dt", "dd", "details", "summary", "figure", "figcaption", "kbd", "mark", "small", "b", "i", "q",
    "cite", "s", "u", "bdi", "ruby", "rt", "rp", "time", "dfn", "wbr", "del", "ins",
}
SAFE_ATTRS = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height", "loading"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "time": {"datetime"},
    "ol": {"start"},
    "details": {"open"},
}
_HTML_TAG = re.compile(r"<html\b([^>]*)>")


def sanitize(html: str) -> str:
    return nh3.clean(html, tags=SAFE_TAGS, attributes=SAFE_ATTRS, url_schemes={"http", "https", "mailto", "tel"},
                     link_rel=None, strip_comments=True)


def _root_relative(link: str) -> str:
    if "://" in link:
        return link
    return link.lstrip("/") or "."


class LantoaPluginConfig(base.Config):
    enabled = config_options.Type(bool, default=True)
    work_dir = config_options.Type(str)
    language = config_options.Type(str)


class LantoaPlugin(BasePlugin[LantoaPluginConfig]):
    model: dict

    def on_config(self, config):
        # Per-build state: this language's model, and our generated Material partials
        # placed right after theme/ so they win over Material's own.
        work = Path(self.config.work_dir)
        self.model = json.loads((work / f"model.{self.config.language}.json").read_text("utf-8"))
        overrides = str(work / "overrides")
        if overrides not in config.theme.dirs:
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, overrides)
        return config

    def on_env(self, env, config, files):
        # Template helpers, once per build.
        strings = self.model["strings"]
        env.globals["lt"] = lambda key, **kw: (strings.get(key) or key).format(**kw) if kw else (strings.get(key) or key)
        env.globals["lantoa"] = {}  # pages without staged data (404) see an empty record
        env.globals["lantoa_edition"] = {k: self.model[k] for k in ("lang", "dir", "script", "autonym")}
        return env

    def on_page_markdown(self, markdown, page, config, files):
        # Front-matter text reaches Material's templates unescaped ({{ page.meta.description }}),
        # so hand them escaped Markup; the title is plain text as well.
        for key in ("title", "description"):
            value = page.meta.get(key)
            if isinstance(value, str) and not isinstance(value, Markup):
                page.meta[key] = escape(value)
        if isinstance(page.title, str) and not isinstance(page.title, Markup):
            page.title = escape(page.title)
        return markdown

    @event_priority(-50)
    def on_page_content(self, html, page, config, files):
        # Last wall against script: whatever Markdown let through is cut to an allowlist.
        return sanitize(html)

    def on_page_context(self, context, page, config, nav):
        # Runs after mkdocs-static-i18n (priority 50) pointed extra.alternate at this page in each
        # language: the switcher (our partials/alternate.html) keeps those links, while the head's
        # rel=alternate links go back to each edition's root, where Material finds a sitemap.xml.
        key = page.meta.get("lantoa")
        context["lantoa"] = self.model["pages"].get(key, {}) if key else {}
        # static-i18n stores the per-page list as an attribute of config.extra (which Jinja's
        # getattr finds before the item), so read and reset it the same way.
        alternates = vars(config.extra).get("alternate") or config.extra.get("alternate") or []
        context["lantoa_switcher"] = [dict(a) for a in alternates]
        i18n = config.plugins.get("lantoa-i18n")
        if i18n is not None and i18n.extra_alternate:
            # site-root-relative ("km/"), so the url filter makes them page-relative and the site
            # works under any base path (embassy mirrors, file://)
            config.extra.alternate = [dict(a, link=_root_relative(a["link"])) for a in i18n.extra_alternate]
        return context

    @event_priority(-100)
    def on_post_page(self, output, page, config):
        # Material puts dir only on <body>; screen readers and CSS :dir() want it on <html> too.
        direction = self.model["dir"]
        return _HTML_TAG.sub(lambda m: m.group(0) if "dir=" in m.group(1) else f'<html{m.group(1)} dir="{direction}">',
                             output, count=1)
