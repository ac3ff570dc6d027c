"""The filters logdial places (``_filters``): a logger's own level, the floors and the rank
filter on logdial's handlers, one carrier per record."""

from __future__ import annotations

import pytest
from tests.plans import DEBUG, ERROR, REGISTRY, ROOT, WARNING, plan, record

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
        Another thread's ``update()`` may swap the floors between the filter's two looks
        at them: the record meets the old settings or the new, and the log call never
        raises (as a ``KeyError`` from a filter would, into the caller's ``log.error``).
        """
        floor = FloorFilter()
        floor.update(plan(levels={"ap.core": DEBUG}, floors={"ap.core": ERROR}))

        class Swapping(dict[str, int]):
            def __contains__(self, key: object) -> bool:
                found = super().__contains__(key)
                floor.floors = {}  # the new settings arrive now
                return found

        floor.floors = Swapping(floor.floors)
        assert (True, 0) == (floor.filter(record("ap.core.sub", ERROR)), floor.floor("ap.core.sub"))

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
