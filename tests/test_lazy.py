"""LazyString (work done only when a record is formatted) and warning_once."""

from __future__ import annotations

import io
import itertools
import logging
import threading
from collections.abc import Iterator

import pytest

from logdial import LazyString, LogSystem, warning_once
from logdial._lazy import WARNING_ONCE_LIMIT

_names = itertools.count()


class Collect(logging.Handler):
    """
    A handler that keeps the records it is given.
    """

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    @property
    def messages(self) -> list[str]:
        """
        The merged messages, in order.
        """
        return [r.getMessage() for r in self.records]


@pytest.fixture
def collected() -> Iterator[tuple[logging.Logger, Collect]]:
    """
    A logger of its own (warning_once remembers per process, so each test needs fresh
    names) with a collecting handler.
    """
    logger = logging.getLogger(f"lazytest.l{next(_names)}")
    handler = Collect()
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger, handler
    logger.removeHandler(handler)


class Counter:
    """
    A function that counts its calls.
    """

    def __init__(self, text: str = "computed") -> None:
        self.calls: list[tuple[tuple[object, ...], dict[str, object]]] = []
        self.text = text

    def __call__(self, *args: object, **kwargs: object) -> str:
        self.calls.append((args, kwargs))
        return self.text


class TestLazyString:
    """
    LazyString: the function runs only when the text is needed.
    """

    def test_not_called_when_made(self) -> None:
        """
        Making a LazyString calls nothing.
        """
        fn = Counter()
        LazyString(fn, 1, key="v")
        assert [] == fn.calls

    def test_str_calls_with_arguments(self) -> None:
        """
        str() calls the function with the arguments given, each time.
        """
        fn = Counter()
        lazy = LazyString(fn, 1, 2, key="v")
        assert (("computed", "computed"), [((1, 2), {"key": "v"})] * 2) == ((str(lazy), str(lazy)), fn.calls)

    def test_non_string_result(self) -> None:
        """
        A result that is not a str is shown as its str().
        """
        assert "[1, 2]" == str(LazyString(lambda: [1, 2]))

    def test_disabled_logger_never_calls(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        A record below the logger's level is never made, so the function never runs.
        """
        logger, handler = collected
        logger.setLevel(logging.INFO)
        fn = Counter()
        logger.debug("graph: %s", LazyString(fn))
        assert ([], []) == (fn.calls, handler.records)

    def test_filtered_by_the_handler(self) -> None:
        """
        A record that no handler formats (below the handler's level) never runs it.
        """
        stream = io.StringIO()
        handler = logging.StreamHandler(stream)
        handler.setLevel(logging.ERROR)
        logger = logging.getLogger(f"lazytest.l{next(_names)}")
        logger.addHandler(handler)
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        fn = Counter()
        logger.info("graph: %s", LazyString(fn))
        assert ([], "") == (fn.calls, stream.getvalue())

    def test_once_per_format(self) -> None:
        """
        A record formatted by one handler runs the function exactly once; by two
        handlers, once each.
        """
        streams = [io.StringIO(), io.StringIO()]
        logger = logging.getLogger(f"lazytest.l{next(_names)}")
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        logger.addHandler(logging.StreamHandler(streams[0]))
        fn = Counter("3 nodes")
        logger.info("graph: %s", LazyString(fn))
        calls_one = len(fn.calls)
        logger.addHandler(logging.StreamHandler(streams[1]))
        logger.info("graph: %s", LazyString(fn))
        assert ((1, 3), "graph: 3 nodes\ngraph: 3 nodes\n", "graph: 3 nodes\n") == (
            (calls_one, len(fn.calls)),
            streams[0].getvalue(),
            streams[1].getvalue(),
        )

    def test_through_a_system(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Through a LogSystem: nothing is computed for a record the settings hide; a
        record they show computes it once.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
        fn = Counter("the graph")
        logging.getLogger("testsys.core").debug("%s", LazyString(fn))
        hidden = len(fn.calls)
        system.set_logs("+core")
        logging.getLogger("testsys.core").debug("%s", LazyString(fn))
        assert ((0, 1), "the graph\n") == ((hidden, len(fn.calls)), capsys.readouterr().err)

    def test_repr(self) -> None:
        """
        repr() names the function and calls nothing.
        """
        fn = Counter()
        assert (f"LazyString({fn!r})", []) == (repr(LazyString(fn, 1)), fn.calls)


class TestWarningOnce:
    """
    warning_once: one warning per (logger, message, arguments) per process.
    """

    def test_once(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        The same warning three times is emitted once, at WARNING.
        """
        logger, handler = collected
        for _ in range(3):
            warning_once(logger, "slow path for %s", "x")
        assert (["slow path for x"], [logging.WARNING]) == (handler.messages, [r.levelno for r in handler.records])

    def test_distinct_triples(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        Another message, other arguments or another logger make another warning.
        """
        logger, handler = collected
        other = logging.getLogger(logger.name + ".other")
        for _ in range(2):
            warning_once(logger, "a %s", 1)
            warning_once(logger, "a %s", 2)
            warning_once(logger, "b %s", 1)
            warning_once(other, "a %s", 1)
            warning_once(logger, "no args")
        assert ["a 1", "a 2", "b 1", "a 1", "no args"] == handler.messages

    def test_equal_arguments_of_other_types(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        1, 1.0 and True are equal and hash alike, but make different warnings.
        """
        logger, handler = collected
        for value in (1, 1.0, True, 1, 1.0, True):
            warning_once(logger, "value %s", value)
        assert ["value 1", "value 1.0", "value True"] == handler.messages

    def test_unhashable_arguments(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        Unhashable arguments (lists, dicts) work, keyed on their text.
        """
        logger, handler = collected
        for _ in range(2):
            warning_once(logger, "shapes %s %s", [1, 2], {"a": 1})
            warning_once(logger, "shapes %s %s", [1, 3], {"a": 1})
        assert ["shapes [1, 2] {'a': 1}", "shapes [1, 3] {'a': 1}"] == handler.messages

    def test_points_at_the_caller(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        The record's place is the caller's line, not warning_once's.
        """
        logger, handler = collected
        line = self.test_points_at_the_caller.__code__.co_firstlineno + 6
        warning_once(logger, "here")
        rec = handler.records[0]
        assert (__file__, line, "test_points_at_the_caller") == (rec.pathname, rec.lineno, rec.funcName)

    def test_bounded_oldest_forgotten(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        Past WARNING_ONCE_LIMIT distinct warnings the oldest is forgotten (and can be
        emitted again); the others are still remembered.
        """
        logger, handler = collected
        for n in range(WARNING_ONCE_LIMIT + 1):
            warning_once(logger, "w%s", n)
        count = len(handler.records)
        warning_once(logger, "w%s", 0)  # forgotten: emitted again (and now the newest)
        warning_once(logger, "w%s", 2)  # remembered
        warning_once(logger, "w%s", WARNING_ONCE_LIMIT)  # remembered
        warning_once(logger, "w%s", 1)  # pushed out when w0 came back
        assert (WARNING_ONCE_LIMIT + 1, ["w0", "w1"]) == (count, handler.messages[count:])

    def test_threads_race(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        Threads racing on the same warning emit it exactly once, round after round.
        """
        logger, handler = collected
        threads, rounds = 16, 40
        barrier = threading.Barrier(threads, timeout=60)  # (a deadlock fails the test, not the whole run)

        def run() -> None:
            for n in range(rounds):
                barrier.wait()
                warning_once(logger, "race %s", n)

        workers = [threading.Thread(target=run) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(worker.is_alive() for worker in workers)
        assert [f"race {n}" for n in range(rounds)] == sorted(handler.messages, key=lambda m: int(m.split()[1]))

    def test_silent_logger(self, collected: tuple[logging.Logger, Collect]) -> None:
        """
        On a logger above WARNING nothing is emitted.
        """
        logger, handler = collected
        logger.setLevel(logging.ERROR)
        warning_once(logger, "quiet")
        assert [] == handler.records
