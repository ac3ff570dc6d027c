"""
What PyTorch's own logging tests check, in our own tests, on the real torch (2.13.0): the
handlers torch's loggers carry and what code that looks for them can do with them (torch's
test harness patches their ``emit``; users restyle them), each record written once in
every mode, the log state torch's harness swaps in, every ``TORCH_LOGS_*`` variable, an
artifact format of ``""``, and the ``logdial`` command on torch's real registry.

``tools/pytorch_tests.py`` runs PyTorch's tests themselves (from a copy outside this
repository) on plain torch and under the takeover. Every case here runs in a fresh
interpreter, as users do; the tests never import torch themselves.
"""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.subprocesses import Output, child_environ, read_pty
from tests.test_pytorch import RECORD, TIMEOUT, last_json, run_python, write

pytestmark = pytest.mark.torch

#: Installs logdial.pytorch before ``import torch``, as ``python -m logdial.pytorch`` does.
TAKE_OVER = "import logdial.pytorch; logdial.pytorch.install()\n"

#: What torch's loggers carry after ``import torch``: per registered logger, the number
#: of handlers and whether it propagates; whether any handler object sits on two loggers.
HANDLERS_SCRIPT = """
    import json, logging, sys
    if sys.argv[1:] == ["logdial"]:
        import logdial.pytorch; logdial.pytorch.install()
    import torch
    import torch._logging._internal as internal

    names = sorted(internal.log_registry.get_log_qnames())
    carried = {n: logging.getLogger(n).handlers for n in names}
    ids = [id(h) for hs in carried.values() for h in hs]
    print(json.dumps({
        "loggers": {n: [len(hs), logging.getLogger(n).propagate] for n, hs in carried.items()},
        "shared": len(ids) - len(set(ids)),
        "kinds": sorted({type(h).__name__ for hs in carried.values() for h in hs}),
    }))
"""


def stderr_on_a_terminal(args: list[str], cwd: Path, **variables: str) -> str:
    """
    What ``python ARGS`` writes to its stderr when that is a terminal (a pty); it must end with 0.
    """
    master, slave = pty.openpty()
    try:
        child = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=slave,
            cwd=cwd,
            env=child_environ(**variables),
        )
        os.close(slave)
        shown = read_pty(master, timeout=TIMEOUT).decode("utf-8", "replace")
        assert 0 == child.wait(timeout=TIMEOUT)
    finally:
        os.close(master)
    return shown


class TestHandlersWhereTorchPutsThem:
    """
    Every logger torch registers carries handler objects of its own, as on plain torch.
    """

    @pytest.mark.parametrize("out", [False, True], ids=["console", "console+TORCH_LOGS_OUT"])
    def test_same_handlers_and_propagation_as_torch(self, tmp_path: Path, out: bool) -> None:
        """
        Per registered logger, the number of handlers (one; two with TORCH_LOGS_OUT) and
        ``propagate`` (False) are torch's; no handler object is shared by two loggers.
        """
        script = str(write(tmp_path / "handlers.py", HANDLERS_SCRIPT))
        variables = {"TORCH_LOGS_OUT": str(tmp_path / "torch.log")} if out else {}
        torch_run = last_json(run_python(script, cwd=tmp_path, plain=True, **variables))
        logdial_run = last_json(run_python(script, "logdial", cwd=tmp_path, **variables))
        assert len(torch_run["loggers"]) > 30  # type: ignore[arg-type]
        assert torch_run["loggers"] == logdial_run["loggers"]
        assert 0 == torch_run["shared"] == logdial_run["shared"]
        expected = ["ConsoleHandler", "FileHandler"] if out else ["ConsoleHandler"]
        assert expected == logdial_run["kinds"]


