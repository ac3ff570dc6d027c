"""
logdial.pytorch on the real torch (2.13.0), without compiling: install() before and after
``import torch``, what it makes of TORCH_LOGS at import (typos, help, the empty value),
torch._logging.set_logs under logdial, the fail-safe on other internals, the .pth line
and ``python -m logdial.pytorch``. Every case runs in a fresh interpreter, as users do;
the tests never import torch themselves. The compile tests are in test_pytorch_compile.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.subprocesses import Output, child_environ

pytestmark = pytest.mark.torch

#: One log line, in torch's format and in logdial's: level letter, date, time, pid, path:line],
#: then torch's compile id (``[0/0]``, ``[0/0_1]``, ``[!0/-/-]``) and ``[__artifact]`` if any.
RECORD = re.compile(
    r"^(?:\[rank\d+\]:)?(?P<level>[VIWEC])\d{4} \d\d:\d\d:\d\d\.\d{6} \d+ (?P<where>\S+?:\d+)\]"
    r"(?: (?P<trace>\[!?[0-9/_-]+\]))?(?: \[__(?P<artifact>\w+)\])?(?: |$)"
)
#: A record, normalised: (level letter, path:line, compile id or "", artifact or "").
Key = tuple[str, str, str, str]

TIMEOUT = 240  # seconds; a loaded machine imports torch in several


def run_python(*args: str, cwd: Path, plain: bool = False, timeout: float = TIMEOUT, **variables: str) -> Output:
    """
    ``python ARGS`` in ``cwd`` with the logging variables cleared, then ``variables`` set.

    ``plain``: a run of torch alone, which coverage (``make pytest`` measures subprocesses)
    must not measure: it would warn on stderr that logdial was never imported, and torch
    run under coverage's tracer computes other inductor cache keys than without it.
    """
    env = child_environ(**variables)
    if plain:
        env = {k: v for k, v in env.items() if not k.startswith("COVERAGE_PROCESS_")}
    done = subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        encoding="utf-8",
        env=env,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )
    return Output(done.returncode, done.stdout, done.stderr)


def records(text: str) -> set[Key]:
    """
    The records of ``text`` (every line of a multi-line record gives the same key).
    """
    keys = set()
    for line in text.splitlines():
        match = RECORD.match(line)
        if match is not None:
            keys.add((match["level"], match["where"], match["trace"] or "", match["artifact"] or ""))
    return keys


def other_lines(text: str) -> list[str]:
    """
    The lines of ``text`` that are not log records (notices, tracebacks, bare warnings).
    """
    return [line for line in text.splitlines() if RECORD.match(line) is None]


def write(path: Path, code: str) -> Path:
    """
    Write ``code`` (dedented) to ``path`` and return the path.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(code).lstrip(), encoding="utf-8")
    return path


def line_of(code: str, text: str) -> int:
    """
    The number of the line of ``code`` (as ``write`` writes it) that holds ``text``.
    """
    lines = textwrap.dedent(code).lstrip().splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def last_json(output: Output) -> dict[str, object]:
    """
    The JSON object a script printed last on stdout, on a line of its own (failing with
    its stderr if none).
    """
    lines = [line for line in output.stdout.splitlines() if line.startswith("{")]
    assert lines, output.stderr
    data = json.loads(lines[-1])
    assert isinstance(data, dict)
    return data


#: What plain torch registers, read by a plain interpreter (no logdial).
REGISTRY_SCRIPT = """
    import json
    import torch._logging._internal as internal

    r = internal.log_registry
    print(json.dumps({
        "components": {a: list(q) for a, q in r.log_alias_to_log_qnames.items()},
        "artifacts": sorted(r.artifact_names),
        "visible": sorted(r.visible_artifacts),
        "off": sorted(r.off_by_default_artifact_names),
    }))
"""


