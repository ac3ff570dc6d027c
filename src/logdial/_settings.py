"""Settings: the frozen result of resolving items against a registry, and its inverse."""

from __future__ import annotations

import logging
from types import MappingProxyType

from ._frozen import Frozen
from ._levels import parse_level
from ._registry import Registry

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from collections.abc import Set as AbstractSet
    from typing import Final, Literal

    # The grammar is imported by whoever parses (not at import: a program that gives
    # no settings never needs it).
    from ._grammar import Item, ParseResult, Problem

    HelpRequest = Literal["brief", "full"]

__all__ = ["MESSAGE_PROBLEMS_LIMIT", "Resolution", "Settings", "format_problems", "resolve"]

#: How many invalid items an error message lists (``SettingsError.problems`` has them all).
MESSAGE_PROBLEMS_LIMIT: Final = 20

_SIGN_LEVELS: Final = MappingProxyType({"+": logging.DEBUG, "": logging.INFO, "-": logging.ERROR})
_ON: Final = frozenset({"on", "true", "1", "yes"})
_OFF: Final = frozenset({"off", "false", "0", "no"})

_EMPTY: Final[Mapping[str, int]] = MappingProxyType({})


class Settings(Frozen):
    """
    What a settings string means, resolved against a registry. Immutable.

    Attributes:
        levels: logger name → level the settings set (aliases expanded; a later item wins).
        artifacts: the artifacts the settings enable.
        disabled: the artifacts the settings switch off (``name=off``), silent even when
            their component is at DEBUG.
        components: component alias (and ``"all"``) → the level the settings gave it.
        modules: the unregistered module or logger names the settings name.
        floors: logger → level for the loggers below it that the settings do not name:
            set where a component item follows a module item that covers its logger
            (``-pkg.sub,+comp``), so that the component's logger alone changes.
        help: ``"brief"`` or ``"full"`` when the settings ask for help, else ``None``.
        items: the valid items the settings were made from (not compared), in order,
            including those for other ranks (``+dynamo@1`` on rank 0), which change
            nothing here.
    """

    __slots__ = ("artifacts", "components", "disabled", "floors", "help", "items", "levels", "modules")
    _fields = ("levels", "artifacts", "disabled", "components", "modules", "floors", "help", "items")
    _compare = ("levels", "artifacts", "disabled", "components", "modules", "floors", "help")
    levels: Mapping[str, int]
    artifacts: frozenset[str]
    disabled: frozenset[str]
    components: Mapping[str, int]
    modules: frozenset[str]
    floors: Mapping[str, int]
    help: HelpRequest | None
    items: tuple[Item, ...]

    def __init__(
        self,
        *,
        levels: Mapping[str, int] = _EMPTY,
        artifacts: frozenset[str] = frozenset(),
        disabled: frozenset[str] = frozenset(),
        components: Mapping[str, int] = _EMPTY,
        modules: frozenset[str] = frozenset(),
        floors: Mapping[str, int] = _EMPTY,
        help: HelpRequest | None = None,  # noqa: A002 (the field's name)
        items: tuple[Item, ...] = (),
    ) -> None:
        self._set(
            levels=levels,
            artifacts=artifacts,
            disabled=disabled,
            components=components,
            modules=modules,
            floors=floors,
            help=help,
            items=items,
        )

    def to_string(self) -> str:
        """
        The settings written back as a settings string; parsing it gives equal settings.

        >>> from logdial import Item
        >>> Settings(items=(Item("+", "dynamo", None), Item("", "guards", "off"))).to_string()
        '+dynamo,guards=off'
        """
        return ",".join(item.text for item in self.items)

    def __hash__(self) -> int:
        levels, floors = tuple(sorted(self.levels.items())), tuple(sorted(self.floors.items()))
        return hash((levels, floors, self.artifacts, self.disabled, self.modules, self.help))


