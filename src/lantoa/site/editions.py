"""Per-edition outputs: sitemaps with hreflang alternates, a sitemap index, robots.txt,
an RSS 2.0 feed and a JSON Feed 1.1 per language.

Everything comes from the staged models (lantoa.site.stage), the same data
the pages were rendered from, so feeds, sitemaps and pages never disagree.
Absolute URLs need ``site_url`` in mkdocs.yml; without it these outputs are
skipped (``lantoa check`` warns).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import gzip
import json
import logging
import marshal
from pathlib import Path

from ..cachefile import keep_quietly
from .incremental import replace_bytes

log = logging.getLogger(__name__)
FEED_ITEMS = 50
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def escape(data: str) -> str:
    """``xml.sax.saxutils.escape``, which is not imported: that module imports urllib.request, and
    with it http.client and ssl, 36 ms of every build's start (tests/test_editions.py compares)."""
    return data.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")


def quoteattr(data: str) -> str:
    """``xml.sax.saxutils.quoteattr``: an attribute value, escaped and quoted."""
    data = escape(data).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    if '"' not in data:
        return f'"{data}"'
    if "'" not in data:
        return f"'{data}'"
    return '"{}"'.format(data.replace('"', "&quot;"))


def _abs(ctx, rel: str) -> str:
    return ctx.site_url + rel


def _lastmod(page: dict) -> str:
    return page.get("updated") or page.get("date") or ""


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    replace_bytes(path, data)  # never into a file in place: the site's files are links into the cache


def sitemaps_step(ctx) -> int:
    if not ctx.site_url:
        log.warning("site_url is not set in mkdocs.yml: no sitemaps, feeds or absolute hreflang links")
        return 0
    written = 0
    index = []
    links: dict[str, str] = {}  # a page's alternate links: the same in every edition's sitemap
    for tag in ctx.langs:
        prefix = ctx.registry.prefix(tag)
        for rel, data in per_edition(ctx, "sitemap", tag, lambda: _sitemap(ctx, tag, links)).items():
            _write(ctx.site / rel, data)
            written += 1
        index.append(_abs(ctx, prefix + "sitemap.xml"))
    _write(ctx.site / "sitemap_index.xml",
           (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="{SITEMAP_NS}">\n'
            + "".join(f"  <sitemap><loc>{escape(u)}</loc></sitemap>\n" for u in index)
            + "</sitemapindex>\n").encode("utf-8"))
    _write(ctx.site / "robots.txt",
           f"User-agent: *\nDisallow: /_status/\n\nSitemap: {_abs(ctx, 'sitemap_index.xml')}\n".encode("utf-8"))
    return written + 2


def _sitemap(ctx, tag: str, links: dict[str, str]) -> dict[str, bytes]:
    """Edition ``tag``'s sitemap, plain and gzipped (site path -> bytes). ``links``: the alternate
    links of each page path, made once for every edition that lists the page."""
    model = ctx.staged.models[tag]  # (a kept edition's is read from its kept staging now: lantoa.site.stage.Models)
    default = ctx.registry.default
    prefix = model["editions"][tag]
    urls = []
    for key in sorted(model["pages"]):
        page = model["pages"][key]
        if "path" not in page:
            continue
        alternates = links.get(page["path"])
        if alternates is None:
            pairs = [(t, _abs(ctx, model["editions"][t] + page["path"])) for t in ctx.langs]
            pairs.append(("x-default", _abs(ctx, model["editions"][default] + page["path"])))
            alternates = links[page["path"]] = "\n".join(
                f'    <xhtml:link rel="alternate" hreflang={quoteattr(t)} href={quoteattr(u)}/>' for t, u in pairs)
        lines = [f"  <url>\n    <loc>{escape(_abs(ctx, prefix + page['path']))}</loc>"]
        if _lastmod(page):
            lines.append(f"    <lastmod>{_lastmod(page)}</lastmod>")
        lines.append(alternates)
        urls.append("\n".join(lines) + "\n  </url>")
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">\n'
           + "\n".join(urls) + "\n</urlset>\n").encode("utf-8")
    # zlib's default level: level 9 took 8 ms a sitemap at 400 stories (12 of them in every
    # build) for 9% fewer bytes than level 6's 2.3 ms
    return {f"{prefix}sitemap.xml": xml, f"{prefix}sitemap.xml.gz": gzip.compress(xml, compresslevel=6, mtime=0)}


#: what :func:`per_edition` keeps of an edition's outputs: a change voids the kept ones
EARLY_FORMAT = 1


