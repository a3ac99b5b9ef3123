"""The search index of one language edition: ``<prefix>search/index.json``.

An inverted index, not the pages' text: each distinct word (exactly as
written, in NFC and lower case) maps to the pages it occurs in with a weight
(title 5, summary 3, body 1 per occurrence). The browser folds the words
itself when it loads the index (diacritics, Arabic tashkeel, đ → d), so
"ha long" finds "hạ long" while "hạ long" still ranks the exact spelling
first, and the index carries each word once. Titles and summaries are kept
for the result list; the body text is not.

Pages an edition shows in another language (a story not yet translated into
Tày, shown in Vietnamese) are not indexed twice: the edition lists them under
``fallbacks`` with the language they are shown in, and the browser searches
them in that language's own index, then links to this edition's page. Only
when that language has no edition of its own in this build are they indexed
here, marked by their ``lang``.

Layout (version 1)::

    {"version": 1, "lang": "tyz", "prefix": "tyz/",
     "docs": [{"url": "stories/x/", "title": "…", "summary": "…", "lang": "tyz"}, …],
     "fallbacks": [{"url": "stories/y/", "lang": "vi"}, …],
     "editions": [{"lang": "vi", "prefix": "", "name": "Tiếng Việt", "dir": "ltr"}, …],
     "terms": {"word": [doc, weight, doc, weight, …], …}}

``url`` is relative to the edition's root (``prefix``), which is relative to
the site's root, so the site works under any base path.
"""

from __future__ import annotations

import bisect
import hashlib
import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from .segment import words

VERSION = 1
#: weight of one occurrence of a word, by field
FIELD_WEIGHTS = {"title": 5, "summary": 3, "text": 1}


@dataclass(frozen=True)
class Doc:
    url: str  # relative to the edition's root, e.g. "stories/ha-long/"
    title: str
    summary: str
    text: str  # the body as plain text
    lang: str  # the language the page is shown in


@dataclass(frozen=True)
class Edition:
    lang: str
    prefix: str  # "" for the default language, else "<tag>/"
    name: str  # autonym
    dir: str  # ltr | rtl


def word_counts(text: str, lang: str, memo: dict | None = None) -> tuple:
    """(word, occurrences) for each word of ``text``, in first-seen order. ``memo``: counts by
    language and text digest, from earlier builds (lantoa.site.search keeps them per edition);
    segmenting is most of what building an index costs."""
    if memo is None:
        return tuple(Counter(words(text, lang)).items())
    key = lang.encode() + b"\0" + hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
    counts = memo.get(key)
    if counts is None:
        counts = memo[key] = tuple(Counter(words(text, lang)).items())
    return counts


def build(lang: str, prefix: str, docs: list[Doc], fallbacks: list[tuple[str, str]],
          editions: list[Edition], memo: dict | None = None) -> dict:
    """The index of edition ``lang``: ``docs`` indexed here, ``fallbacks`` (url, shown language) searched
    in the shown language's index, ``editions`` every edition that has an index (for "all languages").
    ``memo``: see :func:`word_counts`."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):  # in order: each word's postings are sorted by document
        for word, weight in doc_weights(doc, memo).items():
            postings[word] += (i, weight)
    return {
        "version": VERSION,
        "lang": lang,
        "prefix": prefix,
        "docs": [_listed(d) for d in docs],
        "fallbacks": [{"url": url, "lang": shown} for url, shown in sorted(fallbacks)],
        "editions": [{"lang": e.lang, "prefix": e.prefix, "name": e.name, "dir": e.dir} for e in editions],
        "terms": dict(sorted(postings.items())),
    }


def doc_weights(doc: Doc, memo: dict | None = None) -> dict[str, int]:
    """Each word of ``doc`` with its weight there: its occurrences in each field times the field's weight."""
    weights: dict[str, int] = {}
    for field, weight in FIELD_WEIGHTS.items():
        for word, n in word_counts(getattr(doc, field), doc.lang, memo):
            weights[word] = weights.get(word, 0) + weight * n
    return weights


def _listed(doc: Doc) -> dict:
    return {"url": doc.url, "title": doc.title, "summary": doc.summary, "lang": doc.lang}


def update(index: dict, docs: list[Doc], changed: list[int]) -> dict:
    """``index`` (what :func:`build` made, or its JSON read back) made the index of ``docs``, which
    differ from the documents it was built from only in those at the positions ``changed`` (the
    same pages, edited): their postings taken out of every word's and theirs put in. The result is
    what :func:`build` makes of ``docs`` (tests/test_search.py holds the two to the same bytes),
    at the cost of the changed documents and one pass over the words, where :func:`build` takes
    every document's words (at 400 stories, 0.3 s of an edit's 1 s in its edition's worker)."""
    gone = frozenset(changed)
    terms: dict[str, list[int]] = index["terms"]
    for word in [w for w, p in terms.items() if not gone.isdisjoint(p[0::2])]:
        kept = [n for k in range(0, len(terms[word]), 2) if terms[word][k] not in gone
                for n in terms[word][k:k + 2]]
        if kept:
            terms[word] = kept
        else:
            del terms[word]
    added = False
    for i in sorted(gone):
        index["docs"][i] = _listed(docs[i])
        for word, weight in doc_weights(docs[i]).items():
            postings = terms.get(word)
            if postings is None:
                terms[word], added = [i, weight], True
            else:
                at = 2 * bisect.bisect(postings[0::2], i)
                postings[at:at] = (i, weight)
    if added:
        index["terms"] = dict(sorted(terms.items()))
    return index


def dumps(index: dict) -> bytes:
    """Compact, byte-for-byte reproducible JSON (UTF-8, no spaces, keys in a fixed order)."""
    return json.dumps(index, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
