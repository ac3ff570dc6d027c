"""Tests for explain(): what a settings string does to each logger and artifact, and why."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from tests.strategies import artifact_items, component_items, module_items, settings_strings, wildcard_items

from logdial import LogSystem, SettingsError
from logdial._explain import Explanation, Floor, LoggerLevel, Origin, explain
from logdial._levels import OFF, level_name
from logdial.demo._registrations import build_system

DEBUG, INFO, WARNING, ERROR, CRITICAL = logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL

# The artifacts the demo registers as off by default; the tables below leave them out
# unless a setting names them (they are always "off by default" otherwise).
QUIET = ("bytecode", "output_code", "schedule")
DEFAULT_LOGGERS = {
    "minitorch": "WARNING default",
    "minitorch._dynamo": "WARNING default via minitorch",
    "minitorch.fx.experimental.symbolic_shapes": "WARNING default via minitorch",
    "minitorch._functorch.aot_autograd": "WARNING default via minitorch",
    "minitorch._functorch._aot_autograd": "WARNING default via minitorch",
    "minitorch._inductor": "WARNING default via minitorch",
}
HIDDEN = "off: follows its component, which is above DEBUG, so hidden"


def _logger(lg: LoggerLevel) -> str:
    level = "-" if lg.level is None else level_name(lg.level).upper()
    text = f"{level} " + ("default" if lg.origin is None else f"{lg.origin.item!r}@{lg.origin.position}")
    if lg.inherited_from is not None:
        text += f" via {lg.inherited_from}"
    if lg.below is not None:
        text += f" | below {level_name(lg.below.level).upper()} {lg.below.origin.item!r}@{lg.below.origin.position}"
    return text


def table(explanation: Explanation) -> dict[str, str]:
    """
    The explanation in short: each logger's level and origin, each module's, each
    artifact's state and reason; the following artifacts, which share one answer, once;
    the quiet artifacts only when a setting names them.
    """
    out = {lg.logger: _logger(lg) for c in explanation.components for lg in c.loggers}
    out.update({f"module {m.logger}": _logger(m) for m in explanation.modules})
    following = {f"{a.state}: {a.describe()}" for a in explanation.artifacts if a.reason == "follows"}
    assert len(following) <= 1  # every following artifact has the same answer
    out.update(dict.fromkeys(["following"], *following) if following else {})
    for a in explanation.artifacts:
        if a.reason in ("named", "switched_off"):
            out[a.name] = f"{a.state}: {a.describe()}"
    return out


def demo_table(**changes: str) -> dict[str, str]:
    """
    The defaults' table with ``changes`` (``following`` for the following artifacts).
    """
    return {**DEFAULT_LOGGERS, "following": HIDDEN, **changes}


@pytest.fixture
def shop() -> Iterator[LogSystem]:
    """
    A small system: ``orders`` (one logger), ``io`` (two), ``sql`` (follows), ``plan`` (off by default).
    """
    logs = LogSystem("shop", env_prefix="SHOP")
    logs.register_log("orders", "shop.orders")
    logs.register_log("io", ["shop.io", "shop.net"])
    logs.register_artifact("sql", "Every SQL statement.", visible=True)
    logs.register_artifact("plan", "The query plan.", off_by_default=True)
    yield logs
    logs.reset()


class TestDocumentedExamples:
    """
    explain() on the demo for PyTorch's documented examples and the grammar's corner cases.
    """

    def test_defaults(self, demo: LogSystem) -> None:
        """
        No items: the root at WARNING by default, every component inheriting it, artifacts hidden.
        """
        assert demo_table() == table(explain(demo, ""))

    def test_plus_dynamo_aot(self, demo: LogSystem) -> None:
        """
        ``+dynamo,aot``: dynamo's loggers at DEBUG, aot's at INFO; artifacts show under dynamo only.
        """
        expected = demo_table(
            **{
                "minitorch._dynamo": "DEBUG '+dynamo'@0",
                "minitorch.fx.experimental.symbolic_shapes": "DEBUG '+dynamo'@0",
                "minitorch._functorch.aot_autograd": "INFO 'aot'@8",
                "minitorch._functorch._aot_autograd": "INFO 'aot'@8",
                "following": "depends: follows its component at DEBUG: shown under dynamo; hidden under aot, inductor",
            }
        )
        assert expected == table(explain(demo, "+dynamo,aot"))

    def test_minus_dynamo_plus_inductor(self, demo: LogSystem) -> None:
        """
        ``-dynamo,+inductor``: dynamo at ERROR, inductor at DEBUG.
        """
        expected = demo_table(
            **{
                "minitorch._dynamo": "ERROR '-dynamo'@0",
                "minitorch.fx.experimental.symbolic_shapes": "ERROR '-dynamo'@0",
                "minitorch._inductor": "DEBUG '+inductor'@8",
                "following": "depends: follows its component at DEBUG: shown under inductor; hidden under dynamo, aot",
            }
        )
        assert expected == table(explain(demo, "-dynamo,+inductor"))

    def test_one_artifact(self, demo: LogSystem) -> None:
        """
        ``aot_graphs``: that artifact on, named by the item; levels untouched.
        """
        expected = demo_table(aot_graphs="on: named by item 'aot_graphs' at position 0")
        assert expected == table(explain(demo, "aot_graphs"))

    def test_plus_dynamo_schedule(self, demo: LogSystem) -> None:
        """
        ``+dynamo,schedule``: an off-by-default artifact shows once named.
        """
        expected = demo_table(
            **{
                "minitorch._dynamo": "DEBUG '+dynamo'@0",
                "minitorch.fx.experimental.symbolic_shapes": "DEBUG '+dynamo'@0",
                "following": "depends: follows its component at DEBUG: shown under dynamo; hidden under aot, inductor",
                "schedule": "on: named by item 'schedule' at position 8",
            }
        )
        assert expected == table(explain(demo, "+dynamo,schedule"))

    def test_random_module(self, demo: LogSystem) -> None:
        """
        ``+some.random.module,schedule``: a module outside the root (an existing logger, as
        the demo creates it) is listed with its level and item; it is not where artifacts log.
        """
        logging.getLogger("some.random.module")
        expected = demo_table(
            **{
                "module some.random.module": "DEBUG '+some.random.module'@0",
                "schedule": "on: named by item 'schedule' at position 20",
            }
        )
        assert expected == table(explain(demo, "+some.random.module,schedule"))

    def test_module_after_component(self, demo: LogSystem) -> None:
        """
        ``+inductor,-minitorch._inductor``: the later module item wins for the logger it names.
        """
        expected = demo_table(
            **{
                "minitorch._inductor": "ERROR '-minitorch._inductor'@10",
                "module minitorch._inductor": "ERROR '-minitorch._inductor'@10",
            }
        )
        assert expected == table(explain(demo, "+inductor,-minitorch._inductor"))

    def test_component_after_module(self, demo: LogSystem) -> None:
        """
        ``-minitorch._inductor,+inductor``: the component item changes its logger only; the
        loggers below it keep the module's ERROR, so the following artifacts stay hidden there.
        """
        changed = "DEBUG '+inductor'@21 | below ERROR '-minitorch._inductor'@0"
        expected = demo_table(**{"minitorch._inductor": changed, "module minitorch._inductor": changed})
        assert expected == table(explain(demo, "-minitorch._inductor,+inductor"))

    def test_artifact_wildcard(self, demo: LogSystem) -> None:
        """
        ``graph*``: a bare pattern names every artifact it matches.
        """
        named = "on: named by item 'graph*' at position 0"
        expected = demo_table(graph=named, graph_code=named, graph_breaks=named)
        assert expected == table(explain(demo, "graph*"))

    def test_signed_wildcard(self, demo: LogSystem) -> None:
        """
        ``+*``: every component at DEBUG, the root untouched; the artifacts follow them (on),
        except the ones off by default.
        """
        expected = {
            **{name: "DEBUG '+*'@0" for name in DEFAULT_LOGGERS if name != "minitorch"},
            "minitorch": "WARNING default",
            "following": "on: follows its component at DEBUG: every component logs at DEBUG",
        }
        explanation = explain(demo, "+*")
        assert expected == table(explanation)
        assert {"off_by_default"} == {a.reason for a in explanation.artifacts if a.name in QUIET}

    def test_switched_off(self, demo: LogSystem) -> None:
        """
        ``+dynamo,guards=off``: guards is off by its item, the others follow dynamo.
        """
        expected = demo_table(
            **{
                "minitorch._dynamo": "DEBUG '+dynamo'@0",
                "minitorch.fx.experimental.symbolic_shapes": "DEBUG '+dynamo'@0",
                "following": "depends: follows its component at DEBUG: shown under dynamo; hidden under aot, inductor",
                "guards": "off: switched off by item 'guards=off' at position 8",
            }
        )
        assert expected == table(explain(demo, "+dynamo,guards=off"))

    def test_all_then_component(self, demo: LogSystem) -> None:
        """
        ``all=error,dynamo``: the root at ERROR, inherited by every component but dynamo.
        """
        expected = {
            "minitorch": "ERROR 'all=error'@0",
            "minitorch._dynamo": "INFO 'dynamo'@10",
            "minitorch.fx.experimental.symbolic_shapes": "INFO 'dynamo'@10",
            "minitorch._functorch.aot_autograd": "ERROR 'all=error'@0 via minitorch",
            "minitorch._functorch._aot_autograd": "ERROR 'all=error'@0 via minitorch",
            "minitorch._inductor": "ERROR 'all=error'@0 via minitorch",
            "following": HIDDEN,
        }
        assert expected == table(explain(demo, "all=error,dynamo"))


class TestOrigins:
    """
    Which item a value is attributed to when several touch it.
    """

    def test_later_item_wins_even_with_the_same_value(self, demo: LogSystem) -> None:
        """
        ``+dynamo,dynamo=debug``: the value comes from the last item that sets it.
        """
        assert "DEBUG 'dynamo=debug'@8" == table(explain(demo, "+dynamo,dynamo=debug"))["minitorch._dynamo"]

    def test_root_name_is_all(self, demo: LogSystem) -> None:
        """
        The root's own name sets the root, shown as ``all``, not as a module.
        """
        explanation = explain(demo, "-minitorch")
        assert ("all", "ERROR '-minitorch'@0", ()) == (
            explanation.components[0].name,
            _logger(explanation.components[0].loggers[0]),
            explanation.modules,
        )

    def test_module_inside_a_component(self, demo: LogSystem) -> None:
        """
        ``-dynamo,+minitorch._dynamo.guards``: a module below a component's logger is
        listed, and the following artifacts show where it logs.
        """
        explanation = explain(demo, "-dynamo,+minitorch._dynamo.guards")
        following = next(a for a in explanation.artifacts if a.reason == "follows")
        assert (
            "DEBUG '+minitorch._dynamo.guards'@8",
            ("minitorch._dynamo.guards",),
            ("dynamo", "aot", "inductor"),
        ) == (_logger(explanation.modules[0]), following.shown_under, following.hidden_under)

    def test_module_covering_part_of_a_component(self, demo: LogSystem) -> None:
        """
        ``+minitorch._dynamo``: one of dynamo's two loggers at DEBUG; the answer names loggers.
        """
        following = next(a for a in explain(demo, "+minitorch._dynamo").artifacts if a.reason == "follows")
        assert (
            "depends",
            ("minitorch._dynamo",),
            ("minitorch.fx.experimental.symbolic_shapes", "aot", "inductor"),
        ) == (
            following.state,
            following.shown_under,
            following.hidden_under,
        )

    def test_later_module_drops_the_one_below(self, demo: LogSystem) -> None:
        """
        ``+minitorch._functorch.aot_autograd,-minitorch._functorch``: the later, wider
        module item covers the earlier one's logger.
        """
        explanation = explain(demo, "+minitorch._functorch.aot_autograd,-minitorch._functorch")
        assert {
            "module minitorch._functorch.aot_autograd": "ERROR '-minitorch._functorch'@35 via minitorch._functorch",
            "module minitorch._functorch": "ERROR '-minitorch._functorch'@35",
            "minitorch._functorch.aot_autograd": "ERROR '-minitorch._functorch'@35 via minitorch._functorch",
            "minitorch._functorch._aot_autograd": "ERROR '-minitorch._functorch'@35 via minitorch._functorch",
        } == {k: v for k, v in table(explanation).items() if "aot_autograd" in k or k.endswith("_functorch")}

    def test_root_below_a_module(self) -> None:
        """
        A system whose root is ``a.b``: a module item on ``a`` does not reach the root,
        which the system always sets itself (WARNING by default).
        """
        logs = LogSystem("ab", root="a.b")
        logs.register_log("core", "a.b.core")
        explanation = explain(logs, "-a")
        assert ["WARNING default", "WARNING default via a.b"] == [_logger(c.loggers[0]) for c in explanation.components]

    def test_component_outside_the_root(self) -> None:
        """
        A component logger outside the root that no item names is left to the application.
        """
        logs = LogSystem("shop")
        logs.register_log("vendor", "vendorlib.client")
        explanation = explain(logs, "")
        vendor = explanation.components[1].loggers[0]
        assert (
            None,
            "- default",
            "vendor     vendorlib.client  -        not set: the application's logging decides",
        ) == (
            vendor.level,
            _logger(vendor),
            explanation.to_text().splitlines()[4],
        )

    def test_nested_components(self) -> None:
        """
        A component whose logger is below another's: the floor left by a module item holds
        it back too (``FloorFilter``), so it shows what the module gave, by the module's item.
        """
        logs = LogSystem("shop")
        logs.register_log("io", "shop.io")
        logs.register_log("disk", "shop.io.disk")
        explanation = explain(logs, "-shop.io,+io")
        assert [
            "WARNING default",
            "DEBUG '+io'@9 | below ERROR '-shop.io'@0",
            "ERROR '-shop.io'@0 via shop.io",
        ] == [_logger(c.loggers[0]) for c in explanation.components]

    def test_no_components(self) -> None:
        """
        A system with artifacts only: they follow the root.
        """
        logs = LogSystem("bare")
        logs.register_artifact("dump", "A dump.")
        assert [("on", ("all",)), ("off", ())] == [
            (a.state, a.shown_under) for text in ("+all", "") for a in explain(logs, text).artifacts
        ]

    def test_help_request(self, demo: LogSystem) -> None:
        """
        ``help`` and ``+help`` are reported, with the items beside them still explained.
        """
        assert ("brief", "full", "DEBUG '+dynamo'@6") == (
            explain(demo, "help").help,
            explain(demo, "+help").help,
            table(explain(demo, "+help,+dynamo"))["minitorch._dynamo"],
        )


class TestErrors:
    """
    Invalid settings raise exactly what ``parse`` raises.
    """

    def test_same_error_as_parse(self, demo: LogSystem) -> None:
        """
        The message names the item, its position and the closest name.
        """
        expected = (
            "invalid minitorch settings: '+dynamoo' at position 0: not a registered component or artifact, "
            "nor a module or logger; did you mean 'dynamo'?\nTORCH_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError) as raised:
            explain(demo, "+dynamoo")
        assert expected == str(raised.value)

    def test_unknown_module(self, demo: LogSystem) -> None:
        """
        A module that is neither importable nor an existing logger is an error, as for init().
        """
        with pytest.raises(SettingsError, match=r"^invalid minitorch settings: '\+no_such_mod' at position 0: "):
            explain(demo, "+no_such_mod")


class TestForms:
    """
    The text and JSON forms of an explanation.
    """

    def test_text(self, shop: LogSystem) -> None:
        """
        The whole table for a small system: components, artifacts, modules.
        """
        expected = """\
