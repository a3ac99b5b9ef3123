"""A build makes its site in the last site's folders (lantoa.site.skeleton): none of the last site's
files is left in it, the folders it does not use are removed, and it is byte for byte a clean
build's site."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from conftest import tree_digest
from lantoa.cli import main
from lantoa.site import skeleton


def build(root, *args):
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", *args])
    assert result.exit_code == 0, result.output
    return result


def folders(site):
    """Each folder under ``site`` (path within it) and its inode."""
    out = {}
    for dirpath, dirnames, _ in os.walk(site):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, site)] = os.lstat(path).st_ino
    return out


def same_as_clean(project):
    clean = project / "build" / "clean"
    build(project, "--clean", "--out", str(clean))
    site = project / "build" / "site"
    assert tree_digest(site) == tree_digest(clean)
    assert set(folders(site)) == set(folders(clean))
    shutil.rmtree(clean)


def edit(project, old, new):
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    story.write_text(story.read_text("utf-8").replace(old, new), "utf-8")


def test_a_rebuild_makes_its_site_in_the_last_site_s_folders(project):
    site, spare = project / "build" / "site", project / "build" / f"{skeleton.PREFIX}site"
    build(project)
    first = folders(site)
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)
    assert spare.is_dir() and folders(spare) == first  # the first site, kept whole (files and all)
    assert (spare / "index.html").is_file()
    # what the next build must not keep: a file no build makes, a link, a folder no build uses, and
    # a folder where a file goes
    (spare / "en" / "stray.html").write_text("not from this build", "utf-8")
    os.symlink(project / "content", spare / "en" / "linked")
    (spare / "gone" / "deep").mkdir(parents=True)
    (spare / "404.html").rename(spare / "404-moved.html")
    (spare / "404.html" / "x").mkdir(parents=True)  # an edition's file
    (spare / "robots.txt").rename(spare / "robots-moved.txt")
    (spare / "robots.txt" / "x").mkdir(parents=True)  # an output step's
    edit(project, "The bay has very many islands.", "The bay has a great many islands.")
    build(project)
    now = folders(site)
    # every folder the two sites share is the first site's own (its inode was never freed)
    assert {rel: first[rel] for rel in first if rel in now} == {rel: now[rel] for rel in first if rel in now}
    assert len([rel for rel in first if rel in now]) >= len(first) - 1  # the Tiếng Việt edition's edit: its folders too
    assert not (site / "en" / "stray.html").exists() and not (site / "gone").exists()
    assert not os.path.lexists(site / "en" / "linked") and (project / "content").is_dir()
    assert (site / "404.html").is_file() and (site / "robots.txt").is_file()
    assert spare.is_dir()  # the second site, kept in its turn
    same_as_clean(project)


def test_a_story_taken_out_leaves_no_folder_behind(project):
    build(project)
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)  # the first site is now kept, the story's folders in it
    slugs = sorted(os.listdir(project / "content" / "stories"))
    gone = slugs[-1]
    shutil.move(project / "content" / "stories" / gone, project / gone)
    build(project)
    site = project / "build" / "site"
    assert not [rel for rel in folders(site) if gone in rel]
    same_as_clean(project)


def test_a_kept_site_that_is_no_folder_is_not_followed(project):
    build(project)
    elsewhere = project / "elsewhere"
    (elsewhere / "en").mkdir(parents=True)
    (elsewhere / "en" / "keep.txt").write_text("mine", "utf-8")
    os.symlink(elsewhere, project / "build" / f"{skeleton.PREFIX}site")
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)
    assert (elsewhere / "en" / "keep.txt").read_text("utf-8") == "mine"
    same_as_clean(project)


def test_a_failed_check_leaves_the_kept_folders_to_the_next_build(project):
    build(project)
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)
    site = project / "build" / "site"
    before = tree_digest(site)
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    text = story.read_text("utf-8")
    story.write_text(text.replace("title:", "titel:", 1), "utf-8")
    result = CliRunner().invoke(main, ["-C", str(project), "build"])
    assert result.exit_code != 0 and "titel" in result.output
    assert tree_digest(site) == before
    story.write_text(text, "utf-8")
    build(project)
    same_as_clean(project)


@pytest.mark.parametrize("with_find", [True, False])
def test_emptying_deletes_every_file_and_link_but_the_media_files_and_lists_the_folders_children_first(
        tmp_path, monkeypatch, with_find):
    if not with_find:
        monkeypatch.setattr(skeleton.shutil, "which", lambda name: None)
    out = tmp_path / "site"
    spare = skeleton.spare_of(out)
    (spare / "a" / "b").mkdir(parents=True)
    (spare / "c").mkdir()
    (spare / "media" / "s").mkdir(parents=True)
    (spare / "index.html").write_text("x", "utf-8")
    (spare / "a" / "b" / "page.html").write_text("x", "utf-8")
    (spare / "a" / "media.jpg").write_text("x", "utf-8")  # not in media/
    for rel in ("media/s/photo-480.abc.jpg", "media/card.jpg"):
        (spare / rel).write_text("x", "utf-8")
    inodes = {rel: os.lstat(spare / rel).st_ino for rel in ("media/s/photo-480.abc.jpg", "media/card.jpg")}
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file").write_text("x", "utf-8")
    os.symlink(outside, spare / "a" / "to-folder")
    os.symlink(outside / "file", spare / "c" / "to-file")
    os.symlink(outside / "file", spare / "media" / "s" / "to-file")  # a link in media/: deleted
    found = skeleton.take(out, tmp_path / "taken")
    assert not spare.exists()
    assert sorted(found) == ["a", "a/b", "c", "media", "media/s"] and found.index("a/b") < found.index("a")
    assert found.index("media/s") < found.index("media")
    assert set(folders(tmp_path / "taken")) == {"a", "a/b", "c", "media", "media/s"}
    left = skeleton.left_files(tmp_path / "taken")
    assert left == inodes and skeleton.left_files(tmp_path / "taken") == {}  # handed out once
    assert sorted(os.path.relpath(os.path.join(d, n), tmp_path / "taken")
                  for d, _, ns in os.walk(tmp_path / "taken") for n in ns) == sorted(inodes)
    assert (outside / "file").read_text("utf-8") == "x"
    for rel in inodes:
        os.unlink(tmp_path / "taken" / rel)
    assert skeleton.prune(tmp_path / "taken", found) == 5 and not any((tmp_path / "taken").iterdir())


def test_nothing_kept_nothing_taken(tmp_path):
    assert skeleton.take(tmp_path / "site", tmp_path / "taken") == []
    assert not (tmp_path / "taken").exists()


def test_room_is_made_only_in_a_folder_of_empty_folders(tmp_path):
    (tmp_path / "empty" / "x" / "y").mkdir(parents=True)
    assert skeleton.make_room(str(tmp_path / "empty")) and not (tmp_path / "empty").exists()
    (tmp_path / "full" / "x").mkdir(parents=True)
    (tmp_path / "full" / "x" / "page.html").write_text("this build's", "utf-8")
    assert not skeleton.make_room(str(tmp_path / "full"))
    assert (tmp_path / "full" / "x" / "page.html").is_file()
    (tmp_path / "file").write_text("x", "utf-8")
    assert not skeleton.make_room(str(tmp_path / "file")) and (tmp_path / "file").is_file()


def test_the_last_site_s_files_are_deleted_beside_the_check(project, monkeypatch):
    """`lantoa build` begins the deletion before it checks the project, and a build that takes no
    kept folders (a --shard build) does not begin it."""
    from lantoa import validate

    build(project)
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)
    begun: list[set[str]] = []
    check_project = validate.check_project
    monkeypatch.setattr(validate, "check_project",
                        lambda *a, **k: begun.append(set(skeleton._BEGUN)) or check_project(*a, **k))
    edit(project, "The bay has very many islands.", "The bay has a great many islands.")
    build(project)
    assert begun == [{str((project / "build" / "site").resolve())}]
    assert not skeleton._BEGUN  # taken by the build
    spare = skeleton.spare_of(project / "build" / "site")
    kept = {rel for rel in folders(spare)}
    edit(project, "The bay has a great many islands.", "The bay has many islands.")
    build(project, "--shard", "1/1")
    assert begun[-1] == set() and {rel for rel in folders(spare)} == kept
    assert (spare / "index.html").is_file()  # no file of it deleted


def test_an_edition_is_rendered_again_in_the_folders_of_the_output_it_replaces(project):
    parts = project / ".cache" / "lantoa" / "parts" / "en"
    spare = project / ".cache" / "lantoa" / skeleton.PARTS_SPARE / "en"
    stories = project / "content" / "stories"
    shutil.copytree(stories / "vinh-ha-long", stories / "ha-long-hai")  # a second story, taken out below
    build(project)
    first = folders(next(parts.iterdir()))
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)
    assert folders(spare) == first and any(files for _, _, files in os.walk(spare))  # kept whole
    (spare / "stray.html").write_text("not from this build", "utf-8")  # to be deleted with the rest
    gone = "ha-long-hai"
    assert [rel for rel in first if gone in rel]
    shutil.move(stories / gone, project / gone)  # its folders left empty
    edit(project, "The bay has very many islands.", "The bay has a great many islands.")
    build(project)
    (part,) = parts.iterdir()
    now = folders(part)
    shared = [rel for rel in first if rel in now]
    assert shared and {rel: first[rel] for rel in shared} == {rel: now[rel] for rel in shared}
    assert not [rel for rel in now if gone in rel] and not (part / "stray.html").exists()
    assert all(files or dirs for _, dirs, files in os.walk(part))  # no empty folder kept
    same_as_clean(project)


def test_a_kept_site_being_emptied_is_this_process_s_own(tmp_path):
    """Begun, the kept site is renamed to a name of this process's own: a build of the same folder
    in another process (a `lantoa build --out` beside a `lantoa serve`) finds none to take or to
    delete in. Ended untaken, it is put back. One that an ended process left is retired."""
    out = tmp_path / "site"
    spare = skeleton.spare_of(out)
    (spare / "a").mkdir(parents=True)
    (spare / "a" / "page.html").write_text("x", "utf-8")
    dead = tmp_path / f"{spare.name}-of-{2**22 + 12345}-1"  # above Linux's largest pid
    alive = tmp_path / f"{spare.name}-of-{os.getpid()}-1"
    dead.mkdir()
    alive.mkdir()
    skeleton.begin(out)
    try:
        assert not spare.exists()
        assert not dead.exists() and alive.is_dir()  # the ended process's retired (to the trash)
        other = subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                                "from lantoa.site import skeleton; "
                                "print(skeleton.take(Path(sys.argv[1]), Path(sys.argv[2])))",
                                str(out), str(tmp_path / "elsewhere")], capture_output=True, text=True, check=True)
        assert other.stdout.strip() == "[]" and not (tmp_path / "elsewhere").exists()
        assert skeleton.take(out, tmp_path / "mine") == ["a"]
        assert not (tmp_path / "mine" / "a" / "page.html").exists()
    finally:
        skeleton.end()


def test_an_untaken_kept_site_is_put_back_when_the_build_ends(tmp_path):
    out = tmp_path / "site"
    spare = skeleton.spare_of(out)
    (spare / "a").mkdir(parents=True)
    (spare / "a" / "page.html").write_text("x", "utf-8")
    skeleton.begin(out)
    assert not spare.exists()
    skeleton._BEGUN[str(out)].result()
    skeleton.end()
    assert spare.is_dir() and (spare / "a").is_dir() and not (spare / "a" / "page.html").exists()
    assert [p.name for p in tmp_path.iterdir()] == [spare.name]


def test_prune_tries_only_the_folders_that_hold_none_of_the_site_s_files(tmp_path, monkeypatch):
    """Given the site's files, the folders holding one (and their parents) are not tried: each
    failed ``rmdir`` costs a system call, some 5,800 of them at 400 x 12. A folder holding a file
    the list lacks is tried and stays; the empty ones go."""
    site = tmp_path / "site"
    for rel in ("fr/stories/a", "fr/stories/b", "fr/empty/deeper", "media/x", "gone", "unlisted"):
        (site / rel).mkdir(parents=True)
    for rel in ("fr/stories/a/index.html", "fr/stories/b/index.html", "media/x/p.jpg", "unlisted/file"):
        (site / rel).write_text("x", "utf-8")
    taken = ["fr/stories/a", "fr/stories/b", "fr/stories", "fr/empty/deeper", "fr/empty", "fr",
             "media/x", "media", "gone", "unlisted"]
    tried = []
    real = os.rmdir
    monkeypatch.setattr(skeleton.os, "rmdir", lambda path: tried.append(os.path.relpath(path, site)) or real(path))
    files = ["fr/stories/a/index.html", "fr/stories/b/index.html", "media/x/p.jpg"]
    assert skeleton.prune(site, taken, files) == 3
    assert sorted(tried) == ["fr/empty", "fr/empty/deeper", "gone", "unlisted"]
    assert sorted(folders(site)) == ["fr", "fr/stories", "fr/stories/a", "fr/stories/b", "media", "media/x", "unlisted"]


def test_the_merge_makes_a_folder_only_where_the_last_site_left_none(tmp_path, monkeypatch):
    """A kept edition is linked into the last site's folders without a ``mkdir`` (or a look) for
    each file's folder: one is made only when a link finds it missing. Where the folders are not
    there (no last site), the site is the same."""
    from lantoa.site import builder

    part = tmp_path / "part"
    files = {"fr/a/index.html": "a", "fr/b/index.html": "b", "fr/b/c/index.html": "c", "assets/x.css": "x",
             "404.html": "n"}
    for rel, text in files.items():
        (part / rel).parent.mkdir(parents=True, exist_ok=True)
        (part / rel).write_text(text, "utf-8")
    made = []
    real = os.makedirs
    monkeypatch.setattr(os, "makedirs", lambda path, *a, **k: (made.append(os.path.relpath(path, site)),
                                                                 real(path, *a, **k)))
    for taken in (True, False):
        site = tmp_path / f"site-{taken}"
        if taken:  # the last site's folders, one of them (fr/b/c) gone, one where a file now goes
            for folder in ("fr/a", "fr/b", "fr/404.html", "assets"):
                (site / folder).mkdir(parents=True)
        made.clear()
        merge = builder._Merge(site, "en", reuse=taken)
        merge.add("fr", part, kept=True)
        got = {os.path.relpath(os.path.join(d, n), site) for d, _, ns in os.walk(site) for n in ns}
        assert got == {builder.site_path(rel, "fr", "en") for rel in files}
        assert all(os.path.samefile(site / builder.site_path(rel, "fr", "en"), part / rel) for rel in files)
        if taken:
            assert made == ["fr/b/c"]


def _media_files(site):
    return sorted(os.path.relpath(os.path.join(d, n), site) for d, _, ns in os.walk(site / "media") for n in ns)


def test_a_rebuild_leaves_the_last_site_s_media_files_in_place_and_puts_back_only_what_differs(project, monkeypatch):
    """The media files (links into the media and press-kit caches) the last site left are not
    linked again when they are the files the build puts there: only those that differ are, and
    what the build does not put there is deleted. Nothing is ever written through a file left
    there into a cache."""
    site, spare = project / "build" / "site", project / "build" / f"{skeleton.PREFIX}site"
    build(project)
    edit(project, "The bay has many limestone islands.", "The bay has very many islands.")
    build(project)
    media = _media_files(spare)
    assert any("/social/" in rel for rel in media) and any("/press/" in rel for rel in media)
    victim = next(rel for rel in media if rel.startswith("media/stories/"))
    cached = os.stat(spare / victim)  # a link into the media cache: the cache's file
    assert cached.st_nlink >= 2
    original = (spare / victim).read_bytes()
    os.unlink(spare / victim)
    (spare / victim).write_bytes(b"not the cache's file")
    (spare / "media" / "stray.jpg").write_bytes(b"from no build")
    os.symlink(project / "content", spare / "media" / "linked")
    linked = []
    real = os.link

    def link(src, dst, *args, **kwargs):
        dst = os.fspath(dst)
        if "/media/" in dst:
            linked.append("media/" + dst.split("/media/", 1)[1])
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", link)
    edit(project, "The bay has very many islands.", "The bay has a great many islands.")
    build(project)
    # the replaced variant, and the edited story's press kit (it holds the story's text)
    assert sorted(linked) == sorted([victim, "media/press/vinh-ha-long.zip"])
    assert os.stat(site / victim).st_ino == cached.st_ino and (site / victim).read_bytes() == original
    assert not os.path.lexists(site / "media" / "stray.jpg") and not os.path.lexists(site / "media" / "linked")
    assert _media_files(site) == sorted(set(media) | {"media/press/vinh-ha-long.zip"})
    monkeypatch.setattr(os, "link", real)
    same_as_clean(project)
    # a build without the cache writes its press kits anew: never into the cache's, through the
    # links to them the last site left
    edit(project, "The bay has a great many islands.", "The bay has many islands.")
    build(project)
    kits = {os.stat(p).st_ino for p in (project / ".cache" / "lantoa" / "press").glob("*.zip")}
    assert kits & {os.stat(p).st_ino for p in (site / "media" / "press").glob("*.zip")}
    build(project, "--no-cache")
    assert not kits & {os.stat(p).st_ino for p in (site / "media" / "press").glob("*.zip")}
    same_as_clean(project)
