"""Helpers for tests/test_browser.py: a local HTTP server for the built site, what the
repository says the site should show (languages, stories, translations), and one
recorded page load (console, page errors, requests, responses).

Everything expected here is read straight from locales/*.yml and content/ (not through
lantoa's own code), so the browser tests check the site against the sources.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
#: the window the browser tests' shared context renders in (tests/conftest.py)
VIEWPORT = {"width": 1280, "height": 900}

#: what the server says each file is (the host's mimetypes database must not matter)
EXTENSIONS_MAP = {
    "": "application/octet-stream",
    ".woff2": "font/woff2",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".zip": "application/zip",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".xml": "application/xml",
    ".json": "application/json",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".txt": "text/plain; charset=utf-8",
    ".gz": "application/gzip",
}

#: Unicode blocks of the scripts whose fonts we check, by ISO 15924 code
SCRIPT_RANGES = {
    "Khmr": [(0x1780, 0x17FF), (0x19E0, 0x19FF)],
    "Laoo": [(0x0E80, 0x0EFF)],
    "Tavt": [(0xAA80, 0xAADF)],
    "Cham": [(0xAA00, 0xAA5F)],
    "Arab": [(0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)],
    "Hans": [(0x3400, 0x4DBF), (0x4E00, 0x9FFF)],
    "Jpan": [(0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF)],
    "Kore": [(0x1100, 0x11FF), (0x3130, 0x318F), (0xAC00, 0xD7AF)],
}


# --------------------------------------------------------------------------
# the local server


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = EXTENSIONS_MAP

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # a browser that closes a page mid-transfer is no error of the site
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class SiteServer:
    """The built site on http://127.0.0.1:<free port>/, served from a daemon thread."""

    def __init__(self, root: Path):
        handler = functools.partial(QuietHandler, directory=str(root))
        self.httpd = QuietServer(("127.0.0.1", 0), handler)
        self.origin = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="lantoa-site", daemon=True)

    def __enter__(self) -> "SiteServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def url(self, path: str) -> str:
        return self.origin + "/" + path.lstrip("/")


# --------------------------------------------------------------------------
# what the repository says


@dataclass(frozen=True)
class Language:
    tag: str
    dir: str
    script: str
    autonym: str
    fallback: tuple[str, ...]


