"""Writing a file of ``.cache/lantoa``: atomically, best effort (no heavy imports: the build
command writes its digests before it knows whether anything needs building)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def keep_quietly(path: Path, data: bytes) -> bool:
    """Write a cache file atomically (a temporary file renamed into place), best effort: a cache
    file that cannot be written only costs time on the next build. True when it was written."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return True
    except OSError:
        tmp.unlink(missing_ok=True)
        return False


def read_kept(path: Path):
    """What a JSON cache file holds, or None when it is missing or unreadable (the caller checks
    its shape: a cache is never trusted to be well formed)."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
