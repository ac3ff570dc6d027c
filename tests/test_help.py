"""The help message: generated from the registry, in the system's own variable names."""

from __future__ import annotations

import re

import pytest

from logdial import LogSystem
from logdial._help import help_message

# The whole help of the ``system`` fixture (testsys: components core and io; artifacts
# graph (visible), graph_code, schedule (off by default)), brief and full.

BRIEF = """\
testsys logging is set with TESTSYS_LOGS: a comma-separated list of components, artifacts and modules.

Components and modules: +NAME sets DEBUG, NAME sets INFO, -NAME sets ERROR,
NAME=LEVEL sets a level by name (debug, info, warning, error, critical) or number.
  all            the root logger 'testsys'; every component inherits its level (default: warning)
  core           testsys.core
  io             testsys.io, testsys.net
  a.module.name  any other module or logger, e.g. +testsys.some.module

Artifacts: NAME (or NAME=on) shows that output whatever its component's level;
NAME=off keeps it silent even at DEBUG. The others follow their component at DEBUG,
except those marked *, which are off by default and shown only when named.
  graph  The graph.
  ... and 2 more: TESTSYS_LOGS=+help lists every artifact.

Wildcards: * and ? match registered names (graph* = every name starting with graph).
Ranks: ITEM@R or ITEM@R-S applies an item only on those ranks (+NAME@0, NAME=debug@1-3).

Examples:
  TESTSYS_LOGS="+all"                  everything at DEBUG
  TESTSYS_LOGS="+core,io"              core at DEBUG, io at INFO
  TESTSYS_LOGS="-core,io=debug"        core at ERROR, io at DEBUG
  TESTSYS_LOGS="graph"                 show the graph artifact
  TESTSYS_LOGS="+core,schedule"        core at DEBUG, and schedule
  TESTSYS_LOGS="+testsys.some.module"  one module (and those below it) at DEBUG
  TESTSYS_LOGS="+all,graph=off"        everything at DEBUG except the graph artifact

Other variables:
  TESTSYS_LOGS_OUT=PATH            also append the logs to the file PATH (%r: the rank, %p: the pid)
  TESTSYS_LOGS_FORMAT=FMT          a %-style format for each line ('short' is logging's basic
                                   format, 'json' one JSON object per record), e.g.
                                   '%(asctime)s|%(levelname)s|%(message)s'
  TESTSYS_LOGS_CONSOLE=WHERE       stderr (default), stdout, or none
  TESTSYS_LOGS_STRICT=1            raise on an invalid item instead of reporting it and going on
  TESTSYS_LOGS_RANKS=LIST          only these ranks log, e.g. 0,2-3; the other ranks log errors only
  TESTSYS_LOGS_RANKS_OTHERS=LEVEL  what the other ranks log: error (default), silent, or another
                                   level
  TESTSYS_LOGS_CONTROL=1           let `logdial set` change the settings while the program runs
  TESTSYS_TRACE=DIR                write a structured trace into DIR (for tlparse, logdial report)
  NO_COLOR=1                       never colour the output (it wins over the next)
  FORCE_COLOR=1                    colour it even when it is not a terminal (also CLICOLOR_FORCE=1)

TESTSYS_LOGS=help shows this message; TESTSYS_LOGS=+help also lists the hidden artifacts.
"""

