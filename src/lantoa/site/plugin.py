"""The ``lantoa`` MkDocs plugin: shows the staged model through our Material overrides.

It renders nothing on its own: the stager (``lantoa.site.stage``) decided every
page; this plugin hands that data to the templates, keeps editor text escaped
and editor HTML sanitized, and puts ``dir`` on ``<html>``.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import posixpath
import re
import sys
import sysconfig
from pathlib import Path

import nh3
from jinja2 import FileSystemBytecodeCache, FileSystemLoader, pass_context
from markupsafe import Markup, escape
from mkdocs.config import base, config_options
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority
from mkdocs.structure import pages as mkdocs_pages
from mkdocs.structure.files import File
from mkdocs.theme import Theme
from mkdocs.utils import normalize_url

from . import images, incremental, material_strings, pagefacts, rendermemo, stage

#: what Markdown (with our extensions) produces, plus the inline tags editors may write
SAFE_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img", "ul", "ol", "li", "blockquote", "code", "pre", "em",
    "strong", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "div", "span", "sup", "sub", "abbr",
    "dl", "dt", "dd", "details", "summary", "figure", "figcaption", "kbd", "mark", "small", "b", "i", "q",
    "cite", "s", "u", "bdi", "ruby", "rt", "rp", "time", "dfn", "wbr", "del", "ins",
    "picture", "source",  # responsive images (lantoa.site.images); srcset is checked by _attribute_filter
}
SAFE_ATTRS = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href", "rel"},
    "img": {"src", "alt", "width", "height", "loading", "srcset", "sizes", "decoding", "style"},
    "source": {"srcset", "sizes", "type", "media", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "time": {"datetime"},
    "ol": {"start"},
    "details": {"open"},
}
_HTML_TAG = re.compile(r"<html\b([^>]*)>")
#: where installed packages live (a virtual environment's and, with --system-site-packages, the
#: system's): theme folders under them do not change during a build
_INSTALLED = tuple({Path(p).resolve() for p in sys.path if Path(p).name in ("site-packages", "dist-packages")}
                   | {Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")})


#: what Material ships that no page of ours loads: lunr and the search worker (our pages carry
#: no Material search box; lantoa-search.js searches the editions' own indexes) and the source
#: maps of its bundles (only a browser's developer tools fetch them). About 2.2 MB a site.
UNUSED_THEME_FILES = ("assets/javascripts/lunr/*", "assets/javascripts/workers/*", "*.map")


#: the only CSS an editor's page may carry: the image placeholder colour (lantoa.site.images)
SAFE_STYLES = {"background-color"}


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    # nh3 checks the schemes of href/src but not of srcset: keep only relative candidates,
    # so nothing in a srcset can load from another origin
    if attr == "srcset":
        for candidate in value.split(","):
            url = candidate.strip().split(" ")[0]
            if url.startswith(("/", "\\")) or re.match(r"[a-zA-Z][a-zA-Z0-9+.-]*:", url):
                return None
    return value


def sanitize(html: str) -> str:
    return nh3.clean(html, tags=SAFE_TAGS, attributes=SAFE_ATTRS, url_schemes={"http", "https", "mailto", "tel"},
                     link_rel=None, strip_comments=True, filter_style_properties=SAFE_STYLES,
                     attribute_filter=_attribute_filter)


@pass_context
def _picture_filter(context, pic: dict, alt: str = "", sizes: str = images.HERO_SIZES, priority: bool = False,
                    cls: str = "") -> Markup:
    """``{{ hero.picture | picture(alt=…, sizes=…, priority=True) }}``: the <picture> of a staged
    image, its URLs made relative to the page like Material's ``url`` filter does."""
    url_filter = context.environment.filters["url"]
    return Markup(images.picture_html(pic, str(alt), lambda path: url_filter(context, path), sizes=sizes,
                                      priority=priority, cls=cls))


