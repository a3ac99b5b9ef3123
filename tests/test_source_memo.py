"""The source memo (lantoa.content.memo): what reading a file yields, kept by the file's bytes.

A document taken from the memo must equal the one parsed from the file, for every kind of file
(bad ones included); an edited file is parsed again; a broken or foreign memo is ignored."""

from __future__ import annotations

import copy
import dataclasses
import os
import pickle

import pytest

from lantoa.commands.check import collect
from lantoa.content import frontmatter, memo, yamlsafe
from lantoa.validate import markup

FILES = {
    "plain.md": "---\ntitle: Vịnh Hạ Long\nimages:\n  a.jpg: {alt: x}\n---\n\nText with <b>bold</b> and ![](a.jpg).\n",
    "same.md": "---\ntitle: Vịnh Hạ Long\nimages:\n  a.jpg: {alt: x}\n---\n\nText with <b>bold</b> and ![](a.jpg).\n",
    "decomposed.md": "---\ntitle: Vi\u0323nh\n---\n\nline Vi\u0323nh\n",
    "bom.md": "\ufeff---\ntitle: x\n---\nbody\n",
    "crlf.md": "---\r\ntitle: x\r\n---\r\n\r\nbody\r\nmore\r\n",
    "no-front-matter.md": "just text <script>x</script>\n",
    "empty.md": "  \n",
    "unclosed.md": "---\ntitle: x\n",
    "yaml-error.md": "---\ntitle: [x\n---\nbody\n",
    "nul.md": "---\ntitle: x\n---\na\x00b\n",
    "list.md": "---\n- a\n- b\n---\nbody\n",
    "blank-lines.md": "---\n\n\ntitle: x\n---\n\n\n\nbody starts late\n",
}


def _write(folder, files=FILES):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_bytes(text.encode("utf-8"))
    (folder / "latin1.md").write_bytes("---\ntitle: caf\xe9\n---\n".encode("latin-1"))
    return sorted(folder.glob("*.md"))


def _fields(doc):
    """A document's fields but its key (a parse without the memo gives none)."""
    return {f.name: getattr(doc, f.name) for f in dataclasses.fields(doc) if f.name != "key"}


def _read_all(paths, cache):
    m = memo.SourceMemo(cache)
    docs = [frontmatter.read(p, m) for p in paths]
    m.save()
    return m, docs


def test_a_document_from_the_memo_equals_the_parsed_one(tmp_path):
    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    first, docs = _read_all(paths, cache)
    assert first.misses == len(paths) - 1 and first.hits == 1  # same.md has plain.md's bytes
    second, again = _read_all(paths, cache)
    assert (second.hits, second.misses) == (len(paths), 0)
    for p, doc in zip(paths, again):
        assert _fields(doc) == _fields(frontmatter.read(p)), p.name
    # each document is known by its file's content key, read or taken from the memo
    assert [d.key for d in docs] == [d.key for d in again] == [memo.key_of(p.read_bytes()) for p in paths]
    plain, same = (again[[p.name for p in paths].index(n)] for n in ("plain.md", "same.md"))
    assert plain.meta == same.meta and plain.meta is not same.meta  # each file its own document
    assert plain.path != same.path
    # a body in NFC as it is written is taken as it is; another is normalised (a field of the memo)
    decomposed = again[[p.name for p in paths].index("decomposed.md")]
    assert second.used[plain.key][3] is True and second.used[decomposed.key][3] is False
    raw_body = (tmp_path / "src" / "decomposed.md").read_text("utf-8").partition("---\n\n")[2]
    assert decomposed.body.strip() == "line Vịnh" != raw_body.strip()


