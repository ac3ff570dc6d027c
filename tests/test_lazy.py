"""LazyString (work done only when a record is formatted) and warning_once."""

from __future__ import annotations

import copy
import gc
import io
import itertools
import logging
import os
import pickle
import subprocess
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import logdial._lazy
from logdial import LazyString, LogSystem, warning_once
from logdial._lazy import WARNING_ONCE_LIMIT, PyLazyString

#: Either LazyString type: the one written in C, or the pure-Python one.
LazyType = Callable[..., Any]

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


def c_type() -> LazyType:
    """
    The LazyString written in C. ``make test`` installs logdial from a wheel built with a
    compiler, so there it must be present; a run against the source tree has no built
    module.
    """
    try:
        from logdial._speedups import LazyString as Built
    except ImportError:
        if os.environ.get("LOGDIAL_TEST_INSTALLED") == "1":
            pytest.fail("the installed logdial has no logdial._speedups: its wheel was built without a C compiler")
        pytest.skip("logdial is imported from its source tree, where logdial._speedups is not built")
    return Built


@pytest.fixture(params=["C", "Python"])
def lazy_type(request: pytest.FixtureRequest) -> LazyType:
    """
    Each LazyString type in turn.
    """
    return c_type() if request.param == "C" else PyLazyString


def _text(*args: object, **kwargs: object) -> str:
    return "text"


class Tagged(LazyString):  # type: ignore[misc]
    """
    A subclass at module level (a pickle names its class) of ``logdial.LazyString``.
    """


class TaggedPython(PyLazyString):
    """
    The same of the pure-Python type.
    """