shop: SHOP_LOGS='-shop.io,+io,sql=off'

component  logger                  level    from
all        shop                    WARNING  default
orders     shop.orders             WARNING  default, inherited from all
io         shop.io                 DEBUG    item '+io' at position 9
             the loggers below it  ERROR    item '-shop.io' at position 0
           shop.net                DEBUG    item '+io' at position 9

artifact  state  why
sql       off    switched off by item 'sql=off' at position 13
plan      off    off by default: shown only when named

module                  level  from
shop.io                 DEBUG  item '+io' at position 9
  the loggers below it  ERROR  item '-shop.io' at position 0
"""
        assert expected == explain(shop, "-shop.io,+io,sql=off").to_text()

    def test_text_titles(self, shop: LogSystem) -> None:
        """
        The first line says where the settings came from, and asks for help when they do.
        """
        assert [
            "shop: SHOP_LOGS is not set, so the defaults apply",
            "shop: SHOP_LOGS='+orders' (from the environment)",
            "shop: SHOP_LOGS='help'",
            "help: init() prints the help message and exits 0 (see: logdial help shop)",
            "shop: SHOP_LOGS='+help'",
            "help: init() prints the help message and exits 0 (see: logdial help shop --all)",
        ] == [
            *(explain(shop, "", source="unset").to_text().splitlines()[:1]),
            *(explain(shop, "+orders", source="environment").to_text().splitlines()[:1]),
            *(explain(shop, "help").to_text().splitlines()[0:3:2]),
            *(explain(shop, "+help").to_text().splitlines()[0:3:2]),
        ]

    def test_json(self, shop: LogSystem) -> None:
        """
        The whole JSON form, with the keys the README documents.
        """
        default = {"logger": "shop", "level": 30, "level_name": "warning", "origin": None}
        expected = {
            "system": "shop",
            "variable": "SHOP_LOGS",
            "settings": "+orders,sql",
            "source": "argument",
            "help": None,
            "components": [
                {"name": "all", "loggers": [{**default, "inherited_from": None, "below": None}]},
                {
                    "name": "orders",
                    "loggers": [
                        {
                            "logger": "shop.orders",
                            "level": 10,
                            "level_name": "debug",
                            "origin": {"item": "+orders", "position": 0},
                            "inherited_from": None,
                            "below": None,
                        }
                    ],
                },
                {
                    "name": "io",
                    "loggers": [
                        {**default, "logger": name, "inherited_from": "shop", "below": None}
                        for name in ("shop.io", "shop.net")
                    ],
                },
            ],
            "artifacts": [
                {
                    "name": "sql",
                    "state": "on",
                    "reason": "named",
                    "origin": {"item": "sql", "position": 8},
                    "off_by_default": False,
                    "shown_under": [],
                    "hidden_under": [],
                    "description": "Every SQL statement.",
                },
                {
                    "name": "plan",
                    "state": "off",
                    "reason": "off_by_default",
                    "origin": None,
                    "off_by_default": True,
                    "shown_under": [],
                    "hidden_under": [],
                    "description": "The query plan.",
                },
            ],
            "modules": [],
        }
        explanation = explain(shop, "+orders,sql")
        assert (expected, expected) == (explanation.to_dict(), json.loads(explanation.to_json()))

    def test_json_floor_and_following(self, shop: LogSystem) -> None:
        """
        A floor is ``below``; a following artifact lists where it shows and where it does not.
        """
        data = explain(shop, "-shop.io,+io").to_dict()
        assert (
            {"level": 40, "level_name": "error", "origin": {"item": "-shop.io", "position": 0}},
            ("depends", "follows", ["shop.net"], ["orders", "shop.io"]),
        ) == (
            data["components"][2]["loggers"][0]["below"],  # type: ignore[index]
            tuple(data["artifacts"][0][k] for k in ("state", "reason", "shown_under", "hidden_under")),  # type: ignore[index]
        )


# -- explain agrees with what init() really does ---------------------------------------

_LEVELS = (DEBUG, INFO, WARNING, ERROR, CRITICAL)


def _threshold(name: str) -> int | None:
    """
    The lowest standard level at which a record of logger ``name`` reaches a handler that
    logdial installed (past the logger's level and filters and the handlers' filters).
    """
    logger = logging.getLogger(name)
    for level in _LEVELS:
        if not logger.isEnabledFor(level):
            continue
        record = logger.makeRecord(logger.name, level, __file__, 1, "m", (), None)
        if not logger.filter(record):  # the logger's own filters, as Logger.handle applies them
            continue
        current: logging.Logger | None = logger
        while current is not None:
            if any(level >= h.level and h.filter(record) for h in current.handlers):
                return level
            if not current.propagate:
                break
            current = current.parent
    return None


def _standard(level: int) -> int | None:
    """
    The lowest standard level that ``level`` lets through (``_threshold`` tries only those).
    """
    return next((standard for standard in _LEVELS if standard >= level), None)


def _nested() -> LogSystem:
    """
    A system with a component below another's logger: ``io`` (shop.io) and ``disk`` (shop.io.disk).
    """
    logs = LogSystem("shop")
    logs.register_log("io", "shop.io")
    logs.register_log("disk", "shop.io.disk")
    logs.register_log("orders", "shop.orders")
    logs.register_artifact("sql", "Every SQL statement.")
    return logs


def _check_against_init(text: str, make: Callable[[], LogSystem] = build_system) -> None:
    logs = make()
    logging.getLogger("some.random.module")
    try:
        explanation = explain(logs, text)
        logs.set_output(console="none")
        logs.init({logs.var: text})
        rows = [lg for c in explanation.components for lg in c.loggers] + list(explanation.modules)
        app_level = logging.getLogger().getEffectiveLevel()  # what decides where no setting reaches
        for row in rows:
            level = _standard(app_level if row.level is None else row.level)
            below = _standard(row.below.level) if row.below is not None else level
            assert (row.logger, level, below) == (
                row.logger,
                _threshold(row.logger),
                _threshold(row.logger + ".child_of_explain"),
            )
        following = next((a for a in explanation.artifacts if a.reason == "follows"), None)
        marks: dict[str, bool] = {}  # the places of the answer: the deepest one that covers a logger decides
        for names, mark in ((following.shown_under, True), (following.hidden_under, False)) if following else ():
            for name in names:
                loggers = [lg.logger for c in explanation.components if c.name == name for lg in c.loggers]
                marks.update(dict.fromkeys(loggers or [name], mark))
        for artifact in explanation.artifacts:
            for row in (*(lg for c in explanation.components[1:] for lg in c.loggers), *explanation.modules):
                covering = [n for n in marks if row.logger == n or row.logger.startswith(n + ".")]
                if not covering:
                    continue  # a module outside every component: the answer says nothing about it
                shown = _threshold(logs.getArtifactLogger(row.logger, artifact.name).name) == DEBUG
                expected = artifact.state == "on" or (
                    artifact.state == "depends" and marks[max(covering, key=lambda n: n.count("."))]
                )
                assert (artifact.name, row.logger, expected) == (artifact.name, row.logger, shown)
    finally:
        logs.reset()


# Modules that meet the components: their loggers, what is above and below them.
_NEAR = ("minitorch._dynamo", "minitorch._dynamo.guards", "minitorch.fx", "minitorch._functorch", "minitorch._inductor")
_NEAR_ITEMS = st.tuples(st.sampled_from(("+", "-", "")), st.sampled_from(_NEAR)).map("".join)
_ITEMS = st.lists(
    st.one_of(component_items(), artifact_items(), module_items(), wildcard_items(), _NEAR_ITEMS), max_size=6
)


class TestAgreesWithInit:
    """
    For any valid settings, each explained level is the level at which records really
    pass once init() applies the settings, and each artifact shows where it says.
    """

    @pytest.mark.parametrize(
        "text",
        [
            "",
            "+dynamo,aot",
            "-dynamo,+inductor",
            "aot_graphs",
            "+dynamo,schedule",
            "+some.random.module,schedule",
            "+inductor,-minitorch._inductor",
            "-minitorch._inductor,+inductor",
            "+minitorch._inductor,-inductor",
            "graph*",
            "+*",
            "+dynamo,guards=off",
            "all=error,dynamo",
            "+all,-aot",
            "-dynamo,+minitorch._dynamo.guards",
        ],
    )
    def test_examples(self, text: str) -> None:
        """
        The documented examples and the corner cases above.
        """
        _check_against_init(text)

    @pytest.mark.parametrize(
        "text",
        ["-shop.io,+io", "+shop.io,-io", "-shop.io,+disk", "+io,-shop.io.disk", "-shop,+disk,io=info", "+*,io=0"],
    )
    def test_nested_components(self, text: str) -> None:
        """
        Components whose loggers nest, under module items that cover both.
        """
        _check_against_init(text, _nested)

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(items=_ITEMS)
    def test_generated(self, items: list[str]) -> None:
        """
        Generated settings of components, artifacts, modules under the root and wildcards.
        """
        _check_against_init(",".join(items))


# -- explain's levels are the system's: exact, at any level number ----------------------


def _reaches(logger: logging.Logger, level: int) -> bool:
    """
    Whether a record of ``logger`` at ``level`` passes the logger's level and filters and
    reaches a handler (with its level and filters) on the way up, as ``Logger.handle``
    and ``Logger.callHandlers`` take it.
    """
    if not logger.isEnabledFor(level):
        return False
    record = logger.makeRecord(logger.name, level, __file__, 1, "m", (), None)
    if not logger.filter(record):
        return False
    current: logging.Logger | None = logger
    while current is not None:
        if any(level >= h.level and h.filter(record) for h in current.handlers):
            return True
        current = current.parent if current.propagate else None
    return False


def _lowest_passing(name: str) -> int | None:
    """
    The lowest level number at which records of logger ``name`` are written (whatever
    holds them back: its effective level, an ``OwnLevelFilter``, the ``FloorFilter``),
    found by bisection; ``None`` when none is, up to OFF.
    """
    logger = logging.getLogger(name)
    low, high = 1, OFF
    if not _reaches(logger, high):
        return None
    while low < high:
        middle = (low + high) // 2
        low, high = (low, middle) if _reaches(logger, middle) else (middle + 1, high)
    return low


#: An artifact logger that exists before the settings are explained and applied, so that
#: an item may name it as a module (its artifact decides its level, not the item).
_ARTIFACT_LOGGER = "minitorch._dynamo.__guards"
_INDUCTOR = "minitorch._inductor"
# Items on the loggers the components meet, with levels a standard-level check would
# round away (15, 5) and 0 (NOTSET: the loggers below inherit from further up).
_EXACT_ITEMS = st.one_of(
    st.tuples(st.sampled_from(("+", "-", "")), st.sampled_from((*_NEAR, _ARTIFACT_LOGGER))).map("".join),
    st.tuples(
        st.sampled_from((*_NEAR, _ARTIFACT_LOGGER, "all", "dynamo", "inductor")),
        st.sampled_from(("0", "5", "15", "debug", "error", "critical")),
    ).map("=".join),
)
_EXACT_SETTINGS = st.lists(
    st.one_of(component_items(), artifact_items(), module_items(), wildcard_items(), _EXACT_ITEMS, _EXACT_ITEMS),
    max_size=7,
).flatmap(settings_strings)
_VIA = ("environment", "set_logs")


def _demo_with_artifact_logger() -> LogSystem:
    """
    The demo, with the artifact logger ``_ARTIFACT_LOGGER`` made.
    """
    logs = build_system()
    logs.getArtifactLogger(_ARTIFACT_LOGGER.rpartition(".__")[0], "guards")
    return logs


def _explained_and_applied(
    text: str, via: str, make: Callable[[], LogSystem] = _demo_with_artifact_logger
) -> tuple[Explanation, LogSystem]:
    """
    The explanation of ``text`` for the system ``make`` makes, and that system with
    ``text`` applied ``via`` the environment (``init``) or ``set_logs``, writing nowhere.
    """
    logs = make()
    explanation = explain(logs, text)
    logs.set_output(console="none")
    if via == "environment":
        logs.init({logs.var: text})
    else:
        logs.init({})
        logs.set_logs(text)
    return explanation, logs


def _rows(explanation: Explanation) -> list[LoggerLevel]:
    """
    Every logger the explanation gives a level: the components' loggers, then the modules.
    """
    return [lg for c in explanation.components for lg in c.loggers] + list(explanation.modules)


def _explained_levels(explanation: Explanation) -> list[tuple[str, int, int]]:
    """
    Each logger's level and the level of the loggers below it, as explained (where no
    setting reaches, the application's: the root logger's).
    """
    app = logging.getLogger().getEffectiveLevel()
    levels = []
    for lg in _rows(explanation):
        level = app if lg.level is None else lg.level
        levels.append((lg.logger, level, level if lg.below is None else lg.below.level))
    return levels


class TestSameLevelsAsTheSystem:
    """
    explain() reads its levels from what init() and set_logs() apply: for every logger it
    reports, the level equals what the real logger shows once the same settings are
    applied, to the number (a check on the standard levels alone would let 15 pass for 20).
    """

    @pytest.mark.parametrize("via", _VIA)
    @settings(max_examples=60, deadline=None)
    @given(text=_EXACT_SETTINGS)
    def test_effective_level(self, via: str, text: str) -> None:
        """
        Where no floor holds records back, the level explained for each logger, and for
        the loggers below it, is ``getEffectiveLevel()`` of the real logger and its child.
        """
        explanation, logs = _explained_and_applied(text, via)
        try:
            assume(not logs.settings.floors)  # a floor holds records back beyond the level: see below
            assert _explained_levels(explanation) == [
                (
                    lg.logger,
                    logging.getLogger(lg.logger).getEffectiveLevel(),
                    logging.getLogger(f"{lg.logger}.child_of_explain").getEffectiveLevel(),
                )
                for lg in _rows(explanation)
            ]
        finally:
            logs.reset()

    @pytest.mark.parametrize("via", _VIA)
    @settings(max_examples=100, deadline=None)
    @given(text=_EXACT_SETTINGS)
    def test_lowest_level_written(self, via: str, text: str) -> None:
        """
        For any settings, with floors, own levels, NOTSET and an artifact logger named as
        a module: the level explained for each logger, and for the loggers below it, is
        the lowest level whose records the real logger and its child write.
        """
        explanation, logs = _explained_and_applied(text, via)
        try:
            assert _explained_levels(explanation) == [
                (lg.logger, _lowest_passing(lg.logger), _lowest_passing(f"{lg.logger}.child_of_explain"))
                for lg in _rows(explanation)
            ]
        finally:
            logs.reset()

    @pytest.mark.parametrize(
        ("text", "expected", "below"),
        [
            # A module at 0 (NOTSET), then its component: its logger is set to the floor,
            # 0, so it takes WARNING from the root, and its own DEBUG is never reached
            # (explain used to say DEBUG, and NOTSET below it).
            ("minitorch._inductor=0,+inductor", LoggerLevel(_INDUCTOR, WARNING, None, "minitorch"), WARNING),
            # Its own ERROR still holds its own records; the loggers below take the root's.
            (
                "minitorch._inductor=0,-inductor",
                LoggerLevel(_INDUCTOR, ERROR, Origin("-inductor", 22), below=Floor(WARNING, None)),
                WARNING,
            ),
            (
                "-minitorch._inductor,inductor=15",
                LoggerLevel(
                    _INDUCTOR, 15, Origin("inductor=15", 21), below=Floor(ERROR, Origin("-minitorch._inductor", 0))
                ),
                ERROR,
            ),
            (
                "+minitorch._inductor,inductor=error",
                LoggerLevel(
                    _INDUCTOR,
                    ERROR,
                    Origin("inductor=error", 21),
                    below=Floor(DEBUG, Origin("+minitorch._inductor", 0)),
                ),
                DEBUG,
            ),
        ],
    )
    def test_component_under_a_module(self, text: str, expected: LoggerLevel, below: int) -> None:
        """
        A component item after a module item that covers its logger: what explain says of
        the logger is where its records, and those below it, are written from.
        """
        explanation, logs = _explained_and_applied(text, "environment")
        try:
            inductor = next(c for c in explanation.components if c.name == "inductor")
            assert (expected, expected.level, below) == (
                inductor.loggers[0],
                _lowest_passing(_INDUCTOR),
                _lowest_passing(f"{_INDUCTOR}.child_of_explain"),
            )
        finally:
            logs.reset()

    def test_artifact_logger_named_as_a_module(self) -> None:
        """
        An item naming an artifact logger as a module does not set it: its artifact does
        (here it follows dynamo, at DEBUG), and explain says so (it used to say ERROR).
        """
        explanation, logs = _explained_and_applied(f"+dynamo,-{_ARTIFACT_LOGGER}", "environment")
        try:
            row = explanation.modules[0]
            assert (_ARTIFACT_LOGGER, DEBUG, DEBUG) == (row.logger, row.level, _lowest_passing(_ARTIFACT_LOGGER))
        finally:
            logs.reset()

    def test_loggers_outside_the_root_beside_a_floor(self) -> None:
        """
        A floor under the root leaves the loggers of a component outside it (one a
        top-level name) to the application, as explain says.
        """

        def make() -> LogSystem:
            logs = _nested()
            logs.register_log("vendor", ["vendorlib", "vendorlib.client"])
            return logs

        explanation, logs = _explained_and_applied("-shop.io,+io", "environment", make)
        try:
            assert [None, None, "shop.io"] == [
                *(lg.level for lg in explanation.components[-1].loggers),
                next(c for c in explanation.components if c.name == "disk").loggers[0].inherited_from,
            ]
            assert _explained_levels(explanation) == [
                (lg.logger, _lowest_passing(lg.logger), _lowest_passing(f"{lg.logger}.child_of_explain"))
                for lg in _rows(explanation)
            ]
        finally:
            logs.reset()
