"""``lantoa serve``: build into build/preview, serve it on 127.0.0.1, rebuild on edits.

The preview server is Python's http.server (loopback only). Edits are seen as they are saved:
the operating system reports them (watchdog: inotify on Linux, FSEvents on macOS), and a poll of
the watched files' stamp every ``--poll`` seconds catches what it does not report (a network
drive, a folder made after the start). Each HTML response carries a small script that asks for
the build number and waits for the next one (the request is held until a rebuild finishes), then
reloads the page: from a save to the reloaded page there is the rebuild and little else, where a
one-second poll at each end added a second on average. A build with errors prints the
diagnostics and keeps serving the last good build.
"""

from __future__ import annotations

import functools
import gc
import http.server
import logging
import os
import threading
import time
import urllib.parse
from pathlib import Path

import click

from ..errors import LantoaError

log = logging.getLogger(__name__)
WATCHED = ("content", "locales", "theme", "mkdocs.yml")
RELOAD_PATH = "/__lantoa__/build"
RELOAD_JS_PATH = "/__lantoa__/reload.js"
#: a request for the build number with ``?after=N`` is held until the build is no longer N, at most
#: this many seconds (then answered with N, and asked again)
HOLD_SECONDS = 25.0
#: the page's script: asks for the build number, then asks again with ``?after=`` (held until the
#: next build) and reloads when the number changes. Only a visible tab keeps a request open: a
#: browser opens at most six connections to one host over HTTP/1.1, and a request held by each of
#: several preview tabs would leave none for a page's own files; a tab that shows again asks at once.
RELOAD_JS = (
    "(function(){var b=null,c=null;"
    "function ask(){if(c||document.hidden)return;var k=new AbortController();c=k;"
    "fetch('" + RELOAD_PATH + "'+(b===null?'':'?after='+encodeURIComponent(b)),{cache:'no-store',signal:k.signal})"
    ".then(function(r){return r.text()})"
    ".then(function(t){if(c!==k)return;c=null;if(b!==null&&t!==b){location.reload();return}b=t;ask()})"
    ".catch(function(){if(c!==k)return;c=null;setTimeout(ask,1000)})}"
    "document.addEventListener('visibilitychange',function(){if(document.hidden){if(c){c.abort();c=null}}"
    "else{ask()}});ask()})();"
)
#: a script file, not inline: the pages' Content-Security-Policy (lantoa.site.csp) allows 'self' scripts only
RELOAD_SCRIPT = f'<script src="{RELOAD_JS_PATH}"></script>'


def snapshot(root: Path) -> dict[str, str | None]:
    """A stamp of each watched folder (the paths, sizes and modification times of its files) and
    of mkdocs.yml: a change in any means a rebuild. Polled every second while serving, so each
    folder's stamp comes from one GNU find where there is one (``tree_stamp``): at 400 stories x 12
    languages 0.025 s a poll, where a ``stat`` of each of the 5,000 files from Python took 0.07 s."""
    from ..site.incremental import tree_stamp

    state: dict[str, str | None] = {}
    for name in WATCHED:
        base = root / name
        if base.is_dir():
            state[name] = tree_stamp(base)
            continue
        try:
            st = base.stat()
        except OSError:
            state[name] = None
        else:
            state[name] = f"{st.st_size}:{st.st_mtime_ns}"
    return state


