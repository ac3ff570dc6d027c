"""Apply a plan to the stdlib loggers a system owns: levels, propagation, logdial's handlers.

The one stage that changes ``logging``'s loggers. What each logger gets is the plan's
(``_plan``); the filters placed on loggers and handlers are in ``_filters``.
"""

from __future__ import annotations

import logging
import weakref
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

from ._fast import loggers_state
from ._filters import FloorFilter, NearestCarrierFilter, OwnLevelFilter
from ._handlers import retire_handler, sibling_of
from ._plan import Plan, under

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._fields import RecordFields

__all__ = ["Applier", "clear_caches_below", "enable_named", "relink"]


def _tops(names: Iterable[str]) -> set[str]:
    """
    The names that have no ancestor among ``names``: where logdial's handlers go.
    """
    pool = set(names)
    tops = set()
    for name in pool:
        parts = name.split(".")
        if not any(".".join(parts[:i]) in pool for i in range(1, len(parts))):
            tops.add(name)
    return tops


def _effective(logger: logging.Logger, levels: Mapping[logging.Logger, int]) -> int:
    """
    ``logger.getEffectiveLevel()`` once the loggers in ``levels`` have their levels there.
    """
    probe: logging.Logger | None = logger
    while probe is not None:
        level = levels.get(probe, probe.level)
        if level:
            return level
        probe = probe.parent
    return logging.NOTSET


