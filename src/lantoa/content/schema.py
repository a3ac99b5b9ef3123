"""Front-matter schema: types, required keys, unknown keys with a did-you-mean.

Turns a Document's raw meta into typed values on the model and reports every
problem with its line and column. Semantic rules that need the whole project
(categories, languages, dates in the future, safety) live in ``lantoa.validate``.
"""

from __future__ import annotations

import datetime as dt
import difflib

from ..diagnostics import Diagnostic, error, warning
from .frontmatter import Document
from .model import IMAGE_TEXT_KEYS, METHODS, STATUSES, Entry, Hero, SourceRef, Variant

STORY_SOURCE_KEYS = {
    "title", "summary", "date", "category", "updated", "lang", "tags", "authors", "hero", "images", "sources",
    "status",
}
PAGE_SOURCE_KEYS = {"title", "summary", "lang", "status", "updated", "images"}
TRANSLATION_KEYS = {"title", "summary", "hero", "images", "status", "translation", "updated"}
HERO_KEYS = {"src", "alt", "caption", "credit", "license"}
#: in this order (a tuple, not a set, whose order differs between processes): a story's hero text
#: is filled in it, and what is made from it must be the same in every process
HERO_TRANSLATABLE = ("alt", "caption", "credit", "license")
IMAGE_KEYS = set(IMAGE_TEXT_KEYS)  # under each file name of 'images:', in the source and in translations
SOURCE_KEYS = {"title", "url", "as_of"}
TRANSLATION_BLOCK_KEYS = {"method", "reviewed_by", "source_hash"}
MAX_TITLE = 120
MAX_SUMMARY = 300


class Checker:
    def __init__(self, doc: Document, rel: str, diags: list[Diagnostic]):
        self.doc, self.rel, self.diags = doc, rel, diags

    def err(self, path: tuple, code: str, message: str, hint: str = "") -> None:
        p = self.doc.pos(*path)
        self.diags.append(error(self.rel, p.line, p.col, code, message, hint))

    def warn(self, path: tuple, code: str, message: str, hint: str = "") -> None:
        p = self.doc.pos(*path)
        self.diags.append(warning(self.rel, p.line, p.col, code, message, hint))

    def unknown_keys(self, data: dict, allowed: set, path: tuple = (), what: str = "") -> None:
        for key in data:
            if key in allowed:
                continue
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1, cutoff=0.6)
            hint = f"did you mean '{close[0]}'?" if close else f"known keys{what}: {', '.join(sorted(allowed))}"
            self.warn(path + (key,), "unknown-key", f"unknown key '{key}'{what}", hint)

    def text(self, data: dict, key: str, path: tuple = (), required: bool = False, limit: int = 0) -> str:
        value = data.get(key)
        if value is None:
            if required:
                p = path + (key,)
                where = f" under '{path[-1]}'" if path else ""
                self.err(p, "missing-field", f"required field '{key}'{where} is missing",
                         f"add '{key}:'{where} (see docs/writing.md)")
            return ""
        if isinstance(value, bool) or not isinstance(value, str):
            self.err(path + (key,), "wrong-type", f"'{key}' must be text, not {_kind(value)}",
                     f"write {key}: \"...\" on one line")
            return ""
        value = value.strip()
        if required and not value:
            where = f" under '{path[0]}'" if path else ""
            self.err(path + (key,), "missing-field", f"'{key}'{where} is empty", f"write the {key}")
        if limit and len(value) > limit:
            self.err(path + (key,), "too-long", f"'{key}' has {len(value)} characters; at most {limit}",
                     f"shorten the {key}")
        return value

    def text_list(self, data: dict, key: str) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        if isinstance(value, str):
            self.err((key,), "wrong-type", f"'{key}' must be a list", f"write {key}: [{value}]")
            return []
        if not isinstance(value, list):
            self.err((key,), "wrong-type", f"'{key}' must be a list of text, not {_kind(value)}", f"write {key}: [a, b]")
            return []
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, str) or isinstance(item, bool):
                self.err((key, i), "wrong-type", f"item {i + 1} of '{key}' must be text, not {_kind(item)}", "quote it")
            elif item.strip():
                out.append(item.strip())
        return out

    def date(self, data: dict, key: str, path: tuple = (), required: bool = False) -> dt.datetime | None:
        value = data.get(key)
        if value is None:
            if required:
                self.err(path + (key,), "missing-field", f"required field '{key}' is missing",
                         f"add '{key}: YYYY-MM-DD'")
            return None
        if not isinstance(value, str):
            self.err(path + (key,), "wrong-type", f"'{key}' must be an ISO 8601 date, not {_kind(value)}",
                     f"write {key}: 2024-05-01")
            return None
        parsed = parse_date(value)
        if parsed is None:
            self.err(path + (key,), "bad-date", f"'{value}' is not an ISO 8601 date",
                     f"write {key}: YYYY-MM-DD (or YYYY-MM-DDTHH:MM:SS+07:00)")
        return parsed

    def mapping(self, data: dict, key: str) -> dict | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.err((key,), "wrong-type", f"'{key}' must be a set of 'name: value' lines, not {_kind(value)}",
                     f"indent its fields under '{key}:'")
            return None
        return value

    def images(self, data: dict, variant: Variant) -> None:
        """``images: {photo.jpg: {alt, caption, credit, license}}``: the text of the body's images in
        this file's language, into ``variant.images``. Whether each name is a file the body shows is
        checked by lantoa.validate (it needs the folder and the body)."""
        images = self.mapping(data, "images")
        for name, meta in (images or {}).items():
            path = ("images", name)
            if not isinstance(name, str) or not name.strip():
                self.err(path, "wrong-type", f"'{name}' under 'images' must be an image's file name",
                         "write the file name the text shows, e.g. 'photo.jpg:'")
                continue
            if not isinstance(meta, dict):
                self.err(path, "wrong-type", f"'images: {name}' must be a set of 'name: value' lines, not {_kind(meta)}",
                         f"indent 'alt:', 'caption:', 'credit:' or 'license:' under '{name}:'")
                continue
            self.unknown_keys(meta, IMAGE_KEYS, path, f" under 'images: {name}'")
            text = {key: self.text(meta, key, path) for key in IMAGE_TEXT_KEYS}
            variant.images[name] = {k: v for k, v in text.items() if v}

    def choice(self, data: dict, key: str, choices: tuple, default: str, path: tuple = ()) -> str:
        value = data.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or value not in choices:
            close = difflib.get_close_matches(str(value), choices, n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(choices)}"
            self.err(path + (key,), "bad-value", f"'{key}' must be one of {', '.join(choices)}, not '{value}'", hint)
            return default
        return value


