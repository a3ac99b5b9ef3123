"""The folders of the last site, kept for the next build's.

A build makes its site anew in a scratch folder and swaps it in (``builder._swap``): one page is a
folder (``<slug>/index.html``), and a 400-story site in 12 languages has some 5,800 of them, every
one made again by every rebuild, while the last site's were deleted. On this machine's ext4 (no
journal), whose inode allocator skips the inodes freed in the last 30 seconds, making 6,000
folders took 0.3 to 4.3 s, rising as rebuilds followed each other: a one-story edit in
``lantoa serve`` took 1.6 s, and 4.2 s twenty edits later. Making them was most of its time.

So the last site is not deleted: once a new one is swapped in, the old one is kept beside it
(:func:`keep`, as ``.lantoa-spare-<name>``). The next build deletes its files, and only its files
(:func:`begin`: a ``find`` process, started before the project is checked, beside it), then takes
the folders that are left for its own site (:func:`take`): what it puts there finds most of its
folders made. Before the swap, :func:`prune` removes the folders it took and left empty. A site
made in the last site's folders is byte for byte the site made in new ones: no file of the last
site is left in it that this build would not have put there, and a clean build has no empty
folder (``tests/test_skeleton.py``).

The files of its ``media/`` folder are left (:data:`LEFT`, :func:`left_files`): each is a hard
link into the media cache, and a one-story edit of a 400 x 12 site puts the same 11,600 of them
(image variants, social cards, press kits) back where they were. The staging leaves in place each
that is the very file it would link there (the same inode as the cache's), replaces the others and
deletes what it does not put back (lantoa.site.images.Left).

The same goes for an edition's output kept in the build cache (``.cache/lantoa/parts/<tag>/``): when
an edition is rendered again, the output it replaces is kept (:func:`keep_part`, in
``.lantoa-spare-parts/<tag>``), emptied of its files by the next build beside its check
(:func:`begin_parts`), and its folders are where the next rendering of that edition is put
(:func:`take_part`): the pages it reuses are linked there, and MkDocs writes the others.
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from . import incremental

log = logging.getLogger(__name__)

PREFIX = ".lantoa-spare-"
#: the folder of a kept site whose files are left for the next build (the site's images, social
#: cards and press kits: lantoa.site.images.MEDIA_DIR), each a hard link into a cache: the build
#: leaves in place each that is the file it would put there, and deletes the others
LEFT = "media"
#: in the build cache: the editions' outputs replaced there, one folder per language
PARTS_SPARE = incremental.SPARE_PARTS


def spare_of(out: Path) -> Path:
    """Where the site swapped out of ``out`` waits for the next build of ``out``."""
    return out.parent / f"{PREFIX}{out.name}"


class _Emptying:
    """The deletion of every file (links too) under a kept site, leaving its folders, and the list
    of those folders (children before their parents). ``keep``: a folder of it whose regular files
    are listed with their inodes (:attr:`left`) instead of deleted."""

    def __init__(self, spare: Path, keep: str | None = None):
        self.spare, self.keep = spare, keep
        self.process: subprocess.Popen | None = None
        self.thread: threading.Thread | None = None
        self.found: list[str] | None = None
        #: the regular files left under ``keep``: path within the kept site -> inode
        self.left: dict[str, int] = {}
        self.taken: set[str] = set()  # (kept editions' outputs) the languages taken, or kept anew
        find = shutil.which("find") if os.name == "posix" else None
        if find:
            # what it prints goes to a file: a pipe's 64 kB would stop it until it was read
            self.out = tempfile.TemporaryFile()
            kept = ["-o", "-type", "f", "-path", f"./{keep}/*", "-printf", "f%P\\0%i\\0"] if keep else []
            try:
                # -delete implies -depth: a folder is printed after what is in it
                self.process = subprocess.Popen([find, ".", "-mindepth", "1", "-type", "d", "-printf", "d%P\\0",
                                                 *kept, "-o", "-delete"], cwd=spare, stdin=subprocess.DEVNULL,
                                                stdout=self.out, stderr=subprocess.DEVNULL)
                return
            except OSError:
                self.out.close()
        self.thread = threading.Thread(target=self._walk, name="lantoa-skeleton", daemon=True)
        self.thread.start()

    def _walk(self) -> None:
        found, left = [], {}
        prefix = f"{self.keep}/" if self.keep else None
        try:
            for dirpath, dirnames, filenames in os.walk(self.spare, topdown=False):
                rel_dir = os.path.relpath(dirpath, self.spare).replace(os.sep, "/")
                for name in filenames:
                    path = os.path.join(dirpath, name)
                    rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                    st = os.lstat(path) if prefix and rel.startswith(prefix) else None
                    if st is not None and stat.S_ISREG(st.st_mode):
                        left[rel] = st.st_ino
                    else:
                        os.unlink(path)
                for name in dirnames:
                    path = os.path.join(dirpath, name)
                    if os.path.islink(path):
                        os.unlink(path)
                    else:
                        found.append(os.path.relpath(path, self.spare).replace(os.sep, "/"))
        except OSError:
            return
        self.found, self.left = found, left

    def result(self) -> list[str] | None:
        """The folders, once every file is gone (but those :attr:`left`); None if that failed."""
        if self.thread is not None:
            self.thread.join()
        elif not self.out.closed:
            with self.out:
                if self.process.wait() == 0:
                    self.out.seek(0)
                    self._parse(self.out.read())
        return self.found

    def _parse(self, out: bytes) -> None:
        fields = out.split(b"\0")
        if fields.pop() != b"":
            return
        found, left = [], {}
        it = iter(fields)
        try:
            for field in it:
                kind, path = field[:1], os.fsdecode(field[1:])
                if kind == b"d":
                    found.append(path)
                elif kind == b"f":
                    left[path] = int(next(it))
                else:
                    return
        except (StopIteration, ValueError):
            return
        self.found, self.left = found, left

    def cancel(self) -> None:
        if self.process is not None and not self.out.closed:
            self.process.kill()
            self.process.wait()
            self.out.close()


_BEGUN: dict[str, _Emptying] = {}


def begin(out: Path) -> None:
    """Begin to empty the site kept for the next build of ``out`` (if there is one), beside what
    the build does first. Nothing else writes there: one build of a project runs at a time
    (lantoa.buildlock)."""
    out = Path(out)
    if str(out) in _BEGUN:
        return
    spare = spare_of(out)
    _forget_orphans(spare)
    try:
        st = os.lstat(spare)
    except OSError:
        return
    if not stat.S_ISDIR(st.st_mode):  # not one this module kept
        incremental.retire(spare, out.parent)
        return
    # renamed first, to a name of this process's own: another process building the same folder
    # (a `lantoa build --out` beside a `lantoa serve` of it; the lock is not held between a
    # preview's rebuilds) cannot take it or delete in it while this one does
    mine = spare.with_name(f"{spare.name}{_OWN}{os.getpid()}-{time.monotonic_ns()}")
    try:
        os.rename(spare, mine)
    except OSError:
        return
    _BEGUN[str(out)] = _Emptying(mine, keep=LEFT)


_OWN = "-of-"


def _forget_orphans(spare: Path) -> None:
    """Retire the kept sites that a process which has ended had begun to empty."""
    try:
        names = [n for n in os.listdir(spare.parent) if n.startswith(spare.name + _OWN)]
    except OSError:
        return
    for name in names:
        pid = name[len(spare.name + _OWN):].split("-", 1)[0]
        try:
            os.kill(int(pid), 0)
            continue  # (a process of that number runs: left alone)
        except ProcessLookupError:
            pass
        except (ValueError, OSError):
            continue
        incremental.retire(spare.parent / name, spare.parent)


def take(out: Path, dest: Path) -> list[str]:
    """Move the emptied folders of the site kept for ``out`` to ``dest`` (which must not exist),
    and return their paths within it, children before their parents; ``[]`` if there were none
    (``dest`` is then not made)."""
    begin(out)
    emptying = _BEGUN.pop(str(Path(out)), None)
    if emptying is None:
        return []
    found = emptying.result()
    try:
        if found is None:
            raise OSError("its files could not all be deleted")
        os.rename(emptying.spare, dest)
    except OSError as exc:
        log.debug("the last site's folders not reused (%s): made anew", exc)
        incremental.retire(emptying.spare, Path(out).parent)
        return []
    _LEFT[str(dest)] = emptying.left
    log.debug("the last site's %d folders reused, %d files left", len(found), len(emptying.left))
    return found


_LEFT: dict[str, dict[str, int]] = {}  # a site taken -> the files left in it


def left_files(dest: Path) -> dict[str, int]:
    """The regular files :func:`take` left under ``dest``'s :data:`LEFT` folder: path within
    ``dest`` -> inode. Handed out once."""
    return _LEFT.pop(str(dest), {})


def make_room(path: str) -> bool:
    """A file is to be put at ``path``, where a folder taken from the last site is: remove that
    folder if it holds only empty folders (true), else leave it (false: a file of this build is
    in it, and the two disagree)."""
    try:
        if not stat.S_ISDIR(os.lstat(path).st_mode):
            return False
        for dirpath, _, filenames in os.walk(path, topdown=False):
            if filenames:
                return False
            os.rmdir(dirpath)
    except OSError:
        return False
    return True


def prune(site: Path, folders: list[str], files: Iterable[str] | None = None) -> int:
    """Remove the folders taken from the last site (``folders``, children first) that this build
    left empty; how many were removed. ``files``: the site's files (relative paths, as the build
    knows them), when it knows them all: the folders that hold one are not tried (a failed
    ``rmdir`` of each of them, 5,800 at 400 x 12, took 30 ms on this machine's disk). A folder
    holding a file the list lacks is tried, and stays."""
    used: set[str] = set()
    last = None
    for rel in files or ():
        folder = rel.rpartition("/")[0]
        if folder == last:  # a sorted listing: a folder's files come together
            continue
        last = folder
        while folder and folder not in used:
            used.add(folder)
            folder = folder.rpartition("/")[0]
    removed = 0
    base = str(site)
    for rel in folders:
        if rel in used:
            continue
        try:
            os.rmdir(os.path.join(base, rel))
            removed += 1
        except OSError:  # not empty (or gone): this build's
            pass
    return removed


def keep(old: Path, out: Path) -> None:
    """Keep ``old``, the site just swapped out of ``out``, for the next build of ``out``."""
    spare = spare_of(out)
    if os.path.lexists(spare):
        incremental.retire(spare, out.parent)
    try:
        os.replace(old, spare)
    except OSError:
        incremental.retire(old, out.parent)


@contextmanager
def begun(out: Path | None) -> Iterator[None]:
    """:func:`begin` now (``out``: None, nothing), for a build that checks the project first;
    :func:`end` when the block ends."""
    if out is not None:
        begin(out)
    try:
        yield
    finally:
        end()


def end() -> None:
    """Stop what :func:`begin` began and no build took (a check that failed): the kept site stays,
    as many of its files deleted as were, for the next build."""
    for out, emptying in _BEGUN.items():
        emptying.cancel()
        spare = spare_of(Path(out))
        try:
            if os.path.lexists(spare):
                raise FileExistsError(spare)
            os.rename(emptying.spare, spare)
        except OSError:
            incremental.retire(emptying.spare, spare.parent)
    _BEGUN.clear()


_PARTS: dict[str, _Emptying] = {}  # build cache -> the emptying of its editions' replaced outputs
_PART_FOLDERS: dict[str, list[str]] = {}  # an edition's output folder -> the folders taken for it


def begin_parts(cache_dir: Path) -> None:
    """Begin to empty the editions' outputs that the cache kept when it replaced them (all of them,
    one ``find``), beside what the build does first; :func:`end_parts` when the build ends."""
    if str(cache_dir) in _PARTS:
        return
    spare = Path(cache_dir) / PARTS_SPARE
    try:
        if not stat.S_ISDIR(os.lstat(spare).st_mode):
            return
    except OSError:
        return
    _PARTS[str(cache_dir)] = _Emptying(spare)


def take_part(cache_dir: Path, lang: str, dest: Path) -> None:
    """Move the emptied folders of edition ``lang``'s replaced output to ``dest`` (which must not
    exist; left alone when there are none), where the edition is rendered again; :func:`prune_part`
    removes those it leaves empty."""
    begin_parts(cache_dir)
    emptying = _PARTS.get(str(cache_dir))
    if emptying is None or lang in emptying.taken:
        return
    found = emptying.result()
    emptying.taken.add(lang)
    if found is None:
        return
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.rename(emptying.spare / lang, dest)
    except OSError:
        return
    prefix = f"{lang}/"
    _PART_FOLDERS[str(dest)] = [rel[len(prefix):] for rel in found if rel.startswith(prefix)]


def prune_part(part: Path) -> None:
    """Remove the folders :func:`take_part` put under ``part`` that its rendering left empty."""
    folders = _PART_FOLDERS.pop(str(part), None)
    if folders:
        prune(part, folders)


def keep_part(cache_dir: Path, lang: str, old: Path) -> None:
    """Keep ``old``, edition ``lang``'s output just replaced in the cache, for its next rendering."""
    emptying = _PARTS.get(str(cache_dir))
    if emptying is not None:
        emptying.result()  # nothing is moved in while the find runs
        emptying.taken.add(lang)  # what it listed of this language is not what is there now
    spare = Path(cache_dir) / PARTS_SPARE / lang
    try:
        if os.path.lexists(spare):
            incremental.retire(spare, Path(cache_dir))
        spare.parent.mkdir(exist_ok=True)
        os.replace(old, spare)
    except OSError:
        incremental.retire(old, Path(cache_dir))


def end_parts() -> None:
    """Forget what :func:`begin_parts` began (stopped if it still runs)."""
    for emptying in _PARTS.values():
        emptying.cancel()
    _PARTS.clear()
    _PART_FOLDERS.clear()
