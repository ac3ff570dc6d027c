"""What a settings string does to a system: each logger's level, each artifact's state, and why."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ._filters import FloorFilter
from ._levels import level_name
from ._plan import under
from ._settings import resolve
from ._system import LogSystem, plan_for

if TYPE_CHECKING:
    from ._settings import HelpRequest, Settings

__all__ = [
    "ArtifactExplanation",
    "ComponentExplanation",
    "Explanation",
    "Floor",
    "LoggerLevel",
    "Origin",
    "Source",
    "explain",
]

Source = Literal["argument", "environment", "unset"]
ArtifactState = Literal["on", "off", "depends"]
ArtifactReason = Literal["named", "switched_off", "off_by_default", "follows"]


@dataclass(frozen=True, slots=True)
class Origin:
    """
    The item of the settings that decided a value: its canonical text and its offset.
    """

    item: str
    position: int

    def describe(self) -> str:
        """
        >>> Origin("+dynamo", 0).describe()
        "item '+dynamo' at position 0"
        """
        return f"item {self.item!r} at position {self.position}"


@dataclass(frozen=True, slots=True)
class Floor:
    """
    The level the loggers below a logger keep when it differs from the logger's own: a
    component item after a module item that covers it changes that logger only. The
    origin is ``None`` when it is the default (they take their level from above it).
    """

    level: int
    origin: Origin | None


@dataclass(frozen=True, slots=True)
class LoggerLevel:
    """
    The level a logger ends up at, and where it came from.

    Attributes:
        logger: the logger's name.
        level: the lowest level it shows; ``None`` when no level the settings reach
            decides it (a logger outside the system's root, or a root set to 0, NOTSET):
            the application's logging does.
        origin: the item that decided it, or ``None`` for the default.
        inherited_from: the logger it takes its level from, when no item sets its own.
        below: what the loggers below it show, when that differs from ``level``.
    """

    logger: str
    level: int | None
    origin: Origin | None = None
    inherited_from: str | None = None
    below: Floor | None = None

    @property
    def at_debug(self) -> bool:
        """
        Whether the logger, and the loggers below it, show DEBUG records.
        """
        below = self.below.level if self.below is not None else logging.DEBUG
        return self.level is not None and self.level <= logging.DEBUG and below <= logging.DEBUG


@dataclass(frozen=True, slots=True)
class ComponentExplanation:
    """
    A component (or ``all``, the system's root) and the level of each of its loggers.
    """

    name: str
    loggers: tuple[LoggerLevel, ...]

    @property
    def at_debug(self) -> bool:
        """
        Whether every logger of the component shows DEBUG records.
        """
        return all(logger.at_debug for logger in self.loggers)


@dataclass(frozen=True, slots=True)
class ArtifactExplanation:
    """
    Whether an artifact shows, and why.

    Attributes:
        name: the artifact.
        description: its description, as the help shows it.
        state: ``"on"``, ``"off"``, or ``"depends"`` (on where its component logs at DEBUG).
        reason: ``"named"`` (by ``origin``), ``"switched_off"`` (by ``origin``),
            ``"off_by_default"``, or ``"follows"`` its component at DEBUG.
        origin: the item that named or switched it off.
        off_by_default: registered as off by default.
        shown_under: for ``follows``: the places (components, or loggers and modules)
            at DEBUG, under which it shows.
        hidden_under: for ``follows``: the places above DEBUG, under which it is hidden.
            For a logger, the deepest place of either list that covers it decides.
    """

    name: str
    description: str
    state: ArtifactState
    reason: ArtifactReason
    origin: Origin | None = None
    off_by_default: bool = False
    shown_under: tuple[str, ...] = ()
    hidden_under: tuple[str, ...] = ()

    def describe(self) -> str:
        """
        Why the artifact is in its state, in one line.
        """
        if self.reason == "named":
            assert self.origin is not None
            return f"named by {self.origin.describe()}"
        if self.reason == "switched_off":
            assert self.origin is not None
            return f"switched off by {self.origin.describe()}"
        if self.reason == "off_by_default":
            return "off by default: shown only when named"
        if self.state == "on":
            return "follows its component at DEBUG: every component logs at DEBUG"
        if self.state == "off":
            return "follows its component, which is above DEBUG, so hidden"
        hidden = f"; hidden under {', '.join(self.hidden_under)}" if self.hidden_under else ""
        return f"follows its component at DEBUG: shown under {', '.join(self.shown_under)}{hidden}"


@dataclass(frozen=True, slots=True)
class Explanation:
    """
    What a settings string does to a system.

    Attributes:
        system: the system's name.
        variable: its settings variable, ``{P}_LOGS``.
        settings: the settings string explained.
        source: ``"argument"``, ``"environment"`` (read from ``variable``), or ``"unset"``
            (the variable is not set, so these are the defaults).
        help: ``"brief"`` or ``"full"`` when the settings ask for the help message.
        components: ``all`` (the root logger) first, then every component.
        artifacts: every artifact, in registration order.
        modules: the modules (and loggers) the settings name that are not registered.
    """

    system: str
    variable: str
    settings: str
    source: Source
    help: HelpRequest | None
    components: tuple[ComponentExplanation, ...]
    artifacts: tuple[ArtifactExplanation, ...]
    modules: tuple[LoggerLevel, ...]

    def to_dict(self) -> dict[str, object]:
        """
        The explanation as JSON-ready data, with the keys the README documents.
        """
        return {
            "system": self.system,
            "variable": self.variable,
            "settings": self.settings,
            "source": self.source,
            "help": self.help,
            "components": [
                {"name": c.name, "loggers": [_logger_dict(lg) for lg in c.loggers]} for c in self.components
            ],
            "artifacts": [
                {
                    "name": a.name,
                    "state": a.state,
                    "reason": a.reason,
                    "origin": _origin_dict(a.origin),
                    "off_by_default": a.off_by_default,
                    "shown_under": list(a.shown_under),
                    "hidden_under": list(a.hidden_under),
                    "description": a.description,
                }
                for a in self.artifacts
            ],
            "modules": [_logger_dict(lg) for lg in self.modules],
        }

    def to_json(self) -> str:
        """
        ``to_dict()`` as indented JSON text.
        """
        return json.dumps(self.to_dict(), indent=2)

    def to_text(self) -> str:
        """
        The explanation as the tables ``logdial explain`` prints.
        """
        if self.source == "unset":
            title = f"{self.system}: {self.variable} is not set, so the defaults apply"
        else:
            where = " (from the environment)" if self.source == "environment" else ""
            title = f"{self.system}: {self.variable}={self.settings!r}{where}"
        out = [title, ""]
        if self.help is not None:
            flag = " --all" if self.help == "full" else ""
            out += [f"help: init() prints the help message and exits 0 (see: logdial help {self.system}{flag})", ""]
        rows: list[tuple[str, ...]] = []
        for component in self.components:
            for i, logger in enumerate(component.loggers):
                rows += _logger_rows(component.name if i == 0 else "", logger, self.components[0].loggers[0].logger)
        out += _table(("component", "logger", "level", "from"), rows)
        out.append("")
        out += _table(("artifact", "state", "why"), [(a.name, a.state, a.describe()) for a in self.artifacts])
        out.append("")
        if self.modules:
            root = self.components[0].loggers[0].logger
            module_rows = [row[1:] for m in self.modules for row in _logger_rows("", m, root)]
            out += _table(("module", "level", "from"), module_rows)
        else:
            out.append("modules: none named")
        return "\n".join(out) + "\n"


def explain(system: LogSystem, settings: str, *, source: Source = "argument") -> Explanation:
    """
    Explain what ``settings`` does to ``system``: pure, like ``system.parse``.

    Args:
        system: the system whose registrations the settings are resolved against.
        settings: a settings string, in the grammar of ``{P}_LOGS``.
        source: where the string came from, for the title (``"unset"``: the variable is
            not set and ``settings`` is empty).

    Raises:
        SettingsError: the error ``system.parse(settings)`` raises.

    >>> from logdial import LogSystem
    >>> logs = LogSystem("shop")
    >>> logs.register_log("orders", "shop.orders")
    >>> logs.register_artifact("sql", "Every SQL statement.")
    >>> explanation = explain(logs, "+orders")
    >>> explanation.components[1].loggers[0].level, explanation.artifacts[0].state
    (10, 'on')
    """
    return _Explainer(system, system.parse(settings)).build(settings, source)


class _Explainer:
    """
    Attributes each value of the plan the system applies for the settings to the item
    that decided it.

    The values come from the system's own code: the settings from its resolver, each
    logger's level from the ``Plan`` that ``init()`` applies and the ``FloorFilter`` it
    sets up, each artifact's switch from ``Plan.switch``. What each item touches is found
    by resolving that item alone, which is what it does in any context. Later items win,
    so a value comes from the last item that touches it.
    """

    def __init__(self, system: LogSystem, settings: Settings) -> None:
        from ._grammar import ParseResult  # loaded: the items were parsed

        self.system = system
        self.settings = settings
        self.root = system.root
        self.plan = plan_for(system, settings)
        registry = self.plan.registry
        self.floor_filter = FloorFilter()
        self.floor_filter.update(self.plan)
        # Every item is valid (it is in the settings), so a module it names is taken as it is.
        self.alone = [
            resolve(ParseResult((item,), ()), registry, root=self.root, exists=lambda _: True).settings
            for item in settings.items
        ]
        # The module items still covering their subtree at the end, as the resolver's
        # module levels: a module item drops the module items below it.
        self.live_modules: dict[str, int] = {}
        for index, single in enumerate(self.alone):
            for name in single.modules:
                for covered in [m for m in self.live_modules if m.startswith(name + ".")]:
                    del self.live_modules[covered]
                self.live_modules[name] = index

    def origin(self, index: int) -> Origin:
        item = self.settings.items[index]
        return Origin(item.text, item.start)

    def level_origin(self, logger: str) -> Origin:
        index = max(i for i, single in enumerate(self.alone) if logger in single.levels)
        return self.origin(index)

    def floor_origin(self, logger: str) -> Origin:
        parts = logger.split(".")
        for depth in range(len(parts), 0, -1):
            index = self.live_modules.get(".".join(parts[:depth]))
            if index is not None:
                return self.origin(index)
        raise AssertionError(f"no module item covers the floor of {logger!r}")

    def decided_by(self, logger: str, floor: bool) -> Origin | None:
        """
        The item behind the floor (``floor``) or the level of ``logger``; ``None`` for a
        level no item sets (the system's default for its root).
        """
        if floor:
            return self.floor_origin(logger)
        return self.level_origin(logger) if logger in self.settings.levels else None

    def logger_level(self, name: str) -> LoggerLevel:
        """
        What a record of logger ``name``, and of the loggers below it, needs to reach
        logdial's handlers once the plan is applied (``FloorFilter.record_level``).
        """
        own = self.floor_filter.record_level(self.plan, name)
        if own is None:  # above everything the settings reach: the application decides
            return LoggerLevel(name, None)
        level, decider, floor = own
        below = None
        under_it = self.floor_filter.record_level(self.plan, name, below=True)
        if under_it is not None and under_it[0] != level:
            below = Floor(under_it[0], self.decided_by(under_it[1], under_it[2]))
        inherited_from = None if decider == name else decider
        return LoggerLevel(name, level, self.decided_by(decider, floor), inherited_from, below)

    def artifact_origin(self, name: str) -> Origin:
        index = max(i for i, s in enumerate(self.alone) if name in s.artifacts or name in s.disabled)
        return self.origin(index)

    def build(self, text: str, source: Source) -> Explanation:
        registry = self.system.registry
        root = ComponentExplanation("all", (self.logger_level(self.root),))
        components = [
            ComponentExplanation(c.name, tuple(self.logger_level(n) for n in c.loggers))
            for c in registry.components.values()
        ]
        modules: list[LoggerLevel] = []
        for single in self.alone:
            for name in single.modules:
                if name not in (m.logger for m in modules):
                    modules.append(self.logger_level(name))
        shown, hidden = self.debug_places(components or [root], modules)
        artifacts = []
        for artifact in registry.artifacts.values():
            name, origin = artifact.name, None
            state: ArtifactState
            reason: ArtifactReason
            switch = self.plan.switch(name)
            if switch is None:
                state, reason = ("on" if not hidden else "off" if not shown else "depends"), "follows"
            elif switch == logging.DEBUG:
                state, reason, origin = "on", "named", self.artifact_origin(name)
            elif name in self.settings.disabled:
                state, reason, origin = "off", "switched_off", self.artifact_origin(name)
            else:
                state, reason = "off", "off_by_default"
            follows = reason == "follows"
            artifacts.append(
                ArtifactExplanation(
                    name,
                    artifact.description,
                    state,
                    reason,
                    origin,
                    artifact.off_by_default,
                    shown_under=shown if follows else (),
                    hidden_under=hidden if follows else (),
                )
            )
        return Explanation(
            system=self.system.name,
            variable=self.system.var,
            settings=text,
            source=source,
            help=self.settings.help,
            components=(root, *components),
            artifacts=tuple(artifacts),
            modules=tuple(modules),
        )

    def debug_places(
        self, components: list[ComponentExplanation], modules: list[LoggerLevel]
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """
        Where an artifact that follows its component shows, and where it is hidden.

        Which component logs an artifact is known only to the module that asks for its
        logger, so the answer names places: the components (or, when only part of one is
        at DEBUG, its loggers), and the modules inside them that change the answer. For a
        logger, the deepest place that covers it decides.
        """
        shown: list[str] = []
        hidden: list[str] = []
        marks: dict[str, bool] = {}  # logger -> whether artifacts show under it
        for component in components:
            if component.at_debug or not any(lg.at_debug for lg in component.loggers):
                (shown if component.at_debug else hidden).append(component.name)
                marks.update(dict.fromkeys((lg.logger for lg in component.loggers), component.at_debug))
                continue
            for logger in component.loggers:  # part of it at DEBUG (a module item named a logger)
                (shown if logger.at_debug else hidden).append(logger.logger)
                marks[logger.logger] = logger.at_debug
        for module in sorted(modules, key=lambda m: m.logger.count(".")):
            above = _deepest(module.logger, marks)
            if above is None and not (module.at_debug and under(module.logger, self.root)):
                continue  # outside every place: artifacts of the system do not log there
            if above != module.at_debug:
                (shown if module.at_debug else hidden).append(module.logger)
                marks[module.logger] = module.at_debug
        return tuple(shown), tuple(hidden)


def _deepest(name: str, marks: dict[str, bool]) -> bool | None:
    parts = name.split(".")
    for depth in range(len(parts), 0, -1):
        mark = marks.get(".".join(parts[:depth]))
        if mark is not None:
            return mark
    return None


def _origin_dict(origin: Origin | None) -> dict[str, object] | None:
    return None if origin is None else {"item": origin.item, "position": origin.position}


def _logger_dict(logger: LoggerLevel) -> dict[str, object]:
    below = logger.below
    return {
        "logger": logger.logger,
        "level": logger.level,
        "level_name": None if logger.level is None else level_name(logger.level),
        "origin": _origin_dict(logger.origin),
        "inherited_from": logger.inherited_from,
        "below": None
        if below is None
        else {"level": below.level, "level_name": level_name(below.level), "origin": _origin_dict(below.origin)},
    }


def _level_text(level: int) -> str:
    return level_name(level).upper()


def _logger_rows(label: str, logger: LoggerLevel, root: str) -> list[tuple[str, ...]]:
    if logger.level is None:
        return [(label, logger.logger, "-", "not set: the application's logging decides")]
    source = "default" if logger.origin is None else logger.origin.describe()
    if logger.inherited_from is not None:
        source += f", inherited from {'all' if logger.inherited_from == root else logger.inherited_from}"
    rows: list[tuple[str, ...]] = [(label, logger.logger, _level_text(logger.level), source)]
    below = logger.below
    if below is not None:
        why = "default" if below.origin is None else below.origin.describe()
        rows.append(("", "  the loggers below it", _level_text(below.level), why))
    return rows


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]]).rstrip()
        for row in (header, *rows)
    ]
