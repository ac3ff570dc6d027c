"""Tests for the one table of level names, numbers and glog letters."""

from __future__ import annotations

import logging

import pytest

from logdial._levels import LEVEL_NAMES, OFF, glog_letter, level_name, parse_level


class TestLevelNames:
    """
    The table of level names accepted in ``name=LEVEL``.
    """

    def test_names_are_the_stdlib_levels(self) -> None:
        """
        Every accepted name means what the stdlib means by it.
        """
        expected = {name: logging.getLevelName(name.upper()) for name in LEVEL_NAMES}
        assert expected == dict(LEVEL_NAMES)

    def test_documented_names_are_accepted(self) -> None:
        """
        The names the issue lists (debug, info, warning/warn, error, critical) are all present.
        """
        assert {"debug", "info", "warning", "warn", "error", "critical"} <= set(LEVEL_NAMES)

    def test_table_is_read_only(self) -> None:
        """
        The table cannot be changed at run time.
        """
        with pytest.raises(TypeError):
            LEVEL_NAMES["loud"] = 5  # type: ignore[index]

    def test_off_is_above_every_level(self) -> None:
        """
        ``OFF`` is above CRITICAL, so no record reaches a logger set to it.
        """
        logger = logging.getLogger("logdial_test_levels.off")
        logger.setLevel(OFF)
        assert not logger.isEnabledFor(logging.CRITICAL)


class TestParseLevel:
    """
    ``parse_level``: the text after ``=`` → a level number.
    """

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("debug", logging.DEBUG),
            ("DEBUG", logging.DEBUG),
            ("Debug", logging.DEBUG),
            ("info", logging.INFO),
            ("INFO", logging.INFO),
            ("warning", logging.WARNING),
            ("WARNING", logging.WARNING),
            ("warn", logging.WARNING),
            ("Warn", logging.WARNING),
            ("error", logging.ERROR),
            ("eRRoR", logging.ERROR),
            ("critical", logging.CRITICAL),
            ("CRITICAL", logging.CRITICAL),
            ("fatal", logging.CRITICAL),
        ],
    )
    def test_level_names_in_any_case(self, text: str, expected: int) -> None:
        """
        A level name is accepted in any case.
        """
        assert expected == parse_level(text)

    @pytest.mark.parametrize(
        ("text", "expected"),
        [("0", 0), ("5", 5), ("10", 10), ("15", 15), ("50", 50), ("007", 7), ("999999999", 999_999_999)],
    )
    def test_non_negative_integers(self, text: str, expected: int) -> None:
        """
        A non-negative integer of up to nine digits is a level.
        """
        assert expected == parse_level(text)

    def test_surrounding_whitespace_is_ignored(self) -> None:
        """
        Whitespace around the text does not matter.
        """
        assert (logging.INFO, 25) == (parse_level("  info\t"), parse_level(" 25 "))

    @pytest.mark.parametrize(
        "text",
        [
            "",
            " ",
            "loud",
            "on",
            "off",
            "true",
            "notset",
            "debugg",
            "-1",
            "+10",
            "1.5",
            "1e3",
            "0x10",
            "1 0",
            "1000000000",  # ten digits: as large as OFF, which must stay unreachable
            "\u0663",  # ARABIC-INDIC DIGIT THREE: a digit, but not an ASCII one
            "\u00b2",  # SUPERSCRIPT TWO: isdigit() is true for it
        ],
    )
    def test_text_that_names_no_level(self, text: str) -> None:
        """
        Anything else names no level: ``None``, never an exception.
        """
        assert None is parse_level(text)

    def test_off_cannot_be_written(self) -> None:
        """
        The silent ``OFF`` level cannot be reached from the settings string.
        """
        assert None is parse_level(str(OFF))


class TestLevelName:
    """
    ``level_name``: a level number → its canonical lower-case name.
    """

    @pytest.mark.parametrize(
        ("level", "expected"),
        [
            (logging.DEBUG, "debug"),
            (logging.INFO, "info"),
            (logging.WARNING, "warning"),
            (logging.ERROR, "error"),
            (logging.CRITICAL, "critical"),
        ],
    )
    def test_standard_levels(self, level: int, expected: str) -> None:
        """
        The standard levels have their lower-case names (WARNING, not WARN).
        """
        assert expected == level_name(level)

    @pytest.mark.parametrize(("level", "expected"), [(0, "0"), (15, "15"), (35, "35"), (OFF, str(OFF))])
    def test_other_levels_are_numbers(self, level: int, expected: str) -> None:
        """
        A level without a name is written as its number.
        """
        assert expected == level_name(level)

    @pytest.mark.parametrize("level", [0, 5, 10, 15, 20, 30, 40, 50, 123])
    def test_round_trip(self, level: int) -> None:
        """
        ``parse_level`` reads back what ``level_name`` writes.
        """
        assert level == parse_level(level_name(level))


class TestGlogLetter:
    """
    ``glog_letter``: the level letter of glog-style lines.
    """

    @pytest.mark.parametrize(
        ("level", "expected"),
        [
            (0, "V"),
            (1, "V"),
            (logging.DEBUG, "V"),
            (logging.INFO - 1, "V"),
            (logging.INFO, "I"),
            (25, "I"),
            (logging.WARNING - 1, "I"),
            (logging.WARNING, "W"),
            (logging.ERROR - 1, "W"),
            (logging.ERROR, "E"),
            (logging.CRITICAL - 1, "E"),
            (logging.CRITICAL, "C"),
            (logging.CRITICAL + 1, "C"),
            (OFF, "C"),
        ],
    )
    def test_letters_at_and_between_levels(self, level: int, expected: str) -> None:
        """
        DEBUG is ``V`` (torch's "verbose"); a level between two standard ones takes the
        letter of the one below it.
        """
        assert expected == glog_letter(level)