class Preview:
    def __init__(self, ctx, langs: list[str]):
        self.ctx, self.langs = ctx, langs
        self.out = ctx.root / "build" / "preview"
        self.build_id = 0
        self.lock = threading.Condition()
        self.warm = False
        self.sweeper = None

    def announce(self) -> None:
        """A rebuild is done: the next build number, given at once to the browsers waiting for it."""
        with self.lock:
            self.build_id += 1
            self.lock.notify_all()

    def wait_past(self, seen: str, timeout: float = HOLD_SECONDS) -> str:
        """The build number once it is no longer ``seen`` (a browser's long poll), or after
        ``timeout`` seconds, as it is then."""
        with self.lock:
            self.lock.wait_for(lambda: str(self.build_id) != seen, timeout=timeout)
            return str(self.build_id)

    def rebuild(self) -> bool:
        from ..buildlock import one_build_at_a_time
        from ..site.incremental import stamps_begun

        # a `lantoa build` of the project may be running; the kept editions' stamps begin beside the check
        with one_build_at_a_time(self.ctx.root), stamps_begun(self.ctx.root / ".cache" / "lantoa"):
            return self._rebuild()

    def _rebuild(self) -> bool:
        from .check import collect

        if not self.warm:  # once: every rebuild's workers are forked from this process
            from ..content import memo
            from ..site.builder import warm_workers

            warm_workers(self.ctx.root)
            memo.keep_between_runs()  # and every rebuild reads the sources in it
            self.warm = True
        if self.sweeper is not None:
            self.sweeper.join()  # the last build's trash: long gone unless the edits come fast
            self.sweeper = None
        checked = None
        try:
            checked = collect(self.ctx.root)
        finally:
            if checked is None or checked.report.failed():
                # the check froze what it made (lantoa.gcpause) and no build will thaw it: thawed
                # here, the collector gets back what an editor's saves of a story in error leave
                gc.unfreeze()
        if checked.report.items:
            click.echo(checked.report.render_text(), err=True)
        if checked.report.failed():
            click.echo("preview not updated: fix the errors above", err=True)
            return False
        from ..site.builder import build_site

        try:
            result = build_site(checked, langs=self.langs or None, out=self.out)
        except LantoaError as exc:
            click.echo(f"error: {exc.format_message()}", err=True)
            return False
        self.announce()
        self.ctx.echo(result.summary())
        # What this build left in the trash (the previous preview, the build's scratch folders and
        # the kept editions it replaced: some 20,000 files at 400 x 12) is deleted now, while the
        # editor reads the preview, not by the next build, where its `rm` took the second core
        # from the edited edition's worker.
        from ..site import skeleton
        from ..site.builder import sweep

        self.sweeper = sweep(self.out.parent, self.ctx.root / ".cache" / "lantoa")
        skeleton.begin(self.out)  # the last preview's files deleted now too: its folders are the next one's
        return True


def make_handler(preview: Preview):
    class Handler(http.server.SimpleHTTPRequestHandler):
        # a pinned table: the host's mimetypes may not know .woff2 or .webp
        extensions_map = {
            **http.server.SimpleHTTPRequestHandler.extensions_map,
            ".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
            ".js": "text/javascript; charset=utf-8", ".json": "application/json", ".xml": "application/xml",
            ".svg": "image/svg+xml", ".woff2": "font/woff2", ".webp": "image/webp", ".avif": "image/avif",
            ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".txt": "text/plain; charset=utf-8",
            ".gz": "application/gzip",
        }

        def log_message(self, fmt, *args):  # quiet unless -v
            log.info("%s " + fmt, self.address_string(), *args)

        def _send(self, body: bytes, content_type: str) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Cache-Control", "no-store")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # the tab closed or hid while it waited
                self.close_connection = True

        def do_GET(self):
            if self.path == RELOAD_PATH:
                return self._send(str(preview.build_id).encode(), "text/plain")
            if self.path.startswith(RELOAD_PATH + "?after="):
                seen = urllib.parse.unquote(self.path.partition("=")[2])
                return self._send(preview.wait_past(seen).encode(), "text/plain")
            if self.path == RELOAD_JS_PATH:
                return self._send(RELOAD_JS.encode(), "text/javascript; charset=utf-8")
            url_path = self.path.split("?", 1)[0]
            path = Path(self.translate_path(self.path))
            if path.is_dir():
                if not url_path.endswith("/"):
                    return super().do_GET()  # http.server redirects to the trailing slash
                path = path / "index.html"
            if path.suffix == ".html" and path.is_file():
                data = path.read_bytes().replace(b"</body>", RELOAD_SCRIPT.encode() + b"</body>", 1)
                return self._send(data, "text/html; charset=utf-8")
            return super().do_GET()

    return Handler


