"""Stage the MkDocs project: resolve every (page, language) from the model.

For each language edition the stager writes one Markdown file per page into a
private ``docs/`` (``index.<tag>.md``, the suffix structure mkdocs-static-i18n
reads), already resolved along the language's fallback chain, plus
``model.<tag>.json`` with what the templates show (cards, notices, strings).
MkDocs then only renders; every decision was taken here, from checked content.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..content.model import Entry, Project, Variant
from ..i18n.registry import Registry
from ..i18n.strings import LANTOA_KEYS
from .. import media
from . import material_strings

log = logging.getLogger(__name__)


@dataclass
class Staged:
    docs_dir: Path
    overrides_dir: Path
    languages: list[str]
    nav: list
    nav_translations: dict[str, dict[str, str]]
    pages: dict[str, int] = field(default_factory=dict)  # pages per language
    images: int = 0


def _json_yaml(value) -> str:
    # JSON is valid YAML: no coercion surprises, everything quoted and escaped
    return json.dumps(value, ensure_ascii=False)


def _write_page(path: Path, meta: dict, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["---"] + [f"{k}: {_json_yaml(v)}" for k, v in meta.items()] + ["---", body.rstrip("\n"), ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def resolve_variant(entry: Entry, registry: Registry, lang: str) -> Variant | None:
    """The variant a visitor of edition ``lang`` sees: their language, else along the chain, else the source."""
    for tag in registry.chain(lang) + [entry.source_lang]:
        v = entry.published_variant(tag)
        if v is not None:
            return v
    return None


def stage(project: Project, registry: Registry, langs: list[str], work: Path) -> Staged:
    docs = work / "docs"
    overrides = work / "overrides"
    docs.mkdir(parents=True)
    staged = Staged(docs, overrides, langs, nav=[], nav_translations={})
    dims = _stage_media(project, docs)
    staged.images = len(dims)
    stories = project.published_stories()
    categories = [c for c in project.categories]
    for lang in langs:
        model = _language_model(project, registry, lang, stories, categories, dims)
        count = 0
        for key, page in model["pages"].items():
            meta = {"title": page["title"], "description": page["summary"], "template": page["template"],
                    "lantoa": key}
            _write_page(docs / page["src"].replace("index.md", f"index.{lang}.md"), meta, page.pop("body", ""))
            count += 1
        staged.pages[lang] = count
        (work / f"model.{lang}.json").write_text(json.dumps(model, ensure_ascii=False, sort_keys=True), "utf-8")
        staged.nav_translations[lang] = {"nav.categories": registry.string(lang, "nav.categories")}
    material_strings.write_partials(registry, langs, overrides)
    nav: list = ["index.md", {"nav.categories": [f"categories/{c}/index.md" for c in categories]},
                 "languages/index.md"]
    nav += [f"{slug}/index.md" for slug in sorted(project.pages) if slug != "home" and project.pages[slug].published]
    staged.nav = nav
    return staged


def _stage_media(project: Project, docs: Path) -> dict[str, tuple[int, int]]:
    """Re-encode every image of every published story; returns staged path -> (width, height)."""
    dims: dict[str, tuple[int, int]] = {}
    for entry in project.published_stories():
        for path in sorted(entry.dir.iterdir()):
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png", ".webp") or path.is_symlink():
                continue
            out = docs / "stories" / entry.slug / path.name
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                full = media.process(path)
            except media.MediaError as exc:
                from ..errors import LantoaError

                raise LantoaError(f"{path.relative_to(project.root).as_posix()}: {exc} — {exc.hint}") from None
            out.write_bytes(full.data)
            dims[f"stories/{entry.slug}/{path.name}"] = (full.width, full.height)
            if entry.hero and path.name == entry.hero.src:
                card = media.process(path, max_width=640)
                (out.parent / f"card-{path.name}").write_bytes(card.data)
                dims[f"stories/{entry.slug}/card-{path.name}"] = (card.width, card.height)
    return dims


def _edition_prefix(registry: Registry, lang: str) -> str:
    return "" if lang == registry.default else f"{lang}/"


def _language_model(project: Project, registry: Registry, lang: str, stories: list[Entry], categories: list[str],
                    dims: dict[str, tuple[int, int]]) -> dict:
    prefix = _edition_prefix(registry, lang)
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
        if shown.unreviewed_machine:
            out.append({"kind": "machine", "text": t("notice.machine")})
        if out and entry.source and shown is not entry.source:
            src_lang = entry.source.lang
            out.append({"kind": "source", "text": t("notice.read_source", language=registry[src_lang].autonym),
                        "url": f"{_edition_prefix(registry, src_lang)}{entry.url_path}", "lang": src_lang})
        return out

    def card(entry: Entry) -> dict:
        v = resolve_variant(entry, registry, lang)
        hero = None
        if entry.hero:
            src = f"stories/{entry.slug}/card-{entry.hero.src}"
            w, h = dims.get(src, (0, 0))
            hero = {"src": src, "width": w, "height": h,
                    "alt": v.hero_text.get("alt") or entry.source.hero_text.get("alt", "")}
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
            hsrc = f"stories/{entry.slug}/{entry.hero.src}"
            w, h = dims.get(hsrc, (0, 0))
            hero = {"src": hsrc, "width": w, "height": h,
                    **{k: text.get(k, "") for k in ("alt", "caption", "credit", "license")}}
        pages[f"story:{entry.slug}"] = {
            "kind": "story", "src": f"stories/{entry.slug}/index.md", "template": "story.html",
            "title": v.title, "summary": v.summary, "body": v.body, "lang": v.lang,
            "dir": registry[v.lang].dir if v.lang in registry else "ltr",
            "date": entry.date.date().isoformat() if entry.date else "",
            "updated": entry.updated.date().isoformat() if entry.updated else "",
            "category": cat(entry.category), "tags": entry.tags, "authors": entry.authors, "hero": hero,
            "sources": [{"title": s.title, "url": s.url, "as_of": s.as_of.isoformat() if s.as_of else ""}
                        for s in entry.sources],
            "notices": notices(entry, v),
        }
    home = project.pages.get("home")
    hv = resolve_variant(home, registry, lang) if home else None
    pages["home"] = {
        "kind": "home", "src": "index.md", "template": "home.html",
        "title": hv.title if hv else t("site.name"), "summary": hv.summary if hv else t("site.description"),
        "body": hv.body if hv else "", "lang": hv.lang if hv else lang,
        "dir": registry[hv.lang].dir if hv and hv.lang in registry else L.dir,
        "notices": notices(home, hv) if hv else [], "cards": cards,
    }
    for cid in categories:
        in_cat = [c for c in cards if c["category"]["id"] == cid]
        pages[f"category:{cid}"] = {
            "kind": "category", "src": f"categories/{cid}/index.md", "template": "category.html",
            "title": t("category.title", category=t(f"category.{cid}")), "summary": t("site.description"),
            "body": "", "lang": lang, "dir": L.dir, "cards": in_cat, "notices": [],
        }
    counts = {tag: sum(1 for s in stories if s.published_variant(tag)) for tag in registry.tags()}
    pages["languages"] = {
        "kind": "languages", "src": "languages/index.md", "template": "languages.html",
        "title": t("nav.languages"), "summary": t("languages.intro"), "body": "", "lang": lang, "dir": L.dir,
        "notices": [],
        "languages": [
            {"tag": tag, "autonym": registry[tag].autonym, "name": registry[tag].name, "dir": registry[tag].dir,
             "script": registry[tag].script, "native_checked": registry[tag].native_checked,
             "url": _edition_prefix(registry, tag), "stories": counts[tag]}
            for tag in registry.tags()
        ],
    }
    for slug, entry in sorted(project.pages.items()):
        if slug == "home" or not entry.published:
            continue
        v = resolve_variant(entry, registry, lang)
        pages[f"page:{slug}"] = {
            "kind": "page", "src": f"{slug}/index.md", "template": "page.html", "title": v.title,
            "summary": v.summary, "body": v.body, "lang": v.lang,
            "dir": registry[v.lang].dir if v.lang in registry else "ltr", "notices": notices(entry, v),
        }
    return {
        "lang": lang, "dir": L.dir, "script": L.script, "autonym": L.autonym,
        "strings": {k: t(k) for k in LANTOA_KEYS},
        "pages": pages,
    }
