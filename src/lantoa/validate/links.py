"""Links from one text to another, as editors write them: the path from the text's folder in
``content/`` to the other text's folder (or to its ``index.md``), with a heading if they like.

    from a story to a story   [Hội An](../hoi-an/)
    from a story to a page    [Giới thiệu](../../pages/about/)
    from a page to a story    [Hội An](../../stories/hoi-an/index.md#lich-su)
    from a page to a page     [Trang chủ](../home/)

The site does not keep the content folder's layout: a story is at ``stories/<slug>/`` there, a
page at ``<slug>/``, the home page at the edition's root. :func:`docs_url` gives the other text's
address in the site, relative to this text's (so the same in every edition: the link leads to
that edition's page), which the build writes into the page before MkDocs reads it; ``lantoa
check`` resolves the same paths (:func:`resolve`), so what it accepts is what the build links.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote

from .markup import scheme_of

#: the folders of content/ that hold texts, and the kind of text each holds
FOLDERS = {"stories": "story", "pages": "page"}
FOLDER_OF = {kind: folder for folder, kind in FOLDERS.items()}
#: a translation's file in a text's folder: index.<tag>.md
_TRANSLATION_FILE = re.compile(r"index\.[A-Za-z0-9-]+\.md")


@dataclass(frozen=True)
class Target:
    """Where a relative link leads in ``content/``: a folder of texts' ``kind`` and ``slug``, and
    the path within it (``rest``); ``path``: the link's path as written, ``tail``: its ``?…#…``."""

    kind: str
    slug: str
    rest: tuple[str, ...]
    path: str
    tail: str

    @property
    def names_text(self) -> bool:
        """The link names the text itself: its folder, or its index.md."""
        return not self.rest or self.rest == ("index.md",)

    @property
    def names_translation(self) -> bool:
        """The link names one translation of the text (index.<tag>.md), which no edition has as a page
        of its own: each edition shows the text in its language."""
        return len(self.rest) == 1 and _TRANSLATION_FILE.fullmatch(self.rest[0]) is not None


def _split(url: str) -> tuple[str, str] | None:
    """(path, ``?…#…``) of a relative link with a path; None for anything else (an address with a
    scheme, one from the site's root, a heading of the same page, a Windows path)."""
    if not url or scheme_of(url) is not None or url[0] in "#/?" or "\\" in url:
        return None
    cut = len(url)
    for mark in "?#":
        at = url.find(mark)
        if 0 <= at < cut:
            cut = at
    return (url[:cut], url[cut:]) if cut else None


def text_dir(kind: str, slug: str) -> str:
    """A text's folder in the content folder."""
    return f"{FOLDER_OF[kind]}/{slug}"


def site_dir(kind: str, slug: str) -> str:
    """A text's folder in an edition of the site ("" for the home page: the edition's root);
    lantoa.content.model.Entry.url_path without its slash."""
    if kind == "story":
        return f"stories/{slug}"
    return "" if slug == "home" else slug


def resolve(kind: str, slug: str, url: str) -> Target | None:
    """Where ``url``, written in text ``slug`` of ``kind``, leads in content/: a Target inside a
    folder of texts (its own one included), or None (not a relative link, or one that leads
    elsewhere: such a link is left as it is)."""
    split = _split(url)
    if split is None:
        return None
    path = unquote(split[0])
    parts = PurePosixPath(posixpath.normpath(f"{text_dir(kind, slug)}/{path}")).parts
    if len(parts) < 2 or parts[0] not in FOLDERS:
        return None
    return Target(FOLDERS[parts[0]], parts[1], parts[2:], split[0], split[1])


def path_between(kind: str, slug: str, to_kind: str, to_slug: str, site: bool = False) -> str:
    """The relative path from one text's folder to another's, ending in a slash: in the content
    folder (as editors write it), or with ``site`` in an edition of the site."""
    where = site_dir if site else text_dir
    return posixpath.relpath(where(to_kind, to_slug) or ".", where(kind, slug) or ".") + "/"


def docs_url(kind: str, slug: str, url: str) -> str | None:
    """The link ``url`` of text ``slug`` as the site needs it, when it names another text: that
    text's address in the site, relative (its folder, with the heading written; the address
    MkDocs would make of ``index.md``, made here so that the page is the same whether or not
    the other text is in the build: ``lantoa check`` has said whether it is); None when it is to
    be left as it is (not a link to a text, or one already written so)."""
    target = resolve(kind, slug, url)
    if target is None or not target.names_text or (target.kind, target.slug) == (kind, slug):
        return None
    # with its slash even when written without: a static host need not redirect a folder's name
    new = path_between(kind, slug, target.kind, target.slug, site=True) + target.tail
    return None if new == url else new


def site_reading(kind: str, slug: str, url: str) -> tuple[str, str] | None:
    """(kind, slug) of the text ``url`` leads to when read as a path in the site rather than in
    content/ (``../stories/hoi-an/`` written in a page): for a did-you-mean. None when it names none."""
    split = _split(url)
    if split is None:
        return None
    parts = PurePosixPath(posixpath.normpath(f"{site_dir(kind, slug) or '.'}/{unquote(split[0])}")).parts
    if parts and parts[0] == "..":
        return None
    if not parts or parts == (".",):
        return "page", "home"
    if parts[0] == "stories" and len(parts) >= 2:
        return "story", parts[1]
    return "page", parts[0]
