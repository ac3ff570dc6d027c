"""
Promises 1 and 3 for the outputs themselves: changing them while threads log loses and
duplicates nothing; a log file closed by someone else (``logging.shutdown()``, an
application's ``dictConfig``), rotated (renamed, or truncated in place) or named after
the root logger's prefix keeps receiving records; opening an output never blocks (a FIFO
with no reader), a pipe with a reader loses nothing; a terminal named as the log file
gets the console's escaping.
"""

from __future__ import annotations

import contextlib
import logging
import os
import pty
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.reliability._support import messages
from tests.subprocesses import child_environ, read_pty, run_code

from logdial import LogSystem
from logdial._files import ROTATION_CHECK

THREADS = 4
RECORDS = 20_000
TIMEOUT = 120


@contextlib.contextmanager
def console_file(path: Path) -> Iterator[None]:
    """
    A real file standing in for stderr (what logdial's console handler writes to).
    """
    with open(path, "w", encoding="utf-8") as stream, contextlib.redirect_stderr(stream):
        yield


def log_from_threads(switch: Callable[[int], None]) -> int:
    """
    ``THREADS`` threads log ``RECORDS`` records each on ``shop.core.w<n>`` while this
    thread calls ``switch(i)`` for i = 0, 1, 2... until they are done; how many switches.
    """
    errors: list[BaseException] = []

    def work(n: int) -> None:
        log = logging.getLogger(f"shop.core.w{n}")
        try:
            for i in range(RECORDS):
                log.info("w%d %d", n, i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    switches = 0
    while any(thread.is_alive() for thread in threads):
        switch(switches)
        switches += 1
        time.sleep(0.001)  # lets go of the GIL (see test_load_threads)
    for thread in threads:
        thread.join()
    assert [] == errors
    return switches


def expected() -> Counter[str]:
    """
    Every record of ``log_from_threads``, once.
    """
    return Counter(f"w{n} {i}" for n in range(THREADS) for i in range(RECORDS))


def written_to(files: list[Path]) -> Counter[str]:
    """
    The records of all ``files``, counted.
    """
    return Counter(m for file in files for m in messages(file.read_text(encoding="utf-8")))


def shop() -> LogSystem:
    """
    ``shop`` with one component.
    """
    logs = LogSystem("shop")
    logs.register_log("core", ["shop.core"])
    return logs


class TestReconfigurationUnderLoad:
    """
    A record logged while the outputs change goes to the outputs in force before the
    change or after it, never to neither, never to both.
    """

    def test_set_output_file_back_and_forth(self, tmp_path: Path) -> None:
        """
        80,000 records while ``set_output(file=...)`` alternates between two files
        hundreds of times: each record once, whole, in one of the two; each once on the
        console, whose handler is replaced at every change too.
        """
        logs = shop()
        files = [tmp_path / "a.log", tmp_path / "b.log"]
        logs.set_output(file=str(files[1]))
        with console_file(tmp_path / "console.log"):
            logs.init({"SHOP_LOGS": "core"})
            try:
                switches = log_from_threads(lambda i: logs.set_output(file=str(files[i % 2])))
            finally:
                logs.reset()
        assert switches > 50
        assert expected() == written_to(files)
        assert expected() == Counter(messages((tmp_path / "console.log").read_text(encoding="utf-8")))

    def test_init_with_another_out(self, tmp_path: Path) -> None:
        """
        The same with ``init()`` re-reading an environment whose ``SHOP_LOGS_OUT`` changes.
        """
        logs = shop()
        files = [tmp_path / "a.log", tmp_path / "b.log"]
        logs.set_output(console="none")
        logs.init({"SHOP_LOGS": "core", "SHOP_LOGS_OUT": str(files[1])})
        try:
            switches = log_from_threads(lambda i: logs.init({"SHOP_LOGS": "core", "SHOP_LOGS_OUT": str(files[i % 2])}))
        finally:
            logs.reset()
        assert switches > 50
        assert expected() == written_to(files)


class TestRootPrefixNames:
    """
    CPython's logging leaves a logger made before its parent under the root logger when
    the parent's name is a prefix of "root"; logdial links it.
    """

    @pytest.mark.parametrize("name", ["r", "ro", "roo"])
    def test_records_reach_the_system(self, name: str, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A component logger made before the system's root, and one below it.
        """
        logging.getLogger(f"{name}.core.early").setLevel(logging.NOTSET)  # made first, as a library's module does
        logs = LogSystem(name)
        logs.register_log("core", [f"{name}.core"])
        logs.init({f"{name.upper()}_LOGS": "+core"})
        try:
            logging.getLogger(f"{name}.core.early").debug("early")
            logging.getLogger(f"{name}.core").info("core")
        finally:
            logs.reset()
        assert ["early", "core"] == [line.rpartition("] ")[2] for line in capsys.readouterr().err.splitlines()]


SHUTDOWN_CHILD = """
    import logging, logging.config, sys, threading, time
    from logdial import LogSystem

    logs = LogSystem("shop")
    logs.register_log("core", ["shop.core"])
    logs.init({"SHOP_LOGS": "core", "SHOP_LOGS_OUT": sys.argv[1]})
    log = logging.getLogger("shop.core")
    log.info("before")
    if sys.argv[2] == "shutdown":
        logging.shutdown()
    elif sys.argv[2] == "dictConfig":
        logging.config.dictConfig({"version": 1, "disable_existing_loggers": False})
    log.info("after")
    logs.init({"SHOP_LOGS": "core", "SHOP_LOGS_OUT": sys.argv[1]})
    log.info("after init")

    def daemon():
        for i in range(100_000):
            log.info("daemon %d", i)
            time.sleep(0.0001)

    threading.Thread(target=daemon, daemon=True).start()
    time.sleep(0.2)
"""


class TestClosedByOthers:
    """
    The log file closed by logging itself or by the application.
    """

    @pytest.mark.parametrize("how", ["shutdown", "dictConfig"])
    def test_records_go_on_into_the_file(self, tmp_path: Path, how: str) -> None:
        """
        After ``logging.shutdown()`` or ``dictConfig(..., disable_existing_loggers=False)``
        (both close every handler), the records go on into the file as on the console, and
        ``init()`` again keeps one handler; a daemon thread still logging while the
        interpreter exits (after logging's own shutdown) loses nothing the console shows
        but the record it was handling when the interpreter stopped it.
        """
        log = tmp_path / "shop.log"
        done = run_code(SHUTDOWN_CHILD, str(log), how)
        assert 0 == done.returncode, done.stderr[-2000:]
        console, written = messages(done.stderr), messages(log.read_text(encoding="utf-8"))
        assert ["before", "after", "after init"] == written[:3] == console[:3]
        daemon = [m for m in console if m.startswith("daemon ")]
        assert len(daemon) > 100
        # The interpreter stops a daemon thread wherever it is: the record it was handling
        # may have reached the console and not yet the file. Every one before it did.
        assert set(daemon[:-1]) <= set(written)
        assert len(written) == len(set(written))


def logging_to(path: Path) -> tuple[LogSystem, logging.Logger]:
    """
    ``shop`` initialised with ``core`` at INFO to the file ``path`` alone; its logger.
    """
    logs = shop()
    logs.set_output(console="none", file=str(path))
    logs.init({"SHOP_LOGS": "core"})
    return logs, logging.getLogger("shop.core")


class TestRotation:
    """
    logrotate's two ways: rename the file (then a new one is made at the path), or copy
    it and truncate it in place (``copytruncate``).
    """

    def test_renamed(self, tmp_path: Path) -> None:
        """
        Records go on into the renamed file until the path is checked (within
        ``ROTATION_CHECK``); then into a new file at the path. ``init()`` reopens at once.
        """
        path, rotated = tmp_path / "shop.log", tmp_path / "shop.log.1"
        logs, log = logging_to(path)
        try:
            log.info("one")
            path.rename(rotated)
            time.sleep(ROTATION_CHECK + 0.1)
            log.info("two")
            log.info("three")
            path.rename(tmp_path / "shop.log.2")
            logs.init({"SHOP_LOGS": "core"})
            log.info("four")
        finally:
            logs.reset()
        assert ["one"] == messages(rotated.read_text(encoding="utf-8"))
        assert ["two", "three"] == messages((tmp_path / "shop.log.2").read_text(encoding="utf-8"))
        assert ["four"] == messages(path.read_text(encoding="utf-8"))

    def test_copytruncate(self, tmp_path: Path) -> None:
        """
        A file truncated in place is written from its start (``O_APPEND``: no hole of
        zeros where the old end was).
        """
        path = tmp_path / "shop.log"
        logs, log = logging_to(path)
        try:
            log.info("one")
            os.truncate(path, 0)
            log.info("two")
        finally:
            logs.reset()
        assert ["two"] == messages(path.read_text(encoding="utf-8"))


FIFO_CHILD = """
    import logging, sys
    from logdial import LogSystem

    logs = LogSystem("shop")
    logs.register_log("core", ["shop.core"])
    logs.init({"SHOP_LOGS": "core", "SHOP_LOGS_OUT": sys.argv[1]})
    for i in range(int(sys.argv[2])):
        logging.getLogger("shop.core").info("record %d %s", i, "x" * 200)
    print("done", flush=True)
"""


class TestPipes:
    """
    A FIFO (or a process substitution, ``>(gzip > f)``) as ``SHOP_LOGS_OUT``.
    """

    def test_fifo_without_reader_does_not_block(self, tmp_path: Path) -> None:
        """
        ``init()`` says that the FIFO has no reader, and the program goes on with the console.
        """
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        done = run_code(FIFO_CHILD, str(fifo), "3")
        assert (0, "done\n") == (done.returncode, done.stdout)
        notice = (
            f"SHOP_LOGS_OUT={fifo}: cannot open the log file (a FIFO with no reader; logdial does not wait for one)"
        )
        assert notice in done.stderr
        assert 3 == len([m for m in messages(done.stderr.split("\n", 1)[1]) if m.startswith("record ")])

    def test_slow_reader_loses_nothing(self, tmp_path: Path) -> None:
        """
        With a reader that takes its time (the pipe fills: writes wait), every record
        arrives, whole.
        """
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo)
        received = bytearray()

        def read() -> None:
            with open(fifo, "rb", buffering=0) as pipe:
                while chunk := pipe.read(4096):
                    received.extend(chunk)
                    time.sleep(0.001)

        reader = threading.Thread(target=read)
        reader.start()
        # Held open for the whole run (opening blocks until the reader has opened it):
        # the reader sees the end of the stream only once the child has closed its end too.
        keep = os.open(fifo, os.O_WRONLY)
        try:
            done = run_code(FIFO_CHILD, str(fifo), "2000")
        finally:
            os.close(keep)
        reader.join(TIMEOUT)
        assert (0, "done\n") == (done.returncode, done.stdout), done.stderr[-2000:]
        records = [m for m in messages(received.decode("utf-8")) if m.startswith("record ")]
        assert [f"record {i} {'x' * 200}" for i in range(2000)] == records

    def test_process_substitution(self, tmp_path: Path) -> None:
        """
        ``SHOP_LOGS_OUT=>(gzip > f)`` as a shell gives it (a ``/dev/fd`` path to a pipe
        whose reader compresses): every record arrives, whole.
        """
        import gzip

        out = tmp_path / "shop.log.gz"
        line = '"$0" -c "$1" >(gzip > "$2") 2000; wait $!'
        done = subprocess.run(
            ["bash", "-c", line, sys.executable, textwrap.dedent(FIFO_CHILD), str(out)],
            capture_output=True,
            encoding="utf-8",
            env=child_environ(),
            timeout=TIMEOUT,
            check=False,
        )
        assert (0, "done\n") == (done.returncode, done.stdout), done.stderr[-2000:]
        records = messages(gzip.decompress(out.read_bytes()).decode("utf-8"))
        assert [f"record {i} {'x' * 200}" for i in range(2000)] == records


class TestTerminalAsTheFile:
    """
    ``SHOP_LOGS_OUT=/dev/tty``: a terminal gets the console's escaping, whatever names it.
    """

    def test_escaped(self, tmp_path: Path) -> None:
        """
        A clear-screen, an 8-bit CSI and a bidi override are shown escaped.
        """
        master, slave = pty.openpty()
        try:
            terminal = os.ttyname(slave)
            logs = shop()
            logs.set_output(console="none", file=terminal)
            logs.init({"SHOP_LOGS": "core"})
            try:
                logging.getLogger("shop.core").info("a\x1b[2Jb\x9bc\u202ed")
            finally:
                logs.reset()
            shown = read_pty(master, timeout=5).decode("utf-8")
        finally:
            os.close(slave)
            os.close(master)
        assert shown.endswith("] a\\x1b[2Jb\\x9bc\\u202ed\r\n")
        assert "\x1b" not in shown


def test_console_file_helper(tmp_path: Path) -> None:
    """
    The stand-in console really receives logdial's console output (so the tests above
    that count console records are not counting an empty file).
    """
    logs = shop()
    with console_file(tmp_path / "console.log"):
        logs.init({"SHOP_LOGS": "core"})
        logging.getLogger("shop.core").info("seen")
        logs.reset()
    assert ["seen"] == messages((tmp_path / "console.log").read_text(encoding="utf-8"))


EMFILE_CHILD = """
    import logging, os, resource, sys
    from logdial import LogSystem

    logs = LogSystem("shop")
    logs.register_log("core", ["shop.core"])
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    taken = []
    try:
        while True:
            taken.append(os.open(os.devnull, os.O_RDONLY))
    except OSError:
        pass
    env = {"SHOP_LOGS": "+core", "SHOP_LOGS_OUT": sys.argv[1], "SHOP_TRACE": sys.argv[2]}
    logs.init(env)  # every descriptor is taken: nothing logdial loads or opens can be read
    logging.getLogger("shop.core").warning("while none is left")
    logs.trace_structured("while_none_is_left", dict)
    for fd in taken:
        os.close(fd)
    logs.init(env)
    logging.getLogger("shop.core").debug("once they are back")
    print("done")
"""


class TestNoDescriptorLeft:
    """
    ``init()`` when the process has no file descriptor left (``EMFILE``).
    """

    def test_init_reports_and_goes_on(self, tmp_path: Path) -> None:
        """
        Each thing that cannot be loaded or opened is said in one line; the defaults
        and the console apply; ``init()`` again, once descriptors are back, applies all.
        """
        log = tmp_path / "shop.log"
        done = run_code(EMFILE_CHILD, str(log), str(tmp_path / "trace"))
        assert (0, "done\n") == (done.returncode, done.stdout), done.stderr[-2000:]
        lines = done.stderr.splitlines()
        assert [
            "SHOP_LOGS cannot be read now: cannot load a part of logdial (Too many open files); the defaults apply",
            f"SHOP_LOGS_OUT={log}: cannot open the log file (Too many open files); logging to the console only",
            "SHOP_TRACE cannot be used now: cannot load a part of logdial (Too many open files); tracing is off",
        ] == lines[:3]
        assert ["while none is left", "once they are back"] == messages("\n".join(lines[3:]) + "\n")
        assert ["once they are back"] == messages(log.read_text(encoding="utf-8"))


FULL_CHILD = """
    import logging, resource, signal, sys
    from logdial import LogSystem

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit a write fails (EFBIG), as on a full disk
    logs = LogSystem("shop")
    logs.register_log("core", ["shop.core"])
    logs.set_output(console="none", file=sys.argv[1])
    logs.init({"SHOP_LOGS": "core"})
    log = logging.getLogger("shop.core")
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (10_000, hard))
    for i in range(100):
        log.info("before %d %s", i, "y" * 150)
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))  # space comes back
    for i in range(20):
        log.info("after %d %s", i, "z" * 150)
