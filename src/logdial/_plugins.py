"""Finding the installed systems: the ``logdial.systems`` entry points, loaded one at a time."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from dataclasses import dataclass
from typing import Final

from ._env import SUFFIXES
from ._errors import LogdialError
from ._system import LogSystem

__all__ = ["GROUP", "Plugin", "PluginError", "UnknownSystemError", "discover", "find", "variables"]

#: The entry-point group a library registers its system in: ``name = "module:attribute"``.
GROUP: Final = "logdial.systems"


#: The module of the system logdial registers for torch (``logdial.pytorch``).
_TORCH_SYSTEM: Final = "logdial.pytorch._command"


class PluginError(LogdialError):
    """
    An installed system that cannot be loaded: its module fails to import, or the
    attribute is missing or not a ``LogSystem``.
    """


class UnknownSystemError(LogdialError, LookupError):
    """
    No installed system has the name asked for; the message lists the installed ones.
    """


@dataclass(frozen=True, slots=True)
class Plugin:
    """
    One installed system, as its entry point names it; nothing is imported until ``load()``.

    Attributes:
        name: the system's name for the command line (the entry point's name).
        value: ``module:attribute``, where the ``LogSystem`` lives.
        distribution: the distribution that registers it, when known.
        shadowed: another distribution earlier on ``sys.path`` registers the same name,
            so ``find(name)`` loads that one instead.
    """

    name: str
    value: str
    distribution: str | None = None
    shadowed: bool = False

    @property
    def module(self) -> str:
        """
        The module that defines the system (the part of ``value`` before ``:``).
        """
        return self.value.partition(":")[0].strip()

    def load(self) -> LogSystem:
        """
        Import the module that defines the system (and, as any import does, its parent
        packages), and return the system.

        Raises:
            PluginError: when the import fails for any reason (even ``SystemExit``: a
                plugin must not end the command), or the attribute is not a ``LogSystem``.
        """
        entry = importlib.metadata.EntryPoint(self.name, self.value, GROUP)
        try:
            loaded = entry.load()
        except (Exception, SystemExit) as exc:
            raise PluginError(f"cannot load system {self.name!r} ({self.value}): {_one_line(exc)}") from exc
        if not isinstance(loaded, LogSystem):
            raise PluginError(
                f"cannot load system {self.name!r}: {self.value} is not a logdial.LogSystem "
                f"(its type is {type(loaded).__name__})"
            )
        return loaded


def discover() -> tuple[Plugin, ...]:
    """
    The installed systems, sorted by name, without importing any of them.

    When two distributions register the same name, the one found first on ``sys.path``
    wins (as for imports) and the other is marked ``shadowed``.
    """
    found: list[Plugin] = []
    seen: set[str] = set()
    for entry in importlib.metadata.entry_points(group=GROUP):
        if entry.value.startswith(_TORCH_SYSTEM) and importlib.util.find_spec("torch") is None:
            continue  # logdial's own entry for torch's system, where torch is not installed
        dist = entry.dist.name if entry.dist is not None else None
        found.append(Plugin(entry.name, entry.value, dist, shadowed=entry.name in seen))
        seen.add(entry.name)
    return tuple(sorted(found, key=lambda p: (p.name, p.shadowed)))


def find(name: str, plugins: tuple[Plugin, ...] | None = None) -> Plugin:
    """
    The installed system called ``name``.

    Raises:
        UnknownSystemError: naming the installed systems.
    """
    plugins = discover() if plugins is None else plugins
    for plugin in plugins:
        if plugin.name == name and not plugin.shadowed:
            return plugin
    installed = ", ".join(dict.fromkeys(p.name for p in plugins)) or "none"
    raise UnknownSystemError(f"no system named {name!r}; installed: {installed}")


def variables(system: LogSystem) -> tuple[str, ...]:
    """
    The environment variables ``system`` reads.

    >>> from logdial import LogSystem
    >>> variables(LogSystem("shop"))  # doctest: +NORMALIZE_WHITESPACE
    ('SHOP_LOGS', 'SHOP_LOGS_OUT', 'SHOP_LOGS_FORMAT', 'SHOP_LOGS_CONSOLE', 'SHOP_LOGS_STRICT',
     'SHOP_LOGS_RANKS', 'SHOP_LOGS_RANKS_OTHERS', 'SHOP_LOGS_CONTROL', 'SHOP_TRACE')
    """
    return tuple(f"{system.env_prefix}_{suffix}" for suffix in SUFFIXES)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