@pytest.fixture(scope="module")
def torch_registry(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """
    torch's own registry, as torch (without logdial) has it after ``import torch``.
    """
    where = tmp_path_factory.mktemp("registry")
    return last_json(run_python(str(write(where / "registry.py", REGISTRY_SCRIPT)), cwd=where, plain=True))


class TestImportCost:
    """
    Nothing is imported before it is needed: not logdial.pytorch by logdial, not torch by install().
    """

    def test_logdial_does_not_import_it(self, tmp_path: Path) -> None:
        """
        ``import logdial`` leaves logdial.pytorch (and torch) unimported.
        """
        code = "import sys, logdial; print(sorted(m for m in sys.modules if 'pytorch' in m or m == 'torch'))"
        assert (0, "[]\n") == run_python("-c", code, cwd=tmp_path)[:2]

    def test_public_names(self) -> None:
        """
        ``logdial.pytorch.__all__`` names its four public names (importing it does nothing).
        """
        import logdial.pytorch

        assert ["TESTED_TORCH_VERSIONS", "get_system", "install", "set_trace_dir"] == sorted(logdial.pytorch.__all__)
        assert all(hasattr(logdial.pytorch, name) for name in logdial.pytorch.__all__)
        assert ("2.13.0",) == logdial.pytorch.TESTED_TORCH_VERSIONS

    def test_install_before_import_places_a_hook_only(self, tmp_path: Path) -> None:
        """
        Before ``import torch``, install() imports neither torch nor the bridge (the part
        that needs logdial's core): it only puts its finder first in sys.meta_path.
        """
        code = """
            import json, sys
            import logdial.pytorch
            installed = logdial.pytorch.install()
            again = logdial.pytorch.install()
            print(json.dumps({
                "installed": [installed, again],
                "imported": sorted(m for m in sys.modules if m.split(".")[0] == "torch" or m.endswith("_bridge")),
                "first_finder": type(sys.meta_path[0]).__name__,
                "hooks": sum(type(f).__name__ == "TorchLoggingHook" for f in sys.meta_path),
                "system": logdial.pytorch.get_system(),
            }))
        """
        report = last_json(run_python("-c", textwrap.dedent(code), cwd=tmp_path))
        expected = {"installed": [True, True], "imported": [], "first_finder": "TorchLoggingHook", "hooks": 1}
        assert {**expected, "system": None} == report


PRINT_LEVEL = """
    import logging
    import torch

    print(logging.getLogger("torch._dynamo").getEffectiveLevel())
"""

TYPO_NOTICE = (
    "invalid TORCH_LOGS='dynamoo,+dynamo': 'dynamoo' at position 0: not a registered component or artifact, "
    "nor a module or logger; did you mean 'dynamo' or 'dynamic'?"
)


class TestTorchLogsAtImport:
    """
    TORCH_LOGS is read by logdial where torch would read it, at the end of ``import torch``.
    """

    def test_typo_is_reported_and_the_program_goes_on(self, tmp_path: Path) -> None:
        """
        torch aborts ``import torch`` with a ValueError listing every name; under
        logdial the typo gets a suggestion, the valid item applies, the script runs on.
        """
        script = str(write(tmp_path / "level.py", PRINT_LEVEL))
        torch_run = run_python(script, cwd=tmp_path, plain=True, TORCH_LOGS="dynamoo,+dynamo")
        assert 1 == torch_run.returncode
        assert "ValueError: \nInvalid log settings: dynamoo,+dynamo, must be a comma separated list" in torch_run.stderr
        logdial_run = run_python("-m", "logdial.pytorch", script, cwd=tmp_path, TORCH_LOGS="dynamoo,+dynamo")
        assert (0, "10\n") == logdial_run[:2]
        assert TYPO_NOTICE == logdial_run.stderr.splitlines()[0]
        assert [] == [line for line in logdial_run.stderr.splitlines() if "Traceback" in line]

    @pytest.mark.parametrize("value", ["help", "+help"])
    def test_help_prints_logdials_help_and_exits_0(
        self, tmp_path: Path, value: str, torch_registry: dict[str, object]
    ) -> None:
        """
        ``TORCH_LOGS=help`` prints logdial's help for torch's registry on stderr and ends
        the program with status 0 (torch raises a ValueError): the visible artifacts for
        ``help``, every one for ``+help``; the script itself does not run.
        """
        script = str(write(tmp_path / "level.py", PRINT_LEVEL))
        done = run_python("-m", "logdial.pytorch", script, cwd=tmp_path, TORCH_LOGS=value)
        assert (0, "") == done[:2]
        assert done.stderr.startswith("torch logging is set with TORCH_LOGS: a comma-separated list")
        listed = {line.split()[0] for line in done.stderr.splitlines() if line.startswith("  ") and line.strip()}
        components = torch_registry["components"]
        artifacts, visible = torch_registry["artifacts"], torch_registry["visible"]
        assert isinstance(components, dict)
        assert isinstance(artifacts, list)
        assert isinstance(visible, list)
        assert set(components) - {"json"} <= listed
        shown = set(artifacts if value == "+help" else visible)
        assert shown == {name for name in artifacts if name in listed}

    def test_empty_value_is_the_defaults(self, tmp_path: Path) -> None:
        """
        ``TORCH_LOGS=""`` makes ``import torch`` fail with an AttributeError in torch;
        under logdial it means the defaults.
        """
        script = str(write(tmp_path / "level.py", PRINT_LEVEL))
        torch_run = run_python(script, cwd=tmp_path, plain=True, TORCH_LOGS="")
        assert 1 == torch_run.returncode
        assert "AttributeError: 'dict' object has no attribute 'get_log_level_pairs'" in torch_run.stderr
        assert (0, "30\n", "") == run_python("-m", "logdial.pytorch", script, cwd=tmp_path, TORCH_LOGS="")

    def test_strict_mode_raises(self, tmp_path: Path) -> None:
        """
        ``TORCH_LOGS_STRICT=1`` asks for an invalid TORCH_LOGS to raise: then, and only
        then, ``import torch`` fails, with logdial's SettingsError.
        """
        script = str(write(tmp_path / "level.py", PRINT_LEVEL))
        done = run_python("-m", "logdial.pytorch", script, cwd=tmp_path, TORCH_LOGS="dynamoo", TORCH_LOGS_STRICT="1")
        assert 1 == done.returncode
        assert "logdial.SettingsError: invalid TORCH_LOGS='dynamoo'" in done.stderr

    def test_missing_log_directory_is_reported(self, tmp_path: Path) -> None:
        """
        A TORCH_LOGS_OUT in a directory that does not exist makes ``import torch`` fail
        in torch (FileNotFoundError); logdial says so once and logs to the console.
        """
        script = str(write(tmp_path / "level.py", PRINT_LEVEL))
        missing = str(tmp_path / "no" / "such" / "dir" / "torch.log")
        torch_run = run_python(script, cwd=tmp_path, plain=True, TORCH_LOGS="+dynamo", TORCH_LOGS_OUT=missing)
        assert 1 == torch_run.returncode
        assert "FileNotFoundError" in torch_run.stderr
        done = run_python("-m", "logdial.pytorch", script, cwd=tmp_path, TORCH_LOGS="+dynamo", TORCH_LOGS_OUT=missing)
        assert (0, "10\n") == done[:2]
        assert [f"TORCH_LOGS_OUT={missing}: cannot open the log file (No such file or directory); "
                "logging to the console only"] == other_lines(done.stderr)  # fmt: skip


AFTER_IMPORT = """
    import json
    import logging
    import sys

    import torch
    import torch._logging._internal as internal
    from torch._logging import set_logs as torch_set_logs  # a reference taken before install()

    user_handler = logging.StreamHandler(sys.stdout)  # the application's: it must stay
    logging.getLogger("torch._dynamo").addHandler(user_handler)
    torch_handlers = list(internal.handlers)
    loggers = [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]

    import logdial.pytorch

    installed = logdial.pytorch.install()
    system = logdial.pytorch.get_system()
    logdial.pytorch.install()  # again: nothing changes
    owners = {
        lg.name: [type(h).__name__ for h in lg.handlers]
        for lg in [logging.getLogger(), *loggers] if lg.handlers and lg.name.split(".")[0] in ("root", "torch")
    }
    print(json.dumps({
        "installed": installed,
        "same_system": logdial.pytorch.get_system() is system,
        "torch_handlers_left": sum(h in lg.handlers for lg in loggers for h in torch_handlers),
        "handlers": owners,
        "registered": sorted(internal.log_registry.get_log_qnames()),
        "set_logs": type(torch._logging.set_logs).__name__,
    }))
    logging.getLogger("torch._dynamo.mine").info("not shown: dynamo is at WARNING")
    torch._logging.set_logs("+dynamo")
    logging.getLogger("torch._dynamo.mine").debug("shown after set_logs")
    torch_set_logs(aot=logging.INFO, graph_code=True)  # torch's own function: it reaches logdial too
    print(json.dumps({"levels": dict(system.settings.levels), "artifacts": sorted(system.settings.artifacts)}))
"""


class TestInstallAfterImport:
    """
    In a notebook that already imported torch, install() takes over at once.
    """

    def test_takes_over_torchs_handlers_only(self, tmp_path: Path) -> None:
        """
        torch's handlers are gone from every logger but its trace logger's; the
        application's handler stays; each logger torch registers carries a console
        handler of logdial's, as it carried torch's; calling install() again changes
        nothing; set_logs then works on logdial's system, and so does torch's own set_logs
        through a reference taken before install().
        """
        done = run_python(str(write(tmp_path / "after.py", AFTER_IMPORT)), cwd=tmp_path)
        report, stale = (json.loads(line) for line in done.stdout.splitlines() if line.startswith("{"))
        registered = report.pop("registered")
        assert "torch" in registered
        assert "torch._dynamo" in registered
        assert {
            "installed": True,
            "same_system": True,
            "torch_handlers_left": 1,  # the LazyTraceHandler on torch.__trace: TORCH_TRACE stays torch's
            "handlers": {
                **{name: ["ConsoleHandler"] for name in registered},
                "torch._dynamo": ["StreamHandler", "ConsoleHandler"],  # the application's, then logdial's
                "torch.__trace": ["LazyTraceHandler"],
                "torch.fx.passes.utils.matcher_utils": ["StreamHandler"],  # that module's own, not torch._logging's
            },
            "set_logs": "TorchSetLogs",
        } == report  # fmt: skip
        lines = done.stderr.splitlines()
        assert 1 == len(lines), done.stderr
        line = line_of(AFTER_IMPORT, '.debug("shown after set_logs")')
        assert re.fullmatch(rf"V\d{{4}} [\d:.]+ \d+ after\.py:{line}\] shown after set_logs", lines[0])
        assert "shown after set_logs" == done.stdout.splitlines()[1]  # the application's handler had it too
        aot = {"torch._functorch.aot_autograd": 20, "torch._functorch._aot_autograd": 20}
        assert {"levels": aot, "artifacts": ["graph_code"]} == stale


SET_LOGS = """
    import inspect
    import json
    import logging
    import warnings

    import logdial
    import logdial.pytorch
    import torch
    import torch._logging._internal as internal

    logdial.pytorch.install()
    system = logdial.pytorch.get_system()
    set_logs = torch._logging.set_logs
    out = {}

    def state():
        return {"levels": dict(system.settings.levels), "artifacts": sorted(system.settings.artifacts),
                "disabled": sorted(system.settings.disabled)}

    set_logs("+dynamo,guards=off")
    out["string"] = state()
    out["live_guards"] = internal.log_state.is_artifact_enabled("guards")
    set_logs(inductor=logging.INFO, modules={"schedule": True, "aot": logging.DEBUG, "json": logging.ERROR})
    out["keywords"] = state()
    out["live_schedule"] = internal.log_state.is_artifact_enabled("schedule")
    with system.override("recompiles"):
        out["live_in_override"] = internal.log_state.is_artifact_enabled("recompiles")
    out["live_after_override"] = internal.log_state.is_artifact_enabled("recompiles")
    set_logs(**torch._logging.DEFAULT_LOGGING)
    out["default_logging"] = system.settings.to_string()
    set_logs()
    out["reset"] = state()
    for bad in ({"dynamoo": logging.DEBUG}, {"dynamo": "loud"}, {"guards": 1}):
        try:
            set_logs(**bad)
        except ValueError as exc:
            out.setdefault("errors", []).append([type(exc).__name__, str(exc).splitlines()[0].split(" accepted: ")[0]])
    out["signature"] = list(inspect.signature(set_logs).parameters)
    internal.register_artifact("my_artifact", "An artifact registered at run time.", off_by_default=True)
    art = torch._logging.getArtifactLogger("torch._dynamo.mine", "my_artifact")
    art.debug("hidden: off by default")
    set_logs(my_artifact=True)
    art.debug("shown: named")
    try:
        torch._logging.getArtifactLogger("torch._dynamo.mine", "not_registered")
    except ValueError as exc:
        out["unregistered"] = str(exc)
    print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def set_logs_run(tmp_path_factory: pytest.TempPathFactory) -> Output:
    """
    One interpreter that calls torch._logging.set_logs every way, and reports.
    """
    where = tmp_path_factory.mktemp("set_logs")
    return run_python(str(write(where / "set_logs.py", SET_LOGS)), cwd=where)


class TestSetLogs:
    """
    torch._logging.set_logs acts on logdial's system, with torch's keywords and logdial's string form.
    """

    DYNAMO = ("torch._dynamo", "torch.fx.experimental.symbolic_shapes", "torch.fx.experimental.sym_node",
              "torch.fx.experimental.recording")  # fmt: skip

    def test_string_form(self, set_logs_run: Output) -> None:
        """
        ``set_logs("+dynamo,guards=off")``: the grammar of TORCH_LOGS, extensions included;
        torch's code asking whether guards were named hears no.
        """
        report = last_json(set_logs_run)
        assert {"levels": dict.fromkeys(self.DYNAMO, 10), "artifacts": [], "disabled": ["guards"]} == report["string"]
        assert False is report["live_guards"]

    def test_keywords_and_modules(self, set_logs_run: Output) -> None:
        """
        Keywords as torch takes them; in ``modules=``, aliases and artifacts are taken as
        keywords (as torch does) and other names as modules. Not cumulative.
        """
        report = last_json(set_logs_run)
        levels = {
            "torch._inductor": 20,
            "torch._inductor.cudagraph_trees": 20,
            "torch._functorch.aot_autograd": 10,
            "torch._functorch._aot_autograd": 10,
            "json": 40,
        }
        assert {"levels": levels, "artifacts": ["schedule"], "disabled": []} == report["keywords"]
        assert True is report["live_schedule"]

    def test_log_state_follows_override(self, set_logs_run: Output) -> None:
        """
        torch's ``log_state.is_artifact_enabled`` answers from the settings in force,
        so an ``override`` block turns on what torch's code computes for an artifact.
        """
        report = last_json(set_logs_run)
        assert (True, False) == (report["live_in_override"], report["live_after_override"])

    def test_default_logging_and_reset(self, set_logs_run: Output) -> None:
        """
        ``set_logs(**torch._logging.DEFAULT_LOGGING)`` works; ``set_logs()`` restores the defaults.
        """
        report = last_json(set_logs_run)
        expected = "dynamo=info,aot=info,inductor=info,fsdp=info,ddp_graphs=on,graph_breaks=on,side_effects=on,"
        assert expected + "guards=on,recompiles=on,dynamic=info" == report["default_logging"]
        assert {"levels": {}, "artifacts": [], "disabled": []} == report["reset"]

    def test_errors_name_the_culprit(self, set_logs_run: Output) -> None:
        """
        Unknown names and wrong types raise logdial's SettingsError (a ValueError, as
        torch raises), naming the key, with a suggestion.
        """
        report = last_json(set_logs_run)
        where = "invalid set_logs() settings: "
        assert [
            ["SettingsError", where + "dynamoo=10: unknown keyword; did you mean 'dynamo' or 'dynamic'?"],
            [
                "SettingsError",
                where
                + "dynamo='loud': must be a level (an int such as logging.DEBUG, or a name such as 'debug') or None",
            ],
            ["SettingsError", where + "guards=1: must be True or False (or None)"],
        ] == report["errors"]

    def test_signature_has_every_registered_name(self, set_logs_run: Output, torch_registry: dict[str, object]) -> None:
        """
        ``inspect.signature(torch._logging.set_logs)``: the settings string, ``all``, every
        component and artifact torch registers (torch's own lists 54 and misses 17), then
        ``modules``.
        """
        report = last_json(set_logs_run)
        components, artifacts = torch_registry["components"], torch_registry["artifacts"]
        assert isinstance(components, dict)
        assert isinstance(artifacts, list)
        expected = {"settings", "all", "modules", *components, *artifacts} - {"json"}
        signature = report["signature"]
        assert isinstance(signature, list)
        assert expected == set(signature)
        assert ["settings", "all"] == signature[:2]
        assert "modules" == signature[-1]

    def test_artifacts_registered_at_run_time(self, set_logs_run: Output) -> None:
        """
        An artifact registered with torch after install() is logdial's too: its logger
        is silent while off by default, shows ``[__my_artifact]`` once named; an
        unregistered artifact still gets torch's own error.
        """
        report = last_json(set_logs_run)
        lines = set_logs_run.stderr.splitlines()
        assert 1 == len(lines), set_logs_run.stderr
        line = line_of(SET_LOGS, "shown: named")
        assert re.fullmatch(rf"V\d{{4}} [\d:.]+ \d+ set_logs\.py:{line}\] \[__my_artifact\] shown: named", lines[0])
        assert (
            "Artifact name: 'not_registered' not registered,please call register_artifact('not_registered') in "
            "torch._logging.registrations."
        ) == report["unregistered"]

    def test_ignored_while_the_variable_is_set(self, tmp_path: Path) -> None:
        """
        As in torch, TORCH_LOGS wins over set_logs; logdial warns once (torch on every call).
        """
        code = """
            import logging, warnings
            import torch
            warnings.simplefilter("always")
            torch._logging.set_logs(dynamo=logging.ERROR)
            torch._logging.set_logs(dynamo=logging.ERROR)
            print(logging.getLogger("torch._dynamo").level)
        """
        script = str(write(tmp_path / "precedence.py", code))
        done = run_python("-m", "logdial.pytorch", script, cwd=tmp_path, TORCH_LOGS="+dynamo")
        assert (0, "10\n") == done[:2]
        assert 1 == done.stderr.count("UserWarning: torch: set_logs() is ignored because TORCH_LOGS is set")


class TestFailSafe:
    """
    On a torch whose internals are not what logdial knows, install() changes nothing and says so in one line.
    """

    def test_missing_internal_after_import(self, tmp_path: Path) -> None:
        """
        ``handlers`` deleted from torch._logging._internal: install() returns False, says
        why in one line (with the tested version), and torch's logging is untouched.
        """
        code = """
            import logging
            import torch
            import torch._logging._internal as internal

            set_logs, handlers = torch._logging.set_logs, list(logging.getLogger("torch").handlers)
            del internal.handlers
            import logdial.pytorch

            print(logdial.pytorch.install(), logdial.pytorch.install(), logdial.pytorch.get_system())
            print(torch._logging.set_logs is set_logs, logging.getLogger("torch").handlers == handlers)
            logging.getLogger("torch._dynamo").warning("torch's handler, torch's format")
        """
        done = run_python(str(write(tmp_path / "missing.py", code)), cwd=tmp_path)
        assert (0, "False False None\nTrue True\n") == done[:2]
        lines = done.stderr.splitlines()
        assert [
            "logdial.pytorch: not installed, torch's own logging stays in charge: torch._logging._internal.handlers "
            "is missing or not a WeakSet (tested with torch 2.13.0; this is torch 2.13.0+cpu)"
        ] == lines[:1]
        line = line_of(code, "torch's handler, torch's format")
        assert re.fullmatch(rf"W\d{{4}} [\d:.]+000 \d+ missing\.py:{line}\] torch's handler, torch's format", lines[1])
        assert 2 == len(lines)

    def test_other_internal_before_import(self, tmp_path: Path) -> None:
        """
        Installed before ``import torch``, on a torch whose ``handlers`` is a plain set:
        the notice comes at import, then torch behaves as torch (its ValueError for a typo).
        """
        code = """
            import importlib.machinery
            import sys

            import logdial.pytorch

            class SetInsteadOfWeakSet:  # a torch of another shape, after its _internal has run
                def find_spec(self, name, path=None, target=None):
                    if name != "torch._logging._internal":
                        return None
                    spec = importlib.machinery.PathFinder.find_spec(name, path)
                    run = spec.loader.exec_module
                    def exec_module(module):
                        run(module)
                        module.handlers = set()
                    spec.loader.exec_module = exec_module
                    return spec

            print(logdial.pytorch.install())
            sys.meta_path.insert(0, SetInsteadOfWeakSet())
            import torch
        """
        done = run_python(str(write(tmp_path / "other.py", code)), cwd=tmp_path, TORCH_LOGS="dynamoo")
        assert (1, "True\n") == done[:2]
        assert done.stderr.startswith(
            "logdial.pytorch: not installed, torch's own logging stays in charge: torch._logging._internal.handlers "
            "is missing or not a WeakSet (tested with torch 2.13.0; this is torch 2.13.0+cpu)\nTraceback"
        )
        assert "ValueError: \nInvalid log settings: dynamoo, must be" in done.stderr

    def test_a_different_torch_package(self, tmp_path: Path) -> None:
        """
        A "torch" whose torch._logging has none of the internals: the hook still fires,
        logdial declines in one line, and that torch imports as it always did.
        """
        write(tmp_path / "fake" / "torch" / "__init__.py", "from torch import _logging\n_logging._init_logs()\n")
        write(tmp_path / "fake" / "torch" / "_logging" / "__init__.py", "def _init_logs():\n    print('own init')\n")
        code = "import sys; sys.path.insert(0, 'fake'); import logdial.pytorch; logdial.pytorch.install(); import torch"
        done = run_python("-c", code, cwd=tmp_path)
        assert (0, "own init\n") == done[:2]
        assert (
            "logdial.pytorch: not installed, torch's own logging stays in charge: torch._logging has no _internal "
            "module (tested with torch 2.13.0; this is torch unknown)\n"
        ) == done.stderr


PTH_LINE = "import _logdial_pth; _logdial_pth.install()"
#: The line earlier READMEs showed; a venv that has it keeps working.
EARLIER_PTH_LINE = "import logdial.pytorch; logdial.pytorch.install()"


class TestPermanent:
    """
    The README's .pth line installs logdial for every interpreter of an environment.
    """

    @pytest.mark.parametrize("line", [PTH_LINE, EARLIER_PTH_LINE], ids=["line", "earlier-line"])
    def test_pth_line(self, tmp_path: Path, line: str) -> None:
        """
        A site directory holding the line (today's, or the one earlier READMEs showed): the
        interpreter starts without torch or logdial's package, and ``import torch`` then
        goes through logdial (a typo does not abort it), with one hook however many lines.
        """
        assert f"echo '{PTH_LINE}'" in (ROOT / "README.md").read_text(encoding="utf-8")
        site = tmp_path / "site"
        write(site / "logdial-pytorch.pth", line + "\n")
        write(site / "other.pth", PTH_LINE + "\n")  # a second copy of the line does no harm
        code = f"""
            import site, sys
            site.addsitedir({str(site)!r})  # what the interpreter does with site-packages at start
            print(sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "logdial")))
            print(sum(type(f).__name__ == "TorchLoggingHook" for f in sys.meta_path))
            import torch
            print(type(torch._logging.set_logs).__name__)
        """
        done = run_python("-c", textwrap.dedent(code), cwd=tmp_path, TORCH_LOGS="dynamoo")
        loaded = "['logdial', 'logdial.pytorch']" if line == EARLIER_PTH_LINE else "[]"
        assert (0, f"{loaded}\n1\nTorchSetLogs\n") == done[:2]
        assert "did you mean 'dynamo' or 'dynamic'?" in done.stderr

    def test_the_line_after_import_torch(self, tmp_path: Path) -> None:
        """
        The line's ``install()`` run once torch's logging is imported takes over at once,
        as ``logdial.pytorch.install()`` does.
        """
        code = """
            import torch, _logdial_pth
            _logdial_pth.install()
            import logdial.pytorch
            print(logdial.pytorch.get_system().root)
        """
        done = run_python("-c", textwrap.dedent(code), cwd=tmp_path)
        assert (0, "torch\n", "") == done[:3]


ARGV = """
    import json, sys
    print(json.dumps({"argv": sys.argv, "name": __name__, "path0": sys.path[0], "file": __file__}))
