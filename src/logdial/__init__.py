"""logdial: named components and artifacts over stdlib logging, set by one variable or one call.

How the package reads, one setting from the variable (or the call) to a handler, never
turning back (every module is private but this one, ``testing`` and ``pytorch``):

1. **Input**: ``_env`` reads the variables from an injected mapping; ``_inputs`` turns
   them, and ``set_logs``'s arguments, into items, through ``_grammar`` (one pass).
2. **Resolve**: ``_settings.resolve`` makes the frozen ``Settings`` from the items and the
   ``_registry``; ``_ranks`` says for which rank; ``_sources`` keeps where they came from.
3. **Plan**: ``_plan.Plan`` gives each logger its level: the level rules, in one place
   (``explain`` reads them too: ``_explain``).
4. **Apply**: ``_apply.Applier`` sets levels, propagation and handlers on the stdlib
   loggers; ``_filters`` are what it places; ``_fast`` gives loggers their fast paths.
5. **Outputs**: ``_output`` chooses and builds the handlers (``_console``, ``_files``,
   sharing ``_handlers`` and ``_writes``) and their formatters (``_formatting``,
   ``_jsonformat``); the structured trace is ``_tracing`` over ``_trace`` (the writer)
   and ``_context``.

``_system.LogSystem`` is the one stateful object, a façade over these stages (its output,
rank and trace methods are in ``_output_api``, ``_rank_api`` and ``_trace_api``). Beside
them: ``_levels``, ``_frozen``, ``_errors``, ``_notices``, ``_forks``, ``_lazy``,
``_modules`` (the parts they share); ``_help``, ``_cli``, ``_plugins`` (the command);
``_report`` (a wing that only reads trace files), ``pytorch`` and ``demo``.
"""

from __future__ import annotations

from ._errors import FormatError, LogdialError, RegistrationError, SettingsError
from ._fast import FastLogger
from ._formatting import GlogFormatter
from ._lazy import LazyString, warning_once
from ._registry import Artifact, Component, Registry
from ._settings import Settings
from ._system import LogSystem

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._grammar import Item

__all__ = [
    "Artifact",
    "Component",
    "FastLogger",
    "FormatError",
    "GlogFormatter",
    "Item",
    "LazyString",
    "LogSystem",
    "LogdialError",
    "RegistrationError",
    "Registry",
    "Settings",
    "SettingsError",
    "warning_once",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``Item`` comes from the grammar, which only a program that parses settings needs:
    # it is imported on first use, not with logdial.
    if name == "Item":
        from ._grammar import Item

        globals()["Item"] = Item
        return Item
    raise AttributeError(f"module 'logdial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
