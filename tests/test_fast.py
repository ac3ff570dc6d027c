"""Tests for ``FastLogger``: level methods that cost nothing while off and stay right."""

from __future__ import annotations

import functools
import logging
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from logdial._fast import FastLogger, fast_logger

LEVELS = ("debug", "info", "warning", "error", "critical", "fatal")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        #: Each record's attributes as they arrived here (later handlers may add some).
        self.arrived: list[dict[str, object]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.arrived.append(dict(record.__dict__))


@pytest.fixture
def collect() -> Iterator[_Collect]:
    """
    A handler on a fresh top-level logger ``fasttest``, which does not propagate.
    """
    top = logging.getLogger("fasttest")
    handler = _Collect()
    top.addHandler(handler)
    top.propagate = False
    top.setLevel(logging.WARNING)
    yield handler
    top.removeHandler(handler)
    top.propagate = True
    top.setLevel(logging.NOTSET)
    for name in [n for n in logging.Logger.manager.loggerDict if n.startswith("fasttest.")]:
        logger = logging.Logger.manager.loggerDict[name]
        if isinstance(logger, logging.Logger):
            logger.setLevel(logging.NOTSET)
            logger.disabled = False


def _messages(handler: _Collect) -> list[str]:
    out = [r.getMessage() for r in handler.records]
    handler.records.clear()
    return out


def test_new_logger_is_fast_and_follows_its_parent(collect: _Collect) -> None:
    """
    A logger made by ``fast_logger`` starts with its parent's effective level.
    """
    log = fast_logger("fasttest.new")
    assert isinstance(log, FastLogger)
    assert log.enabled is False
    log.debug("hidden")
    log.info("hidden")
    log.warning("shown")
    assert ["shown"] == _messages(collect)


@pytest.mark.parametrize("method", LEVELS)
def test_each_level_method_switches(collect: _Collect, method: str) -> None:
    """
    Every level method is off below the effective level and on at it.
    """
    log = fast_logger(f"fasttest.each.{method}")
    level = logging.getLevelName("CRITICAL" if method == "fatal" else method.upper())
    log.setLevel(level + 1)
    getattr(log, method)("off")
    log.setLevel(level)
    getattr(log, method)("on %s", method)
    assert [(f"on {method}", level)] == [(r.getMessage(), r.levelno) for r in collect.records]


def test_captured_method_follows_later_changes(collect: _Collect) -> None:
    """
    ``debug = log.debug`` taken while DEBUG is off logs once DEBUG is on, and stops again
    when it goes off: the captured object is the same switch.
    """
    log = fast_logger("fasttest.captured")
    debug = log.debug
    debug("before")
    assert log.enabled is False
    logging.getLogger("fasttest").setLevel(logging.DEBUG)  # a parent's level, set directly
    assert log.enabled is True
    debug("while on")
    logging.getLogger("fasttest").setLevel(logging.INFO)
    assert log.enabled is False
    debug("after")
    assert ["while on"] == _messages(collect)
    assert debug is log.debug


def test_logging_disable_turns_everything_off(collect: _Collect) -> None:
    """
    ``logging.disable`` reaches the switches and the flags; lifting it brings them back.
    """
    log = fast_logger("fasttest.disable")
    log.setLevel(logging.DEBUG)
    logging.disable(logging.CRITICAL)
    try:
        assert log.enabled is False
        log.critical("hidden")
    finally:
        logging.disable(logging.NOTSET)
    assert log.enabled is True
    log.debug("back")
    assert ["back"] == _messages(collect)


def test_disabled_attribute_is_honoured(collect: _Collect) -> None:
    """
    ``logger.disabled = True`` (what ``logging.config`` sets, with no cache change) drops
    records even while the level passes.
    """
    log = fast_logger("fasttest.disabled")
    log.setLevel(logging.DEBUG)
    log.disabled = True
    for method in LEVELS:
        getattr(log, method)("dropped")
    assert [] == _messages(collect)


def test_off_method_evaluates_nothing(collect: _Collect) -> None:
    """
    A call while off returns None and never turns its arguments into text.
    """

    class Loud:
        def __str__(self) -> str:
            raise AssertionError("formatted while off")

    log = fast_logger("fasttest.nothing")
    assert log.debug("x %s", Loud(), exc_info=True, extra={"a": 1}, stacklevel=3) is None
    assert [] == collect.records


def _caller_line() -> int:
    return sys._getframe(1).f_lineno + 1


@pytest.mark.parametrize("method", [*LEVELS, "exception", "log"])
def test_records_name_the_caller(collect: _Collect, method: str) -> None:
    """
    The record's file, line and function are the call site's, for every way in.
    """
    log = fast_logger("fasttest.caller")
    log.setLevel(logging.DEBUG)
    if method == "log":
        line = _caller_line()
        log.log(logging.INFO, "here")
    elif method == "exception":
        try:
            raise ValueError("boom")
        except ValueError:
            line = _caller_line()
            log.exception("here")
    else:
        line = _caller_line()
        getattr(log, method)("here")
    (record,) = collect.records
    assert (__file__, line, "test_records_name_the_caller") == (record.pathname, record.lineno, record.funcName)


def test_stacklevel_counts_from_the_caller(collect: _Collect) -> None:
    """
    ``stacklevel=2`` names the caller's caller, as the stdlib does.
    """
    log = fast_logger("fasttest.stacklevel")
    log.setLevel(logging.DEBUG)

    def helper() -> None:
        log.info("from helper", stacklevel=2)

    line = _caller_line()
    helper()
    (record,) = collect.records
    assert (line, "test_stacklevel_counts_from_the_caller") == (record.lineno, record.funcName)


def test_mock_patch_survives_a_level_change(collect: _Collect) -> None:
    """
    ``mock.patch.object(log, "warning")`` replaces the method until the patch ends, even
    when the level changes meanwhile; afterwards the switch is back and still switching.
    """
    log = fast_logger("fasttest.mocked")
    with mock.patch.object(log, "warning") as patched:
        log.setLevel(logging.ERROR)
        log.warning("to the mock")
        log.setLevel(logging.DEBUG)
        log.warning("to the mock again")
    assert 2 == patched.call_count
    assert [] == _messages(collect)
    log.warning("real")
    log.setLevel(logging.ERROR)
    log.warning("off")
    assert ["real"] == _messages(collect)


def _made_as(cls: type[logging.Logger], name: str) -> logging.Logger:
    # logging.getLogger(name) with the logger class set to ``cls`` for this one call.
    manager = logging.Logger.manager
    saved = manager.loggerClass
    manager.loggerClass = cls
    try:
        return logging.getLogger(name)
    finally:
        manager.loggerClass = saved


def test_subclass_keeps_its_own_methods(collect: _Collect) -> None:
    """
    A subclass that defines a level method keeps it; the others are still switched.
    """

    class Shouting(FastLogger):
        def info(self, msg: object, *args: object, **kwargs: object) -> None:
            super().info(f"{msg}!", *args, **kwargs)  # type: ignore[arg-type]

    log = _made_as(Shouting, "fasttest.shouting")
    assert isinstance(log, Shouting)
    log.setLevel(logging.INFO)
    log.info("hello")
    log.debug("hidden")
    assert ["hello!"] == _messages(collect)
    assert "off" in repr(log.debug)


def test_filters_and_record_factory_apply(collect: _Collect) -> None:
    """
    The fast path goes through ``makeRecord`` and ``handle``: the record factory and the
    logger's filters see every record.
    """
    log = fast_logger("fasttest.filtered")
    log.setLevel(logging.DEBUG)
    log.addFilter(lambda r: "drop" not in r.getMessage())
    saved = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = saved(*args, **kwargs)  # type: ignore[arg-type]
        record.tagged = True
        return record

    logging.setLogRecordFactory(factory)
    try:
        log.debug("keep")
        log.debug("drop this")
    finally:
        logging.setLogRecordFactory(saved)
    assert [("keep", True)] == [(r.getMessage(), getattr(r, "tagged", False)) for r in collect.records]


def test_repr_says_which_way_a_method_points() -> None:
    """
    A level method names itself, its logger and whether it is on.
    """
    log = fast_logger("fasttest.repr")
    log.setLevel(logging.INFO)
    assert f"<level method debug of {log!r} (off)>" == repr(log.debug)
    assert f"<level method info of {log!r} (on)>" == repr(log.info)
    log.setLevel(logging.NOTSET)


# -- the records the fast path builds -------------------------------------------------------

_TIMES = ("created", "msecs", "relativeCreated")


def _reference(log: logging.Logger, level: int, msg: str, args: tuple[object, ...], line: int) -> dict[str, object]:
    # What the stdlib's own constructor makes for the same call.
    record = logging.LogRecord(log.name, level, __file__, line, msg, args, None, "_call", None)
    return {k: v for k, v in record.__dict__.items() if k not in _TIMES}


def _call(log: logging.Logger, level: int, msg: str, *args: object) -> int:
    method = {10: log.debug, 20: log.info, 30: log.warning, 40: log.error, 50: log.critical}.get(level)
    if method is None:
        line = _caller_line()
        log.log(level, msg, *args)
    else:
        line = _caller_line()
        method(msg, *args)
    return line


def test_fast_records_are_checked_on_this_python() -> None:
    """
    On this Python the fast construction matches the stdlib's (else logdial would use
    ``makeRecord``, and the comparisons below would test nothing of it).
    """
    from logdial import _fast

    assert _fast._check_records() is True
    fast_logger("fasttest.checked")
    assert _fast._plain_records is True


@pytest.mark.parametrize(
    ("msg", "args"),
    [("x %s", (1,)), ("%(a)s and %(b)s", ({"a": 1, "b": 2},)), ("no args", ()), ("empty map %s", ({},))],
    ids=["positional", "mapping", "none", "empty-mapping"],
)
def test_record_equals_the_stdlibs(collect: _Collect, msg: str, args: tuple[object, ...]) -> None:
    """
    A record made on the fast path has the stdlib's attributes, in its order, with its
    values (the times aside, which are checked against the clock).
    """
    log = fast_logger("fasttest.records")
    log.setLevel(logging.DEBUG)
    before = time.time()
    line = _call(log, logging.INFO, msg, *args)
    after = time.time()
    (record,) = collect.records
    (arrived,) = collect.arrived
    assert type(record) is logging.LogRecord
    expected = _reference(log, logging.INFO, msg, args, line)
    assert expected == {k: v for k, v in arrived.items() if k not in _TIMES}
    assert list(logging.LogRecord("n", 20, "p", 1, "m", (), None).__dict__) == list(arrived)
    assert before <= record.created <= after
    assert record.getMessage() == (msg % args[0] if args and isinstance(args[0], dict) and args[0] else msg % args)


# Clock readings that test the stdlib's arithmetic: a plain one, one whose float seconds
# round up to the next second (3.13 then counts 0 ms, not 999), whole seconds, and the
# last nanosecond and microsecond before one.
_READINGS_NS = (
    1_677_903_920_123_456_789,
    1_677_903_920_999_999_900,
    1_700_000_000_000_000_000,
    1_699_999_999_999_999_999,
    1_699_999_999_999_999_000,
)


@pytest.mark.parametrize("ns", _READINGS_NS)
def test_times_equal_the_stdlibs(collect: _Collect, monkeypatch: pytest.MonkeyPatch, ns: int) -> None:
    """
    For one reading of the clock, the fast record's ``created``, ``msecs`` and
    ``relativeCreated`` are exactly the stdlib's, with this Python's own clock (float
    seconds until 3.12, nanoseconds since 3.13) and arithmetic.
    """
    from logdial import _fast

    reading: float | int = ns if isinstance(logging._startTime, int) else ns / 1e9  # type: ignore[attr-defined]
    name = "time_ns" if isinstance(reading, int) else "time"
    assert _fast._plain_records is not False
    log = fast_logger("fasttest.times")
    log.setLevel(logging.DEBUG)
    monkeypatch.setattr(_fast, "_clock", lambda: reading)
    monkeypatch.setattr(time, name, lambda: reading)  # what LogRecord.__init__ reads
    line = _call(log, logging.INFO, "tick")
    stdlib = logging.LogRecord(log.name, logging.INFO, __file__, line, "tick", (), None, "_call", None)
    monkeypatch.undo()
    (arrived,) = collect.arrived
    assert {k: stdlib.__dict__[k] for k in _TIMES} == {k: arrived[k] for k in _TIMES}


@pytest.mark.skipif(sys.version_info < (3, 12), reason="records name their asyncio task since Python 3.12")
def test_task_name_equals_the_stdlibs(collect: _Collect, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    Inside an asyncio task a fast record names the task as the stdlib's does; outside
    one, and with ``logAsyncioTasks`` off, it says None.
    """
    import asyncio

    log = fast_logger("fasttest.tasks")
    log.setLevel(logging.DEBUG)
    seen: list[dict[str, object]] = []

    async def job() -> None:
        line = _call(log, logging.INFO, "in a task")
        seen.append(_reference(log, logging.INFO, "in a task", (), line))

    async def main() -> None:
        await asyncio.create_task(job(), name="loader-3")
        line = _call(log, logging.INFO, "in the loop, no task of ours")
        seen.append(_reference(log, logging.INFO, "in the loop, no task of ours", (), line))

    asyncio.run(main())
    line = _call(log, logging.INFO, "no loop")
    seen.append(_reference(log, logging.INFO, "no loop", (), line))
    monkeypatch.setattr(logging, "logAsyncioTasks", False)
    asyncio.run(job())
    got = [{k: v for k, v in r.items() if k not in _TIMES} for r in collect.arrived]
    assert seen == got
    assert ["loader-3", seen[1]["taskName"], None, None] == [r["taskName"] for r in got]
    assert isinstance(seen[1]["taskName"], str)  # asyncio.run's main task, named by asyncio


def test_record_levels_threads_and_switches(collect: _Collect, monkeypatch: pytest.MonkeyPatch) -> None:
    """
    A level of the program's own (``addLevelName``), the thread's current name, and the
    stdlib's ``logThreads``/``logProcesses``/``logMultiprocessing`` switches are all
    honoured as the stdlib honours them.
    """
    import threading

    log = fast_logger("fasttest.switches")
    log.setLevel(1)
    monkeypatch.setitem(logging._levelToName, 25, "NOTICE")  # type: ignore[attr-defined] (addLevelName, undone after)
    seen: list[dict[str, object]] = []

    def worker() -> None:
        threading.current_thread().name = "renamed"
        line = _call(log, 25, "notice")
        seen.append(_reference(log, 25, "notice", (), line))

    thread = threading.Thread(target=worker, name="first")
    thread.start()
    thread.join()
    line = _call(log, 7, "numbered level")
    seen.append(_reference(log, 7, "numbered level", (), line))
    monkeypatch.setattr(logging, "logThreads", False)
    monkeypatch.setattr(logging, "logProcesses", False)
    monkeypatch.setattr(logging, "logMultiprocessing", False)
    line = _call(log, logging.WARNING, "bare")
    seen.append(_reference(log, logging.WARNING, "bare", (), line))
    got = [{k: v for k, v in r.items() if k not in _TIMES} for r in collect.arrived]
    assert seen == got
    assert ("renamed", "Level 7") == (got[0]["threadName"], got[1]["levelname"])
    assert (None, None, None) == (got[2]["thread"], got[2]["process"], got[2]["processName"])


def test_subclass_record_and_handle_overrides_are_used(collect: _Collect) -> None:
    """
    A logger class that overrides ``makeRecord`` or ``handle`` gets its own methods called.
    """

    class Custom(FastLogger):
        def makeRecord(self, *args: Any, **kwargs: Any) -> logging.LogRecord:  # noqa: N802
            record = super().makeRecord(*args, **kwargs)
            record.custom = "made"
            return record

        def handle(self, record: logging.LogRecord) -> None:
            record.handled = True
            super().handle(record)

    log = _made_as(Custom, "fasttest.custom")
    log.setLevel(logging.DEBUG)
    log.debug("custom")
    (record,) = collect.records
    assert ("made", True) == (getattr(record, "custom", None), getattr(record, "handled", None))


def test_site_memo_is_bounded() -> None:
    """
    The record builder remembers the base name and module of at most 4,096 source files;
    past that it computes them per record, still right.
    """
    from logdial import _fast

    paths = [f"/src/pkg{i}/mod{i}.py" for i in range(_fast._SITES_LIMIT + 500)]
    sites = [_fast._site(p) for p in paths]
    assert len(_fast._sites) <= _fast._SITES_LIMIT
    assert [(f"mod{i}.py", f"mod{i}") for i in range(len(paths))] == sites
    assert ("README", "README") == _fast._site("README")


# -- loggers that exist before logdial asks for them ----------------------------------------


def test_plain_logger_is_made_fast_in_place(collect: _Collect) -> None:
    """
    A logger ``logging.getLogger`` made first becomes a FastLogger in place: the same
    object, its handlers, filters and level kept; ``enabled`` and the switches work, and
    a method its holder captured before keeps logging.
    """
    plain = logging.getLogger("fasttest.early")
    own = _Collect()
    plain.addHandler(own)
    flt = logging.Filter("fasttest")
    plain.addFilter(flt)
    plain.setLevel(logging.INFO)
    captured = plain.info
    log = fast_logger("fasttest.early")
    assert log is plain
    assert (FastLogger, [own], [flt], logging.INFO) == (type(log), log.handlers, log.filters, log.level)
    assert (False, True) == (log.enabled, log._on_info)
    assert ("(off)>", "(on)>") == (repr(log.debug)[-6:], repr(log.info)[-5:])  # (off: no Python frame at all)
    log.debug("held back")
    log.info("passes")
    captured("captured before")
    log.setLevel(logging.DEBUG)
    assert log.enabled
    log.debug("now debug")
    assert ["passes", "captured before", "now debug"] == [r.getMessage() for r in own.records]
    assert isinstance(log.debug, functools.partial)  # the switch: a disabled call enters no Python frame


def test_a_patched_method_is_kept_when_made_fast_in_place(collect: _Collect) -> None:
    """
    A logger made fast in place while a test has one of its methods patched keeps the
    patch (it is the one called); once the patch ends, the method logs again.
    """
    plain = logging.getLogger("fasttest.patched")
    plain.setLevel(logging.INFO)
    with mock.patch.object(plain, "info") as patched:
        log = fast_logger("fasttest.patched")
        log.info("to the mock")
        log.warning("logged")
        assert (patched, [mock.call("to the mock")]) == (log.info, patched.call_args_list)
    log.info("logged too")
    assert ["logged", "logged too"] == _messages(collect)


def test_logger_class_of_the_program_keeps_its_methods(collect: _Collect) -> None:
    """
    A logger of another class (``setLoggerClass``) is made a subclass of both in place:
    its own methods first, the rest switched.
    """

    class Audited(logging.Logger):
        def warning(self, msg: object, *args: object, **kwargs: Any) -> None:
            super().warning(f"[audited] {msg}", *args, **kwargs)

    saved = logging.getLoggerClass()
    logging.setLoggerClass(Audited)
    try:
        existing = logging.getLogger("fasttest.audited")
    finally:
        logging.setLoggerClass(saved)
    log = fast_logger("fasttest.audited")
    assert (existing, True, True) == (log, isinstance(log, Audited), isinstance(log, FastLogger))
    log.setLevel(logging.DEBUG)
    log.warning("kept")
    log.debug("switched")
    assert ["[audited] kept", "switched"] == _messages(collect)
    assert isinstance(log.debug, functools.partial)
    assert not isinstance(log.warning, functools.partial)


def test_logger_whose_class_cannot_change_is_refused() -> None:
    """
    A logger whose class cannot be combined with FastLogger (here one that refuses
    subclasses) is refused: a RegistrationError says so and what to do, and the logger is
    left as it was. A class with slots of its own is combined.
    """
    from logdial import RegistrationError

    class Sealed(logging.Logger):
        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise TypeError("Sealed cannot be subclassed")

    class Slotted(logging.Logger):
        __slots__ = ("extra",)

    existing = Sealed("fasttest.sealed")
    slotted = Slotted("fasttest.slotted")
    logging.Logger.manager.loggerDict.update({"fasttest.sealed": existing, "fasttest.slotted": slotted})
    with pytest.raises(RegistrationError) as raised:
        fast_logger("fasttest.sealed")
    kind = "tests.test_fast.test_logger_whose_class_cannot_change_is_refused.<locals>.Sealed"
    expected = (
        f"logger 'fasttest.sealed' already exists as a {kind}, which cannot be made a FastLogger "
        "(Sealed cannot be subclassed); ask logdial for it before anything else creates it"
    )
    assert (expected, Sealed) == (str(raised.value), type(existing))
    assert (slotted, True) == (fast_logger("fasttest.slotted"), isinstance(slotted, FastLogger))


def test_new_loggers_keep_their_switches_in_slots() -> None:
    """
    A logger logdial creates holds its level methods in slots (specialised by CPython
    3.12 and later), and is still a FastLogger with an instance dict for the rest.
    """
    log = fast_logger("fasttest.slots")
    assert isinstance(log, FastLogger)
    assert "debug" not in log.__dict__
    assert isinstance(log.debug, functools.partial)
    assert log.fatal is log.critical


def test_a_failing_refresh_never_keeps_loggings_lock(collect: _Collect) -> None:
    """
    When a FastLogger's flags cannot be computed (here its floor function raises) while
    the stdlib clears every level cache, ``setLevel`` still returns, logging's lock is
    free afterwards (CPython 3.11 would otherwise keep it held for ever, and the next
    thread that needs it would wait for ever), and the logger's records still follow its
    level.
    """

    def broken(name: str) -> int:
        raise RuntimeError("no floor")

    log = fast_logger("fasttest.brokenfloor")
    log.setLevel(logging.INFO)
    log.floor_of = broken
    logging.getLogger("fasttest.other").setLevel(logging.DEBUG)  # (clears every level cache)
    acquired = logging._lock.acquire(timeout=5)  # type: ignore[attr-defined]
    assert acquired
    logging._lock.release()  # type: ignore[attr-defined]
    worker = threading.Thread(target=lambda: logging.getLogger("fasttest.from_a_thread"))
    worker.start()
    worker.join(timeout=5)
    assert not worker.is_alive()
    log.debug("held back")
    log.info("shown")
    assert ["shown"] == _messages(collect)


def test_flags_made_at_creation_never_land_after_a_later_change(collect: _Collect) -> None:
    """
    ``fast_logger`` computes a new logger's flags holding logging's lock, as a clear of
    the level caches does: when another thread changes a level while they are computed
    (here: from inside the floor), its own refresh comes after, and the flags follow the
    level in force. Computed outside the lock, the flags from the level before the change
    were written after the change's: the logger stayed off at DEBUG until the next change.
    """
    parent = logging.getLogger("fasttest")  # at WARNING
    changers: list[threading.Thread] = []

    def floor(name: str) -> int:
        if not changers:  # the first call: the refresh that fast_logger makes
            changer = threading.Thread(target=parent.setLevel, args=(logging.DEBUG,))
            changers.append(changer)
            changer.start()
            changer.join(0.5)  # (it waits for logging's lock, or has changed the level meanwhile)
        return 0

    log = fast_logger("fasttest.changed_meanwhile", floor)
    changers[0].join()
    assert (logging.DEBUG, True) == (log.getEffectiveLevel(), log.enabled)
    log.debug("passes")
    assert ["passes"] == _messages(collect)
