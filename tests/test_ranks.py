"""Ranks in one process: @-items, the rank list, the rank watch, prefixes, the filter."""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.records import REGISTRY, error_info, lines, record, watch
from tests.strategies import artifact_items, component_items, module_items, wildcard_items

from logdial import GlogFormatter, LogSystem, SettingsError
from logdial._fast import FastLogger
from logdial._formatting import PercentFormatter
from logdial._grammar import Item, ParseResult, Problem, RankSet, parse_items, parse_ranks
from logdial._levels import OFF
from logdial._ranks import RankWatch
from logdial._settings import resolve

pytestmark = pytest.mark.usefixtures("utc")


class TestRankItems:
    """
    The grammar's ``@RANKS`` suffix: ``+dynamo@0``, ``name@0-3``, ``name=debug@1``.
    """

    @pytest.mark.parametrize(
        ("text", "item"),
        [
            ("+dynamo@0", Item("+", "dynamo", None, 0, range(0, 1))),
            ("dynamo@0-3", Item("", "dynamo", None, 0, range(0, 4))),
            ("name=debug@1", Item("", "name", "debug", 0, range(1, 2))),
            ("graph_code@2", Item("", "graph_code", None, 0, range(2, 3))),
            ("-a.b.c@10-12", Item("-", "a.b.c", None, 0, range(10, 13))),
            ("graph*=off@5", Item("", "graph*", "off", 0, range(5, 6))),
            ("dynamo @ 0 - 3", Item("", "dynamo", None, 0, range(0, 4))),
            ("x@3-3", Item("", "x", None, 0, range(3, 4))),
        ],
    )
    def test_parse(self, text: str, item: Item) -> None:
        """
        The suffix becomes the item's ranks, an inclusive range; the rest parses as ever.
        """
        assert ParseResult((item,), ()) == parse_items(text)

    @pytest.mark.parametrize(
        ("item", "text"),
        [
            (Item("+", "dynamo", None, 0, range(0, 1)), "+dynamo@0"),
            (Item("", "dynamo", "debug", 0, range(1, 4)), "dynamo=debug@1-3"),
            (Item("", "x", None, 0, range(3, 4)), "x@3"),
            (Item("-", "x", None), "-x"),
        ],
    )
    def test_text(self, item: Item, text: str) -> None:
        """
        ``text`` writes the ranks back in canonical form (one rank without a range).
        """
        assert text == item.text

    @pytest.mark.parametrize("text", ["+dynamo@0", "x=info@2-7", "graph*@1", "-a.b@0-0"])
    def test_text_parses_back(self, text: str) -> None:
        """
        Parsing an item's text gives the same item.
        """
        (item,) = parse_items(text).items
        assert (item,) == parse_items(item.text).items

    def test_repr_without_ranks_is_unchanged(self) -> None:
        """
        An item without ranks shows as it always did; one with ranks shows them.
        """
        plain, ranked = repr(Item("+", "x", None)), repr(Item("", "x", None, 2, range(1, 3)))
        assert (
            "Item(sign='+', name='x', value=None, start=0)",
            "Item(sign='', name='x', value=None, start=2, ranks=range(1, 3))",
        ) == (plain, ranked)

    @pytest.mark.parametrize("ranks", [range(0, 0), range(3, 1), range(0, 4, 2), range(-1, 2)])
    def test_item_refuses_other_ranges(self, ranks: range) -> None:
        """
        An item's ranks are a non-empty range of ranks >= 0, one apart.
        """
        with pytest.raises(ValueError, match=r"^an item's ranks are a non-empty range of ranks >= 0, not range"):
            Item("", "x", None, 0, ranks)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("dynamo@", "the ranks are missing after '@': write e.g. +dynamo@0 or +dynamo@0-3"),
            ("dynamo@x", "'x' after '@' is not a rank or a range of ranks: write e.g. +dynamo@0 or +dynamo@0-3"),
            ("dynamo@-1", "'-1' after '@' is not a rank or a range of ranks: write e.g. +dynamo@0 or +dynamo@0-3"),
            ("dynamo@0-", "'0-' after '@' is not a rank or a range of ranks: write e.g. +dynamo@0 or +dynamo@0-3"),
            (
                "dynamo@\u0663",
                "'\u0663' after '@' is not a rank or a range of ranks: write e.g. +dynamo@0 or +dynamo@0-3",
            ),
            ("dynamo@3-1", "the ranks '3-1' go down: write dynamo@1-3"),
            (
                "dynamo@1234567890",
                "'1234567890' after '@' is not a rank or a range of ranks: write e.g. +dynamo@0 or +dynamo@0-3",
            ),
            ("dynamo@1@2", "an item takes one @RANKS, e.g. +dynamo@0 or +dynamo@0-3"),
            ("dynamo@1=debug", "the ranks go last: write dynamo=debug@1"),
            ("@0", "a name is missing"),
            ("+dynamo=debug@0", "use either a sign or '=', not both: write dynamo=debug"),
        ],
    )
    def test_problems(self, text: str, reason: str) -> None:
        """
        A malformed suffix is a problem of the item, quoted whole, with a fix.
        """
        assert ParseResult((), (Problem(0, text, reason),)) == parse_items(text)

    @pytest.mark.parametrize(
        ("text", "alone", "reason"),
        [
            (
                "+dynamo@0,2",
                "2",
                "a rank cannot stand alone: to apply +dynamo on more ranks, repeat it: +dynamo@0,+dynamo@2",
            ),
            (
                "x=debug@0, 2-3",
                "2-3",
                "a rank cannot stand alone: to apply x=debug on more ranks, repeat it: x=debug@0,x=debug@2-3",
            ),
        ],
    )
    def test_rank_after_a_ranked_item(self, text: str, alone: str, reason: str) -> None:
        """
        A comma ends an item: a rank list after ``@`` leaves ranks standing alone, and
        the problem says how to write it.
        """
        assert (1, Problem(text.index(alone), alone, reason)) == (
            len(parse_items(text).items),
            parse_items(text).problems[0],
        )

    def test_number_elsewhere_is_a_name(self) -> None:
        """
        Without an item with ranks before it, a number is a name, as it always was.
        """
        assert (Item("", "2", None, 0),) == parse_items("2").items

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(
        written=st.one_of(component_items(), artifact_items(), module_items(), wildcard_items()),
        low=st.integers(min_value=0, max_value=9),
        span=st.integers(min_value=0, max_value=3),
        rank=st.one_of(st.none(), st.integers(min_value=0, max_value=13)),
    )
    def test_round_trip(self, demo: LogSystem, written: str, low: int, span: int, rank: int | None) -> None:
        """
        Any valid item with ranks resolves on any rank, and its settings written back
        parse to the same settings and the same string.
        """
        text = f"{written}@{low}" if span == 0 else f"{written}@{low}-{low + span}"

        def settle(settings_text: str) -> tuple[object, str]:
            resolution = resolve(
                parse_items(settings_text), demo.registry, root="minitorch", exists=lambda n: False, rank=rank
            )
            assert () == resolution.problems
            return resolution.settings, resolution.settings.to_string()

        first, again = settle(text), settle(settle(text)[1])
        assert first == again


