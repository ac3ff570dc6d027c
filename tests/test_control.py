"""Live control (``_control``, ``_control_api``, ``_control_cli``): real programs that log in a
loop, changed from outside by the real ``logdial`` command, as users do it."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from tests.subprocesses import child_environ

from logdial import LogSystem, _control, _forks
from logdial._control import MAX_REQUEST
from logdial._control_api import Controlled
from logdial._control_cli import ask, channels, clean_stale

#: A generous bound for what should take milliseconds (a loaded CI machine).
PATIENCE = 30.0

#: The system the test programs make, named for this test run (``logdial set`` reaches
#: every program of a system of this user: another run at the same time must not be one).
SHOP = f"shop{os.getpid()}"
#: Its variables' prefix.
VAR = SHOP.upper()

#: A program of system ``shop`` that logs one numbered round every 20 ms: DEBUG and INFO on
#: its component's logger, and its ``sql`` artifact. argv: ``fork`` forks a child that
#: logs too (``fork-enable``: and enables control itself).
PROGRAM = """
import logging, os, sys, time
import logdial

logs = logdial.LogSystem("shop")
logs.register_log("orders", ["shop.orders"])
logs.register_artifact("sql", "Every SQL statement.")
logs.init()
log = logging.getLogger("shop.orders")
sql = logs.getArtifactLogger("shop.orders", "sql")
who = "parent"
if sys.argv[1:] and sys.argv[1].startswith("fork"):
    child = os.fork()
    if child == 0:
        who = "child"
        if sys.argv[1] == "fork-enable":
            logs.enable_control()
    else:
        print(child, flush=True)
if who == "parent":
    print("ready", flush=True)
i = 0
while True:
    log.debug("%s debug %d", who, i)
    log.info("%s info %d", who, i)
    sql.debug("%s select %d", who, i)
    i += 1
    time.sleep(0.02)