FULL = """\
testsys logging is set with TESTSYS_LOGS: a comma-separated list of components, artifacts and modules.

Components and modules: +NAME sets DEBUG, NAME sets INFO, -NAME sets ERROR,
NAME=LEVEL sets a level by name (debug, info, warning, error, critical) or number.
  all            the root logger 'testsys'; every component inherits its level (default: warning)
  core           testsys.core
  io             testsys.io, testsys.net
  a.module.name  any other module or logger, e.g. +testsys.some.module

Artifacts: NAME (or NAME=on) shows that output whatever its component's level;
NAME=off keeps it silent even at DEBUG. The others follow their component at DEBUG,
except those marked *, which are off by default and shown only when named.
  graph       The graph.
  graph_code  The graph as code.
  schedule *  The schedule.

Wildcards: * and ? match registered names (graph* = every name starting with graph).
Ranks: ITEM@R or ITEM@R-S applies an item only on those ranks (+NAME@0, NAME=debug@1-3).

Examples:
  TESTSYS_LOGS="+all"                  everything at DEBUG
  TESTSYS_LOGS="+core,io"              core at DEBUG, io at INFO
  TESTSYS_LOGS="-core,io=debug"        core at ERROR, io at DEBUG
  TESTSYS_LOGS="graph"                 show the graph artifact
  TESTSYS_LOGS="+core,schedule"        core at DEBUG, and schedule
  TESTSYS_LOGS="+testsys.some.module"  one module (and those below it) at DEBUG
  TESTSYS_LOGS="+all,graph=off"        everything at DEBUG except the graph artifact

Other variables:
  TESTSYS_LOGS_OUT=PATH            also append the logs to the file PATH (%r: the rank, %p: the pid)
  TESTSYS_LOGS_FORMAT=FMT          a %-style format for each line ('short' is logging's basic
                                   format, 'json' one JSON object per record), e.g.
                                   '%(asctime)s|%(levelname)s|%(message)s'
  TESTSYS_LOGS_CONSOLE=WHERE       stderr (default), stdout, or none
  TESTSYS_LOGS_STRICT=1            raise on an invalid item instead of reporting it and going on
  TESTSYS_LOGS_RANKS=LIST          only these ranks log, e.g. 0,2-3; the other ranks log errors only
  TESTSYS_LOGS_RANKS_OTHERS=LEVEL  what the other ranks log: error (default), silent, or another
                                   level
  TESTSYS_LOGS_CONTROL=1           let `logdial set` change the settings while the program runs
  TESTSYS_TRACE=DIR                write a structured trace into DIR (for tlparse, logdial report)
  NO_COLOR=1                       never colour the output (it wins over the next)
  FORCE_COLOR=1                    colour it even when it is not a terminal (also CLICOLOR_FORCE=1)

TESTSYS_LOGS=help shows this message; TESTSYS_LOGS=+help also lists the hidden artifacts.
"""

BARE = """\
bare logging is set with BARE_LOGS: a comma-separated list of components, artifacts and modules.

Components and modules: +NAME sets DEBUG, NAME sets INFO, -NAME sets ERROR,
NAME=LEVEL sets a level by name (debug, info, warning, error, critical) or number.
  all            the root logger 'bare'; every component inherits its level (default: warning)
  a.module.name  any other module or logger, e.g. +bare.some.module

Artifacts: NAME (or NAME=on) shows that output whatever its component's level;
NAME=off keeps it silent even at DEBUG. The others follow their component at DEBUG,
except those marked *, which are off by default and shown only when named.
  (no artifacts are registered)

Wildcards: * and ? match registered names (graph* = every name starting with graph).
Ranks: ITEM@R or ITEM@R-S applies an item only on those ranks (+NAME@0, NAME=debug@1-3).

Examples:
  BARE_LOGS="+all"               everything at DEBUG
  BARE_LOGS="+bare.some.module"  one module (and those below it) at DEBUG

Other variables:
  BARE_LOGS_OUT=PATH            also append the logs to the file PATH (%r: the rank, %p: the pid)
  BARE_LOGS_FORMAT=FMT          a %-style format for each line ('short' is logging's basic format,
                                'json' one JSON object per record), e.g.
                                '%(asctime)s|%(levelname)s|%(message)s'
  BARE_LOGS_CONSOLE=WHERE       stderr (default), stdout, or none
  BARE_LOGS_STRICT=1            raise on an invalid item instead of reporting it and going on
  BARE_LOGS_RANKS=LIST          only these ranks log, e.g. 0,2-3; the other ranks log errors only
  BARE_LOGS_RANKS_OTHERS=LEVEL  what the other ranks log: error (default), silent, or another level
  BARE_LOGS_CONTROL=1           let `logdial set` change the settings while the program runs
  BARE_TRACE=DIR                write a structured trace into DIR (for tlparse, logdial report)
  NO_COLOR=1                    never colour the output (it wins over the next)
  FORCE_COLOR=1                 colour it even when it is not a terminal (also CLICOLOR_FORCE=1)

BARE_LOGS=help shows this message; BARE_LOGS=+help also lists the hidden artifacts.
"""

