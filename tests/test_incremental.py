"""Parallel and incremental builds produce output byte-identical to a clean serial build."""

from __future__ import annotations

import os
import re
import shutil
import threading

import pytest
from click.testing import CliRunner

from conftest import stamp_translations, tree_digest
from lantoa.cli import main
from lantoa.site import builder


def build(root, *args):
    result = CliRunner().invoke(main, ["-C", str(root), "-q", "build", *args])
    assert result.exit_code == 0, result.output
    return tree_digest(root / "build" / "site")


def test_serial_parallel_and_incremental_builds_are_identical(project):
    serial = build(project, "--clean", "-j", "1")
    shutil.rmtree(project / "build")
    shutil.rmtree(project / ".cache", ignore_errors=True)
    assert build(project, "-j", "2") == serial
    assert build(project) == serial  # a no-change rebuild (caches warm)
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    original = story.read_text("utf-8")
    story.write_text(original.replace("The bay has many limestone islands.", "The bay has very many islands."), "utf-8")
    edited = build(project)
    assert edited != serial
    story.write_text(original, "utf-8")
    assert build(project) == serial  # back to the same content: back to the same bytes
    shutil.rmtree(project / "build")
    shutil.rmtree(project / ".cache", ignore_errors=True)
    assert build(project, "-j", "1") == serial


def test_kept_editions_are_merged_in_a_thread_started_after_the_fork(project, monkeypatch):
    """An edit: the kept editions are linked into the site in a thread beside the staging. A fork
    copies no thread, and a lock a thread held at the fork stays held in the child: no merge thread
    may be alive when the edition workers are forked."""
    before = build(project, "-j", "2")
    merged_in: list[tuple[str, bool, str]] = []
    add = builder._Merge.add

    def recording(self, lang, part, kept=False):
        merged_in.append((lang, kept, threading.current_thread().name))
        return add(self, lang, part, kept)

    monkeypatch.setattr(builder._Merge, "add", recording)
    listed = builder.incremental.listed_files
    listings: list[int | None] = []  # each kept edition's files, as the stamp that checked it listed them
    monkeypatch.setattr(builder.incremental, "listed_files",
                        lambda part: listings.append(None if (files := listed(part)) is None else len(files)) or files)
    start_find = builder.incremental._start_find
    found_in: list[str] = []  # the folders a GNU find listed for the build
    monkeypatch.setattr(builder.incremental, "_start_find",
                        lambda folder: found_in.append(os.path.relpath(folder, project)) or start_find(folder))
    from lantoa import validate

    at_check: list[list[str]] = []  # the finds begun when the project is checked
    check_project = validate.check_project
    monkeypatch.setattr(validate, "check_project", lambda *a, **k: at_check.append(list(found_in)) or check_project(*a, **k))
    at_fork: list[list[str]] = []
    watching = [True]
    os.register_at_fork(before=lambda: watching[0] and at_fork.append([t.name for t in threading.enumerate()]))
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    original = story.read_text("utf-8")
    parts = os.path.join(".cache", "lantoa", "parts")
    kept_keys = {lang: os.listdir(project / parts / lang) for lang in os.listdir(project / parts)}
    try:
        story.write_text(original.replace("The bay has many limestone islands.", "The bay has very many islands."),
                         "utf-8")
        edited = build(project, "-j", "2")
        watching[0] = False
        merges, listed_now, finds = list(merged_in), list(listings), list(found_in)
        rendered = sorted(lang for lang in kept_keys if kept_keys[lang] != os.listdir(project / parts / lang))
        assert build(project, "--clean") == edited  # the edit's site is a clean build's
    finally:
        watching[0] = False
        story.write_text(original, "utf-8")
    assert at_fork, "the edit forked no worker"
    assert not [name for names in at_fork for name in names if name.startswith("lantoa-merge")]
    # the default edition, staged first, was kept (the edit is in English: the editions showing it
    # are rendered), and every edition was merged in the thread
    assert merges[0][:2] == ("vi", True)
    assert sorted(lang for lang, _, _ in merges) == ["ar", "blt-Tavt", "en", "km", "tyz", "vi"]
    assert all(name.startswith("lantoa-merge") for _, _, name in merges)
    # each of them linked from the listing of the stamp that checked it (kept) or kept it (rendered)
    assert len(listed_now) == 6 and all(listed_now), listed_now
    # the kept editions were checked from one find of them all, begun as the build began (and the
    # rendered ones' new parts each stamped as they were kept)
    assert finds.count(parts) == 1, finds
    assert parts in at_check[0]  # begun before the edit's check, which its find then runs beside
    stamped = sorted(f.split(os.sep)[3] for f in finds if f.startswith(parts + os.sep))
    assert stamped == rendered and "vi" not in rendered, (stamped, rendered)
    assert edited != before


def test_a_second_build_of_a_project_waits_for_the_first(project):
    """Two builds of one project (`lantoa build` while `lantoa serve` rebuilds) would move the kept
    editions and the trash of one build cache under each other: the second waits, and says so,
    before it even checks whether anything changed."""
    import fcntl

    before = build(project)
    from lantoa import buildlock

    lock = project / ".cache" / "lantoa" / buildlock.LOCK
    done: list = []
    with open(lock, "a+b") as held:  # a build of it running in another process
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = threading.Thread(target=lambda: done.append(CliRunner().invoke(main, ["-C", str(project), "build"])))
        waiting.start()
        waiting.join(3)
        assert waiting.is_alive() and not done
    waiting.join(300)
    assert done and done[0].exit_code == 0, done and done[0].output
    assert "another build of this project is running" in done[0].output
    assert tree_digest(project / "build" / "site") == before


