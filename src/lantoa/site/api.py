"""A JSON content API for partners: ``api/<lang>/stories.json`` and one file per story.

Embassies' own sites and partner media reuse stories from it; the schema is
documented in README.md ("Content API"). URLs are absolute when site_url is set.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..content import translations as tr
from .config import read_raw
from .incremental import link_or_copy

SCHEMA_VERSION = 1


def edition_api(out: Path, tag: str, model: dict, bodies: dict[str, str | None], site_url: str, licence: str,
                kept: frozenset[str] = frozenset(), kept_dir: Path | None = None) -> int:
    """Write edition ``tag``'s API under ``out`` (its MkDocs output) from its staged model and the
    story bodies of its built pages (``bodies``: path in ``out`` -> the page's body HTML, see
    lantoa.site.pagefacts). Made by the edition's worker (lantoa.site.builder), so it is kept with
    the edition in the build cache. Returns the files written.
    ``kept``: the pages reused from ``kept_dir``, the kept output of this edition, checked intact
    in this build (lantoa.site.incremental.reusable_pages). A story's file is made of what its page
    is made of (its record, its body) and of what every page of the edition shares (the editions,
    mkdocs.yml): a kept page's file is linked from there, not written again."""
    def url(rel: str) -> str:
        return (site_url or "/") + rel

    prefix = model["editions"][tag]
    index = []
    (out / "api" / tag / "stories").mkdir(parents=True, exist_ok=True)
    for slug in model["pages"]["home"]["stories"]:
        page = model["pages"][f"story:{slug}"]
        rel = prefix + page["path"]
        body = bodies.get(rel + "index.html")
        hero = page.get("hero")
        record = {
            "slug": slug, "url": url(rel), "language": page["lang"], "edition": tag,
            "fallback": page["lang"] != tag, "title": page["title"], "summary": page["summary"],
            "date": page["date"], "updated": page["updated"] or None,
            "category": {"id": page["category"]["id"], "name": page["category"]["name"]},
            "tags": page["tags"], "authors": page["authors"],
            "translation_status": page["translations"][page["lang"]],
            "hero": None if not hero else {
                "url": url(hero["src"]), "width": hero["width"], "height": hero["height"],
                "alt": hero["alt"], "caption": hero["caption"], "credit": hero["credit"], "license": hero["license"],
                # the source's caption when the shown text has none of its own (lantoa.site.images)
                "caption_language": (hero.get("caption_lang") or page["lang"]) if hero["caption"] else None,
            },
            "license": licence or None,
            "api": url(f"api/{tag}/stories/{slug}.json"),
        }
        index.append(record)
        name = Path("api") / tag / "stories" / f"{slug}.json"
        if kept_dir is not None and rel + "index.html" in kept and (kept_dir / name).is_file():
            link_or_copy(str(kept_dir / name), str(out / name))
            continue
        full = dict(record)
        full["html"] = body or ""
        full["sources"] = page["sources"]
        full["translations"] = {t: {"url": url(model["editions"][t] + page["path"]), "status": status}
                                for t, status in page["translations"].items()}
        _dump(out / name, full)
    _dump(out / "api" / tag / "stories.json",
          {"schema": SCHEMA_VERSION, "language": tag, "count": len(index), "stories": index})
    return len(index) + 1


def translations(entry, tags: list[str]) -> dict[str, str]:
    """language -> translation status of a story, for the languages it has (and its source's)."""
    return {t: found for t, found in tr.statuses(entry, tags).items() if t == entry.source_lang or found != tr.MISSING}


def settings(root: Path) -> tuple[str, str]:
    """(site_url with a trailing slash or "", the content licence) from mkdocs.yml."""
    raw, _ = read_raw(root)
    site_url = str(raw.get("site_url") or "")
    return (site_url.rstrip("/") + "/" if site_url else ""), str(((raw.get("extra") or {}).get("content_license")) or "")


def _dump(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # compact: the API is read by programs (the stories carry their HTML; indenting cost a twentieth)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n", "utf-8")
