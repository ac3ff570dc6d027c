"""Deferred work for log calls: ``LazyString`` and ``warning_once``."""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = ["WARNING_ONCE_LIMIT", "LazyString", "PyLazyString", "warning_once"]


class PyLazyString(functools.partial[object]):
    """
    A log argument whose text is computed only if a record is actually formatted:
    ``str()`` returns ``str(func(*args, **kwargs))``.

    ``logdial.LazyString`` is the type written in C (``_speedups.c``) wherever the wheel
    was built with a compiler, and this one otherwise; they behave alike (the tests run
    both). This one is a ``functools.partial``, whose constructor is written in C: no
    class written in Python is cheaper to build for a call that turns out to be disabled
    (see benchmarks/RESULTS.md).

    >>> import logging
    >>> calls = []
    >>> lazy = PyLazyString(lambda n: calls.append(n) or f"{n} nodes", 3)
    >>> logging.getLogger("quiet.example").debug("graph: %s", lazy)  # disabled: no call
    >>> calls
    []
    >>> str(lazy), calls
    ('3 nodes', [3])
    """

    __slots__ = ()

    def __str__(self) -> str:
        return str(self())

    def __repr__(self) -> str:
        return f"LazyString({self.func!r})"

    def __reduce__(self) -> tuple[object, ...]:
        cls = None if type(self) is PyLazyString else type(self)
        state = getattr(self, "__dict__", None) or None
        return (_rebuild, (self.func, self.args, dict(self.keywords), cls, state))


def _rebuild(
    func: Callable[..., object],
    args: tuple[object, ...],
    keywords: dict[str, object],
    cls: Callable[..., object] | None = None,
    state: dict[str, object] | None = None,
) -> object:
    # How both types are pickled: ``cls`` is None for LazyString itself, so that a pickle
    # made where the C type was built is read where it was not, and the other way round;
    # a subclass is rebuilt as itself, with its instance's attributes (``state``).
    made = (cls or _chosen())(func, *args, **keywords)
    if state:
        made.__dict__.update(state)
    return made


def _chosen() -> Callable[..., object]:
    # LazyString: the C type if the wheel carries it, else PyLazyString. Looked up at first
    # use, not at import: a program that never makes one never loads the compiled module.
    chosen: Callable[..., object] | None = globals().get("LazyString")
    if chosen is None:
        try:
            from . import _speedups

            chosen = _speedups.LazyString
        except ImportError:  # a wheel built without a compiler
            chosen = PyLazyString
        globals()["LazyString"] = chosen
    return chosen


if TYPE_CHECKING:
    from ._speedups import LazyString
else:

    def __getattr__(name: str) -> object:
        if name == "LazyString":
            return _chosen()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: How many distinct warnings ``warning_once`` remembers; the oldest is forgotten first.
WARNING_ONCE_LIMIT: Final = 4096

_seen: OrderedDict[tuple[Hashable, ...], None] = OrderedDict()
_seen_lock = threading.RLock()  # re-entrant: a signal handler, or an argument's __eq__, may warn too
_fork_hooked = False


def _after_fork_in_child() -> None:
    # A thread of the parent may have held the lock when it forked; that thread does
    # not exist in the child, so the lock would never be released there.
    global _seen_lock  # noqa: PLW0603 (the module's one lock, replaced in a forked child)
    _seen_lock = threading.RLock()


def hook_fork() -> None:
    # On the first call, not at import: importing logdial has no side effects.
    global _fork_hooked  # noqa: PLW0603 (one process-wide hook)
    with _seen_lock:
        if not _fork_hooked:
            from ._forks import in_forked_child

            in_forked_child(_after_fork_in_child)
            _fork_hooked = True


def warning_once(logger: logging.Logger, msg: str, *args: Hashable) -> None:
    """
    Log ``msg % args`` as a warning on ``logger`` the first time this triple (the
    arguments compared with their types) is seen in the process; later calls do nothing.
    The record points at the caller's line. Thread-safe: threads racing on the same
    warning emit it once.

    The memory is bounded: it keeps the last ``WARNING_ONCE_LIMIT`` distinct warnings,
    so a warning forgotten that way can be emitted again.
    """
    # The types are part of the key: 1, 1.0 and True are equal and hash alike, yet
    # "%s" makes three different warnings of them.
    if not _fork_hooked:
        hook_fork()
    types = tuple(type(a) for a in args)
    key: tuple[Hashable, ...]
    try:
        key = (logger.name, msg, args, types)
        hash(key)
    except TypeError:  # unhashable arguments: key on their text instead
        key = (logger.name, msg, tuple(repr(a) for a in args), types)
    with _seen_lock:
        if key in _seen:
            return
        _seen[key] = None
        if len(_seen) > WARNING_ONCE_LIMIT:
            _seen.popitem(last=False)
    logger.warning(msg, *args, stacklevel=2)