def test_an_edit_makes_the_sitemaps_and_feeds_of_the_edited_editions_only(project, monkeypatch):
    """The sitemap and feeds of an edition whose staging did not change are read back from the
    build cache (lantoa.site.editions.per_edition), not made again from its model, which is then
    not even read from its kept staging; the site is the one a clean build makes."""
    from lantoa.site import editions

    build(project)
    parts = project / ".cache" / "lantoa" / "parts"
    kept_keys = {lang: os.listdir(parts / lang) for lang in os.listdir(parts)}
    made: list[tuple[str, str]] = []
    sitemap, feeds = editions._sitemap, editions._feeds
    monkeypatch.setattr(editions, "_sitemap", lambda ctx, tag, links: made.append(("sitemap", tag)) or sitemap(ctx, tag, links))
    monkeypatch.setattr(editions, "_feeds", lambda ctx, tag: made.append(("feeds", tag)) or feeds(ctx, tag))
    loaded: list[str] = []  # the kept stagings whose model was read
    model = builder.incremental.StagedRecord.model
    monkeypatch.setattr(builder.incremental.StagedRecord, "model", lambda self: loaded.append(self.path.name) or model(self))
    monkeypatch.setattr(builder, "CHECK_STAGING", False)  # (which stages them anyway, to compare)
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    story.write_text(story.read_text("utf-8").replace("The bay has many limestone islands.",
                                                      "The bay has very many islands."), "utf-8")
    edited = build(project)
    rendered = sorted(lang for lang in kept_keys if kept_keys[lang] != os.listdir(parts / lang))
    assert rendered and "vi" not in rendered
    assert sorted(made) == sorted([("feeds", t) for t in rendered] + [("sitemap", t) for t in rendered])
    assert loaded == []  # nothing asked for the kept editions' models (lantoa.site.stage.Models)
    monkeypatch.undo()
    shutil.rmtree(project / "build")
    shutil.rmtree(project / ".cache")
    assert build(project, "--clean") == edited


def test_a_kept_model_is_read_when_asked_for_and_an_unreadable_one_is_a_clear_error():
    from lantoa.errors import LantoaError
    from lantoa.site.stage import Models

    reads: list[str] = []
    models = Models(vi={"pages": {}})
    models.later("km", lambda: reads.append("km") or {"pages": {"home": {}}})
    models.later("lo", lambda: None)  # its kept staging could not be read
    assert reads == [] and models["vi"] == {"pages": {}}
    assert models["km"] == {"pages": {"home": {}}} and models["km"] is models["km"] and reads == ["km"]
    with pytest.raises(LantoaError, match="kept staging of edition lo.*build again with --clean"):
        models["lo"]
    with pytest.raises(KeyError):
        models["ar"]


def test_shards_built_apart_assemble_the_same_site(project, tmp_path):
    """A CI matrix: each shard renders its editions on a machine of its own (here: a copy of the
    project), a last job gathers their parts and assembles the site, byte-identical to one build."""
    serial = build(project, "--clean", "-j", "1")
    machines = []
    for k in (1, 2):
        copy = tmp_path / f"machine{k}"
        shutil.copytree(project, copy, ignore=shutil.ignore_patterns("build", ".cache"))
        r = CliRunner().invoke(main, ["-C", str(copy), "build", "--shard", f"{k}/2"])
        assert r.exit_code == 0, r.output
        assert f"shard {k}/2: rendered" in r.output and not (copy / "build" / "site").exists()
        machines.append(copy)
    rendered = [{p.name for p in (m / ".cache" / "lantoa" / "parts").iterdir()} for m in machines]
    # every edition rendered by exactly one shard, and both shards rendered some
    assert all(rendered) and not rendered[0] & rendered[1] and len(rendered[0] | rendered[1]) == 6
    final = tmp_path / "final"
    shutil.copytree(project, final, ignore=shutil.ignore_patterns("build", ".cache"))
    for m in machines:
        shutil.copytree(m / ".cache" / "lantoa" / "parts", final / ".cache" / "lantoa" / "parts", dirs_exist_ok=True)
    r = CliRunner().invoke(main, ["-C", str(final), "-v", "build"])
    assert r.exit_code == 0, r.output
    assert "rendered 0 editions (6 reused)" in r.output  # nothing rendered again
    assert tree_digest(final / "build" / "site") == serial


def test_shard_option_is_checked(project):
    for bad in ("0/2", "3/2", "1-2", "x"):
        r = CliRunner().invoke(main, ["-C", str(project), "build", "--shard", bad])
        assert r.exit_code == 2 and "K/N" in r.output and "Traceback" not in r.output, r.output
    r = CliRunner().invoke(main, ["-C", str(project), "build", "--shard", "1/2", "--clean"])
    assert r.exit_code == 1 and "cannot run with --clean" in r.output


def test_a_kept_edition_changed_in_place_is_built_again(project):
    """Kept editions share their files with build/site (hard links): a page of build/site edited
    in place must not come back in the next build."""
    serial = build(project, "--clean", "-j", "1")
    shutil.rmtree(project / "build")
    assert build(project) == serial  # fills .cache/lantoa/parts
    page = project / "build" / "site" / "tyz" / "index.html"  # tyz does not show the English story
    with open(page, "a", encoding="utf-8") as fh:  # in place: the same inode as the kept copy
        fh.write("<!-- edited by hand -->")
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    original = story.read_text("utf-8")
    story.write_text(original + "\nOne more sentence.\n", "utf-8")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0 and "kept edition tyz was changed after it was stored" in r.output, r.output
    assert "edited by hand" not in page.read_text("utf-8")
    story.write_text(original, "utf-8")
    assert build(project) == serial


@pytest.mark.parametrize("foreign", [
    '{"index.html": [1, 2]}',  # an earlier lantoa's: a size and modification time a file
    '{"stamp": "0123abcd"}',  # a stamp made without GNU find (another machine's, or this one's without it)
])
def test_a_kept_edition_with_a_manifest_of_another_kind_is_built_again_quietly(project, foreign):
    """The manifest of a kept edition (its files' stamp) is of another kind: the edition is built
    again, without a warning that a file of it was changed."""
    from lantoa.site import incremental

    serial = build(project, "--clean", "-j", "1")
    shutil.rmtree(project / "build")
    assert build(project) == serial
    for manifest in (project / ".cache" / "lantoa" / "parts").glob(f"*/*/{incremental.COMPLETE}"):
        manifest.write_text(foreign, "utf-8")
    shutil.rmtree(project / "build")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0 and "(0 reused)" in r.output, r.output  # every edition rendered again
    assert "was changed after it was stored" not in r.output
    assert tree_digest(project / "build" / "site") == serial
    shutil.rmtree(project / "build")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert "rendered 0 editions" in r.output, r.output  # kept again, in the new kind


