"""One build of a project at a time.

``lantoa build`` in a terminal while ``lantoa serve`` rebuilds the preview, or two CI jobs in one
checkout, would otherwise move the kept editions and the trash of one build cache and one build
folder under each other (a build links the files of a kept edition another build has just
retired). Each build of a project, its "nothing changed" check included, holds the project's
build lock; a second one waits for it, and says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not on POSIX
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

#: in .cache/lantoa: held by the build of a project that is running
LOCK = "build.lock"


@contextmanager
def one_build_at_a_time(root: Path) -> Iterator[None]:
    """Hold project ``root``'s build lock (waiting for it, with a warning, when another process
    holds it). Released when the block ends, however it ends; the system releases it when a
    process dies. The edition workers forked meanwhile share it and end before the block does."""
    if fcntl is None:  # pragma: no cover - not on POSIX
        yield
        return
    folder = Path(root) / ".cache" / "lantoa"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK, "a+b") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another build of this project is running (it holds %s): waiting for it to finish",
                        folder / LOCK)
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield
