"""A JSON content API for partners: ``api/<lang>/stories.json`` and one file per story.

Embassies' own sites and partner media reuse stories from it; the schema is
documented in README.md ("Content API"). URLs are absolute when site_url is set.
"""

from __future__ import annotations

import json
import re

from ..content import translations as tr
from .config import read_raw
from .editions import load_models

SCHEMA_VERSION = 1
_BODY = re.compile(r"<!--lantoa:body-->(.*?)<!--/lantoa:body-->", re.S)


def _url(ctx, rel: str) -> str:
    return (ctx.site_url or "/") + rel


def api_step(ctx) -> int:
    models = load_models(ctx)
    project, registry = ctx.project, ctx.registry
    raw, _ = read_raw(ctx.root)
    licence = str(((raw.get("extra") or {}).get("content_license")) or "")
    written = 0
    for tag, model in models.items():
        prefix = model["editions"][tag]
        index = []
        for entry in project.published_stories():
            page = model["pages"][f"story:{entry.slug}"]
            rel = prefix + entry.url_path
            built = ctx.site / rel / "index.html"
            m = _BODY.search(built.read_text("utf-8")) if built.is_file() else None
            hero = page.get("hero")
            record = {
                "slug": entry.slug, "url": _url(ctx, rel), "language": page["lang"], "edition": tag,
                "fallback": page["lang"] != tag, "title": page["title"], "summary": page["summary"],
                "date": page["date"], "updated": page["updated"] or None,
                "category": {"id": page["category"]["id"], "name": page["category"]["name"]},
                "tags": page["tags"], "authors": page["authors"],
                "translation_status": tr.status(entry, page["lang"]),
                "hero": None if not hero else {
                    "url": _url(ctx, hero["src"]), "width": hero["width"], "height": hero["height"],
                    "alt": hero["alt"], "caption": hero["caption"], "credit": hero["credit"], "license": hero["license"],
                },
                "license": licence or None,
                "api": _url(ctx, f"api/{tag}/stories/{entry.slug}.json"),
            }
            index.append(record)
            full = dict(record)
            full["html"] = m.group(1).strip() if m else ""
            full["sources"] = page["sources"]
            full["translations"] = {
                t: {"url": _url(ctx, model["editions"][t] + entry.url_path), "status": tr.status(entry, t)}
                for t in registry.tags() if t == entry.source_lang or tr.status(entry, t) != tr.MISSING
            }
            _dump(ctx.site / "api" / tag / "stories" / f"{entry.slug}.json", full)
            written += 1
        _dump(ctx.site / "api" / tag / "stories.json",
              {"schema": SCHEMA_VERSION, "language": tag, "count": len(index), "stories": index})
        written += 1
    return written


def _dump(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", "utf-8")