#: theme folder -> the templates jinja2 lists in it, for folders no build changes (installed themes)
_LISTED: dict[str, tuple[str, ...]] = {}


class _ListingLoader(FileSystemLoader):
    """Lists an installed theme's folder once per process. MkDocs lists every theme folder to find
    its static files (``Files.add_files_from_theme``), and Material's holds some 15,000 icons:
    walking it and filtering the names was a tenth of an edition's build, in a worker that builds
    several editions. Our own folders (theme/, the generated partials) are listed afresh each time."""

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for path in self.searchpath:
            if _installed(path):
                if path not in _LISTED:
                    _LISTED[path] = _without_dot_paths(path)
                found.update(_LISTED[path])
            else:
                found.update(FileSystemLoader(path).list_templates())
        return sorted(found)


def _without_dot_paths(folder: str) -> tuple[str, ...]:
    """What ``FileSystemLoader(folder).list_templates()`` lists, but for the paths with a part that
    starts with a dot, which MkDocs skips anyway: their folders are not walked at all. Material's
    ``.icons`` holds 15,000 of its 15,200 files: listing it and dropping them took 64 ms of each
    edition worker's first build (of a one-story edit's 0.85 s), this 1 ms."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        rel = os.path.relpath(dirpath, folder).replace(os.sep, "/")
        found += [name if rel == "." else f"{rel}/{name}" for name in filenames if not name.startswith(".")]
    return tuple(sorted(found))


def _unused_theme_file(file) -> bool:
    """A file of an installed theme that no page of ours loads (:data:`UNUSED_THEME_FILES`)."""
    return (any(fnmatch.fnmatchcase(file.src_uri, pattern) for pattern in UNUSED_THEME_FILES)
            and file.abs_src_path is not None and _installed(file.abs_src_path))


def _installed(path: str) -> bool:
    return any(Path(path).resolve().is_relative_to(d) for d in _INSTALLED)


class _Theme(Theme):
    """MkDocs' theme whose template loader is a :class:`_ListingLoader`."""

    @classmethod
    def of(cls, theme: Theme) -> "_Theme":
        if isinstance(theme, cls):
            return theme
        ours = cls.__new__(cls)
        vars(ours).update(vars(theme))
        return ours

    def get_env(self):
        env = super().get_env()
        env.loader = _ListingLoader(self.dirs)
        return env


#: the theme's sitemap template (MkDocs', or mkdocs-static-i18n's)
SITEMAP = "sitemap.xml"

#: Material's primary navigation (the sidebar, and the drawer on phones)
NAV_TEMPLATE = "partials/nav.html"


def nav_memo_key(page, nav) -> str | None:
    """What Material's navigation depends on for ``page``, when it is the same for other pages:
    a page that is not in the navigation (a story) has no active item there, and the links are
    relative to its folder, so every such page in one folder gets the same navigation. None for
    a page in the navigation (its item is marked active, its table of contents may show there),
    and for one that a navigation item lies under (that link would be relative to the page)."""
    if page is None or nav is None or not isinstance(getattr(page, "url", None), str):
        return None
    pages = list(getattr(nav, "pages", []))
    if page in pages or any(p.url.startswith(page.url) for p in pages):
        return None
    return posixpath.dirname(page.url.rstrip("/"))


def _memoize_nav(env) -> None:
    """Render Material's navigation once per folder for the pages :func:`nav_memo_key` says share
    it (about a quarter of a story page's template time, for a hundred pages per edition), by
    wrapping the render function of this environment's own copy of the template; other pages
    render it as before. The memo lives as long as the environment: one edition's build."""
    template = env.get_template(NAV_TEMPLATE)
    render = template.root_render_func
    memo: dict[str, str] = {}

    def root(context):
        key = nav_memo_key(context.get("page"), context.get("nav"))
        if key is None:
            yield from render(context)
            return
        if key not in memo:
            memo[key] = "".join(render(context))
        yield memo[key]

    template.root_render_func = root


