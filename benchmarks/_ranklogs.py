"""Per-rank logs as a training job writes them, for the ``merge`` rows of bench.py.

Each rank writes the same steps at nearly the same times (each rank its own jitter of up
to 20 ms), in logdial's default glog layout with the ``[rankN]:`` prefix: most lines alike
on every rank, one in ten carrying a value of its own rank (a loss), and now and then a
warning that one rank alone writes.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

_SHARED = (
    ("I", "trainer/loop.py:88", "step {step}: forward"),
    ("I", "trainer/loop.py:97", "step {step}: backward"),
    ("V", "trainer/data.py:41", "batch {step} loaded from shard {shard}"),
    ("I", "trainer/optim.py:120", "step {step}: optimizer step, lr 0.0003"),
    ("V", "trainer/comm.py:63", "all_reduce bucket 0 of 4 ready"),
    ("V", "trainer/comm.py:63", "all_reduce bucket 1 of 4 ready"),
    ("V", "trainer/comm.py:63", "all_reduce bucket 2 of 4 ready"),
    ("V", "trainer/comm.py:63", "all_reduce bucket 3 of 4 ready"),
    ("I", "trainer/ckpt.py:30", "step {step}: checkpoint skipped"),
)


def write_rank_logs(directory: Path, ranks: int, lines: int, *, json_lines: bool = False, seed: int = 0) -> list[Path]:
    """
    Write ``ranks`` files of ``lines`` lines each into ``directory``; returns their paths.
    """
    start = time.time() - 3600.0
    paths = []
    for rank in range(ranks):
        rng = random.Random(seed * 1_000_003 + rank)
        path = directory / (f"run_{rank}.jsonl" if json_lines else f"run_{rank}.log")
        pid = 10_000 + rank
        with open(path, "w", encoding="utf-8") as out:
            written = 0
            step = 0
            last = 0.0
            while written < lines:
                base = start + step * 0.25
                for n, (letter_of, where_of, text) in enumerate((*_SHARED, ("I", "trainer/loop.py:131", "loss"))):
                    if written == lines:
                        break
                    created = last = max(
                        last + 1e-6, base + n * 0.01 + rng.random() * 0.02
                    )  # in order, as a process writes
                    letter, where, message = letter_of, where_of, text.format(step=step, shard=step % 7)
                    if text == "loss":
                        message = f"step {step}: loss {rng.random():.4f}"
                    if rng.random() < 0.001:
                        letter, where, message = "W", "trainer/data.py:77", f"slow shard {step % 7}: 3.1 s"
                    out.write(_line(rank, pid, created, letter, where, message, json_lines))
                    written += 1
                step += 1
        paths.append(path)
    return paths


def _line(rank: int, pid: int, created: float, letter: str, where: str, message: str, json_lines: bool) -> str:  # noqa: PLR0917
    micros = int(created * 1_000_000 + 0.5)
    second = micros // 1_000_000
    local = time.localtime(second)
    if json_lines:
        minutes = (local.tm_gmtoff or 0) // 60
        offset = f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
        path, line = where.rsplit(":", 1)
        level = {"V": "DEBUG", "I": "INFO", "W": "WARNING"}[letter]
        record = {
            "time": f"{time.strftime('%Y-%m-%dT%H:%M:%S', local)}.{micros % 1_000_000:06d}{offset}",
            "level": level,
            "logger": "trainer",
            "component": "trainer",
            "artifact": None,
            "rank": rank,
            "pid": pid,
            "message": message,
            "file": path,
            "line": int(line),
        }
        return json.dumps(record) + "\n"
    stamp = time.strftime("%m%d %H:%M:%S", local)
    return f"[rank{rank}]:{letter}{stamp}.{micros % 1_000_000:06d} {pid} {where}] {message}\n"
