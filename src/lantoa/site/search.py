"""One search index per language edition, ``<prefix>search/index.json``.

Made by each edition's worker right after its MkDocs run (``lantoa.site.builder``), so
the indexes are built in parallel and kept with the edition in the build cache: an
edition that did not change is not parsed or indexed again.

Reads what each edition shows from the staged model (``model.<tag>.json``:
title, summary, the language a page is shown in) and the text of the built
page (the ``<article lang=…>`` our templates write), and hands both to
:mod:`lantoa.search`, which segments and indexes them. Stories and editor
pages are indexed; the home, category and languages pages only list them.
It changes no HTML.

A ``--kiosk`` copy is opened from file://, where browsers refuse ``fetch``: there each
index also gets a script twin, ``<prefix>search/index.js``, that hands the same data
to ``lantoa-search.js`` (loaded by a ``<script>`` element, which file:// allows).
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import marshal
import re
import sys
from functools import lru_cache
from pathlib import Path

from .. import digests
from ..errors import LantoaError
from ..cachefile import keep_quietly
from ..search import index as sindex
from ..search import segment
from .incremental import SEARCH_DOCS, SEARCH_KEY, link_or_copy

log = logging.getLogger(__name__)

#: page kinds of the staged model that hold text of their own
INDEXED_KINDS = ("story", "page")
#: parts of the article that are not its text: the title and summary are fields of their own;
#: the meta line (category, dates), the photo credit and Markdown's heading permalinks (¶) are chrome
SKIP_CLASSES = {"lt-story__meta", "lt-story__summary", "lt-credit", "headerlink"}
SKIP_TAGS = {"h1", "script", "style", "template"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
#: elements whose boundaries separate words (an inline tag inside a Khmer word must not split it)
BLOCKS = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
          "table", "tr", "td", "th", "figure", "figcaption", "section", "details", "summary", "br", "hr"}


#: a tag, a comment, a declaration or a processing instruction, as :class:`html.parser.HTMLParser`
#: tells them apart: a tag's name starts with a letter (``<`` before anything else is text), and a
#: quoted attribute value may hold a ``>``
_TOKEN = re.compile(r"""<(?:(/?)([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|!--.*?(?:-->|$)|![^>]*>|\?[^>]*>)""", re.S)
_CLASS = re.compile(r"""(?:^|[\s/])class\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)
#: elements whose content is text up to their end tag, never markup (HTMLParser's CDATA content)
_RAW_END = {"script": re.compile(r"</script", re.I), "style": re.compile(r"</style", re.I)}
#: our article: no ``<article>`` can be nested in it (the sanitizer does not allow the tag in
#: page content), so it ends at the first ``</article>`` after it starts
_ARTICLE = re.compile(r"<article\b[^>]*?\slang=")


def _skipped(tag: str, attributes: str) -> bool:
    if tag in SKIP_TAGS:
        return True
    m = _CLASS.search(attributes)
    return m is not None and not SKIP_CLASSES.isdisjoint(html.unescape(m.group(1) or m.group(2) or m.group(3)).split())


def article_text(doc: str) -> str | None:
    """The plain text of the page's article (the first ``<article>`` with a ``lang`` attribute:
    ours, not Material's wrapper), or None when the page has none. Its text outside the elements
    that are not its text (``SKIP_TAGS``, ``SKIP_CLASSES``), with a line break at each block's
    start and end, entities decoded, every run of whitespace made one space.

    One regular expression walks its tags (the text between them is sliced out): what
    :class:`html.parser.HTMLParser` found there, at half the cost (it was 6% of an edition's
    rendering). tests/test_search.py holds the two to the same text on every page of the sample
    site and on markup made to trip a tokenizer."""
    m = _ARTICLE.search(doc)
    if m is None:
        return None
    end = doc.find("</article>", m.start())
    # only the article is read: the rest of a page (navigation, header, footer) is most of its bytes
    s = doc[m.start():] if end < 0 else doc[m.start():end + len("</article>")]
    parts: list[str] = []
    depth = skip_at = pos = 0  # open elements (0: the article not open yet); where skipping began
    opened = False
    while True:
        t = _TOKEN.search(s, pos)
        stop = len(s) if t is None else t.start()
        if depth and not skip_at and stop > pos:
            text = s[pos:stop]
            parts.append(html.unescape(text) if "&" in text else text)
        if t is None:
            break
        pos = t.end()
        name = t.group(2)
        if name is None:  # a comment, a declaration
            continue
        tag = name.lower()
        if not t.group(1):  # a start tag
            attributes = t.group(3)
            if not opened:
                opened, depth = True, 1
            else:
                if tag in BLOCKS:
                    parts.append("\n")
                if tag not in VOID:
                    depth += 1
                    if not skip_at and _skipped(tag, attributes):
                        skip_at = depth
            raw = _RAW_END.get(tag)
            if raw is not None:  # its text as it is, up to its end tag
                e = raw.search(s, pos)
                stop = len(s) if e is None else e.start()
                if depth and not skip_at:
                    parts.append(s[pos:stop])
                pos = stop
            if not attributes.endswith("/"):
                continue
        # an end tag, or the end of a self-closing one
        if not depth or tag in VOID:
            continue
        if skip_at == depth:
            skip_at = 0
        depth -= 1
        if tag in BLOCKS:
            parts.append("\n")
        if not depth:
            break
    return " ".join("".join(parts).split()) if opened else None


def edition_index(root: Path, tag: str, model: dict, built: list[str], registry, texts: dict[str, str | None],
                  kiosk: bool = False, cache_dir: Path | None = None, kept: Path | None = None) -> int:
    """Write edition ``tag``'s index under ``root`` (its MkDocs output) from its model and the text
    of its built pages (``texts``: path in ``root`` -> :func:`article_text` of the page, see
    lantoa.site.pagefacts); ``built`` lists the editions of this build (a page shown in another
    built edition's language is searched in that edition's index). Returns the files written.
    ``cache_dir``: where the word counts of this edition's texts are kept between builds
    (:func:`_load_counts`). ``kept``: the kept output of this edition, checked intact in this build
    (``lantoa.site.incremental.reusable_pages``): its index is linked, not made again, when it was
    made from the same documents (:func:`index_key`; an edit of a story's source changes the
    notices of every edition that shows a translation of it, outside the text they index), and
    updated when a few of them changed (:func:`_updated`)."""
    editions = [sindex.Edition(t, model["editions"][t], registry[t].autonym, registry[t].dir) for t in built]
    prefix = model["editions"][tag]
    docs: list[sindex.Doc] = []
    fallbacks: list[tuple[str, str]] = []
    for key, page in sorted(model["pages"].items()):
        if page.get("kind") not in INDEXED_KINDS:
            continue
        url = page["src"].removesuffix("index.md")
        if page["lang"] != tag and page["lang"] in built:
            fallbacks.append((url, page["lang"]))  # searched in that language's own index
            continue
        built_page = f"{prefix}{url}index.html"
        if built_page not in texts:
            raise LantoaError(f"search: {built_page} was not built (its Markdown is {page['src']}): "
                              "build again with --clean")
        text = texts[built_page]
        if text is None:
            log.warning("search: %s%sindex.html has no <article lang=…>; only its title and summary are indexed",
                        prefix, url)
        docs.append(sindex.Doc(url, page["title"], page["summary"], text or "", page["lang"]))
    out = root / prefix / "search" / "index.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.unlink(missing_ok=True)  # never written in place: it may be a link to a kept edition's
    shape, marks = index_shape(tag, prefix, fallbacks, editions), [doc_mark(d) for d in docs]
    key = _key(shape, kiosk, marks)
    (root / SEARCH_KEY).write_text(key, "utf-8")
    (root / SEARCH_DOCS).write_bytes(marshal.dumps((shape, [d.url for d in docs], marks)))
    index = None
    if kept is not None and not kiosk and (kept / prefix / "search" / "index.json").is_file():
        try:
            same = (kept / SEARCH_KEY).read_text("utf-8") == key
        except OSError:
            same = False
        if same:
            link_or_copy(str(kept / prefix / "search" / "index.json"), str(out))
            return 1
        index = _updated(kept, prefix, shape, docs, marks)
    if index is None:
        memo = _load_counts(cache_dir, tag)
        used: dict = {}
        index = sindex.build(tag, prefix, docs, fallbacks, editions, _Recording(memo, used))
        if cache_dir is not None and used.keys() != memo.keys():
            _save_counts(cache_dir, tag, used)
    data = sindex.dumps(index)
    out.write_bytes(data)
    if kiosk:
        out.with_suffix(".js").write_bytes(b"lantoaSearch.receive(" + data + b");\n")
        return 2
    return 1


@lru_cache(maxsize=1)
def _code_version() -> str:
    """What makes an index from its documents: the index's format, the segmenter and its ICU, and
    the code of both (a kept index is reused across builds of a development tree too)."""
    code = digests.sources_sha256(sindex, segment, sys.modules[__name__])
    return hashlib.sha256(f"{sindex.VERSION}\0{segment_version()}\0{code}".encode()).hexdigest()


def index_shape(tag: str, prefix: str, fallbacks: list[tuple[str, str]], editions: list) -> str:
    """The digest of what an edition's index is made from but its documents, and of the code that
    makes it."""
    return digests.pieces_sha256([
        "lantoa-search-shape", _code_version(), tag, prefix,
        str(len(fallbacks)), *(field for pair in fallbacks for field in pair),
        *(field for e in editions for field in (e.lang, e.prefix, e.name, e.dir))])


def doc_mark(doc: sindex.Doc) -> str:
    """The digest of one document of an index: every field :func:`lantoa.search.index.build` reads."""
    return digests.pieces_sha256([doc.url, doc.title, doc.summary, doc.text, doc.lang])


def index_key(tag: str, prefix: str, docs: list, fallbacks: list[tuple[str, str]], editions: list,
              kiosk: bool) -> str:
    """The key of an edition's index: everything :func:`lantoa.search.index.build` makes it from."""
    return _key(index_shape(tag, prefix, fallbacks, editions), kiosk, [doc_mark(d) for d in docs])


def _key(shape: str, kiosk: bool, marks: list[str]) -> str:
    return digests.pieces_sha256(["lantoa-search-index", shape, str(kiosk), *marks])


#: an edited edition's index is updated in place (:func:`lantoa.search.index.update`) when at most
#: this share of its documents changed; past it, building it whole costs about as much
UPDATE_AT_MOST = 0.25


def _updated(kept: Path, prefix: str, shape: str, docs: list, marks: list[str]) -> dict | None:
    """The index of ``docs`` made from the index of the kept edition ``kept`` when its documents
    (recorded beside it, ``SEARCH_DOCS``) are the same pages in the same order, for an index of the
    same ``shape``, and few of them changed (``UPDATE_AT_MOST``); else None."""
    try:
        shape_was, urls_were, marks_were = marshal.loads((kept / SEARCH_DOCS).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return None  # kept by an older lantoa, or unreadable: the index is built whole
    if shape_was != shape or urls_were != [d.url for d in docs] or len(marks_were) != len(marks):
        return None
    changed = [i for i, (was, now) in enumerate(zip(marks_were, marks)) if was != now]
    if len(changed) > UPDATE_AT_MOST * len(docs):
        return None
    try:
        index = json.loads((kept / prefix / "search" / "index.json").read_bytes())
    except (OSError, ValueError):
        return None
    log.debug("search: the index of %s updated, %d of %d documents changed", prefix or "/", len(changed), len(docs))
    return sindex.update(index, docs, changed)


#: the word counts of an edition's texts, kept by language and text digest in
#: ``.cache/lantoa/search/<tag>.marshal`` (plain data: strings, numbers, tuples)
COUNTS_FORMAT = 2  # 2: each text's counts in bytes of their own


def _counts_header() -> tuple:
    return ("lantoa-search-counts", COUNTS_FORMAT, sindex.VERSION, segment_version())


def segment_version() -> str:
    """The segmenter's version: another ICU may cut words elsewhere."""
    try:
        import icu

        return f"icu {icu.ICU_VERSION} pyicu {icu.VERSION}"
    except ImportError:  # pragma: no cover - PyICU is a dependency
        return "no icu"


def _counts_file(cache_dir: Path, tag: str) -> Path:
    return cache_dir / "search" / f"{tag}.marshal"


def _load_counts(cache_dir: Path | None, tag: str) -> dict:
    if cache_dir is None:
        return {}
    try:
        header, counts = marshal.loads(_counts_file(cache_dir, tag).read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        return {}  # none yet, or unreadable: segmented again
    return counts if header == _counts_header() and isinstance(counts, dict) else {}


def _save_counts(cache_dir: Path, tag: str, counts: dict) -> None:
    """``counts``: each text's in marshal's bytes of their own, as :class:`_Recording` holds them."""
    keep_quietly(_counts_file(cache_dir, tag), marshal.dumps((_counts_header(), counts)))


class _Recording:
    """The memo :func:`lantoa.search.index.word_counts` reads and fills: the kept counts, and a record
    of every text this build used (the counts of texts gone are not kept). The counts are held in
    marshal's bytes, unpacked when a text asks for them: unpacked all at once, a 100-story Khmer
    edition's took 5.6 MB of its worker's memory (1 MB as bytes), at 400 stories four times that."""

    def __init__(self, kept: dict, used: dict):
        self.kept, self.used = kept, used

    def get(self, key):
        value = self.used.get(key)
        if value is None:
            value = self.kept.get(key)
            if value is None:
                return None
            self.used[key] = value
        try:
            return marshal.loads(value)
        except (ValueError, EOFError, TypeError):  # damaged: segmented again
            del self.used[key]
            return None

    def __setitem__(self, key, value):
        self.used[key] = marshal.dumps(value)  # (packed now: a cold build segments every text)
