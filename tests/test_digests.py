"""lantoa.digests: a file's sha256 is remembered by its size, times and inode, never trusted when
the file may have changed since."""

from __future__ import annotations

import builtins
import hashlib
import json
import os

import pytest

from lantoa import digests


@pytest.fixture
def fresh(monkeypatch):
    """An empty memo, as in a new process; restored after the test."""
    monkeypatch.setattr(digests, "_MEMO", {})
    monkeypatch.setattr(digests, "_SEEN", set())
    monkeypatch.setattr(digests, "_STATE", {"path": None, "dirty": False})
    monkeypatch.setattr(digests, "_FACTS", {})
    monkeypatch.setattr(digests, "_FACTS_USED", set())
    monkeypatch.setattr(digests, "_FACTS_STATE", {"loaded": False, "dirty": False})
    return digests


@pytest.fixture
def reads(monkeypatch):
    """The files digests opens."""
    opened = []

    def counting_open(path, *a, **k):
        opened.append(str(path))
        return builtins.open(path, *a, **k)

    monkeypatch.setattr(digests, "open", counting_open, raising=False)
    return opened


def _new_process(cache):
    digests._MEMO.clear()
    digests._FACTS.clear()
    digests._STATE.update(path=None, dirty=False)
    digests.load(cache)


def test_digest_is_the_files_sha256_and_is_kept_between_runs(tmp_path, fresh, reads, monkeypatch):
    monkeypatch.setattr(digests, "RACY_NS", -1)  # as if the file had been written long ago
    photo = tmp_path / "hero.jpg"
    photo.write_bytes(os.urandom(3 << 20))
    cache = tmp_path / "cache"
    digests.load(cache)
    assert digests.sha256(photo) == hashlib.sha256(photo.read_bytes()).hexdigest()
    digests.save()
    _new_process(cache)
    reads.clear()
    assert digests.sha256(photo) == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert reads == []  # taken from .cache/lantoa/digests.json, the photo not read again


def test_a_rewrite_of_the_same_size_with_its_old_mtime_is_seen(tmp_path, fresh, reads, monkeypatch):
    monkeypatch.setattr(digests, "RACY_NS", -1)
    f = tmp_path / "a.jpg"
    f.write_bytes(b"a" * 1000)
    cache = tmp_path / "cache"
    digests.load(cache)
    before = digests.sha256(f)
    digests.save()
    st = f.stat()
    f.write_bytes(b"b" * 1000)
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))  # the change time cannot be set back
    _new_process(cache)
    assert digests.sha256(f) == hashlib.sha256(b"b" * 1000).hexdigest() != before


def test_a_file_written_just_now_is_not_remembered(tmp_path, fresh, reads):
    f = tmp_path / "a.md"
    f.write_text("x", "utf-8")
    digests.load(tmp_path / "cache")
    digests.sha256(f)
    digests.sha256(f)
    assert reads == [str(f), str(f)]  # racy: read each time
    digests.save()
    assert not (tmp_path / "cache" / digests.FILE).exists()


@pytest.mark.parametrize("damage", ["not json", '{"format": 1, "files": []}', '{"format": 99, "files": {}}'])
def test_a_broken_memo_is_ignored(tmp_path, fresh, reads, monkeypatch, damage):
    monkeypatch.setattr(digests, "RACY_NS", -1)
    f = tmp_path / "a.jpg"
    f.write_bytes(b"photo")
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / digests.FILE).write_text(damage, "utf-8")
    digests.load(cache)
    assert digests.sha256(f) == hashlib.sha256(b"photo").hexdigest()
    digests.save()
    kept = json.loads((cache / digests.FILE).read_text("utf-8"))
    assert kept["files"][str(f)][4] == hashlib.sha256(b"photo").hexdigest()


def test_files_not_read_in_a_run_are_dropped(tmp_path, fresh, monkeypatch):
    monkeypatch.setattr(digests, "RACY_NS", -1)
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    cache = tmp_path / "cache"
    digests.load(cache)
    digests.sha256(a)
    digests.sha256(b)
    digests.save()
    b.unlink()
    _new_process(cache)
    digests.sha256(a)
    digests.save()
    assert set(json.loads((cache / digests.FILE).read_text("utf-8"))["files"]) == {str(a)}


