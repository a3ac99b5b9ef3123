"""Walk ``content/`` into the model, reporting every problem found on the way."""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path, PurePosixPath

from ..diagnostics import Diagnostic, error, warning
from . import frontmatter, schema
from .model import Entry, Project, Variant

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
VARIANT_FILE = re.compile(r"^index(?:\.(?P<tag>[^.]+))?\.md$")
SECTIONS = {"stories": "story", "pages": "page"}
DEFAULT_SOURCE_LANG = "vi"


def rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def regular_files(folder: Path) -> frozenset[str]:
    """The names of the regular files in ``folder`` (not links, not folders): one listing, where
    looking up each image and its copy for every language took two ``stat`` calls a name (13 names
    an image at 12 languages). Empty when the folder cannot be listed."""
    try:
        with os.scandir(folder) as it:
            return frozenset(e.name for e in it if e.is_file(follow_symlinks=False))
    except OSError:
        return frozenset()


@lru_cache(maxsize=65536)  # staging asks for every image of every story in every edition, many times
def localized_name(name: str, tag: str) -> str:
    """The copy of image ``name`` that replaces it in edition ``tag``: photo.jpg -> photo.<tag>.jpg."""
    p = PurePosixPath(name)
    return f"{p.stem}.{tag}{p.suffix}"


def load_project(root: Path, memo: bool = True) -> tuple[Project, list[Diagnostic]]:
    """Read everything under ``root/content``; languages are checked later against the registry.
    ``memo``: take what earlier runs read from files unchanged since (lantoa.content.memo)."""
    from .memo import SourceMemo

    root = root.resolve()
    content = root / "content"
    project = Project(root=root, content_dir=content)
    diags: list[Diagnostic] = []
    if not content.is_dir():
        diags.append(error("content", 0, 0, "no-content", "the content/ folder is missing",
                           "run 'lantoa new story \"Title\"' to start one"))
        return project, diags
    _check_symlinks(content, root, diags)
    project.categories = _load_categories(content / "categories.yml", root, diags)
    sources = SourceMemo(root / ".cache" / "lantoa" if memo else None)
    for section, kind in SECTIONS.items():
        base = content / section
        if not base.is_dir():
            continue
        # os.scandir: an entry's type comes with its name (no stat per folder and file)
        with os.scandir(base) as it:
            found = sorted((e.name, e.is_dir(follow_symlinks=False)) for e in it)
        for name, is_dir in found:
            entry_dir = base / name
            if not is_dir:  # a symbolic link (reported by _check_symlinks) or a file
                if entry_dir.suffix == ".md" and entry_dir.is_file():
                    diags.append(warning(rel(entry_dir, root), 0, 0, "stray-file",
                                         f"a {kind} must be a folder with an index.md",
                                         f"move it to content/{section}/{entry_dir.stem}/index.md"))
                continue
            entry = _kept_entry(kind, entry_dir, root, diags, sources, project.read_anew)
            target = project.stories if kind == "story" else project.pages
            target[entry.slug] = entry
    sources.save()
    sources.forget_unseen(content)
    return project, diags


def _check_symlinks(content: Path, root: Path, diags: list[Diagnostic]) -> None:
    links = []
    folders = [str(content)]
    while folders:  # os.scandir: whether an entry is a link comes with its name, without a stat
        with os.scandir(folders.pop()) as it:
            for e in it:
                if e.is_symlink():
                    links.append(e.path)
                elif e.is_dir(follow_symlinks=False):
                    folders.append(e.path)
    for found in sorted(links):
        path = Path(found)
        target = os.readlink(path)
        resolved = path.resolve()
        outside = not _is_within(resolved, content.resolve())
        diags.append(error(
            rel(path, root), 0, 0, "symlink",
            f"symbolic link to '{target}'" + (" points outside content/" if outside else " is not allowed"),
            "replace the link with a copy of the file inside the story folder"))


def _is_within(path: Path, base: Path) -> bool:
    try:
        path.relative_to(base)
        return True
    except ValueError:
        return False


def _load_categories(path: Path, root: Path, diags: list[Diagnostic]) -> list[str]:
    relp = rel(path, root)
    if not path.is_file():
        diags.append(error(relp, 0, 0, "no-categories", "content/categories.yml is missing",
                           "create it with 'categories: [history, culture, ...]'"))
        return []
    from . import yamlsafe

    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        diags.append(error(relp, 1, 1, "encoding", "not valid UTF-8", "save the file as UTF-8"))
        return []
    ydoc = yamlsafe.load(text)
    for p in ydoc.problems:
        diags.append(error(relp, p.line, p.col, p.code, p.message, p.hint))
    data = ydoc.data
    cats = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(cats, list) or not all(isinstance(c, str) and SLUG.match(c) for c in cats):
        if not ydoc.problems:
            diags.append(error(relp, 1, 1, "bad-categories", "expected 'categories:' with a list of lower-case ids",
                               "categories: [history, culture, heritage]"))
        return []
    return list(cats)