#: Logs one record on a torch logger, one below it, one on another component, one of an
#: artifact; then prints what reached the root logger's handler (the application's, or
#: caplog's) as JSON on stdout.
ONCE_SCRIPT = """
    import json, logging, sys
    import logdial.pytorch; logdial.pytorch.install()
    import torch

    received = []

    class Collect(logging.Handler):
        def emit(self, record):
            received.append(record.getMessage())

    logging.getLogger().addHandler(Collect())
    logging.getLogger().setLevel(logging.DEBUG)
    mode = sys.argv[1]
    logs = logdial.pytorch.get_system()
    if mode == "propagate":
        logs.set_output(propagate=True)
    elif mode == "caplog":
        logs.set_output(console="none", propagate=True)
    elif mode == "user-propagate":  # code that turns propagation on by hand on one logger
        logging.getLogger("torch._dynamo").propagate = True
    torch._logging.set_logs(dynamo=logging.INFO, inductor=logging.INFO, guards=True)
    logging.getLogger("torch._dynamo").info("on dynamo")
    logging.getLogger("torch._dynamo.deep.module").info("below dynamo")
    logging.getLogger("torch._inductor.graph").warning("on inductor")
    torch._logging.getArtifactLogger("torch._dynamo.guards", "guards").debug("artifact record")
    logging.getLogger("torch").warning("on torch")
    print(json.dumps(received))
"""

MESSAGES = ["on dynamo", "below dynamo", "on inductor", "artifact record", "on torch"]


def lines_with(text: str, message: str) -> int:
    """
    How many log lines of ``text`` end with ``message``.
    """
    return sum(1 for line in text.splitlines() if RECORD.match(line) and line.endswith(" " + message))


class TestEachRecordOnce:
    """
    Each record is written once to each output, and reaches the application's handlers
    once when it propagates, whatever the handler objects on the way.
    """

    @pytest.mark.parametrize(
        ("mode", "console", "at_root"),
        [
            ("console", 1, 0),  # torch's loggers stop propagation, as on plain torch
            ("propagate", 1, 1),  # logdial's console and the application's handler, once each
            ("caplog", 0, 1),  # the README's caplog recipe: the application's handler alone
            ("user-propagate", 1, 0),  # torch._dynamo propagates to torch, which does not print it again
        ],
    )
    def test_once_per_output(self, tmp_path: Path, mode: str, console: int, at_root: int) -> None:
        """
        Console lines and records at the root logger, per message, in each mode; with
        TORCH_LOGS_OUT the file has each once too (when logdial writes a console).
        """
        script = str(write(tmp_path / "once.py", ONCE_SCRIPT))
        log = tmp_path / "torch.log"
        done = run_python(script, mode, cwd=tmp_path, TORCH_LOGS_OUT=str(log))
        assert 0 == done.returncode, done.stderr
        received = json.loads(done.stdout.splitlines()[-1])
        written = log.read_text(encoding="utf-8")
        for message in MESSAGES:
            assert (console, at_root, 1) == (
                lines_with(done.stderr, message),
                received.count(message),
                lines_with(written, message),
            ), message

    def test_application_handlers_are_left_alone(self, tmp_path: Path) -> None:
        """
        A handler the application put on a torch logger before ``import torch`` stays,
        and sees each of that logger's records once.
        """
        code = """
            import logging
            seen = []
            class Mine(logging.Handler):
                def emit(self, record):
                    seen.append(record.getMessage())
            mine = Mine()
            logging.getLogger("torch._dynamo").addHandler(mine)
            import logdial.pytorch; logdial.pytorch.install()
            import torch
            torch._logging.set_logs(dynamo=logging.INFO)
            logging.getLogger("torch._dynamo.x").info("hello")
            print(mine in logging.getLogger("torch._dynamo").handlers, seen)
        """
        done = run_python("-c", textwrap.dedent(code), cwd=tmp_path)
        assert (0, "True ['hello']\n") == done[:2]
        assert 1 == lines_with(done.stderr, "hello")


#: torch's test harness, in our words: for every registered logger, each of its handlers
#: gets its ``emit`` patched by a closure that calls the handler's ``emit`` *as the loop
#: left it* (late binding: the last handler's), then collects the record.
WATCHER_SCRIPT = """
    import json, logging, unittest.mock, contextlib
    import logdial.pytorch; logdial.pytorch.install()
    import torch
    import torch._logging._internal as internal

    collected = []
    with contextlib.ExitStack() as stack:
        for name in internal.log_registry.get_log_qnames():
            logger = logging.getLogger(name)
            assert 0 < len(logger.handlers) <= 2, (name, logger.handlers)
            for handler in logger.handlers:
                previous = handler.emit

                def watching(record):
                    previous(record)  # late-bound: whichever handler the loops ended on
                    collected.append(record.getMessage())

                stack.enter_context(unittest.mock.patch.object(handler, "emit", watching))
        torch._logging.set_logs(dynamo=logging.INFO, aot=logging.INFO)
        logging.getLogger("torch._dynamo.a").info("one")
        logging.getLogger("torch._functorch.aot_autograd").info("two")
    print(json.dumps(collected))
"""


