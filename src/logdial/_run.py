"""``logdial merge`` and ``logdial run``: per-rank logs read back as one story.

``run`` starts a command (a script, ``torchrun ...``) with the system's per-rank log files
and trace directory pointed into a fresh directory, waits for it, then merges the logs
(``_merge``) and writes the HTML report (``_report``) there. For PyTorch's system, every
Python process the command starts gets logdial's takeover through a ``sitecustomize``
module on ``PYTHONPATH`` (which the ``.pth`` line would otherwise give), and torch's own
``TORCH_TRACE`` writer keeps the trace, so that ``tlparse`` reads the directory too.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from ._merge import WINDOW, MergeError, merge, rank_of_name

__all__ = ["LOG_TEMPLATE", "add_commands", "log_files", "parse_offset", "run"]

#: Where ``run`` points ``{P}_LOGS_OUT``: one file per rank (``%r``; ``norank`` for a
#: process without one, such as torchrun's launcher).
LOG_TEMPLATE: Final = "logs/rank_%r.log"
MERGED: Final = "merged.log"
_OFFSET: Final = re.compile(r"([+-])(\d\d):?(\d\d)\Z")
# The takeover ``run`` gives every Python process of the command: the .pth line's hook,
# then the sitecustomize this one hides (a distribution's, or the user's), if any.
_SITECUSTOMIZE: Final = '''\
"""Written by `logdial run`: logdial's PyTorch takeover in every process of the command."""
import sys

try:
    import _logdial_pth
except ImportError:  # a Python without logdial (the system's, a tool's venv): nothing to take over
    pass
else:
    try:
        _logdial_pth.install()
    except Exception as exc:  # never stop the program for its logs
        sys.stderr.write(f"logdial run: the PyTorch takeover is off in this process ({exc!r})\\n")