class Applier:
    """
    Configures a system's loggers; remembers what it changed, so that it can undo it.

    Loggers under the system's root belong to the system. For a logger outside it (a
    module named in the settings), the level and propagation it had are kept and
    restored once no setting names it any more. Handlers that are not logdial's are
    never touched. Callers hold the system's lock.

    Where the handlers go (``placement``): ``"top"`` puts the handler objects on the
    topmost owned loggers only; ``"components"`` also gives every logger a component
    registers handler objects of its own (siblings of the system's, writing to the same
    outputs), with propagation set on each, as torch does, and a
    ``NearestCarrierFilter`` on each so that every record is written once however
    propagation is set.
    """

    def __init__(self, root: str, placement: str = "top") -> None:
        self.root = root
        self.placement = placement
        self.owned: set[str] = set()
        self.tops: set[str] = set()
        #: The loggers that carry logdial's handler objects: the tops, and with
        #: placement "components" the loggers components register. One set, changed in
        #: place: the NearestCarrierFilters read it.
        self.carriers: set[str] = set()
        self.handlers: tuple[logging.Handler, ...] = ()
        # carrier → its own handler objects (placement "components")
        self._siblings: dict[str, tuple[logging.Handler, ...]] = {}
        self.propagate = False
        #: The level logdial's handlers pass (the rank filter: higher on the ranks that
        #: are not to log); 0 passes everything.
        self.rank_level = 0
        self.floor_filter = FloorFilter()
        #: Gives records logdial's fields as attributes, on every handler while records
        #: propagate to the application's handlers: made by ``make_fields`` (the system's)
        #: the first time they do, so that a program that never propagates never imports it.
        self.fields: RecordFields | None = None
        self.make_fields: Callable[[], RecordFields] | None = None
        self._own_filters: dict[str, OwnLevelFilter] = {}
        self._saved: dict[str, tuple[int, bool]] = {}
        #: The loggers the settings name (``Plan.named``).
        self.named: set[str] = set()  # (grown in place by add(): a copy per registration would be quadratic)
        _watch_root_cache(self)

    def apply(self, plan: Plan, handlers: Sequence[logging.Handler] | None = None) -> None:
        """
        Configure every owned logger for ``plan``; with ``handlers``, also place them.
        """
        owned = plan.owned()
        self.floor_filter.update(plan)
        self.named = set(plan.named())
        reconfigured = self._reconfigured()
        released = self.owned - owned
        levels = {name: plan.level(name) for name in owned}
        levels.update((name, self._given_back(name)) for name in released)
        self._set_levels(levels)
        self.owned = owned
        self._place_own_filters(plan.own_levels())
        tops = _tops(owned)
        self._place(tops, self._carriers(plan, tops), tuple(handlers) if handlers is not None else self.handlers)
        for name in released:  # after _place: detaching a logger reads what was saved for it
            self._release(name)
        relink(tops)
        self._set_rank_level()
        if reconfigured:
            self._enable_named()
        _clear_level_caches()

    def add(self, plan: Plan, names: Iterable[str]) -> None:
        """
        Configure newly registered loggers ``names`` without revisiting the others: in
        time proportional to ``names`` (and, for a logger whose level changes, to the
        loggers in the process, to find those below it), not to what is registered.
        """
        names = list(names)
        attached = False
        changed = self.floor_filter.add(plan, names)
        newly_named = [name for name in names if plan.is_named(name)]  # (a pending setting names them)
        known = logging.Logger.manager.loggerDict
        if newly_named:
            self.named.update(newly_named)
            # A logger not made yet has none below it either (making one makes its
            # parents' placeholders): nothing there can be disabled, nothing to walk for.
            enable_named([name for name in newly_named if name in known])
        fresh: set[str] = set()
        components = plan.registry.logger_names if self.placement == "components" else frozenset()
        with logging._lock:  # type: ignore[attr-defined]  # (no logger is made meanwhile)
            fresh.update(name for name in names if name not in known)  # made below, with nothing under them
            levels = {name: plan.level(name) for name in names}
            changed.update(name for name, level in levels.items() if logging.getLogger(name).level != level)
            self._set_levels(levels)
            for name in names:
                self.owned.add(name)
                if self.handlers and not self._covered(name):
                    self.tops.add(name)
                    self._attach(name)
                    attached = True
                elif self.handlers and name in components:
                    self._attach(name)  # a component's logger carries handlers of its own
            relink(names)
            if not attached:  # the loggers whose level or floor moved (FastLogger flags follow)
                clear_caches_below(changed, leaves=fresh)
        if attached:  # a new top may stand above an old one, which must then let go
            minimal = _tops(self.tops)
            carriers = self._carriers(plan, minimal)
            for name in self.carriers - carriers:
                self._detach(name)
            self.tops = minimal
            self._set_rank_level()
            _clear_level_caches()

    def preset(self, plan: Plan, names: Iterable[str]) -> None:
        """
        Before the system is initialised: give the artifact loggers among ``names`` their
        levels (and nothing else), so that an artifact that is off stays quiet until then.
        """
        changed = set()
        for name in names:
            level = plan.level(name)
            logger = logging.getLogger(name)
            if name in plan.artifact_loggers and logger.level != level:
                logger.level = level  # not setLevel: it clears every logger's cache
                changed.add(name)
        clear_caches_below(changed)

    def recheck(self) -> None:
        """
        After any change of level anywhere (the stdlib clears every level cache, and
        ``dictConfig`` does so after it disables the loggers that existed): if the
        logging configuration was replaced since, enable what the settings name again.
        """
        if self.handlers and self._reconfigured():
            self._enable_named()

    def _reconfigured(self) -> bool:
        # Whether logging's configuration may have been replaced (dictConfig, fileConfig)
        # since logdial placed its handlers: both empty logging's list of handlers, so one
        # of logdial's is missing from it. Before any is placed: maybe (dictConfig may have
        # run before init()). A cheap test, at each setting and each change of level.
        if not self.handlers:
            return True
        listed = _listed_handlers()
        return listed is None or any(id(handler) not in listed for handler in self.handlers)

    def _enable_named(self) -> None:
        enable_named(tuple(self.named))  # (a copy made in C at once: add() grows the set in another thread)
        # Back in logging's list, so that the next check passes, and logging flushes and
        # closes them at exit as it does every handler.
        add_ref = getattr(logging, "_addHandlerRef", None)
        listed = _listed_handlers()
        if callable(add_ref) and listed is not None:
            for handler in self._all_handlers():
                if id(handler) not in listed:
                    add_ref(handler)

    def release_all(self) -> None:
        """
        Remove logdial's handlers and give every logger back its level and propagation.
        """
        self._place(set(), frozenset(), ())
        self._place_own_filters({})
        for name in self.owned:
            self._release(name)
        self.owned = set()
        self.rank_level = 0
        self._set_rank_level()
        self.floor_filter.poll = None
        _clear_level_caches()

    # -- internals ----------------------------------------------------------------

    def _carriers(self, plan: Plan, tops: Iterable[str]) -> frozenset[str]:
        if self.placement != "components":
            return frozenset(tops)
        return frozenset(tops).union(n for n in plan.registry.logger_names if n in self.owned)

    def _all_handlers(self) -> Iterator[logging.Handler]:
        yield from self.handlers
        for siblings in self._siblings.values():
            yield from siblings

    def _set_rank_level(self) -> None:
        level = self.rank_level
        propagate = self.propagate
        if propagate and self.fields is None and self.make_fields is not None:
            self.fields = self.make_fields()
        fields = self.fields
        for handler in self._all_handlers():
            if handler.level != level:
                handler.setLevel(level)
            # logdial's fields as attributes, for the handlers records propagate to (an
            # application's, OpenTelemetry's); only then: they cost each record ~0.8 us.
            if fields is not None and propagate != (fields in handler.filters):
                (handler.addFilter if propagate else handler.removeFilter)(fields)
        self.floor_filter.rank_level = level
        self.floor_filter.rank_scope = frozenset() if self.propagate else frozenset(self.tops)

    def _place_own_filters(self, own: Mapping[str, int]) -> None:
        for name in list(self._own_filters):
            if own.get(name) != self._own_filters[name].level:
                logging.getLogger(name).removeFilter(self._own_filters.pop(name))
        for name, level in own.items():
            if name not in self._own_filters:
                self._own_filters[name] = OwnLevelFilter(level)
                logging.getLogger(name).addFilter(self._own_filters[name])

    def _set_levels(self, levels: Mapping[str, int]) -> None:
        # Logger name → its new level, set so that a record that passes its logger's level
        # before and after passes it all along. Set one by one, the levels went through
        # states neither side has: from "+all" (the root at DEBUG, "core" unset) to "+core"
        # (the root at WARNING, "core" at DEBUG), the root set first left core's loggers at
        # WARNING, and a logger whose level cache was filled then dropped its DEBUG records
        # until apply() cleared the caches at its end (a CI run lost a thread's last 2,549).
        # So each changed logger first goes to the lower of its effective levels before and
        # after (the loggers below it then need no more than before), then to its new level
        # (no more than after). Not setLevel: that clears every logger's cache, per call.
        loggers: dict[logging.Logger, int] = {}
        for name, level in levels.items():
            logger = logging.getLogger(name)
            if not under(name, self.root) and name not in self._saved:
                self._saved[name] = (logger.level, logger.propagate)
            if logger.level != level:
                loggers[logger] = level
        between = {logger: max(1, min(logger.getEffectiveLevel(), _effective(logger, loggers))) for logger in loggers}
        for logger, level in between.items():  # (1: not NOTSET, which would defer to the loggers above)
            logger.level = level
        for logger, level in loggers.items():
            logger.level = level

    def _given_back(self, name: str) -> int:
        # The level a logger no setting names any more gets back: its own from before, or none.
        saved = self._saved.get(name)
        return saved[0] if saved is not None else logging.NOTSET

    def _release(self, name: str) -> None:
        logger = logging.getLogger(name)
        saved = self._saved.pop(name, None)
        if saved is not None:
            logger.level, logger.propagate = saved
        else:
            logger.level = logging.NOTSET

    def _place(self, tops: set[str], carriers: frozenset[str], handlers: tuple[logging.Handler, ...]) -> None:
        for name in self.carriers - carriers:
            self._detach(name)
        # A logger that keeps carrying handlers gets the new ones in the same step as it
        # loses the old ones: a record logged meanwhile meets either, never neither.
        # (The system retires the handlers it made; the siblings made here are retired here.)
        replaced: dict[str, tuple[logging.Handler, ...]] = {}
        old_siblings: list[logging.Handler] = []
        if handlers != self.handlers:
            for name in self.carriers & carriers:
                siblings = self._siblings.pop(name, ())
                old_siblings += siblings
                replaced[name] = (*self.handlers, *siblings)
        self.handlers = handlers
        for handler in handlers:
            if self.floor_filter not in handler.filters:
                handler.addFilter(self.floor_filter)
        self.tops = tops
        for name in carriers:
            self._attach(name, replaced.get(name, ()))
        for handler in old_siblings:
            retire_handler(handler)

    def _handlers_of(self, name: str) -> tuple[logging.Handler, ...]:
        # The handler objects logger `name` carries: the system's own, or (placement
        # "components") siblings of them for this logger alone.
        if self.placement != "components":
            return self.handlers
        siblings = self._siblings.get(name)
        if siblings is None:
            carrier = NearestCarrierFilter(name, self.carriers)
            siblings = tuple(sibling_of(h) for h in self.handlers)
            for handler in siblings:
                handler.addFilter(self.floor_filter)
                handler.addFilter(carrier)
            self._siblings[name] = siblings
        return siblings

    def _attach(self, name: str, replaced: tuple[logging.Handler, ...] = ()) -> None:
        # Put this logger's handler objects on it, in place of ``replaced``: one new list
        # (a list being iterated by a thread that logs is never changed under it).
        self.carriers.add(name)
        logger = logging.getLogger(name)
        mine = self._handlers_of(name)
        with logging._lock:  # type: ignore[attr-defined]  # (as addHandler and removeHandler)
            current = logger.handlers
            new = [h for h in current if h not in replaced and h not in mine] + list(mine)
            if new != current:
                logger.handlers = new
        logger.propagate = self.propagate

    def _detach(self, name: str) -> None:
        logger = logging.getLogger(name)
        for handler in self.handlers:
            logger.removeHandler(handler)
        for handler in self._siblings.pop(name, ()):
            logger.removeHandler(handler)
            retire_handler(handler)
        self.carriers.discard(name)
        saved = self._saved.get(name)
        logger.propagate = saved[1] if saved is not None else True

    def _covered(self, name: str) -> bool:
        # Whether a top stands above `name` (or is `name`).
        parts = name.split(".")
        return any(".".join(parts[:i]) in self.tops for i in range(1, len(parts) + 1))


