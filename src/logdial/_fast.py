"""Fast paths for the loggers logdial hands out: a cheap ``enabled`` flag per level.

``FastLogger`` is a ``logging.Logger`` whose level methods first test a plain instance
attribute (``enabled`` for DEBUG, then one per level) and return at once when the level
cannot pass, which costs little more than an empty method call. The flags are computed
again whenever the stdlib invalidates its level caches (``Manager._clear_cache``, which
every ``setLevel`` anywhere and ``logging.disable`` call), through the logger's cache
object, so they are always right. An enabled plain call (no keyword arguments) finds its
caller with one frame walk, then goes through the stdlib's ``makeRecord`` and ``handle``
(so record factories, filters and handlers behave as for any logger); any keyword
argument takes the stdlib's own ``_log``.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from types import FrameType
    from typing import Any, Final

__all__ = ["FastLogger", "fast_logger"]

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


def _emit(self: logging.Logger, level: int, msg: object, args: tuple[object, ...], kwargs: dict[str, Any]) -> None:
    # Logger._log without findCaller's per-frame normcase: the caller is the first frame
    # that is not logging's (nor these methods', which pass for logging's).
    if kwargs or logging._srcfile is None:
        self._log(level, msg, args, **kwargs)
        return
    f: FrameType | None = _getframe(2)
    while f is not None and f.f_code.co_filename == _SRCFILE:
        f = f.f_back
    if f is None:
        self._log(level, msg, args)
        return
    code = f.f_code
    record = self.makeRecord(self.name, level, code.co_filename, f.f_lineno, msg, args, None, code.co_name, None, None)
    self.handle(record)


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
        self._logger.refresh()


class FastLogger(logging.Logger):
    """
    A ``logging.Logger`` with a cheap disabled path and an ``enabled`` attribute.

    Attributes:
        enabled: whether DEBUG records of this logger pass its level (and logdial's
            settings): a guard for expensive debug output, ``if log.enabled: ...``.
    """

    debug = _debug
    info = _info
    warning = _warning
    error = _error
    critical = _critical
    fatal = _critical

    def __init__(self, name: str, level: int = logging.NOTSET) -> None:
        super().__init__(name, level)
        # Every attribute is set here, before the first use, so that the instance keeps
        # CPython's compact attribute storage (which makes the flag tests cheap).
        self.floor_of: FloorOf = _no_floor
        self.enabled = self._on_info = self._on_warning = self._on_error = self._on_critical = True
        self._cache: dict[int, bool] = _Cache(self)

    def refresh(self) -> None:
        """
        Recompute the flags from the effective level, ``logging.disable`` and the floor.
        """
        threshold = max(self.getEffectiveLevel(), self.manager.disable + 1, self.floor_of(self.name))
        self.enabled = threshold <= logging.DEBUG
        self._on_info = threshold <= logging.INFO
        self._on_warning = threshold <= logging.WARNING
        self._on_error = threshold <= logging.ERROR
        self._on_critical = threshold <= logging.CRITICAL


def fast_logger(name: str, floor_of: FloorOf = _no_floor) -> logging.Logger:
    """
    The logger ``name``, created as a ``FastLogger`` if nobody has created it yet.

    A logger that already exists is returned as it is (a plain ``Logger`` keeps working,
    without the fast path): its identity is already known to its users.
    """
    manager = logging.Logger.manager
    # getLogger takes the same (reentrant) lock: no other thread creates a logger, or
    # sees the logger class changed, while this one does.
    with logging._lock:  # type: ignore[attr-defined]
        existing = manager.loggerDict.get(name)
        if isinstance(existing, logging.Logger):
            logger = existing
        else:
            saved = manager.loggerClass
            manager.loggerClass = FastLogger
            try:
                logger = manager.getLogger(name)
            finally:
                manager.loggerClass = saved
    if isinstance(logger, FastLogger) and logger.floor_of is not floor_of:
        logger.floor_of = floor_of
        logger.refresh()
    return logger