HIDDEN = """\
hid logging is set with HID_LOGS: a comma-separated list of components, artifacts and modules.

Components and modules: +NAME sets DEBUG, NAME sets INFO, -NAME sets ERROR,
NAME=LEVEL sets a level by name (debug, info, warning, error, critical) or number.
  all            the root logger 'hid.pkg'; every component inherits its level (default: warning)
  only           hid.pkg.only
  a.module.name  any other module or logger, e.g. +hid.pkg.some.module

Artifacts: NAME (or NAME=on) shows that output whatever its component's level;
NAME=off keeps it silent even at DEBUG. The others follow their component at DEBUG,
except those marked *, which are off by default and shown only when named.
  ... and 1 hidden: HID_LOGS=+help lists every artifact.

Wildcards: * and ? match registered names (graph* = every name starting with graph).
Ranks: ITEM@R or ITEM@R-S applies an item only on those ranks (+NAME@0, NAME=debug@1-3).

Examples:
  HID_LOGS="+all"                  everything at DEBUG
  HID_LOGS="+only"                 only at DEBUG
  HID_LOGS="secret"                show the secret artifact
  HID_LOGS="+only,secret"          only at DEBUG, and secret
  HID_LOGS="+hid.pkg.some.module"  one module (and those below it) at DEBUG

Other variables:
  HID_LOGS_OUT=PATH            also append the logs to the file PATH (%r: the rank, %p: the pid)
  HID_LOGS_FORMAT=FMT          a %-style format for each line ('short' is logging's basic format,
                               'json' one JSON object per record), e.g.
                               '%(asctime)s|%(levelname)s|%(message)s'
  HID_LOGS_CONSOLE=WHERE       stderr (default), stdout, or none
  HID_LOGS_STRICT=1            raise on an invalid item instead of reporting it and going on
  HID_LOGS_RANKS=LIST          only these ranks log, e.g. 0,2-3; the other ranks log errors only
  HID_LOGS_RANKS_OTHERS=LEVEL  what the other ranks log: error (default), silent, or another level
  HID_LOGS_CONTROL=1           let `logdial set` change the settings while the program runs
  HID_TRACE=DIR                write a structured trace into DIR (for tlparse, logdial report)
  NO_COLOR=1                   never colour the output (it wins over the next)
  FORCE_COLOR=1                colour it even when it is not a terminal (also CLICOLOR_FORCE=1)

HID_LOGS=help shows this message; HID_LOGS=+help also lists the hidden artifacts.
"""

#: The artifact rows of the demo's help: the visible ones, and every one for +help.
DEMO_VISIBLE = ["aot_graphs", "compiled_autograd", "graph_breaks", "guards", "recompiles", "output_code *"]
DEMO_ALL = [
    "bytecode *",
    "aot_graphs",
    "aot_joint_graph",
    "compiled_autograd",
    "ddp_graphs",
    "graph",
    "graph_code",
    "graph_breaks",
    "guards",
    "recompiles",
    "output_code *",
    "schedule *",
]


def section(text: str, heading: str) -> list[str]:
    """
    The indented rows after the line starting with ``heading``, up to the next blank line.
    """
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith(heading))
    rows = []
    for line in lines[start + 1 :]:
        if not line:
            break
        if line.startswith("  "):
            rows.append(line)
    return rows


def names(rows: list[str]) -> list[str]:
    """
    The left column of help rows (a name, and `` *`` when off by default).
    """
    return [re.split(r"\s{2,}", row.strip())[0] for row in rows if not row.startswith("    ")]


class TestHelpMessage:
    """
    help_message: components, artifacts, examples and variables of one system.
    """

    def test_brief(self, system: LogSystem) -> None:
        """
        The brief help lists all, the components, the visible artifacts and how many
        are hidden, with examples in TESTSYS_LOGS.
        """
        assert BRIEF == system.help_message()

    def test_full(self, system: LogSystem) -> None:
        """
        The full help lists every artifact, marking the off-by-default one with ``*``.
        """
        assert FULL == system.help_message(verbose=True)

    def test_function_and_method_agree(self, system: LogSystem) -> None:
        """
        LogSystem.help_message is help_message over the system's own names.
        """
        result = help_message("testsys", "testsys", "TESTSYS_LOGS", system.registry, verbose=True)
        assert FULL == result

    def test_nothing_registered(self) -> None:
        """
        A system with no components and no artifacts says so, and its examples only
        name what exists.
        """
        assert BARE == LogSystem("bare").help_message()

    def test_every_artifact_hidden(self) -> None:
        """
        When every artifact is hidden, the brief help says how many are hidden (not that
        none is registered); its own root and prefix are used throughout.
        """
        logs = LogSystem("hid", root="hid.pkg", env_prefix="HID")
        logs.register_log("only", ["hid.pkg.only"])
        logs.register_artifact("secret", "A secret.", off_by_default=True)
        full = section(logs.help_message(verbose=True), "Artifacts:")
        assert (HIDDEN, ["  secret *  A secret."]) == (logs.help_message(), full)

    def test_examples_parse(self, system: LogSystem, demo: LogSystem) -> None:
        """
        Every example in the help is a valid settings string of its system.
        """
        bad = []
        for logs in (system, demo):
            for row in section(logs.help_message(), "Examples:"):
                match = re.match(rf'  {logs.var}="([^"]*)"  ', row)
                assert match is not None, row
                try:
                    logs.parse(match[1])
                except ValueError as exc:
                    bad.append((match[1], str(exc)))
        assert [] == bad

    def test_long_description_wraps(self) -> None:
        """
        A long description wraps under its column; a long word is never broken.
        """
        logs = LogSystem("wrap")
        word = "x" * 90
        logs.register_artifact("long", "word " * 20 + word, visible=True)
        expected = [
            "  long  " + ("word " * 18).rstrip(),
            "        word word",
            "        " + word,
        ]
        assert expected == section(logs.help_message(), "Artifacts:")

    def test_registered_later(self, system: LogSystem) -> None:
        """
        The help follows the registry: a component and artifact registered later appear.
        """
        system.register_log("plugin", ["testsys.plugin", "other.plugin"])
        system.register_artifact("plugged", "From a plugin.", visible=True, off_by_default=True)
        text = system.help_message()
        assert (
            ["all", "core", "io", "plugin", "a.module.name"],
            ["graph", "plugged *"],
            "  plugin         testsys.plugin, other.plugin",
        ) == (
            names(section(text, "Components")),
            names(section(text, "Artifacts:"))[:-1],
            section(text, "Components")[3],
        )