#: CPython's logging links a logger made after its children by comparing the start of
#: each child's parent's name with the new logger's name (``Manager._fixupChildren``): a
#: child whose parent is still the root logger, whose name is "root", is left under the
#: root when the new logger is "r", "ro" or "roo", and its records never reach it.
_ROOT_NAME_PREFIXES = frozenset({"r", "ro", "roo"})


def relink(names: Iterable[str]) -> None:
    """
    Give every logger in the trees of ``names`` whose first part is "r", "ro" or "roo"
    its right parent (see ``_ROOT_NAME_PREFIXES``); nothing to do for other names.
    """
    if not any(name.partition(".")[0] in _ROOT_NAME_PREFIXES for name in names):
        return
    with logging._lock:  # type: ignore[attr-defined]
        loggers = {k: v for k, v in logging.Logger.manager.loggerDict.items() if isinstance(v, logging.Logger)}
        for name, logger in loggers.items():
            if name.partition(".")[0] not in _ROOT_NAME_PREFIXES:
                continue
            parent: logging.Logger = logging.root
            probe = name
            while (cut := probe.rfind(".")) > 0:
                probe = probe[:cut]
                if probe in loggers:
                    parent = loggers[probe]
                    break
            if logger.parent is not parent:
                logger.parent = parent
                logger._cache.clear()  # type: ignore[attr-defined]


