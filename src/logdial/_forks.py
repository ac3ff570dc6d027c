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

__all__ = ["in_forked_child"]

#: Each callback as a function that gives it back (None once a bound method's object is
#: gone: it needs nothing then).
_callbacks: list[Callable[[], Callable[[], object] | None]] = []
_lock = threading.Lock()
_hooked = False


def in_forked_child(callback: Callable[[], object]) -> None:
    """
    Run ``callback`` in every child this process forks from now on. A bound method is held
    weakly: once its object is gone, it is dropped.
    """
    global _hooked  # noqa: PLW0603 (one process-wide hook)
    entry: Callable[[], Callable[[], object] | None]
    if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
        entry = weakref.WeakMethod(callback)
    else:
        entry = lambda: callback  # noqa: E731 (the same shape as a WeakMethod: call to get it)
    with _lock:
        _callbacks.append(entry)
        if not _hooked and hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=_run)
            _hooked = True


def _run() -> None:
    global _lock  # noqa: PLW0603 (the parent's may be held by a thread that is not here)
    _lock = threading.Lock()
    alive = []
    for entry in _callbacks:
        callback = entry()
        if callback is not None:
            alive.append(entry)
            callback()
    _callbacks[:] = alive