def _next_sitecustomize():
    import importlib.machinery
    import importlib.util
    import os

    here = os.path.dirname(os.path.abspath(__file__))
    rest = [p for p in sys.path if os.path.abspath(p or ".") != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


_next_sitecustomize()
del _next_sitecustomize
'''


def log_files(directory: Path) -> list[Path]:
    """
    The log files in ``directory`` that merge reads: ``*.log`` and ``*.jsonl`` but trace
    files (``dedicated_log_torch_trace_*``) and a merged log, ordered by the rank in their
    names (those without one last, by name).
    """
    found = [
        p
        for p in directory.iterdir()
        if p.is_file()
        and p.suffix in (".log", ".jsonl")
        and not p.name.startswith("dedicated_log_torch_trace")
        and p.name != MERGED
    ]

    def order(path: Path) -> tuple[int, int, str]:
        rank = rank_of_name(path.name)
        return (1, 0, path.name) if rank is None else (0, rank, path.name)

    return sorted(found, key=order)


def _inputs(items: Sequence[Path]) -> list[str]:
    paths: list[str] = []
    for item in items:
        if item.is_dir():
            files = log_files(item)
            if not files and (item / "logs").is_dir():  # a directory `logdial run` wrote
                files = log_files(item / "logs")
            if not files:
                raise MergeError(f"{item}: no log files (*.log, *.jsonl) in this directory")
            paths.extend(str(f) for f in files)
        else:
            paths.append(str(item))
    return paths


def parse_offset(text: str) -> int:
    """
    ``+HH:MM`` (or ``-HHMM``, or ``Z``) as seconds east of UTC.

    Raises:
        MergeError: for anything else.
    """
    if text in ("Z", "UTC"):
        return 0
    match = _OFFSET.match(text)
    if match is None or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise MergeError(f"--utc-offset {text!r}: expected an offset like +01:00, -0500 or Z")
    seconds = int(match.group(2)) * 3600 + int(match.group(3)) * 60
    return -seconds if match.group(1) == "-" else seconds


def _merge_command(args: argparse.Namespace) -> int:
    offset = parse_offset(args.utc_offset) if args.utc_offset is not None else None
    paths = _inputs(args.files)
    if args.out is not None and args.out.exists():
        for path in paths:
            if os.path.samefile(path, args.out):
                raise MergeError(f"{args.out}: is one of the files to merge (write the merged log elsewhere)")
    if args.out is None:
        merge(paths, sys.stdout, window=args.window, utc_offset=offset, follow=args.follow)
        return 0
    try:
        out = open(args.out, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise MergeError(f"{args.out}: {exc.strerror or exc}") from None
    with out:
        read, written = merge(paths, out, window=args.window, utc_offset=offset, follow=args.follow)
    print(f"{args.out}: {written} lines from {read} lines of {len(paths)} files", file=sys.stderr)
    return 0


def run(
    command: Sequence[str],
    out: Path,
    *,
    prefix: str,
    torch: bool,
    settings: str | None = None,
    environ: dict[str, str] | None = None,
    say: Callable[[str], None] = print,
) -> int:
    """
    Run ``command`` with ``{prefix}_LOGS_OUT`` and ``{prefix}_TRACE`` pointed into ``out``
    (made; it must be new or empty), then merge its logs into ``out/merged.log`` and
    write the report into ``out/report``; returns the command's exit status (128 + the
    signal's number when a signal ended it, as a shell reports it).
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise MergeError(f"{out}: exists and is not an empty directory (logdial run writes into a fresh one)")
    (out / "logs").mkdir(parents=True, exist_ok=True)
    (out / "trace").mkdir(exist_ok=True)
    env = dict(os.environ if environ is None else environ)
    env[f"{prefix}_LOGS_OUT"] = str((out / LOG_TEMPLATE).resolve())
    env[f"{prefix}_TRACE"] = str((out / "trace").resolve())
    if settings is not None:
        env[f"{prefix}_LOGS"] = settings
    with tempfile.TemporaryDirectory(prefix="logdial-run-") as site:
        if torch:
            Path(site, "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
            env["PYTHONPATH"] = os.pathsep.join(p for p in (site, env.get("PYTHONPATH", "")) if p)
        status = _wait(command, env)
    try:
        _finish(out, say)
    except Exception as exc:  # the command's status is what run reports, whatever its outputs hold
        say(f"the merged log or the report could not be written: {' '.join(str(exc).split())}")
    return status


def _wait(command: Sequence[str], env: dict[str, str]) -> int:
    try:
        child = subprocess.Popen(list(command), env=env)
    except OSError as exc:
        raise MergeError(f"cannot run {command[0]!r}: {exc.strerror or exc}") from None
    # Ctrl-C reaches the command (the terminal signals the whole group): run waits for it
    # to end, and still merges what it wrote. A TERM sent to run goes on to the command.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    forward = signal.signal(signal.SIGTERM, lambda signum, frame: child.send_signal(signum))
    try:
        status = child.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, forward)
    return 128 - status if status < 0 else status


def _finish(out: Path, say: Callable[[str], None]) -> None:
    logs = log_files(out / "logs")
    if logs:
        merged = out / MERGED
        with open(merged, "w", encoding="utf-8") as stream:
            read, written = merge([str(p) for p in logs], stream)
        say(f"merged log: {merged} ({written} lines from {read} lines of {len(logs)} files)")
    else:
        say(f"merged log: none (the command wrote no log file into {out / 'logs'})")
    from ._errors import LogdialError
    from ._report import find_traces, write_report

    try:
        find_traces([out / "trace"])
    except LogdialError:
        say(f"report: none (the command wrote no trace into {out / 'trace'})")
        return
    started = time.monotonic()
    index = write_report([out / "trace"], out / "report", progress=False)
    say(f"report: {index} ({time.monotonic() - started:.1f} s)")


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    run_command: Callable[[argparse.Namespace], int],
) -> None:
    """
    Add ``merge`` and ``run`` to the ``logdial`` command (``run_command`` runs ``run``:
    it needs the CLI's system lookup).
    """
    merging = commands.add_parser(
        "merge",
        help="merge per-rank logs into one time-ordered log",
        description="Merge logs that ranks wrote (logdial's default layout or JSON lines; directories: their "
        "*.log and *.jsonl files) into one stream in time order. Lines that several ranks wrote alike (level, "
        "source location and message) within WINDOW seconds appear once, tagged with their ranks ([rank0-7]); a "
        "line only some ranks wrote keeps exactly those ranks. glog times carry no zone: they are read in this "
        "machine's zone (TZ), or in --utc-offset's; JSON times carry theirs.",
    )
    merging.add_argument("files", metavar="FILE", nargs="+", type=Path, help="a log file or a directory of them")
    merging.add_argument("-o", "--out", metavar="OUT", type=Path, help="write here (default: standard output)")
    merging.add_argument(
        "--window",
        metavar="SECONDS",
        type=_seconds,
        default=WINDOW,
        help=f"alike lines this close to the first of them are one (default: {WINDOW:g}; 0: only the same time)",
    )
    merging.add_argument(
        "--utc-offset", metavar="+HH:MM", help="the zone the glog lines were written in (default: this machine's)"
    )
    merging.add_argument(
        "-f", "--follow", action="store_true", help="keep reading as the files grow (a running job), until Ctrl-C"
    )
    merging.set_defaults(run=_merge_command, parser=merging)

    running = commands.add_parser(
        "run",
        help="run a command, then merge its logs and report its trace",
        description="Run COMMAND (a script, torchrun ...) with the system's per-rank log files ({P}_LOGS_OUT) and "
        "trace ({P}_TRACE) pointed into a fresh directory OUT, then write OUT/merged.log and the HTML report "
        "OUT/report/index.html, and print where they are. For PyTorch's system every Python process of the "
        "command gets logdial's takeover (no .pth line needed) and TORCH_TRACE stays torch's, so tlparse reads "
        "OUT/trace too. The exit status is the command's.",
    )
    running.add_argument("--system", metavar="NAME", help="the system (default: the one installed, else torch)")
    running.add_argument("-o", "--out", metavar="OUT", type=Path, help="the directory (default: ./logdial-run-TIME)")
    running.add_argument("--settings", metavar="SETTINGS", help="the command's {P}_LOGS (default: as it is set)")
    running.add_argument("command", metavar="COMMAND", nargs=argparse.REMAINDER, help="after --: what to run")
    running.set_defaults(run=run_command, parser=running)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:  # (nan fails too)
        raise argparse.ArgumentTypeError(f"{text!r}: expected seconds from 0 to 3600")
    return value


def default_out() -> Path:
    """
    ``./logdial-run-YYYYmmdd-HHMMSS`` (with ``-N`` when that exists).
    """
    base = Path(f"logdial-run-{time.strftime('%Y%m%d-%H%M%S')}")
    path, n = base, 1
    while path.exists():
        n += 1
        path = Path(f"{base}-{n}")
    return path
