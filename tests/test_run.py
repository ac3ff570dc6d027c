"""``logdial run``: real commands (the demo as four ranks, torchrun of torch.compile), their merged logs and reports."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.subprocesses import child_environ, tlparse
from tests.test_ranks_launch import free_port

BIN = Path(sys.executable).parent


def logdial_run(cwd: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    env = child_environ(**variables)
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"  # (the venv's python and torchrun first)
    return subprocess.run(
        [sys.executable, "-m", "logdial", "run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )


def tags(merged: Path) -> dict[str, set[str]]:
    """
    For each message of the merged log (after the location), the rank tags it has.
    """
    out: dict[str, set[str]] = {}
    for line in merged.read_text(encoding="utf-8").splitlines():
        tag, rest = line.split("]:", 1)
        out.setdefault(rest.split("] ", 1)[-1], set()).add(tag.lstrip("["))
    return out


def test_the_demo_as_four_ranks(tmp_path: Path) -> None:
    """
    A non-torch system: its {P}_LOGS_OUT and {P}_TRACE point into the fresh directory;
    the merged log says each line of the four ranks once; the report is written; the
    paths are printed; the exit status is the command's.
    """
    ranks = " ".join(f"RANK={r} WORLD_SIZE=4 {sys.executable} -m logdial.demo >/dev/null 2>&1 & " for r in range(4))
    done = logdial_run(
        tmp_path,
        "--system",
        "minitorch",
        "--settings",
        "+dynamo",
        "-o",
        "out",
        "--",
        "sh",
        "-c",
        f"{ranks} wait; exit 3",
    )
    assert done.returncode == 3, done.stderr
    out = tmp_path / "out"
    assert sorted(p.name for p in (out / "logs").iterdir()) == [f"rank_{r}.log" for r in range(4)]
    assert done.stderr.splitlines() == [
        f"logdial run: merged log: {out / 'merged.log'} ({len((out / 'merged.log').read_text().splitlines())} lines "
        f"from {sum(len(p.read_text().splitlines()) for p in (out / 'logs').iterdir())} lines of 4 files)",
        done.stderr.splitlines()[1],
    ]
    assert done.stderr.splitlines()[1].startswith(f"logdial run: report: {out / 'report' / 'index.html'} (")
    merged = tags(out / "merged.log")
    assert merged["[0/0] dynamo: Step 1: start tracing toy_fn (inputs of size 4)"] == {"rank0-3"}
    assert all(found == {"rank0-3"} for found in merged.values())  # the demo does the same on every rank
    assert (out / "report" / "index.html").is_file()


def test_refusals(tmp_path: Path) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("", encoding="utf-8")
    done = logdial_run(tmp_path, "--system", "minitorch", "-o", "used", "--", "true")
    assert (done.returncode, done.stderr) == (
        1,
        f"logdial: {tmp_path / 'used'}: exists and is not an empty directory (logdial run writes into a fresh one)\n",
    )
    done = logdial_run(tmp_path, "--system", "minitorch", "-o", "new")
    assert done.returncode == 2
    assert "name the command to run after --" in done.stderr
    done = logdial_run(tmp_path, "--system", "minitorch", "-o", "new2", "--", "no-such-command-here")
    assert (done.returncode, done.stderr) == (
        1,
        "logdial: cannot run 'no-such-command-here': No such file or directory\n",
    )
    done = logdial_run(tmp_path, "--system", "nosuch", "--", "true")
    assert done.returncode == 2
    assert "nosuch" in done.stderr


SCRIPT = textwrap.dedent(
    """
    import logging, os
    import torch
    import torch.distributed as dist

    dist.init_process_group("gloo")  # (torch names its trace files by rank once this is done)
    rank = dist.get_rank()

    @torch.compile(backend="eager")
    def step(x):
        return (x * 2).sum()

    step(torch.ones(8))
    if rank == 3:
        step(torch.ones(8, 3))  # another shape: rank 3 alone recompiles
    logging.getLogger("torch._dynamo").info("rank %d done", rank)
    """
)


@pytest.mark.torch
def test_torchrun_of_torch_compile(tmp_path: Path) -> None:
    """
    ``logdial run -- torchrun --nproc-per-node 4 train.py`` with real torch 2.13.0: every
    worker gets the takeover without a .pth line (its lines carry logdial's rank prefix and
    land in rank_N.log); the merged log says the compile once for all four and rank 3's
    recompile with rank 3 alone; TORCH_TRACE stays torch's: tlparse reads the directory.
    """
    (tmp_path / "train.py").write_text(SCRIPT, encoding="utf-8")
    port = str(free_port())
    done = logdial_run(
        tmp_path,
        "-o",
        "out",
        "--settings",
        "dynamo,recompiles",
        "--",
        "torchrun",
        "--nproc-per-node",
        "4",
        "--master-addr",
        "127.0.0.1",
        "--master-port",
        port,
        "train.py",
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "out"
    assert {f"rank_{r}.log" for r in range(4)} <= {p.name for p in (out / "logs").iterdir()}
    merged = tags(out / "merged.log")
    assert merged["[0/0] Step 1: torchdynamo start tracing step /tmp/train.py:9".replace("/tmp", str(tmp_path))] == {
        "rank0-3"
    }
    recompiling = [text for text in merged if "Recompiling function step" in text]
    assert len(recompiling) == 1
    assert merged[recompiling[0]] == {"rank3"}
    assert {merged[f"rank {r} done"].pop() for r in range(4)} == {f"rank{r}" for r in range(4)}
    assert (out / "report" / "index.html").is_file()
    parsed = tlparse(out / "trace", tmp_path / "tl", "--all-ranks-html")
    assert parsed.returncode == 0, parsed.stderr


def test_the_command_s_status_survives_a_broken_trace(tmp_path: Path) -> None:
    """
    A job killed in the middle of a trace record leaves a file the report cannot read:
    run says so, keeps the merged log, and still exits with the command's status; and
    ``logdial merge OUT`` reads the logs of a directory run wrote.
    """
    script = (
        f"RANK=0 {sys.executable} -m logdial.demo >/dev/null 2>&1; "
        "printf 'V1205 12:00:00.000000 1 x.py:1] {\"dynamo_start\": ' "
        '> "$TORCH_TRACE/dedicated_log_torch_trace_rank_1_x.log"; '
        "exit 3"
    )
    done = logdial_run(
        tmp_path, "--system", "minitorch", "--settings", "+dynamo", "-o", "out", "--", "sh", "-c", script
    )
    assert done.returncode == 3, done.stderr
    assert "logdial run: the merged log or the report could not be written: " in done.stderr
    assert "Traceback" not in done.stderr
    merged = (tmp_path / "out" / "merged.log").read_text(encoding="utf-8")
    again = subprocess.run(
        [sys.executable, "-m", "logdial", "merge", "out"],
        cwd=tmp_path,
        env=child_environ(),
        capture_output=True,
        encoding="utf-8",
        check=True,
    )
    assert again.stdout == merged
