"""Stage the MkDocs project: resolve every (page, language) from the model.

For each language edition the stager makes one Markdown text per page
(``index.<tag>.md``, the suffix structure mkdocs-static-i18n reads), already
resolved along the language's fallback chain, and ``model.<tag>.json`` with what
the templates show (cards, notices, strings). The texts of an edition's pages go
to its worker in one file, ``pages.<tag>.bin`` (:func:`write_edition`), and our
plugin hands them to MkDocs from memory (``lantoa.site.plugin``): the private
``docs/`` folder MkDocs is pointed at stays empty. A file per page would be one
more file created and read back for every page of every edition (1,332 files and
232 folders at 100 x 12), and each worker would walk every edition's pages. MkDocs
then only renders; every decision was taken here, from checked content.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..content import translations
from ..content.model import Entry, Project, Variant
from ..errors import LantoaError
from ..i18n.registry import Registry
from ..i18n.strings import LANTOA_KEYS
from . import api, images, material_strings

log = logging.getLogger(__name__)


class Models(dict):
    """tag -> an edition's staged model; a kept edition's is read from its kept staging only when
    something asks for it (:meth:`later`): after a one-story edit, nothing does for the eleven
    editions taken whole from the build cache (their sitemaps and feeds are kept too), and reading
    their models cost 10 ms each on the build's main process."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loaders: dict[str, Callable[[], dict | None]] = {}

    def later(self, tag: str, load: Callable[[], dict | None]) -> None:
        self.pop(tag, None)
        self.loaders[tag] = load

    def __missing__(self, tag: str) -> dict:
        load = self.loaders.pop(tag, None)
        if load is None:
            raise KeyError(tag)
        model = load()
        if not model:
            raise LantoaError(f"the kept staging of edition {tag} in .cache/lantoa/staged could not be read: "
                              "build again with --clean")
        self[tag] = model
        return model


@dataclass
class Staged:
    docs_dir: Path
    overrides_dir: Path
    languages: list[str]
    nav: list
    nav_translations: dict[str, dict[str, str]]
    pages: dict[str, int] = field(default_factory=dict)  # pages per language
    images: int = 0
    media_dir: Path | None = None  # variants, social cards, press kits: moved into the site by media_step
    #: tag -> the edition's model (model.<tag>.json), for this process only (not sent to the workers,
    #: which read their own edition's file)
    models: Models = field(default_factory=Models, repr=False)
    #: tag -> its pages' staged Markdown (path in docs_dir -> text), for this process only, while
    #: :func:`stage` hands the edition on (``staged_edition``): written for its worker by
    #: :func:`write_edition` for an edition that is rendered, not for one reused whole from the
    #: build cache (its key is hashed from these texts)
    sources: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)
    #: tag -> its staging key (:func:`staging_keyer`), for the editions it was worked out for
    keys: dict[str, str] = field(default_factory=dict, repr=False)

    _LOCAL = ("models", "sources", "keys")

    def __getstate__(self) -> dict:
        return {k: v for k, v in vars(self).items() if k not in self._LOCAL}

    def __setstate__(self, state: dict) -> None:
        vars(self).update(state, models=Models(), sources={}, keys={})


@dataclass
class Reuse:
    """How :func:`stage` skips an edition whose staging key (:func:`staging_keyer`) is the one a
    kept edition was staged with."""

    #: (staged) -> what every edition's key shares besides the content: the theme, configuration
    #: and language files, the renderers, lantoa's code and the build's options (lantoa.site.builder;
    #: called once our Material partials are written)
    common: Callable[[Staged], str]
    #: (staged, tag, staging key) -> True when it took the edition from what was kept: its model is
    #: in ``staged.models`` and its page count in ``staged.pages``, and it is handed on
    take: Callable[[Staged, str, str], bool]
    #: tests: stage a taken edition anyway, and call this with its model and sources in ``staged``
    #: (to compare its key with the taken one's); the taken model is put back after
    check: Callable[[Staged, str], None] | None = None
    #: editions that show a file this run read anew: their key cannot be a kept one's, so they are
    #: staged and handed on first, and their key is worked out after (:attr:`keep`)
    fresh: frozenset[str] = frozenset()
    #: (staged, tag) -> called for a :attr:`fresh` edition once its key is in ``staged.keys``
    keep: Callable[[Staged, str], None] | None = None


def _json_yaml(value) -> str:
    # JSON is valid YAML: no coercion surprises, everything quoted and escaped
    return json.dumps(value, ensure_ascii=False)


