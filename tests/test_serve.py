"""``lantoa serve``: loopback only, serves the build, rebuilds on an edit, keeps the last good build."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

from conftest import make_project


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str, timeout: float = 10) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read().decode("utf-8")


def wait_for(predicate, timeout=90.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            value = predicate()
            if value:
                return value
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("timed out")


def start_serve(root, port: int, *options: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lantoa.cli", "-C", str(root), "serve", "--port", str(port),
                             *options], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_serve_rebuilds_on_edit_and_survives_errors(tmp_path):
    """Edits are seen as they are saved: with the poll an hour apart, only the file system's
    reports can start these rebuilds. A browser's held request for the build number is answered
    when the rebuild is done."""
    root = make_project(tmp_path / "site", langs=("vi", "en"))
    port = free_port()
    proc = start_serve(root, port, "--poll", "3600")
    base = f"http://127.0.0.1:{port}"
    try:
        html = wait_for(lambda: get(f"{base}/en/stories/vinh-ha-long/"))
        assert "<h1>Ha Long Bay</h1>" in html and '<script src="/__lantoa__/reload.js"></script>' in html
        assert "/__lantoa__/build" in get(f"{base}/__lantoa__/reload.js")  # a file: the page's CSP allows it
        first = get(f"{base}/__lantoa__/build")
        assert get(f"{base}/__lantoa__/build?after=not-{first}") == first  # another number: answered at once
        held: list[str] = []
        waiting = threading.Thread(target=lambda: held.append(get(f"{base}/__lantoa__/build?after={first}", 120)))
        waiting.start()
        time.sleep(1.5)
        assert waiting.is_alive() and not held  # held: no build since
        story = root / "content" / "stories" / "vinh-ha-long" / "index.en.md"
        story.write_text(story.read_text("utf-8").replace("title: Ha Long Bay", "title: Hạ Long Bay"), "utf-8")
        waiting.join(100)
        assert held and held[0] != first
        assert get(f"{base}/__lantoa__/build") == held[0]
        assert "<h1>Hạ Long Bay</h1>" in get(f"{base}/en/stories/vinh-ha-long/")
        # an edit with an error keeps the last good preview
        second = get(f"{base}/__lantoa__/build")
        story.write_text(story.read_text("utf-8").replace("title: Hạ Long Bay", "title: [broken"), "utf-8")
        time.sleep(4)
        assert get(f"{base}/__lantoa__/build") == second
        assert "<h1>Hạ Long Bay</h1>" in get(f"{base}/en/stories/vinh-ha-long/")
    finally:
        proc.terminate()
        out, _ = proc.communicate(timeout=20)
    assert "yaml-syntax" in out and "preview not updated" in out
    assert "Traceback" not in out
    assert f"serving http://127.0.0.1:{port}/" in out
    assert "rebuilding on edits: as they are saved, and checking every 3600 s" in out


def test_the_watched_files_stamp_sees_every_kind_of_edit(tmp_path):
    """What serve polls every second: an edit in place of the same size (1 ns later), a new file,
    a deleted one and an edit of mkdocs.yml each change it; nothing else does."""
    from lantoa.commands.serve import snapshot

    root = make_project(tmp_path)
    story = next((root / "content").rglob("index.md"))
    before = snapshot(root)
    assert snapshot(root) == before and set(before) == {"content", "locales", "theme", "mkdocs.yml"}
    st = story.stat()
    os.utime(story, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    touched = snapshot(root)
    assert touched != before
    extra = root / "content" / "notes.txt"
    extra.write_text("x", "utf-8")
    added = snapshot(root)
    assert added != touched
    extra.unlink()
    assert snapshot(root) == touched
    (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text("utf-8") + "\n", "utf-8")
    assert snapshot(root) != touched


def test_the_watcher_wakes_for_edits_of_the_sources_and_for_nothing_else(tmp_path):
    """The preview's loop is woken by an edit under content/, locales/ or theme/ or of mkdocs.yml
    as it is saved; not by the build's own output, the cache, or files being read."""
    from lantoa.commands.serve import Watcher

    root = make_project(tmp_path)
    watcher = Watcher(root)
    assert watcher.observer is not None  # Linux: inotify
    from watchdog.observers.inotify_c import InotifyConstants as IN

    masks = [e.get_event_mask_from_filter() for e in watcher.observer.emitters]
    # the system is not even asked to report reads (thousands in a rebuild, each taking the lock)
    assert len(masks) == 4 and not any(m & (IN.IN_OPEN | IN.IN_CLOSE_NOWRITE | IN.IN_ACCESS) for m in masks)
    try:
        story = next((root / "content").rglob("index.md"))
        (root / "build" / "preview").mkdir(parents=True)
        (root / "build" / "preview" / "index.html").write_text("x", "utf-8")
        (root / ".cache").mkdir(exist_ok=True)
        (root / ".cache" / "digests.json").write_text("{}", "utf-8")
        story.read_text("utf-8")
        assert not watcher.wait(1.5)
        for edit in (lambda: story.write_text(story.read_text("utf-8") + "\n", "utf-8"),
                     lambda: (root / "locales" / "en.yml").touch(),
                     lambda: (root / "content" / "stories" / "new-one").mkdir(),
                     lambda: (root / "mkdocs.yml").write_text((root / "mkdocs.yml").read_text("utf-8") + "\n", "utf-8")):
            edit()
            assert watcher.wait(30)
            assert not watcher.wait(0.3)  # one wake for one save
    finally:
        watcher.stop()