class Resolution(Frozen):
    """
    The settings made of the valid items, the problems of the others, and which of those
    items failed only because their name is not (yet) registered.
    """

    # A Frozen value, not a namedtuple: making a namedtuple class costs import time.
    __slots__ = ("problems", "settings", "unknown")
    _fields = ("settings", "problems", "unknown")
    settings: Settings
    problems: tuple[Problem, ...]
    unknown: tuple[Item, ...]

    def __init__(self, settings: Settings, problems: tuple[Problem, ...], unknown: tuple[Item, ...]) -> None:
        self._set(settings=settings, problems=problems, unknown=unknown)


def resolve(
    parsed: ParseResult,
    registry: Registry,
    *,
    root: str,
    exists: Callable[[str], bool],
    rank: int | None = None,
) -> Resolution:
    """
    Resolve parsed items against ``registry``. Pure, given a pure ``exists``.

    ``exists(name)`` says whether an unregistered dotted name is a module or logger that
    may be configured. Invalid items are left out of the settings and reported.

    ``rank`` is this process's rank: an item with ranks (``+dynamo@0-3``) applies only
    when they include it, and is as if absent otherwise; it is still checked, so that
    every rank reports the same errors. ``None`` (a single process, no rank known) counts
    as rank 0, as a program's ``int(os.environ.get("RANK", 0))`` does: the settings of a
    distributed run mean for a lone process what they mean for the first rank.
    """
    state = _Builder(registry, root, exists, 0 if rank is None else rank)
    for item in parsed.items:
        state.add(item)
    problems = tuple(sorted((*parsed.problems, *state.problems), key=lambda p: p.start))
    return Resolution(state.build(), problems, tuple(state.unknown))


class NamePart:
    """
    What settings make of one registered name, as plain mappings and sets (see ``resolve_name``).
    """

    __slots__ = ("artifacts", "components", "disabled", "floors", "levels")

    def __init__(
        self,
        levels: Mapping[str, int],
        components: Mapping[str, int],
        artifacts: AbstractSet[str],
        disabled: AbstractSet[str],
        floors: Mapping[str, int],
    ) -> None:
        self.levels, self.components, self.floors = levels, components, floors
        self.artifacts, self.disabled = artifacts, disabled


_NOTHING: Final = NamePart(_EMPTY, _EMPTY, frozenset(), frozenset(), _EMPTY)


def resolve_name(
    parsed: ParseResult, registry: Registry, name: str, *, root: str, exists: Callable[[str], bool], rank: int | None
) -> NamePart:
    """
    What the items make of registered component or artifact ``name`` alone, in time
    independent of the registry's size: wildcards are matched against ``name`` only, and
    items naming other components or artifacts are passed over (they cannot change it).
    For a registration after the settings were resolved (see ``merge_name``); problems
    are not reported (the full resolution reported them).
    """
    if name in registry.artifacts and not any(
        item.name == name or (item.has_wildcard and not (item.sign and item.value is None)) for item in parsed.items
    ):
        return _NOTHING  # (a signed wildcard, +*, sets components only)
    state = _Builder(registry, root, exists, 0 if rank is None else rank, only=name)
    for item in parsed.items:
        state.add(item)
    return NamePart(state.levels, state.components, state.artifacts, state.disabled, state.floors())


