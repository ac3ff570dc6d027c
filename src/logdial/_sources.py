"""Where the settings in force came from, as one value: the variable, the API or an override.

``Sources`` is swapped whole under the system's lock; its methods are the pure builders the
system asks for the next value (``read``: what ``init()`` makes of ``{P}_LOGS``;
``asked``: a ``set_logs`` call, under the precedence; ``overriding``/``restored``: an
``override`` block; ``for_rank``: the items with ranks, once the rank is known). What a
registration changes is ``registration_change``: the variable may name the new name, or
match it with a wildcard. ``merge_name`` and ``Unfolded`` keep registering linear.
"""

from __future__ import annotations

from types import MappingProxyType

from ._env import EnvConfig
from ._frozen import Frozen
from ._registry import copy_mapping
from ._settings import Settings

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from collections.abc import Set as AbstractSet
    from typing import Final, Literal

    from ._grammar import Item, ParseResult
    from ._inputs import Reading
    from ._settings import NamePart, Resolution

    Source = Literal["default", "env", "api", "override"]
    Precedence = Literal["env", "api"]
    Resolver = Callable[[ParseResult], Resolution]

__all__ = ["DEFAULTS", "Sources", "Unfolded", "merge_name", "registration_change"]

#: The settings when nothing asks for any.
DEFAULTS: Final = Settings()


class Sources(Frozen):
    """
    The settings in force and where they came from.

    Attributes:
        settings: the settings in force.
        source: what chose them: ``"default"``, ``"env"`` (``{P}_LOGS``), ``"api"``
            (``set_logs``) or ``"override"`` (an ``override`` block).
        api: what ``set_logs`` asked for last (in force when the variable is unset, or
            with ``precedence="api"``).
        env: the variables as ``init()`` read them (an empty reading before).
        parsed: ``{P}_LOGS``'s items, while the variable is in use.
        pending: those of its items that name what is not registered yet.
        initialized: ``init()`` has run (since the last ``reset()``).
        variable: the settings ``{P}_LOGS`` gave when read last (``None``: unset or unusable).
    """

    __slots__ = ("api", "env", "initialized", "parsed", "pending", "settings", "source", "variable")
    _fields = ("settings", "source", "api", "env", "parsed", "pending", "initialized", "variable")
    settings: Settings
    source: Source
    api: Settings
    env: EnvConfig
    parsed: ParseResult | None
    pending: tuple[Item, ...]
    initialized: bool
    variable: Settings | None

    def __init__(
        self,
        env: EnvConfig,
        *,
        settings: Settings = DEFAULTS,
        source: Source = "default",
        api: Settings = DEFAULTS,
        parsed: ParseResult | None = None,
        pending: tuple[Item, ...] = (),
        initialized: bool = False,
        variable: Settings | None = None,
    ) -> None:
        self._set(
            settings=settings,
            source=source,
            api=api,
            env=env,
            parsed=parsed,
            pending=pending,
            initialized=initialized,
            variable=variable,
        )

    def read(self, env: EnvConfig, reading: Reading) -> Sources:
        """
        What ``init()`` makes of the variables ``env`` and of what ``{P}_LOGS`` gives
        (``reading``; without settings, what the API asked for stands).
        """
        chosen, source = _chosen(reading.settings, self.source, self.settings, self.api)
        return self._replace(
            env=env,
            settings=chosen,
            source=source,
            parsed=reading.parsed,
            pending=reading.pending,
            initialized=True,
            variable=reading.settings,
        )

    def remote(self, env: EnvConfig, reading: Reading) -> Sources:
        """
        A change from ``logdial set`` or ``reset``: as ``read``, except that an ``override``
        block in progress stays in force (its end then restores these settings).
        """
        if self.source != "override":
            return self.read(env, reading)
        return self._replace(
            env=env, parsed=reading.parsed, pending=reading.pending, initialized=True, variable=reading.settings
        )

    def asked(self, new: Settings, precedence: Precedence) -> Sources:
        """
        After ``set_logs``: ``new`` is what the API asks for; it is in force unless the
        variable is set and wins (``precedence="env"``). See ``ignores_api``.
        """
        if self.ignores_api(precedence):
            return self._replace(api=new)
        return self._replace(api=new, settings=new, source="api")

    def ignores_api(self, precedence: Precedence) -> bool:
        """
        Whether ``set_logs`` is ignored now: the variable is set and wins.
        """
        return precedence == "env" and self.env.logs is not None

    def overriding(self, new: Settings) -> Sources:
        """
        For an ``override`` block: ``new`` in force, whatever the precedence.
        """
        return self._replace(settings=new, source="override")

    def restored(self, previous: Sources) -> Sources:
        """
        At the end of an ``override`` block: the settings and source ``previous`` had (the
        rest, such as what ``set_logs`` asked inside the block, stays as it is now); when
        the variables were read anew inside the block (``init()``, ``logdial set``), what
        ``read`` made of them.
        """
        if self.env is previous.env or previous.source == "override":  # (an outer block goes on)
            return self._replace(settings=previous.settings, source=previous.source)
        settings, source = _chosen(self.variable, previous.source, previous.settings, self.api)
        return self._replace(settings=settings, source=source)

    def with_settings(self, settings: Settings) -> Sources:
        """
        The same sources, with ``settings`` in force (a registration changed what they make).
        """
        return self if settings is self.settings else self._replace(settings=settings)

    def with_pending(self, pending: tuple[Item, ...]) -> Sources:
        """
        The same sources, with ``pending`` the variable's items still naming what is not registered.
        """
        return self._replace(pending=pending)

    def for_rank(self, again: Callable[[Settings], Settings]) -> Sources:
        """
        The settings in force and the API's resolved again (``again``) for a rank now known.
        """
        settings, api = again(self.settings), again(self.api)
        if settings is self.settings and api is self.api:
            return self
        return self._replace(settings=settings, api=api)


