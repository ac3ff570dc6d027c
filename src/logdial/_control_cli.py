"""Live control, the controller's side: ``logdial ps``, ``set``, ``reset`` and ``trace``.

It finds this user's channels in ``/proc/net/unix`` (live sockets only), in directories
named ``logdial-<uid>-...`` that this user owns and no one else can enter (see
``_control``), sends each program a request from a socket of its own (in such a directory
too), sends it again while it is not answered, and checks that every answer comes from
the process it asked (the credentials the kernel attaches to a datagram).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import select
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator

from ._control import (
    CREDENTIALS_SPACE,
    MAX_REQUEST,
    base_directory,
    credentials,
    decode,
    encode,
    private_directory,
    remove,
)
from ._notices import notice
from ._trace import makedirs_private

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = ["Program", "add_commands", "ask", "channels"]

#: How long a command waits for the programs' answers, by default (seconds).
TIMEOUT: Final = 5.0
#: How often an unanswered request is sent again (seconds).
RESEND: Final = 0.2
_SOCKET_NAME: Final = re.compile(r"(\d+)\.sock")


class Program:
    """
    A controllable program as ``status`` answered: its pid and the systems it holds.
    """

    def __init__(self, pid: int, path: str, systems: list[dict[str, object]]) -> None:
        self.pid, self.path, self.systems = pid, path, systems

    def system(self, name: str) -> dict[str, object] | None:
        """
        The status of its system ``name``, if it holds one.
        """
        return next((s for s in self.systems if s.get("system") == name), None)


def channels(uid: int | None = None) -> dict[int, str]:
    """
    The live channels of user ``uid`` (default: this one) on this machine: pid -> socket
    path; empty when the kernel's table cannot be read.
    """
    found: dict[int, str] = {}
    lines = _unix_table()
    if lines is None:
        return found
    uid = os.getuid() if uid is None else uid
    prefix = f"logdial-{uid}-"
    for line in lines:
        fields = line.split(None, 7)
        if len(fields) < 8:
            continue
        path = fields[7]
        directory, name = os.path.split(path)
        match = _SOCKET_NAME.fullmatch(name)
        if match is None or not os.path.basename(directory).startswith(prefix) or not private_directory(directory, uid):
            continue
        found[int(match[1])] = path
    return found


def _unix_table() -> list[str] | None:
    # The kernel's table of Unix sockets (its lines after the header), or None.
    try:
        with open("/proc/net/unix", encoding="utf-8", errors="replace") as table:
            return table.read().splitlines()[1:]
    except OSError:
        return None


def _answers(path: str) -> bool:
    # Whether a socket is bound at ``path`` (a program in another network namespace, whose
    # sockets this one's table does not list, is still alive there).
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def clean_stale(live: dict[int, str], uid: int | None = None, *, older_than: float = 60.0) -> None:
    """
    Remove this user's channel directories whose program is gone (killed before it could
    remove its own), in the places channels are made: a minute old at least, with no
    socket anyone is bound to. Nothing when the kernel's table cannot be read.
    """
    if _unix_table() is None:
        return
    uid = os.getuid() if uid is None else uid
    live_paths = set(live.values())
    for base in {base_directory(), tempfile.gettempdir(), "/tmp"}:
        try:
            names = os.listdir(base)
        except OSError:
            continue
        for name in names:
            directory = os.path.join(base, name)
            if not name.startswith(f"logdial-{uid}-") or not private_directory(directory, uid):
                continue
            with contextlib.suppress(OSError):
                inside = os.listdir(directory)
                if any(os.path.join(directory, n) in live_paths for n in inside):
                    continue
                if time.time() - os.lstat(directory).st_mtime < older_than:
                    continue  # (a program may be making it right now)
                if any(_SOCKET_NAME.fullmatch(n) and _answers(os.path.join(directory, n)) for n in inside):
                    continue
                for n in inside:
                    if _SOCKET_NAME.fullmatch(n):
                        os.unlink(os.path.join(directory, n))
                os.rmdir(directory)


@contextlib.contextmanager
def _controller_socket() -> Iterator[socket.socket]:
    directory = tempfile.mkdtemp(prefix=f"logdial-{os.getuid()}-ctl-", dir=base_directory())
    path = os.path.join(directory, "controller")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(path)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        sock.setblocking(False)
        yield sock
    finally:
        sock.close()
        remove(path)


def ask(targets: dict[int, str], request: dict[str, object], timeout: float = TIMEOUT) -> dict[int, dict[str, object]]:
    """
    Send ``request`` to each program of ``targets`` (pid -> socket path) until it answers
    or ``timeout`` seconds pass; the answers, by pid (a program that did not answer is missing).
    """
    answers: dict[int, dict[str, object]] = {}
    if not targets:
        return answers
    with _controller_socket() as sock:
        ids = {pid: uuid.uuid4().hex for pid in targets}
        deadline = time.monotonic() + timeout
        next_send = 0.0
        while len(answers) < len(targets):
            now = time.monotonic()
            if now >= deadline:
                break
            if now >= next_send:
                for pid, path in targets.items():
                    if pid not in answers:
                        data = encode({**request, "id": ids[pid], "from": sock.getsockname()})
                        with contextlib.suppress(OSError):  # (gone, or its queue full: sent again)
                            sock.sendto(data, path)
                next_send = now + RESEND
            ready, _, _ = select.select([sock], [], [], max(0.0, min(next_send, deadline) - time.monotonic()))
            while ready:
                try:
                    data, ancillary, _flags, _sender = sock.recvmsg(MAX_REQUEST + 1, CREDENTIALS_SPACE)
                except (BlockingIOError, InterruptedError):
                    break
                sender = credentials(ancillary)
                reply = decode(data)
                if sender is None or reply is None:
                    continue
                pid, uid, _gid = sender
                if pid in targets and uid in (os.getuid(), 0) and reply.get("id") == ids[pid]:
                    answers[pid] = reply
    return answers


def programs(
    system: str | None, *, pids: list[int] | None = None, timeout: float = TIMEOUT, silent: list[int] | None = None
) -> list[Program]:
    """
    This user's controllable programs (those holding ``system``, when given), each as its
    ``status`` answers; only ``pids`` when given. The pids of channels that did not answer
    go into ``silent``, when given.
    """
    live = channels()
    clean_stale(live)
    if pids:
        live = {pid: path for pid, path in live.items() if pid in pids}
    answers = ask(live, {"op": "status"}, timeout)
    if silent is not None:
        silent.extend(sorted(set(live) - set(answers)))
    found = []
    for pid in sorted(answers):
        systems = answers[pid].get("systems")
        if not isinstance(systems, list):
            continue
        program = Program(pid, live[pid], [s for s in systems if isinstance(s, dict)])
        if system is None or program.system(system) is not None:
            found.append(program)
    return found


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """
    Add ``ps``, ``set``, ``reset`` and ``trace`` to the ``logdial`` command.
    """
    ps = commands.add_parser(
        "ps",
        help="the running programs whose settings can be changed",
        description="List this user's running programs that can be controlled (started with {P}_LOGS_CONTROL=1, "
        "or that called enable_control()): pid, system, rank, job, the settings in force and where they came from.",
    )
    ps.add_argument("system", metavar="SYSTEM", nargs="?", help="only programs of this system")
    ps.set_defaults(run=_ps, parser=ps)
    setting = commands.add_parser(
        "set",
        help="change the settings of running programs",
        description="Apply SETTINGS to running programs of SYSTEM, as if they had been started with {P}_LOGS=SETTINGS: "
        "to the programs --pid names, or a job's (--job), or else to all of this user's programs of SYSTEM on this "
        "machine. Each program checks the settings and takes them whole or not at all. The exit status is 0 when "
        "every program took them, 1 otherwise.",
    )
    setting.add_argument("system", metavar="SYSTEM")
    setting.add_argument(
        "settings", metavar="SETTINGS", nargs="?", help="e.g. '+dynamo,recompiles' (may start with '-')"
    )
    resetting = commands.add_parser(
        "reset",
        help="return running programs to the settings they started with",
        description="Undo `logdial set`: the programs go back to the settings their variables gave at start.",
    )
    resetting.add_argument("system", metavar="SYSTEM")
    tracing = commands.add_parser(
        "trace",
        help="start or stop the structured trace of running programs",
        description="Write the structured trace of running programs of SYSTEM into DIR from now on (made if "
        "missing), or stop it with --stop.",
    )
    tracing.add_argument("system", metavar="SYSTEM")
    tracing.add_argument("dir", metavar="DIR", nargs="?", help="the directory to trace into")
    tracing.add_argument("--stop", action="store_true", help="stop tracing")
    for parser, run in ((setting, _set), (resetting, _reset), (tracing, _trace)):
        parser.add_argument("--pid", type=int, action="append", default=[], help="a program's pid (repeatable)")
        parser.add_argument("--job", metavar="ID", help="the programs of this job (SLURM_JOB_ID, torchrun's run id...)")
        parser.set_defaults(run=run, parser=parser)
    setting.set_defaults(extra_settings=True)
    for parser in (ps, setting, resetting, tracing):
        parser.add_argument("--timeout", type=_seconds, default=TIMEOUT, help="seconds to wait for answers (default 5)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 3600:  # (nan too)
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}: a number of seconds above 0 and below 3600")
    return value


def _label(program: Program, system: str) -> str:
    status = program.system(system) or {}
    extra = [f"{k} {status[k]}" for k in ("rank", "job") if status.get(k) is not None]
    return f"{program.pid} {system}" + (f" ({', '.join(extra)})" if extra else "")


def _ps(args: argparse.Namespace) -> int:
    silent: list[int] = []
    found = programs(args.system, timeout=args.timeout, silent=silent)
    rows: list[list[str]] = [["PID", "SYSTEM", "RANK", "JOB", "FROM", "SETTINGS"]]
    for program in found:
        for status in program.systems:
            if args.system is None or status.get("system") == args.system:
                cells = [status.get(k) for k in ("system", "rank", "job", "source", "settings")]
                rows.append([str(program.pid), *("-" if c is None or c == "" else str(c) for c in cells)])
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[5])
    _say_silent(silent, args.timeout)
    return 0


def _say_silent(silent: list[int], timeout: float) -> None:
    if silent:
        notice(f"logdial: {len(silent)} controllable program(s) did not answer in {timeout:g} s (pid "
               f"{', '.join(map(str, silent))}): stopped, or busy in a long native call")  # fmt: skip


def _targets(args: argparse.Namespace, silent: list[int]) -> list[Program]:
    found = programs(args.system, pids=args.pid, timeout=args.timeout, silent=silent)
    if args.job is not None:
        found = [p for p in found if (p.system(args.system) or {}).get("job") == args.job]
    return found


def _act(
    args: argparse.Namespace, request: dict[str, object], what: str, prepare: Callable[[], None] | None = None
) -> int:
    silent: list[int] = []
    targets = _targets(args, silent)
    _say_silent(silent, args.timeout)
    if not targets:
        where = f" with pid {', '.join(map(str, args.pid))}" if args.pid else ""
        where += f" in job {args.job}" if args.job else ""
        notice(f"logdial: no controllable program of system {args.system!r}{where} for this user (a program "
               f"opts in with {args.system.upper()}_LOGS_CONTROL=1 or enable_control(); see: logdial ps)")  # fmt: skip
        return 1
    if prepare is not None:
        prepare()
    answers = ask({p.pid: p.path for p in targets}, {**request, "system": args.system}, args.timeout)
    status = 1 if silent and args.pid else 0  # (a program named by pid that did not answer)
    for program in targets:
        answer = answers.get(program.pid)
        label = _label(program, args.system)
        if answer is None:
            print(f"{label}: did not answer in {args.timeout:g} s (its main thread may be in a long native call)")
            status = 1
        elif not answer.get("ok"):
            print(f"{label}: refused, its settings unchanged:")
            print("  " + str(answer.get("error", "")).replace("\n", "\n  "))
            status = 1
        else:
            changed = answer.get("changed")
            lines = [str(line) for line in changed] if isinstance(changed, list) else []
            print(f"{label}: {what}" + (" (nothing changed)" if changed == [] else ""))
            for line in lines:
                print(f"  {line}")
    sys.stdout.flush()
    return status


def _set(args: argparse.Namespace) -> int:
    if args.settings is None:
        args.parser.error("the following arguments are required: SETTINGS")
    return _act(args, {"op": "set", "settings": args.settings}, f"took {args.settings!r}")


def _reset(args: argparse.Namespace) -> int:
    return _act(args, {"op": "reset"}, "back to the settings it started with")


def _trace(args: argparse.Namespace) -> int:
    if args.stop == (args.dir is not None):
        args.parser.error("give a DIR to trace into, or --stop")
    directory = None if args.dir is None else os.path.abspath(args.dir)

    def make() -> None:  # (only once there is a program to trace into it)
        if directory is not None:
            makedirs_private(directory)

    what = "tracing stopped" if directory is None else f"tracing into {directory}"
    return _act(args, {"op": "trace", "dir": directory}, what, make)