def _page_text(meta: dict, body: str) -> str:
    """A staged page: its front matter (title, description, template, model key) and Markdown."""
    lines = ["---"] + [f"{k}: {_json_yaml(v)}" for k, v in meta.items()] + ["---", body.rstrip("\n"), ""]
    return "\n".join(lines)


def pages_file(work: Path, lang: str) -> Path:
    """Where edition ``lang``'s staged pages are for its worker (:func:`write_edition`)."""
    return Path(work) / f"pages.{lang}.bin"


def write_edition(staged: Staged, lang: str, kept: frozenset[str] = frozenset()) -> None:
    """Write edition ``lang``'s staged pages and its model where its MkDocs run reads them: the
    model as ``model.<lang>.json``, the pages' texts (path in docs_dir -> Markdown) in one file,
    with ``kept``, the pages (paths in the edition's output) reused from its kept output, which
    MkDocs does not render again."""
    work = Path(staged.docs_dir).parent
    sources = staged.sources[lang]
    with open(pages_file(work, lang), "wb") as f:  # page by page: no bytes object of the whole edition
        marshal.dump((sorted(kept), len(sources)), f)
        for item in sources.items():
            marshal.dump(item, f)
    (work / f"model.{lang}.json").write_text(json.dumps(staged.models[lang], ensure_ascii=False, sort_keys=True),
                                             "utf-8")


def read_edition(work: Path, lang: str) -> tuple[dict[str, str], frozenset[str]]:
    """(the pages' texts by path in docs_dir, the kept pages) as :func:`write_edition` wrote them."""
    with open(pages_file(work, lang), "rb") as f:
        kept, count = marshal.load(f)
        pages = dict(marshal.load(f) for _ in range(count))
    return pages, frozenset(kept)


def resolve_variant(entry: Entry, registry: Registry, lang: str) -> Variant | None:
    """The variant a visitor of edition ``lang`` sees: their language, else along the chain, else the source."""
    for tag in registry.chain(lang) + [entry.source_lang]:
        v = entry.published_variant(tag)
        if v is not None:
            return v
    return None


def stage(project: Project, registry: Registry, langs: list[str], work: Path, cache_dir: Path | None = None,
          render: list[str] | None = None, staged_edition: Callable[[Staged, str], None] = write_edition,
          reuse: Reuse | None = None, media_staged: Callable[[], None] | None = None,
          left: dict[str, int] | None = None) -> Staged:
    """``langs``: the editions of the site; ``render``: those whose pages and model to stage (default:
    all; a ``--shard`` build renders a few, on a machine of its own). ``cache_dir`` is .cache/lantoa
    (None: no cache, as with --no-cache). ``staged_edition`` is called as soon as an edition's pages
    and model are in ``staged`` (everything but the editions' own is there before the first call);
    by default it writes them (:func:`write_edition`). Its pages' texts are let go after the call,
    so that only one edition's are held at a time. ``reuse``: an edition whose staging key is that
    of a kept one is not staged (:class:`Reuse`). ``media_staged`` is called once the images, social
    cards and press kits are (lantoa.site.images.stage_all), before the editions. ``left``: the
    files the last site left in ``work/media`` (lantoa.site.images.Left)."""
    render = langs if render is None else render
    reuse = reuse if cache_dir is not None else None
    docs = work / "docs"
    overrides = work / "overrides"
    docs.mkdir(parents=True)
    staged = Staged(docs, overrides, langs, nav=[], nav_translations={})
    # after an edit, the cards of the editions it changed first: the others' once those are handed on
    media = images.stage_all(project, registry, render, work, cache_dir,
                             first=[t for t in render if t in reuse.fresh] if reuse and reuse.fresh else None,
                             left=left)
    staged.images, staged.media_dir = media.count, media.root
    if media_staged is not None:
        media_staged()
    stories = project.published_stories()
    categories = [c for c in project.categories]
    for lang in langs:
        staged.nav_translations[lang] = {"nav.categories": registry.string(lang, "nav.categories")}
    material_strings.write_partials(overrides)
    nav: list = ["index.md", {"nav.categories": [f"categories/{c}/index.md" for c in categories]},
                 "languages/index.md"]
    nav += [f"{slug}/index.md" for slug in sorted(project.pages) if slug != "home" and project.pages[slug].published]
    staged.nav = nav
    across: dict[int, dict] = {}  # what a page says alike in every edition, worked out once (_across)
    keyer = (staging_keyer(project, registry, staged, stories, categories, media, across, reuse.common(staged))
             if reuse else None)
    unkeyed: list[str] = []  # fresh editions handed on, to be keyed

    def key_fresh() -> None:
        for tag in unkeyed:
            key = keyer(tag)
            if key is not None:
                staged.keys[tag] = key
                if reuse.keep is not None:
                    reuse.keep(staged, tag)
        unkeyed.clear()

    for lang in render:
        # an edition that shows a file read anew is not looked for among the kept ones: after a
        # one-story edit the workers start on them before the facts every key is made of are
        # hashed (0.1 s at 400 x 12), and their keys are worked out once they are handed on
        fresh = keyer is not None and lang in reuse.fresh
        if not fresh:
            key_fresh()
        key = keyer(lang) if keyer and not fresh else None
        taken = key is not None and reuse.take(staged, lang, key)
        if key is not None:
            staged.keys[lang] = key
        if taken and reuse.check is None:
            continue
        model = _language_model(project, registry, lang, stories, categories, media, across)
        sources = staged.sources[lang] = {}
        for page_key, page in model["pages"].items():
            meta = {"title": page["title"], "description": page["summary"], "template": page["template"],
                    "lantoa": page_key}
            sources[page["src"].replace("index.md", f"index.{lang}.md")] = _page_text(meta, page.pop("body", ""))
        if taken:  # staged only to be compared
            kept_model, staged.models[lang] = staged.models[lang], model
            reuse.check(staged, lang)
            staged.models[lang] = kept_model
        else:
            staged.pages[lang] = len(sources)
            staged.models[lang] = model
            staged_edition(staged, lang)
        del staged.sources[lang]
        if fresh:
            unkeyed.append(lang)
    key_fresh()
    media.complete()  # (done by the first key, when there is one) and the last site's files not put back deleted
    return staged