class TestDemoHelp:
    """
    The demo's help: PyTorch's documented components and artifacts under TORCH_LOGS.
    """

    def test_components(self, demo: LogSystem) -> None:
        """
        all, dynamo, aot and inductor are listed with their loggers.
        """
        assert [
            "  all            the root logger 'minitorch'; every component inherits its level (default: warning)",
            "  dynamo         minitorch._dynamo, minitorch.fx.experimental.symbolic_shapes",
            "  aot            minitorch._functorch.aot_autograd, minitorch._functorch._aot_autograd",
            "  inductor       minitorch._inductor",
            "  a.module.name  any other module or logger, e.g. +minitorch.some.module",
        ] == section(demo.help_message(), "Components")

    def test_brief_lists_visible_artifacts(self, demo: LogSystem) -> None:
        """
        help lists the six visible artifacts and says six more exist.
        """
        rows = section(demo.help_message(), "Artifacts:")
        assert (DEMO_VISIBLE, "  ... and 6 more: TORCH_LOGS=+help lists every artifact.") == (
            names(rows[:-1]),
            rows[-1],
        )

    def test_full_lists_all_twelve(self, demo: LogSystem) -> None:
        """
        +help lists all twelve artifacts, bytecode, output_code and schedule marked off
        by default.
        """
        assert DEMO_ALL == names(section(demo.help_message(verbose=True), "Artifacts:"))

    def test_every_variable_the_system_reads(self, demo: LogSystem) -> None:
        """
        The help names every variable the system reads (the one list, ``_env.SUFFIXES``,
        which ``logdial list`` shows too), but ``{P}_LOGS`` itself, which the help is about.
        """
        from logdial._plugins import variables

        shown = {row.split("=")[0] for row in names(section(demo.help_message(), "Other variables:"))}
        assert set(variables(demo)) - {"TORCH_LOGS"} <= shown

    def test_own_variable_names(self, demo: LogSystem) -> None:
        """
        Every example and variable is spelled with TORCH_, and the name is minitorch's.
        """
        text = demo.help_message()
        examples = section(text, "Examples:")
        variables = names(section(text, "Other variables:"))
        assert (
            "minitorch logging is set with TORCH_LOGS: a comma-separated list of components, artifacts and modules.",
            [True] * len(examples),
            [
                "TORCH_LOGS_OUT=PATH",
                "TORCH_LOGS_FORMAT=FMT",
                "TORCH_LOGS_CONSOLE=WHERE",
                "TORCH_LOGS_STRICT=1",
                "TORCH_LOGS_RANKS=LIST",
                "TORCH_LOGS_RANKS_OTHERS=LEVEL",
                "TORCH_LOGS_CONTROL=1",
                "TORCH_TRACE=DIR",
                "NO_COLOR=1",
                "FORCE_COLOR=1",
            ],
            "TORCH_LOGS=help shows this message; TORCH_LOGS=+help also lists the hidden artifacts.",
        ) == (
            text.split("\n")[0],
            [row.startswith('  TORCH_LOGS="') for row in examples],
            variables,
            text.split("\n")[-2],
        )


class TestHelpFromTheEnvironment:
    """
    TESTSYS_LOGS=help at init(): the help on stderr, then exit status 0.
    """

    @pytest.mark.parametrize(("value", "verbose"), [("help", False), ("+help", True), (" help ", False)])
    def test_help(self, system: LogSystem, value: str, verbose: bool, capsys: pytest.CaptureFixture[str]) -> None:
        """
        The help goes to stderr (stdout stays clean) and init() exits with status 0.
        """
        with pytest.raises(SystemExit) as exited:
            system.init({"TESTSYS_LOGS": value})
        assert (0, ("", FULL if verbose else BRIEF)) == (exited.value.code, tuple(capsys.readouterr()))