class _RootCache(dict[int, bool]):
    """
    The root logger's level cache, which the stdlib clears on every change of level
    anywhere (``Manager._clear_cache``: every ``setLevel``, ``logging.disable``, and
    ``dictConfig``'s levels, set after it disables the loggers that existed). Clearing it
    also lets each system's applier recheck what ``disabled`` says of the loggers its
    settings name.
    """

    __slots__ = ()

    def clear(self) -> None:
        super().clear()
        for applier in list(_APPLIERS):
            try:
                applier.recheck()
            except Exception:
                continue


_APPLIERS: weakref.WeakSet[Applier] = weakref.WeakSet()


def _watch_root_cache(applier: Applier) -> None:
    _APPLIERS.add(applier)
    root = logging.getLogger()
    cache = root._cache  # type: ignore[attr-defined]
    if type(cache) is not _RootCache:
        with logging._lock:  # type: ignore[attr-defined]
            root._cache = _RootCache(cache)  # type: ignore[attr-defined]


def _listed_handlers() -> set[int] | None:
    # The ids of the handlers in logging's list (which it flushes and closes at exit, and
    # dictConfig and fileConfig empty); None where this Python keeps no such list.
    refs = getattr(logging, "_handlerList", None)
    return {id(ref()) for ref in refs} if isinstance(refs, list) else None


def enable_named(names: Collection[str]) -> None:
    """
    Undo ``logger.disabled`` on the loggers ``names`` and every logger below them: what
    ``logging.config.dictConfig`` (``disable_existing_loggers``, its default) or
    ``fileConfig`` set on loggers that existed before it, or a user set by hand. A setting
    that names a logger means to see it. One pass over the loggers in the process.
    """
    if not names:
        return
    prefixes = tuple(f"{name}." for name in names)
    with logging._lock:  # type: ignore[attr-defined]
        for key, logger in list(logging.Logger.manager.loggerDict.items()):
            if getattr(logger, "disabled", False) and (key in names or key.startswith(prefixes)):
                logger.disabled = False  # type: ignore[union-attr]


def clear_caches_below(names: Collection[str], leaves: Collection[str] = ()) -> None:
    """
    Clear the level caches of the loggers ``names`` and of every logger below them: all
    that a change of their levels can reach (``setLevel`` clears every logger's).

    Finding the loggers below one means going over every logger in the process, unless
    it is known to have none: one of ``leaves``, or a ``FastLogger`` with no logger made
    since ``fast_logger`` made it with nothing below it. Artifact loggers made after
    ``init()`` are such, so making each costs the same however many there are.
    """
    if not names:
        return
    known = logging.Logger.manager.loggerDict
    with logging._lock:  # type: ignore[attr-defined]
        state = loggers_state()
        parents = []
        for name in names:
            logger = known.get(name)
            if isinstance(logger, logging.Logger):
                logger._cache.clear()  # type: ignore[attr-defined]
                if name not in leaves and getattr(logger, "born", None) != state:
                    parents.append(f"{name}.")
        if parents:
            prefixes = tuple(parents)
            for key, logger in list(known.items()):
                if isinstance(logger, logging.Logger) and key.startswith(prefixes):
                    logger._cache.clear()  # type: ignore[attr-defined]


def _clear_level_caches() -> None:
    # Setting ``.level`` directly skips the cache invalidation setLevel does; do it once.
    # The root logger's setLevel clears every logger's cache and changes nothing else.
    root = logging.getLogger()
    root.setLevel(root.level)