def _second_story(root):
    """A copy of the tiny project's story under another slug and title (edits touch one of two)."""
    src = root / "content" / "stories" / "vinh-ha-long"
    dst = root / "content" / "stories" / "vinh-lan-ha"
    shutil.copytree(src, dst)
    for name in ("index.md", "index.en.md"):
        p = dst / name
        p.write_text(p.read_text("utf-8").replace("Hạ Long", "Lan Hạ").replace("Ha Long", "Lan Ha"), "utf-8")
    stamp_translations(root)


def _clean_build_of(root, tmp_path):
    copy = tmp_path / "clean"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("build", ".cache"))
    return build(copy, "--clean", "-j", "1")


def _body_image(root):
    """A captioned body image in the English text of the first story."""
    from PIL import Image

    story = root / "content" / "stories" / "vinh-ha-long"
    Image.new("RGB", (640, 400), (200, 120, 40)).save(story / "photo.jpg", quality=80)
    p = story / "index.en.md"
    text = p.read_text("utf-8").replace("translation:", "images:\n  photo.jpg:\n    alt: Boats\n"
                                        "    caption: Boats at dawn\ntranslation:", 1)
    p.write_text(text + "\n![](photo.jpg)\n", "utf-8")


@pytest.mark.parametrize("edit", ["body", "title", "source", "caption"])
def test_an_edited_story_renders_its_own_pages_and_matches_a_clean_build(project, tmp_path, edit, monkeypatch):
    """Editing one story renders its page again, and the listings only when its card changed (a
    title), not its edition's other pages; the result is byte-identical to a clean build of the
    edited content. The editions that render again are staged first (builder.showing_anew)."""
    _body_image(project)
    _second_story(project)
    build(project)
    orders: list[list[str]] = []
    stage = builder.stage
    monkeypatch.setattr(builder, "stage", lambda *a, **k: orders.append(list(k["render"])) or stage(*a, **k))
    # the other story's English page is reused: not read, not rendered, not written (the same file)
    other = project / "build" / "site" / "en" / "stories" / "vinh-lan-ha" / "index.html"
    before = other.stat()
    index = project / "build" / "site" / "en" / "search" / "index.json"
    index_before = index.stat()
    home = project / "build" / "site" / "en" / "index.html"  # a listing: the story's card
    home_before = home.stat()
    error_page = project / "build" / "site" / "en" / "404.html"  # made from what all pages show alike
    error_page_before = error_page.stat().st_ino
    # the content API's file of the other story is the kept one too; the edited story's is written again
    api = project / "build" / "site" / "api" / "en" / "stories"
    api_before = {name: (api / f"{name}.json").stat().st_ino for name in ("vinh-lan-ha", "vinh-ha-long")}
    story = project / "content" / "stories" / "vinh-ha-long"
    if edit == "body":  # the English page changes; the English home and categories list the same cards
        p = story / "index.en.md"
        p.write_text(p.read_text("utf-8").replace("many limestone", "very many limestone"), "utf-8")
    elif edit == "title":  # the card on the home and category pages changes too
        p = story / "index.en.md"
        p.write_text(p.read_text("utf-8").replace("title: Ha Long Bay", "title: Ha Long Bay, Quang Ninh"), "utf-8")
    elif edit == "caption":  # a body image's caption: that page's own record in the model
        p = story / "index.en.md"
        p.write_text(p.read_text("utf-8").replace("Boats at dawn", "Boats at dusk"), "utf-8")
    else:  # the source: every edition's page of it changes (English gets an 'outdated' notice)
        p = story / "index.md"
        p.write_text(p.read_text("utf-8").replace("nhiều đảo", "rất nhiều đảo"), "utf-8")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0, r.output
    # edition -> the pages it rendered again, for each edition that renders again
    rendered_in = {lang: int(total) - int(kept) for lang, kept, total in
                   re.findall(r"edition (\S+): (\d+) of (\d+) pages unchanged: reused", r.output)}
    # the story's page alone is rendered again, in every edition that renders again; a new title is
    # also on its cards: the home page and its category's page
    rendered = 3 if edit == "title" else 1
    assert rendered_in.get("en") == rendered, r.output
    assert all(n == rendered for n in rendered_in.values()), rendered_in
    assert "edition vi:" in r.output if edit == "source" else "edition vi:" not in r.output
    order = orders[-1]
    if edit == "source":  # every edition renders again: first those showing the source, then those with a translation
        from lantoa.commands.check import collect
        from lantoa.site.stage import resolve_variant

        checked = collect(project)
        entry, tags = checked.project.stories["vinh-ha-long"], checked.registry.tags()
        shows = [t for t in tags if resolve_variant(entry, checked.registry, t).lang == "vi"]
        assert "vi" in shows and "en" not in shows and len(shows) > 1
        assert sorted(rendered_in) == sorted(order) and order == shows + [t for t in tags if t not in shows], order
    else:  # the editions that render again (those showing the English text) first, then the kept ones
        first = order[:len(rendered_in)]
        assert sorted(first) == sorted(rendered_in) and "vi" in order[len(rendered_in):], (order, rendered_in)
    site = project / "build" / "site"
    assert "Boats at d" in (site / "en" / "stories" / "vinh-ha-long" / "index.html").read_text("utf-8")
    after = other.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert (api / "vinh-lan-ha.json").stat().st_ino == api_before["vinh-lan-ha"]
    assert (api / "vinh-ha-long.json").stat().st_ino != api_before["vinh-ha-long"]
    assert error_page.stat().st_ino == error_page_before  # the kept edition's, not rendered again
    home_after = home.stat()
    assert ((home_after.st_ino, home_after.st_mtime_ns) == (home_before.st_ino, home_before.st_mtime_ns)) == \
        (edit != "title"), edit
    assert ("Quang Ninh" in home.read_text("utf-8")) == (edit == "title")
    # the English search index is the kept one when what it indexes did not change (an edit of
    # the source changes the English pages' notices only, outside their article)
    assert (index.stat().st_ino == index_before.st_ino) == (edit == "source"), edit
    assert tree_digest(site) == _clean_build_of(project, tmp_path)


