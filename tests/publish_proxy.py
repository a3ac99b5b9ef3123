"""For the publish tests and scripts/bench_publish.py (no pytest here): a fault-injecting
loopback proxy in front of moto's S3 server, a crawler over the origin, and origin snapshots.

The proxy speaks plain HTTP/1.1 on 127.0.0.1 and forwards each request to the upstream server.
With a fault rate it answers some requests itself with 500/503 S3 errors, or drops the
connection before forwarding (the store never saw the request) or after forwarding (the store
did the work, the client never heard): a seeded random.Random decides, so a run is repeatable
up to thread scheduling.
"""

from __future__ import annotations

import http.client
import http.server
import posixpath
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

S3_ERRORS = [
    (500, "InternalError", "We encountered an internal error. Please try again."),
    (503, "SlowDown", "Please reduce your request rate."),
    (503, "ServiceUnavailable", "Service is unable to handle request."),
]
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "te", "upgrade", "expect"}


@dataclass
class ProxyStats:
    requests: int = 0
    faults: int = 0
    request_bytes: int = 0  # bodies sent by the client (uploads)
    by_kind: dict = field(default_factory=dict)
    log: list = field(default_factory=list)  # (method, path, fault or "") in arrival order


class FaultProxy:
    """http://127.0.0.1:<port> -> upstream, with faults on ``rate`` of the requests.

    ``fail_if(method, path) -> bool`` makes matching requests fail every time (a persistent outage);
    ``on_request(method, path)`` is called for every request before it is forwarded;
    ``delay`` seconds are waited before forwarding (to make a publish slow enough to kill)."""

    def __init__(self, upstream: tuple[str, int], rate: float = 0.0, seed: int = 1, delay: float = 0.0,
                 fail_if=None, on_request=None):
        self.upstream, self.rate, self.delay = upstream, rate, delay
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.stats = ProxyStats()
        self.fail_if, self.on_request = fail_if, on_request
        self.in_flight = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _any(self):
                proxy._handle(self)

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _any

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # dropped connections are the point

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _decide(self, method: str, path: str) -> str:
        with self.lock:
            self.stats.requests += 1
            if self.fail_if and self.fail_if(method, path):
                kind = "error"
            elif self.rng.random() < self.rate:
                kind = self.rng.choice(["error", "error", "drop-before", "drop-after"])
            else:
                kind = ""
            if kind:
                self.stats.faults += 1
                self.stats.by_kind[kind] = self.stats.by_kind.get(kind, 0) + 1
            self.stats.log.append((method, path, kind))
            return kind

    def _handle(self, h) -> None:
        with self.lock:
            self.in_flight += 1
        try:
            self._forward(h)
        finally:
            with self.lock:
                self.in_flight -= 1

    def quiet(self, timeout: float = 30.0) -> None:
        """Wait until no request is being handled (after the client was killed, say)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self.lock:
                if self.in_flight == 0:
                    return
            time.sleep(0.02)

    def _forward(self, h) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        with self.lock:
            self.stats.request_bytes += len(body)
        path = unquote(urlsplit(h.path).path)
        if self.on_request:
            self.on_request(h.command, path)
        kind = self._decide(h.command, path)
        if self.delay:
            time.sleep(self.delay)
        if kind == "error":
            status, code, message = self.rng.choice(S3_ERRORS)
            data = (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message>'
                    f"<RequestId>fault</RequestId></Error>").encode()
            h.send_response(status)
            h.send_header("Content-Type", "application/xml")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data)
            return
        if kind == "drop-before":
            return self._drop(h)
        conn = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_HEADERS}
            conn.request(h.command, h.path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        if kind == "drop-after":
            return self._drop(h)
        h.send_response(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_HEADERS and k.lower() != "content-length":
                h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)) if h.command != "HEAD" else
                      resp.getheader("Content-Length", "0"))
        h.end_headers()
        if h.command != "HEAD":
            h.wfile.write(data)

    @staticmethod
    def _drop(h) -> None:
        h.close_connection = True
        try:
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def puts(self, prefix: str = "") -> list[str]:
        """Keys PUT (uploads and copies) in arrival order, successful ones only."""
        return [p for m, p, k in self.stats.log if m == "PUT" and not k and p.startswith(prefix)]


# --------------------------------------------------------------------------
# the origin as a visitor's CDN would see it


def list_keys(s3, bucket: str, prefix: str = "") -> dict[str, str]:
    out = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            out[obj["Key"][len(prefix):]] = obj["ETag"].strip('"')
    return out


_REF = re.compile(r"""<(?:a|link|script|img|source|iframe|video|audio)\b[^>]*?\s(?:href|src|srcset)=(["'])(.*?)\1""",
                  re.I | re.S)
_SRCSET = re.compile(r"""\ssrcset=(["'])(.*?)\1""", re.I | re.S)
_CSS_URL = re.compile(r"""url\(\s*['"]?([^'")]+)['"]?\s*\)""")


def references(path: str, text: str) -> set[str]:
    """Site paths a page (or stylesheet) at ``path`` refers to, as object keys."""
    raw: list[str] = []
    if path.endswith(".css"):
        raw = _CSS_URL.findall(text)
    else:
        raw = [m.group(2) for m in _REF.finditer(text)]
        for m in _SRCSET.finditer(text):
            raw += [part.strip().split()[0] for part in m.group(2).split(",") if part.strip()]
    out = set()
    base = "/" + posixpath.dirname(path) + "/" if posixpath.dirname(path) else "/"
    for ref in raw:
        ref = ref.strip()
        if not ref or ref.startswith(("#", "data:", "mailto:", "tel:", "javascript:")) or re.match(r"^[a-z]+:|^//", ref):
            continue
        target = urlsplit(urljoin(base, ref)).path
        if target.endswith("/"):
            target += "index.html"
        out.add(unquote(target.lstrip("/")))
    return out


def broken_references(read, keys: set[str]) -> list[str]:
    """Every (page -> missing object) among the HTML and CSS objects; ``read(key) -> bytes``."""
    problems = []
    for key in sorted(keys):
        if not key.endswith((".html", ".css")):
            continue
        for target in sorted(references(key, read(key).decode("utf-8", errors="replace"))):
            if target not in keys:
                problems.append(f"{key} -> {target}")
    return problems


def local_broken(site: Path) -> set[str]:
    keys = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    return set(broken_references(lambda k: (site / k).read_bytes(), keys))


def crawl_origin(s3, bucket: str, prefix: str, ignore: set[str] = frozenset()) -> list[str]:
    """Pages at the origin that reference a missing object (besides ``ignore``: the site's own broken links)."""
    keys = {k for k in list_keys(s3, bucket, prefix) if not k.startswith("_lantoa/")}
    cache: dict[str, bytes] = {}

    def read(k):
        if k not in cache:
            cache[k] = s3.get_object(Bucket=bucket, Key=prefix + k)["Body"].read()
        return cache[k]

    return [p for p in broken_references(read, keys) if p not in ignore]


def site_files(site: Path) -> dict[str, bytes]:
    """Every file lantoa publish uploads: the site without its host configuration (_headers, _redirects)."""
    from lantoa.publish.headers import HOST_FILES

    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*"))
            if p.is_file() and p.relative_to(site).as_posix() not in HOST_FILES}


def origin_matches(s3, bucket: str, prefix: str, site: Path) -> list[str]:
    """Differences between the local build and the origin (bytes and headers of every local file)."""
    from lantoa.publish import headers

    problems = []
    keys = list_keys(s3, bucket, prefix)
    for path, data in site_files(site).items():
        if path not in keys:
            problems.append(f"missing at the origin: {path}")
            continue
        obj = s3.get_object(Bucket=bucket, Key=prefix + path)
        if obj["Body"].read() != data:
            problems.append(f"different bytes: {path}")
        want = headers.for_path(path)
        if (obj["ContentType"], obj.get("CacheControl")) != (want.content_type, want.cache_control):
            problems.append(f"headers of {path}: {obj['ContentType']!r}, {obj.get('CacheControl')!r}")
    return problems
