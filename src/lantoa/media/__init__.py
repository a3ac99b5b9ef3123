"""Media pipeline (Pillow; no mkdocs import).

Every raster image a page references goes through it, hero and body alike: turned upright from
EXIF, converted to sRGB, stripped of every metadata block (EXIF, XMP, GPS, ICC), resized to the
configured widths (never upscaled) and encoded in the configured formats, with content-hashed
names. Work is cached in ``.cache/lantoa/media/`` and spread over every core.

- :mod:`.settings` the widths, formats and limits (``extra.media`` in mkdocs.yml)
- :mod:`.pipeline` the recipe for one image (pure functions), and the checks ``lantoa check`` runs
- :mod:`.cache` the content-addressed cache with atomic writes
- :mod:`.batch` many images on every core, with bounded memory
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .settings import Settings
from .types import MediaError, Note, Probe

__all__ = ["MediaError", "Note", "Probe", "Settings", "inspect", "probe"]


@lru_cache(maxsize=1)
def _pipeline_version() -> str:
    """What a probe's result depends on besides the file and the settings: Pillow's version and
    our checks' source."""
    import types

    import PIL  # its version alone (not Pillow's modules)

    from .. import __version__, digests

    # the recipe's source, read without importing it (and Pillow's modules with it)
    pipeline = types.SimpleNamespace(__file__=str(Path(__file__).with_name("pipeline.py")),
                                     __name__=f"{__name__}.pipeline")
    return f"Pillow {PIL.__version__} lantoa {__version__} {digests.sources_sha256(pipeline)[:16]}"


def _probe_now(path: str, settings: Settings) -> Probe | MediaError:
    from . import pipeline

    try:
        return pipeline.probe(Path(path), settings, deep=True)
    except MediaError as exc:
        return exc


@lru_cache(maxsize=1024)
def _probe_cached(path: str, mtime_ns: int, size: int, settings: Settings) -> Probe | MediaError:
    from .. import digests

    # by the file's content, between runs: decoding even at 1/64 reads every byte of a camera
    # photo, and a check of a site with a photo per story read all of them every time
    kind = f"media.probe {_pipeline_version()} {Path(path).name} {settings!r}"
    try:
        return digests.fact(path, kind, lambda: _probe_now(path, settings))
    except OSError:  # gone or unreadable since the stat: the probe says how
        return _probe_now(path, settings)


def probe(path: Path, settings: Settings | None = None) -> Probe:
    """Check a file the way the build reads it (decoding it cheaply); raises :class:`MediaError`.
    Remembered per (path, mtime, size) in this process (a body image referenced by twenty
    translations is read once), and by the file's content between runs (lantoa.digests.fact)."""
    st = os.stat(path)
    result = _probe_cached(str(path), st.st_mtime_ns, st.st_size, settings or Settings())
    if isinstance(result, MediaError):
        raise result
    return result


def inspect(src: Path, settings: Settings | None = None) -> tuple[int, int]:
    """(width, height) as displayed, after every check; raises :class:`MediaError`."""
    p = probe(src, settings)
    return p.width, p.height
