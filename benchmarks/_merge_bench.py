"""The ``merge`` rows of bench.py: ``logdial merge`` on 256 files of 20,000 lines against ``sort -m``.

Each command runs as users run it, in a fresh process, its output to a file; the rounds
are interleaved; a row takes the median wall time, and the peak memory (the child's
maximum resident set) of ``logdial merge``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _ranklogs import write_rank_logs

FILES, LINES = 256, 20_000


def _run(command: list[str], out: Path, env: dict[str, str]) -> tuple[float, float]:
    # (wall seconds, peak resident MB) of one fresh process writing to ``out``.
    with open(out, "w") as stream:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=stream, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command[:3]} failed ({child.returncode})")
    return elapsed, usage.ru_maxrss / 1024


def merge_rows(rounds: int, files: int = FILES, lines: int = LINES) -> tuple[dict[str, list[float]], float]:
    """
    The samples (s) of ``logdial merge``, ``sort -m`` and a bare ``heapq.merge`` of the
    same files, and the peak memory (MB) of ``logdial merge``.
    """
    with tempfile.TemporaryDirectory() as d:
        directory = Path(d)
        paths = [str(p) for p in write_rank_logs(directory, files, lines)]
        env = {**os.environ, "LC_ALL": "C"}
        heap = (
            "import heapq, sys\n"
            "files = [open(p) for p in sys.argv[1:]]\n"
            "sys.stdout.writelines(heapq.merge(*files, key=lambda line: line[line.index(' ') - 13 :]))\n"
        )
        commands = {
            "logdial merge": [sys.executable, "-m", "logdial", "merge", *paths],
            "sort -m -s -k2,2": ["sort", "-m", "-s", "-k2,2", *paths],
            "heapq.merge of the lines": [sys.executable, "-c", heap, *paths],
        }
        samples: dict[str, list[float]] = {name: [] for name in commands}
        peak = 0.0
        for _ in range(rounds):
            for name, command in commands.items():
                seconds, megabytes = _run(command, directory / "out", env)
                samples[name].append(seconds)
                if name == "logdial merge":
                    peak = max(peak, megabytes)
        return samples, peak


def summary(samples: dict[str, list[float]]) -> dict[str, float]:
    """
    The median of each command's samples.
    """
    return {name: statistics.median(values) for name, values in samples.items()}
