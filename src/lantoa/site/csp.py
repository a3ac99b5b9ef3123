"""Output step: a strict Content-Security-Policy in every page, and the host headers file.

Each page gets ``<meta http-equiv="Content-Security-Policy">`` right after its
``<meta charset>``, before any script or style (a policy only covers what
follows it). The policy
comes from ``lantoa.publish.headers`` (the one table of headers) plus the
sha256 hashes of that page's own inline scripts — Material writes a few
(``__md_scope``/``__md_get`` in partials/javascripts/base.html, the tabbed
content fix, palette handling), and they differ per page — and of its inline
styles, if any. ``'unsafe-inline'`` is never used, so a script that slipped
into a page by any route does not run. Because the policy travels inside each
page, it protects mirrors, USB copies and file:// kiosks without any server
configuration.

Inline event-handler attributes (``onclick=``) and ``javascript:`` URLs
cannot be allowed by hashes without weakening the policy for every page: a
page that has one fails the build, naming the file.

Each edition's worker gives its pages their policy as MkDocs writes them
(lantoa.site.pagefacts); ``csp_step`` covers the rest and must run after every step that
changes HTML; ``headers_step``
writes ``_headers`` (Netlify / Cloudflare Pages) into the site root from the
same table and runs last, because it names the site's content-hashed files.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from ..errors import LantoaError
from ..publish import headers
from .incremental import replace_text

_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
_STYLE = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.S | re.I)
_TAG = re.compile(r"<[a-zA-Z][^\s/>]*(?:\s[^>]*)?>")
#: a style="" attribute in a tag (whose value cannot hold the tag's closing ">", its last character)
_STYLE_ATTR = re.compile(r"""\sstyle\s*=\s*(?:"([^">]*)"|'([^'>]*)')""", re.I)
_HANDLER_ATTR = re.compile(r"""\s(on[a-z]+)\s*=""", re.I)
_JS_URL = re.compile(r"""\s(?:href|src|action|formaction)\s*=\s*["']?\s*javascript:""", re.I)
_TYPE = re.compile(r"""\btype\s*=\s*["']?([^"'\s>]+)""", re.I)
_SRC = re.compile(r"""\ssrc\s*=""", re.I)
_OLD_META = re.compile(r'<meta http-equiv="Content-Security-Policy" content="[^"]*">', re.I)
_CHARSET = re.compile(r"<meta charset=[^>]*>", re.I)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)
#: script types a browser executes (everything else, e.g. application/json, is data)
JS_TYPES = {"", "text/javascript", "application/javascript", "module", "text/ecmascript", "application/ecmascript"}


def sha256_b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


@lru_cache(maxsize=1 << 15)
def _tag_policy(tag: str) -> tuple[bool, tuple[str, ...]]:
    """One start tag: (whether it has what no hash-based policy allows, the hashes of its
    style="" values). Remembered: an edition's pages share most of their tags (its header,
    navigation and footer), so each distinct tag is searched once, not once a page."""
    bad = _HANDLER_ATTR.search(tag) is not None or _JS_URL.search(tag) is not None
    return bad, tuple(sha256_b64(html.unescape(a.group(1) if a.group(1) is not None else a.group(2)))
                      for a in _STYLE_ATTR.finditer(tag))


def _forbidden_in(tags: list[str]) -> list[str]:
    """What no hash-based policy allows in each of ``tags``, in order: its inline handlers, then one
    message for its javascript: URLs."""
    bad = []
    for tag in tags:
        bad += [f"inline event handler {m.group(1)}= in {tag[:80]}" for m in _HANDLER_ATTR.finditer(tag)]
        if _JS_URL.search(tag):
            bad.append(f"javascript: URL in {tag[:80]}")
    return bad


class Scan(NamedTuple):
    bad: list[str]  # what no hash-based policy allows
    hashes: tuple[list[str], list[str], list[str]]  # inline script, <style>, style="" hashes
    tags: list[str]  # the distinct start tags outside scripts, in order of first appearance


def scan(doc: str) -> Scan:
    """One pass over a page's scripts, styles and start tags. Each tag is searched on its own
    (none of the attribute patterns can match across a tag's closing ``>``, its last character)."""
    scripts = []
    body = _OLD_META.sub("", doc)
    for m in _SCRIPT.finditer(body):
        attributes, text = m.group(1), m.group(2)
        t = _TYPE.search(attributes)
        if _SRC.search(attributes) or (t and t.group(1).lower() not in JS_TYPES):
            continue
        scripts.append(sha256_b64(text))
    styles = [sha256_b64(m.group(1)) for m in _STYLE.finditer(body)]
    every = _start_tags(body)
    tags = list(dict.fromkeys(every))  # the distinct ones, as scan_tags lists them
    found = [_tag_policy(tag) for tag in tags]
    bad = _forbidden_in(every) if any(b for b, _ in found) else []
    dedup = lambda xs: list(dict.fromkeys(xs))  # noqa: E731
    return Scan(bad, (dedup(scripts), dedup(styles), dedup(h for _, hs in found for h in hs)), tags)


