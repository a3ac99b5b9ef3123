"""No automatic garbage collection while a long-lived model is being made.

Python's collector runs a pass every few hundred new objects, and every so often a pass over all
of them. Reading and checking the sources (lantoa.validate) and staging the editions
(lantoa.site.stage) make some hundred thousand objects that live to the end of the build: the
passes only traced them again and again (at 400 stories x 12 languages, reading and checking
took 0.70-0.87 s with them, 0.54 s without).

When the pause ends, what was made inside is frozen (:func:`gc.freeze`): all of it is in the
collector's youngest generation, and its next pass, then the one over the middle generation,
would trace each object once more (0.02-0.04 s each at 400 x 12, on a one-story edit's way).
The build thaws it when it ends (lantoa.site.builder), and what is garbage by then is collected
by the next pass over the oldest generation.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Automatic collection off inside, as it was after (nested pauses keep it off); what was made
    inside, frozen."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.freeze()
            gc.enable()


def collect_in_child() -> None:
    """In a process forked while collection was paused (an edition's, a card drawer's): collection
    on, for what the child makes. What it inherited is frozen first: a pass writes into every
    object it visits, so each inherited page it touched would be copied into the child (measured
    on a 100 x 12 build: peak PSS 196-200 -> 188-191 MB for the edition processes alone)."""
    gc.freeze()
    gc.enable()
