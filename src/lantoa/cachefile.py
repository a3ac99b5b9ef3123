"""Writing a file of ``.cache/lantoa``: atomically, best effort (no heavy imports: the build
command writes its digests before it knows whether anything needs building)."""

from __future__ import annotations

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