#: what a staging key covers, and how: a change voids the kept ones
STAGING_FORMAT = 1


def staging_keyer(project: Project, registry: Registry, staged: Staged, stories: list[Entry], categories: list[str],
                  media: images.MediaIndex, across: dict[int, dict], common: str) -> Callable[[str], str | None]:
    """A function giving each edition's staging key: a hash of everything staging it reads
    (:func:`_language_model`, :func:`_page_text`), worked out without staging it. What every
    edition reads alike is hashed once: ``common`` (the files and versions every edition's
    staging and rendering depend on), the navigation, the media (pictures, social cards, press
    kits), and for each story and page every field of every language version and its front
    matter, its translations' statuses and where each edition shows it. What is an edition's own
    is the language version it shows of each page, known by the content key of its file. An edit
    of one translation's text then changes the keys of the editions that show that translation,
    not the others': their staging (some 60 ms each at 400 stories) is skipped. The key is None
    when a shown file was read without the source memo (lantoa.content.memo): nothing is reused."""
    entries = stories + [project.pages[slug] for slug in sorted(project.pages)]
    head = hashlib.sha256(repr((STAGING_FORMAT, common, staged.languages, staged.nav, staged.nav_translations,
                                categories, [e.slug for e in stories])).encode())
    facts: list[bytes] = []
    ready: list[bool] = []

    def key(lang: str) -> str | None:
        if not ready:  # on the first call: the staging may skip every edition
            ready.append(True)
            media.complete()  # every card: the first editions' worker may have started before the others'
            head.update(_media_facts(media))
            facts.extend(hashlib.sha256(_entry_facts(e, registry, across)).digest() for e in entries)
        h = head.copy()
        h.update(lang.encode() + b"\0")
        for entry, fact in zip(entries, facts):
            v = resolve_variant(entry, registry, lang)
            if v is None:
                h.update(fact + b"\0-\0")
                continue
            if not v.doc.key:
                return None
            h.update(fact + v.lang.encode() + b"\0" + v.doc.key)
        return h.hexdigest()

    return key


def _media_facts(media: images.MediaIndex) -> bytes:
    value = (media.pictures, media.social, media.press, media.dirs)
    try:
        return marshal.dumps(value, 2)
    except ValueError:  # not marshal's types: its text then (slower, as exact)
        return repr(value).encode()


