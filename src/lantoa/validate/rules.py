"""Semantic rules over the whole project. They return diagnostics; they never print or raise."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from pathlib import PurePosixPath

from ..content.loader import localized_name, regular_files
from ..content.model import Entry, Project, Variant
from ..content.yamlsafe import Pos
from ..diagnostics import Diagnostic, error, warning
from ..i18n.registry import Registry
from .. import media
from ..media import settings as media_settings
from . import links, markup

IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp"}
RESERVED_PAGES = {"stories", "categories", "languages", "assets", "fonts", "search", "api", "_status", "media",
                  "404", "sitemap", "feed"}


def check_project(project: Project, registry: Registry, now: dt.datetime | None = None) -> list[Diagnostic]:
    now = now or dt.datetime.now(dt.timezone.utc)
    out: list[Diagnostic] = []
    out += media_settings.load(project.root)[1]
    out += _duplicate_slugs(project)
    tags = registry.tags()  # sorted at each call: once here, not for each of 4,800 files (400 x 12)
    for entry in project.entries():
        out += _entry_rules(project, registry, entry, now, tags)
    if "home" not in project.pages:
        out.append(warning("content/pages", 0, 0, "no-home-page", "there is no home page text",
                           "create content/pages/home/index.md with a title, summary and an introduction"))
    return out


def _fold(slug: str) -> str:
    text = unicodedata.normalize("NFKD", slug.casefold()).replace("đ", "d")
    return "".join(c for c in text if c.isalnum())


def _duplicate_slugs(project: Project) -> list[Diagnostic]:
    out = []
    for group in (project.stories, project.pages):
        seen: dict[str, Entry] = {}
        for slug in sorted(group):
            key = _fold(slug)
            entry = group[slug]
            if key in seen:
                first = seen[key]
                out.append(error(_dir(entry), 0, 0, "duplicate-slug",
                                 f"'{slug}' makes the same address as '{first.slug}'",
                                 "give one of the two folders a different name"))
            else:
                seen[key] = entry
    for slug, entry in project.pages.items():
        if slug in RESERVED_PAGES:
            out.append(error(_dir(entry), 0, 0, "reserved-slug", f"'{slug}' is a name the site uses itself",
                             "choose another folder name"))
    return out


def _dir(entry: Entry) -> str:
    return PurePosixPath(entry.source.path).parent.as_posix() if entry.source else f"content/{entry.slug}"


def _entry_rules(project: Project, registry: Registry, entry: Entry, now: dt.datetime, tags: list[str]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    src = entry.source
    if src is None:
        if not entry.translations:
            out.append(error(f"content/{'stories' if entry.kind == 'story' else 'pages'}/{entry.slug}", 0, 0,
                             "no-source", "folder has no index.md", "add index.md or remove the folder"))
        return out
    # the source language
    if src.lang not in registry:
        p = src.doc.pos("lang")
        out.append(error(src.path, p.line, p.col, "unknown-language",
                         f"source language '{src.lang}' is not registered", registry.suggest(str(src.lang))))
    for tag, variant in entry.translations.items():
        if tag not in registry:
            out.append(error(variant.path, 1, 1, "unknown-language",
                             f"'{tag}' in the file name is not a registered language", registry.suggest(tag)))
        elif tag == src.lang:
            out.append(error(variant.path, 1, 1, "duplicate-language",
                             f"index.md is already in '{tag}'", f"merge it into index.md or rename it"))
    if entry.kind == "story":
        out += _story_rules(project, entry, now, tags)
    for variant in entry.variants():
        out += _text_rules(variant)
        out += _body_rules(project, entry, variant, tags)
    return out


def _story_rules(project: Project, entry: Entry, now: dt.datetime, tags=()) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    src = entry.source
    assert src is not None
    doc = src.doc
    if entry.category and project.categories and entry.category not in project.categories:
        p = doc.pos("category")
        close = difflib.get_close_matches(entry.category, project.categories, n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(project.categories)}"
        out.append(error(src.path, p.line, p.col, "unknown-category", f"unknown category '{entry.category}'", hint))
    if entry.date and entry.date > now and any(v.status == "published" for v in entry.variants()):
        p = doc.pos("date")
        out.append(error(src.path, p.line, p.col, "future-date",
                         f"a published story is dated in the future ({entry.date.date().isoformat()})",
                         "fix the date, or set status: draft until the day comes"))
    if entry.date and entry.updated and entry.updated < entry.date:
        p = doc.pos("updated")
        out.append(error(src.path, p.line, p.col, "bad-date", "'updated' is before 'date'", "check both dates"))
    if entry.updated and entry.updated > now:
        p = doc.pos("updated")
        out.append(error(src.path, p.line, p.col, "future-date", "'updated' is in the future", "fix the date"))
    if entry.hero is not None and entry.hero.src:
        out += _media_ref(entry, src, entry.hero.src, doc.pos("hero", "src"), "hero.src", tags)
    for i, ref in enumerate(entry.sources):
        scheme = markup.scheme_of(ref.url)
        if scheme not in ("http", "https"):
            p = doc.pos("sources", i, "url")
            out.append(error(src.path, p.line, p.col, "bad-source-url", f"source url '{ref.url}' is not an http(s) address",
                             "link the source with https://"))
        if ref.as_of and ref.as_of > now.date():
            p = doc.pos("sources", i, "as_of")
            out.append(error(src.path, p.line, p.col, "future-date", "'as_of' is in the future",
                             "as_of is the day the fact was checked"))
    if src.status == "published" and not entry.sources:
        out.append(warning(src.path, 1, 1, "no-sources", "a published story cites no sources",
                           "add 'sources:' with title, url and as_of (official sources first)"))
    return out


def _media_ref(entry: Entry, variant: Variant, ref: str, pos, what: str, tags=()) -> list[Diagnostic]:
    p = PurePosixPath(ref)
    problem = None
    if not ref or "\\" in ref or p.is_absolute() or ref.startswith("~") or ".." in p.parts:
        problem = ("path-outside", f"{what} '{ref}' leaves the story folder",
                   "put the image in the story folder and write only its file name")
    elif markup.scheme_of(ref) is not None:
        problem = ("remote-media", f"{what} '{ref}' is not a local file", "download the image into the story folder")
    elif len(p.parts) != 1:  # as lantoa.site.images._local_image finds the images it processes
        problem = ("media-subfolder", f"{what} '{ref}' is in a folder inside the story folder",
                   f"move it into the story folder itself and write '{p.name}'")
    else:
        target = entry.dir / p
        if target.is_symlink():
            problem = ("symlink", f"{what} '{ref}' is a symbolic link", "copy the image into the story folder")
        elif not target.is_file():
            close = difflib.get_close_matches(p.name, _folder_images(entry), n=1)
            problem = ("missing-media", f"{what} '{ref}' does not exist",
                       f"did you mean '{close[0]}'?" if close else "add the file to the story folder")
        elif p.suffix.lower() not in IMAGE_EXTENSIONS:
            problem = _unpublishable(target, what, ref)
        else:
            # the file, and each localized copy (photo.fr.jpg) that replaces it in one edition
            out = []
            for path in [target] + _localized_copies(target, tags):
                out += _image_diagnostics(variant, path, pos, what, ref)
            return out
    if problem is None:
        return []
    return [error(variant.path, pos.line, pos.col, *problem)]


def _folder_images(entry: Entry) -> list[str]:
    return sorted(f.name for f in entry.dir.iterdir() if f.suffix.lower() in IMAGE_EXTENSIONS)


_SETTINGS_CACHE: dict = {}


def _settings_of(root) -> media_settings.Settings:
    """extra.media of mkdocs.yml, read once per version of the file (lantoa serve re-checks on edits)."""
    try:
        key = (root, (root / "mkdocs.yml").stat().st_mtime_ns)
    except OSError:
        key = (root, 0)
    if key not in _SETTINGS_CACHE:
        _SETTINGS_CACHE.clear()
        _SETTINGS_CACHE[key] = media_settings.load(root)[0]
    return _SETTINGS_CACHE[key]


def _localized_copies(target, tags) -> list:
    """photo.<tag>.jpg beside photo.jpg (a regular file, not a link), for each registered language
    tag: from one listing of the folder."""
    files = regular_files(target.parent)
    names = [localized_name(target.name, tag) for tag in tags]
    return [target.with_name(name) for name in names if name in files]


def _unpublishable(target, what: str, ref: str) -> tuple[str, str, str]:
    """A referenced file whose extension we do not publish: say precisely why."""
    try:
        media.probe(target, media_settings.Settings())
    except media.MediaError as exc:
        if exc.code in ("svg-refused", "animated-image"):
            return exc.code, f"{what} '{ref}' is {exc.message}", exc.hint
    if target.suffix.lower() == ".svg":
        return ("svg-refused", f"{what} '{ref}' is an SVG drawing; SVG can carry scripts and is never published",
                "export it as PNG")
    return ("bad-media-type", f"{what} '{ref}' is not a JPEG, PNG or WebP image", "use a .jpg, .png or .webp file")


def _image_diagnostics(variant: Variant, path, pos, what: str, ref: str) -> list[Diagnostic]:
    """What the media pipeline would refuse (errors) or fix with a loss (warnings), at the reference."""
    subject = f"{what} '{ref}'"
    if path.name != PurePosixPath(ref).name:
        subject = f"'{path.name}' (which replaces {subject} in one edition)"
    try:
        probe = media.probe(path, _media_settings_for(path))
    except media.MediaError as exc:
        return [error(variant.path, pos.line, pos.col, exc.code, f"{subject} is {exc.message}", exc.hint)]
    return [warning(variant.path, pos.line, pos.col, n.code, f"{subject} is {n.message}", n.hint)
            for n in probe.notes]


def _media_settings_for(path) -> media_settings.Settings:
    return _settings_of(path.parent.parent.parent.parent)


def _text_rules(variant: Variant) -> list[Diagnostic]:
    out = []
    fields = {("title",): variant.title, ("summary",): variant.summary}
    for key, value in variant.hero_text.items():
        fields[("hero", key)] = value
    for name, text in variant.images.items():
        for key, value in text.items():
            fields[("images", name, key)] = value
    for path, value in fields.items():
        if value and markup.looks_like_html(value):
            p = variant.doc.pos(*path)
            out.append(error(variant.path, p.line, p.col, "html-in-text",
                             f"'{'.'.join(path)}' must be plain text, but it contains markup",
                             "remove the '<…>'; these fields are shown as text"))
    return out


def _body_rules(project: Project, entry: Entry, variant: Variant, tags=()) -> list[Diagnostic]:
    out = []
    findings, links = markup.scan_of(variant.doc)
    base = variant.body_line - 1
    for f in findings:
        out.append(error(variant.path, base + f.line, f.col, f.code, f.message, f.hint))
    for link in links:
        if not link.image:
            out += _link_rules(project, entry, variant, link, Pos(base + link.line, link.col))
            continue
        name = image_name(link.url)
        if not link.alt.strip() and not variant.images.get(name or "", {}).get("alt"):
            out.append(error(variant.path, base + link.line, link.col, "missing-alt", "image has no alt text",
                             "write what the picture shows: ![a boat on the bay](photo.jpg), or in the front "
                             f"matter under 'images:' → '{name or 'photo.jpg'}:' → 'alt: …'"))
        if markup.scheme_of(link.url) is None:
            out += _media_ref(entry, variant, link.url, Pos(base + link.line, link.col), "image", tags)
        elif markup.scheme_of(link.url) in ("http", "https"):
            out.append(error(variant.path, base + link.line, link.col, "remote-media",
                             "images must be stored with the story, not loaded from another site",
                             "download the image into the story folder"))
    out += _image_text_rules(entry, variant, links, tags)
    return out


def _link_rules(project: Project, entry: Entry, variant: Variant, link, pos: Pos) -> list[Diagnostic]:
    """A link to a file beside the text, or to another text (a story or a page), written as a path
    from the text's folder in content/ (lantoa.validate.links, which the build uses to link it).
    The site publishes the texts of stories and pages and their images, not other files; a link
    to another text resolves when that text is published."""
    url = link.url
    target = links.resolve(entry.kind, entry.slug, url)
    if target is None:
        return []  # not a relative link, or one that leads out of the texts' folders: not looked at
    to = lambda kind, slug: links.path_between(entry.kind, entry.slug, kind, slug)  # noqa: E731
    one_translation = [error(variant.path, pos.line, pos.col, "broken-link",
                             f"link '{url}': a {target.kind} has one page in each edition, in that edition's "
                             "language, not one per translation file",
                             f"link to the {target.kind}: {to(target.kind, target.slug)} (its language switcher "
                             "leads to the other languages)")] if target.names_translation else []
    if (target.kind, target.slug) == (entry.kind, entry.slug):  # a file of the text's own folder
        if one_translation:
            return one_translation
        if target.names_text:
            return []
        name = "/".join(target.rest)
        suffix = PurePosixPath(name).suffix.lower()
        if not (entry.dir / name).is_file() or suffix in (".md", ".markdown"):
            return [error(variant.path, pos.line, pos.col, "broken-link", f"link '{url}': there is no '{name}' here",
                          _site_path_meant(project, entry, url) or "link to a file of this folder, or to another "
                          f"text by its folder: {_example_link(entry)}")]
        if len(target.rest) == 1 and suffix in IMAGE_EXTENSIONS:
            return []  # the media step links it to the image's largest variant
        return [error(variant.path, pos.line, pos.col, "unpublished-file",
                      f"link '{url}': the site publishes the text and its images, not '{name}'",
                      "publish the file elsewhere and link to its address there (a story's press kit "
                      "already holds its photos)")]
    texts = project.stories if target.kind == "story" else project.pages
    other = texts.get(target.slug)
    if other is None:
        other_kind = "page" if target.kind == "story" else "story"
        close = difflib.get_close_matches(target.slug, sorted(texts), n=1)
        hint = _site_path_meant(project, entry, url) or (
            f"did you mean the {other_kind} '{to(other_kind, target.slug)}'?"
            if target.slug in (project.pages if other_kind == "page" else project.stories) else
            f"did you mean '{to(target.kind, close[0])}'?" if close else
            f"link to a text by its folder: {_example_link(entry)}")
        return [error(variant.path, pos.line, pos.col, "broken-link",
                      f"link '{url}': there is no {target.kind} '{target.slug}'", hint)]
    if one_translation:
        return one_translation
    if not target.names_text:
        return [error(variant.path, pos.line, pos.col, "broken-link",
                      f"link '{url}': only a {target.kind}'s page is published, not its files",
                      f"link to the {target.kind}: {to(target.kind, target.slug)}")]
    if not other.published and entry.published:
        return [warning(variant.path, pos.line, pos.col, "link-to-unpublished",
                        f"link '{url}': {target.kind} '{target.slug}' is not published, so the link leads nowhere",
                        "publish it first, or remove the link for now")]
    return []


def _site_path_meant(project: Project, entry: Entry, url: str) -> str | None:
    """A did-you-mean for a link written as a path in the site (``../stories/hoi-an/`` in a page):
    the path in content/ to the text it names there; None when it names none."""
    meant = links.site_reading(entry.kind, entry.slug, url)
    if meant is None or meant == (entry.kind, entry.slug) or \
            meant[1] not in (project.stories if meant[0] == "story" else project.pages):
        return None
    to = links.path_between(entry.kind, entry.slug, *meant)
    return f"did you mean '{to}'? A link names the other text's folder as seen from this text's folder in content/"


def _example_link(entry: Entry) -> str:
    """How this text links to a story: the example a hint gives."""
    return "../other-story/" if entry.kind == "story" else "../../stories/other-story/"


def image_name(url: str) -> str | None:
    """The file name a body image's ``images:`` text is keyed by (None: not a file of the folder)."""
    p = PurePosixPath(url)
    if not url or markup.scheme_of(url) is not None or p.is_absolute() or len(p.parts) != 1 or "\\" in url:
        return None
    return p.name


