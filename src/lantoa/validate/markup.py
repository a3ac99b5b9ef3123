"""What an editor may write in Markdown: a line scanner for raw HTML and links.

It reports with line and column; the renderer also sanitizes the HTML it
produces (``lantoa.site``), so this is the first of two walls.
"""

from __future__ import annotations

import bisect
import html
import re
from dataclasses import dataclass
from functools import lru_cache

#: inline tags an editor may write, with the attributes each may carry
ALLOWED_TAGS: dict[str, set[str]] = {
    "abbr": {"title", "lang"}, "sup": set(), "sub": set(), "br": set(), "wbr": set(), "kbd": set(),
    "mark": set(), "small": set(), "span": {"lang", "dir"}, "b": set(), "i": {"lang"}, "em": set(),
    "strong": set(), "q": {"lang"}, "cite": set(), "s": set(), "u": set(), "bdi": {"dir"},
    "ruby": set(), "rt": set(), "rp": set(), "time": {"datetime"}, "dfn": set(),
}
DANGEROUS_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "style", "link", "meta", "base",
                  "form", "input", "button", "textarea", "select", "svg", "math", "template", "applet", "noscript",
                  "img", "video", "audio", "source", "picture", "a", "portal"}
SAFE_SCHEMES = {"http", "https", "mailto", "tel"}

_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+)(.+?)\1")
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)((?:\s+[^<>]*?)?)\s*(/?)>", re.S)
_ATTR = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s>]+))?""")
_LINK_TARGET = r"\(\s*<?\s*([^)\s>]*)\s*>?(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)"
_INLINE_LINK = re.compile(r"(!?)\[([^\]]*)\]" + _LINK_TARGET)
#: one image, ``![alt](url "title")`` (lantoa.validate.rules: is it a paragraph of its own?)
IMAGE_LINK = re.compile(r"!\[[^\]]*\]" + _LINK_TARGET)
_AUTOLINK = re.compile(r"<([A-Za-z][A-Za-z0-9+.\-]{1,31}:[^<>\s]*)>")
#: a link reference definition; not a footnote's ("[^1]: Theo UNESCO." is text, not a link to "Theo")
_REF_DEF = re.compile(r"^[ ]{0,3}\[(?!\^)[^\]]+\]:\s*<?\s*([^\s>]+)>?", re.M)
_UNCLOSED_DANGEROUS = re.compile(r"<\s*(script|iframe|style|object|embed)\b", re.I)
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_TEXT_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?]")


@dataclass(frozen=True)  # frozen: scan() hands the same ones to every caller
class Finding:
    line: int  # 1-based within the body
    col: int
    code: str
    message: str
    hint: str


@dataclass(frozen=True)
class Link:
    line: int
    col: int
    url: str
    image: bool
    alt: str


def scheme_of(url: str) -> str | None:
    """The scheme as a browser would see it: entities decoded, controls and blanks removed."""
    cleaned = html.unescape(url)
    cleaned = re.sub(r"[\x00-\x20\x7f]", "", cleaned).lower()
    m = _SCHEME.match(cleaned)
    return m.group(1) if m else None


_NEWLINE = re.compile("\n")


def looks_like_html(text: str) -> bool:
    return bool(_TEXT_TAG.search(text))


def _mask(text: str) -> str:
    return re.sub(r"[^\n]", " ", text)


def mask_code(body: str) -> str:
    """The body with fenced code blocks, code spans and HTML comments blanked out (newlines kept),
    so that offsets still map to the editor's lines and columns."""
    out = []
    fence = None
    for line in body.split("\n"):
        m = _FENCE.match(line)
        if fence:
            if m and m.group(1)[0] == fence[0] and len(m.group(1)) >= len(fence):
                fence = None
            out.append(_mask(line))
            continue
        if m:
            fence = m.group(1)
            out.append(_mask(line))
            continue
        out.append(line)
    text = "\n".join(out)
    text = _CODE_SPAN.sub(lambda m: _mask(m.group(0)), text)
    return _HTML_COMMENT.sub(lambda m: _mask(m.group(0)), text)


def scan(body: str) -> tuple[list[Finding], list[Link]]:
    """Scan the whole body at once: a tag or a link may span lines."""
    findings, links = _scan(body)  # lantoa check and the stager both scan every body: once is enough
    return list(findings), list(links)


