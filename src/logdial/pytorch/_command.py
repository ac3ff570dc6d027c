"""The ``torch`` system of the ``logdial`` command: torch's real registry, read without taking over its logging."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from .._system import LogSystem

__all__ = ["load_system"]

#: What ``import torch`` reads and acts on: its settings (a value only logdial knows would
#: make the import fail), the log file it would open, its formatter.
_READ_AT_IMPORT = ("TORCH_LOGS", "TORCH_LOGS_OUT", "TORCH_LOGS_FORMAT")


@contextlib.contextmanager
def _variables_hidden() -> Iterator[None]:
    saved = {name: os.environ.pop(name) for name in _READ_AT_IMPORT if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def load_system() -> LogSystem:
    """
    logdial's system for the installed torch: the one ``logdial.pytorch`` has in charge
    if the ``.pth`` line took over at import, else one built from torch's registry the
    same way, without changing torch's logging. Imports torch (a second or more).

    Raises:
        ImportError: when torch cannot be imported.
        logdial.pytorch._internals.UnexpectedTorchError: for a torch whose internals
            logdial does not know.
    """
    with _variables_hidden():
        import torch._logging

    from . import get_system
    from ._bridge import Bridge
    from ._internals import inspect_torch

    system = get_system()
    if system is None:
        system = Bridge(inspect_torch(torch._logging)).system
    return system


def __getattr__(name: str) -> LogSystem:
    # The entry point names `system`; torch is imported only when the command asks for it.
    if name == "system":
        return load_system()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
