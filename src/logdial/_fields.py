"""logdial's fields as attributes of each record, for handlers that are not logdial's (OpenTelemetry's).

While records propagate to the application's handlers, a record that passes logdial's
handlers gets, once, the attributes below (each only when it
has a value: OpenTelemetry drops, with a warning, an attribute that is None). They are
namespaced with ``logdial.``, so they cannot collide with the stdlib's attributes, a
program's ``extra=`` keys (identifiers), or OpenTelemetry's own (``trace_id``, ``span_id``,
``code.*``, ``exception.*``).

- ``logdial.system``: the system's name;
- ``logdial.component``, ``logdial.artifact``: as in the JSON lines;
- ``logdial.rank``: the process's rank, once known;
- ``logdial.frame_id``, ``logdial.frame_compile_id``, ``logdial.attempt``,
  ``logdial.compiled_autograd_id``, ``logdial.label``: the trace context's, when set.

The trace context and the rank are read when the record passes logdial's handlers, which
is in the thread and task that logged it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ._context import CONTEXT_FIELDS, EMPTY, TraceContext
from ._registry import Registry

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Final

    from ._formatting import ArtifactOf, RankView

__all__ = ["ComponentIndex", "RecordFields"]

_CONTEXT_ATTRIBUTES: Final = tuple((key, f"logdial.{key}") for key in CONTEXT_FIELDS)
_MEMO_LIMIT: Final = 4096


class ComponentIndex:
    """
    The registered component a logger belongs to: the one whose logger is its nearest
    ancestor-or-self (``minitorch._dynamo.guards.__guards`` belongs to ``dynamo``, which
    covers ``minitorch._dynamo``), or ``None``. Remembered per logger name, and computed
    again when the registry changes.
    """

    def __init__(self, registry_of: Callable[[], Registry]) -> None:
        self._registry_of = registry_of
        # (the registry it holds for, logger -> component, memo); one attribute, swapped whole.
        self._state: tuple[Registry | None, dict[str, str], dict[str, str | None]] = (None, {}, {})

    def __call__(self, name: str) -> str | None:
        """
        The component of logger ``name``, or ``None``.
        """
        registry = self._registry_of()
        held, owners, memo = self._state
        if held is not registry or len(memo) >= _MEMO_LIMIT:
            if held is not registry:
                owners = {}
                for component in registry.components.values():
                    for logger_name in component.loggers:
                        owners.setdefault(logger_name, component.name)  # the first registered wins
            memo = {}
            self._state = (registry, owners, memo)
        if name in memo:
            return memo[name]
        found = None
        probe = name
        while True:
            found = owners.get(probe)
            cut = probe.rfind(".")
            if found is not None or cut < 0:
                break
            probe = probe[:cut]
        memo[name] = found
        return found


class RecordFields(logging.Filter):
    """
    A filter on logdial's handlers that passes every record and gives it logdial's fields
    as attributes, once (a record that passes several of logdial's handlers keeps the
    first ones).
    """

    def __init__(
        self,
        system: str,
        *,
        artifact_of: ArtifactOf,
        ranks: RankView,
        registry_of: Callable[[], Registry],
        trace_context: Callable[[], TraceContext | None],
    ) -> None:
        super().__init__()
        self._system = system
        self._artifact_of = artifact_of
        self._component_of = ComponentIndex(registry_of)
        self._ranks = ranks
        self._trace_context = trace_context
        #: logger name → its fixed fields (system, component, artifact), bounded.
        self._fixed: dict[str, dict[str, object]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """
        Give ``record`` logdial's fields (unless it has them); always True.
        """
        fields = record.__dict__
        if "logdial.system" in fields:
            return True
        name = record.name
        fixed = self._fixed.get(name)
        if fixed is None:
            fixed = self._fixed_for(name)
        fields.update(fixed)
        rank = self._ranks.rank
        if rank is not None:
            fields["logdial.rank"] = rank
        context = self._trace_context()
        if context is not None and context is not EMPTY:
            for key, attribute in _CONTEXT_ATTRIBUTES:
                value = getattr(context, key)
                if value is not None:
                    fields[attribute] = value
        return True

    def _fixed_for(self, name: str) -> dict[str, object]:
        fixed: dict[str, object] = {"logdial.system": self._system}
        component = self._component_of(name)
        if component is not None:
            fixed["logdial.component"] = component
        artifact = self._artifact_of(name)
        if artifact is not None:
            fixed["logdial.artifact"] = artifact
        if len(self._fixed) >= _MEMO_LIMIT:
            self._fixed.clear()
        self._fixed[name] = fixed
        return fixed

    def forget(self) -> None:
        """
        Forget the fixed fields (after a registration: a component or artifact may be new).
        """
        self._fixed = {}
