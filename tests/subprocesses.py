"""Shared helpers for tests that run Python (the demo, scripts) in real subprocesses, or read a terminal."""

from __future__ import annotations

import importlib.util
import os
import re
import select
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import NamedTuple

#: The real tlparse, installed with the test group beside this interpreter.
TLPARSE = Path(sys.executable).parent / "tlparse"
#: Whether torch is installed here: ``make test`` installs torch==2.13.0 on CPython 3.11
#: only (its local CPU build); tests marked ``torch`` skip elsewhere (see conftest).
HAS_TORCH = importlib.util.find_spec("torch") is not None
#: The systems the ``logdial`` command lists here: torch's only where torch is installed.
INSTALLED = "minitorch, torch" if HAS_TORCH else "minitorch"
_STATS = re.compile(r"^Stats \{(?P<fields>[^}]*)\}$", re.MULTILINE)


class Output(NamedTuple):
    """
    What one run printed, and how it ended.
    """

    returncode: int
    stdout: str
    stderr: str


def is_logging_var(name: str) -> bool:
    """
    Whether ``name`` is a variable logdial reads, including the launchers' rank variables
    and the colour conventions (tests clear them; a user's shell or a CI runner may set them).
    """
    ranks = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "JAX_PROCESS_ID"}
    colour = {"NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "TERM"}  # (a CI runner may set any of them)
    return "_LOGS" in name or name.endswith("_TRACE") or name in {*colour, *ranks}


def child_environ(**extra: str) -> dict[str, str]:
    """
    ``os.environ`` without the logging variables, with PYTHONPATH made absolute (the
    child runs in another directory), plus ``extra``.
    """
    env = {k: v for k, v in os.environ.items() if not is_logging_var(k)}
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    env.update(extra)
    return env


class Tlparse(NamedTuple):
    """
    One run of the real tlparse: exit status, stderr, its Stats counters, the output directory.
    """

    returncode: int
    stderr: str
    stats: dict[str, int]
    out: Path


def tlparse(trace: Path, out: Path, *flags: str) -> Tlparse:
    """
    Run ``tlparse TRACE -o OUT --overwrite --no-browser [flags]`` and read its Stats line.
    """
    done = subprocess.run(
        [str(TLPARSE), str(trace), "-o", str(out), "--overwrite", "--no-browser", *flags],
        capture_output=True,
        encoding="utf-8",
        timeout=60,
        check=False,
        env=child_environ(),
    )
    stats: dict[str, int] = {}
    match = _STATS.search(done.stderr)
    if match is not None:
        for field in filter(None, (f.strip() for f in match["fields"].split(","))):
            key, value = field.split(": ")
            stats[key] = int(value)
    return Tlparse(done.returncode, done.stderr, stats, out)


def read_pty(master: int, timeout: float = 10.0) -> bytes:
    """
    Everything written to the pty so far (until its other end closes, or a pause).
    """
    chunks = []
    while select.select([master], [], [], timeout)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the other end is closed
            break
        if not chunk:
            break
        chunks.append(chunk)
        timeout = 0.2  # once output came, a short pause means it is all there
    return b"".join(chunks)


def demo_trace(directory: Path) -> Path:
    """
    Run the demo with ``TORCH_TRACE=directory`` (``python -m logdial.demo``); its trace file.
    """
    subprocess.run(
        [sys.executable, "-m", "logdial.demo"],
        env=child_environ(TORCH_TRACE=str(directory)),
        capture_output=True,
        check=True,
    )
    (trace,) = directory.glob("dedicated_log_torch_trace_*.log")
    return trace


def run_code(code: str, *args: str, timeout: float = 120, **variables: str) -> subprocess.CompletedProcess[str]:
    """
    ``python -c CODE ARGS`` (``code`` dedented) with the logging variables cleared, then
    ``variables`` set; fails if it does not end within ``timeout`` seconds (a hang).
    """
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        encoding="utf-8",
        env=child_environ(**variables),
        timeout=timeout,
        check=False,
    )
