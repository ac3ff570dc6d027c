"""What ``set_logs`` and ``override`` are given, turned into settings items: the API's input stage.

The string form goes through the grammar, as the environment variable does; keywords
(``dynamo=logging.DEBUG``, ``graph_code=True``) and ``modules=`` become items of the same
kind, checked against the registry, so one resolver (``_settings.resolve``) turns every
source of settings into ``Settings``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from ._errors import SettingsError
from ._frozen import Frozen
from ._levels import level_name, parse_level
from ._notices import cannot_load
from ._registry import Registry
from ._settings import Settings, format_problems, resolve, resolve_name

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

    from ._grammar import Item, ParseResult, Problem
    from ._settings import NamePart, Resolution

__all__ = ["A_LEVEL", "MAX_SETTINGS_LENGTH", "Inputs", "Reading", "api_items", "exists", "level_of", "too_long"]

#: The longest settings string taken (variable or call): anything longer is refused whole.
#: Resolving costs time and memory with every item, and real settings are a few hundred characters.
MAX_SETTINGS_LENGTH: Final = 65_536
#: What a level may be, as the errors say it.
A_LEVEL: Final = "a level (an int such as logging.DEBUG, or a name such as 'debug')"


def level_of(value: object) -> int | None:
    """
    The level ``value`` gives (an int >= 0, or a level's name in any case), else None.
    """
    if isinstance(value, str):
        return parse_level(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def too_long(settings: str) -> Problem | None:
    """
    The problem of a settings string longer than ``MAX_SETTINGS_LENGTH``, found before
    anything is parsed (refusing costs nothing, whatever the length); else None.
    """
    if len(settings) <= MAX_SETTINGS_LENGTH:
        return None
    from ._grammar import Problem  # when used, not at import

    text = f"a string of {len(settings):,} characters"
    return Problem(-1, text, f"longer than the {MAX_SETTINGS_LENGTH:,} a setting may have")


def api_items(
    settings: str | None, modules: Mapping[str, int | str] | None, values: Mapping[str, object], registry: Registry
) -> tuple[ParseResult, frozenset[str]]:
    """
    The items (and problems) of one ``set_logs``/``override`` call: the string's, then
    the keywords', then ``modules=``'s; and the module names ``modules=`` gives (taken as
    they are, imported or not).
    """
    from ._grammar import Item, ParseResult, Problem, parse_items  # when used, not at import

    parsed = parse_items(settings or "")
    extra: list[Item] = []
    problems: list[Problem] = []
    for key, value in values.items():
        item = _keyword_item(key, value, problems, registry)
        if item is not None:
            extra.append(item)
    module_names: set[str] = set()
    if modules is not None:
        if not isinstance(modules, Mapping):
            problems.append(Problem(-1, "modules", f"must be a mapping of module name to level, not {modules!r}"))
            modules = {}
        for key, value in modules.items():
            if not isinstance(key, str) or not all(p.isidentifier() for p in key.split(".")):
                problems.append(Problem(-1, f"modules[{key!r}]", "is not a dotted module name"))
            elif (level := level_of(value)) is None and value is not None:
                problems.append(Problem(-1, f"modules[{key!r}]={value!r}", f"must be {A_LEVEL}"))
            elif level is not None:
                module_names.add(key)
                extra.append(Item("", key, level_name(level), -1))
    return ParseResult((*parsed.items, *extra), (*parsed.problems, *problems)), frozenset(module_names)


def _keyword_item(key: str, value: object, problems: list[Problem], registry: Registry) -> Item | None:
    from ._grammar import Item, Problem  # when used, not at import

    if key == "all" or key in registry.components:
        level = level_of(value)
        if level is None and value is not None:
            problems.append(Problem(-1, f"{key}={value!r}", f"must be {A_LEVEL} or None"))
        elif level is not None:
            return Item("", key, level_name(level), -1)  # (to_string() writes the name)
    elif key in registry.artifacts:
        if value is not None and not isinstance(value, bool):
            problems.append(Problem(-1, f"{key}={value!r}", "must be True or False (or None)"))
        elif value is not None:
            return Item("", key, "on" if value else "off", -1)
    else:
        did = registry.did_you_mean(key)
        did = f"{did} " if did else ""
        accepted = ", ".join(["all", *registry.components, *registry.artifacts, "modules"])
        problems.append(Problem(-1, f"{key}={value!r}", f"unknown keyword; {did}accepted: {accepted}"))
    return None


def exists(name: str) -> bool:
    """
    Whether an unregistered dotted ``name`` may be configured: a logger that exists, or a
    module that can be found (without importing anything).
    """
    from ._modules import module_exists  # when used, not at import

    return name in logging.Logger.manager.loggerDict or module_exists(name)


class Reading(Frozen):
    """
    What ``{P}_LOGS`` gives (see ``Inputs.variable``).

    Attributes:
        settings: its settings, or ``None`` when it is unset or cannot be used.
        parsed: its items, or ``None``.
        pending: those of its items that name what is not registered yet.
    """

    __slots__ = ("parsed", "pending", "settings")
    _fields = ("settings", "parsed", "pending")
    settings: Settings | None
    parsed: ParseResult | None
    pending: tuple[Item, ...]

    def __init__(
        self, settings: Settings | None = None, parsed: ParseResult | None = None, pending: tuple[Item, ...] = ()
    ) -> None:
        self._set(settings=settings, parsed=parsed, pending=pending)


_NOTHING_READ: Final = Reading()


class Inputs:
    """
    One system's input stage: its settings strings, ``set_logs`` arguments and variable,
    resolved against its registrations (``registry_of()``) for its rank (``rank_of()``),
    with errors that name the system's variable.
    """

    def __init__(
        self,
        name: str,
        var: str,
        root: str,
        registry_of: Callable[[], Registry],
        rank_of: Callable[[], int | None],
    ) -> None:
        self.name, self.var, self.root = name, var, root
        self._registry_of, self._rank_of = registry_of, rank_of

    def error(self, problems: tuple[Problem, ...], where: str) -> SettingsError:
        """
        The error for ``problems`` in the settings ``where`` names.
        """
        message = format_problems(problems, where, f"{self.var}=help lists all names.")
        return SettingsError(message, tuple(f"{p.text}: {p.reason}" for p in problems))

    def check_length(self, settings: str, where: str) -> None:
        """
        Raises:
            SettingsError: for a string longer than ``MAX_SETTINGS_LENGTH``.
        """
        problem = too_long(settings)
        if problem is not None:
            raise self.error((problem,), where)

    def resolve(self, parsed: ParseResult) -> Resolution:
        """
        ``parsed`` resolved for the rank now.
        """
        return resolve(parsed, self._registry_of(), root=self.root, exists=exists, rank=self._rank_of())

    def resolve_one(self, parsed: ParseResult, name: str) -> NamePart:
        """
        What ``parsed`` makes of registered ``name`` alone, for the rank now (see ``resolve_name``).
        """
        return resolve_name(parsed, self._registry_of(), name, root=self.root, exists=exists, rank=self._rank_of())

    def parse(self, settings: str, rank: int | None) -> Settings:
        """
        ``LogSystem.parse``: ``settings`` for ``rank``, reading nothing else.

        Raises:
            SettingsError, TypeError, ValueError: as ``LogSystem.parse`` says.
        """
        from ._grammar import parse_items  # when used, not at import

        if not isinstance(settings, str):
            raise SettingsError(f"settings must be a string, not {type(settings).__name__}")
        if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool)):
            raise TypeError(f"rank must be an int or None, not {rank!r}")
        if rank is not None and rank < 0:
            raise ValueError(f"rank must be 0 or more, not {rank}")
        self.check_length(settings, f"{self.name} settings")
        resolution = resolve(parse_items(settings), self._registry_of(), root=self.root, exists=exists, rank=rank)
        if resolution.problems:
            raise self.error(resolution.problems, f"{self.name} settings")
        return resolution.settings

    def from_api(
        self, settings: str | None, modules: Mapping[str, int | str] | None, values: Mapping[str, object]
    ) -> Settings:
        """
        What a ``set_logs`` or ``override`` call asks for.

        Raises:
            SettingsError: naming every invalid argument and item.
        """
        if settings is not None and not isinstance(settings, str):
            raise SettingsError(
                f"set_logs() takes a settings string as its first argument, not {type(settings).__name__}; "
                "give levels and switches as keywords, e.g. set_logs(dynamo=logging.DEBUG, graph_code=True)"
            )
        self.check_length(settings or "", "set_logs() settings")
        registry = self._registry_of()
        combined, module_names = api_items(settings, modules, values, registry)

        def given(name: str) -> bool:  # names given in modules= are taken as they are
            return name in module_names or exists(name)

        resolution = resolve(combined, registry, root=self.root, exists=given, rank=self._rank_of())
        if resolution.problems:
            raise self.error(resolution.problems, "set_logs() settings")
        return resolution.settings

    def variable(self, logs: str | None, strict: bool, report: Callable[[str], None]) -> Reading:
        """
        ``{P}_LOGS`` as ``init()`` reads it: its problems reported (``report``) and its
        valid items used, unless ``strict``.

        Raises:
            SettingsError: in strict mode, for an invalid or too long value.
        """
        if logs is not None and len(logs) > MAX_SETTINGS_LENGTH:
            try:
                self.check_length(logs, self.var)
            except SettingsError as refused:
                if strict:
                    raise
                report(f"{refused}\nNone of its items is applied.")
            return _NOTHING_READ
        if logs is None:
            return _NOTHING_READ
        try:
            from ._grammar import parse_items  # only with settings to parse: not at import

            parsed = parse_items(logs)
            resolution = self.resolve(parsed)
        except OSError as exc:  # a module loaded on first use cannot be read (no descriptor left)
            report(f"{self.var} cannot be read now: {cannot_load(exc)}; the defaults apply")
            return _NOTHING_READ
        if resolution.problems and resolution.settings.help is None:
            error = self.error(resolution.problems, f"{self.var}={logs!r}")
            if strict:
                raise error
            report(f"{error}\nThe other items are applied; names not registered yet are kept "
                   "for plugins that register them later.")  # fmt: skip
        return Reading(resolution.settings, parsed, resolution.unknown)

    def for_rank(self, settings: Settings) -> Settings:
        """
        ``settings`` resolved again for the rank now, if it has items with ranks. Every item
        in it was valid once, so a module it names is taken as it is.
        """
        if not any(item.ranks is not None for item in settings.items):
            return settings
        from ._grammar import ParseResult  # loaded: the items were parsed

        parsed = ParseResult(settings.items, ())
        return resolve(
            parsed, self._registry_of(), root=self.root, exists=lambda name: True, rank=self._rank_of()
        ).settings
