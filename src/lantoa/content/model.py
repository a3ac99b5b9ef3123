"""The in-memory model of the content: read and checked before anything renders."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .frontmatter import Document

STATUSES = ("draft", "review", "published")
METHODS = ("human", "machine")
#: what the front matter's ``images:`` says about one body image; credit and licence may come from the source
IMAGE_TEXT_KEYS = ("alt", "caption", "credit", "license")
IMAGE_SHARED = ("credit", "license")
#: what a translator translates of an image (credit and licence are names: the same in every language)
IMAGE_TRANSLATED = ("alt", "caption")


@dataclass
class Hero:
    src: str
    alt: str = ""
    caption: str = ""
    credit: str = ""
    license: str = ""


@dataclass
class SourceRef:
    title: str
    url: str
    as_of: dt.date | None = None


@dataclass
class Variant:
    """One language version of an entry (the source file or a translation)."""

    lang: str
    path: str  # relative to the project root
    doc: Document
    title: str = ""
    summary: str = ""
    status: str = "draft"
    hero_text: dict = field(default_factory=dict)  # alt/caption/credit/license in this language
    #: body images' text in this language: file name (as the body writes it) -> alt/caption/credit/license
    images: dict[str, dict[str, str]] = field(default_factory=dict)
    method: str = "human"
    reviewed_by: str = ""
    is_source: bool = False
    status_known: bool = True  # False when 'status' had a value we could not read (then nothing is softened)

    @property
    def body(self) -> str:
        return self.doc.body

    @property
    def body_line(self) -> int:
        return self.doc.body_line

    @property
    def unreviewed_machine(self) -> bool:
        return self.method == "machine" and not self.reviewed_by

    def translated_text(self) -> tuple[str, ...]:
        """What a translator translates: title, summary, body, then the alt text and caption of the
        hero and of each body image (by file name), each labelled and only when written, so that
        a file without image text hashes as it did before images counted."""
        images = [(f"hero.{key}", self.hero_text.get(key, "")) for key in IMAGE_TRANSLATED]
        images += [(f"images.{name}.{key}", self.images[name].get(key, ""))
                   for name in sorted(self.images) for key in IMAGE_TRANSLATED]
        return (self.title, self.summary, self.body) + tuple(part for pair in images if pair[1] for part in pair)

    def __getstate__(self) -> dict:
        # kept between runs without the texts its hash was made from (its body among them: a
        # kept document reads its body when asked, lantoa.content.frontmatter.Document)
        state = dict(self.__dict__)
        state.pop("_text_hash", None)
        return state

    def text_hash(self) -> str:
        """Hash of :meth:`translated_text`. Kept with the texts it was made from (a build asks for
        it once per story, language and output: tens of thousands of times), and made again when
        any of them changed."""
        parts = self.translated_text()
        kept = self.__dict__.get("_text_hash")
        if kept is not None and kept[0] == parts:
            return kept[1]
        h = hashlib.sha256()
        for part in parts:
            h.update(part.encode("utf-8"))
            h.update(b"\x00")
        self.__dict__["_text_hash"] = (parts, h.hexdigest())
        return self.__dict__["_text_hash"][1]


@dataclass
class Entry:
    """A story (``content/stories/<slug>``) or a page (``content/pages/<name>``)."""

    kind: str  # "story" | "page"
    slug: str
    dir: Path
    source: Variant | None = None
    translations: dict[str, Variant] = field(default_factory=dict)
    date: dt.datetime | None = None
    updated: dt.datetime | None = None
    category: str = ""
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    hero: Hero | None = None
    sources: list[SourceRef] = field(default_factory=list)

    @property
    def source_lang(self) -> str:
        return self.source.lang if self.source else "vi"

    @property
    def published(self) -> bool:
        return self.source is not None and self.source.status == "published"

    def variant(self, lang: str) -> Variant | None:
        if self.source and self.source.lang == lang:
            return self.source
        return self.translations.get(lang)

    def image_text(self, variant: Variant, name: str) -> dict[str, str]:
        """What ``variant`` shows with its body image ``name``: alt and caption only in its own
        language (a French page never shows a Vietnamese caption); credit and licence fall back
        to the source's (a name and a licence are the same in every language)."""
        own = variant.images.get(name, {})
        src = self.source.images.get(name, {}) if self.source else {}
        return {k: own.get(k) or (src.get(k, "") if k in IMAGE_SHARED else "") for k in IMAGE_TEXT_KEYS}

    def variants(self) -> list[Variant]:
        out = [self.source] if self.source else []
        return out + [self.translations[t] for t in sorted(self.translations)]

    def published_variant(self, lang: str) -> Variant | None:
        v = self.variant(lang)
        return v if v is not None and v.status == "published" else None

    @property
    def url_path(self) -> str:
        """Path of the entry inside one language edition, without the language prefix."""
        if self.kind == "story":
            return f"stories/{self.slug}/"
        return "" if self.slug == "home" else f"{self.slug}/"


@dataclass
class Project:
    root: Path
    content_dir: Path
    stories: dict[str, Entry] = field(default_factory=dict)
    pages: dict[str, Entry] = field(default_factory=dict)
    categories: list[str] = field(default_factory=list)
    #: the Markdown files this run read anew, their bytes unlike any an earlier run read
    #: (lantoa.content.memo): (kind, slug, language tag) of each, the tag None for a source;
    #: every file, when there was nothing to compare with
    read_anew: set[tuple[str, str, str | None]] = field(default_factory=set)

    def entries(self) -> list[Entry]:
        return [self.stories[k] for k in sorted(self.stories)] + [self.pages[k] for k in sorted(self.pages)]

    def published_stories(self) -> list[Entry]:
        """Newest first; ties by slug for a stable order."""
        items = [s for s in self.stories.values() if s.published]
        return sorted(items, key=lambda s: (-(s.date.timestamp() if s.date else 0), s.slug))
