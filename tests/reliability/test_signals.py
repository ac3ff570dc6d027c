"""
Promise 1 under signals: a record logged or traced by a signal handler that interrupted a
write of the same output is written once, whole, right after that write; it is not
dropped, and no lock inside logdial deadlocks on it (the handler runs in the thread that
holds the lock). Also the other ways back into a write: an argument whose ``repr()``
traces, and one whose ``repr()`` raises anything at all.

Each case runs in a child process with a real interval timer (``SIGALRM`` every 0.2 ms)
firing while the main loop logs; a deadlock would show as the child's timeout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.reliability._support import messages
from tests.subprocesses import run_code

#: How many records the main loop of each child logs.
RECORDS = 20_000

LOGGING_CHILD = """
    import json, logging, signal, sys
    from logdial import LogSystem

    logs = LogSystem("sig")
    logs.register_log("core", ["sig.core"])
    logs.init({"SIG_LOGS": "core", "SIG_LOGS_OUT": sys.argv[1]})
    log = logging.getLogger("sig.core")
    fired = 0

    def on_alarm(signum, frame):
        global fired
        fired += 1
        log.info("signal %d %s", fired, "y" * 200)

    signal.signal(signal.SIGALRM, on_alarm)
    interval = float(sys.argv[3])
    signal.setitimer(signal.ITIMER_REAL, interval, interval)
    for i in range(int(sys.argv[2])):
        log.info("main %d %s", i, "x" * 300)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps(fired))