@functools.lru_cache(maxsize=None)
def languages() -> dict[str, Language]:
    out = {}
    for path in sorted((REPO / "locales").glob("*.yml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        out[data["tag"]] = Language(data["tag"], data.get("dir", "ltr"), data.get("script", ""),
                                    data.get("autonym", ""), tuple(data.get("fallback") or ()))
    return out


def default_language() -> str:
    """The edition at the site root (the registry's default: Vietnamese)."""
    return "vi"


def prefix(tag: str) -> str:
    """Where an edition lives: the default language at /, the others at /<tag>/."""
    return "" if tag == default_language() else f"{tag}/"


def chain(tag: str) -> list[str]:
    """The language, its fallbacks (depth first), then en: the order docs/writing.md describes."""
    langs = languages()
    out: list[str] = []
    stack = [tag]
    while stack:
        t = stack.pop(0)
        if t in out or t not in langs:
            continue
        out.append(t)
        stack = list(langs[t].fallback) + stack
    if "en" in langs and "en" not in out:
        out.append("en")
    return out


def front_matter(path: Path) -> dict:
    text = path.read_text("utf-8")
    m = re.match(r"\A---\r?\n(.*?)\r?\n---\r?\n", text, re.S)
    return (yaml.safe_load(m.group(1)) or {}) if m else {}


@dataclass
class Variant:
    lang: str
    title: str
    status: str
    machine_unreviewed: bool


@dataclass
class Story:
    slug: str
    source_lang: str
    variants: dict[str, Variant] = field(default_factory=dict)  # published ones, source included

    def translated(self, tag: str) -> bool:
        return tag in self.variants

    def shown(self, tag: str) -> Variant:
        """The variant a visitor of edition ``tag`` sees: theirs, else along the chain, else the source."""
        for t in chain(tag) + [self.source_lang]:
            if t in self.variants:
                return self.variants[t]
        raise AssertionError(f"{self.slug}: no published variant at all")


def read_story(folder: Path) -> Story:
    src = front_matter(folder / "index.md")
    source_lang = src.get("lang") or default_language()
    story = Story(folder.name, source_lang)
    status = src.get("status", "draft")
    if status == "published":
        story.variants[source_lang] = Variant(source_lang, str(src.get("title", "")), status, False)
    for path in sorted(folder.glob("index.*.md")):
        tag = path.name[len("index."):-len(".md")]
        meta = front_matter(path)
        block = meta.get("translation") or {}
        v = Variant(tag, str(meta.get("title", "")), meta.get("status", status),
                    block.get("method", "human") == "machine" and not block.get("reviewed_by"))
        if v.status == "published":
            story.variants[tag] = v
    return story


def built_stories(site: Path) -> dict[str, Story]:
    """The stories present in the built site (default edition), with what content/ says about them."""
    slugs = sorted(p.parent.name for p in (site / "stories").glob("*/index.html"))
    return {slug: read_story(REPO / "content" / "stories" / slug) for slug in slugs}


def in_script(text: str, script: str) -> str:
    """The characters of ``text`` that belong to ``script`` (an ISO 15924 code from SCRIPT_RANGES)."""
    ranges = SCRIPT_RANGES[script]
    return "".join(c for c in text if any(lo <= ord(c) <= hi for lo, hi in ranges))


# --------------------------------------------------------------------------
# one recorded page load


@dataclass
class Visit:
    url: str
    status: int | None = None
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    bad_responses: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    html_lang: str | None = None
    html_dir: str | None = None
    h1: str = ""

    def problems(self) -> list[str]:
        return ([f"console error: {m}" for m in self.console_errors]
                + [f"page error: {m}" for m in self.page_errors]
                + [f"request failed: {m}" for m in self.failed_requests]
                + [f"HTTP error: {m}" for m in self.bad_responses])


@contextlib.contextmanager
def settled(page, quiet_ms: int = 150, timeout_ms: int = 10_000):
    """Run the block, then wait until no request of ``page`` has been in flight for ``quiet_ms``
    (Playwright's "networkidle" waits a fixed 500 ms; the local server answers in a few)."""
    pending: set = set()

    def started(req):
        pending.add(req)

    def ended(req):
        pending.discard(req)

    page.on("request", started)
    page.on("requestfinished", ended)
    page.on("requestfailed", ended)
    try:
        yield
        quiet = waited = 0
        while quiet < quiet_ms and waited < timeout_ms:
            page.wait_for_timeout(25)
            waited += 25
            quiet = 0 if pending else quiet + 25
    finally:
        page.remove_listener("request", started)
        page.remove_listener("requestfinished", ended)
        page.remove_listener("requestfailed", ended)


def record(page, url: str, wait_fonts: bool = True) -> Visit:
    """Load ``url`` in ``page`` (fresh, no listeners yet) and write down everything that happened."""
    visit = Visit(url)

    def on_console(msg):
        if msg.type == "error":
            loc = msg.location or {}
            visit.console_errors.append(f"{msg.text} ({loc.get('url', '')}:{loc.get('lineNumber', '')})")

    page.on("console", on_console)
    page.on("pageerror", lambda exc: visit.page_errors.append(str(exc)))
    page.on("requestfailed", lambda req: visit.failed_requests.append(f"{req.url} ({req.failure})"))
    page.on("request", lambda req: visit.requests.append(req.url))
    page.on("response", lambda resp: resp.status >= 400 and visit.bad_responses.append(f"{resp.status} {resp.url}"))
    with settled(page):
        response = page.goto(url, wait_until="load")
        visit.status = response.status if response else None
        if wait_fonts:
            page.evaluate("document.fonts.ready.then(() => true)")
    visit.html_lang = page.get_attribute("html", "lang")
    visit.html_dir = page.get_attribute("html", "dir")
    h1 = page.locator("h1").first
    visit.h1 = h1.inner_text().strip() if h1.count() else ""
    return visit


# --------------------------------------------------------------------------
# fonts.css, and why a cluster may not find one face


@dataclass(frozen=True)
class FontFace:
    family: str
    weight: str
    file: str  # the file name in fonts/
    chars: frozenset[int]


def _unicode_range(value: str) -> frozenset[int]:
    out: set[int] = set()
    for part in value.split(","):
        part = part.strip().upper().removeprefix("U+")
        if not part:
            continue
        lo, _, hi = part.partition("-")
        out.update(range(int(lo, 16), int(hi or lo, 16) + 1))
    return frozenset(out)


def font_faces(site: Path) -> list[FontFace]:
    """The @font-face rules of the built site's fonts/fonts.css."""
    css = (site / "fonts" / "fonts.css").read_text("utf-8")
    faces = []
    for block in re.findall(r"@font-face\s*{(.*?)}", css, re.S):
        family = re.search(r"font-family:\s*['\"]?([^;'\"]+)", block)
        url = re.search(r"url\(['\"]?([^'\")]+)", block)
        weight = re.search(r"font-weight:\s*([^;]+)", block)
        rng = re.search(r"unicode-range:\s*([^;]+)", block)
        if family and url:
            faces.append(FontFace(family.group(1).strip(), weight.group(1).strip() if weight else "400",
                                  url.group(1).rsplit("/", 1)[-1],
                                  _unicode_range(rng.group(1)) if rng else frozenset(range(0x110000))))
    return faces


#: characters after which the next consonant belongs to the same cluster (Khmer coeng, Brahmic viramas)
_JOINERS = {0x17D2, 0x0E3A, 0x0EBA, 0xAA5F, 0x200D}


def clusters(text: str) -> list[str]:
    """Rough grapheme clusters for shaping: a base, its marks, and consonants joined by coeng/virama."""
    import unicodedata

    out: list[str] = []
    for ch in text:
        joined = out and ord(out[-1][-1]) in _JOINERS
        if out and (joined or unicodedata.category(ch) in ("Mn", "Mc", "Me")):
            out[-1] += ch
        else:
            out.append(ch)
    return out


def split_clusters(text: str, faces: list[FontFace], family: str, weight: str = "400") -> dict[str, list[str]]:
    """Clusters of ``text`` that no single ``family`` face of ``weight`` covers, with the files each
    character comes from: a browser shapes a cluster with one font file, so such a cluster falls back
    to a system font (or shows tofu / dotted circles) however many of our files hold its characters."""
    mine = [f for f in faces if f.family == family and f.weight == weight]
    out = {}
    for c in sorted(set(clusters(text))):
        cps = {ord(ch) for ch in c}
        if len(c) < 2 or any(cps <= f.chars for f in mine) or not any(cps & f.chars for f in mine):
            continue  # a single character, covered by one face, or not this family's script
        out[c] = [f"{ch} U+{ord(ch):04X} in {', '.join(f.file for f in mine if ord(ch) in f.chars) or 'no face'}"
                  for ch in c]
    return out


# --------------------------------------------------------------------------
# Chromium, for a module's fixtures


@contextlib.contextmanager
def chromium():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def local_context(browser, server: SiteServer, **options):
    """A browser context whose requests never leave ``server`` (others are aborted: a failed request)."""
    local = server.origin + "/"
    ctx = browser.new_context(service_workers="block", **options)
    ctx.route(lambda url: not url.startswith(local), lambda route: route.abort("blockedbyclient"))
    return ctx


#: reports every Content-Security-Policy violation as a console error (record() collects those)
CSP_VIOLATIONS_TO_CONSOLE = (
    "document.addEventListener('securitypolicyviolation', e => console.error("
    "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')))")


def csp_context(browser, allowed: str, **options):
    """A context whose requests never leave URLs starting with ``allowed`` and whose pages report CSP
    violations as console errors."""
    ctx = browser.new_context(service_workers="block", **options)
    ctx.add_init_script(CSP_VIOLATIONS_TO_CONSOLE)
    ctx.route(lambda url: not url.startswith(allowed), lambda route: route.abort("blockedbyclient"))
    return ctx


def system_fonts(page, selector: str) -> list[tuple[str, list[dict]]]:
    """(text, fonts) of each element matching ``selector`` whose glyphs Chromium drew (partly)
    with a system font rather than a web font: where our font lacked a glyph, or could not
    shape a cluster."""
    cdp = page.context.new_cdp_session(page)
    try:
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        nodes = cdp.send("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"]
        texts = page.locator(selector).evaluate_all("els => els.map(e => e.innerText)")
        out = []
        for node, text in zip(nodes, texts):
            fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
            system = [f for f in fonts if not f.get("isCustomFont")]
            if system:
                out.append((text, system))
        return out
    finally:
        cdp.detach()
