"""LogSystem end to end in-process: init, set_logs, override, registration, output placement."""

from __future__ import annotations

import functools
import logging
import re
import warnings
from pathlib import Path

import pytest
from tests.outputs import messages

from logdial import FormatError, LogSystem, RegistrationError, SettingsError
from logdial._fast import FastLogger
from logdial._handlers import is_logdial_handler
from logdial._inputs import exists
from logdial._levels import OFF


def _ours(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if is_logdial_handler(h)]


def _all_logdial_handlers() -> list[tuple[str, logging.Handler]]:
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return [
        (lg.name, h) for lg in loggers if isinstance(lg, logging.Logger) for h in lg.handlers if is_logdial_handler(h)
    ]


class TestInit:
    """
    ``init()`` applies the defaults or the environment and places logdial's handlers.
    """

    def test_defaults(self, system: LogSystem) -> None:
        """
        With no variable, the root is at WARNING, components inherit, artifacts are off.
        """
        system.init({})
        root = logging.getLogger("testsys")
        assert logging.WARNING == root.level
        assert logging.NOTSET == logging.getLogger("testsys.core").level
        assert logging.WARNING == logging.getLogger("testsys.core").getEffectiveLevel()
        assert 1 == len(_ours(root))
        assert root.propagate is False

    def test_idempotent(self, system: LogSystem) -> None:
        """
        A second ``init()`` leaves exactly one logdial handler in the whole tree.
        """
        system.init({})
        system.init({})
        system.init({"TESTSYS_LOGS": "+core"})
        assert ["testsys"] == [name for name, _ in _all_logdial_handlers()]
        assert logging.DEBUG == logging.getLogger("testsys.core").level

    def test_reinit_without_variable_keeps_api_settings(self, system: LogSystem) -> None:
        """
        Calling ``init()`` again after ``set_logs`` does not throw the API's settings away.
        """
        system.init({})
        system.set_logs("+core")
        system.init({})
        assert logging.DEBUG == logging.getLogger("testsys.core").level

    def test_application_handlers_untouched(self, system: LogSystem) -> None:
        """
        A handler the application put on the system's loggers survives init, set_logs, reset.
        """
        mine = logging.StreamHandler()
        logging.getLogger("testsys").addHandler(mine)
        logging.getLogger("testsys.core").addHandler(mine)
        system.init({"TESTSYS_LOGS": "+core"})
        system.init({})
        system.set_logs("-all")
        system.reset()
        assert [mine] == logging.getLogger("testsys").handlers
        assert [mine] == logging.getLogger("testsys.core").handlers

    def test_help_exits_zero(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``{P}_LOGS=help`` prints the help message to stderr and exits with status 0.
        """
        with pytest.raises(SystemExit) as exc:
            system.init({"TESTSYS_LOGS": "help"})
        assert 0 == exc.value.code
        out, err = capsys.readouterr()
        assert ("", system.help_message()) == (out, err)

    def test_full_help(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``+help`` prints the verbose message, which lists every artifact.
        """
        with pytest.raises(SystemExit):
            system.init({"TESTSYS_LOGS": "+help"})
        assert system.help_message(verbose=True) == capsys.readouterr().err

    def test_invalid_reported_once_and_valid_items_applied(
        self, system: LogSystem, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        An invalid variable is reported on stderr, naming it, and its valid items apply.
        """
        system.init({"TESTSYS_LOGS": "cor,+io"})
        system.init({"TESTSYS_LOGS": "cor,+io"})
        expected = (
            "invalid TESTSYS_LOGS='cor,+io': 'cor' at position 0: not a registered component or artifact, "
            "nor a module or logger; did you mean 'core'?\n"
            "TESTSYS_LOGS=help lists all names.\n"
            "The other items are applied; names not registered yet are kept for plugins that register them later.\n"
        )
        assert expected == capsys.readouterr().err
        assert logging.DEBUG == logging.getLogger("testsys.io").level

    def test_strict_raises(self) -> None:
        """
        A strict system raises ``SettingsError`` for an invalid variable, and applies nothing.
        """
        logs = LogSystem("strictsys", strict=True)
        logs.register_log("core", "strictsys.core")
        message = (
            "invalid STRICTSYS_LOGS='+core,nope': 'nope' at position 6: not a registered component or "
            "artifact, nor a module or logger\nSTRICTSYS_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            logs.init({"STRICTSYS_LOGS": "+core,nope"})
        assert logging.NOTSET == logging.getLogger("strictsys.core").level
        assert [] == _ours(logging.getLogger("strictsys"))

    def test_strict_format_error_leaves_it_uninitialised(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A strict system whose ``{P}_LOGS_FORMAT`` is invalid raises at ``init()`` and stays
        uninitialised: ``set_logs``, which initialises first, raises it again, instead of
        applying settings with no handler in place.
        """
        logs = LogSystem("strictfmt", strict=True)
        logs.register_log("core", "strictfmt.core")
        monkeypatch.setenv("STRICTFMT_LOGS_FORMAT", "%(bogus")
        try:
            with pytest.raises(FormatError):
                logs.init()
            with pytest.raises(FormatError):
                logs.set_logs("+core")
            assert (logging.NOTSET, []) == (
                logging.getLogger("strictfmt.core").level,
                _ours(logging.getLogger("strictfmt")),
            )
        finally:
            logs.reset()

    def test_strict_from_environment(self, system: LogSystem) -> None:
        """
        ``{P}_LOGS_STRICT=1`` makes any system strict.
        """
        with pytest.raises(SettingsError):
            system.init({"TESTSYS_LOGS": "nope", "TESTSYS_LOGS_STRICT": "1"})


class TestSetLogs:
    """
    ``set_logs`` replaces the settings; it takes the string grammar and keywords.
    """

    def test_keywords(self, system: LogSystem) -> None:
        """
        A level for a component, a bool for an artifact, levels for modules.
        """
        system.set_logs(core=logging.DEBUG, graph_code=True, modules={"testsys.extra": logging.INFO})
        assert logging.DEBUG == logging.getLogger("testsys.core").level
        assert logging.INFO == logging.getLogger("testsys.extra").level
        assert frozenset({"graph_code"}) == system.settings.artifacts

    def test_string(self, system: LogSystem) -> None:
        """
        The same grammar as the variable.
        """
        system.set_logs("+core,io=error,graph")
        assert (logging.DEBUG, logging.ERROR, logging.ERROR) == (
            logging.getLogger("testsys.core").level,
            logging.getLogger("testsys.io").level,
            logging.getLogger("testsys.net").level,
        )

    def test_not_cumulative(self, system: LogSystem) -> None:
        """
        Each call replaces the previous setting; no arguments restores the defaults.
        """
        system.set_logs(core=logging.DEBUG, graph=True)
        system.set_logs(io=logging.INFO)
        assert logging.NOTSET == logging.getLogger("testsys.core").level
        assert frozenset() == system.settings.artifacts
        system.set_logs()
        assert logging.NOTSET == logging.getLogger("testsys.io").level
        assert logging.WARNING == logging.getLogger("testsys").level

    def test_all_keyword(self, system: LogSystem) -> None:
        """
        ``all`` sets the root logger.
        """
        system.set_logs(all=logging.ERROR)
        assert logging.ERROR == logging.getLogger("testsys").level

    def test_none_means_default(self, system: LogSystem) -> None:
        """
        ``None`` for a keyword leaves that name at its default.
        """
        system.set_logs(core=None, graph=None)
        assert system.settings == system.parse("")

    def test_unknown_keyword(self, system: LogSystem) -> None:
        """
        An unknown keyword names the accepted ones and the closest match.
        """
        message = (
            "invalid set_logs() settings: cores=10: unknown keyword; did you mean 'core'? "
            "accepted: all, core, io, graph, graph_code, schedule, modules\nTESTSYS_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            system.set_logs(cores=logging.DEBUG)

    @pytest.mark.parametrize("value", [True, "loud", 1.5, -1, [10]])
    def test_component_value_types(self, system: LogSystem, value: object) -> None:
        """
        A component takes a level (an int, not a bool, or a level's name) or None;
        anything else is refused.
        """
        message = (
            f"invalid set_logs() settings: core={value!r}: must be a level (an int such as logging.DEBUG, "
            "or a name such as 'debug') or None\nTESTSYS_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            system.set_logs(core=value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("value", [1, 0, "on", 10])
    def test_artifact_value_types(self, system: LogSystem, value: object) -> None:
        """
        An artifact takes a bool or None.
        """
        message = (
            f"invalid set_logs() settings: graph={value!r}: must be True or False (or None)\n"
            "TESTSYS_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            system.set_logs(graph=value)  # type: ignore[arg-type]

    def test_all_problems_at_once(self, system: LogSystem) -> None:
        """
        Bad keywords and bad items are reported together.
        """
        with pytest.raises(SettingsError) as exc:
            system.set_logs("nope", core="x", modules={"bad name": 10})  # type: ignore[arg-type]
        assert 3 == len(exc.value.problems)

    def test_error_changes_nothing(self, system: LogSystem) -> None:
        """
        A refused call leaves the settings in force as they were (torch half-applies).
        """
        system.set_logs("+core")
        with pytest.raises(SettingsError):
            system.set_logs("+io", graph=3)  # type: ignore[arg-type]
        assert logging.DEBUG == logging.getLogger("testsys.core").level
        assert logging.NOTSET == logging.getLogger("testsys.io").level

    def test_modules_checked(self, system: LogSystem) -> None:
        """
        ``modules`` must map dotted names to levels; None skips a name.
        """
        message = (
            "invalid set_logs() settings (2 items):\n"
            "  modules['a b']: is not a dotted module name\n"
            "  modules['x.y']=True: must be a level (an int such as logging.DEBUG, or a name such as 'debug')\n"
            "TESTSYS_LOGS=help lists all names."
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            system.set_logs(modules={"a b": 10, "x.y": True, "fine": None})
        with pytest.raises(SettingsError, match=r"^invalid set_logs\(\) settings: modules: must be a mapping"):
            system.set_logs(modules=[("x", 10)])  # type: ignore[arg-type]
        system.set_logs(modules={"fine": None, "any.name.at.all": logging.INFO})
        assert {"any.name.at.all": logging.INFO} == dict(system.settings.levels)

    def test_parse_must_get_a_string(self, system: LogSystem) -> None:
        """
        ``parse`` refuses anything but a string.
        """
        with pytest.raises(SettingsError, match=r"^settings must be a string, not bytes$"):
            system.parse(b"+core")  # type: ignore[arg-type]

    def test_settings_must_be_a_string(self, system: LogSystem) -> None:
        """
        A positional argument that is not a string is explained.
        """
        message = (
            "set_logs() takes a settings string as its first argument, not dict; give levels and switches as "
            "keywords, e.g. set_logs(dynamo=logging.DEBUG, graph_code=True)"
        )
        with pytest.raises(SettingsError, match=f"^{re.escape(message)}$"):
            system.set_logs({"core": 10})  # type: ignore[arg-type]

    def test_help(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``set_logs("help")`` prints the help to stderr and changes nothing.
        """
        system.set_logs("+core")
        system.set_logs("help")
        assert system.help_message() == capsys.readouterr().err
        assert logging.DEBUG == logging.getLogger("testsys.core").level

    def test_env_precedence_warns_once(self, system: LogSystem) -> None:
        """
        While the variable is set, set_logs is ignored, with one warning per system.
        """
        system.init({"TESTSYS_LOGS": "+io"})
        with pytest.warns(UserWarning, match=r"^testsys: set_logs\(\) is ignored because TESTSYS_LOGS is set"):
            system.set_logs("+core")
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            system.set_logs("+core")  # no second warning
        assert logging.NOTSET == logging.getLogger("testsys.core").level
        assert logging.DEBUG == logging.getLogger("testsys.io").level

    def test_env_precedence_still_validates(self, system: LogSystem) -> None:
        """
        An ignored call is still checked, so a typo is not hidden by the variable.
        """
        system.init({"TESTSYS_LOGS": "+io"})
        with pytest.raises(SettingsError):
            system.set_logs("+cor")

    def test_api_precedence(self) -> None:
        """
        With ``precedence="api"`` set_logs replaces what the variable said.
        """
        logs = LogSystem("apisys", precedence="api")
        logs.register_log("core", ["apisys.core"])
        try:
            logs.init({"APISYS_LOGS": "-core"})
            logs.set_logs("+core")
            assert logging.DEBUG == logging.getLogger("apisys.core").level
        finally:
            logs.reset()

    def test_set_logs_before_init_initialises(self, system: LogSystem) -> None:
        """
        set_logs before init installs the handlers once.
        """
        system.set_logs("+core")
        system.init({})
        assert 1 == len(_all_logdial_handlers())


class TestLevelNames:
    """
    A level's name is accepted wherever a level is, and settings are written back with names.
    """

    def test_keywords_and_modules(self, system: LogSystem) -> None:
        """
        ``set_logs(core="debug", modules={...: "Warning"})``, as the string form takes
        ``core=debug``; ``to_string()`` writes the names.
        """
        system.set_logs(core="debug", io=logging.INFO, modules={"testsys.extra": "Warning"})
        expected = {"testsys.core": 10, "testsys.io": 20, "testsys.net": 20, "testsys.extra": 30}
        assert expected == dict(system.settings.levels)
        assert "core=debug,io=info,testsys.extra=warning" == system.settings.to_string()
        assert system.parse(system.settings.to_string()) == system.settings
        system.set_logs(core=15)
        assert "core=15" == system.settings.to_string()

    def test_override(self, system: LogSystem) -> None:
        """
        ``override`` takes names too.
        """
        with system.override(core="error"):
            assert logging.ERROR == logging.getLogger("testsys.core").level


class TestOverride:
    """
    ``override`` applies settings for a ``with`` block and restores the previous ones.
    """

    def test_restores(self, system: LogSystem) -> None:
        """
        The settings before the block come back after it.
        """
        system.set_logs("+io")
        before = system.settings
        with system.override("+core,graph") as inside:
            assert logging.DEBUG == logging.getLogger("testsys.core").level
            assert inside == system.settings
        assert before is system.settings
        assert logging.NOTSET == logging.getLogger("testsys.core").level
        assert logging.DEBUG == logging.getLogger("testsys.io").level

    def test_nested_and_exception(self, system: LogSystem) -> None:
        """
        Nested overrides unwind in order, also through an exception.
        """
        seen = []

        def scoped() -> None:
            with system.override(core=logging.INFO):
                with system.override(core=logging.DEBUG):
                    seen.append(logging.getLogger("testsys.core").level)
                seen.append(logging.getLogger("testsys.core").level)
                raise KeyError("boom")

        with pytest.raises(KeyError):
            scoped()
        assert [logging.DEBUG, logging.INFO] == seen
        assert logging.NOTSET == logging.getLogger("testsys.core").level

    def test_wins_over_environment(self, system: LogSystem) -> None:
        """
        An override applies even while the variable is set, and gives it back afterwards.
        """
        system.init({"TESTSYS_LOGS": "-core"})
        with system.override("+core"):
            assert logging.DEBUG == logging.getLogger("testsys.core").level
        assert logging.ERROR == logging.getLogger("testsys.core").level

    def test_invalid(self, system: LogSystem) -> None:
        """
        Invalid settings raise before anything changes.
        """
        with pytest.raises(SettingsError), system.override("+nope"):
            pytest.fail("the block must not run")


class TestRegistration:
    """
    Registrations after ``init()`` are configured at once; artifact loggers.
    """

    def test_artifact_logger_name(self, system: LogSystem) -> None:
        """
        An artifact logger is the child ``<module>.__<artifact>`` of the module's logger.
        """
        log = system.getArtifactLogger("testsys.core.passes", "graph")
        assert "testsys.core.passes.__graph" == log.name
        assert log is system.artifact_logger("testsys.core.passes", "graph")

    def test_unknown_artifact(self, system: LogSystem) -> None:
        """
        Asking for an unregistered artifact names the closest one.
        """
        message = "artifact 'grph' is not registered; did you mean 'graph'? Register it with register_artifact() first."
        with pytest.raises(RegistrationError, match=f"^{re.escape(message)}$"):
            system.getArtifactLogger("testsys.core", "grph")

    def test_component_after_init(self, system: LogSystem) -> None:
        """
        A component registered after init gets the level the settings give it... once named.
        """
        system.init({})
        system.set_logs("-all")
        system.register_log("late", ["testsys.late"])
        assert logging.ERROR == logging.getLogger("testsys.late").getEffectiveLevel()

    def test_artifact_logger_after_init(self, system: LogSystem) -> None:
        """
        An artifact logger made after init is at once configured under the settings in force.
        """
        system.set_logs("graph_code")
        log = system.getArtifactLogger("testsys.core.late", "graph_code")
        off = system.getArtifactLogger("testsys.core.late", "schedule")
        assert logging.DEBUG == log.level
        assert OFF == off.level

    def test_loggers_below_a_late_component_follow_it(self, system: LogSystem) -> None:
        """
        Loggers that already exist below a component registered after init (a plain one
        whose level cache is warm, a FastLogger with its flags) see its new level at once.
        """
        system.init({"TESTSYS_LOGS": "+plugin,+inner"})
        for component, top in (("plugin", "thirdparty.late"), ("inner", "testsys.late")):  # new top, or under one
            plain = logging.getLogger(f"{top}.sub.mod")
            fast = system.getLogger(f"{top}.fastmod")
            assert (False, False) == (plain.isEnabledFor(logging.DEBUG), fast.enabled)  # caches warm
            system.register_log(component, [top])
            assert (True, True) == (plain.isEnabledFor(logging.DEBUG), fast.enabled)

    def test_many_artifact_loggers_after_init(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Artifact loggers made after init, on and off by default, each configured as it is
        made, among loggers that already cache their levels.
        """
        system.init({"TESTSYS_LOGS": "graph"})
        warm = [logging.getLogger(f"testsys.core.warm{i}") for i in range(50)]
        assert not any(w.isEnabledFor(logging.INFO) for w in warm)
        made = []
        for i in range(200):
            made.append(system.getArtifactLogger(f"testsys.core.m{i}", "graph"))
            made.append(system.getArtifactLogger(f"testsys.core.m{i}", "schedule"))
        for log in made:
            log.warning("from %s", log.name)
        expected = [f"[__graph] from testsys.core.m{i}.__graph" for i in range(200)]
        assert expected == messages(capsys.readouterr().err)
        assert not any(w.isEnabledFor(logging.INFO) for w in warm)

    def test_plugin_named_before_registration(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A name in the variable that a plugin registers after init takes effect then.
        """
        system.init({"TESTSYS_LOGS": "+plugin,plugin_art"})
        assert "'+plugin' at position 0" in capsys.readouterr().err
        system.register_log("plugin", ["thirdparty.plugin"])
        assert logging.DEBUG == logging.getLogger("thirdparty.plugin").level
        system.register_artifact("plugin_art", "The plugin's output.")
        log = system.getArtifactLogger("thirdparty.plugin.mod", "plugin_art")
        assert logging.DEBUG == log.level
        assert frozenset({"plugin_art"}) == system.settings.artifacts

    def test_wildcard_covers_later_registrations(self, system: LogSystem) -> None:
        """
        A wildcard in the variable also matches what is registered after init.
        """
        system.init({"TESTSYS_LOGS": "graph*,+c*"})
        system.register_artifact("graph_extra", "Registered late.")
        system.register_log("cache", ["testsys.cache"])
        assert frozenset({"graph", "graph_code", "graph_extra"}) == system.settings.artifacts
        assert logging.DEBUG == logging.getLogger("testsys.cache").level
        assert logging.DEBUG == system.getArtifactLogger("testsys.io", "graph_extra").level

    def test_logger_outside_root_gets_output(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A plugin's component outside the root gets logdial's handler, so its records show.
        """
        system.init({})
        system.register_log("plugin", ["thirdparty.plugin"])
        system.set_logs("plugin")
        logging.getLogger("thirdparty.plugin.sub").info("from the plugin")
        assert ["from the plugin"] == messages(capsys.readouterr().err)


class TestOutput:
    """
    Each record passes exactly once; logdial's handlers stand only on the topmost loggers.
    """

    def test_once_under_two_aliases(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A logger covered by two components, and one below another, print once.
        """
        system.register_log("both", ["testsys.io", "testsys.core"])
        system.register_log("sub", ["testsys.core.sub"])
        system.init({"TESTSYS_LOGS": "+both,+sub,+io"})
        logging.getLogger("testsys.io").debug("io")
        logging.getLogger("testsys.core.sub").debug("sub")
        assert ["io", "sub"] == messages(capsys.readouterr().err)
        assert ["testsys"] == [name for name, _ in _all_logdial_handlers()]

    def test_module_outside_root(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A module outside the root, named in the settings, gets the output; unnamed, it is
        given back its level and propagation.
        """
        outside = logging.getLogger("outside.module")
        outside.setLevel(logging.CRITICAL)
        system.init({})
        system.set_logs("+outside.module")
        outside.debug("seen")
        assert ["seen"] == messages(capsys.readouterr().err)
        assert outside.propagate is False
        system.set_logs()
        assert (logging.CRITICAL, True, []) == (outside.level, outside.propagate, _ours(outside))

    def test_artifact_semantics(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Enabled artifacts pass whatever the component's level; the others follow it, but
        off-by-default and switched-off ones stay silent.
        """
        graph = system.getArtifactLogger("testsys.core", "graph")
        code = system.getArtifactLogger("testsys.core", "graph_code")
        schedule = system.getArtifactLogger("testsys.core", "schedule")

        def emit() -> list[str]:
            for log in (graph, code, schedule):
                log.debug(log.name.rsplit("__", 1)[1])
            return messages(capsys.readouterr().err)

        system.init({})
        assert [] == emit()
        system.set_logs("graph")
        assert ["[__graph] graph"] == emit()
        system.set_logs("+core")
        assert ["[__graph] graph", "[__graph_code] graph_code"] == emit()
        system.set_logs("+core,graph=off,schedule")
        assert ["[__graph_code] graph_code", "[__schedule] schedule"] == emit()
        system.set_logs("-core,graph_code")
        assert ["[__graph_code] graph_code"] == emit()

    def test_component_after_module_sets_its_logger_only(
        self, system: LogSystem, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        ``-pkg,+comp`` (comp's logger is pkg): comp's own logger at DEBUG, the loggers
        below it, even those made later, stay at the module's ERROR, as in torch; an
        enabled artifact below still shows, and a later item below can lift a subtree.
        """
        system.init({})
        system.set_logs("-testsys.core,+core,graph,+testsys.core.lifted")
        logging.getLogger("testsys.core").debug("own")
        late = logging.getLogger("testsys.core.made.later")
        late.info("hidden")
        late.error("error")
        system.getArtifactLogger("testsys.core.made", "graph").debug("artifact")
        system.getArtifactLogger("testsys.core.made", "graph_code").debug("hidden artifact")
        logging.getLogger("testsys.core.lifted.sub").debug("lifted")
        assert ["own", "error", "[__graph] artifact", "lifted"] == messages(capsys.readouterr().err)
        system.set_logs("+core")
        late.info("now inherited")
        assert ["now inherited"] == messages(capsys.readouterr().err)

    def test_module_then_component_above_it(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``+pkg,-comp`` (comp's logger is pkg): comp's own records (and its module's
        artifacts) at ERROR, the loggers below it, even those made later, at DEBUG: torch
        gives the same, having expanded the package into explicit levels.
        """
        system.init({})
        system.set_logs("+testsys.core,-core")
        core = logging.getLogger("testsys.core")
        core.info("own info")
        core.error("own error")
        logging.getLogger("testsys.core.later").debug("below")
        system.getArtifactLogger("testsys.core", "graph").debug("own artifact")
        system.getArtifactLogger("testsys.core.later", "graph").debug("artifact below")
        assert ["own error", "below", "[__graph] artifact below"] == messages(capsys.readouterr().err)
        fast = system.getLogger("testsys.core.fast")
        assert fast.enabled is True
        system.set_logs()
        assert [] == core.filters
        assert fast.enabled is False

    def test_off_artifact_warning_stays_quiet(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A warning on an off-by-default artifact does not leak through logging's last resort
        (torch prints it bare).
        """
        system.init({})
        system.getArtifactLogger("testsys.core", "schedule").warning("hidden")
        assert "" == capsys.readouterr().err

    def test_console_none_prints_nothing(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        With no console and no file, nothing reaches stderr, not even through the last resort.
        """
        system.set_output(console="none")
        system.init({})
        logging.getLogger("testsys.core").error("quiet")
        assert ("", "") == capsys.readouterr()

    def test_caplog(self, system: LogSystem, caplog: pytest.LogCaptureFixture) -> None:
        """
        With propagation on and the console off, pytest's caplog receives the records.
        """
        system.set_output(console="none", propagate=True)
        system.init({"TESTSYS_LOGS": "+core"})
        with caplog.at_level(logging.DEBUG):
            logging.getLogger("testsys.core").debug("to caplog")
        assert [("testsys.core", logging.DEBUG, "to caplog")] == caplog.record_tuples

    def test_reset_removes_everything(self, system: LogSystem) -> None:
        """
        After reset no logdial handler is left and the loggers are as before.
        """
        system.init({"TESTSYS_LOGS": "+core,+outside.x"})
        system.reset()
        assert [] == _all_logdial_handlers()
        assert logging.NOTSET == logging.getLogger("testsys.core").level
        assert logging.getLogger("testsys").propagate is True

    def test_new_top_above_old_one(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A component registered above one outside the root takes over the handler, so a
        record still prints once.
        """
        system.init({})
        system.register_log("inner", ["outside.pkg.inner"])
        system.register_log("outer", ["outside.pkg"])
        system.set_logs("+inner")
        logging.getLogger("outside.pkg.inner").debug("once")
        assert ["once"] == messages(capsys.readouterr().err)
        assert ["outside.pkg", "testsys"] == sorted(name for name, _ in _all_logdial_handlers())


class TestConstruction:
    """
    The constructor's checks.
    """

    def test_defaults(self) -> None:
        """
        root defaults to the name and the prefix to its upper case.
        """
        logs = LogSystem("mylib")
        assert ("mylib", "MYLIB", "MYLIB_LOGS") == (logs.root, logs.env_prefix, logs.var)
        assert "LogSystem('mylib', root='mylib', env_prefix='MYLIB')" == repr(logs)

    def test_bad_prefix(self) -> None:
        """
        A prefix that cannot be a variable name is refused.
        """
        with pytest.raises(RegistrationError, match=r"^env_prefix 'MY-LIB' is not valid: use letters, digits and '_'$"):
            LogSystem("mylib", env_prefix="MY-LIB")

    def test_bad_precedence(self) -> None:
        """
        Only "env" and "api" are precedences.
        """
        with pytest.raises(ValueError, match=r"^precedence must be 'env' or 'api', not 'user'$"):
            LogSystem("mylib", precedence="user")  # type: ignore[arg-type]


#: Settings with wildcards (and what can interact with them: exact items before and
#: after, module items, values, ranks) for the registrations below.
WILDCARD_SETTINGS = [
    "+*",
    "*",
    "*=warning",
    "gr*=off,+*",
    "+c*,a*=error",
    "*,+c3,a2=off",
    "+c3,*",
    "-wild.m,+*",
    "+*,-wild.m",
    "+c*@0,c2=error@1",
    "c?,a?=on",
]


class TestRegistrationsUnderWildcards:
    """
    A registration after ``init()`` with a wildcard in the variable works out what the
    variable makes of that name alone (so registering stays linear); the outcome is the
    full resolution's, after every registration.
    """

    @pytest.mark.parametrize("read_each", [True, False], ids=["settings read after each", "a burst"])
    @pytest.mark.parametrize("settings", WILDCARD_SETTINGS)
    def test_same_as_a_full_resolution(
        self, settings: str, read_each: bool, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """
        12 components and 12 artifacts registered one by one after ``init()``: the
        settings in force equal the variable resolved afresh against the registry (after
        each registration, or once after the burst, whose additions are folded in when
        the settings are next read), and the loggers' levels equal those of a system
        that registered all before ``init()``.
        """
        from logdial._grammar import parse_items
        from logdial._settings import resolve

        logging.getLogger("wild.m")  # an existing logger, for the module items
        logs = LogSystem("wild")
        logs.init({"WILD_LOGS": settings})
        try:
            for n in range(12):
                logs.register_log(f"c{n}", [f"wild.c{n}", f"wild.m.c{n}"])
                logs.register_artifact(f"a{n}", "An artifact.", off_by_default=n % 3 == 0)
                logs.getArtifactLogger(f"wild.c{n}", f"a{n}")
                if read_each or n == 11:
                    full = resolve(parse_items(settings), logs.registry, root="wild", exists=exists, rank=0)
                    assert full.settings == logs.settings, (n, settings)
            incremental = {name: logging.getLogger(name).level for name in logs._applier.owned}
        finally:
            logs.reset()
        before = LogSystem("wild")
        for n in range(12):
            before.register_log(f"c{n}", [f"wild.c{n}", f"wild.m.c{n}"])
            before.register_artifact(f"a{n}", "An artifact.", off_by_default=n % 3 == 0)
            before.getArtifactLogger(f"wild.c{n}", f"a{n}")
        before.init({"WILD_LOGS": settings})
        try:
            assert {name: logging.getLogger(name).level for name in before._applier.owned} == incremental
        finally:
            before.reset()
        capsys.readouterr()


class TestPlainLoggers:
    """
    The README's library example, ``log = logging.getLogger(__name__)`` under a component:
    at its first record through logdial's handlers it becomes a ``FastLogger`` in place.
    """

    def test_made_fast_by_its_first_record(self, system: LogSystem, tmp_path: Path) -> None:
        """
        The same object, the same lines in the file before and after (path, line, message),
        and the settings still hold it: a later ``set_logs`` raising its component's level
        stops its INFO records with the FastLogger's cheap disabled path. A logger outside
        the components, whose records never reach logdial's handlers, stays as it was.
        """
        out = tmp_path / "out.log"
        system.set_output(console="none", file=str(out))
        system.init({})
        system.set_logs("core")
        log = logging.getLogger("testsys.core.plainmod")
        elsewhere = logging.getLogger("elsewhere.plainmod")
        for i in range(2):
            log.info("compiled %s in %d ms", "fn", i)  # the same line of code each time
            elsewhere.info("not ours")
        assert (True, True) == (type(log) is FastLogger, log is logging.getLogger("testsys.core.plainmod"))
        assert type(elsewhere) is logging.Logger
        system.set_logs("-core")
        log.info("held back")
        log.error("shown")
        lines = out.read_text(encoding="utf-8").splitlines()
        tails = [line.split(" ", 3)[3] for line in lines]
        assert 3 == len(tails)
        assert tails[0].replace("0 ms", "1 ms") == tails[1]
        assert tails[2].endswith("] shown")
        assert isinstance(log.info, functools.partial)  # the switch, off: no Python frame for a disabled call