def test_a_story_linking_to_one_unpublished_since_matches_a_clean_build(project, tmp_path):
    """A story's link to another (``../vinh-lan-ha/index.md``) is made the other's address before
    MkDocs reads it (lantoa.validate.links.docs_url): the page is the same whether the other story
    is in the build or not, so a kept page is still right after the other is unpublished. (MkDocs
    resolved the link only while the other was there: the kept page had its address, a clean
    build the .md path.)"""
    _second_story(project)
    src = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    src.write_text(src.read_text("utf-8") + "\nXem [Lan Hạ](../vinh-lan-ha/index.md).\n", "utf-8")
    stamp_translations(project)
    build(project)
    page = project / "build" / "site" / "stories" / "vinh-ha-long" / "index.html"
    assert 'href="../vinh-lan-ha/"' in page.read_text("utf-8")
    other = project / "content" / "stories" / "vinh-lan-ha" / "index.md"
    other.write_text(other.read_text("utf-8").replace("status: published", "status: draft"), "utf-8")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0 and "link-to-unpublished" in r.output, r.output
    assert re.search(r"edition vi: \d+ of \d+ pages unchanged: reused", r.output), r.output  # the page was kept
    assert 'href="../vinh-lan-ha/"' in page.read_text("utf-8")
    assert tree_digest(project / "build" / "site") == _clean_build_of(project, tmp_path)


def test_a_theme_change_renders_every_page_again(project):
    """Also pins the compiled-template cache (.cache/lantoa/templates): a changed template is used."""
    _second_story(project)
    build(project)
    assert any((project / ".cache" / "lantoa" / "templates").iterdir())
    story_html = project / "theme" / "story.html"
    story_html.write_text(story_html.read_text("utf-8").replace('class="lt-story"', 'class="lt-story lt-changed"'),
                          "utf-8")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0, r.output
    assert "pages unchanged: reused" not in r.output and "rendered 6 editions (0 reused)" in r.output
    for page in ("stories/vinh-ha-long/index.html", "en/stories/vinh-lan-ha/index.html"):
        assert 'class="lt-story lt-changed"' in (project / "build" / "site" / page).read_text("utf-8")


def test_file_names_are_file_stats_paths_without_a_stat_each(tmp_path):
    from lantoa.site.incremental import file_names, file_stats

    for rel in ("index.html", "a/b/c.html", "a/z.css", "a-b/x.js", "ab/y", "a/b/.hidden"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel, "utf-8")
    (tmp_path / "link.html").symlink_to(tmp_path / "index.html")
    (tmp_path / "linked-dir").symlink_to(tmp_path / "a", target_is_directory=True)
    assert file_names(tmp_path) == list(file_stats(tmp_path))
    assert "link.html" not in file_names(tmp_path) and "a-b/x.js" in file_names(tmp_path)


def test_the_merge_reads_the_characters_of_an_edition_from_their_own_file(project):
    """An edition's characters by language (for the font subsets) are kept beside its facts, and
    the merge reads that small file, not the facts (up to 32 MB at 400 stories)."""
    from lantoa.site import incremental, pagefacts

    build(project)
    parts = sorted((project / ".cache" / "lantoa" / "parts").glob("*/*/"))
    assert parts
    for part in parts:
        kept = pagefacts.chars_by_lang(part)
        assert kept and kept == pagefacts._chars(pagefacts.load(part).values())
        facts = part / incremental.FACTS
        saved = facts.read_bytes()
        facts.unlink()
        facts.write_text("not JSON", "utf-8")
        try:
            assert pagefacts.chars_by_lang(part) == kept  # the facts were not read
        finally:
            facts.unlink()
            facts.write_bytes(saved)
    # an edition kept without the file (an earlier format): its facts are read instead
    (parts[0] / incremental.CHARS).unlink()
    assert pagefacts.chars_by_lang(parts[0]) == pagefacts._chars(pagefacts.load(parts[0]).values())


_KEYS = """
import json, sys, tempfile
from pathlib import Path
from lantoa.commands.check import collect
from lantoa.site import incremental, stage
root = Path(sys.argv[1])
checked = collect(root)
keys = {}
def staged_edition(staged, lang):
    common = incremental.common_inputs(root, staged)
    inputs = incremental.edition_inputs(root, staged, lang, {}, common)
    keys[lang] = [inputs.key, inputs.pages]
never = stage.Reuse(common=lambda staged: "common", take=lambda staged, lang, key: False)
staged = stage.stage(checked.project, checked.registry, checked.registry.tags(), Path(tempfile.mkdtemp()),
                     Path(tempfile.mkdtemp()), staged_edition=staged_edition, reuse=never)
print(json.dumps({"editions": keys, "staging": staged.keys}, sort_keys=True))
"""


def test_edition_keys_are_the_same_in_every_process(project):
    """The keys are content hashes that a --shard build on another machine must find again: they
    may not depend on the process's string hash seed (the order of a set, an object's identity).
    Nor may the staging keys, which the next build must find again (a story's hero text, for one,
    is filled in from a set)."""
    import json
    import subprocess
    import sys

    _body_image(project)
    _second_story(project)
    runs = [subprocess.run([sys.executable, "-c", _KEYS, str(project)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}, check=True).stdout for seed in ("1", "2")]
    found = json.loads(runs[0])
    keys = found["editions"]
    assert runs[0] == runs[1] and len(keys) == 6 and len(set(found["staging"].values()) - {None}) == 6
    assert any("stories/" in rel for _, pages in keys.values() for rel in pages)  # a key per story page too


