"""What the media pipeline reports, and the version of its recipe, without importing Pillow.

A build that makes no image (a one-story edit: every variant is in the cache) looks its pictures up
by these alone; Pillow, its AVIF and colour-management modules and :mod:`.pipeline` were 17 ms of
every such build's start. :mod:`.pipeline` is imported when an image is checked or made.
"""

from __future__ import annotations

from dataclasses import dataclass

#: bump when the recipe (:mod:`.pipeline`) changes output bytes; part of every cache key
PIPELINE_VERSION = "2"  # 2: Lanczos, not a box, for exact halvings to small pictures (pipeline._resize)

FIX = "re-export the picture as JPEG (photos) or PNG (drawings)"


class MediaError(Exception):
    """An image we refuse; ``code`` names the problem for diagnostics."""

    def __init__(self, message: str, hint: str = FIX, code: str = "bad-media"):
        super().__init__(message)
        self.message, self.hint, self.code = message, hint, code

    def __reduce__(self):  # survive a trip through a process pool
        return (MediaError, (self.message, self.hint, self.code))


@dataclass(frozen=True)
class Note:
    """Something we fix on the way but the editor should know (a warning in ``lantoa check``)."""

    code: str
    message: str
    hint: str


@dataclass(frozen=True)
class Probe:
    format: str
    width: int  # as displayed (after the EXIF orientation)
    height: int
    mode: str
    notes: tuple[Note, ...] = ()
