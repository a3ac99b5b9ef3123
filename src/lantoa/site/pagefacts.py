"""What an edition's worker learns from each page while MkDocs writes it: one pass, in memory.

The worker needs four things from every page it renders: the page without its
templates' indentation and with its Content-Security-Policy (which hashes the
page's final bytes), the characters it shows (for the font subsets), the text of
its article (for the search index) and its story body (for the content API). Our plugin hands each page's final output to
:class:`Collector` (``on_post_page``/``on_post_template``, after every other
plugin), so MkDocs writes each page once, with its policy, and no page is read
back from disk.

A page reused from the kept edition (``lantoa.site.incremental.reusable_pages``)
is not rendered, so its facts come from the kept edition's ``FACTS`` file, linked
in beside it; the worker writes the edition's facts back (:func:`save`) for the
next build. The file is never merged into the site.
"""

from __future__ import annotations

import json
import marshal
from dataclasses import dataclass, field
from pathlib import Path

from ..cachefile import read_kept
from . import csp, incremental
from .fonts import page_chars, page_lang
from .htmlspace import compact
from .search import article_text

#: in an edition's output (and its kept copy): {"final": bool}, then (path, facts) for each page, then None
FACTS = incremental.FACTS
#: beside it, for final facts: {language: the characters the edition's pages show in it}
CHARS = incremental.CHARS
#: around a story's body in its page (theme/story.html)
BODY_START, BODY_END = "<!--lantoa:body-->", "<!--/lantoa:body-->"


def story_body(doc: str) -> str | None:
    """The story body in a page (between the first start marker and the first end marker after
    it), stripped; None without one. Two string searches: a lazy ``.*?`` across the body would
    try the end marker at every character of it."""
    start = doc.find(BODY_START)
    if start < 0:
        return None
    start += len(BODY_START)
    end = doc.find(BODY_END, start)
    return None if end < 0 else doc[start:end].strip()


def facts(doc: str, final: bool, tags: list[str] | None = None) -> dict:
    """One page's facts. ``final``: ``doc`` is the page as the site will serve it (not a kiosk
    copy, rewritten after the merge), so the characters it shows are known now. ``tags``: its
    distinct start tags outside scripts (lantoa.site.csp.scan_tags), when the caller has them."""
    return {"lang": page_lang(doc), "chars": "".join(sorted(page_chars(doc, tags))) if final else None,
            "text": article_text(doc), "body": story_body(doc)}


@dataclass
class Collector:
    """Fed each page's final output; takes out its indentation (lantoa.site.htmlspace), gives it
    its policy (``policy``) and keeps its facts."""

    policy: bool
    pages: dict[str, dict] = field(default_factory=dict)  # path in the edition's output -> facts
    problems: list[tuple[str, list[str]]] = field(default_factory=list)  # (path, what CSP blocks)

    def page(self, rel: str, doc: str) -> str:
        doc = compact(doc)
        tags = None
        if self.policy:
            found = csp.scan(doc)
            doc, bad = csp.secure(doc, found)
            if bad:
                self.problems.append((rel, bad))
            else:  # the page's tags now: the scan's and the policy's own <meta> (none in a page without <head>)
                meta = csp.policy_meta(doc)
                tags = [*found.tags, meta] if meta else found.tags
        self.pages[rel] = facts(doc, final=self.policy, tags=tags)
        return doc


def _read(part: Path) -> dict:
    """The edition's facts file as written by :func:`save` ({} when it has none or is unreadable)."""
    try:
        with open(part / FACTS, "rb") as fh:
            head = marshal.load(fh)
            if not isinstance(head, dict) or "final" not in head:
                return {}
            pages = {}
            while (item := marshal.load(fh)) is not None:
                rel, facts = item
                pages[rel] = facts
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    return {"final": head["final"], "pages": pages}


def load(part: Path) -> dict[str, dict]:
    """The facts kept in an edition's output folder ({} when it has none)."""
    return _read(part).get("pages") or {}


def save(part: Path, pages: dict[str, dict], final: bool) -> None:
    """Write the edition's facts, and for final facts the characters of its pages by language
    (:func:`chars_by_lang` reads those alone). Both files are replaced, never written in place:
    either may be a hard link to the kept edition's."""
    path, chars = part / FACTS, part / CHARS
    path.unlink(missing_ok=True)
    chars.unlink(missing_ok=True)
    # marshal (plain data, read by the same Python: lantoa.site.incremental.renderer_versions): a
    # 400-story Khmer edition's facts are 32 MB, which JSON wrote in 50 ms and read in 87, marshal
    # in 35 and 40. A header, then each page's on its own, then None: marshalled whole, the facts
    # of a 100-story Khmer edition (8 MB) took 12 MB more of the worker's memory for a moment, which
    # its process then kept
    with open(path, "wb") as fh:
        marshal.dump({"final": final}, fh)
        for rel in sorted(pages):
            marshal.dump((rel, pages[rel]), fh)
        marshal.dump(None, fh)
    if final:
        chars.write_text(json.dumps(_chars(pages.values()), ensure_ascii=False), "utf-8")


def _chars(pages) -> dict[str, str]:
    by_lang: dict[str, set[str]] = {}
    for page in pages:
        by_lang.setdefault(page["lang"], set()).update(page["chars"])
    return {lang: "".join(sorted(chars)) for lang, chars in sorted(by_lang.items())}


def chars_by_lang(part: Path) -> dict[str, str] | None:
    """Language -> the characters the edition's pages show (None: not known, as in a kiosk copy)."""
    known = read_kept(part / CHARS)
    if isinstance(known, dict):
        return known
    data = _read(part)  # an edition saved without it
    return _chars(data["pages"].values()) if data.get("final") else None