class TestResolveRanks:
    """
    ``resolve(..., rank=)``: an item with ranks applies on those ranks, elsewhere it is as if absent.
    """

    @staticmethod
    def levels(text: str, rank: int | None) -> dict[str, int]:
        """
        The levels ``text`` resolves to on ``rank``.
        """
        resolution = resolve(parse_items(text), REGISTRY, root="t", exists=lambda n: False, rank=rank)
        assert () == resolution.problems
        return dict(resolution.settings.levels)

    @pytest.mark.parametrize(
        ("rank", "expected"),
        [
            (0, {"t.core": 10}),
            (1, {"t.core": 20}),
            (3, {"t.core": 20}),
            (4, {}),
        ],
    )
    def test_applies_on_its_ranks(self, rank: int, expected: dict[str, int]) -> None:
        """
        ``+core@0,core@1-3``: DEBUG on rank 0, INFO on 1 to 3, untouched on 4.
        """
        assert expected == self.levels("+core@0,core@1-3", rank)

    def test_no_rank_is_rank_zero(self) -> None:
        """
        A process without a rank resolves as rank 0 does.
        """
        text = "+core@0,-io@1,graph@0-3"
        assert self.levels(text, 0) == self.levels(text, None)

    def test_later_items_win_on_their_ranks(self) -> None:
        """
        Items keep their order: a later item for the rank wins, one for other ranks changes nothing.
        """
        assert ({"t.core": 40}, {"t.core": 10}) == (self.levels("+core,-core@2", 2), self.levels("+core,-core@2", 1))

    def test_errors_on_every_rank(self) -> None:
        """
        An item for other ranks is still checked: every rank reports the same problems.
        """

        def problems(rank: int) -> tuple[Problem, ...]:
            return resolve(
                parse_items("coer@3,graph=loud@3"), REGISTRY, root="t", exists=lambda n: False, rank=rank
            ).problems

        expected = (
            Problem(
                0, "coer@3", "not a registered component or artifact, nor a module or logger; did you mean 'core'?"
            ),
            Problem(7, "graph=loud@3", "'loud' is not a switch for artifact 'graph': use on or off"),
        )
        assert [expected, expected] == [problems(0), problems(3)]

    def test_help_takes_no_ranks(self) -> None:
        """
        ``help@0`` is refused: help is for the person reading, not for a rank.
        """
        resolution = resolve(parse_items("help@0"), REGISTRY, root="t", exists=lambda n: False, rank=0)
        expected = (Problem(0, "help@0", "help takes no ranks: write help, or +help for every artifact"),)
        assert (expected, None) == (resolution.problems, resolution.settings.help)

    def test_to_string_keeps_every_rank(self) -> None:
        """
        The settings of every rank write back every valid item, those for other ranks too.
        """
        text = "+core@0,io=warning@1-2,graph@3"
        strings = {
            resolve(parse_items(text), REGISTRY, root="t", exists=lambda n: False, rank=r).settings.to_string()
            for r in range(5)
        }
        assert {text} == strings

    def test_artifacts_and_modules(self) -> None:
        """
        Artifacts and modules take ranks too.
        """
        resolution = resolve(parse_items("graph@1,+t.extra@1"), REGISTRY, root="t", exists=lambda n: False, rank=1)
        other = resolve(parse_items("graph@1,+t.extra@1"), REGISTRY, root="t", exists=lambda n: False, rank=0)
        assert ((frozenset({"graph"}), {"t.extra": 10}), (frozenset(), {})) == (
            (resolution.settings.artifacts, dict(resolution.settings.levels)),
            (other.settings.artifacts, dict(other.settings.levels)),
        )


