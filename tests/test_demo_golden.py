"""
Level 3: the whole output of ``python -m logdial.demo`` under the documented TORCH_LOGS
examples (and a few extensions), run in a subprocess and compared with tests/golden/.

Rewrite the golden files with ``pytest tests/test_demo_golden.py --update-golden``, then
read the diff: it is the change in what users see.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pytest
from tests.subprocesses import child_environ

GOLDEN = Path(__file__).resolve().parent / "golden"

#: golden file stem -> the value of TORCH_LOGS (None: the variable is not set).
SCENARIOS: dict[str, str | None] = {
    # The five examples of PyTorch's logging documentation, and no setting at all.
    "default": None,
    "plus_dynamo_aot": "+dynamo,aot",
    "minus_dynamo_plus_inductor": "-dynamo,+inductor",
    "aot_graphs": "aot_graphs",
    "plus_dynamo_schedule": "+dynamo,schedule",
    "plus_some_random_module_schedule": "+some.random.module,schedule",
    # logdial's extensions and the help messages.
    "plus_all": "+all",
    "graph_star": "graph*",
    "plus_dynamo_guards_off": "+dynamo,guards=off",
    "dynamo_warning_inductor_debug": "dynamo=warning,inductor=debug",
    "help": "help",
    "plus_help": "+help",
}


class Output(NamedTuple):
    """
    What one run of the demo printed, and how it ended.
    """

    pid: int
    returncode: int
    stdout: str
    stderr: str


def run_demo(logs: str | None, cwd: Path) -> Output:
    """
    Run ``python -m logdial.demo`` with TORCH_LOGS set to ``logs`` (unset for None).
    """
    env = child_environ() if logs is None else child_environ(TORCH_LOGS=logs)
    with subprocess.Popen(
        [sys.executable, "-m", "logdial.demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=cwd,
        encoding="utf-8",
    ) as proc:
        stdout, stderr = proc.communicate(timeout=60)
    return Output(proc.pid, proc.returncode, stdout, stderr)


def normalise(text: str, pid: int) -> str:
    """
    Replace the timestamp and the pid in each glog-style line prefix, and nothing else.

    Only the child's own pid is replaced, so a line from another process stays visible.
    """
    pattern = re.compile(rf"^([VIWEC])\d{{4}} \d{{2}}:\d{{2}}:\d{{2}}\.\d{{6}} {pid} ", re.MULTILINE)
    return pattern.sub(r"\1MMDD HH:MM:SS.uuuuuu PID ", text)


def _section(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n\\ no newline at end\n"


def document(logs: str | None, output: Output) -> str:
    """
    The golden text of one run: the command, its exit status, stdout and stderr.
    """
    command = "python -m logdial.demo" if logs is None else f"TORCH_LOGS={shlex.quote(logs)} python -m logdial.demo"
    return (
        f"$ {command}\n"
        f"[exit status {output.returncode}]\n"
        f"--- stdout ---\n{_section(normalise(output.stdout, output.pid))}"
        f"--- stderr ---\n{_section(normalise(output.stderr, output.pid))}"
    )


class TestNormalise:
    """
    The normalisation applied before comparing with golden files.
    """

    def test_replaces_timestamp_and_pid_of_the_prefix(self) -> None:
        """
        The prefix's MMDD HH:MM:SS.uuuuuu and pid become fixed text; the rest stays.
        """
        text = "V1201 07:05:23.763938 6784 logdial/demo/_pipeline.py:117] [__graph] TRACED GRAPH\n"
        expected = "VMMDD HH:MM:SS.uuuuuu PID logdial/demo/_pipeline.py:117] [__graph] TRACED GRAPH\n"
        assert expected == normalise(text, 6784)

    def test_leaves_other_numbers_alone(self) -> None:
        """
        A timestamp-like text inside a message, or another process's pid, is not touched.
        """
        text = "I0101 00:00:00.000001 77 a.py:1] at 1201 07:05:23.763938 6784\nW0101 00:00:00.000001 78 a.py:2] x\n"
        expected = (
            "IMMDD HH:MM:SS.uuuuuu PID a.py:1] at 1201 07:05:23.763938 6784\nW0101 00:00:00.000001 78 a.py:2] x\n"
        )
        assert expected == normalise(text, 77)


class TestGoldenFiles:
    """
    The set of golden files is the set of scenarios.
    """

    def test_one_file_per_scenario(self) -> None:
        """
        No scenario lacks a golden file and no golden file is left over from an old one.
        """
        assert sorted(f"{name}.txt" for name in SCENARIOS) == sorted(p.name for p in GOLDEN.glob("*.txt"))


@pytest.mark.parametrize("name", list(SCENARIOS))
class TestDemoOutput:
    """
    The demo's whole output, normalised, is the golden file of its scenario.
    """

    def test_matches_golden(self, name: str, update_golden: bool, tmp_path: Path) -> None:
        """
        Run the demo under the scenario's TORCH_LOGS and compare stdout, stderr and the
        exit status with tests/golden/<name>.txt (``--update-golden`` rewrites it).
        """
        logs = SCENARIOS[name]
        actual = document(logs, run_demo(logs, tmp_path))
        path = GOLDEN / f"{name}.txt"
        if update_golden:
            path.write_text(actual, encoding="utf-8")
        if not path.exists():
            pytest.fail(f"{path} is missing: run pytest {Path(__file__).name} --update-golden and review it")
        expected = path.read_text(encoding="utf-8")
        assert expected == actual