class TestHarnessPatchesEmit:
    """
    torch's harness (``_handler_watcher``) patches ``emit`` on every handler of every
    registered logger with a late-bound closure: any handler must be able to write any
    record, and no handler object may be patched twice (it would recurse).
    """

    @pytest.mark.parametrize("out", [False, True], ids=["console", "console+TORCH_LOGS_OUT"])
    def test_watched_records(self, tmp_path: Path, out: bool) -> None:
        """
        Each record is collected once per handler its logger carries, and written.
        """
        script = str(write(tmp_path / "watch.py", WATCHER_SCRIPT))
        log = tmp_path / "torch.log"
        done = run_python(script, cwd=tmp_path, **({"TORCH_LOGS_OUT": str(log)} if out else {}))
        assert 0 == done.returncode, done.stderr
        per_record = 2 if out else 1
        assert ["one"] * per_record + ["two"] * per_record == json.loads(done.stdout.splitlines()[-1])
        written = done.stderr + (log.read_text(encoding="utf-8") if out else "")
        assert per_record == lines_with(written, "one") == lines_with(written, "two")


RESTYLE_SCRIPT = """
    import logging
    import logdial.pytorch; logdial.pytorch.install()
    import torch

    for handler in logging.getLogger("torch._dynamo").handlers:
        handler.setFormatter(logging.Formatter("DYNAMO %(levelname)s %(name)s: %(message)s"))
    torch._logging.set_logs(dynamo=logging.INFO, inductor=logging.INFO)
    logging.getLogger("torch._dynamo.convert_frame").info("restyled \\x1b[2Jscreen")
    logging.getLogger("torch._inductor.graph").info("unchanged")
"""


class TestRestyle:
    """
    A formatter set on the handlers of a torch logger restyles that logger's records.
    """

    def test_formatter_on_dynamo_handlers(self, tmp_path: Path) -> None:
        """
        The records of ``torch._dynamo`` (and below) take the user's layout; the other
        components keep logdial's. Off a terminal, text is kept as written.
        """
        script = str(write(tmp_path / "restyle.py", RESTYLE_SCRIPT))
        done = run_python(script, cwd=tmp_path)
        assert 0 == done.returncode, done.stderr
        lines = done.stderr.splitlines()
        assert "DYNAMO INFO torch._dynamo.convert_frame: restyled \x1b[2Jscreen" in lines
        assert 1 == lines_with(done.stderr, "unchanged")

    def test_escaping_on_a_terminal_under_a_users_formatter(self, tmp_path: Path) -> None:
        """
        On a terminal the user's formatter is given the record with its control
        characters escaped: ``\\x1b[2J`` cannot clear the screen.
        """
        script = str(write(tmp_path / "restyle.py", RESTYLE_SCRIPT))
        shown = stderr_on_a_terminal([script], tmp_path)
        assert "DYNAMO INFO torch._dynamo.convert_frame: restyled \\x1b[2Jscreen" in shown
        assert "\x1b[2J" not in shown


#: A function Dynamo recompiles (a new dtype breaks its guards), after ``setup``.
RECOMPILE_SCRIPT = """
    import logging
    import logdial.pytorch; logdial.pytorch.install()
    import torch
    import torch._logging._internal as internal

    {setup}
    print("enabled:", internal.log_state.is_artifact_enabled("recompiles"), flush=True)
    f = torch.compile(lambda x: x + 1, backend="eager")
    f(torch.ones(2))
    f(torch.ones(2, dtype=torch.float64))
"""


