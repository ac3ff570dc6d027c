"""
Promise 3, faults: an unusable ``{P}_LOGS_OUT``, a full disk, a closed or broken console
stream, an unusable trace directory, a trace file deleted under the program, and a
``KeyboardInterrupt`` in the middle of a write. Each is said once (or not at all, for a
broken pipe), never as a traceback per record, and the program goes on.

Real files, ``/dev/full``, real pipes and FIFOs, real signals and real subprocesses.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import signal
import subprocess
import sys
import termios
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest
from tests.reliability._support import GLOG_LINE, messages
from tests.subprocesses import child_environ

import logdial
from logdial import LogSystem

#: The line the demo's own application handler (logging.basicConfig) prints on stderr.
APP_LINE = "app: WARNING some.random.module: user code: toy_fn is compiled with an experimental backend"
FULL = "/dev/full"
#: The notice of a log file that cannot be written, after the path.
DROPPED = "records that cannot be written are dropped, and this is not reported again"


def warn_many(count: int, name: str = "testsys.core") -> None:
    """
    ``count`` warnings ``record 0``, ``record 1``, ... on logger ``name``.
    """
    log = logging.getLogger(name)
    for i in range(count):
        log.warning("record %d", i)


def records(count: int) -> str:
    """
    What ``warn_many(count)`` prints with the format ``%(message)s``.
    """
    return "".join(f"record {i}\n" for i in range(count))


def python(
    code: str, *, shell_redirect: str = "", stdout: int | None = subprocess.PIPE, **variables: str
) -> tuple[int, str, str]:
    """
    Run ``python -c code`` (through ``sh`` when ``shell_redirect`` is given, e.g.
    ``">&-"``); (status, stdout, stderr).
    """
    command = [sys.executable, "-c", code]
    if shell_redirect:
        command = ["sh", "-c", f'exec "$0" "$@" {shell_redirect}', *command]
    done = subprocess.run(
        command,
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=child_environ(**variables),
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    return done.returncode, done.stdout or "", done.stderr


#: A program with a system "app" whose console and variables the test chooses.
PROGRAM = textwrap.dedent(
    """
    import logging, os, sys
    import logdial
    logs = logdial.LogSystem("app")
    logs.register_log("core", ["app.core"])
    logs.init()
    log = logging.getLogger("app.core")
    {body}
    print("done", file=sys.stderr)
    """
)


class TestLogFile:
    """
    ``{P}_LOGS_OUT`` that cannot be opened, or that cannot take the records.
    """

    def test_missing_directory(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A directory that does not exist: one message at ``init()`` naming the path and
        the reason, and the console goes on.
        """
        path = tmp_path / "missing" / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn_many(3)
        expected = (
            f"TESTSYS_LOGS_OUT={path}: cannot open the log file (No such file or directory); "
            "logging to the console only\n" + records(3)
        )
        assert ("", expected) == tuple(capsys.readouterr())

    def test_not_writable(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A path that cannot be created (its parent is a regular file, which even root
        cannot write into): the same one message, with that reason.
        """
        (tmp_path / "file").write_text("not a directory\n", encoding="utf-8")
        path = tmp_path / "file" / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(path), "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn_many(3)
        expected = (
            f"TESTSYS_LOGS_OUT={path}: cannot open the log file (Not a directory); logging to the console only\n"
            + records(3)
        )
        assert ("", expected) == tuple(capsys.readouterr())

    def test_full_disk(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``/dev/full``: every write fails with ENOSPC. It is said once, in one line
        naming the file and the reason, through the handler's error path (not one
        traceback per record); the console gets every record, and the program goes on.
        """
        system.init({"TESTSYS_LOGS_OUT": FULL, "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn_many(100)
        notice = f"testsys logs: cannot write the log file {FULL} (No space left on device); {DROPPED}\n"
        # The console handler comes first: record 0 is shown, then the file fails.
        assert records(1) + notice + records(100)[len(records(1)) :] == capsys.readouterr().err

    def test_full_disk_silent_without_raise_exceptions(
        self, system: LogSystem, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        ``logging.raiseExceptions = False`` (what production code sets to silence
        logging's own error reports) silences this report too.
        """
        monkeypatch.setattr(logging, "raiseExceptions", False)
        system.init({"TESTSYS_LOGS_OUT": FULL, "TESTSYS_LOGS_FORMAT": "%(message)s"})
        warn_many(5)
        assert ("", records(5)) == tuple(capsys.readouterr())

    def test_full_disk_in_a_real_program(self) -> None:
        """
        The demo with ``TORCH_LOGS_OUT=/dev/full`` prints what it prints without it,
        plus the one notice, and exits 0.
        """
        base = python("import runpy; runpy.run_module('logdial.demo', run_name='__main__')", TORCH_LOGS="+dynamo")
        full = python(
            "import runpy; runpy.run_module('logdial.demo', run_name='__main__')",
            TORCH_LOGS="+dynamo",
            TORCH_LOGS_OUT=FULL,
        )
        notice = f"minitorch logs: cannot write the log file {FULL} (No space left on device); {DROPPED}"
        lines = full[2].splitlines()
        assert (0, 1) == (full[0], lines.count(notice))
        without = [GLOG_LINE.sub(r"\g<msg>", line) for line in lines if line != notice]
        assert [GLOG_LINE.sub(r"\g<msg>", line) for line in base[2].splitlines()] == without
        assert "Traceback" not in full[2]


class TestConsole:
    """
    The console stream closed, or a pipe whose reader went away.
    """

    def test_demo_into_a_closed_pipe(self) -> None:
        """
        ``python -m logdial.demo`` logging to stdout, a pipe whose reader is already
        gone: the console handler stops at the first broken pipe, quietly. No traceback,
        no "Exception ignored" from Python's flush at exit (the handler flushes every
        record, so nothing is left over), only the application's own line on stderr,
        and status 0.
        """
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "logdial.demo"],
                stdout=write,
                stderr=subprocess.PIPE,
                env=child_environ(TORCH_LOGS="+dynamo,+aot,+inductor", TORCH_LOGS_CONSOLE="stdout"),
                encoding="utf-8",
                timeout=60,
                check=False,
            )
        finally:
            os.close(write)
        assert (0, APP_LINE + "\n") == (done.returncode, done.stderr)

    def test_demo_into_head(self) -> None:
        """
        ``python -m logdial.demo | head -1``, all logs on stdout: one glog line comes out,
        and stderr holds only the application's line, whether the demo was still
        writing when ``head`` left or not.
        """
        done = subprocess.run(
            ["sh", "-c", f'"{sys.executable}" -m logdial.demo | head -1'],
            capture_output=True,
            env=child_environ(TORCH_LOGS="+dynamo,+aot,+inductor", TORCH_LOGS_CONSOLE="stdout"),
            encoding="utf-8",
            timeout=60,
            check=False,
        )
        assert (0, APP_LINE + "\n") == (done.returncode, done.stderr)
        assert 1 == len(messages(done.stdout))

    def test_library_into_a_closed_pipe(self) -> None:
        """
        Any program (not only the demo) logging 1,000 records to a stdout pipe with no
        reader: nothing on stderr but the program's own line, and status 0.
        """
        read, write = os.pipe()
        os.close(read)
        try:
            done = python(
                PROGRAM.format(body="for i in range(1000): log.warning('record %d', i)"),
                stdout=write,
                APP_LOGS_CONSOLE="stdout",
            )
        finally:
            os.close(write)
        assert (0, "done\n") == (done[0], done[2])

    @pytest.mark.parametrize("closed", ["stdout", "stderr"])
    def test_stream_closed_at_start(self, closed: str) -> None:
        """
        A program started with its console stream closed (``>&-``, ``2>&-``): Python
        sets ``sys.stdout`` (or ``sys.stderr``) to ``None``, the records are dropped, and
        the program runs to its end with status 0.
        """
        body = "for i in range(100): log.warning('record %d', i)\nopen(os.environ['DONE'], 'w').close()"
        marker = Path(os.environ.get("TMPDIR", "/tmp")) / f"logdial-done-{os.getpid()}-{closed}"
        marker.unlink(missing_ok=True)
        redirect = ">&-" if closed == "stdout" else "2>&-"
        status, _, err = python(
            PROGRAM.format(body=body), shell_redirect=redirect, APP_LOGS_CONSOLE=closed, DONE=str(marker)
        )
        assert (0, True) == (status, marker.exists())
        assert err in ("", "done\n")
        marker.unlink()

    def test_descriptor_closed_while_running(self) -> None:
        """
        The console's descriptor closed under the program (``os.close(1)``): one line
        on stderr names the stream and the reason, the 100 records after it are dropped
        without a word, and the program goes on.
        """
        body = "log.warning('first')\nos.close(1)\nfor i in range(100): log.warning('record %d', i)"
        status, _, err = python(PROGRAM.format(body=body), APP_LOGS_CONSOLE="stdout")
        notice = (
            "app logs: cannot write to stdout (Bad file descriptor); "
            "records that cannot be written are dropped, and this is not reported again"
        )
        assert (0, f"{notice}\ndone\n") == (status, err)


class TestTrace:
    """
    The trace directory unusable, or the trace file removed while the program runs.
    """

    def test_directory_unwritable(self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A trace directory that cannot be created (under a regular file): one warning
        naming it and the reason, tracing turns off, and further trace calls are quiet.
        """
        (tmp_path / "file").write_text("", encoding="utf-8")
        trace_dir = tmp_path / "file" / "trace"
        system.init({"TESTSYS_TRACE": str(trace_dir)})
        for n in range(20):
            system.trace_structured("testsys_step", lambda n=n: {"n": n})
        expected = (
            f"TESTSYS_TRACE: cannot create a trace file in {str(trace_dir)!r} (Not a directory); tracing is off\n"
        )
        assert (expected, False, None) == (capsys.readouterr().err, system.tracing, system.trace_file)

    def test_file_deleted_while_running(
        self, system: LogSystem, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        The trace file, then its whole directory, removed while records are being
        written: no exception and no message; the writes go on (to the removed file).
        """
        trace_dir = tmp_path / "trace"
        system.set_trace_dir(trace_dir)
        system.trace_structured("testsys_step", lambda: {"n": 0})
        path = system.trace_file
        assert path is not None
        os.unlink(path)
        for n in range(50):
            system.trace_structured("testsys_step", lambda n=n: {"n": n}, payload_fn=lambda: "a\nb")
        shutil.rmtree(trace_dir)
        for n in range(50):
            system.trace_artifact("plan", lambda n=n: f"step {n}")
        assert (path, True, "") == (system.trace_file, system.tracing, capsys.readouterr().err)


#: Where a log call runs: logging's code and logdial's record-time modules.
_LOGGING_CODE = frozenset(
    {
        logging.__file__,
        *(
            str(Path(logdial.__file__).with_name(n))
            for n in ("_handlers.py", "_console.py", "_files.py", "_writes.py", "_formatting.py", "_fast.py")
        ),
    }
)


@pytest.fixture
def interrupts() -> Iterator[list[int]]:
    """
    A SIGALRM handler that raises ``KeyboardInterrupt`` (as Ctrl-C's does) while armed
    (the list's one item is 1) and the signal arrives in the code of a log call, not in
    a finalizer or in pytest, where an exception would be reported as unraisable.
    """
    armed = [0]

    def handler(signum: int, frame: FrameType | None) -> None:
        if armed[0] and (frame is None or frame.f_code.co_filename in _LOGGING_CODE):
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        yield armed
    finally:
        armed[0] = 0
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class TestKeyboardInterrupt:
    """
    A ``KeyboardInterrupt`` in the middle of a log call leaves only whole lines.
    """

    def test_interrupt_storm_on_a_file(self, system: LogSystem, tmp_path: Path, interrupts: list[int]) -> None:
        """
        Records logged while an interval timer raises ``KeyboardInterrupt`` every 0.3 ms
        (in formatting, in the write, in logging's own code): afterwards the file holds
        only whole lines, each record at most once, and the records logged once the
        storm is over are all there.
        """
        out = tmp_path / "out.log"
        system.init({"TESTSYS_LOGS_OUT": str(out), "TESTSYS_LOGS_CONSOLE": "none"})
        log = logging.getLogger("testsys.core")
        interrupted = 0
        interrupts[0] = 1
        signal.setitimer(signal.ITIMER_REAL, 0.0003, 0.0003)
        for i in range(20_000):
            try:
                log.warning("record %d %s", i, "y" * 200)
            except KeyboardInterrupt:
                interrupted += 1
        signal.setitimer(signal.ITIMER_REAL, 0)
        interrupts[0] = 0
        for i in range(10):
            log.warning("after %d", i)
        lines = messages(out.read_text(encoding="utf-8"))
        logged = [line for line in lines if line.startswith("record ")]
        assert interrupted > 10
        assert len(set(logged)) == len(logged)
        assert all(line == f"{line.split()[0]} {line.split()[1]} {'y' * 200}" for line in logged)
        assert [f"after {i}" for i in range(10)] == lines[-10:]

    def test_interrupted_write_on_a_pipe(self, system: LogSystem, tmp_path: Path, interrupts: list[int]) -> None:
        """
        ``{P}_LOGS_OUT`` a FIFO whose reader is slow: a 1 MB record blocks in the middle
        of its write and Ctrl-C arrives. That record is cut short (a pipe holds what was
        written), but the records before it are whole and the next one starts on a line
        of its own, with its prefix.
        """
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        received: list[bytes] = []
        may_read = threading.Event()
        opened = threading.Event()
        read_fd: list[int] = []

        def reader() -> None:
            # Opened before the writer (logdial does not wait for a reader): without
            # blocking, then blocking, for the reads once the writer is there.
            fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
            os.set_blocking(fd, True)
            read_fd.append(fd)
            opened.set()
            may_read.wait()
            while chunk := os.read(fd, 1 << 16):
                received.append(chunk)
            os.close(fd)

        thread = threading.Thread(target=reader)
        thread.start()
        assert opened.wait(10)
        system.init({"TESTSYS_LOGS_OUT": str(fifo), "TESTSYS_LOGS_CONSOLE": "none"})
        log = logging.getLogger("testsys.core")
        log.warning("before")

        def interrupt_once_blocked() -> None:
            # The pipe is full (64 KiB here) once the writer blocks: then interrupt it.
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                pending = fcntl.ioctl(read_fd[0], termios.FIONREAD, b"\0\0\0\0")
                if int.from_bytes(pending, sys.byteorder) >= 4096:
                    break
                time.sleep(0.01)
            time.sleep(0.05)
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGALRM)

        interrupts[0] = 1
        killer = threading.Thread(target=interrupt_once_blocked)
        killer.start()
        with pytest.raises(KeyboardInterrupt):
            log.warning("huge %s", "z" * (1 << 20))
        interrupts[0] = 0
        killer.join()
        may_read.set()
        log.warning("after")
        system.reset()  # closes the FIFO: the reader sees its end
        thread.join(10)
        lines = b"".join(received).decode("utf-8").split("\n")
        shown = [GLOG_LINE.fullmatch(line) for line in lines[:-1]]
        assert (3, "") == (len(shown), lines[-1])
        assert all(shown), lines[:-1]
        before, cut, after = (m["msg"] for m in shown if m is not None)
        assert ("before", "after") == (before, after)
        assert (True, True) == (cut.startswith("huge zzz"), len(cut) < (1 << 20))