def _entry_facts(entry: Entry, registry: Registry, memo: dict[int, dict]) -> bytes:
    """Everything of a story or page that an edition's staging reads, but the text of the language
    version it shows: the entry's fields, every version's fields and front matter and status, and
    in which editions it is shown in their own language (_across)."""
    found = _across(entry, registry, memo)
    variants = entry.variants()
    status = translations.statuses(entry, [v.lang for v in variants])
    versions = [(v.lang, v.path, v.title, v.summary, v.status, v.hero_text, v.images, v.method, v.reviewed_by,
                 v.is_source, v.status_known, v.doc.meta, status[v.lang]) for v in variants]
    # repr: exact for these types; every dict in it is filled in an order that depends on the
    # files alone (tests/test_incremental.py checks the keys under two hash seeds), and a dict
    # whose keys came in another order only misses
    return repr((entry.kind, entry.slug, entry.date, entry.updated, entry.category, entry.tags, entry.authors,
                 entry.hero, entry.sources, versions, found["available"], found["translations"])).encode()


def _across(entry: Entry, registry: Registry, memo: dict[int, dict]) -> dict:
    """What a page says alike in every edition: for each edition, whether it shows the page in its
    own language (False: it falls back); for a story, its translations' statuses (the content
    API's). Worked out once per page, not once per edition (``memo``: by the entry's identity, for
    one staging)."""
    found = memo.get(id(entry))
    if found is None:
        found = memo[id(entry)] = {
            "available": {tag: (resolve_variant(entry, registry, tag) or entry.source).lang == tag
                          for tag in registry.tags()},
            "translations": api.translations(entry, registry.tags()) if entry.kind == "story" else {},
            "entry": entry,  # keeps the id unique while the memo lives
        }
    return found


