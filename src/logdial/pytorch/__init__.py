"""logdial for PyTorch itself: ``TORCH_LOGS``, ``torch._logging.set_logs`` and torch's loggers under logdial.

``install()`` works before ``import torch`` (it then imports nothing, not even logdial's
core, and takes over when torch imports ``torch._logging``) and after it (a notebook
that already imported torch). ``python -m logdial.pytorch SCRIPT [ARGS...]`` runs a
script with it installed. A ``.pth`` line makes it permanent for a virtualenv::

    import _logdial_pth; _logdial_pth.install()

(``import logdial.pytorch; logdial.pytorch.install()``, the line of earlier versions, does
the same and costs each interpreter's start twice as much.)

What it does, once torch's logging module is there:

- reads torch's own registry (components with their loggers, artifacts with their
  description, ``visible``, ``off_by_default`` and format) and builds a
  ``LogSystem("torch", root="torch", env_prefix="TORCH")`` with the same names, so it
  follows whatever that torch version registers;
- removes only the handlers torch made (torch tracks them in
  ``torch._logging._internal.handlers``) and installs logdial's, so ``TORCH_LOGS``,
  ``TORCH_LOGS_OUT``, ``TORCH_LOGS_FORMAT`` and the other ``TORCH_LOGS_*`` variables
  have logdial's meaning, and a typo is reported with a suggestion instead of aborting
  ``import torch``;
- makes ``torch._logging.set_logs`` act on logdial's system (torch's keywords, the
  string form, ``modules=``), and registers torch's artifact loggers with it;
- leaves ``TORCH_TRACE`` to torch's own trace writer, which tlparse is made for.

On a torch whose internals are not what it knows it changes nothing and says why in one
line on stderr; it never makes ``import torch`` fail (unless ``TORCH_LOGS_STRICT=1``
asks for an invalid ``TORCH_LOGS`` to raise).
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing is not imported at run time: a .pth line runs this in every interpreter
if TYPE_CHECKING:
    import os

    from logdial import LogSystem

__all__ = ["TESTED_TORCH_VERSIONS", "get_system", "install", "set_trace_dir"]

#: The torch versions whose internals logdial.pytorch was tested against.
TESTED_TORCH_VERSIONS = ("2.13.0",)


def install() -> bool:
    """
    Put torch's logging under logdial, now if torch is imported, else when it is.

    Before ``import torch`` it only places an import hook (importing neither torch nor
    logdial's core); when torch then imports ``torch._logging``, logdial takes over, and
    ``TORCH_LOGS`` is read by logdial when torch would read it, at the end of
    ``import torch``. After ``import torch`` it takes over at once. Calling it again does
    nothing.

    Returns:
        ``True`` when logdial is in charge of torch's logging, or will be once torch is
        imported; ``False`` when torch's internals are not what logdial knows (said in
        one line on stderr, and nothing was changed).

    Raises:
        logdial.SettingsError: only when ``TORCH_LOGS_STRICT=1`` asks an invalid
            ``TORCH_LOGS`` to raise (at ``import torch``, or here if torch is imported).
        SystemExit: with status 0 after printing the help, for ``TORCH_LOGS=help``.
    """
    package = sys.modules.get("torch._logging")
    if package is not None:
        from ._bridge import take_over

        return take_over(package, init_now=True)
    import _logdial_pth  # the hook: a module of its own, for the .pth line's start-up time

    _logdial_pth.install()
    return True


def get_system() -> LogSystem | None:
    """
    logdial's system for torch (``override``, ``set_output``, ``explain``...), once
    ``install()`` has taken over; ``None`` before that, or when it declined.

    >>> get_system() is None or get_system().root == "torch"
    True
    """
    if "logdial.pytorch._bridge" not in sys.modules:
        return None
    from ._bridge import current

    bridge = current()
    return None if bridge is None else bridge.system


def set_trace_dir(path: str | os.PathLike[str] | None) -> None:
    """
    Point torch's structured trace (what ``TORCH_TRACE`` sets at import) at directory
    ``path`` from now on; ``None`` stops it. torch's own writer keeps writing it: the
    file it has open is closed, and the next record opens a new one in ``path``.

    Raises:
        RuntimeError: before ``install()`` has taken over, or when torch's trace handler
            is not what logdial knows.
    """
    from ._bridge import set_trace_dir as _set_trace_dir

    _set_trace_dir(path)