"""


def as_user(user: str | None) -> tuple[list[str], dict[str, str]]:
    """
    The command prefix and environment that run this interpreter's logdial as ``user``
    (``None``: this user). Another user may not be able to load this interpreter (a
    pyenv build whose shared library is under root's home): then the system's Python 3,
    with this logdial on its path.
    """
    env = child_environ()
    if user is None:
        return [sys.executable], env
    switch = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups"]
    if 0 == subprocess.run([*switch, sys.executable, "-c", "pass"], capture_output=True, check=False).returncode:
        return [*switch, sys.executable], env
    import logdial

    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(logdial.__file__))
    return [*switch, "/usr/bin/python3"], env


def logdial_command(*args: str, user: str | None = None) -> subprocess.CompletedProcess[str]:
    """
    The real ``logdial`` command (``python -m logdial``), as this user or as ``user``.
    """
    python, env = as_user(user)
    return subprocess.run(
        [*python, "-m", "logdial", *args], capture_output=True, encoding="utf-8", env=env, timeout=120, check=False
    )


def wait_for(what: Callable[[], object], message: str, patience: float = PATIENCE) -> None:
    """
    Wait (up to ``patience`` seconds) until ``what()`` is true; fail with ``message`` otherwise.
    """
    deadline = time.monotonic() + patience
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.05)


class Program:
    """
    A running PROGRAM: its pid, and the lines it has logged (to a file) so far.
    """

    def __init__(self, process: subprocess.Popen[str], out: Path) -> None:
        self.process, self.out, self.pid = process, out, process.pid

    def lines(self) -> list[str]:
        """
        The lines written so far (complete lines only).
        """
        text = self.out.read_text(encoding="utf-8") if self.out.exists() else ""
        return text.split("\n")[:-1]

    def messages(self) -> list[str]:
        """
        The messages of the lines written so far (what follows the ``path:line]`` prefix).
        """
        return [line.split("] ", 1)[1] for line in self.lines()]

    def last_round(self) -> int:
        """
        The number of the last round the program logged at INFO.
        """
        rounds = [int(m.rsplit(" ", 1)[1]) for m in self.messages() if " info " in m]
        return rounds[-1] if rounds else -1


@contextmanager
def running(tmp_path: Path, name: str, *argv: str, control: bool = True) -> Iterator[Program]:
    """
    Run PROGRAM as ``name`` (its log file ``name.log``, no console) until the block ends.
    """
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent(PROGRAM).replace('"shop', f'"{SHOP}'), encoding="utf-8")
    out = tmp_path / f"{name}.log"
    env = child_environ(**{f"{VAR}_LOGS_OUT": str(out), f"{VAR}_LOGS_CONSOLE": "none"})
    if control:
        env[f"{VAR}_LOGS_CONTROL"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-W", "error", str(script), *argv],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", env=env,
    )  # fmt: skip
    program = Program(process, out)
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if argv and argv[0].startswith("fork"):
            program.child = int(first)  # type: ignore[attr-defined]
            first = process.stdout.readline()
        assert "ready\n" == first, process.stderr.read() if process.stderr else ""
        if control:
            wait_for(lambda: process.pid in channels(), "the program's channel never appeared")
        yield program
    finally:
        child = getattr(program, "child", None)
        if child is not None:
            with_suppressed_kill(child)  # (first: it holds the pipes open too)
        process.terminate()
        _, err = process.communicate(timeout=PATIENCE)
        assert "Traceback" not in err, err


def with_suppressed_kill(pid: int) -> None:
    """
    Stop process ``pid`` if it still runs.
    """
    with suppress(ProcessLookupError):
        os.kill(pid, 15)


def shows_debug_after(program: Program, start: int, who: str = "parent") -> bool:
    """
    Whether ``program`` logged a DEBUG line of a round after ``start``.
    """
    return any(m.startswith(f"{who} debug ") and int(m.rsplit(" ", 1)[1]) > start for m in program.messages())


class TestSetAndReset:
    """
    ``logdial set`` changes a running program's output within moments; ``reset`` undoes it.
    """

    def test_set_then_reset(self, tmp_path: Path) -> None:
        """
        The program starts at the defaults (its component at WARNING: nothing shows);
        after ``set`` its DEBUG lines and the artifact show; after ``reset`` they stop. The
        command prints what changed, as explain says it.
        """
        with running(tmp_path, "shop") as program:
            done = logdial_command("set", SHOP, "+orders,sql")
            assert 0 == done.returncode, done.stderr
            assert [
                f"{program.pid} {SHOP}: took '+orders,sql'",
                "  component orders: WARNING -> DEBUG",
                "  artifact sql: off (follows its component) -> on",
            ] == done.stdout.splitlines()
            wait_for(lambda: shows_debug_after(program, -1), "no DEBUG line after logdial set")
            assert any(m.startswith("[__sql] parent select ") for m in program.messages())
            listed = logdial_command("ps", SHOP)
            assert re.search(rf"^{program.pid}\s+{SHOP}\s+-\s+-\s+logdial set\s+\+orders,sql$", listed.stdout, re.M)
            back = logdial_command("reset", SHOP)
            assert 0 == back.returncode, back.stderr
            assert "component orders: DEBUG -> WARNING" in back.stdout
            at_reset = max(int(m.rsplit(" ", 1)[1]) for m in program.messages())
            time.sleep(0.5)  # (rounds go on; none of them may show DEBUG)
            assert None is program.process.poll()
            assert not shows_debug_after(program, at_reset + 1)

    def test_invalid_settings_leave_it_unchanged(self, tmp_path: Path) -> None:
        """
        A typo is refused with the usual message and its suggestion, exit status 1, and
        the program keeps its settings.
        """
        with running(tmp_path, "shop") as program:
            done = logdial_command("set", SHOP, "+ordrs")
            assert 1 == done.returncode
            assert f"{program.pid} {SHOP}: refused, its settings unchanged:" == done.stdout.splitlines()[0]
            assert "did you mean 'orders'?" in done.stdout
            listed = logdial_command("ps", SHOP)
            assert re.search(rf"^{program.pid}\s+{SHOP}\s+-\s+-\s+default\s+-$", listed.stdout, re.M), listed.stdout
            assert not shows_debug_after(program, -1)

    def test_settings_starting_with_a_dash(self, tmp_path: Path) -> None:
        """
        ``logdial set shop -orders`` takes ``-orders`` as the settings, as ``explain`` does.
        """
        with running(tmp_path, "shop") as program:
            done = logdial_command("set", SHOP, "-orders")
            assert (0, f"{program.pid} {SHOP}: took '-orders'") == (done.returncode, done.stdout.splitlines()[0])


class TestWhoIsReached:
    """
    Which programs a command reaches: every opted-in program of the system, no other.
    """

    def test_every_program_that_opted_in_and_no_other(self, tmp_path: Path) -> None:
        """
        Two programs with ``SHOP_LOGS_CONTROL=1`` and one without: ``ps`` lists the two,
        ``set`` without ``--pid`` changes both, the third keeps its defaults; ``--pid``
        reaches one alone.
        """
        (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir(), (tmp_path / "c").mkdir()
        with (
            running(tmp_path / "a", "a") as first,
            running(tmp_path / "b", "b") as second,
            running(tmp_path / "c", "c", control=False) as other,
        ):
            listed = logdial_command("ps", SHOP).stdout
            pids = {int(line.split()[0]) for line in listed.splitlines()[1:]}
            assert {first.pid, second.pid} <= pids
            assert other.pid not in pids
            one = logdial_command("set", SHOP, "+orders", "--pid", str(first.pid))
            assert [f"{first.pid} {SHOP}: took '+orders'"] == one.stdout.splitlines()[:1]
            done = logdial_command("set", SHOP, "orders")
            assert 0 == done.returncode, done.stdout
            took = {int(line.split()[0]) for line in done.stdout.splitlines() if " took " in line}
            assert {first.pid, second.pid} <= took
            assert other.pid not in took
            wait_for(lambda: " info " in " ".join(second.messages()), "the second program shows no INFO")
            assert [] == other.messages()

    def test_no_program_is_an_error(self, tmp_path: Path) -> None:
        """
        No program of the system: exit status 1, and a message that says how to opt in.
        """
        done = logdial_command("set", "no_such_system", "+x")
        assert 1 == done.returncode
        assert "no controllable program of system 'no_such_system'" in done.stderr
        assert "NO_SUCH_SYSTEM_LOGS_CONTROL=1" in done.stderr

    def test_channels_of_dead_programs_are_removed(self, tmp_path: Path) -> None:
        """
        A program killed outright leaves its channel's directory: the next command removes
        it once it is a minute old (a younger one may be a program opening it right now),
        and never asks its socket.
        """
        made = []
        for age in (120, 0):
            directory = Path(tempfile.mkdtemp(prefix=f"logdial-{os.getuid()}-", dir=tempfile.gettempdir()))
            (directory / "999999.sock").write_text("", encoding="utf-8")  # (not a live socket)
            then = time.time() - age
            os.utime(directory, (then, then))
            made.append(directory)
        try:
            assert 0 == logdial_command("ps").returncode
            assert [False, True] == [d.exists() for d in made]
        finally:
            for directory in made:
                shutil.rmtree(directory, ignore_errors=True)

    @pytest.mark.skipif(os.geteuid() != 0, reason="switching to another user needs root (CI runs as root)")
    def test_another_user_is_refused(self, tmp_path: Path) -> None:
        """
        User ``nobody`` sees no program of ours, cannot change one, and the operating
        system refuses it the socket itself.
        """
        with running(tmp_path, "shop") as program:
            path = channels()[program.pid]
            assert [] == logdial_command("ps", user="nobody").stdout.splitlines()[1:]
            done = logdial_command("set", SHOP, "+orders", "--pid", str(program.pid), user="nobody")
            assert 1 == done.returncode
            assert "no controllable program" in done.stderr
            probe = f"import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'{{}}', {path!r})"
            python, env = as_user("nobody")
            refused = subprocess.run(
                [*python, "-c", probe], capture_output=True, encoding="utf-8", env=env, timeout=60, check=False
            )
            assert "PermissionError" in refused.stderr
            assert not shows_debug_after(program, -1)


class TestHostileRequests:
    """
    Garbage, oversized, malformed and thousands of requests: the program keeps logging
    every round, whole, and still answers a real request afterwards.
    """

    def test_hostile_requests(self, tmp_path: Path) -> None:
        """
        Each kind of bad request from this user gets an error answer or none; the rounds
        the program logs meanwhile are all there, in order, each line whole.
        """
        with running(tmp_path, "shop") as program:
            logdial_command("set", SHOP, "orders")  # INFO lines: one per round
            path = channels()[program.pid]
            sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sender.setblocking(False)
            bad = [
                b"\xff\xfe garbage",
                b"[1, 2, 3]",
                b'{"op": "set"}',
                b'{"id": "x", "op": "exec", "code": "import os"}',
                b'{"id": "y", "op": "set", "system": "%s", "settings": 42}' % SHOP.encode(),
                b'{"id": "z", "op": "trace", "system": "%s", "dir": "relative/dir"}' % SHOP.encode(),
                b'{"id": "' + b"q" * 100 + b'", "op": "status"}',
                b"{" * 100_000,
                b" " * (MAX_REQUEST + 1000),
            ]
            sent = 0
            for data in bad * 3:
                try:
                    sender.sendto(data, path)
                    sent += 1
                except BlockingIOError:
                    pass
            for i in range(5000):  # a burst: what the kernel's queue takes, the rest is refused to the sender
                try:
                    sender.sendto(json.dumps({"id": str(i), "op": "status"}).encode(), path)
                    sent += 1
                except BlockingIOError:
                    time.sleep(0.001)
            sender.close()
            assert sent >= len(bad)
            start = program.last_round()
            wait_for(lambda: program.last_round() > start + 20, "the program stopped logging")
            # Reachable afterwards (15 s: a loaded CI machine). The burst once left the queue
            # full with no signal to come, which made the program unreachable for good
            # (Channel._on_signal now drains what came while it served).
            done = logdial_command("set", SHOP, "+orders", "--timeout", "15")
            assert 0 == done.returncode, done.stdout + done.stderr
            rounds = [int(m.rsplit(" ", 1)[1]) for m in program.messages() if " info " in m]
            assert rounds == list(range(rounds[0], rounds[0] + len(rounds)))
            line = re.compile(r"[VI]\d{4} [\d:.]+ \d+ \S+:\d+\] (\[__sql\] )?parent \w+ \d+")
            assert all(line.fullmatch(text) for text in program.lines())


class TestForks:
    """
    A forked child never answers on its parent's channel; it becomes controllable when
    it enables control itself. No thread exists: forking raises no warning on 3.12+.
    """

    def test_child_is_not_reached(self, tmp_path: Path) -> None:
        """
        ``ps`` lists the parent only; ``set`` changes the parent, not the child (both log to
        the same file). Run with ``-W error``: a fork with threads would have failed.
        """
        with running(tmp_path, "shop", "fork") as program:
            child: int = program.child  # type: ignore[attr-defined]
            listed = logdial_command("ps", SHOP).stdout
            pids = {int(line.split()[0]) for line in listed.splitlines()[1:]}
            assert program.pid in pids
            assert child not in pids
            done = logdial_command("set", SHOP, "+orders")
            assert 0 == done.returncode, done.stdout
            wait_for(lambda: shows_debug_after(program, -1, "parent"), "the parent shows no DEBUG")
            time.sleep(0.3)
            assert not shows_debug_after(program, -1, "child")

    def test_child_that_enables_control(self, tmp_path: Path) -> None:
        """
        A child that calls ``enable_control()`` gets a channel of its own.
        """
        with running(tmp_path, "shop", "fork-enable") as program:
            child: int = program.child  # type: ignore[attr-defined]
            wait_for(lambda: child in channels(), "the child's channel never appeared")
            done = logdial_command("set", SHOP, "+orders", "--pid", str(child))
            assert 0 == done.returncode, done.stdout
            wait_for(lambda: shows_debug_after(program, -1, "child"), "the child shows no DEBUG")
            assert not shows_debug_after(program, -1, "parent")


class TestTrace:
    """
    ``logdial trace`` starts a program's structured trace into a directory, and stops it.
    """

    def test_start_and_stop(self, tmp_path: Path) -> None:
        """
        The program traces one record per round; the directory gets a trace file once
        started, and it stops growing once stopped.
        """
        program_text = PROGRAM.replace(
            "    i += 1\n", "    logs.trace_structured('round', lambda: {'i': i})\n    i += 1\n"
        )
        script = tmp_path / "program.py"
        script.write_text(textwrap.dedent(program_text).replace('"shop', f'"{SHOP}'), encoding="utf-8")
        traces = tmp_path / "traces"
        env = child_environ(**{f"{VAR}_LOGS_CONTROL": "1", f"{VAR}_LOGS_CONSOLE": "none"})
        with subprocess.Popen(
            [sys.executable, str(script)], stdout=subprocess.PIPE, encoding="utf-8", env=env
        ) as process:
            try:
                assert process.stdout is not None
                assert "ready\n" == process.stdout.readline()
                wait_for(lambda: process.pid in channels(), "no channel")
                done = logdial_command("trace", SHOP, str(traces))
                assert (0, f"{process.pid} {SHOP}: tracing into {traces}") == (done.returncode, done.stdout.strip())
                wait_for(lambda: traces.exists() and any(f.stat().st_size > 0 for f in traces.iterdir()), "no trace")
                stopped = logdial_command("trace", SHOP, "--stop")
                assert 0 == stopped.returncode, stopped.stdout
                sizes = [f.stat().st_size for f in traces.iterdir()]
                time.sleep(0.3)
                assert sizes == [f.stat().st_size for f in traces.iterdir()]
            finally:
                process.terminate()


class TestInProcess:
    """
    What a remote change does to a system's sources, in the process itself (the channel
    calls these methods; a real program reaches them the same way).
    """

    def test_override_in_progress_stays_on_top(self, system: LogSystem) -> None:
        """
        A remote change during an ``override`` block leaves the block's settings in force
        until it exits; then the remote change is.
        """
        system.init({})
        with system.override("+io"):
            system._control_set("+core")
            assert "+io" == system.settings.to_string()
        assert ("+core", "env") == (system.settings.to_string(), system._sources.source)

    def test_wins_over_set_logs_as_the_variable_does(self, system: LogSystem) -> None:
        """
        After a remote change, ``set_logs`` is ignored (with its warning), as when the
        program started with the variable; ``reset`` returns to what the API asked.
        """
        system.init({})
        system.set_logs("io")
        system._control_set("+core")
        with pytest.warns(UserWarning, match="set_logs\\(\\) is ignored because TESTSYS_LOGS is set"):
            system.set_logs("graph")
        assert "+core" == system.settings.to_string()
        system._control_reset()
        assert "graph" == system.settings.to_string()

    def test_not_from_another_thread(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``enable_control()`` outside the main thread returns False and says why, once.
        """
        result: list[bool] = []
        worker = threading.Thread(target=lambda: result.append(system.enable_control()))
        worker.start()
        worker.join()
        assert [False] == result
        assert (
            "testsys: live control is off: live control is enabled from the main thread only" in capsys.readouterr().err
        )