def _read(path: Path, sources, entry: Entry, tag: str | None, read_anew: set) -> frontmatter.Document:
    misses = sources.misses
    doc = frontmatter.read(path, sources)
    if sources.misses != misses:
        read_anew.add((entry.kind, entry.slug, tag))
    return doc


def _kept_entry(kind: str, entry_dir: Path, root: Path, diags: list[Diagnostic], sources, read_anew: set) -> Entry:
    """:func:`_load_entry`, or the entry an earlier run read from the folder (this process's, in
    `lantoa serve`, else the last one's, kept in .cache/lantoa), when the names and stats of the
    folder's Markdown files are the same (lantoa.content.memo.SourceMemo.kept_entry)."""
    from .memo import stat_key

    if not sources.keeps_entries():
        return _load_entry(kind, entry_dir, root, diags, sources, read_anew)
    try:
        with os.scandir(entry_dir) as it:
            files = tuple(sorted((e.name, stat_key(e.stat(follow_symlinks=False))) for e in it
                                 if os.path.splitext(e.name)[1] == ".md" and not e.is_symlink()))
    except OSError:  # gone while it was listed: read as usual, which reports it
        return _load_entry(kind, entry_dir, root, diags, sources, read_anew)
    key = (kind, str(root), files)
    kept = sources.kept_entry(entry_dir, key)
    if kept is not None:
        diags.extend(kept[1])
        return kept[0]
    mine: list[Diagnostic] = []
    entry = _load_entry(kind, entry_dir, root, mine, sources, read_anew)
    diags.extend(mine)
    sources.keep_entry(entry_dir, key, entry, mine)
    return entry


def _load_entry(kind: str, entry_dir: Path, root: Path, diags: list[Diagnostic], sources, read_anew: set) -> Entry:
    slug = entry_dir.name
    entry = Entry(kind=kind, slug=slug, dir=entry_dir)
    if not SLUG.match(slug):
        from ..commands.new import slugify

        diags.append(error(rel(entry_dir, root), 0, 0, "bad-slug",
                           f"folder name '{slug}' is not a slug (lower-case ASCII letters, digits, hyphens)",
                           f"rename the folder to '{slugify(slug) or 'my-story'}'"))
    files = {}
    folder = rel(entry_dir, root)  # its files' paths: one pathlib relative_to per folder, not per file
    with os.scandir(entry_dir) as it:
        names = sorted(e.name for e in it if os.path.splitext(e.name)[1] == ".md" and not e.is_symlink())
    for name in names:
        path = entry_dir / name
        m = VARIANT_FILE.match(name)
        if not m:
            diags.append(warning(rel(path, root), 0, 0, "stray-file", f"'{path.name}' is not read",
                                 "name the source index.md and translations index.<tag>.md"))
            continue
        files[m.group("tag")] = path
    source_path = files.pop(None, None)
    if source_path is not None:
        doc = _read(source_path, sources, entry, None, read_anew)
        _file_problems(doc, source_path, root, diags)
        lang = doc.meta.get("lang") if isinstance(doc.meta.get("lang"), str) else DEFAULT_SOURCE_LANG
        variant = Variant(lang=lang, path=f"{folder}/{source_path.name}", doc=doc, is_source=True)
        entry.source = variant
        if not any(p.code in FATAL for p in doc.problems):
            schema.read_source(entry, variant, diags)
    for tag, path in sorted(files.items()):
        doc = _read(path, sources, entry, tag, read_anew)
        _file_problems(doc, path, root, diags)
        variant = Variant(lang=tag, path=f"{folder}/{path.name}", doc=doc)
        if entry.source is None:
            diags.append(error(rel(path, root), 0, 0, "translation-without-source",
                               f"translation '{path.name}' has no source file index.md beside it",
                               f"add {rel(entry_dir, root)}/index.md in the source language"))
        entry.translations[tag] = variant
        if not any(p.code in FATAL for p in doc.problems):
            schema.read_translation(entry, variant, diags)
    return entry


FATAL = {"encoding", "empty-file", "no-front-matter", "unclosed-front-matter", "front-matter-too-large",
          "file-too-large", "unreadable", "yaml-syntax", "yaml-alias", "yaml-tag", "front-matter-type"}


def _file_problems(doc: frontmatter.Document, path: Path, root: Path, diags: list[Diagnostic]) -> None:
    for p in doc.problems:
        diags.append(error(rel(path, root), p.line, p.col, p.code, p.message, p.hint))