def _until(predicate, seconds: float = 30) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "not reported in time"
        time.sleep(0.005)


def test_a_save_is_over_once_every_file_written_to_is_closed(tmp_path):
    """After a report, the loop waits for 0.1 s without another while a file written to is still
    open (an editor may write it in several steps), and for 0.02 s once every such file was closed
    or renamed into place (the other files of one "save all")."""
    from lantoa.commands.serve import Watcher

    root = make_project(tmp_path)
    story = next((root / "content").rglob("index.md"))
    watcher = Watcher(root)
    try:
        assert watcher.quiet_for() == Watcher.SETTLE
        with open(story, "a", encoding="utf-8") as f:
            f.write("\nOne more line.\n")
            f.flush()
            _until(lambda: watcher.writing)
            assert watcher.writing == {str(story)} and watcher.quiet_for() == Watcher.QUIET
        _until(lambda: not watcher.writing)  # its close reported
        assert watcher.quiet_for() == Watcher.SETTLE and watcher.wait(30)
        swap = story.with_name(".index.md.swp")  # an editor's atomic save: a new file renamed over it
        swap.write_text(story.read_text("utf-8") + "\nAnd another.\n", "utf-8")
        os.replace(swap, story)
        assert watcher.wait(30) and watcher.quiet_for() == Watcher.SETTLE
        with open(story, "a", encoding="utf-8") as f:  # a file left open: not waited for again
            f.write("\nStill writing.\n")
            f.flush()
            _until(lambda: watcher.writing)
            assert watcher.wait(30) and watcher.quiet_for() == Watcher.SETTLE
    finally:
        watcher.stop()


def test_where_closes_are_not_told_a_save_ends_with_the_quiet_alone(tmp_path, monkeypatch):
    import watchdog.observers
    from watchdog.observers.polling import PollingObserver

    from lantoa.commands.serve import Watcher

    monkeypatch.setattr(watchdog.observers, "Observer", PollingObserver)
    root = make_project(tmp_path)
    watcher = Watcher(root)
    try:
        assert watcher.observer is not None and watcher.writing is None
        story = next((root / "content").rglob("index.md"))
        story.write_text(story.read_text("utf-8") + "\n", "utf-8")
        assert watcher.wait(30) and watcher.quiet_for() == Watcher.QUIET
    finally:
        watcher.stop()


def test_a_watched_folder_made_after_the_start_is_watched_once_the_loop_sees_it(tmp_path):
    import shutil

    from lantoa.commands.serve import Watcher

    root = make_project(tmp_path)
    shutil.rmtree(root / "theme", ignore_errors=True)
    watcher = Watcher(root)
    try:
        assert not watcher.stale()
        (root / "theme").mkdir()
        assert watcher.wait(30) and watcher.stale()  # its making is reported (the project's root is watched)
    finally:
        watcher.stop()
    watcher = Watcher(root)  # what the loop does when stale() says so
    try:
        assert not watcher.stale()
        (root / "theme" / "main.html").write_text("{% extends 'base.html' %}", "utf-8")
        assert watcher.wait(30)
    finally:
        watcher.stop()


def test_without_file_events_the_loop_falls_back_to_its_poll(tmp_path, monkeypatch):
    """No inotify instance or watch left (or no watchdog): the watcher says so, and waiting is the
    poll's sleep, after which the loop checks the stamp as before."""
    import watchdog.observers

    from lantoa.commands.serve import Watcher

    class NoWatches:
        def __init__(self):
            self.daemon = False

        def schedule(self, *args, **kwargs):
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchdog.observers, "Observer", NoWatches)
    root = make_project(tmp_path)
    watcher = Watcher(root)
    assert watcher.observer is None and not watcher.stale()
    story = next((root / "content").rglob("index.md"))
    story.write_text(story.read_text("utf-8") + "\n", "utf-8")
    start = time.monotonic()
    assert not watcher.wait(0.3)  # nothing reported: the poll's time passes
    assert time.monotonic() - start >= 0.3
    watcher.stop()


#: what the preview process imports once, so that each rebuild's forked workers do not
WORKER_PACKAGES = ("mkdocs", "material", "mkdocs_static_i18n", "jinja2", "markdown", "pathspec", "babel")

