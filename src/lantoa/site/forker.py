"""A fresh process for each edition, forked from one that stays put: :class:`Forker`.

A pool's worker renders edition after edition, and each edition's peak came on top of what the
ones before left in it (the C heap's and Python's arenas keep their high-water mark): the two
workers of a 100 x 12 build ended at 50-60 MB of private memory each, the first edition alone
at 35. Here each edition is rendered in a child forked for it, which ends with it: its memory
goes back to the system whole.

The children are forked from a process of their own (the *zygote*), which has no thread but its
own: a fork copies only the thread that forks, and a lock another thread held stays held in the
child (the standard library refuses to fork a pool's replacement workers for that reason). The
zygote itself is forked before `lantoa build` starts a thread (`lantoa serve`'s server threads
run already, as they did when it forked a pool's workers). The zygote imports what an edition's build imports
(``warm``) while the build goes on staging, once, so that every child starts with it, shared.
It runs at most ``jobs`` children at a time; the others wait in its queue.

Messages go through pipes, each a length and a pickle: requests (job, function, arguments) from
the build to the zygote, results (job, ok, value) from each child to the zygote and from the
zygote to the build, where a thread hands them to the :class:`~concurrent.futures.Future` that
:meth:`Forker.submit` returned. A child that dies without a result (killed, out of memory) makes
its future fail with :class:`ChildDied`.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future

from ..gcpause import collect_in_child

_HEADER = struct.Struct(">QQ")  # job, length of the pickle that follows
_ZYGOTE_GONE = "the process that forks the editions' processes ended before rendering it"


class ChildDied(RuntimeError):
    """A child ended without giving its result."""


def _read_exactly(fd: int, n: int) -> bytes | None:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_message(fd: int) -> tuple[int, bytes] | None:
    head = _read_exactly(fd, _HEADER.size)
    if head is None:
        return None
    job, length = _HEADER.unpack(head)
    body = _read_exactly(fd, length)
    return None if body is None else (job, body)


def _send(fd: int, job: int, body: bytes) -> None:
    _write_all(fd, _HEADER.pack(job, len(body)) + body)


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a child (its ``__cause__`` in the build)."""

    def __str__(self) -> str:
        return f"\n\"\"\"\n{self.args[0]}\"\"\""


def _outcome(request: bytes) -> bytes:
    """The pickled outcome of a pickled request (function, arguments)."""
    try:
        fn, args = pickle.loads(request)
        result = (True, fn(*args), None)
    except BaseException as exc:  # noqa: BLE001 - handed to the build, which raises it there
        result = (False, exc, "".join(traceback.format_exception(exc)))
    try:
        return pickle.dumps(result)
    except Exception:  # noqa: BLE001 - an exception or a result that does not pickle
        return pickle.dumps((False, RuntimeError(f"{result[1]!r}"), result[2]))


def _child(request: bytes, out: int) -> None:
    """In the child forked for a job (its pickled function and arguments): run it, write its
    outcome, end (never returns). Unpickled here, not in the zygote, whose heap would keep them."""
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        collect_in_child()  # forked while the build's collection is paused
        body = _outcome(request)
        _write_all(out, body)
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
    finally:
        os._exit(0)