def test_the_zygote_is_forked_as_an_edit_s_build_begins_and_after_a_cold_build_s_media(project, monkeypatch):
    """After an edit of a few files, the editions' zygote is forked as the build begins: its imports
    run beside the staging of the media and of the editions (forked at the first edition's
    hand-over, they came after that edition's staging, on the way of every one-story edit). After
    many (a first build, a bulk change), once the media are staged: its imports do not sit beside
    the processes that draw a cold build's many social cards and make its images."""
    from lantoa.site import images

    events: list[str] = []
    forker = builder.Forker
    monkeypatch.setattr(builder, "Forker", lambda *a, **k: events.append("zygote") or forker(*a, **k))
    stage_all = images.stage_all
    monkeypatch.setattr(images, "stage_all", lambda *a, **k: events.append("media") or stage_all(*a, **k))
    monkeypatch.setattr(builder, "_REORDER_AT_MOST", 1)  # a cold build reads its 3 files anew, the edit 1
    shutil.rmtree(project / ".cache", ignore_errors=True)
    build(project, "-j", "2")
    assert events == ["media", "zygote"]
    events.clear()
    story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    original = story.read_text("utf-8")
    try:
        story.write_text(original.replace("The bay has many limestone islands.", "The bay has very many islands."),
                         "utf-8")
        edited = build(project, "-j", "2")
        assert events == ["zygote", "media"]
        assert build(project, "--clean") == edited  # the edit's site is a clean build's
    finally:
        story.write_text(original, "utf-8")


def test_the_heap_is_trimmed_before_the_workers_are_forked(project, monkeypatch):
    """A cold build decodes camera photos in this process first: its heap's free pages are given
    back (malloc_trim) before the fork, so that the workers do not inherit and reuse them."""
    events: list[str] = []
    trim = builder._trim_heap
    monkeypatch.setattr(builder, "_trim_heap", lambda: (events.append("trim"), trim()))
    watching = [True]
    os.register_at_fork(before=lambda: watching[0] and events.append("fork"))
    try:
        build(project, "-j", "2")
    finally:
        watching[0] = False
    assert "fork" in events and events[0] == "trim", events


def test_a_stamp_s_find_runs_to_its_end_before_anything_reads_it(tmp_path):
    """A stamp is begun early and read later: its find prints into a file, not a pipe, whose 64 kB
    would stop it until read (the kept editions' listing is 1.3 MB at 400 x 12)."""
    import shutil as sh
    import subprocess

    if sh.which("find") is None:
        pytest.skip("no find here")
    for k in range(2000):  # some 90 kB of find's output
        (tmp_path / f"page-{k:05}-with-a-long-enough-name.html").write_text("x", "utf-8")
    from lantoa.site import incremental

    find = incremental._start_find(tmp_path)
    try:
        assert find.process.wait(timeout=30) == 0
    except subprocess.TimeoutExpired:
        incremental._end(find)
        raise AssertionError("the find waited for its output to be read")
    found = incremental._finish_find(find)
    assert len(found) == 2000 and found[0][0] == b"page-00000-with-a-long-enough-name.html"


def test_a_tree_stamp_sees_a_file_changed_in_place_with_or_without_find(tmp_path, monkeypatch):
    """The stamp that lets a rebuild with no change skip everything: from one GNU find, or from a
    stat of each file where there is none; either way an edit in place of the same size shows,
    and a symbolic link (not a regular file) is not in it."""
    from lantoa.site import incremental

    (tmp_path / "a" / "b").mkdir(parents=True)
    page = tmp_path / "a" / "b" / "index.html"
    page.write_text("<p>one</p>", "utf-8")
    (tmp_path / "x y.css").write_text("p{}", "utf-8")
    link = tmp_path / "link.html"
    for found in (True, False):
        if not found:
            monkeypatch.setattr(incremental.shutil, "which", lambda name: None)
        link.unlink(missing_ok=True)
        link.symlink_to(page)
        stamp = incremental.tree_stamp(tmp_path)
        assert stamp.startswith("find:") == found and incremental.tree_stamp(tmp_path) == stamp
        link.unlink()
        link.symlink_to(tmp_path / "x y.css")
        assert incremental.tree_stamp(tmp_path) == stamp
        before = page.stat().st_mtime_ns
        page.write_text("<p>two</p>", "utf-8")  # the same size
        os.utime(page, ns=(before + 1000, before + 1000))  # a microsecond later
        assert incremental.tree_stamp(tmp_path) != stamp


def test_collection_is_paused_while_checking_and_staging_but_not_in_the_workers(project, monkeypatch):
    """Reading, checking and staging make objects that live to the end of the build: the
    collector does not trace them again and again meanwhile (lantoa.gcpause). The workers,
    forked during the staging, collect as usual; and so does this process once the build is done."""
    import gc
    import json

    from lantoa import validate
    from lantoa.site import stage as stage_mod

    seen: dict[str, list] = {"check": [], "stage": []}
    check_project = validate.check_project
    monkeypatch.setattr(validate, "check_project",
                        lambda *a, **k: seen["check"].append(gc.isenabled()) or check_project(*a, **k))
    write_edition = stage_mod.write_edition
    monkeypatch.setattr(builder, "write_edition",
                        lambda *a, **k: seen["stage"].append(gc.isenabled()) or write_edition(*a, **k))
    report = project / "worker-gc.json"
    build_language = builder._build_language

    def recording(*args):  # in the worker (forked: it has this function)
        with open(report, "a", encoding="utf-8") as f:
            f.write(json.dumps([os.getpid(), gc.isenabled()]) + "\n")
        return build_language(*args)

    monkeypatch.setattr(builder, "_build_language", recording)
    assert gc.isenabled()
    build(project, "-j", "2")
    assert seen["check"] == [False] and seen["stage"] and not any(seen["stage"])
    workers = [json.loads(line) for line in report.read_text("utf-8").splitlines()]
    assert workers and all(enabled for _, enabled in workers) and all(pid != os.getpid() for pid, _ in workers)
    assert gc.isenabled()


def test_a_pause_of_collection_ends_as_it_began(monkeypatch):
    import gc

    from lantoa.gcpause import paused

    assert gc.isenabled()
    with pytest.raises(KeyError):
        with paused():
            assert not gc.isenabled()
            with paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the inner pause ends as it began: paused
            raise KeyError
    assert gc.isenabled()
    gc.disable()
    try:
        with paused():
            pass
        assert not gc.isenabled()  # collection was off before: it stays off
    finally:
        gc.enable()


