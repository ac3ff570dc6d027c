"""One fork hook for the whole package: what each part must redo in a forked child.

A thread of the parent may hold a lock when the process forks; that thread does not exist
in the child, so the lock would never be released there. Each part that holds a lock (or a
file of the parent's) registers a callback here; the one process-wide hook runs them in the
child, in the order they were registered. The hook is registered with the first callback,
not at import: importing logdial has no side effects.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections.abc import Callable

__all__ = ["Callbacks", "held", "in_forked_child", "registering"]


class Callbacks:
    """
    Callbacks to run on an occasion, in the order added; a bound method is held weakly
    (once its object is gone it is dropped: it needs nothing then).
    """

    def __init__(self) -> None:
        # Each callback as a function that gives it back, or None once it is gone.
        self._entries: list[Callable[[], Callable[[], object] | None]] = []

    def add(self, callback: Callable[[], object]) -> None:
        """
        Run ``callback`` at each ``run()`` from now on.
        """
        entry: Callable[[], Callable[[], object] | None]
        if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
            entry = weakref.WeakMethod(callback)
        else:
            entry = lambda: callback  # noqa: E731 (the same shape as a WeakMethod: call to get it)
        self._entries.append(entry)

    def run(self) -> None:
        """
        Call each live callback once, in order; forget the ones that are gone.
        """
        alive = []
        for entry in list(self._entries):
            callback = entry()
            if callback is not None:
                alive.append(entry)
                callback()
        self._entries[:] = alive


_callbacks = Callbacks()
_lock = threading.Lock()
_hooked = False


def in_forked_child(callback: Callable[[], object]) -> None:
    """
    Run ``callback`` in every child this process forks from now on. A bound method is held
    weakly: once its object is gone, it is dropped.
    """
    global _hooked  # noqa: PLW0603 (one process-wide hook)
    with _lock:
        _callbacks.add(callback)
        if not _hooked and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_run)
            _hooked = True


def _run() -> None:
    global _lock  # noqa: PLW0603 (the parent's may be held by a thread that is not here)
    _lock = threading.Lock()
    _callbacks.run()


def registering() -> bool:
    """
    Whether some thread is adding a callback now (``in_forked_child`` holds its lock, which
    is not re-entrant): a signal handler that would add one must not run now.
    """
    return _lock.locked()


def held(lock: object) -> bool:
    """
    Whether this thread holds ``lock``, a re-entrant lock (``False`` for another kind): a
    signal handler that interrupted the holder must not change what the lock guards.
    """
    owned = getattr(lock, "_is_owned", None)  # (threading.RLock's own test)
    return bool(owned()) if owned is not None else False
