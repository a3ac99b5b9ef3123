"""``lantoa new story``: scaffold a story folder with its front matter."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import frontmatter

from ..errors import LantoaError

_TRANSLIT = str.maketrans({"đ": "d", "Đ": "D", "ð": "d", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss",
                           "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"})


def slugify(title: str, max_length: int = 60) -> str:
    """'Vịnh Hạ Long' → 'vinh-ha-long': Vietnamese letters lose their marks, đ → d, the rest becomes hyphens."""
    text = unicodedata.normalize("NFKD", title.translate(_TRANSLIT))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")  # any other character (– · ’ or a non-Latin letter) splits words
    if len(text) > max_length:
        text = text[:max_length].rsplit("-", 1)[0]
    return text


def new_story(root: Path, title: str, lang: str = "vi", category: str = "culture", slug: str | None = None,
              today: dt.date | None = None) -> Path:
    title = unicodedata.normalize("NFC", title.strip())
    if not title:
        raise LantoaError("the title is empty — give the story a title: lantoa new story \"Vịnh Hạ Long\"")
    slug = slug or slugify(title)
    if not slug or not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug):
        raise LantoaError(f"cannot make a folder name from {title!r} — pass one with --slug my-story")
    folder = root / "content" / "stories" / slug
    target = folder / "index.md"
    if folder.exists():
        raise LantoaError(f"{target.relative_to(root).as_posix()} already exists — choose another title or --slug; "
                          "nothing was overwritten")
    post = frontmatter.Post(
        "## \n\nWrite the story here. Cite every fact in `sources`.\n",
        title=title,
        summary="",
        date=(today or dt.date.today()).isoformat(),
        category=category,
        lang=lang,
        tags=[],
        authors=[],
        sources=[{"title": "", "url": "https://", "as_of": (today or dt.date.today()).isoformat()}],
        status="draft",
    )
    folder.mkdir(parents=True)
    text = frontmatter.dumps(post, sort_keys=False, allow_unicode=True, default_flow_style=False)
    # dates must stay ISO strings: the dumper quotes them, which our strict reader also accepts
    target.write_text(text + "\n", encoding="utf-8")
    return target
