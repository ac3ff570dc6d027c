"""The filters logdial places: on loggers (a logger's own level) and on its handlers (floors,
the rank filter, one carrier per record). At record time they read what the applier gave
them; the calls they make are the rank watch's look while the rank is unknown
(``FloorFilter.poll``, see ``_ranks.RankWatch.look``), and, once per logger, making a plain
logger whose record they see a ``FastLogger`` (``FloorFilter.speed_up``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from types import MappingProxyType

from ._fast import fast_logger
from ._frozen import Frozen

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._plan import Plan

__all__ = ["SEEN_LIMIT", "FloorFilter", "FloorMaps", "NearestCarrierFilter", "OwnLevelFilter"]

#: How many logger names a floor filter remembers as seen (see ``FloorFilter.speed_up``):
#: records may carry any name (made by hand, received from elsewhere), and memory stays
#: bounded; past it, a record of a name not seen costs one more dictionary lookup.
SEEN_LIMIT = 10_000


class OwnLevelFilter(logging.Filter):
    """
    On a logger whose level was lowered for the loggers below it, holds its own records
    to its own level (a logger's filters see only the records made on it).
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        """
        Whether ``record`` reaches the logger's own level.
        """
        return record.levelno >= self.level


class FloorMaps(Frozen):
    """
    What a ``FloorFilter`` holds records to, as one value published at once (see
    ``FloorFilter.maps``), never changed once published.

    Attributes:
        floors: logger → the level of the loggers below it that the settings do not name
            (``Settings.floors``).
        explicit: the loggers with a level of their own: no floor above them holds their
            records (or those below them). Only the names under a floor matter.
        own: a logger whose level was lowered for those below it → the level of its own records.
    """

    __slots__ = ("explicit", "floors", "own")
    _fields = ("floors", "explicit", "own")
    floors: Mapping[str, int]
    explicit: frozenset[str]
    own: Mapping[str, int]

    def __init__(self, floors: Mapping[str, int], explicit: frozenset[str], own: Mapping[str, int]) -> None:
        self._set(floors=floors, explicit=explicit, own=own)

    def holder(self, name: str, *, below: bool = False) -> str | None:
        """
        See ``FloorFilter.holder``.
        """
        floors, explicit = self.floors, self.explicit
        if not below:
            if name in explicit:
                return name if name in self.own else None
            cut = name.rfind(".")
            if cut <= 0:
                return None
            name = name[:cut]
        while name not in floors:
            if name in explicit:
                return None
            cut = name.rfind(".")
            if cut <= 0:
                return None
            name = name[:cut]
        return name

    def settings_floor(self, name: str) -> int:
        """
        The level the settings hold records of logger ``name`` to (``FloorFilter.floor``
        without the rank filter's level).
        """
        holder = self.holder(name)
        if holder is None:
            return 0
        return self.own[holder] if holder == name else self.floors[holder]

    def covers(self, name: str) -> bool:
        """
        Whether logger ``name`` is at or below a logger with a floor (where ``explicit``
        can change what ``holder`` finds).
        """
        floors = self.floors
        while name not in floors:
            cut = name.rfind(".")
            if cut <= 0:
                return False
            name = name[:cut]
        return True


class FloorFilter(logging.Filter):
    """
    Holds back records of loggers below a "floor" (see ``Settings.floors``) that are under
    the floor's level, on logdial's handlers, so that loggers created after the settings
    were applied are covered too. With no floors it passes everything at once.

    It also carries the rank filter's level to ``FastLogger`` flags (see ``floor``), and
    while the rank is unknown calls ``poll`` before each record: the rank may become known
    (``torch.distributed`` initialised after ``init()``), and the handlers' level then
    changes, too late for the record at hand, which this filter holds to it instead.
    """

    def __init__(self) -> None:
        super().__init__()
        #: The floors, the loggers with a level of their own and the lowered loggers' own
        #: levels, in one value; ``None`` when the settings have no floors (nothing is
        #: held: the cheapest test per record). ``update`` and ``add`` publish a new one in
        #: one assignment, and each call reads this attribute once, so that a record meets
        #: the old settings or the new, never a mixture. (Three attributes assigned one
        #: after the other let a record meet the new loggers with a level of their own and
        #: the old floors, or find its holder in the old floors and read its level from
        #: the new: held back by a floor that neither the old settings nor the new give it.)
        self.maps: FloorMaps | None = None
        #: The level logdial's handlers pass on this rank (``Applier.rank_level``).
        self.rank_level = 0
        #: The loggers whose records reach only logdial's handlers: the tops, unless they
        #: propagate. Below them the rank filter's level also holds back FastLogger calls.
        self.rank_scope: frozenset[str] = frozenset()
        #: Called before each record while the rank is unknown, else ``None``.
        self.poll: Callable[[], None] | None = None
        #: The names of the loggers whose records this filter has seen (``speed_up``).
        self.seen: set[str] = set()

    def update(self, plan: Plan) -> None:
        """
        Take the floors, and the loggers with a level of their own, from ``plan``.
        """
        floors = plan.settings.floors
        if not floors:  # (then no logger has an own level either: see Plan.own_levels)
            self.maps = None
            return
        explicit = {plan.root, *plan.settings.levels}
        explicit.update(n for n in plan.artifact_loggers if plan.level(n) != logging.NOTSET)
        own = MappingProxyType(plan.own_levels())
        self.maps = FloorMaps(floors, frozenset(explicit), own)  # (one assignment: see __init__)

    def add(self, plan: Plan, names: Iterable[str]) -> set[str]:
        """
        Take newly configured loggers ``names`` (the settings unchanged) into account,
        without going over the others; return those whose floor changed (with the loggers
        below them).
        """
        maps = self.maps
        if maps is None:  # no floors: none changes
            return set()
        # Only names under a floor: elsewhere a level of their own changes no floor (and
        # registrations copy nothing). A new value, not the published one grown in place.
        new = {n for n in names if n not in maps.explicit and maps.covers(n) and plan.level(n) != logging.NOTSET}
        if new:
            self.maps = FloorMaps(maps.floors, maps.explicit.union(new), maps.own)
        return new

    def floor(self, name: str) -> int:
        """
        The level records of logger ``name`` must reach, beyond their loggers' levels:
        the floor of the nearest ancestor that has one, unless a logger on the way (or
        ``name`` itself) has a level of its own in the settings; for a logger whose level
        was lowered for those below it, its own level; and at least the rank filter's
        level when only logdial's handlers see its records. 0 when there is none.
        """
        maps = self.maps
        level = maps.settings_floor(name) if maps is not None else 0
        rank_level = self.rank_level
        if rank_level > level:
            probe = name
            while True:
                if probe in self.rank_scope:
                    return rank_level
                cut = probe.rfind(".")
                if cut < 0:
                    break
                probe = probe[:cut]
        return level

    def holder(self, name: str, *, below: bool = False) -> str | None:
        """
        The logger that holds records of logger ``name`` above their logger's level: itself
        when in ``own``; else, unless it or a logger on the way has a level of its own, its
        nearest ancestor with a floor; else ``None``. With ``below``: the one whose floor
        holds the loggers below ``name`` that the settings do not name.
        """
        maps = self.maps
        return maps.holder(name, below=below) if maps is not None else None

    def record_level(self, plan: Plan, name: str, *, below: bool = False) -> tuple[int, str, bool] | None:
        """
        The lowest level a record of logger ``name`` (``below``: of a logger below it that
        the settings do not name) needs to reach logdial's handlers under ``plan``, the
        plan this filter was updated with, as ``FastLogger`` reckons it (the rank aside):
        its effective level, then its floor or ``OwnLevelFilter``. With the logger whose
        setting decides it, and whether that is its floor (a tie goes to the floor).
        ``None`` when no logger on the way has a level: the application's logging decides.
        """
        effective = plan.effective_level(name)
        if effective is None:
            return None
        level, decider = effective
        maps = self.maps
        if maps is None:
            return level, decider, False
        holder = maps.holder(name, below=below)
        if holder is not None:
            floor = below or holder != name  # (else its OwnLevelFilter)
            held = maps.floors[holder] if floor else maps.own[holder]
            if held >= level:
                return held, holder, floor
        return level, decider, decider in maps.own  # (Plan.level sets those to their floor)

    def filter(self, record: logging.LogRecord) -> bool:
        """
        Whether ``record`` reaches its floor (and, just after the rank became known, the
        rank filter's level).
        """
        poll = self.poll
        if poll is not None:
            poll()
            if record.levelno < self.rank_level:
                return False
        if record.name not in self.seen:
            self.speed_up(record.name)
        # A logger's own level is held by its OwnLevelFilter, which sees only its records.
        maps = self.maps  # (once: see __init__)
        if maps is None or record.name in maps.explicit:
            return True
        return record.levelno >= maps.settings_floor(record.name)

    def speed_up(self, name: str) -> None:
        """
        At the first record of logger ``name`` (a logger under the system's components,
        whose records reach its handlers): when it is a plain ``logging.Logger`` (the
        stdlib's class itself, as ``logging.getLogger(__name__)`` makes it), make it a
        ``FastLogger`` in place, as ``LogSystem.getLogger`` would: the same object, with
        its handlers, filters and level, whose later records are built without the
        stdlib's per-record lookups and whose disabled calls cost half. A logger of
        another class (the program's own), a name without a logger (a record made by
        hand) and a logger that cannot change are left as they are. Never raises.
        """
        seen = self.seen
        if len(seen) < SEEN_LIMIT:
            seen.add(name)
        if type(logging.Logger.manager.loggerDict.get(name)) is logging.Logger:
            with contextlib.suppress(Exception):  # a record reaches its handler whatever happens here
                fast_logger(name, self.floor)


class NearestCarrierFilter(logging.Filter):
    """
    On a handler object of logger ``name``, when each of a system's loggers carries
    handler objects of its own: passes a record only when ``name`` is the nearest
    logger above it (or its own) that carries logdial's handlers, so that a record that
    propagates past several of them (``propagate=True``, for caplog) is written once.
    """

    def __init__(self, name: str, carriers: Collection[str]) -> None:
        super().__init__()
        self.carrier = name
        self.carriers = carriers

    def filter(self, record: logging.LogRecord) -> bool:
        """
        Whether this handler's logger is the nearest carrier of ``record``'s logger.
        """
        name, carriers = record.name, self.carriers
        while name not in carriers:
            cut = name.rfind(".")
            if cut < 0:
                return False  # not under any carrier: a record of another system's logger
            name = name[:cut]
        return name == self.carrier