class Change(Frozen):
    """
    What a registration changes (see ``registration_change``).

    Attributes:
        sources: the sources after it.
        apply: ``"all"``: apply the settings again (after ``init()``); ``"unfolded"``:
            the name's loggers take what ``unfolded`` holds; ``"new"``: configure the new
            loggers only.
        unfolded: what is not folded into ``sources.settings`` yet, or ``None``.
    """

    __slots__ = ("apply", "sources", "unfolded")
    _fields = ("sources", "apply", "unfolded")
    sources: Sources
    apply: Literal["all", "unfolded", "new"]
    unfolded: Unfolded | None

    def __init__(
        self, sources: Sources, apply: Literal["all", "unfolded", "new"], unfolded: Unfolded | None = None
    ) -> None:
        self._set(sources=sources, apply=apply, unfolded=unfolded)


def registration_change(
    sources: Sources,
    unfolded: Unfolded | None,
    name: str,
    own: tuple[str, ...],
    *,
    shared: bool,
    resolver: Resolver,
    resolve_one: Callable[[ParseResult, str], NamePart],
) -> Change:
    """
    What registering ``name`` changes: ``own`` are the loggers of the component ``name``
    (none for an artifact), ``shared`` says another component has one of the new loggers,
    and ``unfolded`` (changed in place) is what earlier registrations added to
    ``sources.settings`` that is not folded in yet.

    The variable may name it (a plugin's name, kept pending since ``init()``: all is
    resolved again with ``resolver``) or match it with a wildcard (``resolve_one`` works out
    what it makes of this name alone, so that registering stays linear).
    """
    parsed = sources.parsed
    from_env = sources.source == "env"
    if parsed is not None and (shared or any(item.name == name or item.has_wildcard for item in sources.pending)):
        resolution = resolver(parsed)
        sources = sources.with_pending(resolution.unknown)
        settings = _folded(sources.settings, unfolded)
        if from_env and resolution.settings != settings:
            return Change(sources.with_settings(resolution.settings), "all")
        return Change(sources.with_settings(settings), "new")
    if parsed is None or not from_env or not any(item.has_wildcard for item in parsed.items):
        return Change(sources, "new", unfolded)
    part = resolve_one(parsed, name)
    base = sources.settings
    if sources.initialized and not any(k in part.floors or k in base.levels for k in own):
        # The usual case: only additions, kept apart until the settings are read next
        # (one copy of their maps for a whole burst of registrations).
        unfolded = Unfolded() if unfolded is None else unfolded
        unfolded.add(part, name, own)
        return Change(sources, "unfolded", unfolded)
    settings = _folded(base, unfolded)
    merged = merge_name(settings, part, name, own)
    return Change(sources.with_settings(merged), "all" if merged.floors is not settings.floors else "new")


def _chosen(variable: Settings | None, source: Source, settings: Settings, api: Settings) -> tuple[Settings, Source]:
    # The settings in force once the variable gives ``variable`` (``None``: unset), when
    # ``settings`` from ``source`` were, and the API last asked for ``api``; and their source.
    if variable is not None:
        return variable, "env"
    if source == "env":  # the variable went away: back to what the API asked for
        return api, "api" if api is not DEFAULTS else "default"
    return settings, source


