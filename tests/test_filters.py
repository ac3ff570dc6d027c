"""The filters logdial places (``_filters``): a logger's own level, the floors and the rank
filter on logdial's handlers, one carrier per record."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from tests.plans import DEBUG, ERROR, INFO, REGISTRY, ROOT, WARNING, plan, record

from logdial import _filters
from logdial._fast import FastLogger
from logdial._filters import FloorFilter, NearestCarrierFilter, OwnLevelFilter
from logdial._plan import Plan
from logdial._settings import Settings

#: ``-ap.core,+core`` and ``+ap.core,-core``: a logger raised above its floor, and one lowered to it.
_RAISED: dict[str, object] = {"levels": {"ap.core": DEBUG}, "floors": {"ap.core": ERROR}}
_LOWERED: dict[str, object] = {"levels": {"ap.core": ERROR}, "floors": {"ap.core": DEBUG}}


class TestOwnLevelFilter:
    """
    ``OwnLevelFilter``: a lowered logger's own records held to its own level.
    """

    def test_filter(self) -> None:
        """
        Records at or above the level pass.
        """
        own = OwnLevelFilter(ERROR)
        assert [False, False, True, True] == [own.filter(record("ap.core", lv)) for lv in (DEBUG, WARNING, ERROR, 50)]


class TestFloorFilter:
    """
    ``FloorFilter``: the floors, the loggers with a level of their own, the rank filter's level.
    """

    def test_new_passes_everything(self) -> None:
        """
        With no plan, no floor: every record passes, every floor is 0.
        """
        floor = FloorFilter()
        assert (True, 0) == (floor.filter(record("any.thing", 1)), floor.floor("any.thing"))

    def test_floor_below_a_raised_logger(self) -> None:
        """
        ``-ap.core,+core`` with ``ap.core.lifted`` named: the loggers below ``ap.core`` are
        held to ERROR, except the logger itself and the subtree of a logger the settings
        name; loggers elsewhere are not held.
        """
        floor = FloorFilter()
        floor.update(plan(levels={"ap.core": DEBUG, "ap.core.lifted": DEBUG}, floors={"ap.core": ERROR}))
        names = ["ap.core", "ap.core.sub", "ap.core.sub.deep", "ap.core.lifted.sub", "ap.io"]
        assert [0, ERROR, ERROR, 0, 0] == [floor.floor(n) for n in names]
        assert [True, False, True, True, True] == [
            floor.filter(record(name, level))
            for name, level in [
                ("ap.core", DEBUG),
                ("ap.core.sub", WARNING),
                ("ap.core.sub", ERROR),
                ("ap.core.lifted.sub", DEBUG),
                ("ap.io", DEBUG),
            ]
        ]

    def test_settings_swapped_while_a_record_is_filtered(self) -> None:
        """
        Another thread's ``update()`` may swap the floors while the filter looks at them:
        the record meets the settings it found (here the old: held), the next look the
        new, and the log call never raises (as a ``KeyError`` from a filter would, into
        the caller's ``log.error``).
        """
        floor = FloorFilter()

        class Swapping(dict[str, int]):
            def __contains__(self, key: object) -> bool:
                found = super().__contains__(key)
                floor.update(plan())  # the new settings (no floors) arrive now
                return found

        floor.update(plan(levels={"ap.core": DEBUG}, floors=Swapping({"ap.core": ERROR})))
        assert (False, 0) == (floor.filter(record("ap.core.sub", WARNING)), floor.floor("ap.core.sub"))

    def test_floor_of_a_lowered_logger(self) -> None:
        """
        ``+ap.core,-core``: the logger's own records are held to its own level (by its
        OwnLevelFilter; ``floor`` says so for FastLogger flags), those below to the floor.
        """
        floor = FloorFilter()
        floor.update(plan(levels={"ap.core": ERROR}, floors={"ap.core": DEBUG}))
        assert (ERROR, DEBUG, True) == (
            floor.floor("ap.core"),
            floor.floor("ap.core.sub"),
            floor.filter(record("ap.core.sub", DEBUG)),
        )

    def test_enabled_artifact_below_a_floor(self) -> None:
        """
        An enabled artifact's logger has a level of its own: no floor holds it.
        """
        floor = FloorFilter()
        floor.update(plan(levels={"ap.core": DEBUG}, floors={"ap.core": ERROR}, artifacts=frozenset({"graph"})))
        assert (0, True) == (floor.floor("ap.core.__graph"), floor.filter(record("ap.core.__graph", DEBUG)))

    @pytest.mark.parametrize(
        ("settings", "name", "expected", "below"),
        [
            ({}, "ap.core", (WARNING, "ap", False), (WARNING, "ap", False)),
            ({}, "ext.pkg", None, None),
            # -ap.core,+core: DEBUG itself, held to the floor below it
            (_RAISED, "ap.core", (DEBUG, "ap.core", False), (ERROR, "ap.core", True)),
            (_RAISED, "ap.core.sub", (ERROR, "ap.core", True), (ERROR, "ap.core", True)),
            # +ap.core,-core: its own records at ERROR, the loggers below at the floor
            (_LOWERED, "ap.core", (ERROR, "ap.core", False), (DEBUG, "ap.core", True)),
            (_LOWERED, "ap.core.sub", (DEBUG, "ap.core", True), (DEBUG, "ap.core", True)),
            # ap.core=0,-core: lowered to NOTSET, so it takes the root's WARNING below it
            ({"levels": {"ap.core": ERROR}, "floors": {"ap.core": 0}}, "ap.core.sub", (WARNING, "ap", False), None),
        ],
    )
    def test_record_level(
        self,
        settings: dict[str, object],
        name: str,
        expected: tuple[int, str, bool] | None,
        below: tuple[int, str, bool] | None,
    ) -> None:
        """
        The lowest level a record needs (the effective level, then the floor or the own
        level), the logger that decides it, and whether by its floor; of the logger and
        (``below``) of the loggers below it. ``None`` below: as for the logger itself.
        """
        applied = plan(**settings)
        floor = FloorFilter()
        floor.update(applied)
        assert (expected, below or expected) == (
            floor.record_level(applied, name),
            floor.record_level(applied, name, below=True),
        )

    def test_add(self) -> None:
        """
        ``add`` takes in new loggers with a level of their own (and returns them) without
        going over the others; a new logger that inherits changes nothing.
        """
        settings = Settings(levels={"ap.core": DEBUG}, floors={"ap.core": ERROR}, artifacts=frozenset({"graph"}))
        floor = FloorFilter()
        floor.update(Plan(settings, REGISTRY, {}, ROOT))
        before = floor.floor("ap.core.m.__graph")
        later = Plan(settings, REGISTRY, {"ap.core.m.__graph": "graph"}, ROOT)
        added = floor.add(later, ["ap.core.m.__graph", "ap.core.m"])
        assert (ERROR, {"ap.core.m.__graph"}, 0, ERROR) == (
            before,
            added,
            floor.floor("ap.core.m.__graph"),
            floor.floor("ap.core.m"),
        )

    def test_add_publishes_a_new_value(self) -> None:
        """
        ``add`` leaves the value readers may hold as it was and publishes a new one, only
        for loggers under a floor; with no floors, no floor changes.
        """
        settings = Settings(levels={"ap.core": DEBUG}, floors={"ap.core": ERROR}, artifacts=frozenset({"graph"}))
        later = Plan(settings, REGISTRY, {"ap.core.m.__graph": "graph", "ext.m.__graph": "graph"}, ROOT)
        floor = FloorFilter()
        floor.update(Plan(settings, REGISTRY, {}, ROOT))
        before = floor.maps
        assert before is not None
        explicit = before.explicit
        added = floor.add(later, ["ap.core.m.__graph", "ext.m.__graph"])
        assert floor.maps is not None
        assert ({"ap.core.m.__graph"}, explicit, explicit | {"ap.core.m.__graph"}) == (
            added,
            before.explicit,
            floor.maps.explicit,
        )
        unfloored = FloorFilter()
        unfloored.update(plan(levels={"ap.core": DEBUG}, artifacts=frozenset({"graph"})))
        assert (set(), None) == (unfloored.add(later, ["ap.core.m.__graph"]), unfloored.maps)

    def test_rank_level(self) -> None:
        """
        The rank filter's level is the floor of the loggers only logdial's handlers see
        (``rank_scope``) and of nothing else.
        """
        floor = FloorFilter()
        floor.rank_level, floor.rank_scope = ERROR, frozenset({"ap"})
        assert [ERROR, ERROR, 0, 0] == [floor.floor(n) for n in ("ap", "ap.core.x", "apx", "other")]

    def test_poll_while_the_rank_is_unknown(self) -> None:
        """
        ``poll`` runs before each record; a rank found then holds that very record to the
        rank filter's level.
        """
        floor = FloorFilter()
        polls: list[int] = []

        def poll() -> None:
            polls.append(1)
            floor.rank_level = ERROR  # the rank became known: this rank logs errors only

        floor.poll = poll
        assert ([False, True], 2) == (
            [floor.filter(record("ap.core", WARNING)), floor.filter(record("ap.core", ERROR))],
            len(polls),
        )


#: Settings changes, each way round: (old, new) keyword arguments of ``Settings``.
#: -testsys,+core style: the root held to ERROR below core at DEBUG, then +all (no floors).
_ALL_AFTER_FLOOR = ({"levels": {"ap": DEBUG, "ap.core": DEBUG}, "floors": {"ap": ERROR}}, {"levels": {"ap": DEBUG}})
#: ap.core lowered (its own records at ERROR, DEBUG below), then raised with ap.core.sub named at INFO.
_RAISED_AFTER_LOWERED = (
    {"levels": {"ap.core": ERROR}, "floors": {"ap.core": DEBUG}},
    {"levels": {"ap.core": DEBUG, "ap.core.sub": INFO}, "floors": {"ap.core": ERROR}},
)
_PAIRS = [("all", _ALL_AFTER_FLOOR), ("raised", _RAISED_AFTER_LOWERED), ("lowered", (_RAISED, _LOWERED))]
_CHANGES = [
    *(pytest.param(old, new, id=name) for name, (old, new) in _PAIRS),
    *(pytest.param(new, old, id=f"{name}-back") for name, (old, new) in _PAIRS),
]
_NAMES = ("ap", "ap.x", "ap.core", "ap.core.sub", "ap.core.sub.deep", "ap.core.x")
_LEVELS = (DEBUG, INFO, WARNING, ERROR)


def _verdicts(floor: FloorFilter) -> dict[tuple[str, int], bool]:
    # Whether each record passes, and its floor (FastLogger flags) lets it.
    return {
        (name, level): floor.filter(record(name, level)) and level >= floor.floor(name)
        for name in _NAMES
        for level in _LEVELS
    }


def _both(old: dict[str, object], new: dict[str, object]) -> dict[tuple[str, int], bool]:
    # The records that the old settings and the new both pass.
    alone = []
    for settings in (old, new):
        floor = FloorFilter()
        floor.update(plan(**settings))
        alone.append(_verdicts(floor))
    return {key: alone[0][key] and alone[1][key] for key in alone[0]}


class TestFloorFilterUnderChange:
    """
    ``FloorFilter`` read by other threads while ``update`` runs (``set_logs`` on one thread,
    records on all): a record that the old settings and the new both pass is never held
    back, wherever the reader stands (each test drives the interleaving at the exact point).
    """

    @pytest.mark.parametrize(("old", "new"), _CHANGES)
    def test_read_between_the_writers_steps(self, old: dict[str, object], new: dict[str, object]) -> None:
        """
        A reader after each attribute the writer sets (a thread switched to between them)
        passes every record both settings pass. Failed when ``update`` set the loggers
        with a level of their own, the floors and the own levels one after the other: a
        record below ``core`` met the new names with the old root floor.
        """
        both = _both(old, new)
        seen: list[tuple[str, dict[tuple[str, int], bool]]] = []

        class Watched(FloorFilter):
            armed = False

            def __setattr__(self, attribute: str, value: object) -> None:
                super().__setattr__(attribute, value)
                if self.armed:
                    seen.append((attribute, _verdicts(self)))

        floor = Watched()
        floor.update(plan(**old))
        _verdicts(floor)  # (every name seen: no FastLogger made in between)
        floor.armed = True
        floor.update(plan(**new))
        held = [
            (attribute, key) for attribute, verdicts in seen for key, ok in both.items() if ok and not verdicts[key]
        ]
        assert ([], True) == (held, bool(seen))

    @pytest.mark.parametrize(("old", "new"), _CHANGES)
    def test_settings_change_in_the_middle_of_a_read(self, old: dict[str, object], new: dict[str, object]) -> None:
        """
        The new settings arrive at each look the reader takes at the old floors (a thread
        switched to there, ``update`` run, the reader resumed): every record both settings
        pass still passes. Failed when the reader found a record's holder in the old
        floors and read its level from the new (``ap.core.sub`` at INFO, between a lowered
        ``ap.core`` and one raised with ``ap.core.sub`` named, was held to ERROR).
        """
        both = _both(old, new)
        held = [
            (name, level, arrival, look)
            for (name, level), ok in both.items()
            if ok
            for arrival in range(8)  # the look at which the new settings arrive
            for look in ("filter", "floor")
            if not _passes_while_arriving(old, new, (name, level), arrival, look)
        ]
        assert [] == held


def _passes_while_arriving(
    old: dict[str, object], new: dict[str, object], key: tuple[str, int], arrival: int, look: str
) -> bool:
    # Whether a record passes ("filter"), or its floor lets it ("floor"), when the new
    # settings arrive at the reader's look number ``arrival`` at the old floors.
    floor = FloorFilter()
    looks = [arrival]

    class Arriving(dict[str, int]):
        def __contains__(self, name: object) -> bool:
            found = super().__contains__(name)
            looks[0] -= 1
            if looks[0] == -1:
                floor.update(plan(**new))  # the new settings arrive now
            return found

    floors: dict[str, int] = old.get("floors", {})  # type: ignore[assignment]
    floor.update(plan(**{**old, "floors": Arriving(floors)}))
    name, level = key
    floor.seen.add(name)
    return floor.filter(record(name, level)) if look == "filter" else level >= floor.floor(name)


@pytest.fixture
def made() -> Iterator[list[str]]:
    """
    Names of loggers a test makes (``logging.getLogger(name)``), forgotten by the logging
    manager afterwards.
    """
    names: list[str] = []
    yield names
    for name in names:
        logging.Logger.manager.loggerDict.pop(name, None)


class TestSpeedUp:
    """
    ``FloorFilter.speed_up``: at a logger's first record, a plain ``logging.Logger`` is made
    a ``FastLogger`` in place; nothing else is touched, and a record always goes on.
    """

    def test_plain_logger_made_fast_at_its_first_record(self, made: list[str]) -> None:
        """
        The same object, now a FastLogger held to this filter's floors; a second record
        of the same logger does not look again.
        """
        made.append("spd.core.mod")
        plain = logging.getLogger("spd.core.mod")
        assert type(plain) is logging.Logger
        floor = FloorFilter()
        floor.update(plan(levels={"spd.core": DEBUG}, floors={"spd.core": ERROR}))
        assert floor.filter(record("spd.core.mod", ERROR))
        assert (True, True) == (type(plain) is FastLogger, plain is logging.getLogger("spd.core.mod"))
        assert (floor.floor, False, True) == (plain.floor_of, plain._on_warning, plain._on_error)
        plain.__class__ = logging.Logger  # (as if made plain again: seen, so not looked at)
        assert not floor.filter(record("spd.core.mod", INFO))
        assert type(plain) is logging.Logger

    def test_leaves_other_classes_and_names_without_a_logger(self, made: list[str]) -> None:
        """
        A logger of the program's own class keeps it; a record whose name no logger has
        (made by hand, received from elsewhere) makes none; a placeholder stays one.
        """

        class Own(logging.Logger):
            pass

        own = Own("spd.own")
        made.extend(["spd.own", "spd.holder.child", "spd.holder", "spd.nobody"])
        logging.Logger.manager.loggerDict["spd.own"] = own
        logging.getLogger("spd.holder.child")  # "spd.holder" is a PlaceHolder
        floor = FloorFilter()
        names = ("spd.own", "spd.holder", "spd.nobody")
        assert all(floor.filter(record(name)) for name in names)
        kinds = [type(logging.Logger.manager.loggerDict.get(n)).__name__ for n in names]
        assert ["Own", "PlaceHolder", "NoneType"] == kinds

    def test_seen_names_are_bounded(self, made: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Records of any number of names: the filter remembers ``SEEN_LIMIT`` of them; a
        logger first seen past the limit is still made fast.
        """
        monkeypatch.setattr(_filters, "SEEN_LIMIT", 5)
        floor = FloorFilter()
        for i in range(20):
            assert floor.filter(record(f"spd.many{i}"))
        made.append("spd.late")
        late = logging.getLogger("spd.late")
        assert floor.filter(record("spd.late"))
        assert (5, True) == (len(floor.seen), isinstance(late, FastLogger))

    def test_a_failure_never_stops_the_record(self, made: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
        """
        Whatever making the logger fast raises, the record passes and the logger stays as
        it was.
        """

        def refuse(name: str, floor_of: object) -> None:
            raise TypeError("no")

        monkeypatch.setattr(_filters, "fast_logger", refuse)
        made.append("spd.refused")
        plain = logging.getLogger("spd.refused")
        assert FloorFilter().filter(record("spd.refused"))
        assert type(plain) is logging.Logger


class TestNearestCarrierFilter:
    """
    ``NearestCarrierFilter``: with handler objects on several loggers, each record written once.
    """

    def test_nearest_carrier_only(self) -> None:
        """
        A record passes the filter of the nearest carrier above its logger (or its own)
        only; a record outside every carrier passes none; the carriers are read as they change.
        """
        carriers = {"ap", "ap.core"}
        top, core = NearestCarrierFilter("ap", carriers), NearestCarrierFilter("ap.core", carriers)
        names = ["ap", "ap.io.x", "ap.core", "ap.core.x", "ap.corex", "other"]
        before = [(top.filter(record(n)), core.filter(record(n))) for n in names]
        carriers.discard("ap.core")
        after = top.filter(record("ap.core.x"))
        assert (
            [(True, False), (True, False), (False, True), (False, True), (True, False), (False, False)],
            True,
        ) == (before, after)
