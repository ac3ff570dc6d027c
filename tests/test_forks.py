"""``logdial._forks``: the one fork hook of the package."""

from __future__ import annotations

import gc
import os
import warnings

import pytest

from logdial import _forks


class _Part:
    def __init__(self, seen: list[str], name: str) -> None:
        self.seen, self.name = seen, name

    def after_fork(self) -> None:
        self.seen.append(self.name)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_callbacks_run_in_the_child_in_order_and_dead_objects_are_dropped() -> None:
    """
    In a forked child every live callback runs once, in the order registered; a bound
    method whose object is gone is dropped (held weakly); a plain function is kept.
    """
    seen: list[str] = []
    kept = _Part(seen, "kept")
    _forks.in_forked_child(kept.after_fork)
    gone = _Part(seen, "gone")
    _forks.in_forked_child(gone.after_fork)
    _forks.in_forked_child(lambda: seen.append("function"))
    del gone
    gc.collect()
    read, write = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork() in a process with threads
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports what ran, then leaves at once
        os.write(write, ",".join(seen).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        ran = pipe.read()
    os.waitpid(pid, 0)
    assert "kept,function" == ran
    assert [] == seen  # (nothing runs in the parent)