"""


class TestRunner:
    """
    ``python -m logdial.pytorch SCRIPT [ARGS...]`` runs the script as ``python SCRIPT`` would.
    """

    def test_same_argv_path_and_name(self, tmp_path: Path) -> None:
        """
        sys.argv, ``__name__``, ``__file__`` and sys.path[0] are what ``python SCRIPT`` gives.
        """
        script = str(write(tmp_path / "scripts" / "argv.py", ARGV))
        plain = run_python(script, "a", "--b", cwd=tmp_path, plain=True)
        wrapped = run_python("-m", "logdial.pytorch", script, "a", "--b", cwd=tmp_path)
        assert plain == wrapped
        assert {"argv": [script, "a", "--b"], "name": "__main__", "path0": str(tmp_path / "scripts"),
                "file": script} == last_json(wrapped)  # fmt: skip

    def test_module_mode(self, tmp_path: Path) -> None:
        """
        ``-m MODULE`` runs the module as ``python -m MODULE`` would.
        """
        write(tmp_path / "argv_module.py", ARGV)
        plain = run_python("-m", "argv_module", "x", cwd=tmp_path, plain=True)
        assert plain == run_python("-m", "logdial.pytorch", "-m", "argv_module", "x", cwd=tmp_path)

    def test_exit_status_and_traceback(self, tmp_path: Path) -> None:
        """
        ``sys.exit(3)`` ends with 3; an exception ends with 1 and its traceback.
        """
        exits = str(write(tmp_path / "exits.py", "import sys\nsys.exit(3)\n"))
        assert (3, "", "") == run_python("-m", "logdial.pytorch", exits, cwd=tmp_path)
        fails = str(write(tmp_path / "fails.py", "raise RuntimeError('boom')\n"))
        done = run_python("-m", "logdial.pytorch", fails, cwd=tmp_path)
        assert 1 == done.returncode
        assert done.stderr.endswith(
            "fails.py\", line 1, in <module>\n    raise RuntimeError('boom')\nRuntimeError: boom\n"
        )

    def test_usage(self, tmp_path: Path) -> None:
        """
        No script: usage on stderr, status 2; ``--help`` on stdout, 0; a missing script or
        ``-m`` without a module: status 2, said in one line.
        """
        bare = run_python("-m", "logdial.pytorch", cwd=tmp_path)
        assert (2, "") == bare[:2]
        assert bare.stderr.startswith("usage: python -m logdial.pytorch SCRIPT [ARGS...]\n")
        helped = run_python("-m", "logdial.pytorch", "--help", cwd=tmp_path)
        assert (0, bare.stderr, "") == helped
        missing = run_python("-m", "logdial.pytorch", "nope.py", cwd=tmp_path)
        where = tmp_path / "nope.py"
        assert (
            2,
            "",
            f"{sys.executable}: can't open file {str(where)!r}: [Errno 2] No such file or directory\n",
        ) == missing
        no_module = run_python("-m", "logdial.pytorch", "-m", cwd=tmp_path)
        assert (2, "") == no_module[:2]
        assert no_module.stderr.endswith("\n\nerror: -m needs a module name\n")


#: A torch._logging._internal of the shape logdial knows, small enough to read: the unit
#: tests below run the bridge in this process on it, without torch.
FAKE_INTERNAL = """
import logging
import weakref

