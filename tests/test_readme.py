"""The README's Python examples run as shown."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


class TestReadme:
    """
    Each ``python`` block of the README runs in a fresh interpreter without error.
    """

    def test_has_examples(self) -> None:
        """
        The README shows Python examples at all.
        """
        assert len(BLOCKS) >= 4

    @pytest.mark.parametrize(
        "code",
        [pytest.param(b, marks=pytest.mark.torch) if "import torch" in b else b for b in BLOCKS],
        ids=[f"block{i}" for i in range(len(BLOCKS))],
    )
    def test_block_runs(self, code: str) -> None:
        """
        The block exits 0 and prints no traceback.
        """
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert (0, "") == (result.returncode, result.stderr if "Traceback" in result.stderr else "")

    def test_set_logs_error_text(self) -> None:
        """
        The error the README quotes is the error logdial gives.
        """
        block = next(b for b in BLOCKS if "oders" in b)
        out = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, check=True).stdout
        assert "oders=10: unknown keyword; did you mean 'orders'? accepted: all, orders, sql, modules" in out


#: A README console line that runs the demo: its variables, then the command.
_DEMO_COMMAND = re.compile(r'^\$ ((?:[A-Z_]+="[^"]*" )*)\.venv/bin/python -m logdial\.demo(?:\s+#.*)?$')
#: What changes from run to run in a glog line: the date, time and process id.
_STAMP = re.compile(r"^([VIWEF])\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ ", flags=re.MULTILINE)


def _demo_runs() -> list[tuple[dict[str, str], list[str]]]:
    # (variables, the lines shown under the command) for each demo run the README shows
    # with its output; the output ends at "...", the next command or the block's end.
    runs = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL):
        lines = block.splitlines()
        for i, line in enumerate(lines):
            match = _DEMO_COMMAND.match(line)
            if match is None:
                continue
            shown = []
            for after in lines[i + 1 :]:
                if after.startswith("$ ") or after == "...":
                    break
                shown.append(after)
            variables = dict(re.findall(r'([A-Z_]+)="([^"]*)"', match.group(1)))
            if shown:
                runs.append((variables, shown))
    return runs


@pytest.mark.parametrize(("variables", "shown"), _demo_runs(), ids=lambda v: str(v)[:40])
def test_demo_output_as_shown(variables: dict[str, str], shown: list[str]) -> None:
    """
    Each demo run the README shows prints what it shows (the first lines of its output,
    dates, times and process ids aside), so line numbers and ids cannot go stale.
    """
    from tests.subprocesses import child_environ

    done = subprocess.run(
        [sys.executable, "-m", "logdial.demo"],
        capture_output=True,
        encoding="utf-8",
        env=child_environ(**variables),
        timeout=120,
        check=True,
    )
    actual = _STAMP.sub(r"\1 ", done.stderr).splitlines()
    assert [_STAMP.sub(r"\1 ", line) for line in shown] == actual[: len(shown)]


def test_demo_runs_are_checked() -> None:
    """
    The README shows at least one demo run with its output (which the test above checks).
    """
    assert _demo_runs()