WARM_CHECK = r"""
import json, sys
from pathlib import Path
from types import SimpleNamespace
from lantoa.commands.serve import Preview
from lantoa.site import builder
root = Path(sys.argv[1])
preview = Preview(SimpleNamespace(root=root, echo=lambda m: None), [])
seen = {}
real_build = builder._build_language
def watched(*args, **kwargs):  # in the worker: what it has to import itself
    before = set(sys.modules)
    err = real_build(*args, **kwargs)
    return err or json.dumps(sorted(set(sys.modules) - before))
builder._build_language = watched
calls = []
real_warm = builder.warm_workers
builder.warm_workers = lambda root: calls.append(root) or real_warm(root)
assert preview.rebuild() is False  # every edition's worker reports its imports as an "error"
assert preview.rebuild() is False
from lantoa.content import memo
assert len(calls) == 1 and memo._KEEP[0], calls  # once, and the sources' memo is kept in memory
"""


def test_the_preview_imports_the_workers_modules_once_so_each_rebuild_s_workers_start_warm(tmp_path):
    root = make_project(tmp_path / "site", langs=("vi", "en"))
    out = subprocess.run([sys.executable, "-c", WARM_CHECK, str(root)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    reports = [json.loads(line) for line in out.stderr.splitlines() if line.startswith("  [")]
    assert len(reports) == 4, out.stderr[-3000:]  # one for each edition, in each of the two rebuilds
    imported = [m for report in reports for m in report]
    assert "lantoa.site.plugin" not in imported
    assert not [m for m in imported if m.split(".")[0] in WORKER_PACKAGES], imported


def test_a_rebuild_empties_the_trash_it_leaves_while_the_editor_reads(tmp_path):
    """What a rebuild puts in the trash (the previous preview, its scratch folders) is deleted as
    soon as it is done, not by the next rebuild, beside which its `rm` took the second core."""
    from types import SimpleNamespace

    from lantoa.commands.serve import Preview
    from lantoa.site.builder import TRASH

    root = make_project(tmp_path / "site", langs=("vi", "en"))
    preview = Preview(SimpleNamespace(root=root, echo=lambda m: None), [])
    preview.warm = True  # the workers import what they need (a test process forks them)
    assert preview.rebuild() is True
    story = root / "content" / "stories" / "vinh-ha-long" / "index.en.md"
    story.write_text(story.read_text("utf-8") + "\nOne more line.\n", "utf-8")
    assert preview.rebuild() is True
    trash = root / "build" / TRASH
    assert preview.sweeper is not None  # deleting the first preview and the second's scratch
    preview.sweeper.join()
    assert not trash.exists() or not list(trash.iterdir())
    assert (root / "build" / "preview" / "en" / "index.html").is_file()
    # the first preview is kept: its files are being deleted already, its folders are the next one's
    from lantoa.site import skeleton

    spare = skeleton._BEGUN[str(preview.out)].spare  # (renamed: this process's own)
    first = spare.stat().st_ino
    assert skeleton._BEGUN[str(preview.out)].result()
    left = skeleton._BEGUN[str(preview.out)].left  # its media files, left for the next preview's
    assert spare.is_dir() and left and all(rel.startswith(f"{skeleton.LEFT}/") for rel in left)
    assert sorted(os.path.relpath(os.path.join(d, n), spare) for d, _, ns in os.walk(spare) for n in ns) == sorted(left)
    story.write_text(story.read_text("utf-8") + "\nAnd one more.\n", "utf-8")
    assert preview.rebuild() is True
    assert preview.out.stat().st_ino == first and (preview.out / "en" / "index.html").is_file()


def test_an_open_page_reloads_itself_after_an_edit(tmp_path):
    """What an editor sees: the story open in Chromium shows the new title after the file is saved,
    without touching the browser (the page's script, allowed by its Content-Security-Policy)."""
    pytest.importorskip("playwright")
    from browser_util import CHROMIUM, chromium

    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (scripts/setup installs it)")
    root = make_project(tmp_path / "site", langs=("vi", "en"))
    port = free_port()
    proc = start_serve(root, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: get(f"{base}/en/stories/vinh-ha-long/"))
        with chromium() as browser:
            ctx = browser.new_context(service_workers="block")
            ctx.route(lambda url: not url.startswith(base + "/"), lambda route: route.abort("blockedbyclient"))
            page = ctx.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(f"{base}/en/stories/vinh-ha-long/")
            assert page.inner_text("h1") == "Ha Long Bay"
            page.wait_for_timeout(500)  # the script has asked for the build number and waits for the next
            story = root / "content" / "stories" / "vinh-ha-long" / "index.en.md"
            story.write_text(story.read_text("utf-8").replace("title: Ha Long Bay", "title: Hạ Long Bay"), "utf-8")
            # a locator, not a script: the page's policy allows no eval (Playwright's wait_for_function)
            page.locator("h1", has_text="Hạ Long Bay").wait_for(timeout=90_000)
            assert not [e for e in errors if "Content Security Policy" in e or "CSP" in e], errors
            ctx.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