def _image_text_rules(entry: Entry, variant: Variant, links: list, tags=()) -> list[Diagnostic]:
    """Each name under ``images:`` is an image this file's body shows; a caption or credit shows only
    under an image in a paragraph of its own (lantoa.site.images)."""
    out: list[Diagnostic] = []
    shown = {image_name(link.url): link for link in links if link.image and image_name(link.url)}
    for name in variant.images:
        if name in shown:
            continue
        p = variant.doc.pos("images", name)
        base = _strip_tag(name, tags)
        if image_name(name) is None or not (entry.dir / name).is_file():
            close = difflib.get_close_matches(name, _folder_images(entry), n=1)
            out.append(warning(variant.path, p.line, p.col, "unknown-image",
                               f"'images: {name}' names no image of the story folder",
                               f"did you mean '{close[0]}'?" if close else "write the file name the text shows"))
        elif base in shown:
            out.append(warning(variant.path, p.line, p.col, "unused-image-text",
                               f"'images: {name}' is a localized copy; its text goes under the name the text shows",
                               f"write '{base}:' (the text belongs to the picture, whichever copy an edition shows)"))
        elif entry.hero is not None and name == entry.hero.src:
            out.append(warning(variant.path, p.line, p.col, "unused-image-text",
                               f"'{name}' is the hero and the text does not show it; 'images: {name}' is not used",
                               "put the hero's alt, caption, credit and license under 'hero:'"))
        else:
            close = difflib.get_close_matches(name, sorted(shown), n=1)
            out.append(warning(variant.path, p.line, p.col, "unused-image-text",
                               f"the text of this file does not show '{name}'; 'images: {name}' is not used",
                               f"did you mean '{close[0]}'?" if close else f"add ![…]({name}) to the text or remove it"))
    lines: list[str] = []  # the body's, split when an image with a caption asks (4,800 bodies at 400 x 12)
    for link in links:
        name = image_name(link.url) if link.image else None
        text = entry.image_text(variant, name) if name else {}
        if not any(text.get(k) for k in ("caption", "credit", "license")):
            continue
        lines = lines or variant.body.split("\n")
        if not _alone(lines, link.line, link.col):
            out.append(warning(variant.path, variant.body_line - 1 + link.line, link.col, "image-caption-hidden",
                               f"the caption and credit of '{name}' are not shown: the image is inside a paragraph",
                               "put the image on a line of its own, with an empty line before and after"))
    return out