LOG_OUT_ENV_VAR = "TORCH_LOGS_OUT"
handlers = weakref.WeakSet()
trace_log = logging.getLogger("torch.__trace")
calls = []


class LogRegistry:
    def __init__(self):
        self.log_alias_to_log_qnames = {"dynamo": ["torch._dynamo"], "torch": ["torch"], "json": ["json"]}
        self.artifact_names = {"graph_code", "bytecode", "plain"}
        self.visible_artifacts = {"graph_code"}
        self.off_by_default_artifact_names = {"bytecode"}
        self.artifact_descriptions = {"graph_code": "The graph as code.", "bytecode": "Bytecode.", "plain": "Bare."}
        self.artifact_log_formatters = {"plain": logging.Formatter("")}
        self.artifact_log_qnames = set()


class LogState:
    def is_artifact_enabled(self, name):
        return False


log_registry = LogRegistry()
log_state = LogState()


def _get_log_state():
    return log_state


def _set_log_state(state):
    global log_state
    log_state = state


def _loggers():
    return [logging.getLogger(q) for qs in log_registry.log_alias_to_log_qnames.values() for q in qs]


def _reset_logs():
    for logger in [*_loggers(), trace_log]:
        for handler in [h for h in logger.handlers if h in handlers]:
            logger.removeHandler(handler)
        logger.propagate = False