class TestSwappedLogState:
    """
    torch's code asks ``torch._logging._internal.log_state`` whether to work out recompile
    reasons at all; torch's harness swaps a ``LogState()`` of its own in first.
    """

    @pytest.mark.parametrize(
        "setup",
        [
            # the harness's log_api: a fresh state, then set_logs
            "internal._set_log_state(internal.LogState()); torch._logging.set_logs(recompiles=True)",
            # a state swapped in by assignment, then set_logs
            "internal.log_state = internal.LogState(); torch._logging.set_logs(recompiles=True)",
            # a state that asks for the artifact, applied by _init_logs as torch applies it
            "state = internal.LogState(); state.enable_artifact('recompiles'); "
            "internal._set_log_state(state); internal._init_logs()",
        ],
        ids=["set_log_state", "assignment", "state-with-settings"],
    )
    def test_recompile_reasons_after_a_swap(self, tmp_path: Path, setup: str) -> None:
        """
        The recompile reasons are logged: torch's question gets logdial's answer.
        """
        script = str(write(tmp_path / "recompile.py", RECOMPILE_SCRIPT.format(setup=setup)))
        done = run_python(script, cwd=tmp_path)
        assert (0, "enabled: True\n") == done[:2], done.stderr
        assert "[__recompiles] Recompiling function <lambda>" in done.stderr
        assert "tensor 'x' dtype mismatch" in done.stderr

    def test_swap_back_keeps_logdials_state(self, tmp_path: Path) -> None:
        """
        ``_get_log_state()`` is logdial's live state; after the harness's swap and restore
        the settings in force answer again.
        """
        code = """
            import logdial.pytorch; logdial.pytorch.install()
            import torch
            import torch._logging._internal as internal
            previous = internal._get_log_state()
            internal._set_log_state(internal.LogState())
            torch._logging.set_logs("recompiles")
            during = internal.log_state.is_artifact_enabled("recompiles")
            internal._set_log_state(previous)
            internal._init_logs()
            print(type(previous).__name__, during, internal.log_state.is_artifact_enabled("recompiles"))
        """
        assert (0, "LiveLogState True False\n", "") == run_python("-c", textwrap.dedent(code), cwd=tmp_path)


#: One record from a torch logger, one from an artifact; the output is in the variables.
VARIABLES_SCRIPT = """
    import logging
    import torch

    torch._logging.set_logs(dynamo=logging.INFO, guards=True) if {api} else None
    logging.getLogger("torch._dynamo.convert_frame").info("an info record")
    logging.getLogger("torch._dynamo.convert_frame").error("an error record")
    torch._logging.getArtifactLogger("torch._dynamo.guards", "guards").debug("a guards record")
"""


def run_logdial(tmp_path: Path, api: bool = False, **variables: str) -> Output:
    """
    The variables script under ``python -m logdial.pytorch``, with ``variables``.
    """
    script = str(write(tmp_path / "variables.py", VARIABLES_SCRIPT.format(api=api)))
    return run_python("-m", "logdial.pytorch", script, cwd=tmp_path, **variables)


