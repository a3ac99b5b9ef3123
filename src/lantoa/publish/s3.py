"""Publish a built site to an S3-compatible origin: incremental, ordered, resumable, reversible.

Layout under ``s3://bucket/prefix/``::

    <path>                        the site, as the CDN serves it
    _lantoa/current.json          the release the origin serves (written last: the commit point)
    _lantoa/releases/<v>.json     every release: version, time, previous, and each path's sha256,
                                  size, ETag and headers
    _lantoa/objects/<sha256>      content-addressed copies of objects a publish overwrote or
                                  deleted, so that any release can be restored

Why the archive: a release lists each path's sha256; the bytes of an old
release are either still at their path (unchanged since) or were copied to
``_lantoa/objects/<sha256>`` (a server-side copy, no upload) just before a
later publish overwrote or deleted them. A first publish and a no-change
publish archive nothing; an edit archives only the objects it replaces.
``lantoa publish --rollback V`` restores release V from there (server-side
copies) as a new release, so versions stay monotonic for mirrors and caches.

One publish, in order (each phase starts only when the one before succeeded
completely; a failure stops everything before the next phase):

0. archive the objects about to be overwritten or deleted;
1. content-hashed immutable files (assets, fonts, media variants);
2. other non-HTML files (CSS/JS without hashes, images, feeds, sitemaps, JSON);
3. HTML pages that are new, then HTML pages that changed, then the root page;
4. the CloudFront invalidation (optional), the release record, then
   ``_lantoa/current.json``;
5. deletes: objects that are in neither the new release nor any release that
   was current during the grace period (always at least the previous one, so
   HTML cached by a browser or the CDN still finds its assets) — HTML first.

What to upload is decided from the remote listing (ETags) and the current
release record, never from local state, so a rerun after a crash or a kill
uploads exactly what is still missing and then commits.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import random
import threading
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Callable
from urllib.parse import quote, urlsplit

from ..errors import LantoaError
from . import headers
from .release import (MULTIPART_THRESHOLD, PART_SIZE, SiteFile, check_types, new_version, parse_time, scan, utc_now,
                      version_key)

log = logging.getLogger(__name__)

META = "_lantoa/"
CURRENT = META + "current.json"
RELEASES = META + "releases/"
OBJECTS = META + "objects/"
FORMAT = "lantoa-release/1"

#: error codes an S3-compatible store uses for "try again later"
TRANSIENT_CODES = {
    "InternalError", "ServiceUnavailable", "SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
    "RequestLimitExceeded", "TooManyRequestsException", "BandwidthLimitExceeded", "OperationAborted",
    "RequestTimeoutException", "PriorRequestNotComplete",
}

PHASE_NAMES = {1: "immutable files", 2: "other files", 3: "new pages", 4: "changed pages", 5: "root page"}


class PublishError(LantoaError):
    pass


# --------------------------------------------------------------------------
# talking to the store


@dataclass
class RetryPolicy:
    attempts: int = 8  # in all, the first included (AWS_MAX_ATTEMPTS overrides it)
    base_delay: float = 0.2  # seconds; doubles each attempt, with jitter
    max_delay: float = 8.0


def _transient(exc: BaseException) -> bool:
    from botocore import exceptions as bx

    if isinstance(exc, (bx.HTTPClientError, bx.ConnectionError, bx.IncompleteReadError)):
        return True
    if isinstance(exc, bx.ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        code = exc.response.get("Error", {}).get("Code", "")
        return status >= 500 or status == 429 or code in TRANSIENT_CODES
    return False


def _describe(exc: BaseException) -> str:
    from botocore import exceptions as bx

    if isinstance(exc, bx.ClientError):
        err = exc.response.get("Error", {})
        return f"{err.get('Code', '?')}: {err.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


class Store:
    """One bucket + prefix, every call retried on transient errors with exponential backoff."""

    def __init__(self, url: str, endpoint_url: str | None = None, retry: RetryPolicy | None = None,
                 max_pool: int = 16):
        self.bucket, self.prefix = parse_s3_url(url)
        self.url = url
        self.retry = retry or RetryPolicy()
        self.requests = 0
        self._lock = threading.Lock()
        import boto3
        import botocore.session
        from botocore.config import Config

        core = botocore.session.get_session()
        attempts = core.get_config_variable("max_attempts")  # AWS_MAX_ATTEMPTS or max_attempts in ~/.aws/config
        if attempts and retry is None:
            self.retry = RetryPolicy(attempts=max(1, int(attempts)))

        config = Config(
            request_checksum_calculation="when_required",  # S3-compatible stores may reject CRC32 trailers
            response_checksum_validation="when_required",
            retries={"total_max_attempts": 1, "mode": "standard"},  # we retry ourselves (see call)
            connect_timeout=10, read_timeout=60, max_pool_connections=max_pool,
            s3={"addressing_style": "path"} if endpoint_url else None,
        )
        session = boto3.session.Session(botocore_session=core)
        self.client = session.client("s3", endpoint_url=endpoint_url, config=config,
                                     region_name=session.region_name or "us-east-1")
        self.session = session

    def key(self, path: str) -> str:
        return self.prefix + path

    def call(self, what: str, fn: Callable, *args, **kwargs):
        from botocore import exceptions as bx

        delay = self.retry.base_delay
        for attempt in range(1, self.retry.attempts + 1):
            with self._lock:
                self.requests += 1
            try:
                return fn(*args, **kwargs)
            except bx.NoCredentialsError:
                raise PublishError("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
                                   "AWS_PROFILE, or configure ~/.aws/credentials") from None
            except (bx.ClientError, bx.BotoCoreError) as exc:
                if not _transient(exc) or attempt == self.retry.attempts:
                    raise PublishError(f"{what}: {_describe(exc)}"
                                       + (f" (after {attempt} attempts)" if attempt > 1 else "")) from exc
                log.info("%s: %s — retrying (attempt %d of %d)", what, _describe(exc), attempt + 1,
                         self.retry.attempts)
                time.sleep(min(self.retry.max_delay, delay) * random.uniform(0.5, 1.0))
                delay *= 2

    # -- reads

    def listing(self, under: str = "") -> dict[str, tuple[str, int]]:
        """path (relative to the prefix) -> (ETag without quotes, size)."""
        out: dict[str, tuple[str, int]] = {}
        token = None
        while True:
            kw = {"Bucket": self.bucket, "Prefix": self.prefix + under}
            if token:
                kw["ContinuationToken"] = token
            page = self.call(f"listing {self.url}", self.client.list_objects_v2, **kw)
            for obj in page.get("Contents", []):
                out[obj["Key"][len(self.prefix):]] = (obj["ETag"].strip('"'), obj["Size"])
            if not page.get("IsTruncated"):
                return out
            token = page["NextContinuationToken"]

    def get_bytes(self, path: str) -> bytes | None:
        from botocore import exceptions as bx

        def get():
            try:
                return self.client.get_object(Bucket=self.bucket, Key=self.key(path))["Body"].read()
            except bx.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    return None
                raise

        return self.call(f"reading {path}", get)

    def get_json(self, path: str) -> dict | None:
        data = self.get_bytes(path)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            raise PublishError(f"{self.url}{path} is not valid JSON — was it edited by hand? Restore it from "
                               f"{RELEASES}<version>.json") from None

    def head_sha256(self, path: str) -> tuple[str, str] | None:
        """(ETag, sha256 from our metadata) of an object, or None."""
        from botocore import exceptions as bx

        def head():
            try:
                r = self.client.head_object(Bucket=self.bucket, Key=self.key(path))
            except bx.ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                    return None
                raise
            return r["ETag"].strip('"'), r.get("Metadata", {}).get("sha256", "")

        return self.call(f"reading {path}", head)

    # -- writes

    def put_bytes(self, path: str, data: bytes, content_type: str, cache_control: str, md5_hex: str | None = None,
                  sha256_hex: str | None = None) -> str:
        import hashlib

        from botocore import exceptions as bx

        md5 = bytes.fromhex(md5_hex) if md5_hex else hashlib.md5(data).digest()
        try:
            # Content-MD5 of the scanned bytes: the store refuses the upload if the file changed since
            r = self.call(f"uploading {path}", self.client.put_object, Bucket=self.bucket, Key=self.key(path),
                          Body=data, ContentType=content_type, CacheControl=cache_control,
                          ContentMD5=base64.b64encode(md5).decode(),
                          Metadata={"sha256": sha256_hex or hashlib.sha256(data).hexdigest()})
        except PublishError as exc:
            cause = exc.__cause__
            if isinstance(cause, bx.ClientError) and cause.response.get("Error", {}).get("Code") == "BadDigest":
                raise PublishError(f"{path} changed while publishing — rebuild, then publish again") from None
            raise
        return r["ETag"].strip('"')

    def put_file(self, f: SiteFile, content_type: str, cache_control: str) -> str:
        if not f.multipart:
            return self.put_bytes(f.path, f.abspath.read_bytes(), content_type, cache_control, f.etag, f.sha256)
        return self._put_multipart(f, content_type, cache_control)

    def _put_multipart(self, f: SiteFile, content_type: str, cache_control: str) -> str:
        import hashlib

        key = self.key(f.path)
        up = self.call(f"uploading {f.path}", self.client.create_multipart_upload, Bucket=self.bucket, Key=key,
                       ContentType=content_type, CacheControl=cache_control, Metadata={"sha256": f.sha256})
        parts = []
        try:
            with open(f.abspath, "rb") as fh:
                number = 1
                while chunk := fh.read(PART_SIZE):
                    r = self.call(f"uploading {f.path} part {number}", self.client.upload_part, Bucket=self.bucket,
                                  Key=key, UploadId=up["UploadId"], PartNumber=number, Body=chunk,
                                  ContentMD5=base64.b64encode(hashlib.md5(chunk).digest()).decode())
                    parts.append({"PartNumber": number, "ETag": r["ETag"]})
                    number += 1
            r = self.call(f"uploading {f.path}", self.client.complete_multipart_upload, Bucket=self.bucket, Key=key,
                          UploadId=up["UploadId"], MultipartUpload={"Parts": parts})
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=up["UploadId"])
            except Exception:  # noqa: BLE001 - best effort; the listing never shows an unfinished upload
                pass
            raise
        return r["ETag"].strip('"')

    def copy(self, src: str, dst: str, what: str, content_type: str | None = None, cache_control: str | None = None,
             sha256: str | None = None, if_match: str | None = None) -> str:
        kw = {"Bucket": self.bucket, "Key": self.key(dst), "CopySource": {"Bucket": self.bucket, "Key": self.key(src)}}
        if content_type:
            kw.update(MetadataDirective="REPLACE", ContentType=content_type, CacheControl=cache_control,
                      Metadata={"sha256": sha256 or ""})
        if if_match:
            kw["CopySourceIfMatch"] = f'"{if_match}"'
        r = self.call(what, self.client.copy_object, **kw)
        return r["CopyObjectResult"]["ETag"].strip('"')

    def delete(self, path: str) -> None:
        self.call(f"deleting {path}", self.client.delete_object, Bucket=self.bucket, Key=self.key(path))


def parse_s3_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
        raise PublishError(f"{url!r} is not an S3 location — write it as s3://bucket or s3://bucket/prefix")
    prefix = parts.path.strip("/")
    return parts.netloc, (prefix + "/") if prefix else ""


# --------------------------------------------------------------------------
# the plan


@dataclass
class Entry:
    """One path of a release."""
    sha256: str
    size: int
    etag: str  # the ETag the store holds for it (as uploaded or copied by us)
    content_type: str
    cache_control: str

    def to_json(self) -> dict:
        return {"sha256": self.sha256, "size": self.size, "etag": self.etag, "content_type": self.content_type,
                "cache_control": self.cache_control}

    @classmethod
    def from_json(cls, d: dict) -> "Entry":
        return cls(d["sha256"], int(d["size"]), d["etag"], d["content_type"], d["cache_control"])

    def same_object(self, other: "Entry") -> bool:
        return (self.sha256, self.content_type, self.cache_control) == (other.sha256, other.content_type,
                                                                        other.cache_control)


@dataclass
class Release:
    version: str
    created: str
    previous: str | None
    files: dict[str, Entry]
    rolled_back_from: str | None = None

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": self.version, "created": self.created, "previous": self.previous,
                "rolled_back_from": self.rolled_back_from,
                "files": {p: self.files[p].to_json() for p in sorted(self.files)}}

    @classmethod
    def from_json(cls, d: dict, where: str) -> "Release":
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise PublishError(f"{where}: not a lantoa release record (format {d.get('format') if isinstance(d, dict) else None!r})")
        return cls(d["version"], d["created"], d.get("previous"),
                   {p: Entry.from_json(e) for p, e in d["files"].items()}, d.get("rolled_back_from"))


@dataclass
class Upload:
    path: str
    entry: Entry
    phase: int
    local: SiteFile | None = None  # upload these bytes …
    source: str | None = None  # … or copy this object of the store (rollback)

    @property
    def size(self) -> int:
        return self.entry.size


@dataclass
class Plan:
    current: Release | None
    new: Release
    uploads: list[Upload]
    archives: list[tuple[str, str, str]]  # (path, etag, sha256): copy path -> _lantoa/objects/<sha256> first
    deletes: list[str]
    kept: set[str]  # paths kept by the grace period although not in the new release
    invalidations: list[str]
    skipped: int
    commit: bool  # False: the new release equals the current one (only repairs and deletes)

    @property
    def upload_bytes(self) -> int:
        return sum(u.size for u in self.uploads)


def phase_of(path: str, is_new: bool) -> int:
    if path == "index.html":
        return 5
    if path.endswith(".html"):
        return 3 if is_new else 4
    return 1 if headers.is_hashed(path) else 2


def url_paths(path: str) -> list[str]:
    """The URL paths a CDN may have cached for a file: /x/index.html is also /x/."""
    url = "/" + quote(path, safe="/-._~")
    if path == "index.html" or path.endswith("/index.html"):
        return [url[: -len("index.html")], url]
    return [url]


def _release_chain(store: Store, current: Release | None, grace: dt.timedelta, now: dt.datetime,
                   limit: int = 100) -> list[Release]:
    """The current release and every earlier one that was still current within the grace period."""
    chain: list[Release] = []
    if current is None:
        return chain
    chain.append(current)  # superseded now: always kept
    r = current
    while r.previous and len(chain) < limit:
        if now - parse_time(r.created) > grace:  # r.previous stopped being live when r was created
            break
        data = store.get_json(RELEASES + r.previous + ".json")
        if data is None:
            log.warning("release %s (previous of %s) is missing at the origin", r.previous, r.version)
            break
        r = Release.from_json(data, RELEASES + r.previous + ".json")
        chain.append(r)
    return chain


def _known_sha(path: str, etag: str, releases: list[Release]) -> str | None:
    for r in releases:
        e = r.files.get(path)
        if e and e.etag == etag:
            return e.sha256
    return None


def make_plan(store: Store, target: dict[str, Entry], sources: dict[str, SiteFile | str], *, grace_hours: float,
              rolled_back_from: str | None = None) -> Plan:
    """Compare the target release with the origin (release record + listing) and decide every step."""
    now = dt.datetime.now(dt.timezone.utc)
    listing = store.listing()
    remote = {p: v for p, v in listing.items() if not p.startswith(META)}
    archived = {p[len(OBJECTS):] for p in listing if p.startswith(OBJECTS)}
    versions = [p[len(RELEASES):-len(".json")] for p in listing if p.startswith(RELEASES) and p.endswith(".json")]
    data = store.get_json(CURRENT)
    current = Release.from_json(data, CURRENT) if data is not None else None
    chain = _release_chain(store, current, dt.timedelta(hours=grace_hours), now)

    uploads: list[Upload] = []
    skipped = 0
    for path in sorted(target):
        want = target[path]
        have = remote.get(path)
        cur = current.files.get(path) if current else None
        # the record describes the object at the origin: then we also know its headers
        described = have is not None and cur is not None and cur.etag == have[0] and cur.sha256 == want.sha256
        content_ok = have is not None and (have[0] == want.etag or described)
        headers_ok = not described or (cur.content_type, cur.cache_control) == (want.content_type,
                                                                                want.cache_control)
        if content_ok and headers_ok:
            want.etag = have[0]  # the store's own ETag (it differs from the MD5 with SSE-KMS, for instance)
            skipped += 1
            continue
        src = sources[path]
        uploads.append(Upload(path, want, phase_of(path, have is None),
                              local=src if isinstance(src, SiteFile) else None,
                              source=src if isinstance(src, str) else None))

    keep = set(target)
    for r in chain:
        keep |= set(r.files)
    kept = {p for p in remote if p not in target and p in keep}
    deletes = sorted((p for p in remote if p not in keep), key=lambda p: (not p.endswith(".html"), p))

    # archive what will be overwritten or deleted, when a release knows its bytes
    archives: dict[str, tuple[str, str, str]] = {}
    for path in [u.path for u in uploads if u.path in remote] + deletes:
        etag = remote[path][0]
        sha = _known_sha(path, etag, chain)
        if sha is None:
            head = store.head_sha256(path)
            sha = head[1] if head and head[0] == etag and head[1] else None
        if sha and sha not in archived and sha not in archives:
            archives[sha] = (path, etag, sha)

    same = current is not None and set(current.files) == set(target) and all(
        current.files[p].same_object(target[p]) for p in target)
    commit = not same or rolled_back_from is not None
    version = new_version(versions + ([current.version] if current else []))
    new = Release(version, utc_now(), current.version if current else None, target, rolled_back_from)
    changed = [p for p in target if current is None or p not in current.files
               or not current.files[p].same_object(target[p])]
    inval: list[str] = []
    for p in sorted(set(changed) | set(deletes)):
        if not headers.is_hashed(p):
            inval += url_paths(p)
    if not commit:
        inval = []
    uploads.sort(key=lambda u: (u.phase, u.path))
    return Plan(current, new, uploads, list(archives.values()), deletes, kept, inval, skipped, commit)


# --------------------------------------------------------------------------
# doing it


@dataclass
class Result:
    plan: Plan
    uploaded: int = 0
    uploaded_bytes: int = 0
    archived: int = 0
    deleted: int = 0
    deletes_skipped: int = 0
    invalidation_id: str | None = None
    requests: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        p = self.plan
        head = (f"published release {p.new.version}" if p.commit else
                f"origin already serves this site (release {p.current.version if p.current else '?'})")
        text = (f"{head}: uploaded {self.uploaded} objects ({mb(self.uploaded_bytes)}), skipped {p.skipped} unchanged, "
                f"deleted {self.deleted}, kept {len(p.kept)} of earlier releases, archived {self.archived}; "
                f"{self.requests} requests in {self.seconds:.1f} s")
        if self.deletes_skipped:
            text += f"\n{self.deletes_skipped} stale objects were kept: rerun with --yes to delete them"
        return text


def mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.1f} kB"


def check_delete_cap(plan: Plan, max_deletes: int) -> None:
    if len(plan.deletes) > max_deletes:
        raise PublishError(f"{len(plan.deletes)} objects would be deleted, more than --max-deletes {max_deletes} — "
                           "nothing was changed; check that the build is complete, then raise --max-deletes "
                           f"(first: {', '.join(plan.deletes[:5])})")


def _run_parallel(items, fn, jobs: int, stop_message: Callable[[object, BaseException], str]) -> None:
    """fn(item) for every item on ``jobs`` threads; at the first failure nothing new starts, then it raises."""
    if not items:
        return
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(fn, it): it for it in items}
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        failed = [f for f in done if f.exception() is not None]
        if failed:
            for f in pending:
                f.cancel()
            wait(pending)
            exc = failed[0].exception()
            raise PublishError(stop_message(futures[failed[0]], exc)) from exc


def execute(store: Store, plan: Plan, *, jobs: int = 8, delete: bool = True, max_deletes: int = 100,
            distribution_id: str | None = None, progress: Callable[[int], None] | None = None) -> Result:
    start = time.perf_counter()
    result = Result(plan)
    lock = threading.Lock()
    check_delete_cap(plan, max_deletes)
    serving = (f"the origin still serves release {plan.current.version}" if plan.current
               else "the origin serves no release yet")

    def archive(item):
        path, etag, sha = item
        store.copy(path, OBJECTS + sha, f"archiving {path}", if_match=etag)
        with lock:
            result.archived += 1

    _run_parallel(plan.archives, archive, jobs,
                  lambda it, exc: f"{exc.format_message() if isinstance(exc, LantoaError) else exc} — nothing was "
                                  f"uploaded; {serving}; run the same command again")

    def upload(u: Upload):
        e = u.entry
        if u.local is not None:
            etag = store.put_file(u.local, e.content_type, e.cache_control)
        else:
            etag = store.copy(u.source, u.path, f"restoring {u.path}", e.content_type, e.cache_control, e.sha256)
        e.etag = etag
        with lock:
            result.uploaded += 1
            result.uploaded_bytes += u.size
            if progress:
                progress(u.size)

    for phase in sorted({u.phase for u in plan.uploads}):
        batch = [u for u in plan.uploads if u.phase == phase]
        log.info("phase %d (%s): %d objects", phase, PHASE_NAMES[phase], len(batch))

        def stop(u, exc, phase=phase):
            msg = exc.format_message() if isinstance(exc, LantoaError) else str(exc)
            later = "no HTML page and " if phase < 3 else ""
            return (f"{msg} — publishing stopped: {later}no delete was made; {serving}; "
                    "run the same command again to finish")

        _run_parallel(batch, upload, jobs, stop)

    if plan.commit:
        if distribution_id and plan.invalidations:
            result.invalidation_id = invalidate(store, distribution_id, plan.invalidations, plan.new.version)
        body = json.dumps(plan.new.to_json(), indent=1, sort_keys=True).encode("utf-8")
        ctype = "application/json; charset=utf-8"
        store.put_bytes(RELEASES + plan.new.version + ".json", body, ctype, headers.REVALIDATE)
        store.put_bytes(CURRENT, body, ctype, headers.REVALIDATE)  # the commit point

    if plan.deletes and not delete:
        result.deletes_skipped = len(plan.deletes)
    elif plan.deletes:
        html = [p for p in plan.deletes if p.endswith(".html")]
        rest = [p for p in plan.deletes if not p.endswith(".html")]

        def remove(path):
            store.delete(path)
            with lock:
                result.deleted += 1

        for group in (html, rest):  # pages first: no page ever points at a deleted asset
            _run_parallel(group, remove, jobs,
                          lambda p, exc: f"{exc.format_message() if isinstance(exc, LantoaError) else exc} — "
                                         f"release {plan.new.version} is published; run the same command again "
                                         "to finish deleting stale objects")
    result.requests = store.requests
    result.seconds = time.perf_counter() - start
    return result


def invalidate(store: Store, distribution_id: str, paths: list[str], version: str) -> str:
    """One CloudFront invalidation for exactly these paths (CloudFront takes up to 3000 per batch)."""
    import hashlib

    from botocore.config import Config

    cf = store.session.client("cloudfront", config=Config(retries={"total_max_attempts": 1}),
                              region_name=store.session.region_name or "us-east-1")
    first = None
    for i in range(0, len(paths), 3000):
        batch = paths[i:i + 3000]
        ref = f"lantoa-{version}-{hashlib.sha256(' '.join(batch).encode()).hexdigest()[:16]}"
        r = store.call(f"invalidating {len(batch)} paths in CloudFront distribution {distribution_id}",
                       cf.create_invalidation, DistributionId=distribution_id,
                       InvalidationBatch={"Paths": {"Quantity": len(batch), "Items": batch}, "CallerReference": ref})
        first = first or r["Invalidation"]["Id"]
    return first or ""


# --------------------------------------------------------------------------
# the two entry points


def entry_for(f: SiteFile) -> Entry:
    h = headers.for_path(f.path)
    return Entry(f.sha256, f.size, f.etag, h.content_type, h.cache_control)


def plan_publish(store: Store, site, *, grace_hours: float = 24.0, threshold: int = MULTIPART_THRESHOLD) -> Plan:
    files = scan(site, threshold=threshold, exclude=headers.HOST_FILES)
    reserved = [p for p in files if p.startswith(META)]
    if reserved:
        raise PublishError(f"{site}/{reserved[0]}: the folder {META} is reserved for lantoa's release records at the "
                           "origin — rename it")
    check_types(files)
    target = {p: entry_for(f) for p, f in files.items()}
    return make_plan(store, target, dict(files), grace_hours=grace_hours)


def plan_rollback(store: Store, version: str, *, grace_hours: float = 24.0) -> Plan:
    version_key(version)
    data = store.get_json(RELEASES + version + ".json")
    if data is None:
        known = sorted((p[len(RELEASES):-5] for p in store.listing(RELEASES)), key=version_key)
        raise PublishError(f"release {version} is not at {store.url} — releases there: "
                           f"{', '.join(known[-10:]) or 'none'}")
    old = Release.from_json(data, RELEASES + version + ".json")
    listing = store.listing()
    archived = {p[len(OBJECTS):] for p in listing if p.startswith(OBJECTS)}
    target: dict[str, Entry] = {}
    sources: dict[str, str] = {}
    missing = []
    for path, e in old.files.items():
        h = headers.for_path(path)  # today's header table, so a rollback also fixes headers
        target[path] = Entry(e.sha256, e.size, e.etag, h.content_type, h.cache_control)
        if e.sha256 in archived:
            sources[path] = OBJECTS + e.sha256
        elif listing.get(path, ("",))[0] == e.etag:
            sources[path] = path
        else:
            missing.append(path)
    if missing:
        raise PublishError(f"release {version} cannot be restored: {len(missing)} of its objects are gone from the "
                           f"origin and its archive (first: {missing[0]}) — nothing was changed")
    return make_plan(store, target, sources, grace_hours=grace_hours, rolled_back_from=version)


def release_versions(store: Store) -> list[str]:
    return sorted((p[len(RELEASES):-5] for p in store.listing(RELEASES) if p.endswith(".json")), key=version_key)


def describe_plan(plan: Plan) -> list[str]:
    lines = []
    for u in plan.uploads:
        verb = "restore" if u.source else "upload"
        lines.append(f"{verb} {u.path} ({mb(u.size)}, {PHASE_NAMES[u.phase]})")
    for path, _etag, sha in plan.archives:
        lines.append(f"archive {path} -> {OBJECTS}{sha}")
    for p in plan.deletes:
        lines.append(f"delete {p}")
    return lines