def _update_log_state_from_env():
    calls.append("torch parsed TORCH_LOGS")


def _init_logs(log_file_name=None):
    _reset_logs()
    _update_log_state_from_env()
    calls.append(("out", LOG_OUT_ENV_VAR))
    for logger in _loggers():
        handler = logging.StreamHandler()
        handlers.add(handler)
        logger.addHandler(handler)
    trace = logging.NullHandler()
    handlers.add(trace)
    trace_log.addHandler(trace)


def getArtifactLogger(module_qname, artifact_name):
    if artifact_name not in log_registry.artifact_names:
        raise ValueError(f"Artifact name: {artifact_name!r} not registered")
    log = logging.getLogger(f"{module_qname}.__{artifact_name}")
    log.artifact_name = artifact_name
    log_registry.artifact_log_qnames.add(log.name)
    if artifact_name in log_registry.off_by_default_artifact_names:
        log.propagate = False
    return log


def register_log(setting_name, log_name):
    log_registry.log_alias_to_log_qnames[setting_name] = [log_name] if isinstance(log_name, str) else log_name


def register_artifact(setting_name, description, visible=False, off_by_default=False, log_format=None):
    log_registry.artifact_names.add(setting_name)
    log_registry.artifact_descriptions[setting_name] = description
    if log_format is not None:
        log_registry.artifact_log_formatters[setting_name] = logging.Formatter(log_format)