class _Builder:
    def __init__(
        self, registry: Registry, root: str, exists: Callable[[str], bool], rank: int, only: str | None = None
    ) -> None:
        self.only = only
        self.registry = registry
        self.root = root
        self.exists = exists
        self.rank = rank
        self.levels: dict[str, int] = {}
        self.components: dict[str, int] = {}
        self.artifacts: set[str] = set()
        self.disabled: set[str] = set()
        self.modules: set[str] = set()
        self.module_levels: dict[str, int] = {}  # module item -> level, while it covers its subtree
        self.by_component: set[str] = set()  # loggers whose level a component (or all) item set
        self.help: HelpRequest | None = None
        self.items: list[Item] = []
        self.problems: list[Problem] = []
        self.unknown: list[Item] = []
        self.hints: dict[str, str] = {}

    def build(self) -> Settings:
        return Settings(
            levels=MappingProxyType(self.levels),
            artifacts=frozenset(self.artifacts),
            disabled=frozenset(self.disabled),
            components=MappingProxyType(self.components),
            modules=frozenset(self.modules),
            floors=MappingProxyType(self.floors()),
            help=self.help,
            items=tuple(self.items),
        )

    def floors(self) -> dict[str, int]:
        # A component item after a module item that covers its logger sets that logger
        # only: the loggers below it keep the module's level, as in torch, where the
        # module was expanded into explicit levels for every submodule.
        out = {}
        for name in self.by_component:
            parts = name.split(".")
            for depth in range(len(parts), 0, -1):
                level = self.module_levels.get(".".join(parts[:depth]))
                if level is not None:
                    out[name] = level
                    break
        return out

    def set_component_level(self, logger_name: str, level: int) -> None:
        self.levels[logger_name] = level
        self.by_component.add(logger_name)

    def fail(self, item: Item, reason: str) -> None:
        from ._grammar import Problem  # loaded: the item was parsed

        self.problems.append(Problem(item.start, item.text, reason))

    def add(self, item: Item) -> None:
        name = item.name
        if item.ranks is not None and name != "help" and self.rank not in item.ranks:
            return self.check(item) if self.only is None else None
        if name == "help":
            if item.value is not None:
                return self.fail(item, "help takes no value: write help, or +help for every artifact")
            if item.ranks is not None:
                return self.fail(item, "help takes no ranks: write help, or +help for every artifact")
            self.help = "full" if item.sign == "+" or self.help == "full" else "brief"
        elif item.has_wildcard:
            return self.add_wildcard(item)  # it records the item itself, once
        elif (
            self.only is not None
            and name != self.only
            and (name in ("all", self.root) or name in self.registry.components or name in self.registry.artifacts)
        ):
            return None  # (resolve_name: another name's item)
        elif name in ("all", self.root) or name in self.registry.components:
            level = self.level_of(item, name)
            if level is None:
                return
            # The root's own name means what "all" means, as "torch" does in torch.
            targets: tuple[str, ...]
            if name in ("all", self.root):
                name, targets = "all", (self.root,)
            else:
                targets = self.registry.components[name].loggers
            for logger_name in targets:
                self.set_component_level(logger_name, level)
            self.components[name] = level
        elif name in self.registry.artifacts:
            enabled = self.switch_of(item, name)
            if enabled is None:
                return
            self.set_artifact(name, enabled)
        else:
            self.add_module(item)
            return
        self.items.append(item)

    def check(self, item: Item) -> None:
        # An item for other ranks: resolved apart, on a rank it applies on, for its
        # problems only; kept among the items when it has none, so that to_string()
        # writes it back.
        scratch = _Builder(self.registry, self.root, self.exists, item.ranks.start if item.ranks else 0)
        scratch.add(item)
        self.problems += scratch.problems
        self.unknown += scratch.unknown
        if not scratch.problems:
            self.items.append(item)

    def add_wildcard(self, item: Item) -> None:
        components, artifacts = self.registry.match(item.name, self.only)
        if not components and not artifacts:
            self.unknown.append(item)  # a plugin may register matching names later
            return self.fail(item, "the pattern matches no registered component or artifact" + self.hint(item.name))
        value = item.value
        if value is not None:
            # A value picks the kind it fits: a level for components, on/off for artifacts.
            is_level = parse_level(value) is not None
            is_switch = value.lower() in _ON | _OFF
            if not is_level and not is_switch:
                return self.fail(item, f"{value!r} is neither a level nor on/off")
            fitting = (components if is_level else (), artifacts if is_switch else ())
            if not any(fitting):
                # The value fits one kind, and the pattern matches only the other.
                kind, names, takes = (
                    ("artifacts", artifacts, "on or off") if is_level else ("components", components, "a level")
                )
                return self.fail(
                    item, f"the pattern matches only {kind} ({', '.join(names)}), which take {takes}, not {value!r}"
                )
            components, artifacts = fitting
        elif item.sign:
            # A sign asks for a level, which only components have: +* sets every
            # component to DEBUG and leaves the artifacts to follow them.
            if not components:
                return self.fail(item, f"the pattern matches only artifacts ({', '.join(artifacts)}), "
                                       f"which take no {item.sign}; write {item.name} to show them")  # fmt: skip
            artifacts = ()
        for name in components:
            level = self.level_of(item, name)
            assert level is not None  # checked above
            for logger_name in self.registry.components[name].loggers:
                self.set_component_level(logger_name, level)
            self.components[name] = level
        for name in artifacts:
            self.set_artifact(name, value is None or value.lower() in _ON)
        self.items.append(item)

    def add_module(self, item: Item) -> None:
        name = item.name
        if item.value is not None and item.value.lower() in {"on", "off", "true", "false", "yes", "no"}:
            self.unknown.append(item)  # a plugin may register this artifact later
            return self.fail(
                item, f"{name!r} is not an artifact, so it takes a level, not {item.value!r}" + self.hint(name)
            )
        if not (name == self.root or name.startswith(self.root + ".") or self.exists(name)):
            self.unknown.append(item)
            return self.fail(item, "not a registered component or artifact, nor a module or logger" + self.hint(name))
        level = self.level_of(item, name)
        if level is None:
            return
        # A module covers the loggers below it: drop what earlier items set on them, as
        # torch does by expanding a package into its submodules (without importing it).
        prefix = name + "."
        for table in (self.levels, self.module_levels):
            for logger_name in [n for n in table if n.startswith(prefix)]:
                del table[logger_name]
        self.by_component = {n for n in self.by_component if n != name and not n.startswith(prefix)}
        self.levels[name] = level
        self.module_levels[name] = level
        self.modules.add(name)
        self.items.append(item)

    def set_artifact(self, name: str, enabled: bool) -> None:
        (self.artifacts if enabled else self.disabled).add(name)
        (self.disabled if enabled else self.artifacts).discard(name)

    def level_of(self, item: Item, name: str) -> int | None:
        if item.value is None:
            return _SIGN_LEVELS[item.sign]
        level = parse_level(item.value)
        if level is None:
            self.fail(
                item,
                f"{item.value!r} is not a level for {name!r}: use debug, info, warning, error, critical or a number",
            )
        return level

    def switch_of(self, item: Item, name: str) -> bool | None:
        if item.value is None:
            return True
        value = item.value.lower()
        if value in _ON | _OFF:
            return value in _ON
        self.fail(item, f"{item.value!r} is not a switch for artifact {name!r}: use on or off")
        return None

    def hint(self, name: str) -> str:
        # Once per distinct name: a long bad setting may repeat one typo many times; and
        # only for the problems a message lists (the search is the costly part).
        hint = self.hints.get(name)
        if hint is None and len(self.problems) >= MESSAGE_PROBLEMS_LIMIT:
            return ""
        if hint is None:
            did = self.registry.did_you_mean(name)
            hint = self.hints[name] = f"; {did}" if did else ""
        return hint


def format_problems(problems: tuple[Problem, ...], where: str, hint: str) -> str:
    """
    One message for all ``problems``: what is wrong with each item and where, then ``hint``.

    A problem with a negative ``start`` is a keyword argument, shown without a position.
    The first ``MESSAGE_PROBLEMS_LIMIT`` problems are listed, then how many more there are.
    """
    shown = problems[:MESSAGE_PROBLEMS_LIMIT]
    lines = [f"{p.text!r} at position {p.start}: {p.reason}" if p.start >= 0 else f"{p.text}: {p.reason}"
             for p in shown]  # fmt: skip
    if len(problems) == 1:
        return f"invalid {where}: {lines[0]}\n{hint}"
    if len(problems) > len(shown):
        lines.append(f"... and {len(problems) - len(shown):,} more")
    body = "\n".join(f"  {line}" for line in lines)
    return f"invalid {where} ({len(problems):,} items):\n{body}\n{hint}"