def test_what_a_pause_made_is_frozen_until_the_build_ends(project, monkeypatch):
    """The objects made while collection was paused are all in the collector's youngest generation:
    frozen when the pause ends, the passes of the output steps do not trace them all again; the
    build thaws them when it ends, and `lantoa serve` when its check fails (no build to do it)."""
    import gc

    from lantoa.commands.serve import Preview
    from lantoa.gcpause import paused
    from lantoa.site import outputs

    gc.unfreeze()  # what the fixture's check froze, with no build after it in this process
    with paused():
        made = [{"n": i} for i in range(1000)]
    assert gc.get_freeze_count() >= len(made)
    gc.unfreeze()
    frozen_in_outputs = []
    run = outputs.run
    monkeypatch.setattr(builder.outputs, "run", lambda ctx: frozen_in_outputs.append(gc.get_freeze_count()) or run(ctx))
    build(project, "-j", "1")
    assert frozen_in_outputs and frozen_in_outputs[0] > 10_000  # the check's and the staging's objects
    assert gc.get_freeze_count() == 0

    preview = Preview(type("Ctx", (), {"root": project})(), [])
    preview.warm = True
    story = project / "content" / "stories" / "vinh-ha-long" / "index.md"
    original = story.read_text("utf-8")
    try:
        story.write_text(original.replace("category:", "categroy:", 1), "utf-8")
        assert preview.rebuild() is False
    finally:
        story.write_text(original, "utf-8")
    assert gc.get_freeze_count() == 0


def test_each_edition_is_rendered_in_a_process_of_its_own(project, monkeypatch, tmp_path):
    """A worker that rendered edition after edition kept each one's high-water mark: every edition
    is rendered in a process forked for it (lantoa.site.forker), which ends with it."""
    seen = tmp_path / "pids"
    seen.mkdir()
    real = builder._build_language

    def recording(root, registry, staged, lang, *args):
        (seen / lang).write_text(str(os.getpid()))
        return real(root, registry, staged, lang, *args)

    monkeypatch.setattr(builder, "_build_language", recording)  # the children are forked after this
    build(project, "--clean", "-j", "2")
    pids = {f.name: int(f.read_text()) for f in seen.iterdir()}
    assert len(pids) == len(list((project / "locales").glob("*.yml"))) > 2
    assert len(set(pids.values())) == len(pids) and os.getpid() not in pids.values()


def test_an_edition_whose_process_dies_fails_the_build_with_a_message(project, monkeypatch):
    """An edition's process killed (out of memory, say) fails the build with that edition named,
    not a traceback, and leaves no site behind."""
    import signal

    real = builder._build_language

    def dying(root, registry, staged, lang, *args):
        if lang == "km":
            os.kill(os.getpid(), signal.SIGKILL)
        return real(root, registry, staged, lang, *args)

    monkeypatch.setattr(builder, "_build_language", dying)
    result = CliRunner().invoke(main, ["-C", str(project), "-q", "build", "--clean", "-j", "2"])
    assert result.exit_code != 0
    assert "km: the process rendering it ended with signal 9" in result.output
    assert "Traceback" not in result.output and not (project / "build" / "site").exists()


def test_a_rebuild_with_no_change_does_nothing_until_an_input_or_the_site_changes(project, monkeypatch):
    """Nothing changed since the last build, and build/site is as it left it: nothing is checked or
    built. A changed input, or a page of build/site changed by hand, builds again."""
    from lantoa.commands import build as build_cmd

    serial = build(project)
    checks: list[int] = []
    collect = build_cmd.collect
    monkeypatch.setattr(build_cmd, "collect", lambda *a, **k: checks.append(1) or collect(*a, **k))

    def rebuild() -> str:
        r = CliRunner().invoke(main, ["-C", str(project), "build"])
        assert r.exit_code == 0, r.output
        return r.output

    assert "is up to date" in rebuild() and not checks
    page = project / "build" / "site" / "index.html"
    text = page.read_text("utf-8")
    page.write_text(text.replace("<html", "<HTML", 1), "utf-8")  # the same size, by hand
    assert "is up to date" not in rebuild() and len(checks) == 1
    assert tree_digest(project / "build" / "site") == serial
    assert "is up to date" in rebuild() and len(checks) == 1
    locale = next((project / "locales").glob("*.yml"))
    locale.write_text(locale.read_text("utf-8") + "\n# a comment\n", "utf-8")
    assert "is up to date" not in rebuild() and len(checks) == 2


def test_the_input_key_follows_links_once_and_sees_every_change(tmp_path):
    """The whole build's key: a linked file counts as its content, a linked folder by its files and
    its target; a link to a folder above it ends; a broken link counts; any change shows."""
    from lantoa.site.incremental import input_key

    theme = tmp_path / "theme"
    (theme / "a").mkdir(parents=True)
    (theme / "a" / "x.html").write_text("x", "utf-8")
    shared = tmp_path / "shared.css"
    shared.write_text("p{}", "utf-8")
    keys = [input_key(tmp_path, {})]

    def changed() -> bool:
        keys.append(input_key(tmp_path, {}))
        return keys[-1] != keys[-2] and input_key(tmp_path, {}) == keys[-1]

    (theme / "style.css").symlink_to(shared)
    assert changed()
    shared.write_text("a{}", "utf-8")  # the linked file's content
    assert changed()
    (theme / "b").symlink_to(theme / "a", target_is_directory=True)  # a folder seen twice
    assert changed()
    (theme / "b").unlink()
    (theme / "b").symlink_to(tmp_path / "elsewhere", target_is_directory=True)  # broken
    assert changed()
    (theme / "a" / "up").symlink_to(theme, target_is_directory=True)  # a loop: ends
    assert changed()
    (theme / "a" / "x.html").write_text("y", "utf-8")
    assert changed()
    assert (theme / "a" / "up" / "a" / "up" / "a" / "x.html").read_text("utf-8") == "y"  # it is a loop