def test_the_memo_keeps_each_document_s_positions_packed_until_one_is_asked_for(tmp_path):
    paths = _write(tmp_path / "src", {"story.md": "---\ntitle: Huế\nhero:\n  src: a.jpg\nsources:\n"
                                                  "  - url: https://example.org/\n---\n\nText.\n"})
    _read_all(paths, tmp_path / "cache")
    story = [p.name for p in paths].index("story.md")
    parsed = frontmatter.read(paths[story])
    doc = _read_all(paths, tmp_path / "cache")[1][story]
    # unpickled as one string, not as a Pos object for every key and value (most never asked for)
    assert not {"key_pos", "value_pos"} & set(doc.yaml.__dict__)
    assert doc.pos("sources", 0, "url") == parsed.pos("sources", 0, "url") == yamlsafe.Pos(6, 5)
    assert doc.yaml == parsed.yaml  # unpacked, every position is the parsed one
    # packed again when kept again, and a copy (two files with the same bytes) unpacks its own
    again = pickle.loads(pickle.dumps(doc.yaml))
    assert "key_pos" not in again.__dict__ and copy.deepcopy(again) == again == parsed.yaml


def test_the_body_scan_comes_from_the_memo(tmp_path, monkeypatch):
    paths = _write(tmp_path / "src")
    _read_all(paths, tmp_path / "cache")
    fresh = {p.name: markup.scan(frontmatter.read(p).body) for p in paths}
    markup._scan.cache_clear()

    def refuse(body):
        raise AssertionError("scanned again")

    monkeypatch.setattr(markup, "_scan", refuse)
    _, docs = _read_all(paths, tmp_path / "cache")
    assert {p.name: markup.scan_of(d) for p, d in zip(paths, docs)} == fresh
    assert any(findings for findings, _ in fresh.values())  # the scans have something to compare


def test_an_edited_file_is_read_again(tmp_path):
    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    _read_all(paths, cache)
    edited = tmp_path / "src" / "plain.md"
    edited.write_text("---\ntitle: Hội An\n---\n\nNew text.\n", "utf-8")
    m, docs = _read_all(paths, cache)
    assert m.misses == 1
    doc = docs[paths.index(edited)]
    assert doc.meta == {"title": "Hội An"} and doc.body.strip() == "New text."
    assert _fields(doc) == _fields(frontmatter.read(edited))
    # the new document in the delta beside the memo; the next run that writes the memo whole drops the old one
    base, delta = (pickle.loads((cache / name).read_bytes())[1] for name in (memo.FILE, memo.DELTA))
    assert delta.keys() == {memo.key_of(edited.read_bytes())}
    assert base.keys() - delta.keys() >= {memo.key_of(p.read_bytes()) for p in paths if p != edited}


@pytest.mark.parametrize("damage", ["truncated", "garbage", "foreign header"])
def test_a_broken_or_foreign_memo_is_ignored_and_written_again(tmp_path, damage):
    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    _read_all(paths, cache)
    path = cache / memo.FILE
    blob = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00not a pickle")
    else:
        header, entries = pickle.loads(blob)
        path.write_bytes(pickle.dumps((("lantoa-sources", -1), entries)))
    m, docs = _read_all(paths, cache)
    assert m.hits == 1 and m.misses == len(paths) - 1  # only the duplicate file
    assert [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]
    assert pickle.loads(path.read_bytes())[0] == memo._header()


def test_check_reports_the_same_with_and_without_the_memo(project):
    story = project / "content" / "stories" / "vinh-ha-long"
    text = (story / "index.en.md").read_text("utf-8")
    (story / "index.en.md").write_text(text.replace("title:", "titel:", 1) + "\n<script>x</script>\n", "utf-8")
    kept = project / ".cache" / "lantoa" / memo.FILE
    kept.unlink(missing_ok=True)
    plain = collect(project, memo=False).report.render_text()
    assert "titel" in plain and "script" in plain
    assert not kept.exists()  # lantoa build --clean neither reads nor writes it
    first = collect(project).report.render_text()
    markup._scan.cache_clear()
    second = collect(project).report.render_text()
    assert kept.exists() and plain == first == second


