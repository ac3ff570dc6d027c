"""The ``logdial`` command end to end: the installed console script and ``python -m logdial``
in real subprocesses, against the installed demo system and fake plugin distributions."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.subprocesses import HAS_TORCH, INSTALLED, Output, child_environ
from tests.test_plugins import write_plugins

import logdial
from logdial._explain import explain
from logdial._report._tracefile import TraceFormatError, read_trace
from logdial.demo._registrations import build_system

SCRIPT = Path(sys.executable).parent / "logdial"
LAUNCHERS = {"script": [str(SCRIPT)], "module": [sys.executable, "-m", "logdial"]}

TORCH_VARIABLES = (
    "  variables: TORCH_LOGS TORCH_LOGS_OUT TORCH_LOGS_FORMAT TORCH_LOGS_CONSOLE TORCH_LOGS_STRICT TORCH_LOGS_RANKS "
    "TORCH_LOGS_RANKS_OTHERS TORCH_LOGS_CONTROL TORCH_TRACE\n"
)
DEMO_LIST = (
    "minitorch: 3 components, 12 artifacts (logdial.demo._registrations:system, from logdial)\n"
    f"{TORCH_VARIABLES}"
    "  logdial's demo: its variables are read only by `python -m logdial.demo`\n"
)
BAD_SETTING = (
    "logdial: invalid minitorch settings: '+dynamoo' at position 0: not a registered component or artifact, "
    "nor a module or logger; did you mean 'dynamo'?\nTORCH_LOGS=help lists all names.\n"
)


class Cli:
    """
    Runs the command one way (the console script or ``python -m logdial``) in ``cwd``.
    """

    def __init__(self, launcher: list[str], cwd: Path) -> None:
        self.launcher = launcher
        self.cwd = cwd

    def __call__(self, *args: str, pythonpath: Path | None = None, **variables: str) -> Output:
        """
        Run ``logdial <args>`` with ``variables`` set (and ``pythonpath`` first on the path).
        """
        env = child_environ(COLUMNS="100", **variables)
        if pythonpath is not None:
            env["PYTHONPATH"] = os.pathsep.join(p for p in (str(pythonpath), env.get("PYTHONPATH")) if p)
        done = subprocess.run(
            [*self.launcher, *args],
            capture_output=True,
            encoding="utf-8",
            cwd=self.cwd,
            env=env,
            timeout=60,
            check=False,
        )
        return Output(done.returncode, done.stdout, done.stderr)


@pytest.fixture(params=sorted(LAUNCHERS))
def cli(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    """
    The command, run both ways, from an empty directory.
    """
    return Cli(LAUNCHERS[request.param], tmp_path)


@pytest.fixture
def script(tmp_path: Path) -> Cli:
    """
    The console script alone, for the cases where how it is launched does not matter.
    """
    return Cli(LAUNCHERS["script"], tmp_path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """
    A directory of fake plugin distributions (see ``tests.test_plugins.write_plugins``).
    """
    return write_plugins(tmp_path / "site")


@pytest.fixture(scope="module")
def torch_list() -> str:
    """
    What ``logdial list`` says of torch where it is installed (its counts as
    logdial.pytorch reads them: test_pytorch_fidelity compares them with torch's), and
    nothing where it is not: the command lists torch's system only where torch imports.
    """
    if not HAS_TORCH:
        return ""
    code = "from logdial.pytorch._command import load_system; r = load_system().registry; "
    code += "print(len(r.components), len(r.artifacts))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8", check=True, timeout=240)
    components, artifacts = done.stdout.split()
    where = "(logdial.pytorch._command:system, from logdial)"
    return f"torch: {components} components, {artifacts} artifacts {where}\n{TORCH_VARIABLES}"


class TestList:
    """
    ``logdial list``.
    """

    def test_demo(self, cli: Cli, torch_list: str) -> None:
        """
        The installed demo, labelled as the demo, with its variables and counts; torch's system.
        """
        assert Output(0, DEMO_LIST + torch_list, "") == cli("list")

    def test_broken_plugins_are_listed(self, cli: Cli, site: Path, torch_list: str) -> None:
        """
        Plugins that fail to load are listed with their error; the others still work; exit 0.
        """
        expected = (
            "broken: error: cannot load system 'broken' (brokensys:system): "
            "RuntimeError: the broken plugin fails at import\n"
            "exits: error: cannot load system 'exits' (exitsys:system): SystemExit: 3\n"
            "fake: 1 component, 2 artifacts (fakesys.logs:system, from fakesys)\n"
            "  variables: FAKE_LOGS FAKE_LOGS_OUT FAKE_LOGS_FORMAT FAKE_LOGS_CONSOLE FAKE_LOGS_STRICT FAKE_LOGS_RANKS "
            "FAKE_LOGS_RANKS_OTHERS FAKE_LOGS_CONTROL FAKE_TRACE\n"
            f"{DEMO_LIST}{torch_list}"
            "wrongtype: error: cannot load system 'wrongtype': fakesys.logs:COUNT is not a logdial.LogSystem "
            "(its type is int)\n"
        )
        assert Output(0, expected, "") == cli("list", pythonpath=site)

    def test_shadowed_plugin(self, script: Cli, site: Path, tmp_path: Path) -> None:
        """
        A name registered again by a distribution later on the path is listed as shadowed.
        """
        later = tmp_path / "later"
        later.mkdir()
        info = later / "otherfake-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: otherfake\nVersion: 1.0\n", encoding="utf-8")
        (info / "entry_points.txt").write_text("[logdial.systems]\nfake = otherfake:system\n", encoding="utf-8")
        result = script("list", pythonpath=Path(f"{site}{os.pathsep}{later}"))
        expected = (
            "fake: shadowed (otherfake:system, from otherfake): a distribution earlier on sys.path registers this name"
        )
        assert (0, [expected]) == (
            result.returncode,
            [line for line in result.stdout.splitlines() if "otherfake" in line],
        )

    def test_none_installed(self, tmp_path: Path) -> None:
        """
        With no system installed (the installed package without its metadata), the list says
        how a library registers one.
        """
        bare = tmp_path / "bare"
        bare.mkdir()
        (bare / "logdial").symlink_to(Path(logdial.__file__).parent)
        env = child_environ(PYTHONPATH=str(bare))
        done = subprocess.run(
            [sys.executable, "-S", "-m", "logdial", "list"], capture_output=True, text=True, env=env, check=False
        )
        expected = (
            "No logdial systems are installed (a library registers one in the entry point group 'logdial.systems').\n"
        )
        assert (0, expected, "") == (done.returncode, done.stdout, done.stderr)


class TestHelp:
    """
    ``logdial help SYSTEM [--all]``.
    """

    def test_brief(self, cli: Cli) -> None:
        """
        Exactly the system's help message, on stdout.
        """
        assert Output(0, build_system().help_message(), "") == cli("help", "minitorch")

    def test_all(self, cli: Cli) -> None:
        """
        ``--all`` is the verbose message, as ``{P}_LOGS=+help`` shows it.
        """
        assert Output(0, build_system().help_message(verbose=True), "") == cli("help", "minitorch", "--all")

    def test_without_a_system_name(self, script: Cli, site: Path) -> None:
        """
        Without SYSTEM: the one system installed besides logdial's demo (torch's, where
        torch is installed), else the demo; with several, a usage error naming them.
        """
        first = script("help").stdout.splitlines()[0]
        expected = "torch logging is set with TORCH_LOGS" if HAS_TORCH else "minitorch logging is set with TORCH_LOGS"
        assert first.startswith(expected)
        several = ", ".join(sorted(["broken", "exits", "fake", *INSTALLED.split(", "), "wrongtype"]))
        assert Output(2, "", f"logdial: name a system: installed: {several}\n") == script("help", pythonpath=site)

    def test_plugin(self, script: Cli, site: Path) -> None:
        """
        A plugin's system is found through its distribution's entry point.
        """
        result = script("help", "fake", pythonpath=site)
        first = "fake logging is set with FAKE_LOGS: a comma-separated list of components, artifacts and modules."
        assert (0, first, "") == (result.returncode, result.stdout.splitlines()[0], result.stderr)

    def test_unknown_system(self, cli: Cli) -> None:
        """
        An unknown name is a usage error (2), naming the installed systems.
        """
        assert Output(2, "", f"logdial: no system named 'nope'; installed: {INSTALLED}\n") == cli("help", "nope")

    def test_broken_system(self, cli: Cli, site: Path) -> None:
        """
        A system whose import fails: one line, exit 1, no traceback.
        """
        expected = (
            "logdial: cannot load system 'broken' (brokensys:system): RuntimeError: the broken plugin fails at import\n"
        )
        assert Output(1, "", expected) == cli("help", "broken", pythonpath=site)


class TestExplain:
    """
    ``logdial explain SYSTEM [SETTINGS] [--json] [--logger NAME]``.
    """

    def test_table(self, cli: Cli) -> None:
        """
        The whole table for ``-dynamo,+inductor`` (a SETTINGS that starts with '-').
        """
        expected = """\
