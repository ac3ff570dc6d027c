"""Tests for the settings grammar: a string → items and syntax problems, knowing no registry."""

from __future__ import annotations

import pytest

from logdial._grammar import Item, ParseResult, Problem, parse_items


def _items(settings: str) -> tuple[Item, ...]:
    result = parse_items(settings)
    assert () == result.problems
    return result.items


def _problem(settings: str) -> Problem:
    result = parse_items(settings)
    assert () == result.items
    (problem,) = result.problems
    return problem


class TestParseItems:
    """
    ``parse_items``: the items of a well-formed settings string.
    """

    @pytest.mark.parametrize("settings", ["", " ", "   ", "\t", "\n", " \t\n "])
    def test_empty_or_blank_string_has_no_items(self, settings: str) -> None:
        """
        An empty or blank string means the defaults: no items and no problems.
        """
        assert ParseResult((), ()) == parse_items(settings)

    @pytest.mark.parametrize("settings", [",", ",,", " , , ", ",\t,\n,"])
    def test_only_empty_items(self, settings: str) -> None:
        """
        Empty items are ignored, however many there are.
        """
        assert ParseResult((), ()) == parse_items(settings)

    @pytest.mark.parametrize(("settings", "sign"), [("+dynamo", "+"), ("dynamo", ""), ("-dynamo", "-")])
    def test_signs(self, settings: str, sign: str) -> None:
        """
        An item is an optional sign, ``+`` or ``-``, and a name.
        """
        assert (Item(sign, "dynamo", None, 0),) == _items(settings)

    def test_items_in_order_with_offsets(self) -> None:
        """
        Items come in the order written, each with the offset of its first character.
        """
        expected = (
            Item("+", "dynamo", None, 0),
            Item("", "aot", None, 8),
            Item("-", "inductor", None, 12),
            Item("", "graph_code", None, 22),
        )
        assert expected == _items("+dynamo,aot,-inductor,graph_code")

    def test_whitespace_around_items_is_ignored(self) -> None:
        """
        Spaces, tabs and newlines around an item are not part of it; the offset is the
        item's own first character.
        """
        expected = (Item("+", "dynamo", None, 2), Item("", "aot", None, 13), Item("-", "x", None, 20))
        assert expected == _items("  +dynamo ,\t aot\n , -x ")

    def test_empty_items_are_ignored(self) -> None:
        """
        A trailing comma, a leading comma and doubled commas are empty items, ignored;
        the offsets of the others are unchanged.
        """
        expected = (Item("", "dynamo", None, 1), Item("", "aot", None, 10))
        assert expected == _items(",dynamo,, aot,")

    def test_whitespace_between_sign_and_name(self) -> None:
        """
        Whitespace between the sign and the name is allowed; the item starts at the sign.
        """
        assert (Item("+", "dynamo", None, 1),) == _items(" + dynamo")

    @pytest.mark.parametrize(
        ("settings", "name", "value"),
        [
            ("dynamo=debug", "dynamo", "debug"),
            ("dynamo=DEBUG", "dynamo", "DEBUG"),
            ("dynamo=15", "dynamo", "15"),
            ("graph_code=off", "graph_code", "off"),
            ("graph_code=on", "graph_code", "on"),
            ("graph_code=1", "graph_code", "1"),
            ("some.module=info", "some.module", "info"),
            ("graph*=off", "graph*", "off"),
        ],
    )
    def test_name_equals_value(self, settings: str, name: str, value: str) -> None:
        """
        ``name=VALUE`` keeps the value as written; its meaning is decided later.
        """
        assert (Item("", name, value, 0),) == _items(settings)

    def test_whitespace_around_equals_is_ignored(self) -> None:
        """
        Spaces on either side of ``=`` do not matter.
        """
        assert (Item("", "dynamo", "info", 1),) == _items(" dynamo = info ")

    @pytest.mark.parametrize(
        "name",
        [
            "minitorch._dynamo",
            "a.b.c.d",
            "_private",
            "x1.y2",
            "1abc",
            "graph*",
            "*",
            "?",
            "*_graph?",
            "pkg.*",
            "dynamö",
            "日本.語",
        ],
    )
    def test_names(self, name: str) -> None:
        """
        A name is dotted segments of letters, digits and ``_`` (any script), with
        ``*`` and ``?`` allowed as wildcards.
        """
        assert (Item("-", name, None, 0),) == _items(f"-{name}")

    def test_valid_items_are_kept_beside_bad_ones(self) -> None:
        """
        A malformed item does not hide the valid items around it.
        """
        result = parse_items("+dynamo,++aot,graph")
        assert (Item("+", "dynamo", None, 0), Item("", "graph", None, 14)) == result.items
        assert (Problem(8, "++aot", "a name may have one sign (+ or -), not two"),) == result.problems

    def test_every_problem_is_reported_with_its_position(self) -> None:
        """
        All malformed items are reported, in order, each at its own position.
        """
        expected = (
            Problem(0, "++x", "a name may have one sign (+ or -), not two"),
            Problem(5, "a..b", "a dotted name has an empty part"),
            Problem(14, "c=", "a value is missing after '='"),
        )
        result = parse_items("++x, a..b,ok, c=")
        assert expected == result.problems
        assert (Item("", "ok", None, 10),) == result.items

    def test_parsing_does_not_know_the_registry(self) -> None:
        """
        Any well-formed name is an item, registered or not: names are resolved later.
        """
        assert (Item("", "no_such_component_anywhere", None, 0),) == _items("no_such_component_anywhere")