def _zygote(requests: int, results: int, jobs: int, warm: Callable[[], None] | None) -> None:
    """The zygote's loop (never returns): queue the requests, fork a child for each, at most
    ``jobs`` at a time, and pass each child's outcome on. At the end of the requests (the build
    closed its pipe) nothing more starts; the children running are waited for."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the build tells it when to stop
        if warm is not None:
            try:
                warm()
            except Exception:  # noqa: BLE001 - best effort: whatever failed fails again in the child
                pass
        queue: deque[tuple[int, bytes]] = deque()
        running: dict[int, tuple[int, int, list[bytes]]] = {}  # read end -> (pid, job, what it wrote)
        open_ = True
        while open_ or running:
            while queue and len(running) < jobs:
                job, body = queue.popleft()
                read_end, write_end = os.pipe()
                pid = os.fork()
                if pid == 0:
                    for fd in (requests, results, read_end, *running):
                        os.close(fd)
                    _child(body, write_end)
                os.close(write_end)
                running[read_end] = (pid, job, [])
            ready, _, _ = select.select(([requests] if open_ else []) + list(running), [], [])
            for fd in ready:
                if fd == requests:
                    message = _read_message(requests)
                    if message is None:
                        open_ = False
                        queue.clear()
                    else:
                        queue.append(message)
                    continue
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    running[fd][2].append(chunk)
                    continue
                os.close(fd)
                pid, job, chunks = running.pop(fd)
                _, status = os.waitpid(pid, 0)
                body = b"".join(chunks)
                if not body:
                    how = (f"signal {os.WTERMSIG(status)}" if os.WIFSIGNALED(status)
                           else f"exit status {os.waitstatus_to_exitcode(status)}")
                    body = pickle.dumps((False, ChildDied(f"the process rendering it ended with {how}, "
                                                          "without a result"), None))
                _send(results, job, body)
    finally:
        os._exit(0)


#: the name of a :class:`Forker`'s thread that reads the zygote's results
READER = "lantoa-forker"


def may_fork() -> bool:
    """Whether this process may fork a child that goes on running Python: it has no thread but
    this one and the readers of :class:`Forker` (a lock another thread held at the fork would stay
    held in the child). A reader blocks reading a pipe, or hands a result to a future of the build,
    which a child never touches."""
    me = threading.current_thread()
    return all(t is me or t.name == READER for t in threading.enumerate())


class Forker:
    """Forks the zygote (best while this process has no other thread); :meth:`submit` jobs,
    :meth:`shutdown` at the end."""

    def __init__(self, jobs: int, warm: Callable[[], None] | None = None):
        req_read, self._requests = os.pipe()
        res_read, res_write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(self._requests)
            os.close(res_read)
            _zygote(req_read, res_write, max(1, jobs), warm)
        os.close(req_read)
        os.close(res_write)
        self._pid, self._results = pid, res_read
        self._futures: dict[int, Future] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._ended = False  # the reader saw the zygote's end
        self._reader = threading.Thread(target=self._read, name=READER, daemon=True)
        self._reader.start()

    def submit(self, fn: Callable, *args) -> Future:
        future: Future = Future()
        with self._lock:
            self._next += 1
            job = self._next
            self._futures[job] = future
        try:
            _send(self._requests, job, pickle.dumps((fn, args)))
        except BrokenPipeError:  # the zygote is gone: the reader fails what it had, or this one
            with self._lock:
                orphan = self._futures.pop(job, None) if self._ended else None
            if orphan is not None:
                orphan.set_exception(ChildDied(_ZYGOTE_GONE))
        return future

    def _read(self) -> None:
        while True:
            message = _read_message(self._results)
            if message is None:
                break
            job, body = message
            with self._lock:
                future = self._futures.pop(job, None)
            if future is None:
                continue
            try:
                ok, value, remote = pickle.loads(body)
            except Exception as exc:  # noqa: BLE001 - a result that does not unpickle here
                ok, value, remote = False, exc, None
            if ok:
                future.set_result(value)
                continue
            if remote:
                value.__cause__ = RemoteTraceback(remote)
            future.set_exception(value)
        with self._lock:  # the zygote ended: what it did not run will not run
            left, self._futures, self._ended = list(self._futures.values()), {}, True
        for future in left:
            if self._requests < 0:  # shut down: dropped
                future.cancel()
            else:
                future.set_exception(ChildDied(_ZYGOTE_GONE))

    def shutdown(self) -> None:
        """No more jobs: the zygote runs to their end the children it started, drops the jobs
        it had not started (their futures are cancelled), and ends. Given none, it is not waited
        for (it may still be importing what it would have used)."""
        if self._requests >= 0:
            requests, self._requests = self._requests, -1
            if not self._next:
                os.kill(self._pid, signal.SIGKILL)
            os.close(requests)
            self._reader.join()
            os.close(self._results)
            os.waitpid(self._pid, 0)
