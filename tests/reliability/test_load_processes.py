"""
Promise 2, load from processes: four processes (``fork`` and ``spawn``) append to one
``{P}_LOGS_OUT`` and each writes a trace file of its own; every record is there once and
whole, and the real tlparse accepts every trace file. A child forked while another thread
holds one of logdial's locks does not deadlock.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from tests.reliability import _support
from tests.reliability._support import PADDING, log_and_trace, messages, process_system
from tests.subprocesses import tlparse

from logdial import LogSystem, warning_once
from logdial._report._tracefile import read_trace

PROCESSES = 4
RECORDS = 500
#: How long a forked child may take before it counts as deadlocked.
CHILD_TIMEOUT = 20.0


def expected_records(names: list[str]) -> collections.Counter[str]:
    """
    The messages ``log_and_trace`` makes for each of ``names`` (graph records included).
    """
    counts: collections.Counter[str] = collections.Counter()
    for who in names:
        counts.update(f"{who} record {i} {PADDING}" for i in range(RECORDS))
        counts.update(f"[__graph] {who} graph {i}" for i in range(0, RECORDS, 50))
    return counts


def check_traces(trace_dir: Path, pids: set[int], tmp_path: Path) -> None:
    """
    One trace file per process in ``pids``, each read back whole by logdial's reader
    and accepted by tlparse with nothing but ``ok`` and ``unknown`` records.
    """
    files = sorted(trace_dir.iterdir())
    seen = set()
    for n, trace in enumerate(files):
        records = list(read_trace(trace))
        seen |= {r.pid for r in records}
        assert 1 == len({r.pid for r in records}), trace.name
        report = tlparse(trace, tmp_path / f"tl{n}")
        assert (0, set()) == (report.returncode, set(report.stats) - {"ok", "unknown"}), report.stderr
        assert report.stats["ok"] > RECORDS
    assert (len(pids), pids) == (len(files), seen)


class TestManyProcesses:
    """
    Four processes share the log file and trace side by side.
    """

    def test_spawn(self, tmp_path: Path) -> None:
        """
        ``spawn`` children, each a fresh interpreter initialised from the variables,
        append to the same file: every record once, every line whole; one trace file per
        child, each accepted by tlparse.
        """
        out, trace_dir = tmp_path / "out.log", tmp_path / "trace"
        context = multiprocessing.get_context("spawn")
        names = [f"spawned{n}" for n in range(PROCESSES)]
        children = [
            context.Process(target=_support.spawned_child, args=(str(out), str(trace_dir), who, RECORDS))
            for who in names
        ]
        for child in children:
            child.start()
        for child in children:
            child.join(timeout=120)
        assert [0] * PROCESSES == [child.exitcode for child in children]
        assert expected_records(names) == collections.Counter(messages(out.read_text(encoding="utf-8")))
        check_traces(trace_dir, {c.pid for c in children if c.pid is not None}, tmp_path)

    def test_fork(self, tmp_path: Path) -> None:
        """
        ``fork`` children inherit the parent's initialised system (its open log file, its
        trace writer with a file already open) and log while the parent does too: every
        record of the five processes once and whole; each child opened a trace file of
        its own, so there are five, each accepted by tlparse.
        """
        out, trace_dir = tmp_path / "out.log", tmp_path / "trace"
        logs = process_system()
        logs.init({"PROC_LOGS": "+core,graph", "PROC_LOGS_OUT": str(out), "PROC_LOGS_CONSOLE": "none"})
        logs.set_trace_dir(trace_dir)
        logs.trace_structured("proc_start", lambda: {"who": "parent"})
        _support.FORKED[:] = [logs]
        context = multiprocessing.get_context("fork")
        names = [f"forked{n}" for n in range(PROCESSES)]
        try:
            children = [context.Process(target=_support.forked_child, args=(who, RECORDS)) for who in names]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() in a process with threads
                for child in children:
                    child.start()
            log_and_trace(logs, "parent", RECORDS)
            for child in children:
                child.join(timeout=120)
        finally:
            _support.FORKED.clear()
            logs.reset()
        assert [0] * PROCESSES == [child.exitcode for child in children]
        assert expected_records([*names, "parent"]) == collections.Counter(messages(out.read_text(encoding="utf-8")))
        check_traces(trace_dir, {os.getpid(), *(c.pid for c in children if c.pid is not None)}, tmp_path)


@contextlib.contextmanager
def _held(lock: AbstractContextManager[object]) -> Iterator[None]:
    """
    Hold ``lock`` in another thread for as long as the ``with`` block lasts.
    """
    taken, done = threading.Event(), threading.Event()

    def hold() -> None:
        with lock:
            taken.set()
            done.wait()

    holder = threading.Thread(target=hold)
    holder.start()
    assert taken.wait(10)
    try:
        yield
    finally:
        done.set()
        holder.join()


def _locks(logs: LogSystem) -> dict[str, Callable[[], AbstractContextManager[object]]]:
    import logdial._lazy

    file_handler = next(h for h in logs._outputs.handlers if isinstance(h, logging.FileHandler))
    return {
        "system": lambda: logs._lock,
        "tracer": lambda: logs._tracer._lock,
        "trace_writer": lambda: logs._tracer.writer._lock,
        "file_handler": lambda: file_handler.lock,  # type: ignore[return-value]
        "warning_once": lambda: logdial._lazy._seen_lock,
    }


class TestForkWhileLocked:
    """
    ``os.fork()`` while another thread holds one of logdial's locks.
    """

    @pytest.mark.parametrize("which", ["system", "tracer", "trace_writer", "file_handler", "warning_once"])
    def test_child_does_not_deadlock(self, which: str, tmp_path: Path) -> None:
        """
        While a thread holds the lock, the main thread forks. The child changes the
        settings, logs, traces and warns once (taking every one of those locks), then
        exits 0 well within the timeout: the fork hooks gave it locks of its own.
        """
        out = tmp_path / "out.log"
        logs = process_system()
        logs.init({"PROC_LOGS_OUT": str(out), "PROC_LOGS_CONSOLE": "none"})
        logs.set_trace_dir(tmp_path / "trace")
        logs.trace_structured("proc_start", lambda: {"who": "parent"})
        lock = _locks(logs)[which]()
        try:
            with _held(lock), warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() in a process with threads
                pid = os.fork()
                if pid == 0:  # pragma: no cover - the child; os._exit, whatever happens
                    code = 1
                    try:
                        logs.set_logs("+core")
                        logging.getLogger("proc.core").debug("child %d", os.getpid())
                        logs.trace_structured("proc_child", lambda: {"n": 1}, payload_fn=lambda: "a\nb")
                        warning_once(logging.getLogger("proc.core"), "child warning %s", which)
                        code = 0
                    finally:
                        os._exit(code)
                status = _wait(pid, CHILD_TIMEOUT)
        finally:
            logs.reset()
        assert (which, 0) == (which, status)
        assert [f"child {pid}", f"child warning {which}"] == messages(out.read_text(encoding="utf-8"))


def _wait(pid: int, timeout: float) -> int | None:
    """
    The exit status of child ``pid``, or ``None`` (and the child killed) when it has
    not exited within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return None
