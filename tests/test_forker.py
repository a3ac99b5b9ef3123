"""Tests for lantoa.site.forker: a fresh process for each edition, forked from one that stays put."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import as_completed
from pathlib import Path

import pytest

from lantoa.site import forker
from lantoa.site.forker import ChildDied, Forker

#: set by _warm in the zygote; the children are forked from it
WARMED: list[int] = []
#: what a job leaves behind in its process
LEFT: list[bytes] = []


def _warm() -> None:
    WARMED.append(os.getpid())


def _job(n: int) -> tuple[int, int, list[int], int]:
    """(n, the process, WARMED there, what the jobs before left in it)."""
    left = sum(map(len, LEFT))
    LEFT.append(bytes(8 << 20))  # a job that keeps 8 MB
    return n, os.getpid(), list(WARMED), left


def _slow(folder: str, n: int) -> int:
    Path(folder, f"{n}.start").write_text(str(time.monotonic()))
    time.sleep(0.3)
    Path(folder, f"{n}.end").write_text(str(time.monotonic()))
    return n


def _fails(message: str) -> None:
    raise ValueError(message)


def _dies() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def test_each_job_runs_in_a_fresh_child_of_the_warmed_zygote():
    pool = Forker(2, warm=_warm)
    try:
        futures = [pool.submit(_job, n) for n in range(5)]
        results = sorted(f.result(timeout=30) for f in futures)
    finally:
        pool.shutdown()
    assert [r[0] for r in results] == list(range(5))
    pids = {r[1] for r in results}
    assert len(pids) == 5 and os.getpid() not in pids  # a process per job
    zygote = {r[2][0] for r in results if r[2]}
    assert len(zygote) == 1 and zygote != pids and all(r[2] for r in results)  # warmed once, before the forks
    assert all(r[3] == 0 for r in results)  # nothing a job kept is in the next one's process
    assert WARMED == []  # the warming ran in the zygote, not here


def test_at_most_jobs_children_run_at_once(tmp_path):
    pool = Forker(2)
    try:
        futures = [pool.submit(_slow, str(tmp_path), n) for n in range(5)]
        assert sorted(f.result(timeout=30) for f in as_completed(futures, timeout=30)) == list(range(5))
    finally:
        pool.shutdown()
    spans = [(float((tmp_path / f"{n}.start").read_text()), float((tmp_path / f"{n}.end").read_text())) for n in range(5)]
    most = max(sum(1 for a, b in spans if a <= t < b) for t, _ in spans)
    assert most == 2


def test_a_failure_comes_back_as_the_exception_with_the_child_s_traceback():
    pool = Forker(1)
    try:
        with pytest.raises(ValueError, match="bad front matter") as raised:
            pool.submit(_fails, "bad front matter").result(timeout=30)
    finally:
        pool.shutdown()
    assert isinstance(raised.value.__cause__, forker.RemoteTraceback)
    assert "_fails" in str(raised.value.__cause__)


def test_a_child_that_dies_fails_its_job_alone():
    pool = Forker(2)
    try:
        died, fine = pool.submit(_dies), pool.submit(_job, 7)
        with pytest.raises(ChildDied, match="signal 9"):
            died.result(timeout=30)
        assert fine.result(timeout=30)[0] == 7
    finally:
        pool.shutdown()


def test_shutdown_drops_the_jobs_not_started_and_waits_for_the_others(tmp_path):
    pool = Forker(1)
    first = pool.submit(_slow, str(tmp_path), 0)
    later = [pool.submit(_slow, str(tmp_path), n) for n in (1, 2)]
    while not (tmp_path / "0.start").exists():
        time.sleep(0.01)
    pool.shutdown()
    assert first.result(timeout=0) == 0  # ran to its end
    assert all(f.cancelled() for f in later) and not (tmp_path / "1.start").exists()


def _collector() -> tuple[bool, int]:
    import gc

    return gc.isenabled(), gc.get_freeze_count()


def test_a_child_collects_only_what_it_makes():
    """A child is forked while the build's collection is paused: it turns collection on, with
    what it inherited frozen, so that its passes do not write into (and copy) the inherited pages."""
    import gc

    before = gc.get_freeze_count()  # what tests run before in this process may have left frozen
    gc.disable()
    try:
        pool = Forker(1)
        try:
            enabled, frozen = pool.submit(_collector).result(timeout=30)
        finally:
            pool.shutdown()
    finally:
        gc.enable()
    assert enabled and frozen > before + 1000
    assert gc.get_freeze_count() == before  # not here


def test_jobs_of_a_zygote_that_died_fail_instead_of_waiting_for_ever():
    pool = Forker(1)
    try:
        os.kill(pool._pid, signal.SIGKILL)
        os.waitpid(pool._pid, 0)
        pool._reader.join(timeout=30)
        with pytest.raises(ChildDied, match="ended before rendering it"):
            pool.submit(_job, 1).result(timeout=30)
    finally:
        try:
            pool.shutdown()
        except ChildProcessError:  # reaped above
            pass


def _sleepy_warm() -> None:
    time.sleep(60)


def test_a_zygote_given_no_job_is_not_waited_for():
    """A build whose editions are all reused forks the zygote early and hands it nothing: the
    zygote may still be importing what it would have used; shutting down does not wait for it."""
    pool = Forker(1, warm=_sleepy_warm)
    start = time.monotonic()
    pool.shutdown()
    assert time.monotonic() - start < 10
    with pytest.raises(ProcessLookupError):
        os.kill(pool._pid, 0)  # gone, and reaped


def test_a_forker_s_reader_does_not_keep_the_build_from_forking_card_drawers(monkeypatch):
    """The social cards and the images are made in processes forked for them only while no other
    thread runs whose locks a child could inherit held: the zygote's reader is not one of those (it
    reads a pipe and hands results to the build's futures, which a child never touches); any other
    thread is. (This test process may run other tests' threads: the threads looked at are these.)"""
    import threading

    real = threading.enumerate
    pool = Forker(1)
    try:
        (reader,) = [t for t in real() if t is pool._reader]
        me = threading.current_thread()
        monkeypatch.setattr(threading, "enumerate", lambda: [me])
        assert forker.may_fork()
        monkeypatch.setattr(threading, "enumerate", lambda: [me, reader])
        assert forker.may_fork()
        stop = threading.Event()
        other = threading.Thread(target=stop.wait)
        other.start()
        try:
            monkeypatch.setattr(threading, "enumerate", lambda: [me, reader, other])
            assert not forker.may_fork()
        finally:
            stop.set()
            other.join()
    finally:
        monkeypatch.setattr(threading, "enumerate", real)
        pool.shutdown()
