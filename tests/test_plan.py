"""The plan (``_plan``): the level each logger gets from the settings, and which loggers it names."""

from __future__ import annotations

import logging

import pytest
from tests.plans import DEBUG, ERROR, INFO, WARNING, plan

from logdial._levels import OFF


class TestPlanLevel:
    """
    ``Plan.level``: the level the plan gives each logger.
    """

    @pytest.mark.parametrize(
        ("settings", "name", "expected"),
        [
            ({}, "ap", WARNING),
            ({}, "ap.core", logging.NOTSET),
            ({}, "ext.pkg", logging.NOTSET),
            ({"levels": {"ap": DEBUG}}, "ap", DEBUG),
            ({"levels": {"ap.core": INFO}}, "ap.core", INFO),
            ({"levels": {"elsewhere.mod": ERROR}}, "elsewhere.mod", ERROR),
        ],
    )
    def test_levels(self, settings: dict[str, object], name: str, expected: int) -> None:
        """
        The root is at WARNING unless the settings say otherwise; a logger the settings
        give a level has it; every other logger inherits (NOTSET).
        """
        assert expected == plan(**settings).level(name)

    @pytest.mark.parametrize(
        ("settings", "name", "expected"),
        [
            ({}, "ap.core.__graph", logging.NOTSET),
            ({"levels": {"ap.core": ERROR}, "artifacts": frozenset({"graph"})}, "ap.core.__graph", DEBUG),
            ({"levels": {"ap.core": DEBUG}, "disabled": frozenset({"graph"})}, "ap.core.__graph", OFF),
            ({"levels": {"ap.core": DEBUG}}, "ap.core.__schedule", OFF),
            ({"artifacts": frozenset({"schedule"})}, "ap.core.__schedule", DEBUG),
        ],
    )
    def test_artifact_loggers(self, settings: dict[str, object], name: str, expected: int) -> None:
        """
        An enabled artifact passes whatever its component's level (DEBUG); one switched
        off, or off by default and not named, is OFF; any other follows its module (NOTSET).
        """
        assert expected == plan(**settings).level(name)

    def test_level_lowered_for_the_loggers_below(self) -> None:
        """
        ``+ap.core,-core`` (own level ERROR, floor DEBUG): the logger is at the floor, so
        that the loggers below inherit it; its module's artifact follows the own level.
        """
        lowered = plan(levels={"ap.core": ERROR}, floors={"ap.core": DEBUG})
        assert (DEBUG, ERROR) == (lowered.level("ap.core"), lowered.level("ap.core.__graph"))

    def test_floor_above_the_level(self) -> None:
        """
        ``-ap.core,+core`` (own level DEBUG, floor ERROR): the logger keeps its own level
        (the floor filter holds the loggers below) and its artifact follows it.
        """
        raised = plan(levels={"ap.core": DEBUG}, floors={"ap.core": ERROR})
        assert (DEBUG, logging.NOTSET) == (raised.level("ap.core"), raised.level("ap.core.__graph"))


class TestPlanEffectiveLevel:
    """
    ``Plan.effective_level`` and ``Plan.switch``: what a logger inherits, and an artifact's switch.
    """

    @pytest.mark.parametrize(
        ("settings", "name", "expected"),
        [
            ({}, "ap", (WARNING, "ap")),
            ({}, "ap.core.deep", (WARNING, "ap")),
            ({"levels": {"ap.core": INFO}}, "ap.core.deep", (INFO, "ap.core")),
            ({"levels": {"ap.core": 0}}, "ap.core.deep", (WARNING, "ap")),
            ({"levels": {"ap.core": ERROR}, "floors": {"ap.core": DEBUG}}, "ap.core.deep", (DEBUG, "ap.core")),
            ({"levels": {"ap.core": ERROR}, "floors": {"ap.core": 0}}, "ap.core", (WARNING, "ap")),
            ({"artifacts": frozenset({"graph"})}, "ap.core.__graph.sub", (DEBUG, "ap.core.__graph")),
            ({}, "ext.pkg", None),
            ({}, ".ap", None),
        ],
    )
    def test_effective_level(self, settings: dict[str, object], name: str, expected: tuple[int, str] | None) -> None:
        """
        The level of the nearest logger, itself or above, that the plan does not leave at
        NOTSET, as ``getEffectiveLevel`` walks (a logger lowered to a floor of 0 is
        NOTSET too); ``None`` past the plan's loggers.
        """
        assert expected == plan(**settings).effective_level(name)

    @pytest.mark.parametrize(
        ("settings", "expected"),
        [
            ({}, (None, OFF)),
            ({"artifacts": frozenset({"graph", "schedule"})}, (DEBUG, DEBUG)),
            ({"disabled": frozenset({"graph", "schedule"})}, (OFF, OFF)),
        ],
    )
    def test_switch(self, settings: dict[str, object], expected: tuple[int | None, int | None]) -> None:
        """
        An artifact named is DEBUG, one switched off or off by default OFF; the others follow (``None``).
        """
        switched = plan(**settings)
        assert expected == (switched.switch("graph"), switched.switch("schedule"))


class TestPlanLoggers:
    """
    ``Plan.own_levels``, ``owned``, ``named`` and ``is_named``.
    """

    def test_own_levels(self) -> None:
        """
        Only the loggers with a level above their floor: the level of their own records.
        """
        mixed = plan(
            levels={"ap.core": ERROR, "ap": INFO, "ext.pkg": INFO},
            floors={"ap.core": DEBUG, "ext.pkg": ERROR, "nolevel": DEBUG},
        )
        assert {"ap.core": ERROR} == mixed.own_levels()

    def test_owned(self) -> None:
        """
        The root, the components' loggers, the artifact loggers and whatever the settings name.
        """
        expected = {"ap", "ap.core", "ext.pkg", "ap.core.__graph", "ap.core.__schedule", "elsewhere.mod"}
        assert expected == plan(levels={"elsewhere.mod": INFO}).owned()

    def test_named(self) -> None:
        """
        The loggers with a level in the settings and those of enabled artifacts; ``is_named``
        says the same of each logger, one at a time.
        """
        named = plan(levels={"ap.core": DEBUG}, artifacts=frozenset({"graph"}))
        names = [*sorted(named.owned()), "unknown"]
        assert (frozenset({"ap.core", "ap.core.__graph"}), [n in named.named() for n in names]) == (
            named.named(),
            [named.is_named(n) for n in names],
        )