#: A torchrun worker under logdial.pytorch: torch's own dynamo logger, one round every 50 ms.
WORKER = """
import logging, os, sys, time
import torch

log = logging.getLogger("torch._dynamo.control_test")
i = 0
end = time.monotonic() + 150
while time.monotonic() < end:
    log.debug("rank %s debug %d", os.environ["RANK"], i)
    i += 1
    time.sleep(0.05)
"""


@pytest.mark.torch
class TestTorchrun:
    """
    A 2-rank ``torchrun`` job of real PyTorch under ``logdial.pytorch``, changed with one command.
    """

    def test_one_command_changes_every_rank(self, tmp_path: Path) -> None:
        """
        ``TORCH_LOGS_CONTROL=1``: each rank has a channel of its own, ``ps`` shows both with
        their rank and the job's run id (``--standalone`` makes one), and ``set torch +dynamo
        --job RUN_ID`` turns torch's DEBUG lines on in both ranks' files.
        """
        (tmp_path / "worker.py").write_text(textwrap.dedent(WORKER), encoding="utf-8")
        launcher = Path(sys.executable).parent / "torchrun"
        command = [str(launcher)] if launcher.exists() else [sys.executable, "-m", "torch.distributed.run"]
        env = child_environ(
            TORCH_LOGS_CONTROL="1", TORCH_LOGS_OUT=str(tmp_path / "run_%r.log"), TORCH_LOGS_CONSOLE="none"
        )
        job = subprocess.Popen(
            [*command, "--standalone", "--nproc-per-node=2", "-m", "logdial.pytorch", "worker.py"],
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, encoding="utf-8",
        )  # fmt: skip
        try:
            ranks: dict[str, set[str]] = {}  # job id -> the ranks ps shows in it

            def both_ranks() -> bool:
                ranks.clear()
                for row in (line.split() for line in logdial_command("ps", "torch").stdout.splitlines()[1:]):
                    ranks.setdefault(row[3], set()).add(row[2])
                return any({"0", "1"} <= found for found in ranks.values())

            wait_for(both_ranks, "the two ranks' channels never appeared", 4 * PATIENCE)  # (torch's import, twice)
            run_id = next(job for job, found in ranks.items() if {"0", "1"} <= found)  # (--standalone makes it)
            done = logdial_command("set", "torch", "+dynamo", "--job", run_id)
            assert 0 == done.returncode, done.stdout + done.stderr
            took = re.findall(rf"^\d+ torch \(rank (\d), job {run_id}\): took '\+dynamo'$", done.stdout, re.M)
            assert ["0", "1"] == sorted(took), done.stdout
            for rank in (0, 1):
                log = tmp_path / f"run_{rank}.log"
                wait_for(
                    lambda log=log, rank=rank: log.exists() and f"rank {rank} debug" in log.read_text(encoding="utf-8"),
                    f"rank {rank} shows no DEBUG line",
                )
        finally:
            job.terminate()  # (torchrun stops its workers)
            job.communicate(timeout=PATIENCE)