def parse_date(value: str) -> dt.datetime | None:
    """ISO 8601 date or date-time; naive values are taken as Viet Nam time (UTC+7)."""
    text = value.strip()
    try:
        if len(text) == 10:
            d = dt.date.fromisoformat(text)
            parsed = dt.datetime(d.year, d.month, d.day)
        else:
            parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone(dt.timedelta(hours=7)))
    return parsed


def _kind(value) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return type(value).__name__


def read_source(entry: Entry, variant: Variant, diags: list[Diagnostic]) -> None:
    """Fill ``entry`` and ``variant`` from a source file's front matter."""
    data, c = variant.doc.meta, Checker(variant.doc, variant.path, diags)
    story = entry.kind == "story"
    c.unknown_keys(data, STORY_SOURCE_KEYS if story else PAGE_SOURCE_KEYS)
    variant.title = c.text(data, "title", required=True, limit=MAX_TITLE)
    variant.summary = c.text(data, "summary", required=True, limit=MAX_SUMMARY)
    variant.status = c.choice(data, "status", STATUSES, "draft")
    variant.status_known = data.get("status") is None or data.get("status") in STATUSES
    entry.updated = c.date(data, "updated")
    c.images(data, variant)
    if not story:
        return
    entry.date = c.date(data, "date", required=True)
    entry.category = c.text(data, "category", required=True)
    entry.tags = c.text_list(data, "tags")
    entry.authors = c.text_list(data, "authors")
    hero = c.mapping(data, "hero")
    if hero is not None:
        c.unknown_keys(hero, HERO_KEYS, ("hero",), " under 'hero'")
        src = c.text(hero, "src", ("hero",), required=True)
        alt = c.text(hero, "alt", ("hero",))
        if not alt and hero.get("alt") is None:
            c.err(("hero",), "missing-alt", "hero image has no alt text", "add 'alt:' under 'hero:' describing the picture")
        entry.hero = Hero(src=src, alt=alt)
        for key in HERO_TRANSLATABLE:
            variant.hero_text[key] = c.text(hero, key, ("hero",)) if key != "alt" else alt
    sources = data.get("sources")
    if sources is not None:
        if not isinstance(sources, list):
            c.err(("sources",), "wrong-type", "'sources' must be a list", "start each source with '- title: ...'")
        else:
            for i, item in enumerate(sources):
                if not isinstance(item, dict):
                    c.err(("sources", i), "wrong-type", f"source {i + 1} must have title, url and as_of",
                          "write '- title: ...' then 'url: ...' and 'as_of: ...' indented")
                    continue
                c.unknown_keys(item, SOURCE_KEYS, ("sources", i), " in a source")
                title = c.text(item, "title", ("sources", i), required=True)
                url = c.text(item, "url", ("sources", i), required=True)
                as_of = c.date(item, "as_of", ("sources", i), required=True)
                entry.sources.append(SourceRef(title, url, as_of.date() if as_of else None))


def read_translation(entry: Entry, variant: Variant, diags: list[Diagnostic]) -> None:
    data, c = variant.doc.meta, Checker(variant.doc, variant.path, diags)
    c.unknown_keys(data, TRANSLATION_KEYS if entry.kind == "story" else TRANSLATION_KEYS - {"hero"},
                   what=" in a translation")
    for inherited in ("date", "category", "sources", "tags", "lang"):
        if inherited in data:
            c.warn((inherited,), "inherited-field", f"'{inherited}' is set in the source file only; ignored here",
                   f"remove '{inherited}:' from the translation")
    variant.title = c.text(data, "title", required=True, limit=MAX_TITLE)
    variant.summary = c.text(data, "summary", required=True, limit=MAX_SUMMARY)
    default_status = entry.source.status if entry.source else "draft"
    variant.status = c.choice(data, "status", STATUSES, default_status)
    variant.status_known = data.get("status") is None or data.get("status") in STATUSES
    c.images(data, variant)
    hero = c.mapping(data, "hero")
    if hero is not None:
        c.unknown_keys(hero, HERO_TRANSLATABLE, ("hero",), " under 'hero' in a translation")
        for key in HERO_TRANSLATABLE:
            value = c.text(hero, key, ("hero",))
            if value:
                variant.hero_text[key] = value
    block = c.mapping(data, "translation")
    if block is not None:
        c.unknown_keys(block, TRANSLATION_BLOCK_KEYS, ("translation",), " under 'translation'")
        variant.method = c.choice(block, "method", METHODS, "human", ("translation",))
        variant.reviewed_by = c.text(block, "reviewed_by", ("translation",))
