"""What torch's code finds in place of its own while logdial is in charge: the log state
it asks whether an artifact is on, and its ``set_logs``.
"""

from __future__ import annotations

import inspect
from collections.abc import ItemsView, Mapping

from .._system import LogSystem

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._bridge import Bridge

__all__ = ["LiveLogState", "TorchSetLogs", "signature_for"]


class LiveLogState:
    """
    Stands in for ``torch._logging._internal.log_state`` while logdial is in charge.

    torch's code asks it whether an artifact was named: ``is_artifact_enabled("recompiles")``
    decides whether Dynamo works out recompile reasons at all, ``"bytecode"`` whether it
    disassembles. The answers are logdial's settings in force, ``override`` blocks
    included.

    Only torch's own ``set_logs`` writes to it (``clear()``, then ``enable_*`` for each
    name, then ``_init_logs()``): that is a reference to torch's function taken before
    ``install()`` (``from torch._logging import set_logs`` in a notebook). What it asks
    for is collected here and applied by logdial's ``_init_logs``, so that call works too.
    """

    def __init__(self, system: LogSystem) -> None:
        self._system = system
        self._requested: tuple[dict[str, int], set[str]] | None = None

    @property
    def artifact_names(self) -> set[str]:
        """
        The artifacts the settings name (a copy).
        """
        return set(self._system.settings.artifacts)

    @property
    def log_qname_to_level(self) -> dict[str, int]:
        """
        Logger name → level, for the loggers the settings name (a copy).
        """
        return dict(self._system.settings.levels)

    def is_artifact_enabled(self, name: object) -> bool:
        """
        Whether the settings name artifact ``name`` (not only follow its component).
        """
        return name in self._system.settings.artifacts

    def get_log_level_pairs(self) -> ItemsView[str, int]:
        """
        ``(logger name, level)`` for the loggers the settings name.
        """
        return self.log_qname_to_level.items()

    def clear(self) -> None:
        """
        torch's ``set_logs`` begins: collect what it asks for.
        """
        self._requested = ({}, set())

    def enable_artifact(self, artifact_name: str) -> None:
        """
        torch's ``set_logs`` asks for artifact ``artifact_name``.
        """
        if self._requested is not None:
            self._requested[1].add(artifact_name)

    def enable_log(self, log_qnames: str | list[str], log_level: int) -> None:
        """
        torch's ``set_logs`` asks for these loggers at ``log_level``.
        """
        if self._requested is not None:
            names = [log_qnames] if isinstance(log_qnames, str) else log_qnames
            self._requested[0].update(dict.fromkeys(names, log_level))

    def request_from(self, state: object) -> None:
        """
        Take what another ``LogState`` holds as asked for (applied by the next
        ``_init_logs``, as torch applies a state swapped in): torch's tests swap in a
        ``LogState()`` of their own; an empty one asks for nothing.
        """
        artifacts = getattr(state, "artifact_names", None)
        levels = getattr(state, "log_qname_to_level", None)
        if not isinstance(artifacts, set) or not isinstance(levels, dict) or not (artifacts or levels):
            return
        self.clear()
        for name in artifacts:
            if isinstance(name, str):
                self.enable_artifact(name)
        for qname, level in levels.items():
            if isinstance(qname, str) and isinstance(level, int):
                self.enable_log(qname, level)

    def take_requested(self) -> tuple[dict[str, int], set[str]] | None:
        """
        What torch's ``set_logs`` asked for since it called ``clear()``, once.
        """
        requested, self._requested = self._requested, None
        return requested


def signature_for(system: LogSystem) -> inspect.Signature:
    """
    The signature of ``torch._logging.set_logs`` under logdial: the settings string, then
    one keyword per name the system registers (a level for ``all`` and each component, a
    bool for each artifact), then ``modules``; every default ``None``.
    """
    keyword = inspect.Parameter.KEYWORD_ONLY
    registry = system.registry
    params = [
        inspect.Parameter("settings", inspect.Parameter.POSITIONAL_ONLY, default=None, annotation="str | None"),
        inspect.Parameter("all", keyword, default=None, annotation="int | None"),
    ]
    params += [inspect.Parameter(n, keyword, default=None, annotation="int | None") for n in registry.components]
    params += [inspect.Parameter(n, keyword, default=None, annotation="bool | None") for n in registry.artifacts]
    params.append(inspect.Parameter("modules", keyword, default=None, annotation="Mapping[str, int | bool] | None"))
    return inspect.Signature(params, return_annotation="None")


class TorchSetLogs:
    """
    ``torch._logging.set_logs`` under logdial: ``set_logs("+dynamo,guards=off")``,
    ``set_logs(dynamo=logging.DEBUG, graph_code=True)``, ``set_logs(modules={...})``.

    Every name torch registers is a keyword (torch's own function lists 54 and misses the
    others), with logdial's meaning: a level (an int, or a name) for ``all`` and each component,
    ``True``/``False`` for an artifact (``False`` switches it off, even under DEBUG;
    ``None``, the default, leaves it to follow its component), and ``modules`` for module
    names; component and artifact names in ``modules`` are taken as keywords, as torch
    does. Each call replaces the previous settings, as torch's does; while
    ``TORCH_LOGS`` is set it is ignored, with one warning.

    Raises:
        logdial.SettingsError: (a ``ValueError``, as torch raises) for an unknown name or
            a value of the wrong type, naming the closest names; nothing changes.
    """

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge

    def __call__(
        self,
        settings: str | None = None,
        /,
        *,
        modules: Mapping[str, int | bool] | None = None,
        **values: int | bool | None,
    ) -> None:
        """
        Replace the settings in force; see the class.
        """
        self._bridge.set_logs(settings, modules, values)

    @property
    def __signature__(self) -> inspect.Signature:
        """
        The keywords of the names registered now (``inspect.signature`` reads it).
        """
        return signature_for(self._bridge.system)