class Watcher:
    """Wakes the preview's loop as soon as the operating system reports a change under the watched
    folders or to mkdocs.yml (watchdog; the system is asked for changes only, not for reads like
    the build's own); without it, or where it cannot watch, the loop polls alone. The stamp
    (:func:`snapshot`) still decides whether anything changed: an event only says when to look."""

    #: watchdog's kinds of event that can change a file's stamp (not "opened" or "closed_no_write";
    #: "attrib" is a new modification time, as ``touch`` sets)
    CHANGES = frozenset({"created", "deleted", "modified", "moved", "closed", "attrib"})

    #: after a report, how long without another before the saving is taken as over: while a file
    #: written to is still open (an editor may write it in several steps), and when the system
    #: tells no closes (FSEvents, polling)
    QUIET = 0.1
    #: the same once every file written to was closed, or renamed into place: what is left to wait
    #: for is the other files of one "save all", saved a few milliseconds apart
    SETTLE = 0.02

    def __init__(self, root: Path):
        self.root = root
        self.changed = threading.Event()
        #: files reported written to (or made) and not yet closed or renamed into place (a file moved
        #: in from elsewhere is reported made and never closed: its save ends with the quiet, as
        #: before); None: the system tells no closes here
        self.writing: set[str] | None = set()
        self.lock = threading.Lock()
        self.observer = None
        self.folders = {name for name in WATCHED if (root / name).is_dir()}  # those watched
        try:
            from watchdog import events
            from watchdog.events import FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:
            return
        # Only events of changes: asked of the system this way (inotify's mask), the reads of a
        # rebuild are not reported at all. Reported and filtered here, the thousands of opens of
        # a build took the interpreter's lock from it: a 100 x 12 rebuild took 1.4 s, not 0.95.
        kinds = [getattr(events, name) for name in (
            "FileCreatedEvent", "DirCreatedEvent", "FileDeletedEvent", "DirDeletedEvent", "FileModifiedEvent",
            "DirModifiedEvent", "FileMovedEvent", "DirMovedEvent", "FileClosedEvent", "FileAttribEvent",
            "DirAttribEvent") if hasattr(events, name)]
        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in Watcher.CHANGES and watcher.watched(event):
                    watcher.saw(event)

        observer = Observer()
        observer.daemon = True
        if not (hasattr(events, "FileClosedEvent") and type(observer).__name__ == "InotifyObserver"):
            self.writing = None  # no closes told (FSEvents, kqueue, polling): the quiet alone ends a save
        try:
            for name in sorted(self.folders):
                observer.schedule(Handler(), str(root / name), recursive=True, event_filter=kinds)
            # mkdocs.yml; a watched folder made later
            observer.schedule(Handler(), str(root), recursive=False, event_filter=kinds)
            observer.start()
        except (OSError, RuntimeError) as exc:  # no inotify instance or watch left, say
            log.info("not watching for file events (%s): polling only", exc)
            return
        self.observer = observer

    def saw(self, event) -> None:
        """A change reported (by the observer's thread)."""
        with self.lock:
            if self.writing is not None and not event.is_directory:
                path = os.fsdecode(event.src_path)
                if event.event_type in ("modified", "created"):
                    self.writing.add(path)
                elif event.event_type in ("closed", "deleted", "moved"):
                    self.writing.discard(path)
        self.changed.set()

    def quiet_for(self) -> float:
        """How long without a report ends the saving, as things stand: :data:`SETTLE` when every
        file written to was closed, else :data:`QUIET`."""
        with self.lock:
            return self.SETTLE if self.writing is not None and not self.writing else self.QUIET

    def stale(self) -> bool:
        """A watched folder was made (or removed) since the watches were set: watch again."""
        return self.observer is not None and {n for n in WATCHED if (self.root / n).is_dir()} != self.folders

    def watched(self, event) -> bool:
        for path in (event.src_path, getattr(event, "dest_path", "") or ""):
            rel = os.path.relpath(os.fsdecode(path), self.root) if path else ".."
            if rel.split(os.sep, 1)[0] in WATCHED:
                return True
        return False

    def wait(self, seconds: float) -> bool:
        """Until a change is reported or ``seconds`` pass; then, after a report, until the saving is
        over: no report for :meth:`quiet_for` (0.1 s while a file written to is open: an editor may
        write it in several steps; 0.02 s once every one was closed), at most 1 s more. True when a
        change was reported."""
        if not self.changed.wait(seconds):
            return False
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            self.changed.clear()
            if not self.changed.wait(self.quiet_for()):
                break
        self.changed.clear()
        with self.lock:
            if self.writing is not None:
                self.writing.clear()  # a file left open (a log being appended to, say) is not waited for again
        return True

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()


def run(ctx, langs: list[str], port: int, reload: bool, poll: float = 1.0) -> None:
    preview = Preview(ctx, langs)
    if not preview.rebuild() and not (preview.out / "index.html").exists():
        raise LantoaError("nothing to serve yet: fix the errors above and run lantoa serve again")
    handler = functools.partial(make_handler(preview), directory=str(preview.out))
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise LantoaError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror} — try --port 8001")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    ctx.echo(f"serving http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)")
    watcher = Watcher(ctx.root) if reload else None
    if watcher is not None:
        ctx.echo("rebuilding on edits: " + ("as they are saved, and " if watcher.observer else "")
                 + f"checking every {poll:g} s")
    try:
        state = snapshot(ctx.root)
        while True:
            if watcher is None:
                time.sleep(3600)
                continue
            watcher.wait(poll)
            if watcher.stale():  # theme/ made after the start, say: its edits are reported too
                watcher.stop()
                watcher = Watcher(ctx.root)
            now = snapshot(ctx.root)
            if now != state:
                state = now
                ctx.echo("change detected, rebuilding…")
                preview.rebuild()
    except KeyboardInterrupt:
        ctx.echo("stopped")
    finally:
        if watcher is not None:
            watcher.stop()
        server.shutdown()