#: A program whose main thread holds its system's lock for a while, as if logdial were
#: writing a record to a blocked pipe when the request arrived.
HOLDER = """
import sys, time
import logdial

logs = logdial.LogSystem("shop")
logs.register_log("orders", ["shop.orders"])
logs.init()
print("ready", flush=True)
sys.stdin.readline()
with logs._lock:
    print("holding", flush=True)
    sys.stdin.readline()
print("released", flush=True)
time.sleep(120)
"""


class TestReview:
    """
    What a second look at live control found: each case that made a program unreachable,
    stuck or wrongly changed, pinned.
    """

    def test_a_busy_program_is_reachable_afterwards(self, tmp_path: Path) -> None:
        """
        Requests that arrive while the main thread holds the system's lock are dropped
        (their controller sends them again) instead of filling the socket's queue, after
        which the kernel would signal no more: once the lock is released, ``set`` works.
        """
        script = tmp_path / "holder.py"
        script.write_text(textwrap.dedent(HOLDER).replace('"shop', f'"{SHOP}'), encoding="utf-8")
        env = child_environ(**{f"{VAR}_LOGS_CONTROL": "1", f"{VAR}_LOGS_CONSOLE": "none"})
        with subprocess.Popen(
            [sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, encoding="utf-8", env=env
        ) as process:
            assert process.stdin is not None
            assert process.stdout is not None
            try:
                assert "ready\n" == process.stdout.readline()
                process.stdin.write("\n")
                process.stdin.flush()
                assert "holding\n" == process.stdout.readline()
                busy = logdial_command("set", SHOP, "+orders", "--timeout", "3")  # (15 sends: over the queue)
                assert 1 == busy.returncode
                assert "did not answer" in busy.stderr
                process.stdin.write("\n")
                process.stdin.flush()
                assert "released\n" == process.stdout.readline()
                done = logdial_command("set", SHOP, "+orders")
                assert (0, f"{process.pid} {SHOP}: took '+orders'") == (done.returncode, done.stdout.splitlines()[0])
            finally:
                process.kill()

    def test_a_stopped_program_named_by_pid_is_a_failure(self, tmp_path: Path) -> None:
        """
        A program named with ``--pid`` that does not answer (stopped here) makes the
        command fail and say so, instead of passing over it.
        """
        with running(tmp_path, "shop") as program:
            os.kill(program.pid, signal.SIGSTOP)
            try:
                done = logdial_command("set", SHOP, "+orders", "--pid", str(program.pid), "--timeout", "0.5")
            finally:
                os.kill(program.pid, signal.SIGCONT)
            assert 1 == done.returncode
            assert f"did not answer in 0.5 s (pid {program.pid})" in done.stderr

    def test_a_timeout_must_be_a_number_of_seconds(self) -> None:
        """
        ``--timeout nan`` (or 0, or -1) is a usage error, not a wait that never ends.
        """
        done = logdial_command("ps", "--timeout", "nan")
        assert 2 == done.returncode
        assert "invalid timeout 'nan'" in done.stderr

    def test_a_live_channel_is_never_removed(self, tmp_path: Path) -> None:
        """
        A directory over a minute old whose socket is bound (a program in another network
        namespace is not in this one's table) is kept.
        """
        directory = Path(tempfile.mkdtemp(prefix=f"logdial-{os.getuid()}-", dir=tempfile.gettempdir()))
        bound = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            bound.bind(str(directory / "999998.sock"))
            then = time.time() - 120
            os.utime(directory, (then, then))
            clean_stale({})
            assert directory.exists()
        finally:
            bound.close()
            shutil.rmtree(directory, ignore_errors=True)

    def test_a_program_that_did_not_opt_in_has_nothing(self) -> None:
        """
        Without ``{P}_LOGS_CONTROL=1`` (here ``0``) or ``enable_control()``, ``init()`` opens
        no channel, installs no signal handler and imports none of live control's modules.
        """
        code = (
            "import signal, sys, logdial\n"
            "logs = logdial.LogSystem('quiet'); logs.init({'QUIET_LOGS_CONTROL': '0'})\n"
            "print(signal.getsignal(signal.SIGIO) == signal.SIG_DFL, "
            "sorted(m for m in sys.modules if m.startswith('logdial._control') and m != 'logdial._control_api'))\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8",
                              env=child_environ(), timeout=60, check=False)  # fmt: skip
        assert (0, "True []\n", "") == (done.returncode, done.stdout, done.stderr)

    def test_two_systems_of_one_name(self, tmp_path: Path) -> None:
        """
        A second controllable system with the name of the first is refused, in one line:
        the channel tells systems apart by name.
        """
        code = (
            "import logdial\n"
            "a, b = logdial.LogSystem('twin'), logdial.LogSystem('twin')\n"
            "print(a.enable_control(), b.enable_control(), a.enable_control())\n"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, encoding="utf-8",
                              env=child_environ(), timeout=60, check=False)  # fmt: skip
        assert (0, "True False True\n") == (done.returncode, done.stdout)
        assert "twin: live control is off: another system named 'twin' is controllable" in done.stderr


class TestChannelUnits:
    """
    The channel's answers, on requests made here (no signal: ``_answer`` and ``serve``
    are called directly), and what counts as busy.
    """

    def credentials(self) -> list[tuple[int, int, bytes]]:
        """
        The credentials the kernel attaches to a datagram of this process.
        """
        return [(socket.SOL_SOCKET, socket.SCM_CREDENTIALS, struct.pack("3i", os.getpid(), os.getuid(), os.getgid()))]

    def test_every_error_answer_carries_the_id(self, system: LogSystem, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        A request that fails inside the program, one whose sender is not a string, one
        whose settings are too long for live control, and one for a system not initialised:
        each gets an error its controller can match (not a silence it waits out).
        """
        channel = _control.Channel()
        channel.systems["testsys"] = Controlled(system)

        def answer(request: dict[str, object]) -> dict[str, object] | None:
            return channel._answer(json.dumps(request).encode(), self.credentials(), 0)

        not_yet = answer({"id": "a", "op": "set", "system": "testsys", "settings": "+core"})
        assert not_yet is not None
        assert ("a", False) == (not_yet["id"], not_yet["ok"])
        assert "is not initialised" in str(not_yet["error"])
        system.init({})
        monkeypatch.setattr(Controlled, "trace", lambda self, directory: 1 / 0)
        failed = answer({"id": "b", "op": "trace", "system": "testsys", "dir": "/tmp"})
        assert failed is not None
        assert ("b", False, "ZeroDivisionError: division by zero") == (failed["id"], failed["ok"], failed["error"])
        odd = answer({"id": "c", "op": "status", "from": ["not", "hashable"]})
        assert odd is not None
        assert False is odd["ok"]
        long = answer({"id": "d", "op": "set", "system": "testsys", "settings": "core," * 1000})
        assert long is not None
        assert "settings too long for live control (5000 characters; at most 4096)" == long["error"]

    def test_busy_while_another_thread_registers_a_fork_callback(self) -> None:
        """
        The lock ``in_forked_child`` holds is not re-entrant: while it is held, the channel
        counts as busy (making a tracer from the signal handler would wait on it for ever).
        """
        channel = _control.Channel()
        assert not channel._busy()
        with _forks._lock:
            assert channel._busy()

    def test_a_signal_past_its_budget_drops_what_waits(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """
        Past ``BUDGET``, ``serve`` reads what waits and drops it unanswered: a flood of
        costly requests cannot hold the main thread, and the queue never stays full.
        """
        monkeypatch.setattr(_control, "BUDGET", -1.0)
        channel = _control.Channel()
        channel.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = str(tmp_path / "c.sock")
        channel.sock.bind(path)
        channel.sock.setblocking(False)
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.bind(str(tmp_path / "s.sock"))
        try:
            for i in range(5):
                sender.sendto(json.dumps({"id": str(i), "op": "status"}).encode(), path)
            channel.serve()
            with pytest.raises(BlockingIOError):
                channel.sock.recv(100, socket.MSG_DONTWAIT)
            with pytest.raises(BlockingIOError):
                sender.recv(100, socket.MSG_DONTWAIT)  # (no answer)
        finally:
            sender.close()
            channel.sock.close()

    def test_nested_overrides_and_a_remote_change(self, system: LogSystem) -> None:
        """
        A remote change inside nested ``override`` blocks: the inner block's end gives
        back the outer block's settings; the outer's end, the remote change.
        """
        system.init({})
        with system.override("+io"):
            with system.override("+core"):
                system._control_set("-io")
                assert "+core" == system.settings.to_string()
            assert "+io" == system.settings.to_string()
        assert "-io" == system.settings.to_string()

    def test_init_after_a_remote_change_starts_afresh(self, system: LogSystem) -> None:
        """
        ``init()`` reads the variables anew: the remote change is gone, and ``reset`` has
        nothing to undo (it does not go back past what init() read).
        """
        system.init({})
        system._control_set("+core")
        system.init({"TESTSYS_LOGS": "io"})
        assert ([], "io") == (system._control_reset(), system.settings.to_string())
        assert "env" == system._control_status()["source"]


class TestChannelInThisProcess:
    """
    A real channel opened in the test's own process (its main thread): a request sent to
    it raises SIGIO, and the handler answers between two bytecodes, as in any program.
    """

    def test_answers_and_closes(self, system: LogSystem, tmp_path: Path) -> None:
        """
        ``status``, ``set`` and an unknown system are answered; after ``close`` the socket
        and its directory are gone and the previous SIGIO handler is back.
        """
        previous = signal.getsignal(signal.SIGIO)
        channel = _control.Channel()
        try:
            system.init({})
            channel.add(Controlled(system))
            assert channel.path is not None
            path = channel.path
            answers = ask({os.getpid(): path}, {"op": "status"}, timeout=PATIENCE)
            assert "testsys" == answers[os.getpid()]["systems"][0]["system"]  # type: ignore[index]
            took = ask({os.getpid(): path}, {"op": "set", "system": "testsys", "settings": "+core"}, timeout=PATIENCE)
            assert (True, "+core") == (took[os.getpid()]["ok"], system.settings.to_string())
            other = ask({os.getpid(): path}, {"op": "set", "system": "nope", "settings": ""}, timeout=PATIENCE)
            assert "no controllable system 'nope' in this process" == other[os.getpid()]["error"]
        finally:
            channel.close()
            signal.signal(signal.SIGIO, previous)
        assert not os.path.exists(path)
        assert not os.path.exists(os.path.dirname(path))