class TestTorchLogsVariables:
    """
    Every ``TORCH_LOGS_*`` variable the README documents works under the takeover.
    """

    def test_format_json_crashes_plain_torch(self, tmp_path: Path) -> None:
        """
        torch builds a ``logging.Formatter`` of ``TORCH_LOGS_FORMAT`` at import: ``json`` fails there.
        """
        done = run_python("-c", "import torch", cwd=tmp_path, plain=True, TORCH_LOGS_FORMAT="json")
        assert 1 == done.returncode
        assert "ValueError: Invalid format 'json'" in done.stderr

    def test_format_json(self, tmp_path: Path) -> None:
        """
        ``TORCH_LOGS_FORMAT=json``: logdial's JSON lines, with the component and artifact.
        """
        done = run_logdial(tmp_path, TORCH_LOGS="dynamo,guards", TORCH_LOGS_FORMAT="json")
        assert 0 == done.returncode, done.stderr
        records = [json.loads(line) for line in done.stderr.splitlines()]
        shown = [(r["level"], r["logger"], r["component"], r["artifact"], r["message"]) for r in records]
        assert [
            ("INFO", "torch._dynamo.convert_frame", "dynamo", None, "an info record"),
            ("ERROR", "torch._dynamo.convert_frame", "dynamo", None, "an error record"),
            ("DEBUG", "torch._dynamo.guards.__guards", "dynamo", "guards", "a guards record"),
        ] == shown

    @pytest.mark.parametrize("value", ["short", "%(levelname)s|%(name)s|%(artifact)s|%(message)s"])
    def test_format(self, tmp_path: Path, value: str) -> None:
        """
        ``TORCH_LOGS_FORMAT`` as a name or a format using logdial's own fields (torch
        would fail on ``%(artifact)s`` at every record).
        """
        done = run_logdial(tmp_path, TORCH_LOGS="dynamo", TORCH_LOGS_FORMAT=value)
        assert 0 == done.returncode, done.stderr
        layout = (
            "{}:torch._dynamo.convert_frame:an {} record"
            if value == "short"
            else "{}|torch._dynamo.convert_frame||an {} record"
        )
        assert [layout.format("INFO", "info"), layout.format("ERROR", "error")] == done.stderr.splitlines()

    @pytest.mark.parametrize("console", ["stdout", "none"])
    def test_console(self, tmp_path: Path, console: str) -> None:
        """
        ``TORCH_LOGS_CONSOLE``: the records on stdout, or only in ``TORCH_LOGS_OUT``.
        """
        log = tmp_path / "torch.log"
        done = run_logdial(tmp_path, TORCH_LOGS="dynamo", TORCH_LOGS_CONSOLE=console, TORCH_LOGS_OUT=str(log))
        assert (0, "") == (done.returncode, done.stderr)
        assert (1 if console == "stdout" else 0) == lines_with(done.stdout, "an info record")
        assert 1 == lines_with(log.read_text(encoding="utf-8"), "an info record")

    def test_out_template(self, tmp_path: Path) -> None:
        """
        ``TORCH_LOGS_OUT`` with ``%r`` and ``%p``: one file, each record once.
        """
        done = run_logdial(tmp_path, TORCH_LOGS="dynamo", TORCH_LOGS_OUT=str(tmp_path / "run_%r_%p.log"), RANK="3")
        assert 0 == done.returncode, done.stderr
        (log,) = tmp_path.glob("run_3_*.log")
        assert 1 == lines_with(log.read_text(encoding="utf-8"), "an info record")

    @pytest.mark.parametrize(
        ("others", "shown"),
        [(None, ["an error record"]), ("silent", []), ("info", ["an info record", "an error record"])],
    )
    def test_ranks(self, tmp_path: Path, others: str | None, shown: list[str]) -> None:
        """
        ``TORCH_LOGS_RANKS=0`` on rank 1: errors only by default, nothing when
        ``TORCH_LOGS_RANKS_OTHERS=silent``, the level it names otherwise.
        """
        variables = {"TORCH_LOGS": "dynamo", "TORCH_LOGS_RANKS": "0", "RANK": "1"}
        if others is not None:
            variables["TORCH_LOGS_RANKS_OTHERS"] = others
        done = run_logdial(tmp_path, **variables)
        assert 0 == done.returncode, done.stderr
        assert [m for m in ("an info record", "an error record") if lines_with(done.stderr, m)] == shown
        assert all(line.startswith("[rank1]:") for line in done.stderr.splitlines())

    def test_strict(self, tmp_path: Path) -> None:
        """
        ``TORCH_LOGS_STRICT=1``: an invalid ``TORCH_LOGS_RANKS`` raises at import.
        """
        done = run_logdial(tmp_path, TORCH_LOGS_RANKS="zero", TORCH_LOGS_STRICT="1")
        assert 1 == done.returncode
        assert "logdial.SettingsError: invalid TORCH_LOGS_RANKS='zero'" in done.stderr

    @pytest.mark.parametrize("no_color", [False, True])
    def test_no_color(self, tmp_path: Path, no_color: bool) -> None:
        """
        On a terminal the level letter is coloured, unless ``NO_COLOR`` is set.
        """
        script = str(write(tmp_path / "variables.py", VARIABLES_SCRIPT.format(api=False)))
        variables = {"TORCH_LOGS": "dynamo", **({"NO_COLOR": "1"} if no_color else {})}
        shown = stderr_on_a_terminal(["-m", "logdial.pytorch", script], tmp_path, **variables)
        assert "an info record" in shown
        assert no_color is ("\x1b[" not in shown)


