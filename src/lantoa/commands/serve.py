"""``lantoa serve``: build into build/preview, serve it on 127.0.0.1, rebuild on edits.

The preview server is Python's http.server (loopback only); while serving, each
HTML response carries a small script that asks for the build number every
second and reloads the page when a rebuild finished. A build with errors
prints the diagnostics and keeps serving the last good build.
"""

from __future__ import annotations

import functools
import http.server
import logging
import threading
import time
from pathlib import Path

import click

from ..errors import LantoaError

log = logging.getLogger(__name__)
WATCHED = ("content", "locales", "theme", "mkdocs.yml")
RELOAD_PATH = "/__lantoa__/build"
RELOAD_JS_PATH = "/__lantoa__/reload.js"
RELOAD_JS = (
    "(function(){var b=null;setInterval(function(){fetch('" + RELOAD_PATH + "',{cache:'no-store'})"
    ".then(function(r){return r.text()}).then(function(t){if(b===null){b=t}else if(t!==b){location.reload()}})"
    ".catch(function(){})},1000)})();"
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
        self.lock = threading.Lock()
        self.warm = False

    def rebuild(self) -> bool:
        from .check import collect

        if not self.warm:  # once: every rebuild's workers are forked from this process
            from ..content import memo
            from ..site.builder import warm_workers

            warm_workers(self.ctx.root)
            memo.keep_between_runs()  # and every rebuild reads the sources in it
            self.warm = True
        checked = collect(self.ctx.root)
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
        with self.lock:
            self.build_id += 1
        self.ctx.echo(result.summary())
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
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Cache-Control", "no-store")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            if self.path == RELOAD_PATH:
                return self._send(str(preview.build_id).encode(), "text/plain")
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


def run(ctx, langs: list[str], port: int, reload: bool) -> None:
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
    try:
        state = snapshot(ctx.root)
        while True:
            time.sleep(1.0)
            if not reload:
                continue
            now = snapshot(ctx.root)
            if now != state:
                state = now
                ctx.echo("change detected, rebuilding…")
                preview.rebuild()
    except KeyboardInterrupt:
        ctx.echo("stopped")
    finally:
        server.shutdown()
