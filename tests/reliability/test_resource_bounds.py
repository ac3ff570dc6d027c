"""
Promise 7, resource bounds: everything logdial remembers while a program runs has a
bound, whatever the program logs or traces; and registering 10,000 artifacts and loggers
works. (That ``init()`` and ``set_logs`` stay linear in the number of names is measured
by the benchmarks, not here: a test asserts behaviour, not time.)
"""

from __future__ import annotations

import contextlib
import gc
import io
import logging
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from tests.subprocesses import tlparse

from logdial import LogSystem, _formatting, _lazy, warning_once
from logdial._formatting import _PATH_CACHE_LIMIT, GlogFormatter
from logdial._notices import NOTICE_LIMIT
from logdial._report._tracefile import read_trace
from logdial._trace import STRING_TABLE_LIMIT


def steady_growth(batch: Callable[[int], None]) -> int:
    """
    The memory that one more ``batch(n)`` adds, measured after two batches were run
    under tracemalloc (which sees only what is allocated while it runs, so the first
    ones fill whatever is bounded with memory it knows of).
    """
    gc.collect()
    tracemalloc.start()
    try:
        batch(0)
        batch(1)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        batch(2)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


class TestWarningOnce:
    """
    ``warning_once`` remembers at most ``WARNING_ONCE_LIMIT`` warnings.
    """

    def test_a_million_distinct_warnings(self) -> None:
        """
        After a million distinct warnings the memory holds ``WARNING_ONCE_LIMIT`` of
        them, and 20,000 more add nothing to the memory.
        """
        log = logging.getLogger("bounds.quiet")
        log.setLevel(logging.CRITICAL)  # the records themselves are not the point
        for i in range(1_000_000):
            warning_once(log, "distinct %d", i)
        assert _lazy.WARNING_ONCE_LIMIT == len(_lazy._seen)

        def more(batch: int) -> None:
            for i in range(20_000):
                warning_once(log, "distinct %d", 1_000_000 + batch * 20_000 + i)

        assert steady_growth(more) < 16 * 1024
        assert _lazy.WARNING_ONCE_LIMIT == len(_lazy._seen)


class TestFormatterMemo:
    """
    The formatter's memo of relative paths (one entry per source file) is bounded.
    """

    def test_many_source_files(self) -> None:
        """
        Records from 20,000 different files: the memo never holds more than its
        limit, and the paths are still right.
        """
        formatter = GlogFormatter()
        sizes = set()
        for i in range(20_000):
            record = logging.LogRecord("bounds", logging.INFO, f"/generated/file_{i}.py", 1, "m", None, None)
            assert f"/generated/file_{i}.py:1] m" in formatter.format(record)
            sizes.add(len(_formatting._path_memo[1]))
        assert max(sizes) <= _PATH_CACHE_LIMIT


class TestTraceStringTable:
    """
    A trace file's string table (file names of stacks) is bounded in memory.
    """

    def test_many_file_names(self, system: LogSystem, tmp_path: Path) -> None:
        """
        Stacks from 6,000 differently named files (generated code, as torch.fx makes):
        the table in memory never passes ``STRING_TABLE_LIMIT``; ids are never reused,
        so each record's stack still names its own file; tlparse accepts the file.
        """
        system.set_trace_dir(tmp_path / "trace")
        code = "logs.trace_structured('mylib_step', lambda: {'n': n})"
        sizes = set()
        for n in range(6_000):
            exec(compile(code, f"<generated {n}>", "exec"), {"logs": system, "n": n})
            sizes.add(len(system._tracer.writer._interned))
        assert system.trace_file is not None
        assert max(sizes) <= STRING_TABLE_LIMIT
        names: dict[int, str] = {}
        for record in read_trace(system.trace_file):
            if record.name == "str":
                text, index = record.metadata  # type: ignore[misc]
                assert index not in names
                names[index] = text
            else:
                n = record.metadata["n"]  # type: ignore[index]
                assert f"<generated {n}>" == names[record.envelope["stack"][-1]["filename"]]  # type: ignore[index]
        report = tlparse(Path(system.trace_file), tmp_path / "tl")
        assert (0, set()) == (report.returncode, set(report.stats) - {"ok", "unknown"}), report.stderr


class TestNotices:
    """
    The notices a system prints (and remembers, to print each once) are bounded.
    """

    def test_changing_notices(self, system: LogSystem) -> None:
        """
        Notices whose text changes each time (here ``init()`` called with a new invalid
        ``TESTSYS_LOGS`` again and again): the first ``NOTICE_LIMIT`` are printed, then
        one line says that later ones are not shown, and no more is remembered.
        """
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            for n in range(2 * NOTICE_LIMIT):
                system.init({"TESTSYS_LOGS": f"+core,nope{n}"})
        notices = [line for line in err.getvalue().splitlines() if line.startswith("invalid TESTSYS_LOGS=")]
        assert NOTICE_LIMIT == len(notices)
        last = f"testsys: {NOTICE_LIMIT} different notices so far; later ones are not shown"
        assert (last, NOTICE_LIMIT) == (err.getvalue().splitlines()[-1], len(system._notices.said))

    def test_tracer_complaints_bounded(self, system: LogSystem) -> None:
        """
        The tracer's own memory of complaints is bounded too.
        """
        system.set_trace_dir("/nonexistent-never-created")

        def failing(n: int) -> dict[str, object]:
            raise KeyError(f"missing {n}")

        with contextlib.redirect_stderr(io.StringIO()):
            for n in range(2_000):
                system.trace_structured("mylib_step", lambda n=n: failing(n))
        assert len(system._tracer._complaints) <= NOTICE_LIMIT

    def test_overhead_bounded(self, system: LogSystem, tmp_path: Path) -> None:
        """
        ``trace_overhead()`` keeps a bounded number of contexts.
        """
        system.set_trace_dir(tmp_path / "trace")
        for n in range(5_000):
            with system.trace_context(label=f"step {n}"):
                system.trace_structured("mylib_step", lambda: {})
        assert len(system.trace_overhead()) <= 4096


class TestManyRegistrations:
    """
    10,000 artifacts and 10,000 loggers.
    """

    def test_ten_thousand(self, tmp_path: Path) -> None:
        """
        10,000 artifacts, a component of 10,000 loggers and an artifact logger under
        each: ``init()`` and ``set_logs`` configure them, and records flow.
        """
        out = tmp_path / "out.log"
        logs = LogSystem("many", precedence="api")
        loggers = [f"many.m{i}" for i in range(10_000)]
        logs.register_log("big", loggers)
        for i in range(10_000):
            logs.register_artifact(f"art{i}", f"Artifact {i}.")
        artifact_loggers = [logs.getArtifactLogger(loggers[i], f"art{i}") for i in range(10_000)]
        try:
            logs.init({"MANY_LOGS": "art9999", "MANY_LOGS_OUT": str(out), "MANY_LOGS_CONSOLE": "none"})
            artifact_loggers[9999].debug("shown")
            artifact_loggers[5].debug("hidden")
            logs.set_logs("+big,art5=off")
            artifact_loggers[5].debug("off")
            logging.getLogger(loggers[1234]).debug("component")
            artifact_loggers[6].debug("follows")
        finally:
            logs.reset()
        assert (10_000, 1) == (len(logs.registry.artifacts), len(logs.registry.components))
        lines = out.read_text(encoding="utf-8").splitlines()
        assert ["[__art9999] shown", "component", "[__art6] follows"] == [line.split("] ", 1)[1] for line in lines]