class TestParseRanks:
    """
    ``parse_ranks``: what ``{P}_LOGS_RANKS`` and ``set_ranks("...")`` take.
    """

    @pytest.mark.parametrize(
        ("text", "ranges"),
        [
            ("0", (range(0, 1),)),
            ("0,2-3", (range(0, 1), range(2, 4))),
            (" 3 , 1 ,, 2 ", (range(1, 4),)),
            ("4-7,0-5", (range(0, 8),)),
            ("10-12,0", (range(0, 1), range(10, 13))),
        ],
    )
    def test_valid(self, text: str, ranges: tuple[range, ...]) -> None:
        """
        Ranks and inclusive ranges, in any order, overlapping or not, are merged.
        """
        assert RankSet(ranges) == parse_ranks(text)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("x", "'x' at position 0 is not a rank or a range of ranks; write ranks and ranges as 0,2-3"),
            ("0, x", "'x' at position 3 is not a rank or a range of ranks; write ranks and ranges as 0,2-3"),
            ("0,-1", "'-1' at position 2 is not a rank or a range of ranks; write ranks and ranges as 0,2-3"),
            ("1.5", "'1.5' at position 0 is not a rank or a range of ranks; write ranks and ranges as 0,2-3"),
            ("3-1", "the range '3-1' at position 0 goes down: write 1-3"),
            (
                "0-1234567890",
                "'0-1234567890' at position 0 is not a rank or a range of ranks; write ranks and ranges as 0,2-3",
            ),
            ("", "names no rank; write ranks and ranges as 0,2-3"),
            (" , ", "names no rank; write ranks and ranges as 0,2-3"),
        ],
    )
    def test_invalid(self, text: str, message: str) -> None:
        """
        The first bad part is named with its position, and how to write ranks.
        """
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            parse_ranks(text)


