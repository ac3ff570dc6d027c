"""
What the ``.pth`` line of ``logdial.pytorch`` runs in every interpreter of a virtualenv::

    import _logdial_pth; _logdial_pth.install()

It places a ``sys.meta_path`` finder that calls ``logdial.pytorch`` back once
``torch._logging`` has run, and imports nothing itself but ``sys``. It is a top-level
module of its own, not part of the ``logdial`` package, for start-up time alone: the line
runs in interpreters that never import torch (pip, pytest workers, data-loader workers),
and importing one module costs a third of importing a module inside two packages. Not an
API: the line above is its only use; ``logdial.pytorch.install()`` is the API.
"""

import sys

TYPE_CHECKING = False  # typing is not imported at run time: this runs in every interpreter of a venv
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from contextlib import AbstractContextManager
    from importlib.machinery import ModuleSpec
    from types import ModuleType

__all__ = ["TARGET", "TorchLoggingHook", "install"]

#: The module after whose execution the callback runs. By then torch's registrations
#: (``torch._logging._registrations``) are complete, and ``torch/__init__.py`` has not yet
#: called ``torch._logging._init_logs()``, where torch parses ``TORCH_LOGS``.
TARGET = "torch._logging"


#: The variable torch reads when ``torch._logging._internal`` is imported, to build the
#: formatter of its own handlers (which logdial removes); logdial reads it too.
FORMAT_VARIABLE = "TORCH_LOGS_FORMAT"


def _format_hidden_from_torch() -> "AbstractContextManager[None]":
    """
    While torch's logging modules execute (a ``with`` block), hide a ``TORCH_LOGS_FORMAT``
    that torch's ``logging.Formatter`` would refuse (logdial's ``json``, a format with a
    field only logdial knows): torch builds that formatter at import, and would make
    ``import torch`` fail. A format torch takes is left for it to read.
    """
    import contextlib  # here, not at import: a .pth line imports this module everywhere

    return contextlib.contextmanager(_hiding_format)()


def _hiding_format() -> "Iterator[None]":
    import logging  # torch._logging imports it next anyway
    import os

    value = os.environ.get(FORMAT_VARIABLE)
    try:
        if value is not None:
            logging.Formatter(value)
        hidden = False
    except (ValueError, TypeError):
        hidden = os.environ.pop(FORMAT_VARIABLE, None) is not None
    try:
        yield
    finally:
        if hidden and value is not None and FORMAT_VARIABLE not in os.environ:
            os.environ[FORMAT_VARIABLE] = value


class TorchLoggingHook:
    """
    Finds ``torch._logging`` with the other finders, and makes its loader call
    ``callback(module)`` right after the module has executed; then leaves ``sys.meta_path``.

    It changes nothing else about the import: the spec and the loader are the ones the
    other finders return (so ``__loader__``, ``__spec__`` and source lookups are torch's),
    only the loader's ``exec_module`` is wrapped, on that one loader object, once.
    """

    def __init__(self, callback: "Callable[[ModuleType], None]") -> None:
        self.callback = callback
        self._searching = False

    def find_spec(
        self, fullname: str, path: "Sequence[str] | None" = None, target: "ModuleType | None" = None
    ) -> "ModuleSpec | None":
        """
        The spec of ``torch._logging`` as the other finders give it, its loader wrapped;
        ``None`` for every other module (and for this one if it cannot be wrapped).
        """
        if fullname != TARGET or self._searching:
            return None
        self._searching = True  # the other finders may import; never recurse into ourselves
        try:
            spec: ModuleSpec | None = None
            for finder in list(sys.meta_path):
                find = getattr(finder, "find_spec", None)
                if finder is self or find is None:
                    continue
                spec = find(fullname, path, target)
                if spec is not None:
                    break
        finally:
            self._searching = False
        loader = None if spec is None else spec.loader
        exec_module = getattr(loader, "exec_module", None)
        if spec is None or loader is None or exec_module is None:
            return None  # let the import system say what it says without us
        hook = self

        def exec_then_callback(module: "ModuleType") -> None:
            hook.remove()
            try:
                with _format_hidden_from_torch():
                    exec_module(module)
            finally:
                vars(loader).pop("exec_module", None)  # the loader is torch's again
            try:
                hook.callback(module)
            except Exception as exc:  # whatever happens, `import torch` goes on
                why = f"{type(exc).__name__}: {exc}"
                try:  # noqa: SIM105 (contextlib is not imported here: import time)
                    print(f"logdial.pytorch: not installed ({why}); torch's own logging stays in charge",
                          file=sys.stderr)  # fmt: skip
                except Exception:  # (no stderr to say it on)
                    pass

        try:
            loader.exec_module = exec_then_callback  # type: ignore[method-assign]  # on this loader object only
        except (AttributeError, TypeError):  # a loader with __slots__: nothing to wrap
            return None
        return spec

    def remove(self) -> None:
        """
        Leave ``sys.meta_path`` (it fires once).
        """
        try:  # noqa: SIM105 (contextlib is not imported here: import time)
            sys.meta_path.remove(self)
        except ValueError:  # not there (any more)
            pass

    def place(self) -> None:
        """
        Go first in ``sys.meta_path``, once.
        """
        if self not in sys.meta_path:
            sys.meta_path.insert(0, self)


#: The hook of this process, once placed: ``install()`` and ``logdial.pytorch.install()``
#: place this one, so the line and a later ``install()`` never make two.
_placed: "TorchLoggingHook | None" = None


def install() -> None:
    """
    Place the hook, once per process: when torch imports ``torch._logging``, logdial takes
    over (``logdial.pytorch.install()`` does the rest; this only defers to it). When torch's
    logging is already imported, it takes over at once.
    """
    global _placed  # noqa: PLW0603 (the one import hook of the process)
    if "torch._logging" in sys.modules:
        import logdial.pytorch

        logdial.pytorch.install()
        return
    if _placed is None:
        _placed = TorchLoggingHook(_take_over)
    _placed.place()


def _take_over(package: "ModuleType") -> None:
    # Called by the hook right after torch._logging has run, inside `import torch`.
    from logdial.pytorch._bridge import take_over

    take_over(package, init_now=False)
