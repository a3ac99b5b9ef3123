"""Process many images on every core, through the cache, with bounded memory.

Workers are pure functions of (source file, kind, settings): each reads its source, looks up its
cache entry, renders on a miss and writes the entry, and hands back only the small ``meta`` dict.
At most ``workers`` images are decoded at any moment, so peak memory does not grow with the
number of images.

Threads by default, by measurement (scripts/results/media.md): Pillow releases the GIL in JPEG
decoding, resizing and the encoders, and two threads used the same CPU time and wall time as two
processes (within the noise of a shared machine), without starting interpreters or pickling.
``executor="process"``: processes forked for the batch, which end with it, and with what decoding
and encoding left in their heaps (the site build's choice when it may fork: lantoa.site.images).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections import Counter
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import digests
from .cache import Cache, make_key
from .settings import FORMATS, Settings
from .types import MediaError, Note

#: what the last batches did, in this process (tests count encoder work with it)
STATS: Counter = Counter()
_STATS_LOCK = threading.Lock()

KINDS = ("variants", "full")


@dataclass(frozen=True)
class Job:
    path: str  # absolute
    kind: str = "variants"  # "variants" (responsive set) | "full" (full-size cleaned, for the press kit)


@dataclass
class Result:
    job: Job
    key: str = ""
    meta: dict | None = None
    hit: bool = False
    encodes: int = 0
    error: MediaError | None = None
    #: what the process that did the job remembers of the photo (lantoa.digests.entry): a process
    #: forked for the batch hands it back to the build's, which keeps it for the next build
    digest: list | None = None

    def file(self, cache: Cache, name: str) -> str:
        return cache.file(self.key, name)

    @property
    def notes(self) -> list[Note]:
        return [Note(**n) for n in (self.meta or {}).get("notes", [])]


def params(kind: str, settings: Settings) -> dict:
    return settings.key_params() if kind == "variants" else {"full_quality": settings.full_quality}


def _cached(job: Job, settings: Settings, cache: Cache, read: bool = True) -> Result | None:
    """The job's result when the cache has it, else None. By the photo's remembered digest: a
    photo unchanged since an earlier build is not read again (``read=False``: one whose digest is
    not remembered is not looked up). Raises OSError as reading it would."""
    digest = digests.sha256(job.path) if read else digests.remembered(job.path)
    if digest is None:
        return None
    meta = cache.get(key := make_key(digest, job.kind, params(job.kind, settings)))
    return Result(job, key, meta, hit=True) if meta is not None else None


def render(data: bytes, name: str, settings: Settings):
    """:func:`.pipeline.render`, imported (and Pillow with it) when an image is made."""
    from . import pipeline

    return pipeline.render(data, name, settings)


def render_full(data: bytes, name: str, settings: Settings):
    """:func:`.pipeline.render_full`, imported (and Pillow with it) when an image is made."""
    from . import pipeline

    return pipeline.render_full(data, name, settings)


def work(job: Job, settings: Settings, cache_root: str) -> Result:
    """One image: cached entry, or render and store it. Never raises for a bad image."""
    result = _work(job, settings, cache_root)
    result.digest = digests.entry(job.path)
    return result


def _work(job: Job, settings: Settings, cache_root: str) -> Result:
    cache = Cache(Path(cache_root))
    name = Path(job.path).name
    try:
        found = _cached(job, settings, cache)
        if found is not None:
            return found
        data = Path(job.path).read_bytes()
    except OSError as exc:
        return Result(job, error=MediaError(f"unreadable ({exc.strerror})", "check the file", "bad-media"))
    key = make_key(hashlib.sha256(data).hexdigest(), job.kind, params(job.kind, settings))  # what is rendered
    try:
        rendered = (render if job.kind == "variants" else render_full)(data, name, settings)
    except MediaError as exc:
        return Result(job, key, error=exc)
    files: dict[str, bytes] = {}
    variants = []
    for v in rendered.variants:
        fname = f"{v.width}.{FORMATS[v.format]['ext']}"
        files[fname] = v.data
        variants.append({"width": v.width, "height": v.height, "format": v.format, "file": fname,
                         "bytes": len(v.data), "sha256": hashlib.sha256(v.data).hexdigest()})
    meta = {"width": rendered.width, "height": rendered.height, "placeholder": rendered.placeholder,
            "variants": variants, "notes": [n.__dict__ for n in rendered.notes]}
    meta = cache.put(key, files, meta)
    return Result(job, key, meta, hit=False, encodes=len(variants))


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run(jobs: list[Job], settings: Settings, cache_root: Path, workers: int = 0,
        executor: str = "thread") -> list[Result]:
    """Every job, in the order given (results are collected in the main process)."""
    workers = workers or default_workers()
    jobs = list(jobs)
    # what the cache has for a photo hashed before is looked up here, a few stats a job (in a
    # pool, the threads' hand-offs took longer than the lookups: at 400 stories x 12 languages,
    # staging the media 0.64 -> 0.44 s); a photo not hashed yet is read, hashed and looked up in
    # the pool, on every core
    cache = Cache(Path(cache_root))
    found: list[Result | None] = []
    for j in jobs:
        try:
            found.append(_cached(j, settings, cache, read=False))
        except OSError:
            found.append(None)  # work() says what is wrong with it
    todo = [j for j, r in zip(jobs, found) if r is None]
    if workers <= 1 or len(todo) <= 1:
        made = [work(j, settings, str(cache_root)) for j in todo]
    else:
        if executor == "thread":
            pool: Executor = ThreadPoolExecutor(max_workers=min(workers, len(todo)))
        else:
            import multiprocessing

            from ..gcpause import collect_in_child

            pool = ProcessPoolExecutor(max_workers=min(workers, len(todo)), initializer=collect_in_child,
                                       mp_context=multiprocessing.get_context("fork"))
        with pool:
            made = list(pool.map(work, todo, [settings] * len(todo), [str(cache_root)] * len(todo)))
    for r in made:
        digests.adopt(r.job.path, r.digest)  # hashed in a process of the batch: kept here too
    fresh = iter(made)
    results = [r if r is not None else next(fresh) for r in found]
    with _STATS_LOCK:
        for r in results:
            STATS["hits" if r.hit else ("errors" if r.error else "misses")] += 1
            STATS["encodes"] += r.encodes
    return results