def _language_model(project: Project, registry: Registry, lang: str, stories: list[Entry], categories: list[str],
                    media: images.MediaIndex, across: dict[int, dict] | None = None) -> dict:
    prefix = registry.prefix(lang)
    L = registry[lang]

    def t(key, **kw):
        return registry.string(lang, key, **kw)

    def cat(cid: str) -> dict:
        return {"id": cid, "name": t(f"category.{cid}"), "url": f"{prefix}categories/{cid}/"}

    def notices(entry: Entry, shown: Variant) -> list[dict]:
        out = []
        if shown.lang != lang:
            out.append({"kind": "fallback", "text": t("notice.fallback", language=L.autonym,
                                                       fallback=registry[shown.lang].autonym if shown.lang in registry else shown.lang)})
        if not shown.is_source and translations.status(entry, shown.lang) == translations.OUTDATED:
            out.append({"kind": "outdated", "text": t("notice.outdated")})
        if shown.unreviewed_machine:
            out.append({"kind": "machine", "text": t("notice.machine")})
        if out and entry.source and shown is not entry.source:
            src_lang = entry.source.lang
            out.append({"kind": "source", "text": t("notice.read_source", language=registry[src_lang].autonym),
                        "url": f"{registry.prefix(src_lang)}{entry.url_path}", "lang": src_lang})
        return out

    memo = {} if across is None else across

    def available(entry: Entry) -> dict[str, bool]:
        return dict(_across(entry, registry, memo)["available"])

    def card(entry: Entry) -> dict:
        v = resolve_variant(entry, registry, lang)
        hero = None
        if entry.hero:
            hero = media.hero(entry, [lang, v.lang], card=True,
                              alt=v.hero_text.get("alt") or entry.source.hero_text.get("alt", ""))
        return {"url": f"{prefix}{entry.url_path}", "title": v.title, "summary": v.summary,
                "date": entry.date.date().isoformat() if entry.date else "", "lang": v.lang,
                "dir": registry[v.lang].dir if v.lang in registry else "ltr",
                "fallback": v.lang != lang, "machine": v.unreviewed_machine,
                "category": cat(entry.category), "hero": hero}

    cards = [card(s) for s in stories]
    pages: dict[str, dict] = {}
    for entry in stories:
        v = resolve_variant(entry, registry, lang)
        src = entry.source
        hero = None
        if entry.hero:
            text = dict(src.hero_text)
            text.update({k: val for k, val in v.hero_text.items() if val})
            # the caption as a body image's: its own, else the source's marked with its language
            text.update(media.caption(entry, v, v.hero_text.get("caption", ""), src.hero_text.get("caption", "")))
            hero = media.hero(entry, [lang, v.lang], card=False, **{k: text.get(k, "") for k in (
                "alt", "caption", "credit", "license", "caption_lang", "caption_dir")})
        body, used = media.body(entry, v, lang)
        pages[f"story:{entry.slug}"] = {
            "kind": "story", "src": f"stories/{entry.slug}/index.md", "template": "story.html",
            "title": v.title, "summary": v.summary, "body": body, "images": used, "lang": v.lang,
            "social": media.social.get((entry.slug, v.lang)), "press_kit": media.press.get(entry.slug),
            "dir": registry[v.lang].dir if v.lang in registry else "ltr",
            "date": entry.date.date().isoformat() if entry.date else "",
            "updated": entry.updated.date().isoformat() if entry.updated else "",
            "category": cat(entry.category), "tags": entry.tags, "authors": entry.authors, "hero": hero,
            "sources": [{"title": s.title, "url": s.url, "as_of": s.as_of.isoformat() if s.as_of else ""}
                        for s in entry.sources],
            "notices": notices(entry, v), "path": entry.url_path, "available": available(entry),
            "translations": dict(_across(entry, registry, memo)["translations"]),  # the content API's
        }
    home = project.pages.get("home")
    hv = resolve_variant(home, registry, lang) if home else None
    body, used = media.body(home, hv, lang) if hv else ("", {})
    pages["home"] = {
        "kind": "home", "src": "index.md", "template": "home.html",
        "title": hv.title if hv else t("site.name"), "summary": hv.summary if hv else t("site.description"),
        "body": body, "images": used, "lang": hv.lang if hv else lang,
        "dir": registry[hv.lang].dir if hv and hv.lang in registry else L.dir,
        "notices": notices(home, hv) if hv else [], "cards": cards, "path": "",
        "stories": [entry.slug for entry in stories],  # newest first, as the content API lists them
        "available": available(home) if home else {},
        # the root suggests (never redirects to) the edition the browser prefers: each line in its own language
        "suggestions": [
            {"tag": tag, "url": registry.prefix(tag), "dir": registry[tag].dir,
             "text": registry.string(tag, "lang.suggest", language=registry[tag].autonym),
             "text_lang": registry.string_lang(tag, "lang.suggest"),
             "dismiss": registry.string(tag, "lang.suggest_dismiss")}
            for tag in registry.tags() if tag != lang
        ] if lang == registry.default else [],
    }
    for cid in categories:
        in_cat = [c for c in cards if c["category"]["id"] == cid]
        pages[f"category:{cid}"] = {
            "kind": "category", "src": f"categories/{cid}/index.md", "template": "category.html",
            "title": t("category.title", category=t(f"category.{cid}")), "summary": t("site.description"),
            "body": "", "lang": lang, "dir": L.dir, "cards": in_cat, "notices": [],
            "path": f"categories/{cid}/", "available": {tag: True for tag in registry.tags()},
        }
    counts = {tag: sum(1 for s in stories if s.published_variant(tag)) for tag in registry.tags()}
    pages["languages"] = {
        "kind": "languages", "src": "languages/index.md", "template": "languages.html",
        "title": t("nav.languages"), "summary": t("languages.intro"), "body": "", "lang": lang, "dir": L.dir,
        "notices": [], "path": "languages/", "available": {tag: True for tag in registry.tags()},
        "languages": [
            {"tag": tag, "autonym": registry[tag].autonym, "name": registry[tag].name, "dir": registry[tag].dir,
             "script": registry[tag].script, "native_checked": registry[tag].native_checked,
             "url": registry.prefix(tag), "stories": counts[tag]}
            for tag in registry.tags()
        ],
    }
    for slug, entry in sorted(project.pages.items()):
        if slug == "home" or not entry.published:
            continue
        v = resolve_variant(entry, registry, lang)
        body, used = media.body(entry, v, lang)
        pages[f"page:{slug}"] = {
            "kind": "page", "src": f"{slug}/index.md", "template": "page.html", "title": v.title,
            "summary": v.summary, "body": body, "images": used, "lang": v.lang,
            "dir": registry[v.lang].dir if v.lang in registry else "ltr", "notices": notices(entry, v),
            "path": entry.url_path, "available": available(entry),
        }
    return {
        "lang": lang, "dir": L.dir, "script": L.script, "autonym": L.autonym, "default": registry.default,
        "editions": {tag: registry.prefix(tag) for tag in registry.tags()},
        "strings": {k: t(k) for k in LANTOA_KEYS},
        "material_strings": material_strings.resolved(registry, lang),  # Material's (lantoa_material_t)
        "pages": pages,
    }
