"""Translation status: what each language has of each story, and whether it is current.

A translation records, in ``translation.source_hash``, the hash of the source's
text it was made from (``Variant.translated_text``: title, summary, body, and the alt text and
caption of the hero and of each body image; not credit or licence, which are names). When the
source changes, the hashes differ and the translation is *outdated* until someone reviews it
again (``lantoa translations mark``), which records the current hash.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Entry, Project, Variant

HASH_LENGTH = 16
MISSING, MACHINE, OUTDATED, REVIEWED, SOURCE = "missing", "machine", "outdated", "reviewed", "source"
STATUSES = (MISSING, MACHINE, OUTDATED, REVIEWED)


def source_hash(entry: Entry) -> str:
    assert entry.source is not None
    return entry.source.text_hash()[:HASH_LENGTH]


def recorded_hash(variant: Variant) -> str:
    block = variant.doc.meta.get("translation")
    value = block.get("source_hash") if isinstance(block, dict) else None
    return value if isinstance(value, str) else ""


def status(entry: Entry, lang: str, source: str | None = None) -> str:
    """missing / machine / outdated / reviewed for a translation; 'source' for the source language.
    ``source``: the entry's :func:`source_hash`, when it is known (:func:`statuses`)."""
    if entry.source is not None and entry.source.lang == lang:
        return SOURCE
    variant = entry.translations.get(lang)
    if variant is None or variant.status != "published":
        return MISSING
    if entry.source is not None and recorded_hash(variant) != (source_hash(entry) if source is None else source):
        return OUTDATED
    if variant.unreviewed_machine:
        return MACHINE
    return REVIEWED


def statuses(entry: Entry, langs) -> dict[str, str]:
    """language -> :func:`status` for each of ``langs``, the source's hash made once: a build asks
    for every story's statuses in several places, and the hash's text (the source's body among it)
    was gathered again for each language (18,000 times at 400 stories x 12 languages)."""
    source = source_hash(entry) if entry.source is not None and entry.translations else None
    return {lang: status(entry, lang, source) for lang in langs}


@dataclass
class Row:
    slug: str
    statuses: dict[str, str]  # lang -> status


def matrix(project: Project, langs: list[str]) -> list[Row]:
    return [Row(e.slug, statuses(e, langs)) for e in project.published_stories()]


def totals(rows: list[Row], langs: list[str]) -> dict[str, dict[str, int]]:
    out = {lang: {s: 0 for s in (SOURCE,) + STATUSES} for lang in langs}
    for row in rows:
        for lang, st in row.statuses.items():
            out[lang][st] += 1
    return out