minitorch: TORCH_LOGS='-dynamo,+inductor'

component  logger                                     level    from
all        minitorch                                  WARNING  default
dynamo     minitorch._dynamo                          ERROR    item '-dynamo' at position 0
           minitorch.fx.experimental.symbolic_shapes  ERROR    item '-dynamo' at position 0
aot        minitorch._functorch.aot_autograd          WARNING  default, inherited from all
           minitorch._functorch._aot_autograd         WARNING  default, inherited from all
inductor   minitorch._inductor                        DEBUG    item '+inductor' at position 8

artifact           state    why
bytecode           off      off by default: shown only when named
aot_graphs         depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
aot_joint_graph    depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
compiled_autograd  depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
ddp_graphs         depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
graph              depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
graph_code         depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
graph_breaks       depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
guards             depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
recompiles         depends  follows its component at DEBUG: shown under inductor; hidden under dynamo, aot
output_code        off      off by default: shown only when named
schedule           off      off by default: shown only when named

modules: none named
"""
        assert Output(0, expected, "") == cli("explain", "minitorch", "-dynamo,+inductor")

    @pytest.mark.parametrize("text", ["+dynamo,aot", "+dynamo,guards=off", "-minitorch._inductor,+inductor", "graph*"])
    def test_same_as_explain(self, script: Cli, text: str) -> None:
        """
        The command prints what ``explain()`` computes, as text.
        """
        assert Output(0, explain(build_system(), text).to_text(), "") == script("explain", "minitorch", text)

    def test_json(self, cli: Cli) -> None:
        """
        ``--json`` (given before SETTINGS here) is the same explanation as data.
        """
        result = cli("explain", "minitorch", "--json", "+dynamo,schedule")
        assert (0, explain(build_system(), "+dynamo,schedule").to_dict(), "") == (
            result.returncode,
            json.loads(result.stdout),
            result.stderr,
        )

    def test_from_environment(self, cli: Cli) -> None:
        """
        Without SETTINGS, ``TORCH_LOGS`` is read from the environment, and the title says so.
        """
        expected = explain(build_system(), "+dynamo", source="environment").to_text()
        assert (Output(0, expected, ""), "minitorch: TORCH_LOGS='+dynamo' (from the environment)") == (
            cli("explain", "minitorch", TORCH_LOGS="+dynamo"),
            expected.splitlines()[0],
        )

    def test_unset(self, cli: Cli) -> None:
        """
        Without SETTINGS and with ``TORCH_LOGS`` unset, the defaults, saying so.
        """
        result = cli("explain", "minitorch")
        assert (0, "minitorch: TORCH_LOGS is not set, so the defaults apply", "") == (
            result.returncode,
            result.stdout.splitlines()[0],
            result.stderr,
        )

    def test_json_unset(self, script: Cli) -> None:
        """
        In JSON, ``source`` says the variable is unset.
        """
        data = json.loads(script("explain", "minitorch", "--json").stdout)
        assert ("", "unset") == (data["settings"], data["source"])

    def test_invalid_setting(self, cli: Cli) -> None:
        """
        An invalid setting: parse's message, with its suggestion, on stderr; exit 1.
        """
        assert Output(1, "", BAD_SETTING) == cli("explain", "minitorch", "+dynamoo")

    def test_invalid_setting_from_environment(self, script: Cli) -> None:
        """
        The same for an invalid ``TORCH_LOGS``.
        """
        assert Output(1, "", BAD_SETTING) == script("explain", "minitorch", TORCH_LOGS="+dynamoo")

    def test_logger_the_program_creates(self, script: Cli) -> None:
        """
        A module that is no importable module nor a logger here is an error, as at init() in
        a fresh process; ``--logger`` says the program creates it.
        """
        unknown = script("explain", "minitorch", "+some.random.module,schedule")
        known = script("explain", "minitorch", "+some.random.module,schedule", "--logger", "some.random.module")
        assert (
            1,
            "logdial: invalid minitorch settings: '+some.random.module' at position 0: not a registered component "
            "or artifact, nor a module or logger\nTORCH_LOGS=help lists all names.\n",
            0,
            ["module              level  from", "some.random.module  DEBUG  item '+some.random.module' at position 0"],
        ) == (unknown.returncode, unknown.stderr, known.returncode, known.stdout.splitlines()[-2:])

    def test_after_double_dash(self, script: Cli) -> None:
        """
        ``--`` before SETTINGS works as usual.
        """
        assert (
            "minitorch: TORCH_LOGS='-dynamo'" == script("explain", "minitorch", "--", "-dynamo").stdout.splitlines()[0]
        )

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--jsn"], "unrecognized arguments: --jsn"),
            (["+dynamo", "aot"], "unrecognized arguments: aot"),
            (
                ["--logger", "a..b"],
                "argument --logger: logger name 'a..b' is not valid: use dotted identifiers, e.g. 'mylib.module'",
            ),
        ],
    )
    def test_usage_errors(self, script: Cli, args: list[str], message: str) -> None:
        """
        Unknown options, a second SETTINGS and a bad logger name are usage errors (2).
        """
        usage = "usage: logdial explain [-h] [--json] [--logger NAME] SYSTEM [SETTINGS]\n"
        assert Output(2, "", f"{usage}logdial explain: error: {message}\n") == script("explain", "minitorch", *args)

    def test_unknown_system(self, script: Cli) -> None:
        """
        The same message as for ``help``.
        """
        expected = f"logdial: no system named 'pytorch'; installed: {INSTALLED}\n"
        assert Output(2, "", expected) == script("explain", "pytorch")


@pytest.fixture
def demo_trace(tmp_path: Path) -> Path:
    """
    A directory with the trace of one demo run.
    """
    trace = tmp_path / "trace"
    subprocess.run(
        [sys.executable, "-m", "logdial.demo"],
        capture_output=True,
        check=True,
        env=child_environ(TORCH_TRACE=str(trace)),
    )
    return trace


class TestReport:
    """
    ``logdial report TRACE... -o OUT``: calls write_report and turns its errors into one line.
    """

    def test_demo_trace(self, cli: Cli, demo_trace: Path, tmp_path: Path) -> None:
        """
        The report of a demo run: the path of its index.html on stdout, exit 0, nothing on stderr.
        """
        result = cli("report", str(demo_trace), "-o", str(tmp_path / "out"), "--no-progress")
        index = Path(result.stdout.rstrip("\n"))
        assert (0, "", True, (tmp_path / "out" / "index.html").resolve()) == (
            result.returncode,
            result.stderr,
            index.is_file(),
            (tmp_path / index).resolve(),
        )

    def test_malformed_trace(self, script: Cli, tmp_path: Path) -> None:
        """
        A file that is not a trace: the reader's message (file and line), exit 1, no traceback.
        """
        bad = tmp_path / "bad.log"
        bad.write_text("this is not a trace\n", encoding="utf-8")
        with pytest.raises(TraceFormatError) as raised:
            list(read_trace(bad))
        assert Output(1, "", f"logdial: {raised.value}\n") == script("report", str(bad), "-o", str(tmp_path / "out"))

    def test_missing_input(self, script: Cli, tmp_path: Path) -> None:
        """
        A trace that does not exist: one line naming it, exit 1.
        """
        result = script("report", str(tmp_path / "nope.log"), "-o", str(tmp_path / "out"))
        assert (1, "", 1, True) == (
            result.returncode,
            result.stdout,
            len(result.stderr.splitlines()),
            result.stderr.startswith("logdial: ") and "nope.log" in result.stderr and "Traceback" not in result.stderr,
        )

    def test_out_is_a_file(self, script: Cli, demo_trace: Path, tmp_path: Path) -> None:
        """
        An OUT that is a file: one line naming it, exit 1.
        """
        out = tmp_path / "out.txt"
        out.write_text("mine\n", encoding="utf-8")
        result = script("report", str(demo_trace), "-o", str(out))
        assert (1, "", 1, True) == (
            result.returncode,
            result.stdout,
            len(result.stderr.splitlines()),
            result.stderr.startswith(f"logdial: {out}") and "Traceback" not in result.stderr,
        )

    def test_out_cannot_be_made(self, script: Cli, demo_trace: Path, tmp_path: Path) -> None:
        """
        An OUT that cannot be created (an OSError): the path and the reason, exit 1.
        """
        parent = tmp_path / "a-file"
        parent.write_text("mine\n", encoding="utf-8")
        out = parent / "report"
        assert Output(1, "", f"logdial: {out}: Not a directory\n") == script("report", str(demo_trace), "-o", str(out))

    def test_progress(self, script: Cli, demo_trace: Path, tmp_path: Path) -> None:
        """
        ``--progress`` draws the bar on stderr even when it is not a terminal; by default
        (not a terminal here) there is none.
        """
        forced = script("report", str(demo_trace), "-o", str(tmp_path / "a"), "--progress")
        default = script("report", str(demo_trace), "-o", str(tmp_path / "b"))
        assert (0, True, 0, "") == (forced.returncode, forced.stderr != "", default.returncode, default.stderr)

    def test_out_is_required(self, script: Cli) -> None:
        """
        Without ``-o`` it is a usage error, before anything is read.
        """
        result = script("report", "trace.log")
        assert (2, "logdial report: error: the following arguments are required: -o/--out") == (
            result.returncode,
            result.stderr.splitlines()[-1],
        )


class TestUsage:
    """
    The command as a whole: usage errors, ``--help`` of each subcommand, ``--version``.
    """

    def test_no_command(self, cli: Cli) -> None:
        """
        No subcommand: usage on stderr, exit 2.
        """
        expected = (
            "usage: logdial [-h] [--version] COMMAND ...\n"
            "logdial: error: the following arguments are required: COMMAND\n"
        )
        assert Output(2, "", expected) == cli()

    def test_unknown_command(self, script: Cli) -> None:
        """
        An unknown subcommand names the valid ones.
        """
        result = script("frob")
        assert (
            2,
            "logdial: error: argument COMMAND: invalid choice: 'frob' "
            "(choose from 'list', 'help', 'explain', 'report', 'ps', 'set', 'reset', 'trace', 'merge', 'run')",
        ) == (
            result.returncode,
            result.stderr.splitlines()[-1],
        )

    def test_missing_system(self, script: Cli) -> None:
        """
        ``explain`` without SYSTEM is a usage error (``help`` takes the one installed).
        """
        expected = (
            "usage: logdial explain [-h] [--json] [--logger NAME] SYSTEM [SETTINGS]\n"
            "logdial explain: error: the following arguments are required: SYSTEM\n"
        )
        assert Output(2, "", expected) == script("explain")

    def test_extra_argument(self, script: Cli) -> None:
        """
        An argument a subcommand does not take is a usage error.
        """
        expected = "usage: logdial list [-h]\nlogdial list: error: unrecognized arguments: minitorch\n"
        assert Output(2, "", expected) == script("list", "minitorch")

    def test_version(self, cli: Cli) -> None:
        """
        ``--version`` prints the package's version.
        """
        assert Output(0, "logdial 0.1.0\n", "") == cli("--version")

    @pytest.mark.parametrize(
        ("command", "usage"),
        [
            ([], "usage: logdial [-h] [--version] COMMAND ..."),
            (["list"], "usage: logdial list [-h]"),
            (["help"], "usage: logdial help [-h] [--all] [SYSTEM]"),
            (["explain"], "usage: logdial explain [-h] [--json] [--logger NAME] SYSTEM [SETTINGS]"),
            (["report"], "usage: logdial report [-h] -o OUT [--progress | --no-progress] TRACE [TRACE ...]"),
        ],
    )
    def test_help_option(self, cli: Cli, command: list[str], usage: str) -> None:
        """
        ``--help`` on the command and on every subcommand: usage and options on stdout, exit 0.
        """
        result = cli(*command, "--help")
        assert (0, usage, "", True) == (
            result.returncode,
            result.stdout.splitlines()[0],
            result.stderr,
            "-h, --help" in result.stdout,
        )

    def test_reader_gone(self, script: Cli) -> None:
        """
        When the reader closes the pipe early (``logdial help x | head -1``): exit 1, no traceback.
        """
        read, write = os.pipe()
        os.close(read)
        try:
            done = subprocess.run(
                [str(SCRIPT), "help", "minitorch"], stdout=write, stderr=subprocess.PIPE, text=True, check=False
            )
        finally:
            os.close(write)
        assert (1, "") == (done.returncode, done.stderr)


class TestReadme:
    """
    The README's section on the command shows what the command prints.
    """

    SECTION = (
        (ROOT / "README.md").read_text(encoding="utf-8").split("## The logdial command", 1)[1].split("\n## ", 1)[0]
    )

    def _shown(self, command: str) -> list[str]:
        block = self.SECTION.split("```console\n", 1)[1].split("```", 1)[0]
        after = block.split(f"$ {command}\n", 1)[1]
        return after.split("\n$ ", 1)[0].splitlines()

    @pytest.mark.torch
    def test_list(self, script: Cli) -> None:
        """
        ``logdial list`` as shown.
        """
        assert Output(0, "\n".join(self._shown("logdial list")) + "\n", "") == script("list")

    def test_explain(self, script: Cli) -> None:
        """
        The lines shown for ``explain`` (``...`` stands for lines left out) are its output, in order.
        """
        shown = [line for line in self._shown('logdial explain minitorch "+dynamo,guards=off"') if line != "..."]
        actual = script("explain", "minitorch", "+dynamo,guards=off").stdout.splitlines()
        assert shown == [line for line in actual if line in shown]

    def test_json_keys(self, script: Cli) -> None:
        """
        The keys the README's table documents are the keys ``--json`` prints.
        """
        data = json.loads(script("explain", "minitorch", "--json", "+dynamo,-minitorch._dynamo").stdout)
        keys = {
            "top": sorted(data),
            "component": sorted(data["components"][0]),
            "artifact": sorted(data["artifacts"][0]),
            "logger": sorted(data["modules"][0]),
            "origin": sorted(data["modules"][0]["origin"]),
        }
        documented = {
            "top": ["artifacts", "components", "help", "modules", "settings", "source", "system", "variable"],
            "component": ["loggers", "name"],
            "artifact": [
                "description",
                "hidden_under",
                "name",
                "off_by_default",
                "origin",
                "reason",
                "shown_under",
                "state",
            ],
            "logger": ["below", "inherited_from", "level", "level_name", "logger", "origin"],
            "origin": ["item", "position"],
        }
        for names in documented.values():
            for name in names:
                assert f'"{name}"' in self.SECTION or f"`{name}`" in self.SECTION, name
        assert documented == keys


class TestImports:
    """
    What the command imports: only the module that defines the system asked for.
    """

    def test_help_imports_no_report(self, site: Path) -> None:
        """
        After ``main(['help', ...])`` in a fresh interpreter: the system's module is
        imported, the report, the demo's pipeline, other plugins and sibling modules are not.
        """
        code = (
            "import sys, io, contextlib\n"
            "from logdial._cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    assert main(['help', 'minitorch']) == 0 and main(['help', 'fake']) == 0\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('logdial', 'fakesys', 'brokensys')))\n"
        )
        env = child_environ(PYTHONPATH=str(site))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
        modules: list[str] = ast.literal_eval(out)
        unwanted = ["logdial._report", "logdial.demo._pipeline", "fakesys.heavy", "brokensys"]
        assert (
            [],
            [
                "fakesys",
                "fakesys.logs",
                "logdial._cli",
                "logdial._plugins",
                "logdial.demo",
                "logdial.demo._registrations",
            ],
        ) == (
            [m for m in unwanted if m in modules],
            [m for m in modules if m.startswith(("fakesys", "logdial._cli", "logdial._plugins", "logdial.demo"))],
        )

    def test_import_logdial_imports_no_command(self) -> None:
        """
        ``import logdial`` imports neither the command, the plugin loader, explain nor the report.
        """
        code = "import sys, logdial; print(sorted(m for m in sys.modules if m.startswith('logdial.')))"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=child_environ()
        )
        assert [] == [
            m
            for m in ast.literal_eval(out.stdout)
            if m in ("logdial._cli", "logdial._plugins", "logdial._explain", "logdial._report")
        ]
