"""The ``merge`` rows of bench.py: ``logdial merge`` on 256 files of 20,000 lines against ``sort -m``.

Each command runs as users run it, in a fresh process, its output to a file; the rounds
are interleaved; a row takes the median wall time, and the peak memory (the child's
maximum resident set) of ``logdial merge``. Each command is started by a small launcher
process, which times it and reads its peak (see ``_LAUNCH``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from _ranklogs import write_rank_logs

FILES, LINES = 256, 20_000


#: Runs argv[2:] with this process's stdout and writes "wall seconds, peak resident KiB" of
#: it to the file argv[1]. The child is forked from this small launcher, not from the
#: benchmark: Linux carries the resident size of a process's memory before exec into its
#: peak (ru_maxrss), so a child forked from a benchmark that holds torch (300 MB) would
#: report at least that.
_LAUNCH = (
    "import os, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "child = subprocess.Popen(sys.argv[2:])\n"
    "_, status, usage = os.wait4(child.pid, 0)\n"
    "elapsed = time.perf_counter() - started\n"
    "open(sys.argv[1], 'w').write(f'{elapsed} {usage.ru_maxrss}')\n"
    "sys.exit(os.waitstatus_to_exitcode(status))\n"
)


def _run(command: list[str], out: Path, env: dict[str, str]) -> tuple[float, float]:
    # (wall seconds, peak resident MB) of one fresh process writing to ``out``.
    report = out.with_suffix(".measured")
    with open(out, "w") as stream:
        done = subprocess.run([sys.executable, "-c", _LAUNCH, str(report), *command], stdout=stream, env=env,
                              check=False)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"{command[:3]} failed ({done.returncode})")
    seconds, kib = report.read_text().split()
    return float(seconds), int(kib) / 1024


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
