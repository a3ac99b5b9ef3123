"""Output step for ``lantoa build --kiosk``: a copy of the site that works from file://.

Under file:// a browser opens no ``index.html`` for a directory URL (``../km/``
shows a folder listing, or nothing). The kiosk build runs MkDocs with
``use_directory_urls: false`` (``lantoa.site.config.mkdocs_config``), so every
link MkDocs makes names its ``index.html``; this step does the same for the
links our templates and output steps build themselves (edition prefixes, the
language suggestions, cards), so nothing is left pointing at a directory.
Every link stays relative, so the copy also works under any base path over
HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path

from .incremental import replace_text

_LINK = re.compile(r"""(<(?:a|area|link|form)\b[^>]*?\s(?:href|action)=)(["'])([^"']*)\2""", re.I)
_EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|/|#|$)")


def file_url(url: str) -> str:
    """'../km/' -> '../km/index.html', '.' -> 'index.html', '../x/#a' -> '../x/index.html#a'; others unchanged."""
    if _EXTERNAL.match(url):
        return url
    cut = min((i for i in (url.find("#"), url.find("?")) if i >= 0), default=len(url))
    path, rest = url[:cut], url[cut:]
    if path in (".", "..") or path.endswith("/.") or path.endswith("/.."):
        path += "/"
    if path == "" or not path.endswith("/"):
        return url
    return f"{path}index.html{rest}" if path != "./" else f"index.html{rest}"


def rewrite(doc: str) -> str:
    return _LINK.sub(lambda m: f"{m.group(1)}{m.group(2)}{file_url(m.group(3))}{m.group(2)}", doc)


def kiosk_step(ctx) -> int:
    if not getattr(ctx, "kiosk", False):
        return 0
    site: Path = ctx.site
    count = 0
    for path in sorted(site.rglob("*.html")):
        doc = path.read_text("utf-8")
        new = rewrite(doc)
        if new != doc:
            replace_text(path, new)
            count += 1
    return count