class TestRankSet:
    """
    ``RankSet``: membership, text, and the set of given ranks.
    """

    def test_membership_and_text(self) -> None:
        """
        A rank is in the set when a range holds it; the text is the canonical list.
        """
        ranks = RankSet((range(2, 4), range(0, 1)))
        assert ([True, False, True, True, False], "0,2-3") == ([r in ranks for r in range(5)], ranks.text)

    def test_of(self) -> None:
        """
        ``of`` makes the set of the given ranks, adjacent ones as one range.
        """
        assert ("0-2,5", "0-999999999999") == (RankSet.of([5, 1, 0, 2]).text, RankSet.of(range(10**12)).text)

    @pytest.mark.parametrize(
        ("ranks", "message"),
        [
            ([-1], "a rank is an int >= 0, not -1"),
            ([True], "a rank is an int >= 0, not True"),
            (["1"], "a rank is an int >= 0, not '1'"),
            ([], "no rank is given: name at least one rank, or give None for every rank"),
        ],
    )
    def test_of_refuses(self, ranks: list[object], message: str) -> None:
        """
        Only ints >= 0, and at least one.
        """
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            RankSet.of(ranks)  # type: ignore[arg-type]


class TestRankWatch:
    """
    ``RankWatch``: the rank detected once and kept, looked for again while unknown.
    """

    def test_detect_from_the_variables(self) -> None:
        """
        ``detect(environ)`` reads the launchers' variables, and the prefix follows.
        """
        ranks = RankWatch()
        assert (5, 5, "[rank5]:") == (ranks.detect({"SLURM_PROCID": "5"}), ranks.rank, ranks.prefix)

    def test_kept_once_known(self) -> None:
        """
        Once known, the rank is not asked for again.
        """
        calls = []
        ranks = RankWatch()
        ranks.set_provider(lambda: calls.append(1) or 2)  # type: ignore[func-returns-value]
        assert ([2, 2, 2], 1) == ([ranks.current() for _ in range(3)], len(calls))

    def test_provider_asked_while_unknown(self) -> None:
        """
        While the provider does not know, each ``current()`` asks it again.
        """
        box: dict[str, int | None] = {"rank": None}
        ranks = RankWatch()
        ranks.set_provider(lambda: box["rank"])
        ranks.detect({})
        before = (ranks.current(), ranks.prefix)
        box["rank"] = 3
        assert ((None, ""), (3, "[rank3]:")) == (before, (ranks.current(), ranks.prefix))

    def test_no_provider_no_torch_no_look(self) -> None:
        """
        Without a provider, and while the program has not imported torch.distributed, a
        look reads no variable: a rank set in the environment after detection is not seen.
        """
        ranks = RankWatch()
        ranks.detect({})
        os.environ["RANK"] = "7"  # the conftest fixture removes it again
        assert None is ranks.current()

    @pytest.mark.parametrize("answer", [-1, True, "3", 2.0])
    def test_invalid_answers(self, answer: object) -> None:
        """
        A provider's answer that is not an int >= 0 means no rank.
        """
        assert None is watch(answer).current()  # type: ignore[arg-type]

    def test_failing_provider(self) -> None:
        """
        ``current()`` never raises: a failing provider means no rank; ``detect`` lets it raise.
        """
        ranks = RankWatch()

        def broken() -> int:
            raise RuntimeError("no rank here")

        ranks.set_provider(broken)
        assert None is ranks.current()
        with pytest.raises(RuntimeError, match=r"^no rank here$"):
            ranks.detect({})

    def test_forget(self) -> None:
        """
        ``forget`` drops the rank; the next ``current()`` detects it afresh.
        """
        box = {"rank": 1}
        ranks = RankWatch()
        ranks.set_provider(lambda: box["rank"])
        first = ranks.current()
        box["rank"] = 2
        kept = ranks.current()
        ranks.forget()
        assert (1, 1, None, "", 2) == (first, kept, ranks.rank, ranks.prefix, ranks.current())