def _memoize_url(env) -> None:
    """MkDocs' ``url`` filter, remembered for this environment (one edition's build): Material's
    templates call it some sixty times a page, mostly with the same asset paths, and what it
    returns depends on the path, the page's URL and base_url alone (``normalize_url``)."""
    url_filter = env.filters["url"]
    memo: dict[tuple, str] = {}

    @pass_context
    def url(context, value):
        page = context["page"]
        key = (str(value), None if page is None else page.url, context["base_url"])
        if key not in memo:
            memo[key] = url_filter(context, value)
        return memo[key]

    env.filters["url"] = url


#: Python-Markdown's extensions whose state ``Markdown.reset`` clears (each registers its reset):
#: only with these alone is one instance used for every page (another project's extension might
#: keep something from one page to the next)
RESETS_CLEANLY = frozenset({
    "abbr", "admonition", "attr_list", "def_list", "fenced_code", "footnotes", "legacy_attrs", "legacy_em",
    "md_in_html", "nl2br", "sane_lists", "smarty", "tables", "toc", "wikilinks",
})


class _OneMarkdown:
    """Stands for the ``markdown`` module in :mod:`mkdocs.structure.pages` while an edition is
    built (:meth:`LantoaPlugin.on_pre_build` to ``on_post_build``). ``Page.render`` makes a new
    ``Markdown`` for every page, loading each extension again (a twentieth of an edition's render
    time); this hands back one instance, reset: Python-Markdown's way to convert several documents
    with one instance, every extension of :data:`RESETS_CLEANLY` clearing its state in ``reset``
    (footnotes only without ``UNIQUE_IDS``, whose ids count the resets). MkDocs then registers its
    per-page processors on it, each under its own name, which replaces the previous page's. With
    any other extension, a new instance each time, as MkDocs makes. Anything else is the module's
    own. ``tests/test_theme_listing.py`` pins the output to a build without it."""

    def __init__(self, module):
        self.module = module
        self.made: tuple[dict, object] | None = None  # (the arguments, the instance made with them)

    def __getattr__(self, name):
        return getattr(self.module, name)

    @staticmethod
    def _reusable(kwargs: dict) -> bool:
        names = kwargs.get("extensions") or []
        configs = kwargs.get("extension_configs") or {}
        return (set(kwargs) <= {"extensions", "extension_configs"}
                and all(isinstance(n, str) and n.removeprefix("markdown.extensions.") in RESETS_CLEANLY for n in names)
                and not any(n.removeprefix("markdown.extensions.") == "footnotes" and (c or {}).get("UNIQUE_IDS")
                            for n, c in configs.items()))

    def Markdown(self, **kwargs):  # noqa: N802 (the module's name)
        if self.made is not None and self.made[0] == kwargs:
            return self.made[1].reset()
        md = self.module.Markdown(**kwargs)
        if self._reusable(kwargs):
            self.made = (kwargs, md)
        return md


def _walk_order(rel: str) -> tuple:
    """Where os.walk of docs_dir, as MkDocs' ``get_files`` does it (folders and files sorted, an
    index first), would list page ``rel``: a folder's files before its subfolders'."""
    *folders, name = rel.split("/")
    return (*((1, f) for f in folders), (0, os.path.splitext(name)[0] not in ("index", "README"), name))


def _unchanged() -> bool:
    """``File.is_modified`` of a page reused from the kept edition."""
    return False


class LantoaPluginConfig(base.Config):
    enabled = config_options.Type(bool, default=True)
    work_dir = config_options.Type(str)
    language = config_options.Type(str)
    template_cache = config_options.Type(str, default="")
    #: the edition's memo of converted Markdown (lantoa.site.rendermemo), "" for none
    render_memo = config_options.Type(str, default="")
    #: give each page its Content-Security-Policy as it is written (not in a kiosk copy, whose
    #: pages change after the merge and get theirs then)
    policy = config_options.Type(bool, default=True)