class TestArtifactFormat:
    """
    An artifact registered with ``log_format=""`` logs the message alone, as in torch.
    """

    def test_torchs_custom_format_artifact(self, tmp_path: Path) -> None:
        """
        torch registers ``custom_format_test_artifact`` with ``log_format=""``.
        """
        code = """
            import torch
            torch._logging.getArtifactLogger("torch._dynamo.x", "custom_format_test_artifact").debug("bare %s", 1)
        """
        variables = {"TORCH_LOGS": "custom_format_test_artifact"}  # torch's set_logs has no keyword for it
        plain = run_python("-c", textwrap.dedent(code), cwd=tmp_path, plain=True, **variables)
        taken = run_python("-m", "logdial.pytorch", str(write(tmp_path / "fmt.py", code)), cwd=tmp_path, **variables)
        assert (0, "", "bare 1\n") == plain == taken

    def test_registered_after_import(self, tmp_path: Path) -> None:
        """
        A library's ``register_artifact(..., log_format="")`` after ``import torch``.
        """
        code = """
            import logging
            import logdial.pytorch; logdial.pytorch.install()
            import torch
            import torch._logging._internal as internal
            internal.register_artifact("mine", "Mine.", log_format="")
            torch._logging.set_logs(mine=True)
            torch._logging.getArtifactLogger("torch._dynamo.x", "mine").debug("just this")
        """
        assert (0, "", "just this\n") == run_python("-c", textwrap.dedent(code), cwd=tmp_path)


def logdial_command(tmp_path: Path, *args: str, **variables: str) -> Output:
    """
    ``logdial ARGS`` (the installed command) in ``tmp_path``.
    """
    command = str(Path(sys.executable).parent / "logdial")
    done = subprocess.run(
        [command, *args],
        capture_output=True,
        encoding="utf-8",
        cwd=tmp_path,
        env=child_environ(**variables),
        timeout=TIMEOUT,
        check=False,
    )
    return Output(done.returncode, done.stdout, done.stderr)


class TestCommandKnowsTorch:
    """
    Where torch is installed, the ``logdial`` command has a system ``torch``: torch's real registry.
    """

    def test_list(self, tmp_path: Path) -> None:
        """
        ``logdial list`` shows torch, with its counts, and labels the demo as the demo.
        """
        done = logdial_command(tmp_path, "list")
        assert 0 == done.returncode, done.stderr
        lines = done.stdout.splitlines()
        (torch_line,) = [line for line in lines if line.startswith("torch: ")]
        assert "(logdial.pytorch._command:system, from logdial)" in torch_line
        components = int(torch_line.split()[1])
        assert components > 15
        demo = lines.index(next(line for line in lines if line.startswith("minitorch: ")))
        assert "  logdial's demo: its variables are read only by `python -m logdial.demo`" == lines[demo + 2]

    def test_help(self, tmp_path: Path) -> None:
        """
        ``logdial help torch``: the help ``TORCH_LOGS=help`` prints under the takeover.
        """
        done = logdial_command(tmp_path, "help", "torch")
        assert 0 == done.returncode, done.stderr
        assert done.stdout.startswith("torch logging is set with TORCH_LOGS: a comma-separated list")
        assert "  recompiles " in done.stdout

    def test_explain(self, tmp_path: Path) -> None:
        """
        ``logdial explain torch "+dynamo"``: the table, for torch's real loggers.
        """
        done = logdial_command(tmp_path, "explain", "torch", "+dynamo")
        assert 0 == done.returncode, done.stderr
        lines = done.stdout.splitlines()
        assert "torch: TORCH_LOGS='+dynamo'" == lines[0]
        assert any(line.split()[:3] == ["dynamo", "torch._dynamo", "DEBUG"] for line in lines), done.stdout

    def test_explain_with_logdial_settings_in_the_environment(self, tmp_path: Path) -> None:
        """
        ``logdial explain torch`` reads ``TORCH_LOGS`` (settings plain torch would refuse
        at import) and explains them on torch's registry.
        """
        done = logdial_command(tmp_path, "explain", "torch", "--json", TORCH_LOGS="+dynamo,guards=off")
        assert 0 == done.returncode, done.stderr
        report = json.loads(done.stdout)
        assert ("torch", "TORCH_LOGS", "+dynamo,guards=off", "environment") == (
            report["system"],
            report["variable"],
            report["settings"],
            report["source"],
        )
        levels = {row["logger"]: row["level_name"] for c in report["components"] for row in c["loggers"]}
        assert ("debug", "warning") == (levels["torch._dynamo"], levels["torch"])