def set_logs(**kwargs):
    calls.append(("torch's set_logs", kwargs))
"""


class FakeTorch:
    """
    A fake torch._logging (``package``) and its ``internal`` module, built from FAKE_INTERNAL.
    """

    def __init__(self) -> None:
        from types import ModuleType

        self.internal = ModuleType("fake_torch_logging_internal")
        exec(FAKE_INTERNAL, self.internal.__dict__)
        self.package = ModuleType("fake_torch_logging")
        for name in ("_init_logs", "set_logs", "getArtifactLogger"):
            setattr(self.package, name, getattr(self.internal, name))
        self.package._internal = self.internal  # type: ignore[attr-defined]
        self.originals = dict(vars(self.package))

    @property
    def calls(self) -> list[object]:
        """
        What the fake torch's functions were called for.
        """
        calls = self.internal.calls
        assert isinstance(calls, list)
        return calls


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTorch]:
    """
    A fake torch._logging, and logdial.pytorch's process-wide state saved and restored.
    """
    from logdial.pytorch import _bridge

    monkeypatch.setattr(_bridge, "_current", None)
    monkeypatch.setattr(_bridge, "_declined", None)
    fake = FakeTorch()
    yield fake
    bridge = _bridge.current()
    if bridge is not None:
        bridge.rollback()


class TestBridgeUnits:
    """
    The bridge in this process, on a fake torch._logging: what each piece does, and its fail-safes.
    """

    def test_take_over(self, fake_torch: FakeTorch, capsys: pytest.CaptureFixture[str]) -> None:
        """
        torch's _init_logs still runs (for its trace handler), without its parse of
        TORCH_LOGS and with a TORCH_LOGS_OUT name no one sets; its handlers are gone but
        the trace logger's; each logger a component registers carries a handler object
        of logdial's and stops propagation, as torch's do; a module torch registered
        under its own name propagates.
        """
        import logging

        from logdial.pytorch import _bridge

        assert _bridge.take_over(fake_torch.package, init_now=True)
        assert _bridge.take_over(fake_torch.package, init_now=True)  # again: nothing new
        bridge = _bridge.current()
        assert bridge is not None
        out = ("out", "TORCH_LOGS_OUT (read by logdial.pytorch, not by torch)")
        assert [out] == fake_torch.calls  # torch's _init_logs, once, and no parse of TORCH_LOGS
        carried = [logging.getLogger(name).handlers for name in ("torch", "torch._dynamo")]
        assert [["ConsoleHandler"], ["ConsoleHandler"]] == [[type(h).__name__ for h in hs] for hs in carried]
        assert carried[0][0] is not carried[1][0]
        assert [] == logging.getLogger("json").handlers
        assert (False, True) == (logging.getLogger("torch._dynamo").propagate, logging.getLogger("json").propagate)
        assert ["NullHandler"] == [type(h).__name__ for h in fake_torch.internal.trace_log.handlers]
        assert {"dynamo": ("torch._dynamo",), "torch": ("torch",)} == {
            name: component.loggers for name, component in bridge.system.registry.components.items()
        }
        assert "%(message)s" == bridge.system.registry.artifacts["plain"].log_format
        for name in ("_init_logs", "set_logs", "getArtifactLogger"):
            assert getattr(fake_torch.package, name) is not fake_torch.originals[name]
        bridge.rollback()
        for name in ("_init_logs", "set_logs", "getArtifactLogger"):
            assert getattr(fake_torch.package, name) is fake_torch.originals[name]
        assert "" == capsys.readouterr().err

    def test_artifact_loggers_and_live_state(self, fake_torch: FakeTorch) -> None:
        """
        Artifact loggers are registered with both; an off-by-default one propagates (its
        level keeps it quiet); one torch registered behind logdial's back is found;
        torch's log_state answers from the settings, and collects what torch's own
        set_logs asks for.
        """
        import logging

        from logdial.pytorch import _bridge

        assert _bridge.take_over(fake_torch.package, init_now=True)
        bridge = _bridge.current()
        assert bridge is not None
        off = fake_torch.package.getArtifactLogger("torch._dynamo.x", "bytecode")
        assert (True, "bytecode") == (off.propagate, off.artifact_name)
        assert logging.DEBUG < off.getEffectiveLevel()
        with pytest.raises(ValueError, match=r"^Artifact name: 'nope' not registered$"):
            fake_torch.package.getArtifactLogger("torch._dynamo.x", "nope")
        fake_torch.internal.log_registry.artifact_names.add("late")  # not through register_artifact
        late = fake_torch.package.getArtifactLogger("torch._dynamo.x", "late")
        assert "late" in bridge.system.registry.artifacts
        live = fake_torch.internal.log_state
        fake_torch.package.set_logs("late", modules={"dynamo": logging.INFO, "json": logging.ERROR})
        assert (True, {"late"}) == (live.is_artifact_enabled("late"), live.artifact_names)
        assert {"torch._dynamo": 20, "json": 40} == live.log_qname_to_level == dict(live.get_log_level_pairs())
        assert logging.DEBUG == late.getEffectiveLevel()
        live.enable_artifact("ignored: no set_logs of torch's is running")
        live.clear()  # torch's own set_logs, through an old reference
        live.enable_log("torch._dynamo", logging.DEBUG)
        live.enable_artifact("graph_code")
        fake_torch.internal._init_logs()
        assert ({"torch._dynamo": 10}, {"graph_code"}) == (dict(bridge.system.settings.levels), live.artifact_names)
        assert None is live.take_requested()

    def test_registrations_that_follow(self, fake_torch: FakeTorch, capsys: pytest.CaptureFixture[str]) -> None:
        """
        torch's register_log and register_artifact after install() reach logdial; a name
        logdial cannot take is said once, an artifact format it refuses is dropped.
        """
        from logdial.pytorch import _bridge

        assert _bridge.take_over(fake_torch.package, init_now=True)
        bridge = _bridge.current()
        assert bridge is not None
        fake_torch.internal.register_log("newcomp", "torch.newcomp")
        fake_torch.internal.register_artifact("fancy", "Fancy.", log_format="%(nope)s")
        assert ("torch.newcomp",) == bridge.system.registry.components["newcomp"].loggers
        assert None is bridge.system.registry.artifacts["fancy"].log_format
        fake_torch.internal.register_log("graph_code", "torch.clash")
        fake_torch.internal.register_log("graph_code", "torch.clash")
        assert capsys.readouterr().err.startswith(
            "logdial.pytorch: torch registered 'graph_code', which logdial cannot take: 'graph_code' is already "
        )
        fake_torch.internal.log_registry.artifact_names = ["not", "a", "set"]
        fake_torch.package.set_logs()
        assert (
            "logdial.pytorch: cannot read torch's registry any more: torch._logging._internal.log_registry."
            "artifact_names is missing or not a set\n"
        ) == capsys.readouterr().err

    def test_init_failure_gives_back(self, fake_torch: FakeTorch, capsys: pytest.CaptureFixture[str]) -> None:
        """
        If logdial's init() fails, torch's functions come back, torch's own init runs
        (its parse included), and one line says so.
        """
        from logdial.pytorch import _bridge

        assert _bridge.take_over(fake_torch.package, init_now=False)
        bridge = _bridge.current()
        assert bridge is not None

        def boom() -> None:
            raise RuntimeError("boom")

        bridge.system.init = boom  # type: ignore[method-assign]
        fake_torch.package._init_logs()
        assert None is _bridge.current()
        assert fake_torch.package._init_logs is fake_torch.originals["_init_logs"]
        assert "torch parsed TORCH_LOGS" == fake_torch.calls[-2]
        assert (
            "logdial.pytorch: logdial's init() failed (RuntimeError: boom); torch's own logging is back in charge\n"
        ) == capsys.readouterr().err

    def test_setup_failure_gives_back(self, fake_torch: FakeTorch, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A failure while taking over at torch's _init_logs gives torch's logging back too.
        """
        from logdial.pytorch import _bridge

        assert _bridge.take_over(fake_torch.package, init_now=False)
        bridge = _bridge.current()
        assert bridge is not None
        bridge.view.registry.artifact_log_formatters = None  # type: ignore[attr-defined]
        fake_torch.package._init_logs()
        assert None is _bridge.current()
        assert (
            "logdial.pytorch: could not take over torch's logging (UnexpectedTorchError: torch._logging._internal."
            "log_registry.artifact_log_formatters is missing or not a dict); torch's own logging is back in charge\n"
        ) == capsys.readouterr().err

    def test_commit_failure_rolls_back(self, fake_torch: FakeTorch, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A failure while replacing torch's functions puts back those already replaced.
        """
        from logdial.pytorch import _bridge

        def fail(self: _bridge.Bridge) -> None:
            raise RuntimeError("adopting failed")

        monkeypatch.setattr(_bridge.Bridge, "adopt_artifact_loggers", fail)
        assert not _bridge.take_over(fake_torch.package, init_now=True)
        assert fake_torch.originals == dict(vars(fake_torch.package))

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            (lambda p, i: delattr(p, "_internal"), "torch._logging has no _internal module"),
            (lambda p, i: delattr(p, "set_logs"), "torch._logging.set_logs is missing or not a function"),
            (lambda p, i: setattr(i, "register_log", 1), "torch._logging._internal.register_log is missing or not"),
            (lambda p, i: setattr(i, "_init_logs", lambda: None), "_init_logs no longer reads _reset_logs, _update"),
            (lambda p, i: setattr(i, "LOG_OUT_ENV_VAR", None), "torch._logging._internal.LOG_OUT_ENV_VAR is missing"),
            (lambda p, i: setattr(i, "handlers", set()), "torch._logging._internal.handlers is missing or not a"),
            (lambda p, i: setattr(i, "trace_log", None), "torch._logging._internal.trace_log is missing or not a"),
            (lambda p, i: setattr(i, "log_state", None), "torch._logging._internal.log_state is missing or has no"),
            (lambda p, i: setattr(i.log_registry, "visible_artifacts", {1}), "visible_artifacts holds something"),
            (lambda p, i: i.log_registry.log_alias_to_log_qnames.update(x=1), "does not map aliases to names"),
            (lambda p, i: i.log_registry.log_alias_to_log_qnames.update(x=[1]), "'x' has logger names that are not"),
            (lambda p, i: i.log_registry.artifact_names.add("all"), "logdial cannot register torch's 'all'"),
        ],
    )
    def test_declines_for_other_internals(
        self,
        fake_torch: FakeTorch,
        capsys: pytest.CaptureFixture[str],
        change: Callable[[object, object], object],
        reason: str,
    ) -> None:
        """
        Each internal logdial needs, missing or of another kind: install declines in one
        line that names it (once), and torch's functions stay.
        """
        from logdial.pytorch import _bridge

        change(fake_torch.package, fake_torch.internal)
        before = dict(vars(fake_torch.package))
        assert not _bridge.take_over(fake_torch.package, init_now=True)
        assert not _bridge.take_over(fake_torch.package, init_now=True)
        err = capsys.readouterr().err
        assert err.startswith("logdial.pytorch: not installed, torch's own logging stays in charge: ")
        assert reason in err
        assert err.endswith(" (tested with torch 2.13.0; this is torch unknown)\n")
        assert 1 == err.count("\n")
        assert before == dict(vars(fake_torch.package))

    def test_trace_ids(self) -> None:
        """
        Log lines show torch's compile id while there is one, else logdial's own context;
        a failing lookup shows none.
        """
        from logdial import LogSystem
        from logdial.pytorch._bridge import _show_trace_ids

        ids: list[object] = [None]

        def current() -> object:
            if isinstance(ids[0], Exception):
                raise ids[0]
            return ids[0]

        logs = LogSystem("ids_test")
        _show_trace_ids(logs, current)
        display = logs._trace_display
        with logs.trace_context(label="own"):
            assert "[own]" == display()
        ids[0] = "0/1"
        assert "[0/1]" == display()
        ids[0] = RuntimeError("no compile context")
        assert "" == display()

    def test_set_trace_dir(self, fake_torch: FakeTorch, tmp_path: Path) -> None:
        """
        set_trace_dir points torch's trace handler at a directory (closing its file), or
        takes it off the trace logger; before install(), or on another handler, it raises.
        """
        import logging

        import logdial.pytorch
        from logdial.pytorch import _bridge

        with pytest.raises(RuntimeError, match=r"^logdial\.pytorch is not in charge of torch's logging"):
            logdial.pytorch.set_trace_dir(tmp_path)
        assert _bridge.take_over(fake_torch.package, init_now=True)
        with pytest.raises(RuntimeError, match=r"^torch's trace handler \(torch._logging._internal.LOG_TRACE_HANDLER"):
            logdial.pytorch.set_trace_dir(tmp_path)

        class LazyTraceHandler(logging.StreamHandler):  # type: ignore[type-arg]
            root_dir: str | None = None
            closed = 0

            def _close_stream(self) -> None:
                self.closed += 1
                self.stream = None  # type: ignore[assignment]

        handler = LazyTraceHandler()
        fake_torch.internal.LOG_TRACE_HANDLER = handler
        trace_log = fake_torch.internal.trace_log
        logdial.pytorch.set_trace_dir(tmp_path)
        assert (str(tmp_path), 1, True) == (handler.root_dir, handler.closed, handler in trace_log.handlers)
        logdial.pytorch.set_trace_dir(None)
        assert (None, 1, False) == (handler.root_dir, handler.closed, handler in trace_log.handlers)
        logdial.pytorch.set_trace_dir(tmp_path / "again")
        assert handler in trace_log.handlers

    def test_notice_survives_a_closed_stderr(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A notice on a closed (or missing) stderr is lost, and raises nothing.
        """
        import io

        from logdial.pytorch._bridge import notice

        closed = io.StringIO()
        closed.close()
        monkeypatch.setattr(sys, "stderr", closed)
        notice("lost")
        monkeypatch.setattr(sys, "stderr", None)
        notice("lost")