class TestRankPrefix:
    """
    The ``[rankN]:`` prefix of the default format, and ``%(rank)s`` in a custom one.
    """

    def test_prefix(self) -> None:
        """
        With a rank, the line starts with torch's prefix.
        """
        formatter = GlogFormatter(ranks=watch(3))
        assert "[rank3]:I1114 22:13:20.123456 4242 /nonexistent-logdial-root/pkg/mod.py:12] hello" == formatter.format(
            record()
        )

    def test_no_rank_no_prefix(self) -> None:
        """
        Without a rank the line is the one logdial always wrote.
        """
        assert "I1114 22:13:20.123456 4242 /nonexistent-logdial-root/pkg/mod.py:12] hello" == GlogFormatter(
            ranks=watch(None)
        ).format(record())

    def test_every_line(self) -> None:
        """
        Every line of a multi-line message and of its traceback carries the prefix.
        """
        text = GlogFormatter(ranks=watch(0)).format(record("a\nb", exc_info=error_info()))
        out = text.split("\n")
        assert (True, "a", "b", "ValueError: bad") == (
            all(line.startswith("[rank0]:E") or line.startswith("[rank0]:I") for line in out),
            out[0].split("] ", 1)[1],
            out[1].split("] ", 1)[1],
            out[-1].split("] ", 1)[1],
        )

    def test_with_context_and_artifact(self) -> None:
        """
        The prefix comes first, before the letter; context and artifact follow as ever.
        """
        formatter = GlogFormatter(ranks=watch(12), context_of=lambda: "[0/1]", artifact_of=lambda n: "graph")
        assert "[rank12]:V1114 22:13:20.123456 4242 /nonexistent-logdial-root/pkg/mod.py:12] [0/1] [__graph] g" == (
            formatter.format(record("g", level=logging.DEBUG))
        )

    def test_color(self) -> None:
        """
        In colour, the prefix stays plain and the letter is coloured.
        """
        assert "[rank1]:\x1b[32mI\x1b[0m1114 22:13:20.123456 4242 /nonexistent-logdial-root/pkg/mod.py:12] hello" == (
            GlogFormatter(ranks=watch(1), color=True).format(record())
        )

    def test_prefix_follows_the_watch(self) -> None:
        """
        A rank found after the formatter was built shows from the next record.
        """
        box: dict[str, int | None] = {"rank": None}
        ranks = RankWatch()
        ranks.set_provider(lambda: box["rank"])
        ranks.detect({})
        formatter = GlogFormatter(ranks=ranks)
        before = formatter.format(record())
        box["rank"] = 2
        ranks.current()
        assert ("I", "[rank2]:I") == (before[:1], formatter.format(record())[:9])

    @pytest.mark.parametrize(("rank", "expected"), [(3, "3|hello"), (None, "|hello")])
    def test_percent_field(self, rank: int | None, expected: str) -> None:
        """
        ``%(rank)s`` is the rank, or empty without one.
        """
        assert expected == PercentFormatter("%(rank)s|%(message)s", ranks=watch(rank)).format(record())