"""


#: A console like ``TextIOWrapper`` over ``BufferedWriter``: a write that is re-entered
#: (by a signal handler that runs in the middle of it) raises ``RuntimeError``. Each write
#: sends the process a signal half way through, and the handler logs, for its first
#: ``SIGNALLED`` signals.
STRICT_CONSOLE_CHILD = """
    import io, json, logging, os, signal, sys
    from logdial import LogSystem

    class StrictConsole(io.TextIOBase):
        def __init__(self):
            self.parts, self.inside = [], False

        def write(self, text):
            if self.inside:
                raise RuntimeError("reentrant call inside StrictConsole")
            self.inside = True
            try:
                self.parts.append(text[: len(text) // 2])
                os.kill(os.getpid(), signal.SIGUSR1)  # handled before the next line runs
                self.parts.append(text[len(text) // 2 :])
            finally:
                self.inside = False
            return len(text)

    console = StrictConsole()
    sys.stderr = console
    logs = LogSystem("sig")
    logs.register_log("core", ["sig.core"])
    logs.init({"SIG_LOGS": "core"})
    log = logging.getLogger("sig.core")
    fired = 0

    def on_signal(signum, frame):
        global fired
        if fired < int(sys.argv[2]):
            fired += 1
            log.info("signal %d", fired)

    signal.signal(signal.SIGUSR1, on_signal)
    for i in range(int(sys.argv[1])):
        log.info("main %d", i)
    logging.shutdown()  # flushes: a record logged during the last write is written then
    sys.stderr = sys.__stderr__
    print(json.dumps(["".join(console.parts), fired]))
"""


class TestRecordsFromSignalHandlers:
    """
    Records logged by a signal handler, to the console (a pipe) and to the file.
    """

    def test_a_write_interrupted_by_a_record(self) -> None:
        """
        A record logged by a signal handler in the middle of a console write is written
        whole, right after it, not into it (the stream would raise; the stdlib's
        handlers lose such records); each of 200 records sets off one such signal.
        """
        done = run_code(STRICT_CONSOLE_CHILD, "200", "150")
        assert 0 == done.returncode, done.stderr[-2000:]
        text, fired = json.loads(done.stdout)
        assert 150 == fired
        shown = messages(text)
        assert [f"main {i}" for i in range(200)] == [m for m in shown if m.startswith("main ")]
        assert [f"signal {i}" for i in range(1, 151)] == [m for m in shown if m.startswith("signal ")]
        assert "Logging error" not in done.stderr

    def test_each_written_once_and_whole(self, tmp_path: Path) -> None:
        """
        Every record of the main loop and every record of the signal handler (as many
        as the handler counted: thousands) is in the console output and in the file,
        once each, as whole lines.
        """
        log = tmp_path / "sig.log"
        done = run_code(LOGGING_CHILD, str(log), str(RECORDS), "0.0002")
        assert 0 == done.returncode, done.stderr[-2000:]
        fired = json.loads(done.stdout)
        assert fired > 100  # the timer really interrupted the loop
        main = [f"main {i} {'x' * 300}" for i in range(RECORDS)]
        signalled = {f"signal {i} {'y' * 200}" for i in range(1, fired + 1)}
        for where, text in (("console", done.stderr), ("file", log.read_text(encoding="utf-8"))):
            shown = messages(text)
            assert main == [m for m in shown if m.startswith("main ")], where
            from_signals = [m for m in shown if m.startswith("signal ")]
            assert (fired, signalled) == (len(from_signals), set(from_signals)), where


TRACING_CHILD = """
    import json, signal, sys
    from logdial import LogSystem

    logs = LogSystem("sig")
    logs.set_trace_dir(sys.argv[1])
    fired = 0

    def on_alarm(signum, frame):
        global fired
        fired += 1
        n = fired
        logs.trace_structured("from_signal", lambda: {"n": n}, payload_fn=lambda: "p\\n" * 20, suppress_context=True)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)  # (a handler must end before the next signal)
    for i in range(int(sys.argv[2])):
        logs.trace_structured("main_step", lambda i=i: {"i": i}, payload_fn=lambda: "q\\n" * 20, suppress_context=True)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print(json.dumps(fired))
"""


def trace_events(directory: Path) -> list[dict[str, object]]:
    """
    The records of the one trace file in ``directory``, read by logdial's reader.
    """
    from logdial._report._tracefile import read_trace

    (trace,) = directory.glob("dedicated_log_torch_trace_*.log")
    return [record.envelope for record in read_trace(trace)]


class TestTracesFromSignalHandlers:
    """
    ``trace_structured`` from a signal handler while the main thread traces: no deadlock.
    """

    def test_no_deadlock_and_every_record(self, tmp_path: Path) -> None:
        """
        The child ends; every record of both is in the trace file, once each.
        """
        done = run_code(TRACING_CHILD, str(tmp_path), str(RECORDS // 4))
        assert 0 == done.returncode, done.stderr[-2000:]
        fired = json.loads(done.stdout)
        assert fired > 10
        events = trace_events(tmp_path)
        main = [e["main_step"]["i"] for e in events if "main_step" in e]  # type: ignore[index]
        signalled = sorted(e["from_signal"]["n"] for e in events if "from_signal" in e)  # type: ignore[index]
        assert list(range(RECORDS // 4)) == main
        assert list(range(1, fired + 1)) == signalled


REPR_CHILD = """
    import json, sys
    from logdial import LogSystem

    logs = LogSystem("rep")
    logs.set_trace_dir(sys.argv[1])

    class Tracing:
        def __repr__(self):
            logs.trace_structured("inside_repr", lambda: {"from": "repr"})
            return "<tracing>"

    class HalfBuilt:
        def __init__(self, error):
            self.error = error

        def __repr__(self):
            raise self.error

    logs.trace_structured("outer", lambda: {"value": Tracing()})
    for error in (AttributeError("half built"), KeyError("k"), OSError(5, "io"), RuntimeError("r")):
        logs.trace_structured("bad", lambda error=error: {"value": HalfBuilt(error)})
        logs.trace_structured("bad_payload", dict, payload_fn=lambda error=error: [HalfBuilt(error)])
    logs.trace_structured("after", dict)
    print(json.dumps("done"))
"""


class TestReprOfValues:
    """
    A value's ``repr()`` runs before the trace file is locked, and whatever it raises
    is reported, never raised into the caller.
    """

    def test_repr_that_traces_and_repr_that_raises(self, tmp_path: Path) -> None:
        """
        A ``repr`` that traces adds its record first; ``repr``s that raise
        ``AttributeError``, ``KeyError``, ``OSError`` or any other exception are
        reported on stderr (once per event name and error); the program goes on.
        """
        done = run_code(REPR_CHILD, str(tmp_path))
        assert (0, '"done"\n') == (done.returncode, done.stdout), done.stderr[-2000:]
        names = [next(iter(e)) for e in trace_events(tmp_path)]
        assert ["inside_repr", "outer", "after"] == [n for n in names if n not in ("str", "stack")]
        for name in ("bad", "bad_payload"):
            assert 4 == done.stderr.count(f"trace_structured({name!r}) skipped a record"), done.stderr
        for error in ("AttributeError: half built", "KeyError: 'k'", "OSError: [Errno 5] io", "RuntimeError: r"):
            assert 2 == done.stderr.count(error), error


#: Logs "outer 0..2" to the file, whose handler has a filter or a formatter (``argv[2]``)
#: that logs "inner for ..." while it handles each of them.
NOISY_CHILD = """
    import logging, sys
    from logdial import LogSystem

    logs = LogSystem("sig")
    logs.register_log("core", ["sig.core"])
    logs.init({"SIG_LOGS": "core", "SIG_LOGS_OUT": sys.argv[1]})
    log = logging.getLogger("sig.core")

    def log_inside(record):
        if record.getMessage().startswith("outer"):
            log.info("inner for %s", record.getMessage())

    class NoisyFilter(logging.Filter):
        def filter(self, record):
            log_inside(record)
            return True

    class NoisyFormatter(logging.Formatter):
        def format(self, record):
            log_inside(record)
            return super().format(record)

    for handler in logging.getLogger("sig").handlers:
        if isinstance(handler, logging.FileHandler):
            if sys.argv[2] == "filter":
                handler.addFilter(NoisyFilter())
            else:
                handler.setFormatter(NoisyFormatter("%(message)s"))
    for i in range(3):
        log.info("outer %d", i)
"""


class TestHandlersThatLog:
    """
    Code that logs from inside logdial's handling of a record (a filter or a formatter an
    application put on logdial's handler) re-enters the handler's lock in the same thread.
    """

    @pytest.mark.parametrize(
        ("noisy", "first"),
        [
            # a filter runs before the handler takes its lock: its record is written first
            ("filter", "inner"),
            # a formatter runs under the lock, while the output is being written: its
            # record waits, and is written right after
            ("formatter", "outer"),
        ],
    )
    def test_each_once_and_whole(self, tmp_path: Path, noisy: str, first: str) -> None:
        """
        The record logged from inside is written once, whole, before or right after the
        one being handled; nothing deadlocks.
        """
        log = tmp_path / "sig.log"
        done = run_code(NOISY_CHILD, str(log), noisy)
        assert 0 == done.returncode, done.stderr
        pairs = [(f"inner for outer {i}", f"outer {i}") for i in range(3)]
        expected = [m for inner, outer in pairs for m in ((inner, outer) if first == "inner" else (outer, inner))]
        lines = log.read_text(encoding="utf-8").splitlines()
        assert expected == (messages(log.read_text(encoding="utf-8")) if noisy == "filter" else lines)