class TestLazyString:
    """
    LazyString: the function runs only when the text is needed. Each test runs on both
    types: the one written in C and the pure-Python one.
    """

    def test_not_called_when_made(self, lazy_type: LazyType) -> None:
        """
        Making a LazyString calls nothing.
        """
        fn = Counter()
        lazy_type(fn, 1, key="v")
        assert [] == fn.calls

    def test_str_calls_with_arguments(self, lazy_type: LazyType) -> None:
        """
        str() calls the function with the arguments given, each time.
        """
        fn = Counter()
        lazy = lazy_type(fn, 1, 2, key="v")
        assert (("computed", "computed"), [((1, 2), {"key": "v"})] * 2) == ((str(lazy), str(lazy)), fn.calls)

    def test_non_string_result(self, lazy_type: LazyType) -> None:
        """
        A result that is not a str is shown as its str().
        """
        assert "[1, 2]" == str(lazy_type(lambda: [1, 2]))

    def test_disabled_logger_never_calls(self, lazy_type: LazyType, collected: tuple[logging.Logger, Collect]) -> None:
        """
        A record below the logger's level is never made, so the function never runs.
        """
        logger, handler = collected
        logger.setLevel(logging.INFO)
        fn = Counter()
        logger.debug("graph: %s", lazy_type(fn))
        assert ([], []) == (fn.calls, handler.records)

    def test_filtered_by_the_handler(self, lazy_type: LazyType) -> None:
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
        logger.info("graph: %s", lazy_type(fn))
        assert ([], "") == (fn.calls, stream.getvalue())

    def test_once_per_format(self, lazy_type: LazyType) -> None:
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
        logger.info("graph: %s", lazy_type(fn))
        calls_one = len(fn.calls)
        logger.addHandler(logging.StreamHandler(streams[1]))
        logger.info("graph: %s", lazy_type(fn))
        assert ((1, 3), "graph: 3 nodes\ngraph: 3 nodes\n", "graph: 3 nodes\n") == (
            (calls_one, len(fn.calls)),
            streams[0].getvalue(),
            streams[1].getvalue(),
        )

    def test_through_a_system(self, lazy_type: LazyType, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Through a LogSystem: nothing is computed for a record the settings hide; a
        record they show computes it once.
        """
        system.init({"TESTSYS_LOGS_FORMAT": "%(message)s"})
        fn = Counter("the graph")
        logging.getLogger("testsys.core").debug("%s", lazy_type(fn))
        hidden = len(fn.calls)
        system.set_logs("+core")
        logging.getLogger("testsys.core").debug("%s", lazy_type(fn))
        assert ((0, 1), "the graph\n") == ((hidden, len(fn.calls)), capsys.readouterr().err)

    def test_repr(self, lazy_type: LazyType) -> None:
        """
        repr() names the function and calls nothing.
        """
        fn = Counter()
        assert (f"LazyString({fn!r})", []) == (repr(lazy_type(fn, 1)), fn.calls)

    def test_attributes(self, lazy_type: LazyType) -> None:
        """
        ``func``, ``args`` and ``keywords`` are what it was made with.
        """
        fn = Counter()
        lazy = lazy_type(fn, 1, key="v")
        assert (fn, (1,), {"key": "v"}, {}) == (lazy.func, lazy.args, lazy.keywords, lazy_type(fn).keywords)

    def test_called_with_more_arguments(self, lazy_type: LazyType) -> None:
        """
        Called, it passes its own arguments first and the call's after, as
        ``functools.partial`` does; a keyword of the call wins.
        """
        fn = Counter()
        result = lazy_type(fn, 1, key="v", other="o")(2, key="w")
        assert ("computed", [((1, 2), {"key": "w", "other": "o"})]) == (result, fn.calls)

    @pytest.mark.parametrize("args", [(), (3,), ("text",)])
    def test_refuses_what_is_not_callable(self, lazy_type: LazyType, args: tuple[object, ...]) -> None:
        """
        Made without a callable first, it raises TypeError, which says a callable is needed.
        """
        with pytest.raises(TypeError, match=r"callable|at least one argument"):
            lazy_type(*args)

    def test_error_of_the_function_reaches_the_caller(self, lazy_type: LazyType) -> None:
        """
        An exception the function raises comes out of ``str()`` unchanged (logging's
        handlers report it through ``handleError``).
        """

        def broken() -> str:
            raise ValueError("no graph")

        with pytest.raises(ValueError, match="no graph"):
            str(lazy_type(broken))

    def test_subclass(self, lazy_type: LazyType) -> None:
        """
        It can be subclassed, with attributes and a ``__str__`` of the subclass's own.
        """

        class Bracketed(lazy_type):  # type: ignore[misc,valid-type]
            def __str__(self) -> str:
                return f"<{super().__str__()}>"

        lazy = Bracketed(Counter("x"))
        lazy.note = "kept"
        assert ("<x>", "kept", True) == (str(lazy), lazy.note, isinstance(lazy, lazy_type))

    def test_subclass_pickled_and_copied_as_itself(self, lazy_type: LazyType) -> None:
        """
        A subclass comes back from a pickle and from ``copy.copy`` as the subclass, with
        its instance's attributes.
        """
        cls = TaggedPython if lazy_type is PyLazyString else Tagged
        lazy = cls(str.upper, "graph")
        lazy.note = "kept"
        for again in (pickle.loads(pickle.dumps(lazy)), copy.copy(lazy)):
            assert (cls, "GRAPH", "kept") == (type(again), str(again), again.note)

    def test_weak_references_and_attributes(self, lazy_type: LazyType) -> None:
        """
        Like a ``functools.partial``, it can be weakly referenced and given attributes,
        which a pickle keeps.
        """
        lazy = lazy_type(str.upper, "graph")
        lazy.origin = "pass 3"
        ref = weakref.ref(lazy)
        again = pickle.loads(pickle.dumps(lazy))
        assert (lazy, "pass 3", "pass 3") == (ref(), lazy.origin, again.origin)
        del lazy
        gc.collect()
        assert ref() is None

    def test_subscripted_in_annotations(self, lazy_type: LazyType) -> None:
        """
        ``LazyString[str]`` makes a generic alias, as ``functools.partial[str]`` does, so
        annotations that name it evaluate.
        """
        alias = lazy_type[str]
        assert (lazy_type, (str,)) == (alias.__origin__, alias.__args__)

    def test_deep_nesting_is_freed(self, lazy_type: LazyType) -> None:
        """
        A LazyString of a LazyString of ... a million deep is freed without exhausting the
        C stack (in a child process, so that a crash fails this test alone).
        """
        module, name = (
            ("logdial._lazy", "PyLazyString") if lazy_type is PyLazyString else ("logdial._speedups", "LazyString")
        )
        code = (
            f"from {module} import {name} as T\nx = str\nfor _ in range(10**6):\n    x = T(x)\ndel x\nprint('freed')\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
        assert ("freed\n", "", 0) == (done.stdout, done.stderr, done.returncode)

    def test_pickled_by_one_type_read_by_the_other(self, lazy_type: LazyType, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A pickle made where one type is ``LazyString`` is read where the other is (a
        wheel built with a compiler, and one built without).
        """
        data = pickle.dumps(lazy_type(str.upper, "graph"))
        other = PyLazyString if lazy_type is not PyLazyString else c_type()
        monkeypatch.setattr(logdial._lazy, "LazyString", other)
        read = pickle.loads(data)
        assert (other, "GRAPH", ("graph",)) == (type(read), str(read), read.args)

    def test_cycle_is_collected(self, lazy_type: LazyType) -> None:
        """
        A LazyString in a reference cycle (a function that refers back to the object
        holding it) is freed by the cyclic collector.
        """

        class Holder:
            lazy: object = None

        holder = Holder()
        holder.lazy = lazy_type(lambda h=holder: h)
        gone = weakref.ref(holder)
        del holder
        gc.collect()
        assert gone() is None

    def test_keeps_no_reference(self, lazy_type: LazyType) -> None:
        """
        Made, formatted, called, pickled, refused and failing 1,000 times each, it leaves
        every object it was given with the references it had before.
        """
        key = object()
        fn = _text

        def broken(*args: object, **kwargs: object) -> str:
            raise ValueError("no graph")

        before = (sys.getrefcount(key), sys.getrefcount(fn), sys.getrefcount(broken))
        for _ in range(1000):
            str(lazy_type(fn, key, k=key))
            lazy_type(fn, key)(key, k=key)
            lazy_type(fn, k=key)(k2=key)
            pickle.loads(pickle.dumps(lazy_type(_text, 1, k=2)))
            repr(lazy_type(fn, key))
            with pytest.raises(TypeError):
                lazy_type(key, key, k=key)
            with pytest.raises(ValueError, match="no graph"):
                str(lazy_type(broken, key, k=key))
        assert before == (sys.getrefcount(key), sys.getrefcount(fn), sys.getrefcount(broken))


def test_logdial_lazystring_is_the_c_type_where_built() -> None:
    """
    Where the C module is built, ``logdial.LazyString`` is its type.
    """
    assert c_type() is LazyString


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
