"""Tests for resolving items into Settings: every rule of the grammar, its errors, and the value object."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from logdial import LogSystem, SettingsError
from logdial._grammar import Item, ParseResult, Problem, parse_items
from logdial._registry import Artifact, Registry
from logdial._settings import MESSAGE_PROBLEMS_LIMIT, Resolution, Settings, format_problems, resolve

DEBUG, INFO, WARNING, ERROR, CRITICAL = logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL

DYNAMO = ("minitorch._dynamo", "minitorch.fx.experimental.symbolic_shapes")
AOT = ("minitorch._functorch.aot_autograd", "minitorch._functorch._aot_autograd")
INDUCTOR = ("minitorch._inductor",)
ALL_ARTIFACTS = frozenset(
    {
        "bytecode",
        "aot_graphs",
        "aot_joint_graph",
        "compiled_autograd",
        "ddp_graphs",
        "graph",
        "graph_code",
        "graph_breaks",
        "guards",
        "recompiles",
        "output_code",
        "schedule",
    }
)

UNKNOWN = "not a registered component or artifact, nor a module or logger"
NO_MATCH = "the pattern matches no registered component or artifact"
LEVELS = "use debug, info, warning, error, critical or a number"


def _levels(level: int, *names: str) -> dict[str, int]:
    return dict.fromkeys(names, level)


def _demo_error(*lines: str) -> str:
    """
    The whole message ``parse`` raises on the demo system for these problem lines.
    """
    return _error("minitorch settings", "TORCH_LOGS", *lines)


def _error(where: str, var: str, *lines: str) -> str:
    hint = f"{var}=help lists all names."
    if len(lines) == 1:
        return f"^{re.escape(f'invalid {where}: {lines[0]}' + chr(10) + hint)}$"
    body = "".join(f"  {line}\n" for line in lines)
    return f"^{re.escape(f'invalid {where} ({len(lines)} items):' + chr(10) + body + hint)}$"


def _unimported_stdlib_module() -> str:
    """
    A standard-library submodule this process has not imported yet.
    """
    candidates = ("xml.dom.minidom", "mailbox", "tabnanny", "wsgiref.simple_server", "pydoc_data.topics", "xml.sax")
    name = next((n for n in candidates if n not in sys.modules), None)
    assert name is not None, "every candidate module is already imported; add another"
    return name


class TestSigns:
    """
    ``+name`` is DEBUG, ``name`` INFO, ``-name`` ERROR, for every logger of a component.
    """

    @pytest.mark.parametrize(("settings", "level"), [("+dynamo", DEBUG), ("dynamo", INFO), ("-dynamo", ERROR)])
    def test_component_signs(self, demo: LogSystem, settings: str, level: int) -> None:
        """
        The sign gives the level of each logger the alias covers.
        """
        result = demo.parse(settings)
        assert _levels(level, *DYNAMO) == dict(result.levels)
        assert {"dynamo": level} == dict(result.components)

    def test_nothing_else_is_set(self, demo: LogSystem) -> None:
        """
        A component item sets only its loggers: no artifact, no module, not the root.
        """
        result = demo.parse("+inductor")
        assert (_levels(DEBUG, *INDUCTOR), frozenset(), frozenset(), frozenset(), None) == (
            dict(result.levels),
            result.artifacts,
            result.disabled,
            result.modules,
            result.help,
        )

    def test_documented_example_dynamo_debug_aot_info(self, demo: LogSystem) -> None:
        """
        ``+dynamo,aot`` (torch's first example): dynamo's loggers at DEBUG, aot's two at INFO.
        """
        assert {**_levels(DEBUG, *DYNAMO), **_levels(INFO, *AOT)} == dict(demo.parse("+dynamo,aot").levels)

    def test_documented_example_dynamo_error_inductor_debug(self, demo: LogSystem) -> None:
        """
        ``-dynamo,+inductor``: dynamo at ERROR, inductor at DEBUG.
        """
        assert {**_levels(ERROR, *DYNAMO), **_levels(DEBUG, *INDUCTOR)} == dict(demo.parse("-dynamo,+inductor").levels)

    def test_component_with_several_loggers(self, system: LogSystem) -> None:
        """
        An alias for two loggers sets both.
        """
        assert _levels(ERROR, "testsys.io", "testsys.net") == dict(system.parse("-io").levels)


class TestAll:
    """
    ``all`` is the system's root logger.
    """

    @pytest.mark.parametrize(
        ("settings", "level"),
        [("+all", DEBUG), ("all", INFO), ("-all", ERROR), ("all=warning", WARNING), ("all=CRITICAL", CRITICAL)],
    )
    def test_all_sets_the_root_logger(self, demo: LogSystem, settings: str, level: int) -> None:
        """
        ``all`` takes a sign or a level like any component, and sets only the root logger.
        """
        result = demo.parse(settings)
        assert ({"minitorch": level}, {"all": level}) == (dict(result.levels), dict(result.components))

    def test_all_of_another_system(self, system: LogSystem) -> None:
        """
        The root is the system's own: ``testsys`` for the ``testsys`` system.
        """
        assert {"testsys": DEBUG} == dict(system.parse("+all").levels)

    def test_all_then_component(self, demo: LogSystem) -> None:
        """
        ``all,-dynamo``: the root at INFO, dynamo's loggers at ERROR (torch's table).
        """
        assert {"minitorch": INFO, **_levels(ERROR, *DYNAMO)} == dict(demo.parse("all,-dynamo").levels)

    def test_all_does_not_undo_components(self, demo: LogSystem) -> None:
        """
        ``+dynamo,-all`` keeps dynamo at DEBUG: ``all`` is one logger, as in torch.
        """
        assert {**_levels(DEBUG, *DYNAMO), "minitorch": ERROR} == dict(demo.parse("+dynamo,-all").levels)


class TestArtifacts:
    """
    A registered artifact name enables it; ``=on``/``=off`` switch it; signs are no-ops.
    """

    @pytest.mark.parametrize("settings", ["graph_code", "+graph_code", "-graph_code"])
    def test_name_enables_whatever_the_sign(self, demo: LogSystem, settings: str) -> None:
        """
        ``graph_code``, ``+graph_code`` and ``-graph_code`` all enable it, and set no level.
        """
        result = demo.parse(settings)
        assert ({}, frozenset({"graph_code"}), frozenset()) == (dict(result.levels), result.artifacts, result.disabled)

    @pytest.mark.parametrize("value", ["on", "ON", "On", "true", "True", "1", "yes"])
    def test_switch_on(self, demo: LogSystem, value: str) -> None:
        """
        ``artifact=on`` (or true, 1, in any case) enables it.
        """
        result = demo.parse(f"guards={value}")
        assert (frozenset({"guards"}), frozenset()) == (result.artifacts, result.disabled)

    @pytest.mark.parametrize("value", ["off", "OFF", "false", "False", "0", "no"])
    def test_switch_off(self, demo: LogSystem, value: str) -> None:
        """
        ``artifact=off`` (or false, 0) keeps it off, even under a component at DEBUG.
        """
        result = demo.parse(f"+dynamo,guards={value}")
        assert (frozenset(), frozenset({"guards"})) == (result.artifacts, result.disabled)
        assert _levels(DEBUG, *DYNAMO) == dict(result.levels)

    def test_documented_example_artifact_only(self, demo: LogSystem) -> None:
        """
        ``aot_graphs``: that artifact alone, no level changed.
        """
        result = demo.parse("aot_graphs")
        assert ({}, frozenset({"aot_graphs"})) == (dict(result.levels), result.artifacts)

    def test_documented_example_off_by_default_artifact(self, demo: LogSystem) -> None:
        """
        ``+dynamo,schedule``: dynamo at DEBUG and the off-by-default ``schedule`` enabled.
        """
        result = demo.parse("+dynamo,schedule")
        assert (_levels(DEBUG, *DYNAMO), frozenset({"schedule"})) == (dict(result.levels), result.artifacts)

    @pytest.mark.parametrize(
        ("settings", "enabled", "disabled"),
        [
            ("graph,graph=off", set(), {"graph"}),
            ("graph=off,graph", {"graph"}, set()),
            ("graph=off,-graph", {"graph"}, set()),
            ("graph=on,graph=off,graph=on", {"graph"}, set()),
            ("graph,guards=off,guards,graph=0", {"guards"}, {"graph"}),
        ],
    )
    def test_later_items_win(self, demo: LogSystem, settings: str, enabled: set[str], disabled: set[str]) -> None:
        """
        For the same artifact, the last item decides; an artifact is never both on and off.
        """
        result = demo.parse(settings)
        assert (enabled, disabled) == (set(result.artifacts), set(result.disabled))


class TestLevelValues:
    """
    ``name=LEVEL``: a level name in any case, or an integer, for components and modules.
    """

    @pytest.mark.parametrize(
        ("value", "level"),
        [
            ("debug", DEBUG),
            ("DEBUG", DEBUG),
            ("Info", INFO),
            ("warning", WARNING),
            ("warn", WARNING),
            ("WARN", WARNING),
            ("error", ERROR),
            ("critical", CRITICAL),
            ("0", 0),
            ("15", 15),
            ("35", 35),
        ],
    )
    def test_component_level(self, demo: LogSystem, value: str, level: int) -> None:
        """
        The level is given to every logger of the component.
        """
        assert _levels(level, *AOT) == dict(demo.parse(f"aot={value}").levels)

    def test_same_as_signs(self, demo: LogSystem) -> None:
        """
        ``=debug``, ``=info`` and ``=error`` mean the same as ``+``, no sign and ``-``.
        """
        assert (demo.parse("+dynamo,aot,-inductor")) == demo.parse("dynamo=debug,aot=info,inductor=error")

    def test_module_level(self, demo: LogSystem) -> None:
        """
        A module takes a level the same way.
        """
        assert {"minitorch._inductor.codegen": 25} == dict(demo.parse("minitorch._inductor.codegen=25").levels)


class TestModules:
    """
    Any other dotted name is a module or logger: valid when importable, an existing
    logger, or under the system's root.
    """

    @pytest.mark.parametrize(
        ("settings", "name", "level"),
        [
            ("+minitorch._inductor.codegen", "minitorch._inductor.codegen", DEBUG),
            ("minitorch.anything.at.all", "minitorch.anything.at.all", INFO),
        ],
    )
    def test_names_under_the_root(self, demo: LogSystem, settings: str, name: str, level: int) -> None:
        """
        A name under the root (or the root itself) is valid without existing anywhere.
        """
        result = demo.parse(settings)
        assert ({name: level}, frozenset({name})) == (dict(result.levels), result.modules)

    def test_root_name_means_all(self, demo: LogSystem) -> None:
        """
        The root logger's own name is the component ``all`` (torch treats ``torch`` so).
        """
        assert demo.parse("-all") == demo.parse("-minitorch")
        result = demo.parse("+dynamo,-minitorch")
        assert {"dynamo": DEBUG, "all": ERROR} == dict(result.components)
        assert {"minitorch": ERROR, **_levels(DEBUG, *DYNAMO)} == dict(result.levels)

    def test_importable_module_is_not_imported(self, demo: LogSystem) -> None:
        """
        An importable stdlib module that is not imported yet is valid, and parsing
        leaves it unimported.
        """
        name = _unimported_stdlib_module()
        result = demo.parse(f"+{name}")
        assert ({name: DEBUG}, False) == (dict(result.levels), name in sys.modules)

    def test_package_found_without_importing_it(
        self, demo: LogSystem, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """
        A package's submodule is found without running the package's ``__init__``
        (torch's ``find_spec`` imports it; here it would raise).
        """
        (tmp_path / "ldprobe_settings" / "sub").mkdir(parents=True)
        for part in ("__init__.py", "sub/__init__.py", "sub/leaf.py"):
            (tmp_path / "ldprobe_settings" / part).write_text("raise RuntimeError('imported by parse')\n")
        monkeypatch.syspath_prepend(str(tmp_path))
        before = set(sys.modules)
        result = demo.parse("ldprobe_settings=error,+ldprobe_settings.sub.leaf")
        assert {"ldprobe_settings": ERROR, "ldprobe_settings.sub.leaf": DEBUG} == dict(result.levels)
        assert set() == set(sys.modules) - before

    def test_stdlib_package(self, demo: LogSystem) -> None:
        """
        ``+json,schedule`` (from torch's table): json at DEBUG, schedule enabled.
        """
        result = demo.parse("+json,schedule")
        assert ({"json": DEBUG}, frozenset({"schedule"})) == (dict(result.levels), result.artifacts)

    def test_existing_logger(self, demo: LogSystem) -> None:
        """
        A logger that exists is valid even if no module has its name.
        """
        logging.getLogger("ldexisting_app.part")
        assert {"ldexisting_app.part": WARNING} == dict(demo.parse("ldexisting_app.part=warning").levels)

    def test_missing_module(self, demo: LogSystem) -> None:
        """
        ``+some.random.module`` (torch's own help example, which crashes torch) is an error.
        """
        with pytest.raises(SettingsError, match=_demo_error(f"'+some.random.module' at position 0: {UNKNOWN}")):
            demo.parse("+some.random.module,schedule")

    @pytest.mark.parametrize(
        "name", ["json.nonexist", "os.path.join", "minitorchx.y", "ldexisting_missing", "xml.dom.nope"]
    )
    def test_missing_submodule_and_similar_names(self, demo: LogSystem, name: str) -> None:
        """
        A missing submodule of a real package, an attribute of a module, and a name that
        only starts like the root are errors.
        """
        with pytest.raises(SettingsError, match=_demo_error(f"{name!r} at position 0: {UNKNOWN}")):
            demo.parse(name)

    def test_dynamo_package_then_component(self, demo: LogSystem) -> None:
        """
        ``+inductor,-minitorch._inductor`` leaves inductor's logger at ERROR: the later
        module item wins on that logger.
        """
        assert {"minitorch._inductor": ERROR} == dict(demo.parse("+inductor,-minitorch._inductor").levels)

    def test_module_overrides_earlier_items_below_it(self, demo: LogSystem) -> None:
        """
        A module covers the loggers below it, so what earlier items set on them is dropped
        (torch gets this by expanding the package into its submodules).
        """
        result = demo.parse("+minitorch._inductor.codegen,minitorch._inductor.codegen.cpp=error,-minitorch._inductor")
        assert {"minitorch._inductor": ERROR} == dict(result.levels)

    def test_package_after_submodule(self, demo: LogSystem) -> None:
        """
        ``-minitorch._inductor.codegen,+minitorch._inductor``: everything under inductor at DEBUG.
        """
        assert {"minitorch._inductor": DEBUG} == dict(
            demo.parse("-minitorch._inductor.codegen,+minitorch._inductor").levels
        )

    def test_submodule_after_package(self, demo: LogSystem) -> None:
        """
        A later, deeper item refines an earlier package item.
        """
        assert {"minitorch._inductor": DEBUG, "minitorch._inductor.codegen": ERROR} == dict(
            demo.parse("+minitorch._inductor,-minitorch._inductor.codegen").levels
        )

    def test_module_drops_component_loggers_below_it(self, demo: LogSystem) -> None:
        """
        A package item covers component loggers below it: ``+aot,-minitorch._functorch``.
        """
        assert {"minitorch._functorch": ERROR} == dict(demo.parse("+aot,-minitorch._functorch").levels)

    def test_module_keeps_siblings_and_prefix_lookalikes(self, demo: LogSystem) -> None:
        """
        Only loggers strictly below the module are dropped, not ones sharing a prefix of
        its name (``minitorch._inductor_extra``).
        """
        result = demo.parse("minitorch._inductor_extra=debug,+dynamo,-minitorch._inductor")
        expected = {"minitorch._inductor_extra": DEBUG, **_levels(DEBUG, *DYNAMO), "minitorch._inductor": ERROR}
        assert expected == dict(result.levels)

    def test_component_after_module_sets_its_loggers(self, demo: LogSystem) -> None:
        """
        A component after a module item sets its own loggers, and leaves modules below
        them as they were.
        """
        result = demo.parse("-minitorch._inductor.codegen,+inductor")
        assert {"minitorch._inductor.codegen": ERROR, "minitorch._inductor": DEBUG} == dict(result.levels)

    @pytest.mark.parametrize("value", ["on", "off", "true", "FALSE", "yes", "no"])
    def test_module_takes_no_switch(self, demo: LogSystem, value: str) -> None:
        """
        A module or logger takes a level; on/off is for artifacts.
        """
        message = f"'json={value}' at position 0: 'json' is not an artifact, so it takes a level, not {value!r}"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse(f"json={value}")

    def test_module_bad_level(self, demo: LogSystem) -> None:
        """
        A module with a word that is no level is an error naming the module.
        """
        message = f"'minitorch.x=loud' at position 0: 'loud' is not a level for 'minitorch.x': {LEVELS}"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse("minitorch.x=loud")


class TestWildcards:
    """
    ``*`` and ``?`` in registered names.
    """

    def test_star_enables_matching_artifacts(self, demo: LogSystem) -> None:
        """
        ``graph*`` enables every artifact whose name starts with ``graph``.
        """
        result = demo.parse("graph*")
        assert ({}, frozenset({"graph", "graph_code", "graph_breaks"})) == (dict(result.levels), result.artifacts)

    def test_plus_star_sets_every_component(self, demo: LogSystem) -> None:
        """
        ``+*`` sets every component to DEBUG and enables no artifact: a sign asks for a
        level, and the artifacts that are not off by default follow their components.
        """
        result = demo.parse("+*")
        assert {"dynamo": DEBUG, "aot": DEBUG, "inductor": DEBUG} == dict(result.components)
        assert {**_levels(DEBUG, *DYNAMO), **_levels(DEBUG, *AOT), **_levels(DEBUG, *INDUCTOR)} == dict(result.levels)
        assert frozenset() == result.artifacts

    def test_bare_star_enables_every_artifact(self, demo: LogSystem) -> None:
        """
        ``*`` names everything: components at INFO, every artifact on (off-by-default too).
        """
        result = demo.parse("*")
        assert ALL_ARTIFACTS == result.artifacts
        assert {"dynamo": INFO, "aot": INFO, "inductor": INFO} == dict(result.components)

    def test_signed_pattern_over_artifacts_only(self, demo: LogSystem) -> None:
        """
        A sign on a pattern that matches only artifacts is refused with the fix.
        """
        message = (
            "invalid minitorch settings: '-graph*' at position 0: the pattern matches only artifacts "
            "(graph, graph_code, graph_breaks), which take no -; write graph* to show them\n"
            "TORCH_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            demo.parse("-graph*")

    def test_question_mark_is_one_character(self, demo: LogSystem) -> None:
        """
        ``?`` matches exactly one character: ``a?t`` is aot, ``-gr?ph`` is graph.
        """
        result = demo.parse("-a?t,gr?ph")
        assert (_levels(ERROR, *AOT), frozenset({"graph"})) == (dict(result.levels), result.artifacts)

    def test_pattern_over_both_kinds(self, demo: LogSystem) -> None:
        """
        Without a value, a pattern sets the components and enables the artifacts it matches.
        """
        result = demo.parse("aot*")
        assert (_levels(INFO, *AOT), frozenset({"aot_graphs", "aot_joint_graph"})) == (
            dict(result.levels),
            result.artifacts,
        )

    def test_level_value_picks_components(self, demo: LogSystem) -> None:
        """
        With a level, a pattern applies to the components it matches only.
        """
        result = demo.parse("aot*=debug")
        assert (_levels(DEBUG, *AOT), frozenset(), frozenset()) == (
            dict(result.levels),
            result.artifacts,
            result.disabled,
        )

    def test_switch_value_picks_artifacts(self, demo: LogSystem) -> None:
        """
        With on/off, a pattern applies to the artifacts it matches only.
        """
        result = demo.parse("+dynamo,*=off")
        assert (_levels(DEBUG, *DYNAMO), frozenset(), ALL_ARTIFACTS) == (
            dict(result.levels),
            result.artifacts,
            result.disabled,
        )

    def test_later_items_refine_a_pattern(self, demo: LogSystem) -> None:
        """
        ``graph*,graph_code=off``: the later item wins for graph_code.
        """
        result = demo.parse("graph*,graph_code=off")
        assert (frozenset({"graph", "graph_breaks"}), frozenset({"graph_code"})) == (result.artifacts, result.disabled)

    def test_pattern_wins_over_earlier_items(self, demo: LogSystem) -> None:
        """
        ``guards,graph_code,*=off`` switches everything off, the earlier items included.
        """
        result = demo.parse("guards,graph_code,*=off")
        assert (frozenset(), ALL_ARTIFACTS) == (result.artifacts, result.disabled)

    def test_all_is_not_matched(self, demo: LogSystem) -> None:
        """
        Wildcards match registered names; the root logger (``all``) is left alone.
        """
        assert "minitorch" not in demo.parse("-*").levels

    @pytest.mark.parametrize("pattern", ["zzz*", "?", "minitorch.*", "+*.*"])
    def test_matching_nothing_is_an_error(self, demo: LogSystem, pattern: str) -> None:
        """
        A pattern that matches no registered name is an error.
        """
        with pytest.raises(SettingsError, match=_demo_error(f"{pattern!r} at position 0: {NO_MATCH}")):
            demo.parse(pattern)

    @pytest.mark.parametrize(
        ("pattern", "suggestion"),
        [("grap*x", "'graph'"), ("Graph*", "'graph' or 'graph_code' or 'ddp_graphs'"), ("+DYN*", "'dynamo'")],
    )
    def test_matching_nothing_suggests(self, demo: LogSystem, pattern: str, suggestion: str) -> None:
        """
        A pattern that matches nothing (matching is case-sensitive) still gets
        did-you-mean suggestions, which ignore case and wildcards.
        """
        message = f"{pattern!r} at position 0: {NO_MATCH}; did you mean {suggestion}?"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse(pattern)

    def test_value_of_neither_kind(self, demo: LogSystem) -> None:
        """
        A value that is neither a level nor on/off fits nothing.
        """
        with pytest.raises(
            SettingsError, match=_demo_error("'*=loud' at position 0: 'loud' is neither a level nor on/off")
        ):
            demo.parse("*=loud")

    def test_level_for_artifacts_only(self, demo: LogSystem) -> None:
        """
        A level for a pattern that matches only artifacts names them and what they take.
        """
        message = (
            "'graph*=debug' at position 0: the pattern matches only artifacts "
            "(graph, graph_code, graph_breaks), which take on or off, not 'debug'"
        )
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse("graph*=debug")

    def test_switch_for_components_only(self, demo: LogSystem) -> None:
        """
        On/off for a pattern that matches only components names them and what they take.
        """
        message = (
            "'ind*=on' at position 0: the pattern matches only components (inductor), which take a level, not 'on'"
        )
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse("ind*=on")


class TestLaterItemsWin:
    """
    Items apply left to right: for the same logger, the later one wins.
    """

    @pytest.mark.parametrize(
        ("settings", "level"),
        [("dynamo,+dynamo", DEBUG), ("+dynamo,dynamo", INFO), ("+dynamo,-dynamo,dynamo=warning", WARNING)],
    )
    def test_same_component(self, demo: LogSystem, settings: str, level: int) -> None:
        """
        The last item for a component decides (torch's table: ``+dynamo,dynamo`` is INFO).
        """
        assert _levels(level, *DYNAMO) == dict(demo.parse(settings).levels)

    def test_shared_logger(self) -> None:
        """
        Two aliases sharing a logger: the later alias sets it, the others keep theirs
        (torch's ``+dynamo,-dynamic``).
        """
        registry = (
            Registry().with_component("dynamo", ["t._dynamo", "t.fx.shapes"]).with_component("dynamic", ["t.fx.shapes"])
        )
        resolution = resolve(parse_items("+dynamo,-dynamic"), registry, root="t", exists=lambda _: False)
        assert {"t._dynamo": DEBUG, "t.fx.shapes": ERROR} == dict(resolution.settings.levels)

    def test_component_then_module_on_its_logger(self, demo: LogSystem) -> None:
        """
        A module item naming a component's own logger wins over the component item before it.
        """
        result = demo.parse("+dynamo,minitorch._dynamo=warning")
        assert {"minitorch._dynamo": WARNING, "minitorch.fx.experimental.symbolic_shapes": DEBUG} == dict(result.levels)


class TestWhitespaceAndEmpty:
    """
    Whitespace and empty items are ignored; an empty or blank string means the defaults.
    """

    @pytest.mark.parametrize("settings", ["", " ", "\t\n", ",", " , ,, "])
    def test_defaults(self, demo: LogSystem, settings: str) -> None:
        """
        No items at all is the default settings.
        """
        assert Settings() == demo.parse(settings)

    def test_whitespace_and_trailing_commas(self, demo: LogSystem) -> None:
        """
        ``" +dynamo , aot ,"`` means ``+dynamo,aot`` (torch rejects the spaces).
        """
        assert demo.parse("+dynamo,aot") == demo.parse(" +dynamo , aot ,")

    def test_whitespace_after_comma(self, demo: LogSystem) -> None:
        """
        Torch's ``dynamo, aot`` (a space after the comma) works.
        """
        assert {**_levels(INFO, *DYNAMO), **_levels(INFO, *AOT)} == dict(demo.parse("dynamo, aot").levels)


class TestHelp:
    """
    ``help`` and ``+help`` ask for the help message.
    """

    @pytest.mark.parametrize(
        ("settings", "expected"),
        [("help", "brief"), ("+help", "full"), ("help,+help", "full"), ("+help,help", "full"), (" help ", "brief")],
    )
    def test_help(self, demo: LogSystem, settings: str, expected: str) -> None:
        """
        ``help`` is brief, ``+help`` full, and full wins whatever the order.
        """
        assert expected == demo.parse(settings).help

    def test_help_beside_other_items(self, demo: LogSystem) -> None:
        """
        Help can be asked for beside other items, which are resolved too.
        """
        result = demo.parse("+dynamo,help")
        assert ("brief", _levels(DEBUG, *DYNAMO)) == (result.help, dict(result.levels))

    def test_no_help_by_default(self, demo: LogSystem) -> None:
        """
        Settings that do not name help ask for none.
        """
        assert None is demo.parse("+dynamo").help

    def test_help_takes_no_value(self, demo: LogSystem) -> None:
        """
        ``help=...`` is an error that says how to ask for help.
        """
        message = "'help=full' at position 0: help takes no value: write help, or +help for every artifact"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse("help=full")


class TestErrors:
    """
    ``SettingsError``: every invalid item, its position, suggestions and where to look.
    """

    def test_whole_message(self, demo: LogSystem) -> None:
        """
        The message names the item, its position, a suggestion and the help variable.
        """
        expected = (
            "invalid minitorch settings: '+dynamoo' at position 7: "
            f"{UNKNOWN}; did you mean 'dynamo'?\nTORCH_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(expected)}$"):
            demo.parse("guards,+dynamoo")

    def test_several_bad_items_at_once(self, demo: LogSystem) -> None:
        """
        Every bad item is reported, syntax and name errors together, in order.
        """
        expected = (
            "invalid minitorch settings (4 items):\n"
            f"  'bogus' at position 0: {UNKNOWN}\n"
            "  '+dynamo=debug' at position 7: use either a sign or '=', not both: write dynamo=debug\n"
            f"  'grpah' at position 21: {UNKNOWN}; did you mean 'graph'?\n"
            "  '++x' at position 29: a name may have one sign (+ or -), not two\n"
            "TORCH_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(expected)}$") as info:
            demo.parse("bogus, +dynamo=debug,grpah,  ++x,guards")
        assert (
            f"bogus: {UNKNOWN}",
            "+dynamo=debug: use either a sign or '=', not both: write dynamo=debug",
            f"grpah: {UNKNOWN}; did you mean 'graph'?",
            "++x: a name may have one sign (+ or -), not two",
        ) == info.value.problems

    def test_is_a_value_error(self, demo: LogSystem) -> None:
        """
        ``SettingsError`` is a ``ValueError``, as torch raises for bad settings.
        """
        with pytest.raises(ValueError, match=_demo_error(f"'nope' at position 0: {UNKNOWN}")):
            demo.parse("nope")

    @pytest.mark.parametrize(
        ("settings", "suggestion"),
        [
            ("DYNAMO", "'dynamo'"),
            ("+Dynamo", "'dynamo'"),
            ("-INDUCTOR", "'inductor'"),
            ("Graph_Code", "'graph_code' or 'graph' or 'graph_breaks'"),
            ("ALL", "'all'"),
            ("guard", "'guards'"),
            ("graph_brakes", "'graph_breaks' or 'graph_code'"),
            ("recompile", "'recompiles'"),
        ],
    )
    def test_did_you_mean(self, demo: LogSystem, settings: str, suggestion: str) -> None:
        """
        Names are case-sensitive, but suggestions ignore case: ``DYNAMO`` suggests dynamo.
        """
        message = f"{settings!r} at position 0: {UNKNOWN}; did you mean {suggestion}?"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse(settings)

    def test_artifact_typo_with_switch_suggests(self, demo: LogSystem) -> None:
        """
        ``grpah=on`` is taken for a module with a switch; it still suggests the artifact.
        """
        message = (
            "'grpah=on' at position 0: 'grpah' is not an artifact, so it takes a level, not 'on'; did you mean 'graph'?"
        )
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse("grpah=on")

    @pytest.mark.parametrize(("value", "name"), [("on", "dynamo"), ("loud", "dynamo"), ("1234567890", "dynamo")])
    def test_component_bad_level(self, demo: LogSystem, value: str, name: str) -> None:
        """
        A component takes a level: anything else (or a number out of range) is an error.
        """
        message = f"'{name}={value}' at position 0: {value!r} is not a level for {name!r}: {LEVELS}"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse(f"{name}={value}")

    def test_all_bad_level(self, demo: LogSystem) -> None:
        """
        ``all`` takes a level too.
        """
        with pytest.raises(
            SettingsError, match=_demo_error(f"'all=on' at position 0: 'on' is not a level for 'all': {LEVELS}")
        ):
            demo.parse("all=on")

    @pytest.mark.parametrize("value", ["debug", "2", "maybe"])
    def test_artifact_bad_switch(self, demo: LogSystem, value: str) -> None:
        """
        An artifact takes on or off.
        """
        message = f"'graph={value}' at position 0: {value!r} is not a switch for artifact 'graph': use on or off"
        with pytest.raises(SettingsError, match=_demo_error(message)):
            demo.parse(f"graph={value}")

    @pytest.mark.parametrize(
        ("settings", "line"),
        [
            ("++dynamo", "'++dynamo' at position 0: a name may have one sign (+ or -), not two"),
            ("+", "'+' at position 0: a name is missing"),
            ("=debug", "'=debug' at position 0: a name is missing"),
            ("a..b", "'a..b' at position 0: a dotted name has an empty part"),
            (
                "dynamo+",
                "'dynamo+' at position 0: '+' cannot appear in a name "
                "(names are letters, digits, '_', '.', '*' and '?')",
            ),
            ("-dynamo=info", "'-dynamo=info' at position 0: use either a sign or '=', not both: write dynamo=info"),
            ("dynamo=", "'dynamo=' at position 0: a value is missing after '='"),
            ("dynamo=-5", "'dynamo=-5' at position 0: '-5' is not a level name, a number, on or off"),
        ],
    )
    def test_syntax_errors(self, demo: LogSystem, settings: str, line: str) -> None:
        """
        Syntax errors come out of ``parse`` in the same message format.
        """
        with pytest.raises(SettingsError, match=_demo_error(line)):
            demo.parse(settings)

    def test_other_system_names_its_own_variable(self, system: LogSystem) -> None:
        """
        The message names the system and its own variable.
        """
        with pytest.raises(
            SettingsError,
            match=_error("testsys settings", "TESTSYS_LOGS", f"'cor' at position 0: {UNKNOWN}; did you mean 'core'?"),
        ):
            system.parse("cor")

    def test_position_counts_leading_whitespace(self, demo: LogSystem) -> None:
        """
        The position is the item's first character in the whole string.
        """
        with pytest.raises(SettingsError, match=_demo_error(f"'nope' at position 11: {UNKNOWN}")):
            demo.parse("guards,   \tnope  ")


class TestResolve:
    """
    ``resolve`` itself: pure, given a pure ``exists``; reports what it could not resolve.
    """

    REGISTRY = (
        Registry()
        .with_component("core", ["app.core"])
        .with_artifact(Artifact("graph", "The graph."))
        .with_artifact(Artifact("schedule", "The schedule.", off_by_default=True))
    )

    def _resolve(self, settings: str, exists: Callable[[str], bool] = lambda _: False) -> Resolution:
        return resolve(parse_items(settings), self.REGISTRY, root="app", exists=exists)

    def test_valid_items_make_the_settings(self) -> None:
        """
        Invalid items are left out; the valid ones make the settings.
        """
        resolution = self._resolve("+core,nope,graph,x..y")
        assert (({"app.core": DEBUG}), frozenset({"graph"})) == (
            dict(resolution.settings.levels),
            resolution.settings.artifacts,
        )
        assert ("+core", "graph") == tuple(item.text for item in resolution.settings.items)

    def test_problems_are_sorted_by_position(self) -> None:
        """
        Syntax and name problems are merged in the order of the string.
        """
        resolution = self._resolve("nope,++x,core=loud")
        expected = (
            Problem(0, "nope", UNKNOWN),
            Problem(5, "++x", "a name may have one sign (+ or -), not two"),
            Problem(9, "core=loud", f"'loud' is not a level for 'core': {LEVELS}"),
        )
        assert expected == resolution.problems

    def test_unknown_names_are_listed(self) -> None:
        """
        Items that fail only because their name is not registered (yet) are listed, so a
        plugin that registers them later can have them applied.
        """
        resolution = self._resolve("plugin_thing,plugin_art=on,plug*,core=loud,x..y,+core")
        expected = (
            Item("", "plugin_thing", None, 0),
            Item("", "plugin_art", "on", 13),
            Item("", "plug*", None, 27),
        )
        assert expected == resolution.unknown

    def test_exists_is_asked_only_outside_the_root(self) -> None:
        """
        Registered names and names under the root are resolved without asking ``exists``.
        """
        asked: list[str] = []

        def exists(name: str) -> bool:
            asked.append(name)
            return name == "ext.mod"

        resolution = self._resolve("core,graph,all,app,app.sub,ext.mod,ext.other", exists)
        assert ["ext.mod", "ext.other"] == asked
        assert (Problem(35, "ext.other", UNKNOWN),) == resolution.problems

    def test_root_is_a_parameter(self) -> None:
        """
        The same registry resolves ``all`` and root names against the root it is given.
        """
        settings = resolve(parse_items("-all,other.x"), self.REGISTRY, root="other", exists=lambda _: False).settings
        assert {"other": ERROR, "other.x": INFO} == dict(settings.levels)

    def test_empty(self) -> None:
        """
        No items resolve to the default settings, with nothing to report.
        """
        assert Resolution(Settings(), (), ()) == resolve(ParseResult((), ()), self.REGISTRY, root="app", exists=bool)


class TestSettingsValue:
    """
    ``Settings``: a frozen, comparable, hashable value.
    """

    def test_defaults(self) -> None:
        """
        Default settings set nothing.
        """
        settings = Settings()
        assert ({}, frozenset(), frozenset(), {}, frozenset(), None, ()) == (
            dict(settings.levels),
            settings.artifacts,
            settings.disabled,
            dict(settings.components),
            settings.modules,
            settings.help,
            settings.items,
        )

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            ("+dynamo", "dynamo=debug"),
            ("+dynamo", " +dynamo , "),
            ("+dynamo,aot", "aot,+dynamo"),
            ("graph", "graph=on"),
            ("-graph", "graph=true"),
            ("dynamo,+dynamo", "+dynamo"),
            ("graph*", "graph,graph_code,graph_breaks"),
        ],
    )
    def test_equal_meaning_is_equal(self, demo: LogSystem, first: str, second: str) -> None:
        """
        Settings compare by meaning, not by the items they were written with; equal
        settings hash equally.
        """
        a, b = demo.parse(first), demo.parse(second)
        assert (a, hash(a)) == (b, hash(b))

    @pytest.mark.parametrize(
        ("first", "second"),
        [("+dynamo", "dynamo"), ("graph", "graph=off"), ("help", "+help"), ("graph", "guards"), ("", "minitorch")],
    )
    def test_different_meaning_is_different(self, demo: LogSystem, first: str, second: str) -> None:
        """
        Settings that mean different things are not equal.
        """
        assert demo.parse(first) != demo.parse(second)

    def test_usable_as_a_key(self, demo: LogSystem) -> None:
        """
        Settings can be dictionary keys and set members.
        """
        assert 2 == len({demo.parse("+dynamo"), demo.parse("dynamo=debug"), demo.parse("aot")})

    def test_frozen(self, demo: LogSystem) -> None:
        """
        Fields cannot be reassigned and the level maps cannot be changed in place.
        """
        settings = demo.parse("+dynamo")
        with pytest.raises(AttributeError, match=r"^cannot assign to field 'help'$"):
            settings.help = "full"  # type: ignore[misc]
        with pytest.raises(TypeError):
            settings.levels["x"] = 1  # type: ignore[index]
        with pytest.raises(TypeError):
            settings.components["x"] = 1  # type: ignore[index]
        assert (frozenset, frozenset, frozenset, tuple) == (
            type(settings.artifacts),
            type(settings.disabled),
            type(settings.modules),
            type(settings.items),
        )

    def test_parse_returns_new_independent_values(self, demo: LogSystem) -> None:
        """
        Parsing again gives an equal value, unaffected by other parses in between.
        """
        first = demo.parse("+dynamo")
        demo.parse("-dynamo,graph")
        assert _levels(DEBUG, *DYNAMO) == dict(first.levels)


class TestToString:
    """
    ``Settings.to_string``: the settings written back; parsing it gives equal settings.
    """

    @pytest.mark.parametrize(
        ("settings", "expected"),
        [
            ("", ""),
            (" +dynamo , aot=DEBUG, ", "+dynamo,aot=DEBUG"),
            ("+ dynamo", "+dynamo"),
            ("graph*", "graph*"),
            ("+*,graph*=off", "+*,graph*=off"),
            ("-graph_code,help", "-graph_code,help"),
            ("+help", "+help"),
            ("minitorch._inductor = 15", "minitorch._inductor=15"),
            ("-all,+json", "-all,+json"),
        ],
    )
    def test_canonical_text(self, demo: LogSystem, settings: str, expected: str) -> None:
        """
        Each valid item is written once, in order, in canonical form.
        """
        assert expected == demo.parse(settings).to_string()

    @pytest.mark.parametrize(
        "settings",
        [
            "+dynamo,aot",
            "-dynamo,+inductor",
            "+inductor,-minitorch._inductor",
            "-minitorch._inductor.codegen,+minitorch._inductor",
            "graph*,graph_code=off",
            "all=warning,guards=0,a?t=error",
            "help,+dynamo",
        ],
    )
    def test_round_trip(self, demo: LogSystem, settings: str) -> None:
        """
        ``parse(s.to_string()) == s``.
        """
        result = demo.parse(settings)
        assert result == demo.parse(result.to_string())

    def test_invalid_items_are_not_written(self) -> None:
        """
        Settings resolved from a partly invalid string write back only the valid items.
        """
        registry = Registry().with_component("core", ["app.core"])
        resolution = resolve(parse_items("+core,nope*,++x,core=loud"), registry, root="app", exists=lambda _: False)
        assert "+core" == resolution.settings.to_string()

    def test_hand_built_settings(self) -> None:
        """
        Settings built from items write those items.
        """
        assert (
            "+dynamo,guards=off" == Settings(items=(Item("+", "dynamo", None), Item("", "guards", "off"))).to_string()
        )


class TestPurity:
    """
    Parsing touches nothing: it creates no logger, imports no module, changes no level.
    """

    SETTINGS = "+dynamo,-minitorch.brand_new.module,+json.decoder,ldpurity_unknown,graph*"

    def test_creates_no_logger(self, demo: LogSystem) -> None:
        """
        No logger is created, for valid and invalid names alike.
        """
        before = set(logging.Logger.manager.loggerDict)
        demo.parse("+dynamo,-minitorch.brand_new.module,+json.decoder,graph*,all=debug")
        with pytest.raises(SettingsError):
            demo.parse("ldpurity_unknown,+ldpurity.dotted.unknown")
        assert before == set(logging.Logger.manager.loggerDict)

    def test_changes_no_level(self, demo: LogSystem) -> None:
        """
        The levels of the existing loggers are as they were.
        """
        loggers = [logging.getLogger(name) for name in ("minitorch", *DYNAMO)]
        before = [lg.level for lg in loggers]
        demo.parse("-all,+dynamo")
        assert before == [lg.level for lg in loggers]

    def test_imports_nothing(self, demo: LogSystem) -> None:
        """
        No module is imported, even for module names that exist.
        """
        name = _unimported_stdlib_module()
        before = set(sys.modules)
        demo.parse(f"+{name},+json.tool,-email.mime.text")
        assert set() == set(sys.modules) - before

    def test_imports_nothing_in_a_fresh_interpreter(self, python: str) -> None:
        """
        In a fresh interpreter, parsing module names imports neither them nor their parents
        (only what the parse itself needs, on first use: logdial's grammar, and the import
        system's ``importlib.machinery`` to look modules up).
        """
        code = (
            "import sys; from logdial.demo._registrations import build_system; logs = build_system(); "
            "before = set(sys.modules); logs.parse('+email.mime.text,xml.dom.minidom=info,+dynamo'); "
            "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] not in ('importlib', 'logdial')))"
        )
        result = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, timeout=60)
        assert "[]\n" == result.stdout


class TestFormatProblems:
    """
    ``format_problems``: one message for every problem.
    """

    def test_one_problem(self) -> None:
        """
        One problem fits on the first line.
        """
        message = format_problems((Problem(3, "x", "bad"),), "demo settings", "DEMO_LOGS=help lists all names.")
        assert "invalid demo settings: 'x' at position 3: bad\nDEMO_LOGS=help lists all names." == message

    def test_several_problems(self) -> None:
        """
        Several problems are counted and listed one per line.
        """
        message = format_problems((Problem(0, "a", "r1"), Problem(2, "b", "r2")), "w", "hint")
        assert "invalid w (2 items):\n  'a' at position 0: r1\n  'b' at position 2: r2\nhint" == message

    def test_many_problems_are_capped(self) -> None:
        """
        Past ``MESSAGE_PROBLEMS_LIMIT`` problems the message says how many more there are,
        instead of listing every one.
        """
        problems = tuple(Problem(2 * i, f"x{i}", "bad") for i in range(1234))
        message = format_problems(problems, "w", "hint")
        listed = [f"  'x{i}' at position {2 * i}: bad" for i in range(MESSAGE_PROBLEMS_LIMIT)]
        expected = ["invalid w (1,234 items):", *listed, f"  ... and {1234 - MESSAGE_PROBLEMS_LIMIT:,} more", "hint"]
        assert expected == message.split("\n")

    def test_long_bad_setting(self, demo: LogSystem) -> None:
        """
        A long setting of bad items: a short message, every item in ``problems`` (names
        suggested for the first ones, each distinct typo looked up once).
        """
        text = ",".join(["dynamoo", "inductr"] * 2000)
        with pytest.raises(SettingsError) as caught:
            demo.parse(text)
        assert 4000 == len(caught.value.problems)
        assert MESSAGE_PROBLEMS_LIMIT + 3 == len(str(caught.value).split("\n"))
        assert "did you mean 'dynamo'?" in caught.value.problems[0]
        assert "did you mean 'inductor'?" in caught.value.problems[1]
        assert "did you mean" in caught.value.problems[-1]  # a typo seen before keeps its hint

    def test_keyword_problem_has_no_position(self) -> None:
        """
        A problem with a negative start (a keyword argument) is shown as is, without a position.
        """
        message = format_problems((Problem(-1, "dynamo='x'", "must be a level"),), "set_logs() settings", "hint")
        assert "invalid set_logs() settings: dynamo='x': must be a level\nhint" == message

    def test_text_is_quoted_with_repr(self) -> None:
        """
        The item is quoted with ``repr``, so control characters are visible.
        """
        message = format_problems((Problem(0, "a\tb", "bad"),), "w", "hint")
        assert "invalid w: 'a\\tb' at position 0: bad\nhint" == message