class LantoaPlugin(BasePlugin[LantoaPluginConfig]):
    model: dict
    #: each written page's facts (lantoa.site.pagefacts), read by the edition's worker
    facts: pagefacts.Collector
    renders: rendermemo.RenderMemo | None = None  # this build's memo of converted Markdown, if any
    _files = None
    _writing = False  # MkDocs has read every page and writes them now (on_env)

    def on_config(self, config):
        # Per-build state: this language's model, and our generated Material partials
        # placed right after theme/ so they win over Material's own.
        work = Path(self.config.work_dir)
        self.model = json.loads((work / f"model.{self.config.language}.json").read_text("utf-8"))
        self.sources, self.kept = stage.read_edition(work, self.config.language)
        self._writing = False
        to_render = len(self.sources) - len(self.kept - {incremental.ERROR_PAGE})
        self.renders = (rendermemo.RenderMemo(Path(self.config.render_memo))
                        if self.config.render_memo and (to_render >= rendermemo.AT_LEAST or not self.kept) else None)
        self.facts = pagefacts.Collector(policy=self.config.policy)
        overrides = str(work / "overrides")
        if overrides not in config.theme.dirs:
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, overrides)
        config.theme = _Theme.of(config.theme)
        if incremental.ERROR_PAGE in self.kept:  # the kept edition's (incremental.reusable_pages)
            config.theme.static_templates = set(config.theme.static_templates) - {incremental.ERROR_PAGE}
        if config.site_url:
            # Each edition's sitemap is ours (lantoa.site.editions), with its hreflang alternates:
            # MkDocs' own, which every edition's build rendered, gzipped and saw written over, is
            # not rendered, nor copied as the theme file it then is (_edition_pages).
            config.theme.static_templates = set(config.theme.static_templates) - {SITEMAP}
        return config

    def _all_read(self, env, config, files):
        self._writing = True  # every page read: those MkDocs writes next are the changed ones
        return env

    def _template_env(self, env, config, files):
        # Template helpers, once per build.
        strings = self.model["strings"]
        env.globals["lt"] = lambda key, **kw: (strings.get(key) or key).format(**kw) if kw else (strings.get(key) or key)
        env.globals["lantoa_material_t"] = material_strings.translator(self.model["material_strings"])
        env.globals["lantoa"] = {}  # pages without staged data (404) see an empty record
        env.globals["lantoa_edition"] = {k: self.model[k] for k in ("lang", "dir", "script", "autonym")}
        env.globals["lantoa_edition"]["prefix"] = self.model["editions"][self.model["lang"]]
        env.globals["lantoa_editions"] = list(self.model["editions"])
        env.filters["picture"] = _picture_filter
        if self.config.template_cache:
            # Every edition's build makes a new Jinja environment, which would compile Material's ~35
            # templates again (a fifth of an edition's render time). Compiled code is kept on disk,
            # keyed by template name and checked against a hash of its source on every load.
            Path(self.config.template_cache).mkdir(parents=True, exist_ok=True)
            env.bytecode_cache = FileSystemBytecodeCache(self.config.template_cache)
        # Nothing changes the templates during an edition's build: Jinja need not look at each
        # one's file again at every {% include %} (by default it does, a stat each time).
        env.auto_reload = False
        _memoize_nav(env)
        _memoize_url(env)
        return env

    on_env = CombinedEvent(_all_read, _template_env)

    def _edition_pages(self, files, config):
        # The stager resolved every page of this edition into index.<lang>.md already, and no other
        # edition's Markdown is of use to this build: docs_dir is empty, and MkDocs gets this
        # edition's pages alone, in the order its walk of docs_dir would list them. The other
        # editions' pages would make mkdocs-static-i18n (priority -100, after us) sort every file of
        # every language and work out alternates for each: the bulk of a language build's time,
        # growing with languages × pages. The switcher's links come from the staged model instead
        # (on_page_context).
        for rel in sorted(self.sources, key=_walk_order):
            files.append(File(rel, config.docs_dir, config.site_dir, config.use_directory_urls))
        for file in [f for f in files if not f.is_documentation_page()
                     and (_unused_theme_file(f) or (config.site_url and f.src_uri == SITEMAP))]:
            files.remove(file)
        return files

    @event_priority(-150)
    def _page_texts(self, files, config):
        # After mkdocs-static-i18n, which makes a File of its own for each page: each gets its text
        # from memory (lantoa.site.stage.write_edition), except a page reused from the kept edition,
        # which MkDocs then neither reads nor renders (build(dirty=True)).
        sources, self.sources = self.sources, {}  # each text is held by its File alone
        self._files = files  # the edition's, as MkDocs renders them (the render memo keeps their pages')
        self._kept_texts: dict[str, str] = {}  # a kept page's path in docs_dir -> its text, until on_nav
        for file in files.documentation_pages():
            if file.dest_uri in self.kept:
                file.is_modified = _unchanged
                self._kept_texts[file.src_uri] = sources[file.src_uri]  # read only if it is in the navigation
            else:
                file.content_string = sources[file.src_uri]
        return files

    @event_priority(-150)
    def on_nav(self, nav, config, files):
        # A kept page that is in the navigation (the home, category, languages and editors' pages)
        # is read all the same, though not written: its title is in the navigation of every page
        # that is rendered, and MkDocs knows a page's title once it has read it. Written, it would
        # be as kept: the navigation and every title in it are inputs of every page of the edition
        # (lantoa.site.incremental.edition_inputs).
        texts, self._kept_texts = self._kept_texts, {}
        for page in nav.pages:
            if page.file.src_uri in texts:
                page.file.content_string = texts[page.file.src_uri]
                page.file.is_modified = self._reading
        return nav

    def _reading(self) -> bool:
        """``File.is_modified`` of a kept page in the navigation: modified while MkDocs reads the
        pages (so it reads this one), not once it writes them (on_env comes between)."""
        return not self._writing

    on_files = CombinedEvent(_edition_pages, _page_texts)

    def on_page_markdown(self, markdown, page, config, files):
        # Front-matter text reaches Material's templates unescaped ({{ page.meta.description }}),
        # so hand them escaped Markup; the title is plain text as well.
        for key in ("title", "description"):
            value = page.meta.get(key)
            if isinstance(value, str) and not isinstance(value, Markup):
                page.meta[key] = escape(value)
        if isinstance(page.title, str) and not isinstance(page.title, Markup):
            page.title = escape(page.title)
        # MkDocs has read the page's staged text (once, Page.read_source): let it go, or every
        # page's text would stay in memory twice (in its File and as its Markdown) to the end of
        # the edition's build (about 20 MB more per worker at 400 stories)
        page.file.content_string = ""
        return markdown

    @event_priority(-50)
    def on_page_content(self, html, page, config, files):
        # Body images first (the stager pointed them at lantoa-media:<key>): each becomes a
        # <picture> of its variants, with URLs relative to this page (a <figure> with the caption and
        # credit of the page's language when it has them). Then the last wall against script:
        # whatever Markdown let through is cut to an allowlist.
        record = self.model["pages"].get(page.meta.get("lantoa"), {})
        html = images.rewrite_html(html, record.get("images", {}), lambda path: normalize_url(path, page),
                                   strings=self.model["strings"])
        return sanitize(html)

    def on_page_context(self, context, page, config, nav):
        # Runs after mkdocs-static-i18n (priority 50) reset extra.alternate to the configured editions
        # (it stores the list as an attribute of config.extra, which Jinja's getattr finds before the
        # item). The switcher (our partials/alternate.html) keeps their names and order, links to this
        # page in each edition (from the model: on_files left static-i18n only this edition's files) and
        # learns which languages only fall back; the head gets absolute hreflang links + x-default.
        key = page.meta.get("lantoa")
        data = self.model["pages"].get(key, {}) if key else {}
        context["lantoa"] = data
        available = data.get("available", {})
        alternates = vars(config.extra).get("alternate") or config.extra.get("alternate") or []
        context["lantoa_switcher"] = [dict(a, fallback=not available.get(a["lang"], True),
                                           link=self._edition_link(a["lang"], data) or a["link"])
                                      for a in alternates]
        config.extra.alternate = self._head_alternates(config, data)
        return context

    def _edition_link(self, tag: str, data: dict) -> str | None:
        """This page in edition ``tag``, relative to the site root (for the ``url`` filter)."""
        if "path" not in data or tag not in self.model["editions"]:
            return None
        return self.model["editions"][tag] + data["path"] or "."

    def _head_alternates(self, config, data: dict) -> list[dict]:
        """rel=alternate hreflang links: absolute when site_url is set (search engines need that),
        else site-root-relative so the url filter makes them page-relative (mirrors, file://)."""
        if "path" not in data:
            return []
        base = (config.site_url or "").rstrip("/")
        editions = self.model["editions"]

        def link(tag: str) -> str:
            return f"{base}/{editions[tag]}{data['path']}" if base else self._edition_link(tag, data)

        out = [{"name": tag, "link": link(tag), "lang": tag} for tag in editions]
        out.append({"name": "x-default", "link": link(self.model["default"]), "lang": "x-default"})
        return out

    def on_pre_build(self, config):
        if not isinstance(mkdocs_pages.markdown, _OneMarkdown):
            mkdocs_pages.markdown = _OneMarkdown(mkdocs_pages.markdown)
        # the memo of converted Markdown only with extensions whose output is the text's alone
        # (looked at once, every plugin's on_config done)
        if self.renders is not None and not _OneMarkdown._reusable(
                {"extensions": config["markdown_extensions"], "extension_configs": config["mdx_configs"]}):
            self.renders = None

    def on_pre_page(self, page, config, files):
        # MkDocs calls page.render(config, files) next: the memo's, which calls MkDocs' own for a
        # page it has not converted before
        if self.renders is not None:
            page.render = functools.partial(self.renders.render, page)
        return page

    def on_post_build(self, config):
        self._one_markdown_done()
        if self.renders is not None:
            self.renders.save(self._files)

    def on_build_error(self, error):
        self._one_markdown_done()
        if self.renders is not None:
            self.renders.abandon()

    @staticmethod
    def _one_markdown_done() -> None:
        if isinstance(mkdocs_pages.markdown, _OneMarkdown):
            mkdocs_pages.markdown = mkdocs_pages.markdown.module

    @event_priority(-200)
    def on_post_page(self, output, page, config):
        # Last, after every other plugin. Material puts dir only on <body>; screen readers and CSS
        # :dir() want it on <html> too. Then the page as it will be written gets its policy, and its
        # facts are kept for the worker (lantoa.site.pagefacts).
        direction = self.model["dir"]
        output = _HTML_TAG.sub(lambda m: m.group(0) if "dir=" in m.group(1) else f'<html{m.group(1)} dir="{direction}">',
                               output, count=1)
        # Written next, the page's Markdown and HTML are of no more use here (no plugin of an
        # edition's build reads another page's), where MkDocs keeps every page to the end of the
        # build: let go of, they are the worker's memory for the search index and the facts
        # (5.5 MB for 100 Khmer stories). Its facts hold what the steps after need of it. The
        # Markdown is left empty, not None: MkDocs' Page.title is None without Markdown (and the
        # navigation of the pages rendered after it would show "None"); with the title in the
        # front matter, or found by the render, or neither, it is the same with "" as before.
        page.markdown, page.content = "", None
        return self.facts.page(page.file.dest_uri, output)

    @event_priority(-200)
    def on_post_template(self, output_content, template_name, config):
        # Pages MkDocs makes from a theme template alone (404.html), likewise.
        if not template_name.endswith(".html") or not output_content.strip():
            return output_content
        return self.facts.page(template_name, output_content)
