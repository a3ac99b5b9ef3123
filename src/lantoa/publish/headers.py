"""HTTP headers of every published file, from ONE table.

The S3 publisher (object metadata), the per-page Content-Security-Policy
(``lantoa.site.csp``), the generated ``_headers`` file (Netlify / Cloudflare
Pages), the nginx snippet and the CloudFront response-headers policy in
docs/hosting.md are all rendered from the tables below, so a host never
serves a file with headers that another host would not.

- ``CONTENT_TYPES``: pinned by extension; the host's ``mimetypes`` database
  is never consulted (without /etc/mime.types Python 3.11 does not know
  .webp or .woff2). An extension missing here is an error naming the file.
- ``cache_control``: content-hashed files (Material's
  ``assets/**/<name>.<hash>.min.js``, our ``fonts/<family>-<hash>.woff2``,
  media variants named ``<name>.<hash>.<ext>`` or ``<name>-<hash>.<ext>``)
  never change under their name, so they are cached for a year as
  immutable; everything else (HTML, feeds, sitemaps, search indexes, JSON,
  unhashed CSS and images) must be revalidated on every use, so a publish is
  visible at once and a page never meets an asset from another release.
- ``SECURITY_HEADERS``: sent with every response by hosts that can set
  headers. The Content-Security-Policy that restricts scripts travels inside
  each page (a ``<meta>`` tag with the hashes of that page's inline scripts,
  see ``page_csp``), so mirrors and kiosks are protected without any host
  configuration; the header adds what a ``<meta>`` cannot say
  (``frame-ancestors``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from ..errors import LantoaError

#: extension -> (media type, is text). Text types get "; charset=utf-8".
CONTENT_TYPES: dict[str, tuple[str, bool]] = {
    ".html": ("text/html", True),
    ".htm": ("text/html", True),
    ".css": ("text/css", True),
    ".js": ("text/javascript", True),
    ".mjs": ("text/javascript", True),
    ".map": ("application/json", True),
    ".json": ("application/json", True),
    ".webmanifest": ("application/manifest+json", True),
    ".xml": ("application/xml", True),
    ".rss": ("application/rss+xml", True),
    ".atom": ("application/atom+xml", True),
    ".xsl": ("application/xslt+xml", True),
    ".txt": ("text/plain", True),
    ".md": ("text/markdown", True),
    ".csv": ("text/csv", True),
    ".vtt": ("text/vtt", True),
    ".svg": ("image/svg+xml", True),
    ".png": ("image/png", False),
    ".jpg": ("image/jpeg", False),
    ".jpeg": ("image/jpeg", False),
    ".gif": ("image/gif", False),
    ".webp": ("image/webp", False),
    ".avif": ("image/avif", False),
    ".ico": ("image/x-icon", False),
    ".woff2": ("font/woff2", False),
    ".woff": ("font/woff", False),
    ".ttf": ("font/ttf", False),
    ".otf": ("font/otf", False),
    ".gz": ("application/gzip", False),
    ".zip": ("application/zip", False),
    ".pdf": ("application/pdf", False),
    ".mp4": ("video/mp4", False),
    ".webm": ("video/webm", False),
    ".mp3": ("audio/mpeg", False),
    ".ogg": ("audio/ogg", False),
    ".wasm": ("application/wasm", False),
}

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "public, max-age=0, must-revalidate"

#: a content hash in a file name: 8+ hex digits with at least one digit and one letter (so a date
#: such as photo-20240101.jpg is not taken for a hash), after "." or "-", right before the extension(s)
_HASHED = re.compile(r"[.-](?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,64}(?:\.min)?(?:\.[a-z0-9]+){1,2}$")

#: files that configure a host and are not part of the site a visitor loads
HOST_FILES = frozenset({"_headers", "_redirects"})

#: the policy of every page (the <meta> tag; script-src and style-src get the page's hashes)
CSP_DIRECTIVES: dict[str, list[str]] = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "font-src": ["'self'"],
    "connect-src": ["'self'"],
    "worker-src": ["'self'"],
    "manifest-src": ["'self'"],
    "media-src": ["'self'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}

#: what a <meta> policy cannot say: sent as a header by hosts that can (both policies apply)
CSP_HEADER = "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"

SECURITY_HEADERS: dict[str, str] = {
    "Content-Security-Policy": CSP_HEADER,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Strict-Transport-Security": "max-age=31536000",
}


class UnknownFileType(LantoaError):
    pass


def extension(path: str) -> str:
    name = posixpath.basename(path)
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def content_type(path: str) -> str:
    """The Content-Type of a site file, from the pinned table; unknown extensions are an error."""
    ext = extension(path)
    if ext not in CONTENT_TYPES:
        known = " ".join(sorted(CONTENT_TYPES))
        raise UnknownFileType(f"{path}: no Content-Type for {'extension ' + repr(ext) if ext else 'a file without extension'}"
                              f" — rename the file, or add its type to CONTENT_TYPES in "
                              f"src/lantoa/publish/headers.py (known: {known})")
    media, text = CONTENT_TYPES[ext]
    return f"{media}; charset=utf-8" if text else media


def is_hashed(path: str) -> bool:
    """True when the file name carries a content hash (the name changes whenever the bytes do)."""
    return bool(_HASHED.search(path[path.rfind("/") + 1:]))  # posixpath.basename, without its call overhead


def cache_control(path: str) -> str:
    return IMMUTABLE if is_hashed(path) else REVALIDATE


@dataclass(frozen=True)
class ObjectHeaders:
    content_type: str
    cache_control: str


def for_path(path: str) -> ObjectHeaders:
    """The headers stored with a site file at the origin (the S3 object metadata)."""
    return ObjectHeaders(content_type(path), cache_control(path))


def page_csp(script_hashes: list[str], style_hashes: list[str] = (), style_attr_hashes: list[str] = ()) -> str:
    """The policy of one page: the table plus the sha256 sources of its inline scripts and styles.

    ``style_attr_hashes`` (style="…" attributes) need 'unsafe-hashes', which allows exactly those
    attribute values and nothing else; 'unsafe-inline' is never used."""
    parts = []
    for name, sources in CSP_DIRECTIVES.items():
        sources = list(sources)
        if name == "script-src":
            sources += [f"'sha256-{h}'" for h in script_hashes]
        elif name == "style-src":
            if style_attr_hashes:
                sources.append("'unsafe-hashes'")
            sources += [f"'sha256-{h}'" for h in sorted(set(style_hashes) | set(style_attr_hashes))]
        parts.append(" ".join([name, *sources]))
    return "; ".join(parts)


# --------------------------------------------------------------------------
# host configuration rendered from the table


def netlify_headers(paths: list[str]) -> str:
    """The ``_headers`` file of Netlify and Cloudflare Pages (written into the site root).

    Those hosts match URL paths, not regular expressions, so the immutable rules name the site's
    hashed files: one ``/dir/*`` rule for a folder holding only hashed files, else one rule per file."""
    lines = ["# generated by lantoa from src/lantoa/publish/headers.py — do not edit", "/*"]
    lines += [f"  {k}: {v}" for k, v in SECURITY_HEADERS.items()]
    # no catch-all Cache-Control: both hosts already send REVALIDATE by default, and they would join
    # it with the immutable rules' value (they merge the headers of every matching rule)
    flags = [(p, is_hashed(p)) for p in paths]
    # a splat matches across "/": /dir/* is right only when nothing below dir is unhashed. The
    # folders holding an unhashed file, with all their parents (a site has some 17,000 files)
    mixed: set[str] = set()
    for p, hashed in flags:
        d = p
        while not hashed and (cut := d.rfind("/")) > 0:
            d = d[:cut]
            if d in mixed:
                break  # and so are its parents
            mixed.add(d)
    rules: dict[str, None] = {}
    for p in sorted(p for p, hashed in flags if hashed):
        top, d = None, p  # the outermost of its folders, up from its own, with nothing unhashed below
        while (cut := d.rfind("/")) > 0 and (d := d[:cut]) not in mixed:
            top = d
        rules[f"/{top}/*" if top else f"/{p}"] = None
    for rule in rules:
        lines += [rule, "  Cache-Control: " + IMMUTABLE]
    return "\n".join(lines) + "\n"


def nginx_snippet() -> str:
    """An nginx ``server { }`` snippet: types from the table, hashed files immutable, security headers."""
    lines = ["# generated by lantoa from src/lantoa/publish/headers.py — do not edit",
             "# include inside server { }, with root pointing at the site",
             "types {"]
    by_type: dict[str, list[str]] = {}
    for ext, (media, _text) in CONTENT_TYPES.items():
        by_type.setdefault(media, []).append(ext[1:])
    lines += [f"    {media} {' '.join(exts)};" for media, exts in by_type.items()]
    lines += ["}", "default_type application/octet-stream;", "charset utf-8;",
              "charset_types " + " ".join(sorted({m for m, t in CONTENT_TYPES.values() if t and m != "text/html"})) + ";",
              "index index.html;"]
    sec = [f'add_header {k} "{v}" always;' for k, v in SECURITY_HEADERS.items()]
    lines += sec + [f'add_header Cache-Control "{REVALIDATE}" always;']
    lines.append(f'location ~* "{_HASHED.pattern}" {{')  # quoted: the regex holds braces
    lines += ["    " + s for s in sec]  # add_header in a location replaces the server's: repeat them
    lines += [f'    add_header Cache-Control "{IMMUTABLE}" always;', "}"]
    return "\n".join(lines) + "\n"


def cloudfront_response_headers_policy(name: str = "lantoa-security") -> dict:
    """The ResponseHeadersPolicyConfig for ``aws cloudfront create-response-headers-policy``."""
    return {
        "Name": name,
        "Comment": "generated by lantoa from src/lantoa/publish/headers.py",
        "SecurityHeadersConfig": {
            "ContentSecurityPolicy": {"Override": True, "ContentSecurityPolicy": SECURITY_HEADERS["Content-Security-Policy"]},
            "ContentTypeOptions": {"Override": True},
            "FrameOptions": {"Override": True, "FrameOption": SECURITY_HEADERS["X-Frame-Options"]},
            "ReferrerPolicy": {"Override": True, "ReferrerPolicy": SECURITY_HEADERS["Referrer-Policy"]},
            "StrictTransportSecurity": {"Override": True, "AccessControlMaxAgeSec": 31536000,
                                        "IncludeSubdomains": False, "Preload": False},
        },
        "CustomHeadersConfig": {"Quantity": 2, "Items": [
            {"Header": "Cross-Origin-Opener-Policy", "Value": SECURITY_HEADERS["Cross-Origin-Opener-Policy"],
             "Override": True},
            {"Header": "Permissions-Policy", "Value": SECURITY_HEADERS["Permissions-Policy"], "Override": True},
        ]},
    }


# --------------------------------------------------------------------------
# docs/hosting.md quotes these blocks; tests/test_csp.py checks they are current


EXAMPLE_PATHS = ["index.html", "assets/javascripts/bundle.a5f9d56c.min.js", "assets/javascripts/lunr/min/lunr.vi.min.js",
                 "assets/stylesheets/main.57a0d79d.min.css", "assets/lantoa.css", "fonts/fonts.css",
                 "fonts/lantoa-sans-400-3938509a96.woff2"]


def doc_blocks() -> dict[str, str]:
    import json

    return {
        "nginx": nginx_snippet(),
        "headers": netlify_headers(EXAMPLE_PATHS),
        "cloudfront": json.dumps(cloudfront_response_headers_policy(), indent=2) + "\n",
        "types": "\n".join(f"| `{ext}` | `{m}{'; charset=utf-8' if t else ''}` |"
                           for ext, (m, t) in CONTENT_TYPES.items()) + "\n",
    }


_BLOCK = re.compile(r"(<!-- generated: (\w+) -->\n```[a-z]*\n)(.*?)(```\n)", re.S)
_TABLE = re.compile(r"(<!-- generated: (\w+) -->\n)(\|.*?\n)(?=\n|$)", re.S)


def fill_blocks(text: str, blocks: dict[str, str]) -> str:
    """``text`` with the body of each fenced block after ``<!-- generated: NAME -->`` set to ``blocks[NAME]``."""
    return _BLOCK.sub(lambda m: m.group(1) + blocks[m.group(2)] + m.group(4), text)


def render_doc(text: str) -> str:
    """docs/hosting.md with every generated block replaced by the current table's rendering."""
    blocks = doc_blocks()
    text = fill_blocks(text, blocks)
    return _TABLE.sub(lambda m: m.group(1) + "| extension | Content-Type |\n|---|---|\n" + blocks[m.group(2)], text)


if __name__ == "__main__":  # python3 -m lantoa.publish.headers docs/hosting.md: regenerate the quoted blocks
    import sys
    from pathlib import Path

    for name in sys.argv[1:]:
        p = Path(name)
        p.write_text(render_doc(p.read_text("utf-8")), "utf-8")