def test_a_changed_input_does_not_wait_for_the_site_s_stamp(project, monkeypatch):
    """The stamp of build/site, begun beside the hashing of the inputs, is only read when the key
    is the last build's: after an edit its ``find`` is stopped, not waited for."""
    from lantoa.site import incremental

    build(project)
    cache, out = project / ".cache" / "lantoa", project / "build" / "site"
    key = __import__("json").loads((cache / incremental.STATE).read_text("utf-8"))["key"]
    assert incremental.up_to_date(cache, out)(key)
    monkeypatch.setattr(incremental._Stamp, "result", lambda self: pytest.fail("the stamp was read"))
    assert not incremental.up_to_date(cache, out)("another key")
    assert not incremental.up_to_date(cache, project / "build" / "elsewhere")(key)


def test_an_edition_that_does_not_show_an_edited_text_is_not_staged_again(project, tmp_path, monkeypatch):
    """After an edit of one translation's text, the editions that do not show it are taken from
    their kept staging (lantoa.site.stage.staging_keyer): not staged, their kept output linked. The
    suite's other builds stage them anyway and compare (LANTOA_CHECK_STAGING, tests/conftest.py);
    here that check is off, so that what is staged can be counted."""
    from lantoa.site import stage as stage_module

    _second_story(project)
    build(project)
    monkeypatch.setattr(builder, "CHECK_STAGING", False)
    staged: list[str] = []
    model = stage_module._language_model
    monkeypatch.setattr(stage_module, "_language_model", lambda p, r, lang, *a: staged.append(lang) or model(p, r, lang, *a))
    assert build(project) and staged == []  # nothing changed: nothing staged (nor even checked)
    p = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    p.write_text(p.read_text("utf-8").replace("many limestone", "very many limestone"), "utf-8")
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0, r.output
    rendered = re.findall(r"edition (\S+): \d+ of \d+ pages unchanged: reused", r.output)
    assert "en" in rendered and "vi" not in rendered
    assert sorted(staged) == sorted(rendered), (staged, rendered)
    assert tree_digest(project / "build" / "site") == _clean_build_of(project, tmp_path / "clean0")
    # the editions that show the file read anew are handed to the workers before any key is hashed
    # (stage.Reuse.fresh), with only their own social cards staged (the others' after); their keys
    # are worked out after and their stagings kept: taken the next time
    from lantoa.site import social

    events = []
    facts, write, cards = stage_module._entry_facts, builder.write_edition, social.stage_cards
    monkeypatch.setattr(stage_module, "_entry_facts", lambda *a: events.append("facts") or facts(*a))
    monkeypatch.setattr(builder, "write_edition", lambda st, lang, *a: events.append(lang) or write(st, lang, *a))
    monkeypatch.setattr(social, "stage_cards", lambda pr, rg, langs, *a, **k: events.append(tuple(langs)) or cards(pr, rg, langs, *a, **k))
    p.write_text(p.read_text("utf-8").replace("very many limestone", "truly many limestone"), "utf-8")
    staged.clear()
    build(project)
    handed = events[1:events.index("facts")]
    assert sorted(events[0]) == sorted(handed[:-1]) == sorted(rendered) == sorted(staged), (events, staged)
    assert sorted(handed[-1] + events[0]) == sorted(collect_tags(project)), events  # the others' cards
    (project / ".cache" / "lantoa" / "last-build.json").unlink()  # (else nothing is built at all)
    staged.clear()
    build(project)
    assert staged == []
    monkeypatch.setattr(stage_module, "_entry_facts", facts)
    monkeypatch.setattr(builder, "write_edition", write)
    monkeypatch.setattr(social, "stage_cards", cards)
    p.write_text(p.read_text("utf-8").replace("truly many limestone", "very many limestone"), "utf-8")
    build(project)  # as it was
    # a kept staging that does not load is staged again, and kept again for the next build
    apart = sorted(set(collect_tags(project)) - set(rendered))  # the editions that do not show the English text
    assert "vi" in apart and len(apart) >= 2, apart
    kept = project / ".cache" / "lantoa" / "staged"
    (kept / f"{apart[0]}.marshal").write_bytes(b"\x00broken")
    (kept / f"{apart[1]}.marshal").write_bytes(b"")
    for i, text in enumerate(["so many", "very many"]):
        p.write_text(re.sub(r"(very|so) many limestone", f"{text} limestone", p.read_text("utf-8")), "utf-8")
        staged.clear()
        digest = build(project)
        assert sorted(staged) == sorted(set(rendered) | (set(apart[:2]) if i == 0 else set())), (i, staged)
        assert digest == _clean_build_of(project, tmp_path / f"again{i}")


def collect_tags(project):
    from lantoa.commands.check import collect

    return collect(project).registry.tags()


def test_a_kiosk_copy_keeps_its_own_staging(project, monkeypatch):
    """The staging of a --kiosk build is kept apart from the site's (its options are part of its
    key, and its record has a name of its own): a kiosk copy is never made from the site's."""
    from lantoa.site import stage as stage_module

    build(project)
    monkeypatch.setattr(builder, "CHECK_STAGING", False)
    staged: list[str] = []
    model = stage_module._language_model
    monkeypatch.setattr(stage_module, "_language_model", lambda p, r, lang, *a: staged.append(lang) or model(p, r, lang, *a))
    build(project, "--kiosk")
    assert "vi" in staged  # not the site's
    staged.clear()
    p = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    p.write_text(p.read_text("utf-8").replace("many limestone", "very many limestone"), "utf-8")
    build(project, "--kiosk")
    assert "en" in staged and "vi" not in staged, staged
    names = sorted(f.name for f in (project / ".cache" / "lantoa" / "staged").iterdir())
    assert "vi.marshal" in names and "vi.kiosk.marshal" in names


def test_the_build_cache_lets_go_of_a_language_removed_from_the_site(project):
    """A language taken out of locales/: the next build retires what the build cache kept for its
    editions (kept output, staging, render memo, search counts, sitemap and feeds), and keeps the others'; the site is
    the one a clean build of the remaining languages makes."""
    build(project)
    cache = project / ".cache" / "lantoa"

    def kept(tag):
        return sorted(p.relative_to(cache).as_posix() for folder in ("parts", "staged", "render", "search", "early")
                      for p in (cache / folder).glob(f"{tag}*") if p.name.split(".")[0] == tag)

    assert len(kept("km")) >= 3 and len(kept("tyz")) >= 3
    (project / "locales" / "km.yml").unlink()
    r = CliRunner().invoke(main, ["-C", str(project), "-v", "build"])
    assert r.exit_code == 0, r.output
    assert kept("km") == [] and len(kept("tyz")) >= 3 and len(kept("vi")) >= 3
    assert "build cache: parts/km let go of" in r.output
    assert not (project / "build" / "site" / "km").exists()
    edited = tree_digest(project / "build" / "site")
    shutil.rmtree(project / "build")
    shutil.rmtree(cache)
    assert build(project, "--clean") == edited