class TestSyntaxProblems:
    """
    ``parse_items``: each kind of malformed item, with its exact reason.
    """

    @pytest.mark.parametrize("settings", ["++dynamo", "+-dynamo", "-+dynamo", "--dynamo", "+ +dynamo", "-- x=1"])
    def test_two_signs(self, settings: str) -> None:
        """
        A name may have one sign only.
        """
        assert Problem(0, settings, "a name may have one sign (+ or -), not two") == _problem(settings)

    @pytest.mark.parametrize("settings", ["+", "-", "=", "=debug", "+=debug", " = "])
    def test_missing_name(self, settings: str) -> None:
        """
        A sign or a value with no name is reported as a missing name.
        """
        assert Problem(settings.index(settings.strip()), settings.strip(), "a name is missing") == _problem(settings)

    @pytest.mark.parametrize("settings", ["a..b", ".a", "a.", "minitorch._dynamo.", ".", "+.x", "a..b=1"])
    def test_empty_dotted_part(self, settings: str) -> None:
        """
        A dotted name cannot have an empty segment.
        """
        assert Problem(0, settings, "a dotted name has an empty part") == _problem(settings)

    @pytest.mark.parametrize(
        ("settings", "bad"),
        [
            ("dyn amo", " "),
            ("dynamo+", "+"),
            ("dyn-amo", "-"),
            ("a/b", "/"),
            ("[ab]", "["),
            ("a;b", ";"),
            ("na\tme", "\t"),
            ("na\x00me", "\x00"),
            ("caf\u00e9\u0301", "\u0301"),  # a combining accent is not a letter
            ("x\u00a0y", "\u00a0"),
            ("+dy!namo", "!"),
        ],
    )
    def test_bad_character_in_name(self, settings: str, bad: str) -> None:
        """
        The first character that cannot appear in a name is named.
        """
        reason = f"{bad!r} cannot appear in a name (names are letters, digits, '_', '.', '*' and '?')"
        assert Problem(0, settings, reason) == _problem(settings)

    @pytest.mark.parametrize(
        ("settings", "reason"),
        [
            ("+dynamo=debug", "use either a sign or '=', not both: write dynamo=debug"),
            ("-graph=off", "use either a sign or '=', not both: write graph=off"),
            ("+dynamo=", "use either a sign or '=', not both: write dynamo=LEVEL"),
        ],
    )
    def test_sign_and_value(self, settings: str, reason: str) -> None:
        """
        An item has a sign or a value, never both; the reason shows how to write it.
        """
        assert Problem(0, settings, reason) == _problem(settings)

    @pytest.mark.parametrize("settings", ["dynamo=", "dynamo= ", "graph_code =  "])
    def test_missing_value(self, settings: str) -> None:
        """
        ``name=`` needs a value.
        """
        assert Problem(0, settings.strip(), "a value is missing after '='") == _problem(settings)

    @pytest.mark.parametrize(
        ("settings", "value"),
        [("dynamo=-5", "-5"), ("dynamo=1.5", "1.5"), ("a=b=c", "b=c"), ("x=on off", "on off"), ("x=+", "+")],
    )
    def test_malformed_value(self, settings: str, value: str) -> None:
        """
        A value is one word: a level name, a number, or on/off.
        """
        assert Problem(0, settings, f"{value!r} is not a level name, a number, on or off") == _problem(settings)

    def test_problem_text_is_the_stripped_item(self) -> None:
        """
        A problem quotes the item as written, without the whitespace around it.
        """
        assert (
            Problem(5, "++aot", "a name may have one sign (+ or -), not two") == parse_items("x,   ++aot  ").problems[0]
        )


class TestItem:
    """
    ``Item``: one item of a settings string.
    """

    @pytest.mark.parametrize(
        ("item", "expected"),
        [
            (Item("+", "dynamo", None), "+dynamo"),
            (Item("-", "dynamo", None), "-dynamo"),
            (Item("", "dynamo", None), "dynamo"),
            (Item("", "dynamo", "debug"), "dynamo=debug"),
            (Item("", "graph*", "off"), "graph*=off"),
            (Item("", "a.b", "15", 7), "a.b=15"),
        ],
    )
    def test_text(self, item: Item, expected: str) -> None:
        """
        ``text`` writes the item back in canonical form.
        """
        assert expected == item.text

    @pytest.mark.parametrize("text", ["+dynamo", "-a.b", "aot", "x=debug", "graph*=off", "?=1"])
    def test_text_parses_back_to_the_item(self, text: str) -> None:
        """
        Parsing ``text`` gives the same item.
        """
        (item,) = _items(text)
        assert (item,) == _items(item.text)

    @pytest.mark.parametrize(
        ("name", "expected"), [("graph", False), ("graph*", True), ("gr?ph", True), ("*", True), ("a.b", False)]
    )
    def test_has_wildcard(self, name: str, expected: bool) -> None:
        """
        ``has_wildcard`` says whether the name holds ``*`` or ``?``.
        """
        assert expected == Item("", name, None).has_wildcard

    def test_is_frozen(self) -> None:
        """
        Items are immutable.
        """
        item = Item("+", "dynamo", None)
        with pytest.raises(AttributeError, match=r"^cannot assign to field 'name'$"):
            item.name = "aot"  # type: ignore[misc]

    def test_equality_and_hash(self) -> None:
        """
        Items are values: equal fields make equal, equally hashed items; the offset counts.
        """
        assert Item("+", "dynamo", None, 3) == Item("+", "dynamo", None, 3)
        assert hash(Item("+", "dynamo", None, 3)) == hash(Item("+", "dynamo", None, 3))
        assert Item("+", "dynamo", None, 3) != Item("+", "dynamo", None, 4)
        assert Item("+", "dynamo", None) != Item("-", "dynamo", None)

    def test_start_defaults_to_zero(self) -> None:
        """
        An item built by hand starts at offset 0.
        """
        assert 0 == Item("", "x", None).start
