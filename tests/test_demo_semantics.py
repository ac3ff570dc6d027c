"""
What the demo emits, and what it does not, under each documented TORCH_LOGS example:
real runs in subprocesses, parsed into records, independent of the golden files.

Parity: each setting given through ``set_logs`` (as a string and as keywords) prints the
same records as the same setting given through TORCH_LOGS.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import pytest
from tests.subprocesses import Output, child_environ

from logdial import LogSystem

# -- running the demo -------------------------------------------------------------------


#: The demo's __main__, with set_logs(...) instead of TORCH_LOGS.
_SET_LOGS_SCRIPT = """\
import logging
from logdial.demo._pipeline import run
from logdial.demo._registrations import build_system

logging.basicConfig(format="app: %(levelname)s %(name)s: %(message)s")
logging.getLogger("some.random.module")
logs = build_system()
logs.init()
logs.set_logs({call})
run(logs)
"""


class Run(NamedTuple):
    """
    One way to run the demo: TORCH_LOGS set to ``arg`` (kind "env"; None: unset), or
    the ``set_logs`` arguments ``arg`` written as Python (kind "api").
    """

    kind: str
    arg: str | None


def _execute(run: Run, cwd: Path) -> Output:
    if run.kind == "env":
        extra = {} if run.arg is None else {"TORCH_LOGS": run.arg}
        command, env = [sys.executable, "-m", "logdial.demo"], child_environ(**extra)
    else:
        assert run.arg is not None
        command, env = [sys.executable, "-c", _SET_LOGS_SCRIPT.format(call=run.arg)], child_environ()
    done = subprocess.run(command, capture_output=True, env=env, cwd=cwd, encoding="utf-8", timeout=60, check=False)
    return Output(done.returncode, done.stdout, done.stderr)


# -- parsing the output ----------------------------------------------------------------

#: A trace context as the log prefix shows it: [x/y], [x/y_z] (an attempt), [!a/x/y]
#: (compiled autograd); x and y may be "-".
_CONTEXT = r"\[(?:!\d+/)?(?:\d+|-)/(?:\d+|-)(?:_\d+)?\]"
_GLOG = re.compile(
    r"^(?P<head>(?P<level>[VIWEC])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} \d+ \S+:\d+\] "
    rf"(?:(?P<context>{_CONTEXT}) )?(?:\[__(?P<artifact>\w+)\] )?)"
    r"(?P<text>.*)$"
)
_APP = re.compile(r"^app: (?P<levelname>DEBUG|INFO|WARNING|ERROR|CRITICAL) (?P<name>[\w.]+): (?P<text>.*)$")
_LETTER = {"DEBUG": "V", "INFO": "I", "WARNING": "W", "ERROR": "E", "CRITICAL": "C"}

#: The component whose namespace logs each artifact in the demo (as in PyTorch).
ARTIFACT_COMPONENT = {
    **dict.fromkeys(
        ["bytecode", "graph", "graph_code", "graph_breaks", "guards", "recompiles", "compiled_autograd", "ddp_graphs"],
        "dynamo",
    ),
    "aot_graphs": "aot",
    "aot_joint_graph": "aot",
    "output_code": "inductor",
    "schedule": "inductor",
}
#: The demo's plain messages start with these (see logdial/demo/_pipeline.py).
_MESSAGE_COMPONENT = {"dynamo": "dynamo", "aot": "aot", "inductor": "inductor", "user code": "user"}

#: PyTorch's choices, written out rather than read from the demo, which they check.
OFF_BY_DEFAULT = {"bytecode", "output_code", "schedule"}
VISIBLE = {"aot_graphs", "compiled_autograd", "graph_breaks", "guards", "output_code", "recompiles"}
#: The artifacts that dynamo's modules log at DEBUG and that +dynamo therefore shows.
DYNAMO_FOLLOWERS = {a for a, c in ARTIFACT_COMPONENT.items() if c == "dynamo"} - OFF_BY_DEFAULT
ALL_LEVELS = {"V", "I", "W", "E"}


@dataclass(frozen=True)
class Record:
    """
    One log record as printed: level letter, component, artifact, message, which
    handler printed it ("logdial", or "app" for the application's basicConfig handler),
    and the trace context its prefix shows ("[0/1_1]", or None outside any).
    """

    level: str
    component: str
    artifact: str | None
    text: str
    via: str
    context: str | None = None


def _component(text: str, artifact: str | None) -> str:
    if artifact is not None:
        return ARTIFACT_COMPONENT[artifact]
    head = text.split(": ", 1)[0]
    if head not in _MESSAGE_COMPONENT:
        raise AssertionError(f"cannot tell which component logged {text!r}")
    return _MESSAGE_COMPONENT[head]


def parse(stderr: str) -> list[Record]:
    """
    The records of the demo's stderr. Consecutive lines with the same prefix are one
    multi-line record; a line in neither format fails the test.
    """
    records: list[Record] = []
    head = None
    for line in stderr.splitlines():
        glog = _GLOG.match(line)
        if glog is not None and glog["head"] == head:
            last = records[-1]
            records[-1] = Record(
                last.level, last.component, last.artifact, f"{last.text}\n{glog['text']}", last.via, last.context
            )
        elif glog is not None:
            head = glog["head"]
            artifact = glog["artifact"]
            component = _component(glog["text"], artifact)
            records.append(Record(glog["level"], component, artifact, glog["text"], "logdial", glog["context"]))
        elif (app := _APP.match(line)) is not None:
            head = None
            assert app["name"] == "some.random.module", line  # only the user's module is the app's
            records.append(Record(_LETTER[app["levelname"]], "user", None, app["text"], "app"))
        else:
            raise AssertionError(f"not a log line: {line!r}")
    return records


def levels(records: list[Record]) -> dict[str, set[str]]:
    """
    Component → the level letters of its plain (non-artifact) records.
    """
    out: dict[str, set[str]] = {}
    for record in records:
        if record.artifact is None:
            out.setdefault(record.component, set()).add(record.level)
    return out


def artifacts(records: list[Record]) -> set[str]:
    """
    The artifacts that have at least one record.
    """
    return {r.artifact for r in records if r.artifact is not None}


def firsts(records: list[Record], artifact: str) -> list[tuple[str, str]]:
    """
    (level, first line) of each record of ``artifact``, in order.
    """
    return [(r.level, r.text.split("\n")[0]) for r in records if r.artifact == artifact]


# -- the runs --------------------------------------------------------------------------

#: TORCH_LOGS value → the same settings as set_logs keywords.
DOCUMENTED = {
    "+dynamo,aot": "dynamo=logging.DEBUG, aot=logging.INFO",
    "-dynamo,+inductor": "dynamo=logging.ERROR, inductor=logging.DEBUG",
    "aot_graphs": "aot_graphs=True",
    "+dynamo,schedule": "dynamo=logging.DEBUG, schedule=True",
    "+some.random.module,schedule": "modules={'some.random.module': logging.DEBUG}, schedule=True",
}
EXTENSIONS = {
    "+all": "all=logging.DEBUG",
    "+dynamo,guards=off": "dynamo=logging.DEBUG, guards=False",
    "bytecode,output_code": "bytecode=True, output_code=True",
    "+inductor,-minitorch._inductor": "inductor=logging.DEBUG, modules={'minitorch._inductor': logging.ERROR}",
    "-minitorch._inductor,+inductor": None,  # no keyword form: keywords come before modules=
}
ENV_VALUES: list[str | None] = [None, *DOCUMENTED, *EXTENSIONS]

RUNS = [
    *(Run("env", value) for value in ENV_VALUES),
    *(Run("api", repr(value)) for value in [*DOCUMENTED, *EXTENSIONS]),
    *(Run("api", call) for call in [*DOCUMENTED.values(), *EXTENSIONS.values()] if call is not None),
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[Run, Output]:
    """
    Every run of this module, made once, in parallel.
    """
    cwd = tmp_path_factory.mktemp("cwd")
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        return dict(zip(RUNS, pool.map(lambda run: _execute(run, cwd), RUNS), strict=True))


@pytest.fixture(scope="module")
def records(outputs: dict[Run, Output]) -> dict[str | None, list[Record]]:
    """
    TORCH_LOGS value → the records of the demo run under it.
    """
    return {value: parse(outputs[Run("env", value)].stderr) for value in ENV_VALUES}


# -- the documented examples -----------------------------------------------------------


class TestRegistrations:
    """
    The demo registers what PyTorch's logging documentation names, with torch's choices.
    """

    def test_components(self, demo: LogSystem) -> None:
        """
        dynamo, aot and inductor, over loggers laid out like torch's modules.
        """
        expected = {
            "dynamo": ("minitorch._dynamo", "minitorch.fx.experimental.symbolic_shapes"),
            "aot": ("minitorch._functorch.aot_autograd", "minitorch._functorch._aot_autograd"),
            "inductor": ("minitorch._inductor",),
        }
        assert expected == {name: c.loggers for name, c in demo.registry.components.items()}

    def test_artifacts(self, demo: LogSystem) -> None:
        """
        The twelve documented artifacts; off by default and visible as in torch.
        """
        registered = demo.registry.artifacts
        expected = (set(ARTIFACT_COMPONENT), OFF_BY_DEFAULT, VISIBLE)
        actual = (
            set(registered),
            {name for name, a in registered.items() if a.off_by_default},
            {name for name, a in registered.items() if a.visible},
        )
        assert expected == actual


class TestParser:
    """
    The parser the other tests rely on.
    """

    def test_groups_lines_of_one_record(self) -> None:
        """
        Lines with the same prefix are one record; app lines are records of the user.
        """
        stderr = (
            "app: WARNING some.random.module: user code: hi\n"
            "V1201 07:05:23.763962 6784 logdial/demo/_pipeline.py:123] [__graph] TRACED GRAPH\n"
            "V1201 07:05:23.763962 6784 logdial/demo/_pipeline.py:123] [__graph]  row\n"
            "W1201 07:05:23.763970 6784 logdial/demo/_pipeline.py:124] aot: careful\n"
        )
        expected = [
            Record("W", "user", None, "user code: hi", "app"),
            Record("V", "dynamo", "graph", "TRACED GRAPH\n row", "logdial"),
            Record("W", "aot", None, "aot: careful", "logdial"),
        ]
        assert expected == parse(stderr)

    def test_rejects_other_lines(self) -> None:
        """
        A line that is not a log record (a traceback, a stray print) fails the parse.
        """
        with pytest.raises(AssertionError, match="not a log line: 'Traceback"):
            parse("Traceback (most recent call last):\n")

    def test_reads_the_trace_context(self) -> None:
        """
        The trace context between the prefix and the artifact tag or message, in each
        form torch shows ([x/y], [x/y_z], [!a/x/y]), is the record's context; a line
        with another context is another record.
        """
        stderr = (
            "W1201 07:05:23.763962 6784 logdial/demo/_pipeline.py:180] [0/0] dynamo: graph break\n"
            "V1201 07:05:23.763970 6784 logdial/demo/_pipeline.py:186] [0/0_1] [__graph_code] TRACED GRAPH\n"
            "V1201 07:05:23.763970 6784 logdial/demo/_pipeline.py:186] [0/0_1] [__graph_code]  row\n"
            "V1201 07:05:23.763970 6784 logdial/demo/_pipeline.py:186] [0/1_1] [__graph_code] TRACED GRAPH\n"
            "I1201 07:05:23.763980 6784 logdial/demo/_pipeline.py:249] [!0/-/-] [__compiled_autograd] captured\n"
            "E1201 07:05:23.763990 6784 logdial/demo/_pipeline.py:270] aot: no context\n"
        )
        expected = [
            Record("W", "dynamo", None, "dynamo: graph break", "logdial", "[0/0]"),
            Record("V", "dynamo", "graph_code", "TRACED GRAPH\n row", "logdial", "[0/0_1]"),
            Record("V", "dynamo", "graph_code", "TRACED GRAPH", "logdial", "[0/1_1]"),
            Record("I", "dynamo", "compiled_autograd", "captured", "logdial", "[!0/-/-]"),
            Record("E", "aot", None, "aot: no context", "logdial", None),
        ]
        assert expected == parse(stderr)


class TestEveryRun:
    """
    Properties of every run of the demo in this module.
    """

    @pytest.mark.parametrize("run", RUNS, ids=lambda run: f"{run.kind}:{run.arg}")
    def test_completes_quietly(self, run: Run, outputs: dict[Run, Output]) -> None:
        """
        Exit status 0, nothing on stdout, and nothing on stderr but log records.
        """
        output = outputs[run]
        parse(output.stderr)
        assert (0, "") == (output.returncode, output.stdout)

    @pytest.mark.parametrize("run", RUNS, ids=lambda run: f"{run.kind}:{run.arg}")
    def test_each_record_once(self, run: Run, outputs: dict[Run, Output]) -> None:
        """
        No line is printed twice (each carries its record's own timestamp), and the
        user's warning comes out exactly once, through logdial or through the app.
        """
        lines = outputs[run].stderr.splitlines()
        assert [] == sorted({line for line in lines if lines.count(line) > 1})
        warning = "user code: toy_fn is compiled with an experimental backend"
        assert 1 == sum(line.endswith(warning) for line in lines)


class TestNoSetting:
    """
    TORCH_LOGS unset: the root at WARNING, every artifact off.
    """

    def test_warnings_and_errors_only(self, records: dict[str | None, list[Record]]) -> None:
        """
        Every component shows its warnings and errors and nothing below.
        """
        expected = {"dynamo": {"W", "E"}, "aot": {"W", "E"}, "inductor": {"W", "E"}, "user": {"W"}}
        assert expected == levels(records[None])

    def test_no_artifacts(self, records: dict[str | None, list[Record]]) -> None:
        """
        No artifact is shown.
        """
        assert set() == artifacts(records[None])

    def test_user_module_left_to_the_app(self, records: dict[str | None, list[Record]]) -> None:
        """
        The user's module, which no setting names, goes through the app's own handler.
        """
        assert {"app"} == {r.via for r in records[None] if r.component == "user"}


class TestPlusDynamoAot:
    """
    TORCH_LOGS="+dynamo,aot": dynamo at DEBUG, aot at INFO.
    """

    def test_levels(self, records: dict[str | None, list[Record]]) -> None:
        """
        dynamo shows every level, aot INFO and up, inductor only its warnings and errors.
        """
        expected = {"dynamo": ALL_LEVELS, "aot": {"I", "W", "E"}, "inductor": {"W", "E"}, "user": {"W"}}
        assert expected == levels(records["+dynamo,aot"])

    def test_dynamo_artifacts_follow_dynamo(self, records: dict[str | None, list[Record]]) -> None:
        """
        The artifacts logged at DEBUG from dynamo's modules show, except the off-by-default
        bytecode; aot's artifacts (DEBUG) stay hidden at INFO.
        """
        assert DYNAMO_FOLLOWERS == artifacts(records["+dynamo,aot"])

    def test_off_by_default_absent(self, outputs: dict[Run, Output]) -> None:
        """
        No bytecode, output_code or schedule line, in any form.
        """
        stderr = outputs[Run("env", "+dynamo,aot")].stderr
        assert [] == [tag for tag in ("[__bytecode]", "[__output_code]", "[__schedule]") if tag in stderr]

    def test_no_inductor_debug_or_info(self, records: dict[str | None, list[Record]]) -> None:
        """
        Nothing from inductor below WARNING.
        """
        assert [] == [r for r in records["+dynamo,aot"] if r.component == "inductor" and r.level in {"V", "I"}]


class TestMinusDynamoPlusInductor:
    """
    TORCH_LOGS="-dynamo,+inductor": dynamo at ERROR, inductor at DEBUG.
    """

    def test_levels(self, records: dict[str | None, list[Record]]) -> None:
        """
        dynamo shows only errors; inductor every level; aot is untouched.
        """
        expected = {"dynamo": {"E"}, "aot": {"W", "E"}, "inductor": ALL_LEVELS, "user": {"W"}}
        assert expected == levels(records["-dynamo,+inductor"])

    def test_no_dynamo_warnings(self, records: dict[str | None, list[Record]]) -> None:
        """
        None of dynamo's warnings (graph break, recompile) is printed.
        """
        assert [] == [r.text for r in records["-dynamo,+inductor"] if r.component == "dynamo" and r.level == "W"]

    def test_no_artifacts(self, records: dict[str | None, list[Record]]) -> None:
        """
        inductor's artifacts are off by default, so +inductor shows none; dynamo's are
        below ERROR.
        """
        assert set() == artifacts(records["-dynamo,+inductor"])


class TestAotGraphs:
    """
    TORCH_LOGS="aot_graphs": one artifact on, every component at its default.
    """

    def test_only_aot_graphs(self, records: dict[str | None, list[Record]]) -> None:
        """
        The only artifact shown is aot_graphs.
        """
        assert {"aot_graphs"} == artifacts(records["aot_graphs"])

    def test_shown_while_aot_at_warning(self, records: dict[str | None, list[Record]]) -> None:
        """
        aot itself stays at WARNING, yet its aot_graphs DEBUG records all come out.
        """
        assert {"W", "E"} == levels(records["aot_graphs"])["aot"]
        assert [("V", "Forward graph:"), ("V", "Backward graph:")] * 2 == firsts(records["aot_graphs"], "aot_graphs")

    def test_levels(self, records: dict[str | None, list[Record]]) -> None:
        """
        Every component at its default.
        """
        expected = {"dynamo": {"W", "E"}, "aot": {"W", "E"}, "inductor": {"W", "E"}, "user": {"W"}}
        assert expected == levels(records["aot_graphs"])


class TestPlusDynamoSchedule:
    """
    TORCH_LOGS="+dynamo,schedule": dynamo at DEBUG and the (off by default) schedule.
    """

    def test_levels(self, records: dict[str | None, list[Record]]) -> None:
        """
        dynamo at DEBUG; inductor, which logs the schedule, stays at WARNING.
        """
        expected = {"dynamo": ALL_LEVELS, "aot": {"W", "E"}, "inductor": {"W", "E"}, "user": {"W"}}
        assert expected == levels(records["+dynamo,schedule"])

    def test_artifacts(self, records: dict[str | None, list[Record]]) -> None:
        """
        dynamo's artifacts (but bytecode) and schedule.
        """
        assert DYNAMO_FOLLOWERS | {"schedule"} == artifacts(records["+dynamo,schedule"])

    def test_schedule_of_each_compile(self, records: dict[str | None, list[Record]]) -> None:
        """
        One schedule per compile, at DEBUG.
        """
        expected = [("V", "scheduling kernels for __compiled_fn_0:"), ("V", "scheduling kernels for __compiled_fn_1:")]
        assert expected == firsts(records["+dynamo,schedule"], "schedule")


class TestPlusSomeRandomModuleSchedule:
    """
    TORCH_LOGS="+some.random.module,schedule": the user's own module at DEBUG.
    """

    def test_user_module_at_debug_in_logdial_format(self, records: dict[str | None, list[Record]]) -> None:
        """
        Every record of the user's module, DEBUG included, comes through logdial's
        handler, and none through the app's (no duplicate).
        """
        expected = [
            ("V", "user code: building inputs", "logdial"),
            ("I", "user code: calling the compiled toy_fn", "logdial"),
            ("W", "user code: toy_fn is compiled with an experimental backend", "logdial"),
            ("I", "user code: done, eager result [2.0, 3.0, 4.0, 5.0]", "logdial"),
        ]
        actual = [(r.level, r.text, r.via) for r in records["+some.random.module,schedule"] if r.component == "user"]
        assert expected == actual

    def test_levels(self, records: dict[str | None, list[Record]]) -> None:
        """
        The registered components stay at their default.
        """
        expected = {"dynamo": {"W", "E"}, "aot": {"W", "E"}, "inductor": {"W", "E"}, "user": {"V", "I", "W"}}
        assert expected == levels(records["+some.random.module,schedule"])

    def test_artifacts(self, records: dict[str | None, list[Record]]) -> None:
        """
        Only the schedule.
        """
        assert {"schedule"} == artifacts(records["+some.random.module,schedule"])


class TestCompileIds:
    """
    Each log line of the demo shows the compile id it was made under, as torch's do.
    """

    @staticmethod
    def _contexts(run: list[Record], text: str) -> list[str | None]:
        return [r.context for r in run if r.text.startswith(text)]

    def test_sequence(self, records: dict[str | None, list[Record]]) -> None:
        """
        Under +all, the contexts follow the pipeline: the first compile's attempts
        [0/0] and [0/0_1], the recompile's [0/1] and [0/1_1], compiled autograd
        [!0/-/-], the DDP split back in [0/1_1], the recompile limit [0/2], and the
        closing errors outside any context.
        """
        run = [r for r in records["+all"] if r.via == "logdial"]
        sequence = [run[0].context]
        for record in run[1:]:
            if record.context != sequence[-1]:
                sequence.append(record.context)
        expected = ["[0/0]", "[0/0_1]", "[0/1]", "[0/1_1]", "[!0/-/-]", "[0/1_1]", "[0/2]", None]
        assert expected == sequence

    def test_dynamo_before_the_graph_break(self, records: dict[str | None, list[Record]]) -> None:
        """
        Tracing up to the graph break, and the graph-break warning, are attempt 0 of
        each compile: [0/0], then [0/1].
        """
        run = records["+all"]
        graph_break = "dynamo: graph break in toy_fn on data-dependent control flow"
        assert ["[0/0]", "[0/1]"] == self._contexts(run, graph_break)
        assert ["[0/0]", "[0/1]"] == self._contexts(run, "dynamo: Step 1: start tracing toy_fn")
        assert ["[0/0]", "[0/1]"] == self._contexts(run, "Graph break in user code at")
        assert ["[0/0]", "[0/1]"] == [r.context for r in run if r.artifact == "graph_breaks"]

    def test_attempt_after_the_graph_break(self, records: dict[str | None, list[Record]]) -> None:
        """
        The graph, guards, aot and inductor lines of each compile are its attempt 1:
        [0/0_1], then [0/1_1].
        """
        run = records["+all"]
        for artifact in ("graph", "graph_code", "guards", "aot_joint_graph", "aot_graphs"):
            expected = ["[0/0_1]"] * (2 if artifact == "aot_graphs" else 1)
            expected += ["[0/1_1]"] * len(expected)
            assert (artifact, expected) == (artifact, [r.context for r in run if r.artifact == artifact])
        for component in ("aot", "inductor"):
            compiles = [r.context for r in run if r.component == component and r.artifact is None and r.level != "E"]
            assert (component, {"[0/0_1]", "[0/1_1]"}) == (component, set(compiles))
        assert ["[0/0_1]", "[0/1_1]"] == self._contexts(run, "aot: input y was mutated in place")
        assert ["[0/0_1]", "[0/1_1]"] == self._contexts(run, "inductor: no autotuning cache found")

    def test_recompile(self, records: dict[str | None, list[Record]]) -> None:
        """
        The recompile's reason (the recompiles artifact) and its warning are [0/1].
        """
        run = records["+all"]
        assert ["[0/1]"] == [r.context for r in run if r.artifact == "recompiles"]
        assert ["[0/1]"] == self._contexts(run, "dynamo: recompiling toy_fn because its input sizes changed")

    def test_compiled_autograd(self, records: dict[str | None, list[Record]]) -> None:
        """
        Both compiled-autograd records are [!0/-/-]; the DDP split is [0/1_1].
        """
        run = records["+all"]
        assert ["[!0/-/-]", "[!0/-/-]"] == [r.context for r in run if r.artifact == "compiled_autograd"]
        assert ["[0/1_1]"] == [r.context for r in run if r.artifact == "ddp_graphs"]

    def test_recompile_limit(self, records: dict[str | None, list[Record]]) -> None:
        """
        The recompile-limit error is [0/2]; the errors after it are outside any context.
        """
        run = records["+all"]
        assert ["[0/2]"] == self._contexts(run, "dynamo: toy_fn exceeded the recompile limit of 2")
        assert [None] == self._contexts(run, "aot: could not save the forward graph's metadata")
        assert [None] == self._contexts(run, "inductor: kernel_0 failed its accuracy check")
        assert [None] == self._contexts(run, "dynamo: symbolic shapes produced 2 guards")

    def test_same_ids_without_a_setting(self, records: dict[str | None, list[Record]]) -> None:
        """
        TORCH_LOGS unset: the warnings and errors carry the same ids as under +all, and
        the user's records (the app's handler) none.
        """
        expected = [
            (r.level, r.text, r.context) for r in records["+all"] if r.level in {"W", "E"} and r.component != "user"
        ]
        actual = [(r.level, r.text, r.context) for r in records[None] if r.component != "user"]
        assert expected == actual
        assert {None} == {r.context for r in records[None] if r.component == "user"}


# -- extensions and corner cases -------------------------------------------------------


class TestPlusAll:
    """
    TORCH_LOGS="+all": the system's root logger at DEBUG.
    """

    def test_levels(self, records: dict[str | None, list[Record]]) -> None:
        """
        Every component at DEBUG; the user's module, outside the root, is untouched.
        """
        expected = {"dynamo": ALL_LEVELS, "aot": ALL_LEVELS, "inductor": ALL_LEVELS, "user": {"W"}}
        assert expected == levels(records["+all"])

    def test_artifacts_but_off_by_default(self, records: dict[str | None, list[Record]]) -> None:
        """
        Every artifact but the off-by-default ones.
        """
        assert set(ARTIFACT_COMPONENT) - OFF_BY_DEFAULT == artifacts(records["+all"])


class TestArtifactOff:
    """
    TORCH_LOGS="+dynamo,guards=off": an artifact kept silent while its component is at DEBUG.
    """

    def test_guards_silent(self, records: dict[str | None, list[Record]]) -> None:
        """
        dynamo's other artifacts show; guards does not.
        """
        assert DYNAMO_FOLLOWERS - {"guards"} == artifacts(records["+dynamo,guards=off"])


class TestNamedOffByDefault:
    """
    TORCH_LOGS="bytecode,output_code": off-by-default artifacts, named.
    """

    def test_shown_when_named(self, records: dict[str | None, list[Record]]) -> None:
        """
        Both show, at DEBUG, while every component stays at WARNING.
        """
        run = records["bytecode,output_code"]
        assert {"bytecode", "output_code"} == artifacts(run)
        assert {"V"} == {r.level for r in run if r.artifact is not None}
        assert {"dynamo": {"W", "E"}, "aot": {"W", "E"}, "inductor": {"W", "E"}, "user": {"W"}} == levels(run)


class TestModuleUnderAlias:
    """
    A module name covers every logger below it, as torch's expansion into submodules does.
    """

    def test_module_after_alias_wins(self, records: dict[str | None, list[Record]]) -> None:
        """
        "+inductor,-minitorch._inductor" leaves every inductor logger at ERROR.
        """
        assert {"E"} == levels(records["+inductor,-minitorch._inductor"])["inductor"]

    def test_alias_after_module_sets_only_its_loggers(self, records: dict[str | None, list[Record]]) -> None:
        """
        "-minitorch._inductor,+inductor": torch sets the alias's own logger to DEBUG and
        keeps ERROR on the modules below it (compile_fx, scheduler), which the package
        name expanded into, so they log only their errors (measured on torch 2.13:
        "-torch._inductor,+inductor" leaves 345 submodules at ERROR).
        """
        assert {"E"} == levels(records["-minitorch._inductor,+inductor"])["inductor"]


# -- parity with set_logs --------------------------------------------------------------


def _normalised(stderr: str) -> str:
    return re.sub(r"^([VIWEC])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} \d+ ", r"\1MMDD HH:MM:SS.uuuuuu PID ", stderr, flags=re.M)


class TestSetLogsParity:
    """
    set_logs(...) after init() prints the same records as TORCH_LOGS with the same settings.
    """

    @pytest.mark.parametrize("value", [*DOCUMENTED, *EXTENSIONS])
    def test_string(self, value: str, outputs: dict[Run, Output]) -> None:
        """
        set_logs("<value>") and TORCH_LOGS="<value>" print the same lines.
        """
        env, api = outputs[Run("env", value)], outputs[Run("api", repr(value))]
        assert _normalised(env.stderr) == _normalised(api.stderr)

    @pytest.mark.parametrize("value", [v for v, call in {**DOCUMENTED, **EXTENSIONS}.items() if call is not None])
    def test_keywords(self, value: str, outputs: dict[Run, Output]) -> None:
        """
        set_logs with keywords (levels for components, bools for artifacts, modules=)
        and TORCH_LOGS="<value>" print the same lines.
        """
        call = {**DOCUMENTED, **EXTENSIONS}[value]
        assert call is not None
        env, api = outputs[Run("env", value)], outputs[Run("api", call)]
        assert _normalised(env.stderr) == _normalised(api.stderr)