def test_an_edition_s_facts_are_written_page_by_page_and_read_back_whole(tmp_path):
    """The facts are written a page at a time: marshalled whole, an edition's (8 MB for 100 Khmer
    stories) took half as much again of its worker's memory for a moment, which the worker kept."""
    import tracemalloc

    from lantoa.site import pagefacts

    pages = {f"stories/s{i:03d}/index.html": {"lang": "km", "chars": "ក", "text": f"{i} " + "ខ" * 100_000,
                                              "body": "<p>" + "គ" * 100_000 + "</p>"} for i in range(40)}
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        pagefacts.save(tmp_path, pages, final=True)
        extra = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert (tmp_path / pagefacts.FACTS).stat().st_size > 20_000_000
    assert extra < 2_000_000, extra  # one page's bytes at a time, not the file's 24 MB
    assert pagefacts.load(tmp_path) == pages and pagefacts.chars_by_lang(tmp_path) == {"km": "ក"}
    data = (tmp_path / pagefacts.FACTS).read_bytes()
    (tmp_path / pagefacts.FACTS).write_bytes(data[: len(data) // 2])  # cut short: no facts, not half of them
    assert pagefacts.load(tmp_path) == {}


def test_an_edition_s_worker_lets_go_of_each_page_s_markdown_and_html_once_it_is_written(project, monkeypatch):
    """MkDocs keeps every page to the end of an edition's build; the worker needs only each page's
    facts after it is written, and lets go of its Markdown and HTML (its memory for the search
    index and the facts that follow)."""
    import gc

    from mkdocs.structure.pages import Page

    from lantoa.site import search

    seen: list[tuple[int, int]] = []
    edition_index = search.edition_index

    def looking(*args, **kwargs):
        pages = [o for o in gc.get_objects() if isinstance(o, Page)]
        seen.append((len(pages), sum(bool(p.markdown) or p.content is not None for p in pages)))
        return edition_index(*args, **kwargs)

    monkeypatch.setattr(search, "edition_index", looking)
    serial = build(project, "--clean", "-j", "1")  # in this process: each edition's build is seen
    assert len(seen) >= 2 and all(holding == 0 for _, holding in seen), seen
    assert any(alive for alive, _ in seen)  # (MkDocs' pages are still there: only their texts went)
    # the navigation of the pages rendered after one still has its title (MkDocs' Page.title is
    # None for a page without Markdown)
    assert not [p for p in (project / "build" / "site").rglob("*.html") if re.search(r">\s*None\s*<", p.read_text("utf-8"))]
    monkeypatch.undo()
    shutil.rmtree(project / "build")
    assert build(project, "--clean", "-j", "1") == serial


def test_the_build_stamps_its_site_as_a_find_of_it_would_without_a_find_at_the_end(project, monkeypatch):
    """The site's stamp for the next no-change check comes from a ``find`` begun once the media are
    in the site, beside the output steps after it, and a look at each file they wrote: it is the
    stamp a ``find`` of the finished site gives, after a first build, an edit and a build without
    the cache; a kiosk copy, whose step rewrites pages without telling, is stamped at its end.
    A stamp that cannot be told from what the build knows is not given."""
    import json

    from lantoa.site import incremental

    cache, out = project / ".cache" / "lantoa", project / "build" / "site"
    finds: list[str] = []
    start = incremental._start_find
    monkeypatch.setattr(incremental, "_start_find", lambda folder: finds.append(str(folder)) or start(folder))

    def recorded() -> str:
        return json.loads((cache / incremental.STATE).read_text("utf-8"))["stamp"]

    for args in ([], ["--no-cache"]):
        for _ in range(2):
            finds.clear()
            build(project, *args)
            assert ".lantoa-build-" in finds[-1]  # the last: the new site's, not of the finished one
            assert recorded() == incremental.tree_stamp(out) and recorded().startswith("find:")
            story = project / "content" / "stories" / "vinh-ha-long" / "index.en.md"
            story.write_text(story.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    r = CliRunner().invoke(main, ["-C", str(project), "build"])
    assert r.exit_code == 0 and "is up to date" not in r.output
    r = CliRunner().invoke(main, ["-C", str(project), "build"])
    assert r.exit_code == 0 and "is up to date" in r.output, r.output
    kiosk = project / "build" / "kiosk"
    finds.clear()
    r = CliRunner().invoke(main, ["-C", str(project), "build", "--kiosk", "--out", str(kiosk)])
    assert r.exit_code == 0, r.output
    assert finds[-1] == str(kiosk) and recorded() == incremental.tree_stamp(kiosk)
    # what it cannot vouch for: a file it does not know of, or one not as the find printed it
    site = project / "site-copy"
    shutil.copytree(out, site)
    files = incremental.file_names(site)
    assert incremental.begin_tree_stamp(site).finish(files, set()) == incremental.tree_stamp(site)
    (site / "stray.txt").write_text("x", "utf-8")
    assert incremental.begin_tree_stamp(site).finish(files, set()) is None
    assert incremental.begin_tree_stamp(site).finish(sorted(files + ["stray.txt"]), set()) == \
        incremental.tree_stamp(site)
    stamp = incremental.begin_tree_stamp(site)
    stamp.find.process.wait()
    (site / files[0]).write_text("changed after the find", "utf-8")
    assert stamp.finish(sorted(files + ["stray.txt"]), set()) is None
    stamp = incremental.begin_tree_stamp(site)
    stamp.find.process.wait()
    (site / files[0]).write_text("changed after the find, and told", "utf-8")
    assert stamp.finish(sorted(files + ["stray.txt"]), {files[0]}) == incremental.tree_stamp(site)