def test_a_long_lived_process_keeps_the_memo_in_memory_until_another_writes_it(tmp_path, monkeypatch):
    """`lantoa serve` rebuilds in one process: the memo it wrote last is not unpickled again, but
    one that another process wrote since (a `lantoa build` beside it) is read from the file."""
    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    monkeypatch.setattr(memo, "_KEEP", [False])  # a one-off process, as lantoa build
    monkeypatch.setattr(memo, "_HELD", {})
    loads = []
    real_load = pickle.load
    monkeypatch.setattr(memo.pickle, "load", lambda f: loads.append(f.name) or real_load(f))
    _read_all(paths, cache)
    _read_all(paths, cache)
    assert loads == [str(cache / memo.FILE)] and not memo._HELD  # a one-off process holds nothing
    loads.clear()
    monkeypatch.setattr(memo, "_KEEP", [True])  # as lantoa serve asks (memo.keep_between_runs)
    monkeypatch.setattr(memo, "_HELD", {})
    _read_all(paths, cache)
    assert loads == [str(cache / memo.FILE)]
    loads.clear()
    m, docs = _read_all(paths, cache)
    assert loads == [] and (m.hits, m.misses) == (len(paths), 0)
    assert [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]
    # another process writes the memo: without the last file, so that it is told apart
    blob = pickle.dumps((memo._header(), {k: v for k, v in m.used.items() if k != memo.key_of(paths[-1].read_bytes())}))
    (cache / memo.FILE).unlink()
    (cache / memo.FILE).write_bytes(blob)
    m, docs = _read_all(paths, cache)
    assert loads == [str(cache / memo.FILE)] and m.misses == 1
    assert [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]