class TestRankFilter:
    """
    ``{P}_LOGS_RANKS`` and ``set_ranks``: which ranks log below ERROR to logdial's handlers.
    """

    @staticmethod
    def emit(logs: LogSystem, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, str]]:
        """
        A warning and an error of testsys.core, as logdial's console printed them.
        """
        capsys.readouterr()
        log = logging.getLogger("testsys.core")
        log.warning("w")
        log.error("e")
        return lines(capsys.readouterr().err)

    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            ({"TESTSYS_LOGS_RANKS": "0"}, [("[rank1]:", "E", "e")]),
            ({"TESTSYS_LOGS_RANKS": "0,1"}, [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]),
            ({"TESTSYS_LOGS_RANKS": "0-3"}, [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]),
            ({"TESTSYS_LOGS_RANKS": "0", "TESTSYS_LOGS_RANKS_OTHERS": "silent"}, []),
            (
                {"TESTSYS_LOGS_RANKS": "0", "TESTSYS_LOGS_RANKS_OTHERS": "warning"},
                [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")],
            ),
            ({"TESTSYS_LOGS_RANKS_OTHERS": "silent"}, [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]),
        ],
    )
    def test_environment(
        self, ranked: LogSystem, capsys: pytest.CaptureFixture[str], environ: dict[str, str], expected: list[object]
    ) -> None:
        """
        A rank in the list logs as ever; another logs errors only (or what OTHERS says);
        OTHERS alone filters nothing.
        """
        ranked.init(environ)
        assert expected == self.emit(ranked, capsys)

    @pytest.mark.parametrize(
        ("ranks", "others", "expected"),
        [
            ("0", logging.ERROR, [("[rank1]:", "E", "e")]),
            ([0, 2], logging.ERROR, [("[rank1]:", "E", "e")]),
            (range(4), logging.ERROR, [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]),
            (1, logging.ERROR, [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]),
            ("0", None, []),
            ("0", logging.CRITICAL, []),
            (None, None, [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]),
        ],
    )
    def test_set_ranks(
        self,
        ranked: LogSystem,
        capsys: pytest.CaptureFixture[str],
        ranks: str | int | range | list[int] | None,
        others: int | None,
        expected: list[object],
    ) -> None:
        """
        ``set_ranks`` does what the variables do, before or after ``init()``.
        """
        ranked.set_ranks(ranks, others=others)
        ranked.init()
        before_init = self.emit(ranked, capsys)
        ranked.reset()
        ranked.init()
        ranked.set_ranks(ranks, others=others)
        assert [expected, expected] == [before_init, self.emit(ranked, capsys)]

    def test_set_ranks_wins(self, ranked: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``set_ranks`` wins over the variables (``None``: every rank logs), until ``reset()``.
        """
        ranked.set_ranks(None)
        ranked.init({"TESTSYS_LOGS_RANKS": "0"})
        won = self.emit(ranked, capsys)
        ranked.reset()
        ranked.init({"TESTSYS_LOGS_RANKS": "0"})
        assert [[("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")], [("[rank1]:", "E", "e")]] == [
            won,
            self.emit(ranked, capsys),
        ]

    def test_no_rank_no_filter(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Without a rank nothing is filtered and no line has a prefix.
        """
        system.init({"TESTSYS_LOGS_RANKS": "3"})
        assert [("", "W", "w"), ("", "E", "e")] == self.emit(system, capsys)

    def test_handler_level(self, ranked: LogSystem) -> None:
        """
        The filter is the level of logdial's handlers: ERROR, or above every level when silent.
        """
        ranked.init({"TESTSYS_LOGS_RANKS": "0", "TESTSYS_LOGS_OUT": os.devnull})
        error_levels = [h.level for h in logging.getLogger("testsys").handlers]
        ranked.init({"TESTSYS_LOGS_RANKS": "0", "TESTSYS_LOGS_RANKS_OTHERS": "silent", "TESTSYS_LOGS_OUT": os.devnull})
        assert [[40, 40], [OFF, OFF]] == [error_levels, [h.level for h in logging.getLogger("testsys").handlers]]

    def test_fast_logger_flags(self, ranked: LogSystem) -> None:
        """
        A FastLogger's flags follow the filter, so that ``if log.enabled:`` skips work on
        a rank that would drop the record.
        """
        log = ranked.getLogger("testsys.core.fast")
        assert isinstance(log, FastLogger)
        ranked.init({"TESTSYS_LOGS": "+core", "TESTSYS_LOGS_RANKS": "1"})
        on_this_rank = (log.enabled, log.isEnabledFor(logging.DEBUG))
        ranked.set_ranks("0")
        filtered = (log.enabled, log._on_warning, log._on_error)
        ranked.set_ranks(None)
        assert [(True, True), (False, False, True), True] == [on_this_rank, filtered, log.enabled]

    def test_propagating_loggers_keep_their_flags(self, ranked: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        When records go on to the application's handlers (``propagate=True``), the filter
        holds back only logdial's handlers: the logger's flags stay on.
        """
        log = ranked.getLogger("testsys.core.fast")
        ranked.set_output(propagate=True, console="stderr")
        ranked.init({"TESTSYS_LOGS": "+core", "TESTSYS_LOGS_RANKS": "0"})
        assert (True, [("[rank1]:", "E", "e")]) == (log.enabled, self.emit(ranked, capsys))

    @pytest.mark.parametrize(
        ("environ", "notice"),
        [
            (
                {"TESTSYS_LOGS_RANKS": "0,x"},
                "invalid TESTSYS_LOGS_RANKS='0,x': 'x' at position 2 is not a rank or a "
                "range of ranks; write ranks and ranges as 0,2-3; it is ignored: every "
                "rank logs\n",
            ),
            (
                {"TESTSYS_LOGS_RANKS": "2-0"},
                "invalid TESTSYS_LOGS_RANKS='2-0': the range '2-0' at position 0 goes "
                "down: write 0-2; it is ignored: every rank logs\n",
            ),
            (
                {"TESTSYS_LOGS_RANKS": "0", "TESTSYS_LOGS_RANKS_OTHERS": "loud"},
                "invalid TESTSYS_LOGS_RANKS_OTHERS='loud': 'loud' is not a level: use error (the default), silent, "
                "or a level (debug, info, warning, error, critical or a number); using error\n",
            ),
        ],
    )
    def test_invalid_variable_reported_once(
        self, ranked: LogSystem, capsys: pytest.CaptureFixture[str], environ: dict[str, str], notice: str
    ) -> None:
        """
        An invalid value is reported once on stderr, naming the variable, and ignored.
        """
        ranked.init(environ)
        ranked.init(environ)
        assert notice == capsys.readouterr().err
        filtered = "TESTSYS_LOGS_RANKS_OTHERS" in environ  # RANKS=0 stands, OTHERS falls back to error
        expected = [("[rank1]:", "E", "e")] if filtered else [("[rank1]:", "W", "w"), ("[rank1]:", "E", "e")]
        assert expected == self.emit(ranked, capsys)

    @pytest.mark.parametrize(
        ("environ", "message"),
        [
            (
                {"TESTSYS_LOGS_RANKS": "a"},
                "invalid TESTSYS_LOGS_RANKS='a': 'a' at position 0 is not a rank or a range "
                "of ranks; write ranks and ranges as 0,2-3",
            ),
            (
                {"TESTSYS_LOGS_RANKS_OTHERS": "often"},
                "invalid TESTSYS_LOGS_RANKS_OTHERS='often': 'often' is not a "
                "level: use error (the default), silent, or a level (debug, "
                "info, warning, error, critical or a number)",
            ),
        ],
    )
    def test_invalid_variable_strict(self, ranked: LogSystem, environ: dict[str, str], message: str) -> None:
        """
        In strict mode an invalid value raises ``SettingsError`` from ``init()``.
        """
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            ranked.init({**environ, "TESTSYS_LOGS_STRICT": "1"})

    @pytest.mark.parametrize(
        ("args", "kwargs", "error", "message"),
        [
            (
                ("0,x",),
                {},
                SettingsError,
                "invalid set_ranks('0,x'): 'x' at position 2 is not a rank or a range of "
                "ranks; write ranks and ranges as 0,2-3",
            ),
            (([0, -1],), {}, ValueError, "a rank is an int >= 0, not -1"),
            ((True,), {}, ValueError, "a rank is an int >= 0, not True"),
            (
                ("0",),
                {"others": -5},
                ValueError,
                "others must be a level (an int such as logging.DEBUG, or a name such as 'debug'), "
                "or None for silence, not -5",
            ),
            (
                ("0",),
                {"others": "loud"},
                ValueError,
                "others must be a level (an int such as logging.DEBUG, or a name such as 'debug'), "
                "or None for silence, not 'loud'",
            ),
        ],
    )
    def test_set_ranks_errors(
        self,
        system: LogSystem,
        args: tuple[object, ...],
        kwargs: dict[str, object],
        error: type[Exception],
        message: str,
    ) -> None:
        """
        ``set_ranks`` refuses what is not a list of ranks or a level, at once.
        """
        with pytest.raises(error, match=f"^{re.escape(message)}$"):
            system.set_ranks(*args, **kwargs)  # type: ignore[arg-type]

    def test_rank_known_later(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A rank learnt after ``init()`` (as torch.distributed initialised later would
        say) applies from the next record: prefix, filter and items with ranks; the
        record that finds it is held to the filter too.
        """
        box: dict[str, int | None] = {"rank": None}
        system.set_rank_provider(lambda: box["rank"])
        system.init({"TESTSYS_LOGS": "+core@0", "TESTSYS_LOGS_RANKS": "0"})
        log = logging.getLogger("testsys.core")
        log.debug("a")
        as_rank_zero = dict(system.settings.levels)
        box["rank"] = 1
        log.debug("b")
        log.warning("c")
        log.error("d")
        assert ([("", "V", "a"), ("[rank1]:", "E", "d")], {"testsys.core": 10}, {}, 1) == (
            lines(capsys.readouterr().err),
            as_rank_zero,
            dict(system.settings.levels),
            system.rank(),
        )

    def test_provider_change_applies_at_once(self, ranked: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A new provider after ``init()`` changes the rank, and what depends on it, at once.
        """
        ranked.init({"TESTSYS_LOGS_RANKS": "0"})
        ranked.set_rank_provider(lambda: 0)
        assert [("[rank0]:", "W", "w"), ("[rank0]:", "E", "e")] == self.emit(ranked, capsys)

    def test_trace_not_filtered(self, ranked: LogSystem, tmp_path: Path) -> None:
        """
        The structured trace of a filtered rank is written whole, in a file of its rank.
        """
        ranked.init({"TESTSYS_LOGS_RANKS": "0", "TESTSYS_LOGS_RANKS_OTHERS": "silent", "TESTSYS_TRACE": str(tmp_path)})
        ranked.trace_structured("mylib_step", lambda: {"step": 1}, expect_trace_id=False)
        assert Path(str(ranked.trace_file)).name.startswith("dedicated_log_torch_trace_rank_1_")


class TestRankSettings:
    """
    Items with ranks in ``{P}_LOGS`` and ``set_logs``, on the system's rank.
    """

    @pytest.mark.parametrize(
        ("rank", "expected"), [(0, {"testsys.core": 10}), (1, {"testsys.core": 20}), (None, {"testsys.core": 10})]
    )
    def test_env_and_set_logs(self, system: LogSystem, rank: int | None, expected: dict[str, int]) -> None:
        """
        The variable and ``set_logs`` give the same levels on each rank.
        """
        system.set_rank_provider(lambda: rank)
        system.init({"TESTSYS_LOGS": "+core@0,core@1-3"})
        from_env = dict(system.settings.levels)
        system.reset()
        system.set_logs("+core@0,core@1-3")
        assert [expected, expected] == [from_env, dict(system.settings.levels)]

    def test_parse_takes_the_rank_it_is_given(self, ranked: LogSystem, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        ``parse`` is pure: it resolves for the rank it is given (``rank=logs.rank()`` for
        this process's), for rank 0 without one, whatever the process's rank or the
        environment say; and it writes every item back.
        """
        monkeypatch.setenv("RANK", "1")
        assert 1 == ranked.rank()
        mine = ranked.parse("+core@0,-io@1", rank=ranked.rank())
        assert ({"testsys.io": 40, "testsys.net": 40}, "+core@0,-io@1") == (dict(mine.levels), mine.to_string())
        assert {"testsys.core": 10} == dict(ranked.parse("+core@0,-io@1").levels)
        with pytest.raises(TypeError, match="rank must be an int or None"):
            ranked.parse("+core", rank="1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="rank must be 0 or more, not -1"):
            ranked.parse("+core", rank=-1)

    def test_set_logs_keywords_with_rank_items(self, ranked: LogSystem) -> None:
        """
        Keywords and modules combine with items with ranks.
        """
        ranked.set_logs("-io@1", core=logging.INFO, modules={"testsys.extra": logging.DEBUG})
        assert {"testsys.io": 40, "testsys.net": 40, "testsys.core": 20, "testsys.extra": 10} == dict(
            ranked.settings.levels
        )


def test_rank_provider_removed_falls_back_to_the_variables_init_was_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    After ``init({"RANK": "1"})``, removing a rank provider finds the rank in the
    variables ``init`` was given (not in ``os.environ``, which says 5); ``reset()`` forgets
    them, and a plain ``init()`` reads ``os.environ``.
    """
    monkeypatch.setenv("RANK", "5")
    logs = LogSystem("providersys")
    logs.register_log("core", ["providersys.core"])
    logs.set_rank_provider(lambda: 3)
    logs.init({"RANK": "1"})
    assert 3 == logs.rank()
    logs.set_rank_provider(None)
    assert 1 == logs.rank()
    logs.reset()
    logs.init()
    assert 5 == logs.rank()
    logs.reset()