def test_a_fact_is_made_once_per_content_and_kept_between_runs(tmp_path, fresh, reads, monkeypatch):
    monkeypatch.setattr(digests, "RACY_NS", -1)
    photo = tmp_path / "hero.jpg"
    photo.write_bytes(b"one" * 1000)
    cache = tmp_path / "cache"
    made = []

    def size():
        made.append(photo.read_bytes())
        return len(made[-1])

    digests.load(cache)
    assert digests.fact(photo, "size v1", size) == 3000 and len(made) == 1
    assert digests.fact(photo, "size v1", size) == 3000 and len(made) == 1
    assert digests.fact(photo, "size v2", size) == 3000 and len(made) == 2  # another kind: its own
    digests.save()
    _new_process(cache)
    reads.clear()
    assert digests.fact(photo, "size v1", size) == 3000 and len(made) == 2
    assert [r for r in reads if not r.endswith(digests.FACTS_FILE)] == []  # neither hashed nor made again
    photo.write_bytes(b"two!" * 1000)
    assert digests.fact(photo, "size v1", size) == 4000 and len(made) == 3
    digests.save()
    _new_process(cache)
    assert digests.fact(photo, "size v1", size) == 4000 and len(made) == 3
    # the last run did not ask for v2: it was dropped from the file
    old, new = hashlib.sha256(b"one" * 1000).hexdigest(), hashlib.sha256(b"two!" * 1000).hexdigest()
    assert set(digests._FACTS) == {("size v1", old), ("size v1", new)}
    digests.save()
    _new_process(cache)
    assert digests.fact(photo, "size v1", size) == 4000 and len(made) == 3
    digests.save()
    _new_process(cache)
    digests._load_facts()
    assert set(digests._FACTS) == {("size v1", new)}


def test_a_fact_of_a_file_changed_while_it_was_made_is_not_kept(tmp_path, fresh, monkeypatch):
    monkeypatch.setattr(digests, "RACY_NS", -1)
    photo = tmp_path / "hero.jpg"
    photo.write_bytes(b"one" * 1000)

    def size_then_edit():
        n = len(photo.read_bytes())
        photo.write_bytes(b"edited" * 1000)
        return n

    digests.load(tmp_path / "cache")
    assert digests.fact(photo, "size", size_then_edit) == 3000
    assert digests._FACTS == {}
    assert digests.fact(photo, "size", lambda: len(photo.read_bytes())) == 6000


@pytest.mark.parametrize("damage", [b"", b"garbage", b"\x80\x05K\x01."])
def test_a_broken_facts_file_is_ignored(tmp_path, fresh, damage):
    photo = tmp_path / "hero.jpg"
    photo.write_bytes(b"x" * 100)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / digests.FACTS_FILE).write_bytes(damage)
    digests.load(cache)
    assert digests.fact(photo, "size", lambda: 100) == 100
    digests.save()
    _new_process(cache)
    assert digests.fact(photo, "size", lambda: -1) == 100  # written again, whole


@pytest.fixture
def versions_looked_up(monkeypatch):
    """The distributions importlib.metadata is asked the version of; the process's remembered
    renderer and subsetter versions are forgotten before and after."""
    from importlib import metadata

    from lantoa.i18n import fonts
    from lantoa.site import incremental

    asked: list[str] = []
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: asked.append(name) or real(name))
    incremental.renderer_versions.cache_clear()
    fonts._subsetter_version.cache_clear()
    yield asked
    incremental.renderer_versions.cache_clear()
    fonts._subsetter_version.cache_clear()


def test_the_renderers_versions_are_asked_once_until_a_distribution_is_installed(tmp_path, fresh, versions_looked_up,
                                                                              monkeypatch):
    """importlib.metadata is not asked again by a later run (13 ms of every build), until a
    distribution is installed or upgraded in a folder of sys.path: neither for the renderers nor
    for the font subsetter (part of every font face's cache key)."""
    from lantoa.i18n import fonts
    from lantoa.site import incremental

    monkeypatch.setattr(digests, "RACY_NS", -1)  # as if every folder had been written long ago
    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    cache = tmp_path / "cache"

    def run() -> str:
        incremental.renderer_versions.cache_clear()  # a new process
        fonts._subsetter_version.cache_clear()
        _new_process(cache)
        found = incremental.renderer_versions()
        assert fonts._subsetter_version()[0].isdigit()
        digests.save()
        return found

    first = run()
    assert "mkdocs-material=" in first and {"mkdocs-material", "uharfbuzz"} <= set(versions_looked_up)
    versions_looked_up.clear()
    assert run() == first and versions_looked_up == []
    # an upgrade of Material, installed before the one that was there on the path
    upgrade = folder / "mkdocs_material-99.0.dist-info"
    upgrade.mkdir()
    (upgrade / "METADATA").write_text("Metadata-Version: 2.1\nName: mkdocs-material\nVersion: 99.0\n", "utf-8")
    assert "mkdocs-material=99.0" in run() and "mkdocs-material" in versions_looked_up


def test_the_renderers_versions_are_asked_again_while_a_folder_of_the_path_is_changing(tmp_path, fresh,
                                                                                      versions_looked_up, monkeypatch):
    """A folder of sys.path changed in the last 2 s: its times may not show a change in the same
    tick of the clock, so nothing is remembered by them."""
    from lantoa.site import incremental

    folder = tmp_path / "site-packages"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    cache = tmp_path / "cache"
    for _ in range(2):
        incremental.renderer_versions.cache_clear()
        _new_process(cache)
        versions_looked_up.clear()
        assert "mkdocs-material=" in incremental.renderer_versions()
        assert "mkdocs-material" in versions_looked_up
        digests.save()