"""


class TestFullDisk:
    """
    A log file that cannot grow part way through a record (a full disk; here a real
    file-size limit, ``RLIMIT_FSIZE``, which fails writes the same way).
    """

    def test_no_record_cut_short(self, tmp_path: Path) -> None:
        """
        The record cut short at the limit is taken back; once space comes back every
        record is whole, on a line of its own, and none is lost after that.
        """
        log = tmp_path / "shop.log"
        done = run_code(FULL_CHILD, str(log))
        assert 0 == done.returncode, done.stderr
        assert "cannot write the log file" in done.stderr
        shown = messages(log.read_text(encoding="utf-8"))  # every line whole
        before = [m for m in shown if m.startswith("before ")]
        assert 0 < len(before) < 100
        assert before == [f"before {i} {'y' * 150}" for i in range(len(before))]
        assert [f"after {i} {'z' * 150}" for i in range(20)] == [m for m in shown if m.startswith("after ")]


NONBLOCKING_CHILD = """
    import logging, os, sys
    from logdial import LogSystem

    os.set_blocking(2, False)  # as a parent program sharing the pipe may leave it
    logs = LogSystem("shop")
    logs.register_log("core", ["shop.core"])
    logs.init({"SHOP_LOGS": "core"})
    for i in range(int(sys.argv[1])):
        logging.getLogger("shop.core").info("record %d %s", i, "x" * 300)
"""


class TestNonBlockingConsole:
    """
    A console whose descriptor another program made non-blocking (``O_NONBLOCK``).
    """

    def test_burst_to_a_slow_reader(self, tmp_path: Path) -> None:
        """
        5,000 records (1.6 MB) into a pipe read 4 KiB every millisecond: every record
        arrives, whole (the stream refuses them while the pipe is full; logdial waits for
        room, up to ``NONBLOCKING_WAIT`` per record).
        """
        with subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(NONBLOCKING_CHILD), "5000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=child_environ(),
        ) as child:
            assert child.stderr is not None
            received = bytearray()
            deadline = time.monotonic() + TIMEOUT
            while chunk := os.read(child.stderr.fileno(), 4096):
                received.extend(chunk)
                time.sleep(0.001)
                assert time.monotonic() < deadline, "the child hangs"
            assert 0 == child.wait(timeout=TIMEOUT)
        shown = messages(received.decode("utf-8"))
        assert [f"record {i} {'x' * 300}" for i in range(5000)] == shown
