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

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._errors import FormatError, LogdialError, RegistrationError, SettingsError
    from ._fast import FastLogger
    from ._formatting import GlogFormatter
    from ._grammar import Item
    from ._lazy import LazyString, warning_once
    from ._registry import Artifact, Component, Registry
    from ._settings import Settings
    from ._system import LogSystem

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


#: Where each public name is defined. ``import logdial`` imports none of them (nor
#: ``logging``): a name is imported on first use. A ``.pth`` line that imports
#: ``logdial.pytorch`` runs in every interpreter of a virtualenv, most of which never log
#: through logdial (benchmarks/RESULTS.md, start-up).
_HOMES = {
    "Artifact": "_registry",
    "Component": "_registry",
    "FastLogger": "_fast",
    "FormatError": "_errors",
    "GlogFormatter": "_formatting",
    "Item": "_grammar",
    "LazyString": "_lazy",
    "LogSystem": "_system",
    "LogdialError": "_errors",
    "RegistrationError": "_errors",
    "Registry": "_registry",
    "Settings": "_settings",
    "SettingsError": "_errors",
    "warning_once": "_lazy",
}


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'logdial' has no attribute {name!r}")
    module = __import__(f"{__name__}.{home}", fromlist=[name])
    value = getattr(module, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