def _strip_tag(name: str, tags) -> str:
    """photo.fr.jpg -> photo.jpg when 'fr' is a registered language tag."""
    p = PurePosixPath(name)
    stem, _, tag = p.stem.rpartition(".")
    return f"{stem}{p.suffix}" if stem and tag in tags else name


#: a list item's marker (Python-Markdown: "-", "*", "+" or "1." and a space)
_LIST_ITEM = re.compile(r"(?:[-*+]|\d+\.)[ \t]+")
#: a table's separator row (| --- | :---: |)
_TABLE_RULE = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")


def _only_image(text: str) -> bool:
    """Is ``text`` one image link and nothing else (an attribute list may follow)?"""
    m = markup.IMAGE_LINK.match(text.strip())
    return m is not None and re.fullmatch(r"\s*(\{[^{}]*\})?", text.strip()[m.end():]) is not None


def _alone(lines: list[str], line: int, col: int = 1) -> bool:
    """Does Markdown make the image at body line ``line``, column ``col`` a block of its own,
    which the renderer makes a figure (lantoa.site.images.rewrite_html)? That is: the one image
    of a paragraph (on its line, an empty line or a heading before it, an empty line after it),
    of a list item (its only content, the next line empty or another item), or of a table cell."""
    quote = lambda s: s.lstrip(" >\t")  # noqa: E731 - a paragraph inside a blockquote counts too
    raw = lines[line - 1]
    text = quote(raw).strip()
    before = quote(lines[line - 2]) if line >= 2 else ""
    after = quote(lines[line]) if line < len(lines) else ""
    item = _LIST_ITEM.match(text)
    if item:
        follows = not after.strip() or _LIST_ITEM.match(after.strip()) is not None
        starts = not before.strip() or before.startswith("#") or _LIST_ITEM.match(before.strip()) is not None
        return _only_image(text[item.end():]) and follows and starts
    if "|" in text and _in_table(lines, line):
        # the cell holding the image: between the "|" before its column and the one after
        start = raw.rfind("|", 0, col - 1) + 1
        end = raw.find("|", col - 1)
        return _only_image(raw[start:end if end >= 0 else len(raw)])
    return _only_image(text) and (not before.strip() or before.startswith("#")) and not after.strip()


def _in_table(lines: list[str], line: int) -> bool:
    """Is body line ``line`` a row of a table (its block of lines has a | --- | separator row)?"""
    first = line
    while first > 1 and lines[first - 2].strip():
        first -= 1
    last = line
    while last < len(lines) and lines[last].strip():
        last += 1
    return any(_TABLE_RULE.fullmatch(lines[i - 1]) and "-" in lines[i - 1] for i in range(first, last + 1))