#: scans kept from an earlier run (lantoa.content.memo), by the content key of the file the body
#: is in (lantoa.content.frontmatter.key_of): a document kept between runs reads its body only
#: when it is asked for
_KNOWN: dict[bytes, tuple] = {}


def scanned(body: str) -> tuple[tuple[Finding, ...], tuple[Link, ...]]:
    """:func:`scan`'s result, made once."""
    return _scan(body)


def scan_of(doc) -> tuple[list[Finding], list[Link]]:
    """:func:`scan` of a document's body (lantoa.content.frontmatter.Document)."""
    findings, links = scanned_of(doc)
    return list(findings), list(links)


def scanned_of(doc) -> tuple[tuple[Finding, ...], tuple[Link, ...]]:
    """:func:`scanned` of a document's body: remembered from an earlier run by the document's
    content key, without its body, or made now (once, and remembered by that key)."""
    key = doc.key
    if not key:
        return _scan(doc.body)
    known = _KNOWN.get(key)
    if known is None:
        # by the key, not in the cache of scans by body: that cache would hold every body the
        # check scanned to the end of the build (the bodies of a cold 100 x 12 build: 12 MB,
        # at its peak of memory, while the editions render)
        known = _KNOWN[key] = _scan.__wrapped__(doc.body)
    return known


def remember(key: bytes, result: tuple) -> None:
    """The scan of the body of the file whose bytes are known by ``key``."""
    _KNOWN[key] = result


def forget() -> None:
    _KNOWN.clear()


@lru_cache(maxsize=1 << 16)
def _scan(body: str) -> tuple[tuple[Finding, ...], tuple[Link, ...]]:
    text = mask_code(body)
    starts = [0] + [m.end() for m in _NEWLINE.finditer(text)]

    def where(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset)
        return line, offset - starts[line - 1] + 1

    findings: list[Finding] = []
    links: list[Link] = []
    for tm in _TAG.finditer(text):
        _check_tag(tm, *where(tm.start()), findings)
    for um in _UNCLOSED_DANGEROUS.finditer(text):
        if not _TAG.match(text, um.start()):
            findings.append(Finding(*where(um.start()), "unsafe-html", f"raw <{um.group(1).lower()}> is not allowed",
                                    "remove it; Markdown cannot carry scripts"))
    for lm in _INLINE_LINK.finditer(text):
        links.append(Link(*where(lm.start(3)), lm.group(3), lm.group(1) == "!", lm.group(2)))
    for am in _AUTOLINK.finditer(text):
        links.append(Link(*where(am.start(1)), am.group(1), False, ""))
    for rm in _REF_DEF.finditer(text):
        links.append(Link(*where(rm.start(1)), rm.group(1), False, ""))
    for link in links:
        scheme = scheme_of(link.url)
        if scheme is not None and scheme not in SAFE_SCHEMES:
            findings.append(Finding(link.line, link.col, "unsafe-link",
                                    f"'{scheme}:' links are not allowed",
                                    "link to an https:// address or a page of this site"))
    return tuple(findings), tuple(links)


def _check_tag(tm: re.Match, line: int, col: int, findings: list[Finding]) -> None:
    name = tm.group(2).lower()
    attrs = tm.group(3) or ""
    if tm.group(1):  # a closing tag: its opening tag was reported already
        return
    if name in DANGEROUS_TAGS:
        findings.append(Finding(line, col, "unsafe-html", f"raw <{name}> is not allowed in a story",
                                "use Markdown: ![alt](photo.jpg) for images, [text](https://…) for links; no scripts or embeds"))
        return
    if name not in ALLOWED_TAGS:
        findings.append(Finding(line, col, "raw-html", f"raw HTML <{name}> is not allowed",
                                "use Markdown instead (allowed inline tags: " + ", ".join(sorted(ALLOWED_TAGS)) + ")"))
        return
    for am in _ATTR.finditer(attrs):
        attr = am.group(1).lower()
        if attr.startswith("on"):
            findings.append(Finding(line, col, "unsafe-html", f"event attribute '{attr}=' runs script and is not allowed",
                                    f"remove {attr}=… from <{name}>"))
        elif attr not in ALLOWED_TAGS[name]:
            allowed = ", ".join(sorted(ALLOWED_TAGS[name])) or "none"
            findings.append(Finding(line, col, "raw-html", f"attribute '{attr}' is not allowed on <{name}>",
                                    f"allowed attributes: {allowed}"))