def per_edition(ctx, kind: str, tag: str, make) -> dict[str, bytes]:
    """The files of ``kind`` (sitemap, feeds) of edition ``tag``, as ``make()`` gives them (site
    path -> bytes), kept in the build cache by the edition's staging key (lantoa.site.stage), which
    covers all they are made from: its model (made from the same inputs), the editions built,
    ``site_url`` (mkdocs.yml) and lantoa's code. After a one-story edit the eleven other editions'
    are read back instead of made again (at 400 x 12, 0.1 s of the build's main process: their
    models are read from the kept stagings only for this), only the edited edition's are made."""
    key = ctx.staged.keys.get(tag) if ctx.cache_dir else None
    if key is None:
        return make()
    kept_file = ctx.cache_dir / "early" / f"{tag}{'.kiosk' if ctx.kiosk else ''}.{kind}.marshal"
    stamp = (EARLY_FORMAT, kind, tag, key, ctx.site_url)
    try:
        was, files = marshal.loads(kept_file.read_bytes())
        if was == stamp and isinstance(files, dict):
            return files
    except (OSError, ValueError, EOFError, TypeError):
        pass  # none yet, or unreadable: made again
    files = make()
    keep_quietly(kept_file, marshal.dumps((stamp, files)))
    return files


def _rfc822(date: str) -> str:
    d = dt.date.fromisoformat(date)
    return email.utils.format_datetime(dt.datetime(d.year, d.month, d.day, tzinfo=dt.timezone(dt.timedelta(hours=7))))


def _rfc3339(date: str) -> str:
    return f"{date}T00:00:00+07:00"


def feeds_step(ctx) -> int:
    if not ctx.site_url:
        return 0
    written = 0
    for tag in ctx.langs:
        for rel, data in per_edition(ctx, "feeds", tag, lambda: _feeds(ctx, tag)).items():
            _write(ctx.site / rel, data)
            written += 1
    return written


def _feeds(ctx, tag: str) -> dict[str, bytes]:
    """Edition ``tag``'s JSON Feed and RSS feed (site path -> bytes)."""
    model = ctx.staged.models[tag]
    prefix = model["editions"][tag]
    home = model["pages"]["home"]
    strings = model["strings"]
    title = f"{strings.get('site.name', 'Lan Tỏa')} — {strings.get('home.latest', '')}".strip(" —")
    cards = home["cards"][:FEED_ITEMS]
    items_json = []
    items_rss = []
    for c in cards:
        url = _abs(ctx, c["url"])
        item = {"id": url, "url": url, "title": c["title"], "summary": c["summary"],
                "content_text": c["summary"], "date_published": _rfc3339(c["date"]), "language": c["lang"],
                "tags": [c["category"]["name"]]}
        if c.get("hero"):
            item["image"] = _abs(ctx, c["hero"]["src"])
        items_json.append(item)
        rss = [f"    <item>", f"      <title>{escape(c['title'])}</title>", f"      <link>{escape(url)}</link>",
               f'      <guid isPermaLink="true">{escape(url)}</guid>',
               f"      <pubDate>{_rfc822(c['date'])}</pubDate>",
               f"      <description>{escape(c['summary'])}</description>",
               f"      <category>{escape(c['category']['name'])}</category>"]
        if c.get("hero"):
            img = ctx.media_file(c["hero"]["src"])
            size = img.stat().st_size if img.is_file() else 0
            rss.append(f'      <enclosure url={quoteattr(_abs(ctx, c["hero"]["src"]))} length="{size}" type="image/jpeg"/>')
        items_rss.append("\n".join(rss + ["    </item>"]))
    feed = {
        "version": "https://jsonfeed.org/version/1.1", "title": title,
        "home_page_url": _abs(ctx, prefix), "feed_url": _abs(ctx, prefix + "feed.json"),
        "description": strings.get("site.description", ""), "language": tag,
        "authors": [{"name": strings.get("site.name", "Lan Tỏa"), "url": _abs(ctx, prefix)}],
        "items": items_json,
    }
    last = max((c["date"] for c in cards), default="2000-01-01")
    rss = ('<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">\n'
           "  <channel>\n"
           f"    <title>{escape(title)}</title>\n    <link>{escape(_abs(ctx, prefix))}</link>\n"
           f"    <description>{escape(strings.get('site.description', ''))}</description>\n"
           f"    <language>{escape(tag)}</language>\n    <lastBuildDate>{_rfc822(last)}</lastBuildDate>\n"
           f'    <atom:link href={quoteattr(_abs(ctx, prefix + "feed.xml"))} rel="self" type="application/rss+xml"/>\n'
           + "\n".join(items_rss) + "\n  </channel>\n</rss>\n")
    return {f"{prefix}feed.json": (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8"),
            f"{prefix}feed.xml": rss.encode("utf-8")}