def test_a_long_lived_process_takes_an_unchanged_file_s_document_without_reading_it(tmp_path, monkeypatch):
    """`lantoa serve`: a file whose stat is as it was when this process read it is not read again;
    one edited in place (same size, 1 ns later) is; so is one changed too recently to trust its
    stat (it may change again within the same tick of its clock)."""
    import pathlib

    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    monkeypatch.setattr(memo, "_KEEP", [True])
    monkeypatch.setattr(memo, "_HELD", {})
    monkeypatch.setattr(memo, "_READ", {})
    monkeypatch.setattr(memo, "RECENT_NS", -1)  # the files were just written: trust their stat anyway
    read: list[str] = []
    real = pathlib.Path.read_bytes
    monkeypatch.setattr(pathlib.Path, "read_bytes", lambda self: read.append(self.name) or real(self))
    _read_all(paths, cache)
    assert sorted(read) == sorted(p.name for p in paths)
    read.clear()
    m, docs = _read_all(paths, cache)
    assert read == [] and (m.hits, m.misses) == (len(paths), 0)
    assert [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]
    read.clear()
    edited = tmp_path / "src" / "plain.md"
    st = edited.stat()
    edited.write_bytes(real(edited).replace(b"bold", b"BOLD"))
    os.utime(edited, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    m, docs = _read_all(paths, cache)
    assert read == ["plain.md"] and m.misses == 1
    assert "BOLD" in docs[paths.index(edited)].body
    assert [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]
    monkeypatch.setattr(memo, "RECENT_NS", 2_000_000_000)
    edited.write_bytes(real(edited).replace(b"BOLD", b"bold"))  # changed now: not trusted
    for _ in range(2):
        read.clear()
        _, docs = _read_all(paths, cache)
        assert read == ["plain.md"] and "bold" in docs[paths.index(edited)].body


def _kept(cache):
    return {name: pickle.loads((cache / name).read_bytes())[1] if (cache / name).exists() else None
            for name in (memo.FILE, memo.DELTA)}


def test_few_new_documents_go_to_the_delta_and_many_make_the_memo_whole_again(tmp_path, monkeypatch):
    """A one-story edit writes a small delta, not the whole memo (30 MB at 400 x 12); once the
    delta and the documents no file has any more come to DELTA_AT_LEAST (or an eighth of the
    memo), the memo is written whole, without them, and the delta removed. Every run reads what
    a parse would give."""
    monkeypatch.setattr(memo, "DELTA_AT_LEAST", 3)
    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    _read_all(paths, cache)
    first = (cache / memo.FILE).read_bytes()
    assert _kept(cache)[memo.DELTA] is None
    src = tmp_path / "src"
    for i, name in enumerate(["decomposed.md", "decomposed.md", "bom.md"]):
        edited = src / name
        edited.write_text(f"---\ntitle: Hội An {i}\n---\n\nText {i}.\n", "utf-8")
        m, docs = _read_all(paths, cache)
        assert m.misses == 1 and docs[paths.index(edited)].meta == {"title": f"Hội An {i}"}
        assert [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]
        kept = _kept(cache)
        if i < 2:  # one new document, one gone from the memo (the delta's earlier one dropped): 2 <= 3
            assert (cache / memo.FILE).read_bytes() == first
            assert kept[memo.DELTA].keys() == {memo.key_of(edited.read_bytes())}
        else:  # two new, two gone: 4 > 3, written whole, as the files are now
            assert kept[memo.DELTA] is None
            assert kept[memo.FILE].keys() == {memo.key_of(p.read_bytes()) for p in paths}
    m, docs = _read_all(paths, cache)
    assert m.misses == 0 and [_fields(d) for d in docs] == [_fields(frontmatter.read(p)) for p in paths]


def test_a_delta_without_its_memo_is_not_read(tmp_path):
    paths = _write(tmp_path / "src")
    cache = tmp_path / "cache"
    _read_all(paths, cache)
    (tmp_path / "src" / "decomposed.md").write_text("---\ntitle: x\n---\n", "utf-8")
    _read_all(paths, cache)
    assert (cache / memo.DELTA).exists()
    (cache / memo.FILE).unlink()
    m, docs = _read_all(paths, cache)
    assert m.hits == 1 and m.misses == len(paths) - 1  # only the duplicate file
    assert _kept(cache)[memo.DELTA] is None and _kept(cache)[memo.FILE].keys() == {memo.key_of(p.read_bytes()) for p in paths}


def test_a_long_lived_process_forgets_the_files_deleted_since_it_read_them(project, monkeypatch):
    """`lantoa serve` keeps each file's body between rebuilds; a story deleted since is let go of at
    the next read of the project, and the others are kept."""
    import shutil

    from lantoa.content.loader import load_project

    monkeypatch.setattr(memo, "_KEEP", [True])
    monkeypatch.setattr(memo, "_HELD", {})
    monkeypatch.setattr(memo, "_READ", {})
    monkeypatch.setattr(memo, "RECENT_NS", -1)  # the files were just written: keep them anyway
    second = project / "content" / "stories" / "second"
    shutil.copytree(project / "content" / "stories" / "vinh-ha-long", second)
    load_project(project)
    mine = {p for p in memo._READ if p.startswith(str(second) + os.sep)}
    others = set(memo._READ) - mine
    assert mine and others
    shutil.rmtree(second)
    load_project(project)
    assert set(memo._READ) == others


def _two_stories(tmp_path):
    """A project of two stories, one of them with a stray file (a warning a kept entry must give
    again): its root and the two stories' folders."""
    from conftest import make_project

    root = make_project(tmp_path / "p")
    story = root / "content" / "stories" / "vinh-ha-long"
    (story / "notes.md").write_text("stray", "utf-8")
    other = root / "content" / "stories" / "vinh-lan-ha"
    other.mkdir()
    (other / "index.md").write_text((story / "index.md").read_text("utf-8"), "utf-8")
    return root, story, other


def test_a_long_lived_process_takes_an_unchanged_folder_s_entry_as_it_read_it(tmp_path, monkeypatch):
    """`lantoa serve`: a story or page whose Markdown files all have the stats they had when this
    process read them is the entry it read then, with the same diagnostics, and its documents stay
    in the memo it saves; a file edited, added or taken away, or changed too recently to trust its
    stat, makes its folder read again; a folder gone is forgotten. The check's report is the one a
    fresh process gives, each time."""
    from lantoa.content import loader

    root, story, other = _two_stories(tmp_path)
    for name in ("_HELD", "_READ", "_ENTRIES"):
        monkeypatch.setattr(memo, name, {})
    monkeypatch.setattr(memo, "RECENT_NS", -1)  # the files were just written: trust their stat anyway

    def fresh():  # as a one-off process sees the project (what this one keeps put aside meanwhile)
        kept = memo._READ, memo._ENTRIES, memo._HELD
        memo._KEEP[0], memo._READ, memo._ENTRIES, memo._HELD = False, {}, {}, {}
        try:
            return collect(root).report.render_json()
        finally:
            memo._KEEP[0], (memo._READ, memo._ENTRIES, memo._HELD) = True, kept

    made: list[str] = []  # the folders read (not taken as they were) by the last run

    def run():
        made.clear()
        project, diags = loader.load_project(root)
        read = list(made)
        assert collect(root).report.render_json() == fresh()
        made[:] = read
        return project, diags

    monkeypatch.setattr(memo, "_KEEP", [True])
    first, diags = run()
    assert any(d.code == "stray-file" for d in diags)
    real = loader._load_entry
    monkeypatch.setattr(loader, "_load_entry", lambda kind, folder, *a: made.append(folder.name) or real(kind, folder, *a))
    again, diags_again = run()
    assert made == [] and diags_again == diags
    assert all(again.stories[s] is first.stories[s] for s in first.stories)
    assert memo.SourceMemo(root / ".cache" / "lantoa").entries.keys() >= {
        v.doc.key for e in first.entries() for v in e.variants()}  # kept in the saved memo
    # an edit of one file: its folder alone is read again
    p = story / "index.en.md"
    p.write_text(p.read_text("utf-8").replace("limestone", "LIMESTONE"), "utf-8")
    edited, _ = run()
    assert sorted(set(made)) == ["vinh-ha-long"] and "LIMESTONE" in edited.stories["vinh-ha-long"].translations["en"].body
    assert edited.stories["vinh-lan-ha"] is first.stories["vinh-lan-ha"]
    # a translation added, then taken away
    (other / "index.en.md").write_text(p.read_text("utf-8"), "utf-8")
    added, _ = run()
    assert sorted(set(made)) == ["vinh-lan-ha"] and "en" in added.stories["vinh-lan-ha"].translations
    (other / "index.en.md").unlink()
    assert "en" not in run()[0].stories["vinh-lan-ha"].translations
    # changed too recently to trust its stat: read every time
    monkeypatch.setattr(memo, "RECENT_NS", 2_000_000_000)
    p.write_text(p.read_text("utf-8").replace("LIMESTONE", "limestone"), "utf-8")
    for _ in range(2):
        run()
        assert "vinh-ha-long" in made
    # a folder gone is forgotten
    import shutil

    shutil.rmtree(other)
    run()
    assert str(other) not in memo._ENTRIES and str(root / "content" / "pages" / "home") in memo._ENTRIES


def test_a_one_off_run_takes_an_unchanged_folder_s_entry_from_the_run_before(tmp_path, monkeypatch):
    """`lantoa build` and `check`, each in a process of its own: what a run read from a story's or
    page's folder is kept in a file beside the memo, and the next run takes it when the folder's
    Markdown files have the same stats, without reading them; a document taken so reads its body
    from its file only when asked, and says so clearly if the file is not what it was. The report
    is the one a run that keeps nothing gives; an edited file makes its folder read again; another
    version of the code leaves every kept file unused; a folder gone takes its kept file with it."""
    from lantoa.content import loader
    from lantoa.errors import LantoaError

    root, story, other = _two_stories(tmp_path)
    monkeypatch.setattr(memo, "RECENT_NS", -1)  # the files were just written: trust their stat anyway
    kept = root / ".cache" / "lantoa" / memo.ENTRIES_DIR
    plain = collect(root, memo=False).report.render_json()
    assert not kept.exists()
    first, _ = loader.load_project(root)
    assert len(list(kept.iterdir())) == len(first.stories) + len(first.pages) == 3

    made: list[str] = []  # the folders read by the last run
    real_load = loader._load_entry
    monkeypatch.setattr(loader, "_load_entry", lambda kind, folder, *a: made.append(folder.name) or real_load(kind, folder, *a))
    bodies: list[str] = []  # the bodies read from their files
    real_body = frontmatter.Document._read_body
    monkeypatch.setattr(frontmatter.Document, "_read_body", lambda doc: bodies.append(doc.path.name) or real_body(doc))

    again, _ = loader.load_project(root)
    assert made == [] and bodies == [] and again.read_anew == set()
    en = again.stories["vinh-ha-long"].translations["en"]
    # neither its body nor its path made again (a Path parses its text) until they are asked for
    assert "body" not in en.doc.__dict__ and isinstance(en.doc.__dict__["path"], str)
    assert en.doc.path == story / "index.en.md"
    assert en.body == first.stories["vinh-ha-long"].translations["en"].body and bodies == ["index.en.md"]
    assert again.stories == first.stories and again.pages == first.pages
    assert collect(root).report.render_json() == plain  # its stray-file warning among the rest
    # an edit of one file: its folder alone is read again
    p = story / "index.en.md"
    p.write_text(p.read_text("utf-8").replace("limestone", "LIMESTONE"), "utf-8")
    made.clear()
    edited, _ = loader.load_project(root)
    assert made == ["vinh-ha-long"] and "LIMESTONE" in edited.stories["vinh-ha-long"].translations["en"].body
    # a file that is not what a kept document was read from (changed within its stat's tick)
    lazy = loader.load_project(root)[0].stories["vinh-lan-ha"].source.doc
    (other / "index.md").write_text("---\ntitle: x\n---\n", "utf-8")
    with pytest.raises(LantoaError, match=r"vinh-lan-ha/index\.md: the file changed .*run the command again"):
        lazy.body
    # another version of the code: nothing kept is taken
    made.clear()
    monkeypatch.setattr(memo, "_entries_header", lambda: ("another version",))
    loader.load_project(root)
    assert sorted(made) == ["home", "vinh-ha-long", "vinh-lan-ha"]
    # a folder gone: its kept file too
    import shutil

    shutil.rmtree(other)
    loader.load_project(root)
    assert len(list(kept.iterdir())) == 2


def test_a_scan_of_a_document_is_remembered_by_its_key_and_holds_no_body(tmp_path):
    """The scan of a read document's body is kept by the file's content key: the cache of scans by
    body would hold every body scanned to the end of the build (lantoa.site.builder._let_go)."""
    path = tmp_path / "index.en.md"
    path.write_text("---\ntitle: T\n---\nA [link](other.md) and ![a photo](photo.jpg).\n", "utf-8")
    doc = frontmatter.read(path, memo.SourceMemo(tmp_path / "memo.pickle"))
    assert doc.key
    markup.forget()
    before = markup._scan.cache_info().currsize
    findings, links = markup.scanned_of(doc)
    assert [link.url for link in links] == ["other.md", "photo.jpg"]
    assert markup._scan.cache_info().currsize == before and markup._KNOWN[doc.key] == (findings, links)
    assert markup.scanned_of(doc) is markup._KNOWN[doc.key]


def test_a_full_one_off_build_lets_go_of_the_bodies_it_holds_and_few_are_kept(tmp_path, monkeypatch):
    """A cold or full build holds every story's and page's body (read to check or to stage them):
    it lets go of those it can read again, before the editions' processes are forked and once they
    are staged, and reads again those it stages. Few held (an edit's build: one edition's) are
    kept, as are all of them in `lantoa serve`."""
    from conftest import make_project
    from lantoa.site import builder

    root = make_project(tmp_path / "p")
    lets: list[int] = []
    real = builder._let_go

    def counting(project):
        real(project)
        lets.append(sum("body" in v.doc.__dict__ for e in project.entries() for v in e.variants()))

    monkeypatch.setattr(builder, "_let_go", counting)
    checked = collect(root)
    docs = [v.doc for e in checked.project.entries() for v in e.variants()]
    assert all("body" in d.__dict__ for d in docs)  # read to be checked
    builder.build_site(checked)
    assert lets == [0, 0]  # before the fork (a cold build's, after the media) and after the staging
    assert all(d.body == frontmatter.read(d.path).body for d in docs)  # read again when asked for
    few = docs[:1]
    for d in docs[1:]:
        d.let_go_of_body()
    real(checked.project)
    assert [d for d in docs if "body" in d.__dict__] == few
    memo.keep_between_runs()
    try:
        for d in docs:
            assert d.body
        real(checked.project)
        assert all("body" in d.__dict__ for d in docs)
    finally:
        memo.keep_between_runs(False)