def _start_tags(doc: str) -> list[str]:
    """Every start tag of a page outside its scripts, in order (for :func:`scan` and :func:`scan_tags`)."""
    return _TAG.findall(_SCRIPT.sub("", doc))


def scan_tags(doc: str) -> list[str]:
    """The distinct start tags of a page outside its scripts, in order of first appearance."""
    return list(dict.fromkeys(_start_tags(doc)))


def inline_hashes(doc: str) -> tuple[list[str], list[str], list[str]]:
    """(script, <style>, style="" attribute) hashes of a page, each in order of first appearance."""
    return scan(doc).hashes


def forbidden(doc: str) -> list[str]:
    """Inline handlers and javascript: URLs: what no hash-based policy allows."""
    return scan(doc).bad


def policy_for(doc: str) -> str:
    return headers.page_csp(*inline_hashes(doc))


def _with_policy(doc: str, policy: str) -> str:
    meta = f'<meta http-equiv="Content-Security-Policy" content="{html.escape(policy, quote=False)}">'
    doc = _OLD_META.sub("", doc, count=1)
    anchor = _CHARSET.search(doc) or _HEAD.search(doc)  # right after the charset, before any script
    if not anchor:
        return doc
    return doc[:anchor.end()] + meta + doc[anchor.end():]


def apply(doc: str) -> str:
    """The page with its policy as the first element of <head> (replacing an earlier one)."""
    return _with_policy(doc, policy_for(doc))


def secure(doc: str, found: Scan | None = None) -> tuple[str, list[str]]:
    """(the page with its policy, []), or (the page unchanged, what no policy allows in it): one
    pass over the page for both (``found``: its :func:`scan`, when the caller made it)."""
    bad, hashes, _ = found or scan(doc)
    return (doc, bad) if bad else (_with_policy(doc, headers.page_csp(*hashes)), [])


def policy_meta(doc: str) -> str | None:
    """The policy's <meta> tag in a page (None without one)."""
    m = _OLD_META.search(doc)
    return m.group(0) if m else None


def meta_policy(doc: str) -> str | None:
    """The policy a page carries in its <meta> tag (None without one)."""
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', doc, re.I)
    return html.unescape(m.group(1)) if m else None


def apply_pages(root: Path, paths, name=lambda rel: rel) -> int:
    """Give each page its policy; ``name`` turns a path relative to ``root`` into the one the
    site will have (for messages). Raises LantoaError naming every page that cannot have one."""
    problems: list[tuple[str, list[str]]] = []
    count = 0
    for path in paths:
        doc = path.read_text("utf-8")
        new, bad = secure(doc)
        if bad:
            problems.append((name(path.relative_to(root).as_posix()), bad))
            continue
        if new != doc:
            replace_text(path, new)
            count += 1
    refuse(problems)
    return count


def refuse(problems: list[tuple[str, list[str]]]) -> None:
    """Raise LantoaError naming each page (its site path) and what in it no policy allows."""
    if problems:
        raise LantoaError("pages with script the Content-Security-Policy would block:\n  " + "\n  ".join(
            f"{rel}: {b} — the Content-Security-Policy blocks it; move the code into a script file under "
            "theme/assets/ and attach it with addEventListener" for rel, bad in problems for b in bad[:3]))


def csp_step(ctx) -> int:
    """The pages the edition workers did not already give a policy (lantoa.site.builder does
    that per edition, in parallel and kept in the build cache): the status page, and with
    --kiosk every page, as the kiosk step rewrote them after the workers."""
    site: Path = ctx.site
    done = set() if ctx.kiosk else ctx.edition_pages
    rels = [rel for rel in ctx.files() if rel.endswith(".html") and rel not in done]
    count = apply_pages(site, [site / rel for rel in rels])
    ctx.wrote(*rels)  # (replaced)
    return count


def headers_step(ctx) -> int:
    """``_headers`` for Netlify / Cloudflare Pages: runs last, as it names the site's hashed files."""
    site: Path = ctx.site
    paths = ctx.files()
    (site / "_headers").write_text(headers.netlify_headers([p for p in paths if p not in headers.HOST_FILES]),
                                   "utf-8")
    ctx.wrote("_headers")
    return 1
