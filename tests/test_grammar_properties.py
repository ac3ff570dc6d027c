"""Property tests of the parser: any string gives Settings or SettingsError; round trips; offsets."""

from __future__ import annotations

import logging
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.strategies import item_lists, noisy_settings, settings_strings

from logdial import LogSystem, Settings, SettingsError
from logdial._grammar import Item, ParseResult, Problem, parse_items

# The `demo` fixture is built once per test and shared by its examples on purpose:
# parse() is pure, so one system must answer every example the same way.
PROPERTY = settings(
    max_examples=150,
    deadline=None,  # the first lookups of a module name read directories; timing is not the property
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

# Text with everything the grammar treats specially, plus control characters and any script.
ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(",=+-*?._ \t\naAzZ09\x00\u00e9\u0301\u00a0\u2028\udcff"), max_size=30),
    noisy_settings(),
)


def _parse(demo: LogSystem, text: str) -> Settings | SettingsError:
    try:
        return demo.parse(text)
    except SettingsError as exc:
        return exc


class TestAnyText:
    """
    ``LogSystem.parse`` on any text at all.
    """

    @PROPERTY
    @given(text=ANY_TEXT)
    def test_settings_or_settings_error(self, demo: LogSystem, text: str) -> None:
        """
        Any string gives ``Settings`` or raises ``SettingsError`` (whose message ends with
        where to find the names), never another exception.
        """
        result = _parse(demo, text)
        if isinstance(result, SettingsError):
            assert str(result).endswith("\nTORCH_LOGS=help lists all names.")
            assert len(result.problems) >= 1
        else:
            assert isinstance(result, Settings)

    @PROPERTY
    @given(text=ANY_TEXT)
    def test_touches_nothing(self, demo: LogSystem, text: str) -> None:
        """
        Whatever the text, parsing creates no logger and imports no module.
        """
        loggers, modules = set(logging.Logger.manager.loggerDict), set(sys.modules)
        _parse(demo, text)
        assert (loggers, modules) == (set(logging.Logger.manager.loggerDict), set(sys.modules))

    @PROPERTY
    @given(text=ANY_TEXT)
    def test_one_error_line_per_bad_item(self, demo: LogSystem, text: str) -> None:
        """
        The error lists every syntax problem ``parse_items`` finds (and possibly more).
        """
        syntax = parse_items(text).problems
        result = _parse(demo, text)
        if syntax:
            assert isinstance(result, SettingsError)
            assert len(syntax) <= len(result.problems)
            assert {f"{p.text}: {p.reason}" for p in syntax} <= set(result.problems)

    @PROPERTY
    @given(text=ANY_TEXT)
    def test_valid_results_round_trip(self, demo: LogSystem, text: str) -> None:
        """
        Whatever text parses, its ``to_string()`` parses to equal settings.
        """
        result = _parse(demo, text)
        if isinstance(result, Settings):
            assert result == demo.parse(result.to_string())


class TestRoundTrip:
    """
    Generated valid settings: ``parse(s.to_string()) == s``.
    """

    @PROPERTY
    @given(data=st.data(), items=item_lists())
    def test_round_trip(self, demo: LogSystem, data: st.DataObject, items: list[str]) -> None:
        """
        Valid items, however padded, parse; writing the result back and parsing it again
        gives equal settings, and the written form is canonical (a fixed point).
        """
        text = data.draw(settings_strings(items))
        result = demo.parse(text)
        again = demo.parse(result.to_string())
        assert result == again
        assert hash(result) == hash(again)
        assert result.to_string() == again.to_string()

    @PROPERTY
    @given(items=item_lists())
    def test_every_item_is_kept(self, demo: LogSystem, items: list[str]) -> None:
        """
        Each valid item is in the settings' items once, so ``to_string`` writes them all.
        """
        result = demo.parse(",".join(items))
        assert len(items) == len(result.items)
        assert ",".join(items) == result.to_string()


class TestOffsets:
    """
    ``parse_items`` offsets point at the items and problems in the source string.
    """

    @PROPERTY
    @given(text=ANY_TEXT)
    def test_items_and_problems_start_where_they_are_written(self, text: str) -> None:
        """
        Reparsing the source from an item's (or problem's) offset up to the next comma
        gives that item (or problem) alone, at offset 0; only whitespace precedes it
        since the previous comma.
        """
        result = parse_items(text)
        everything: list[Item | Problem] = [*result.items, *result.problems]
        for found in everything:
            before = text[: found.start].rsplit(",", 1)[-1]
            piece = text[found.start :].split(",", 1)[0]
            assert "" == before.strip()
            if isinstance(found, Problem):
                assert ParseResult((), (found._replace(start=0),)) == parse_items(piece)
            else:
                assert ParseResult((Item(found.sign, found.name, found.value, 0),), ()) == parse_items(piece)

    @PROPERTY
    @given(text=ANY_TEXT)
    def test_one_result_per_non_blank_piece_in_order(self, text: str) -> None:
        """
        Every non-blank piece between commas gives exactly one item or one problem, in order.
        """
        result = parse_items(text)
        item_starts = [item.start for item in result.items]
        problem_starts = [problem.start for problem in result.problems]
        starts = {*item_starts, *problem_starts}
        assert len([p for p in text.split(",") if p.strip()]) == len(item_starts) + len(problem_starts)
        assert len(starts) == len(item_starts) + len(problem_starts)
        assert (sorted(item_starts), sorted(problem_starts)) == (item_starts, problem_starts)

    @PROPERTY
    @given(data=st.data(), items=item_lists())
    def test_generated_items_are_found_at_their_offsets(self, data: st.DataObject, items: list[str]) -> None:
        """
        For generated valid items, the source at each offset is the item exactly as written.
        """
        text = data.draw(settings_strings(items))
        parsed = parse_items(text)
        assert () == parsed.problems
        assert items == [
            text[item.start : item.start + len(written)] for item, written in zip(parsed.items, items, strict=True)
        ]
