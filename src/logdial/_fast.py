"""Fast paths for the loggers logdial hands out: a cheap ``enabled`` flag per level.

``FastLogger`` is a ``logging.Logger`` whose level methods cost less than an empty method
call while their level cannot pass. Each instance holds its level methods as "switches"
(``functools.partial`` objects, written in C): while the level can pass, a switch calls
the logger's real method; while it cannot, it calls a no-op written in C, so no Python
frame is entered at all. A switch is the same object for the logger's whole life and
changes only its target, so a method captured early (``debug = log.debug``) follows every
later change of level. The switches and the ``enabled`` flags are computed again whenever
the stdlib invalidates its level caches (``Manager._clear_cache``, which every
``setLevel`` anywhere and ``logging.disable`` call), through the logger's cache object, so
they are always right.

An enabled plain call (no keyword arguments) finds its caller with one frame walk, then
goes through the stdlib's ``makeRecord`` and ``handle`` (so record factories, filters and
handlers behave as for any logger); any keyword argument takes the stdlib's own ``_log``.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Mapping

from ._errors import RegistrationError

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, Final

__all__ = ["FastLogger", "fast_logger", "loggers_state"]

#: Extra level a logger's records must reach (logdial's floors), by logger name.
FloorOf = Callable[[str], int]


def _no_floor(name: str) -> int:
    return 0


# The level methods are written here, but their code objects carry the file name of
# logging/__init__.py, so that Logger.findCaller skips their frames exactly as it skips
# Logger.debug's own, and records name the caller's file and line on every Python
# version (3.11 and 3.12 count stacklevel differently; both skip frames by file name).
_SRCFILE: Final = logging.addLevelName.__code__.co_filename
_getframe = sys._getframe
#: Before 3.11, Logger.findCaller walks ``stacklevel`` frames up from the caller of
#: ``Logger._log`` before it skips logging's own; since, it skips them first.
_COUNTS_FROM_THE_FRAME_ABOVE_LOG: Final = sys.version_info < (3, 11)


def _emit(self: logging.Logger, level: int, msg: object, args: tuple[object, ...], kwargs: dict[str, Any]) -> None:
    # Logger._log without findCaller's per-frame normcase: the caller is the first frame
    # that is not logging's (nor these methods', which pass for logging's).
    if kwargs or logging._srcfile is None:
        if _COUNTS_FROM_THE_FRAME_ABOVE_LOG and "stacklevel" in kwargs:
            # Python 3.10 counts stacklevel from the frame that called Logger._log, this
            # one, which stands between the level method and the caller: one more.
            kwargs = {**kwargs, "stacklevel": kwargs["stacklevel"] + 1}
        self._log(level, msg, args, **kwargs)
        return
    f: FrameType | None = _getframe(2)
    while f is not None and f.f_code.co_filename == _SRCFILE:
        f = f.f_back
    if f is None:
        self._log(level, msg, args)
        return
    code = f.f_code
    if _plain_records and logging._logRecordFactory is _LogRecord and type(self).makeRecord is _MAKE_RECORD:  # type: ignore[attr-defined]
        record = _record(self.name, level, code.co_filename, f.f_lineno, msg, args, code.co_name)
    else:
        record = self.makeRecord(self.name, level, code.co_filename, f.f_lineno, msg, args, None, code.co_name)
    if self.filters or type(self).handle is not _HANDLE:
        self.handle(record)
    else:  # Logger.handle with no filter and the logger not disabled (tested by the caller)
        self.callHandlers(record)


# -- records --------------------------------------------------------------------------
# ``LogRecord.__init__`` costs about a third of an enabled record, mostly in work that is
# the same for every record of a call site (the file's base name and module) or that
# looks up what it could read once. ``_record`` builds the same record (the same
# attributes, in the same order, with the same values) for the common case: the default
# record factory, no ``exc_info``/``extra``/``stack_info``. It is used only where
# ``_check_records`` found it to match the stdlib's own constructor on this Python: on
# another version (a new attribute, another clock) logdial uses ``makeRecord``.

_LogRecord: Final = logging.LogRecord
_MAKE_RECORD: Final = logging.Logger.makeRecord
_HANDLE: Final = logging.Logger.handle
_new_record: Final = _LogRecord.__new__
_get_ident = threading.get_ident
_current_thread = threading.current_thread
_getpid = os.getpid
_level_names: dict[int, str] = logging._levelToName
#: The stdlib's clock for records: nanoseconds since 3.13 (``_startTime`` is then an int),
#: seconds as a float before. Each Python's own formulas follow, feature by feature, so a
#: new version that keeps them needs nothing here (``_check_records`` says whether it did).
_NANOSECONDS: Final = isinstance(getattr(logging, "_startTime", None), int)
_clock: Callable[[], float] | Callable[[], int] = time.time_ns if _NANOSECONDS else time.time
#: Since 3.12 a record names its asyncio task (``taskName``, under ``logAsyncioTasks``).
_TASK_NAMES: Final = hasattr(logging, "logAsyncioTasks")
#: The file's base name and module, by path name (bounded: code objects name few files).
_sites: dict[str, tuple[str, str]] = {}
_SITES_LIMIT: Final = 4096


def _site(pathname: str) -> tuple[str, str]:
    site = _sites.get(pathname)
    if site is None:
        filename = os.path.basename(pathname)
        site = (filename, os.path.splitext(filename)[0])
        if len(_sites) < _SITES_LIMIT:
            _sites[pathname] = site
    return site


def _task_name() -> str | None:
    # LogRecord's own: the running task's name, None outside a task. Without a running
    # loop ``current_task()`` raises (and the stdlib swallows it): asked first, cheaply.
    asyncio = sys.modules.get("asyncio")
    if asyncio is None or asyncio._get_running_loop() is None:
        return None
    try:
        name: str = asyncio.current_task().get_name()
    except Exception:
        return None
    return name


def _record(  # noqa: PLR0917 (makeRecord's arguments, positional as there)
    name: str, level: int, pathname: str, lineno: int, msg: object, args: tuple[object, ...], func: str
) -> logging.LogRecord:
    ct = _clock()
    record = _new_record(_LogRecord)
    record.name = name
    record.msg = msg
    if args and len(args) == 1 and isinstance(args[0], Mapping) and args[0]:
        record.args = args[0]
    else:
        record.args = args
    levelname = _level_names.get(level)
    record.levelname = f"Level {level}" if levelname is None else levelname
    record.levelno = level
    record.pathname = pathname
    record.filename, record.module = _sites.get(pathname) or _site(pathname)
    record.exc_info = None
    record.exc_text = None
    record.stack_info = None
    record.lineno = lineno
    record.funcName = func
    if _NANOSECONDS:
        record.created = ct / 1e9
        msecs = (ct % 1_000_000_000) // 1_000_000 + 0.0
        if msecs == 999.0 and int(record.created) != ct // 1_000_000_000:
            msecs = 0.0  # the float seconds rounded up to the next second
        record.msecs = msecs
        record.relativeCreated = (ct - logging._startTime) / 1e6  # type: ignore[attr-defined]
    else:
        record.created = ct
        record.msecs = int((ct - int(ct)) * 1000) + 0.0
        record.relativeCreated = (ct - logging._startTime) * 1000  # type: ignore[attr-defined]
    if logging.logThreads:
        record.thread = _get_ident()
        record.threadName = _current_thread().name
    else:
        record.thread = record.threadName = None
    if not logging.logMultiprocessing:
        record.processName = None
    else:
        record.processName = "MainProcess"
        mp = sys.modules.get("multiprocessing")
        if mp is not None:
            try:
                record.processName = mp.current_process().name
            except Exception:  # as the stdlib: multiprocessing may be half imported
                record.processName = "MainProcess"
    record.process = _getpid() if logging.logProcesses else None
    if _TASK_NAMES:
        record.taskName = _task_name() if logging.logAsyncioTasks else None  # type: ignore[attr-defined]
    return record


def _check_records() -> bool:
    """
    Whether ``_record`` builds what ``LogRecord`` builds on this Python: the same
    attributes in the same order, equal but for the three times (taken a moment apart).
    """
    if isinstance(getattr(logging, "_startTime", None), int) != _NANOSECONDS:
        return False  # another clock than the one read at import
    try:
        cases = [("x %s", (1,)), ("%(a)s", ({"a": 1},)), ("m", ())]
        for msg, args in cases:
            ours = _record("n.m", 25, __file__, 7, msg, args, "f").__dict__
            theirs = _LogRecord("n.m", 25, __file__, 7, msg, args, None, "f", None).__dict__
            if list(ours) != list(theirs):
                return False
            times = {"created", "msecs", "relativeCreated"}
            if any(ours[k] != theirs[k] for k in theirs if k not in times):
                return False
    except Exception:
        return False
    return True


#: Whether ``_record`` may be used: checked when the first FastLogger is made (not at
#: import); until then (None) records take ``makeRecord``.
_plain_records: bool | None = None


def _debug(self: FastLogger, msg: object, *args: object, **kwargs: Any) -> None:
    if self.enabled and not self.disabled:
        _emit(self, 10, msg, args, kwargs)


def _info(self: FastLogger, msg: object, *args: object, **kwargs: Any) -> None:
    if self._on_info and not self.disabled:
        _emit(self, 20, msg, args, kwargs)


def _warning(self: FastLogger, msg: object, *args: object, **kwargs: Any) -> None:
    if self._on_warning and not self.disabled:
        _emit(self, 30, msg, args, kwargs)


def _error(self: FastLogger, msg: object, *args: object, **kwargs: Any) -> None:
    if self._on_error and not self.disabled:
        _emit(self, 40, msg, args, kwargs)


def _critical(self: FastLogger, msg: object, *args: object, **kwargs: Any) -> None:
    if self._on_critical and not self.disabled:
        _emit(self, 50, msg, args, kwargs)


for _function in (_emit, _debug, _info, _warning, _error, _critical):
    _function.__code__ = _function.__code__.replace(co_filename=_SRCFILE)
del _function


#: A switch's target while its level cannot pass: ``object.__init__`` bound to None, a
#: method written in C that takes any arguments (NoneType has its own ``__new__``, so
#: ``__init__`` ignores them) and returns None: cheaper than any function in Python.
_OFF: Final[Callable[..., None]] = None.__init__  # type: ignore[misc]


class _Switch(functools.partial[None]):
    """
    One level method of one ``FastLogger``: calls ``on`` (the logger's real method, kept
    alive here for the switch's whole life) while the level can pass, ``_OFF`` otherwise.
    """

    __slots__ = ()

    def __init__(self, func: object, /) -> None:
        super().__init__()
        self.on = func

    def turn(self, on: bool) -> None:
        """
        Point the switch at the real method (``on``) or at the no-op. The C ``partial``
        replaces its target in one step, with the GIL held: a call on another thread sees
        the old target or the new one.
        """
        # partial's pickle protocol: (func, args, keywords, instance dict).
        self.__setstate__((self.on if on else _OFF, (), None, self.__dict__))  # type: ignore[attr-defined]

    def __repr__(self) -> str:
        on: Any = self.on
        state = "on" if self.func is on else "off"
        return f"<level method {on.__name__.lstrip('_')} of {on.__self__!r} ({state})>"


class _Cache(dict[int, bool]):
    """
    A logger's level cache that recomputes the logger's flags whenever it is cleared.
    """

    __slots__ = ("_logger",)

    def __init__(self, logger: FastLogger) -> None:
        super().__init__()
        self._logger = logger

    def clear(self) -> None:
        super().clear()
        try:
            self._logger.refresh()
        except Exception:
            # Never out of here: CPython 3.11's Manager._clear_cache holds logging's lock
            # without try/finally: an exception would leave it held for ever.
            self._logger.levels_only()


class FastLogger(logging.Logger):
    """
    A ``logging.Logger`` with a cheap disabled path and an ``enabled`` attribute.

    ``LogSystem.getLogger`` and ``getArtifactLogger`` hand these out; they behave as any
    stdlib logger (records, filters, handlers, ``makeRecord`` and ``handle`` overrides).

    Attributes:
        enabled: whether DEBUG records of this logger pass its level (and logdial's
            settings): a guard for expensive debug output, ``if log.enabled: ...``.
    """

    enabled: bool

    debug = _debug
    info = _info
    warning = _warning
    error = _error
    critical = _critical
    fatal = _critical

    def __init__(self, name: str, level: int = logging.NOTSET) -> None:
        super().__init__(name, level)
        self._make_fast()

    def _make_fast(self) -> None:
        # Every attribute is set here, before the first use, so that the instance keeps
        # CPython's compact attribute storage (which makes the flag tests cheap). The flags
        # come before the switches: a logger made fast in place (``_upgrade``) may be
        # called by another thread meanwhile.
        self.floor_of: FloorOf = _no_floor
        # From the level now: made fast in place, it may log (a signal handler) before refresh().
        flags = _flags_now(self)
        self.enabled, self._on_info, self._on_warning, self._on_error, self._on_critical = flags
        self._cache: dict[int, bool] = _Cache(self)
        #: ``loggers_state()`` just after ``fast_logger`` created this logger with no
        #: logger below it; while the state is the same, none has been made since.
        self.born: tuple[int, str | None] | None = None
        # A subclass that defines a level method of its own keeps it: only the methods
        # written here are switched. So does an object that holds one of its own (a
        # mock.patch.object in progress when it is made fast in place).
        switches: list[tuple[int, _Switch]] = []  # (its index in the flags, the switch)
        for index, (attribute, function) in enumerate(_METHODS.items()):
            if _held_by_object(self, attribute):
                continue
            defined = _defined(type(self), attribute)
            method = defined.__get__(self)
            if defined is function:
                method = _Switch(method)
                method.turn(flags[index])  # (the switches point as the flags say: refresh() relies on it)
                switches.append((index, method))
            setattr(self, attribute, method)
        setattr(self, "fatal", self.critical)  # noqa: B010 (mypy: a method of the class)
        self._switches = tuple(switches)

    def levels_only(self) -> None:
        """The flags and switches from the level alone (when the floor cannot be read); never raises."""
        with contextlib.suppress(Exception):
            self._take(max(self.getEffectiveLevel(), self.manager.disable + 1))

    def refresh(self) -> None:
        """
        Recompute the flags and the switches from the effective level, ``logging.disable``
        and the floor.
        """
        self._take(max(self.getEffectiveLevel(), self.manager.disable + 1, self.floor_of(self.name)))

    def _take(self, threshold: int) -> None:
        # The flags for the lowest level that passes, and the switches that changed with them.
        before = (self.enabled, self._on_info, self._on_warning, self._on_error, self._on_critical)
        self.enabled = threshold <= logging.DEBUG
        self._on_info = threshold <= logging.INFO
        self._on_warning = threshold <= logging.WARNING
        self._on_error = threshold <= logging.ERROR
        self._on_critical = threshold <= logging.CRITICAL
        flags = (self.enabled, self._on_info, self._on_warning, self._on_error, self._on_critical)
        if flags != before:  # the switches point as the flags did
            for index, switch in self._switches:
                switch.turn(flags[index])


#: The level methods a FastLogger switches, in the order of its flags.
_METHODS: Final = {"debug": _debug, "info": _info, "warning": _warning, "error": _error, "critical": _critical}


class _SlottedFastLogger(FastLogger):
    """
    The class of the loggers logdial creates: the level methods in slots. Since 3.12 an
    instance attribute that hides a method of the class is not specialised (each call
    looks it up again: about 10 ns); a slot is. (A logger made fast in place keeps the
    plain ``FastLogger`` layout: an object cannot gain slots.)
    """

    __slots__ = (*_METHODS, "fatal")


def _flags_now(logger: logging.Logger) -> tuple[bool, ...]:
    # Whether DEBUG, INFO, WARNING, ERROR and CRITICAL pass the logger's level now.
    try:
        return tuple(logger.isEnabledFor(level) for level in (10, 20, 30, 40, 50))
    except Exception:  # (a logger class of the program's own that fails here)
        return (True,) * 5


def _held_by_object(logger: logging.Logger, attribute: str) -> bool:
    # Whether the object itself holds level method ``attribute`` (a patch in progress):
    # what it returns is not the class's method bound to it. (Not ``vars()``: making the
    # instance's dict would slow every attribute read of the flags for good.)
    try:
        found = getattr(logger, attribute)
    except AttributeError:  # (an empty slot: nothing held)
        return False
    return getattr(found, "__self__", None) is not logger or not hasattr(found, "__func__")


def _defined(cls: type, attribute: str) -> Any:
    # What the class defines for a level method, past the slots that hold the switches.
    for klass in cls.__mro__:
        value = klass.__dict__.get(attribute)
        if value is not None and klass is not _SlottedFastLogger:
            return value
    raise AttributeError(attribute)  # pragma: no cover (logging.Logger defines them all)


#: The fast class made for each other logger class met in ``_upgrade`` (few: one per logger class).
_upgraded_classes: dict[type, type] = {logging.Logger: FastLogger}


def _upgrade(logger: logging.Logger) -> FastLogger:
    """
    Make an existing logger a ``FastLogger`` in place (the same object, its handlers,
    filters, level and holders kept): a plain ``Logger`` becomes one; another class
    becomes a subclass of both, its own methods first. Raises TypeError where Python
    cannot give the object the combined class (a logger class that refuses subclasses, say).
    """
    cls = type(logger)
    fast = _upgraded_classes.get(cls)
    if fast is None:
        fast = type(cls.__name__, (cls, FastLogger), {"__module__": cls.__module__, "__qualname__": cls.__qualname__})
    # The flags before the class: its level methods read them, and a signal handler (or a
    # thread not waiting on logging's lock) may call one the moment the class changes.
    flags = _flags_now(logger)
    logger.enabled, logger._on_info, logger._on_warning, logger._on_error, logger._on_critical = flags  # type: ignore[attr-defined]
    logger.__class__ = fast
    _upgraded_classes[cls] = fast
    assert isinstance(logger, FastLogger)
    logger._make_fast()
    return logger


def loggers_state() -> tuple[int, str | None]:
    """
    How many names the logging manager knows, and the last one added: a new logger (or
    PlaceHolder) changes it. Call it holding ``logging._lock``.
    """
    names = logging.Logger.manager.loggerDict
    return len(names), next(reversed(names), None)


def fast_logger(name: str, floor_of: FloorOf = _no_floor) -> FastLogger:
    """
    The logger ``name`` as a ``FastLogger``: created as one if nobody has created it yet;
    made one in place if another logger class made it first (see ``_upgrade``): the same
    object, which its holders keep using, now with the fast paths.
    """
    global _plain_records  # noqa: PLW0603 (checked once, on first use)
    if _plain_records is None:
        _plain_records = _check_records()
    manager = logging.Logger.manager
    # getLogger takes the same (reentrant) lock: no other thread creates a logger, or
    # sees the logger class changed, while this one does.
    with logging._lock:  # type: ignore[attr-defined]
        existing = manager.loggerDict.get(name)
        created = not isinstance(existing, FastLogger)
        if isinstance(existing, FastLogger):
            logger = existing
        elif isinstance(existing, logging.Logger):
            try:
                logger = _upgrade(existing)
            except TypeError as exc:
                kind = f"{type(existing).__module__}.{type(existing).__qualname__}"
                raise RegistrationError(
                    f"logger {name!r} already exists as a {kind}, which cannot be made a FastLogger ({exc}); "
                    "ask logdial for it before anything else creates it"
                ) from None
        else:
            saved = manager.loggerClass
            manager.loggerClass = _SlottedFastLogger
            try:
                made = manager.getLogger(name)
            finally:
                manager.loggerClass = saved
            logger = made if isinstance(made, FastLogger) else _upgrade(made)  # (a Manager subclass's own)
            if existing is None:  # no PlaceHolder: nothing below it
                logger.born = loggers_state()
        # Under the lock, as clear() calls it: else flags from an older level could land after a newer's.
        if created or logger.floor_of is not floor_of:
            logger.floor_of = floor_of
            logger.refresh()
    return logger