def _folded(settings: Settings, unfolded: Unfolded | None) -> Settings:
    return settings if unfolded is None else unfolded.fold(settings)


def merge_name(settings: Settings, part: NamePart, name: str, loggers: tuple[str, ...]) -> Settings:
    """
    ``settings`` with what ``part`` (from ``resolve_name``) says of ``name`` and its
    ``loggers``: what a full resolution with ``name`` registered gives, when no other
    component covers those loggers. ``settings`` itself when that changes nothing.
    """

    def merged(old: Mapping[str, int], new: Mapping[str, int], keys: tuple[str, ...]) -> Mapping[str, int]:
        if all(old.get(k) == new.get(k) for k in keys):
            return old
        out = copy_mapping(old)  # (at C speed)
        for key in keys:
            if key in new:
                out[key] = new[key]
            else:
                out.pop(key, None)
        return MappingProxyType(out)

    def member(old: frozenset[str], new: AbstractSet[str]) -> frozenset[str]:
        if (name in old) == (name in new):
            return old
        return old | {name} if name in new else old - {name}

    levels = merged(settings.levels, part.levels, loggers)
    artifacts = member(settings.artifacts, part.artifacts)
    disabled = member(settings.disabled, part.disabled)
    components = merged(settings.components, part.components, (name,))
    floors = merged(settings.floors, part.floors, loggers)
    if (
        levels is settings.levels
        and artifacts is settings.artifacts
        and disabled is settings.disabled
        and components is settings.components
        and floors is settings.floors
    ):
        return settings  # nothing it says concerns the name
    return Settings(
        levels=levels,
        artifacts=artifacts,
        disabled=disabled,
        components=components,
        modules=settings.modules,
        floors=floors,
        help=settings.help,
        items=settings.items,
    )


class Unfolded:
    """
    What registrations under a wildcard added to the settings in force and what is not
    folded into them yet (see ``registration_change``): so that a burst of registrations
    costs one copy of the settings' maps, when they are next read, not one per name.

    Only additions: ``resolve_name`` for a name that is new, whose loggers no setting
    reaches otherwise (else the caller merges at once).
    """

    __slots__ = ("artifacts", "components", "disabled", "levels")

    def __init__(self) -> None:
        self.levels: dict[str, int] = {}
        self.components: dict[str, int] = {}
        self.artifacts: set[str] = set()
        self.disabled: set[str] = set()

    def add(self, part: NamePart, name: str, loggers: tuple[str, ...]) -> None:
        """
        Take what ``part`` says of ``name`` and its ``loggers``.
        """
        self.levels.update((k, part.levels[k]) for k in loggers if k in part.levels)
        if name in part.components:
            self.components[name] = part.components[name]
        if name in part.artifacts:
            self.artifacts.add(name)
        if name in part.disabled:
            self.disabled.add(name)

    def over(self, settings: Settings, name: str) -> Settings:
        """
        ``settings`` as seen by the loggers of ``name``, with what is not folded yet: the
        levels through a chain (no copy), the artifact ``name``'s own switch.
        """
        import collections  # only for a burst of registrations under a wildcard

        return Settings(
            levels=MappingProxyType(collections.ChainMap(self.levels, settings.levels)),  # type: ignore[arg-type]
            artifacts=frozenset({name} & self.artifacts) | (settings.artifacts & {name}),
            disabled=frozenset({name} & self.disabled) | (settings.disabled & {name}),
            components=settings.components,
            modules=settings.modules,
            floors=settings.floors,
            help=settings.help,
            items=settings.items,
        )

    def fold(self, settings: Settings) -> Settings:
        """
        ``settings`` with everything taken in: one copy of each map that changes.
        """

        def with_added(old: Mapping[str, int], new: dict[str, int]) -> Mapping[str, int]:
            if not new:
                return old
            out = copy_mapping(old)
            out.update(new)
            return MappingProxyType(out)

        return Settings(
            levels=with_added(settings.levels, self.levels),
            artifacts=settings.artifacts | self.artifacts if self.artifacts else settings.artifacts,
            disabled=settings.disabled | self.disabled if self.disabled else settings.disabled,
            components=with_added(settings.components, self.components),
            modules=settings.modules,
            floors=settings.floors,
            help=settings.help,
            items=settings.items,
        )
