"""The ``logdial`` command: list the installed systems, show their help, explain settings, write reports."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from . import __version__
from ._control_cli import add_commands
from ._errors import LogdialError, RegistrationError, SettingsError
from ._explain import Source, explain
from ._notices import notice
from ._plugins import GROUP, PluginError, UnknownSystemError, discover, find, variables
from ._registry import check_logger_name
from ._run import add_commands as add_rank_commands
from ._run import default_out, run
from ._system import LogSystem

__all__ = ["main"]

PROG: Final = "logdial"

# Exit statuses: 0 success; 1 a failure the user can fix in what they gave (an invalid
# setting, an unreadable trace, a plugin that does not load); 2 a usage error (argparse's,
# and a system name that is not installed, which is a wrong argument like an invalid choice).
OK: Final = 0
FAILED: Final = 1
USAGE: Final = 2


class _UserError(Exception):
    """
    A user's mistake, shown as one ``logdial: ...`` message on stderr, with ``status``.
    """

    def __init__(self, message: str, status: int = FAILED) -> None:
        super().__init__(message)
        self.status = status


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the command with ``argv`` (default ``sys.argv[1:]``) and return its exit status.

    Usage errors exit through argparse (``SystemExit(2)``) after printing the usage.
    """
    parser = _parser()
    args, extras = parser.parse_known_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    if extras:
        _settings_from(args, extras)
    try:
        status = run(args)
        sys.stdout.flush()
    except _UserError as exc:
        _error(str(exc))
        return exc.status
    except LogdialError as exc:  # (merge's and run's inputs: a file that cannot be read, ...)
        _error(" ".join(str(exc).split()))
        return FAILED
    except KeyboardInterrupt:
        return 130  # what a shell reports for SIGINT, without a traceback
    except OSError as exc:
        # `logdial help x | head`: the reader left (nothing to say); `> /dev/full`: the
        # output cannot take it (said in one line). Point stdout at devnull so that the
        # final flush at exit does not complain too (the recipe of Python's signal docs).
        if not isinstance(exc, BrokenPipeError):
            _error(f"cannot write the output ({exc.strerror or exc})")
        fileno = getattr(sys.stdout, "fileno", None)
        if fileno is not None:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, fileno())
        return FAILED
    return status


def _settings_from(args: argparse.Namespace, extras: list[str]) -> None:
    """
    Take the settings of ``explain`` from what argparse left over, or fail as it would.

    A settings string may start with ``-`` (``-dynamo,+inductor``), which argparse takes
    for an unknown option, and an optional positional after an option (``--json +dynamo``)
    is left over too; both are the SETTINGS. Nothing else is.
    """
    rest = extras[1:] if extras[0] == "--" else extras
    takes = getattr(args, "extra_settings", False)  # (explain and set)
    if takes and args.settings is None and len(rest) == 1 and not rest[0].startswith("--"):
        args.settings = rest[0]
        return
    subparser: argparse.ArgumentParser = args.parser
    subparser.error(f"unrecognized arguments: {' '.join(extras)}")


def _error(message: str) -> None:
    notice(f"{PROG}: {message}")  # (escaped: a file name from outside cannot play terminal tricks)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Inspect the logdial systems installed in this environment: their names, "
        "help and settings, and turn structured traces into an HTML report.",
        epilog=f"A library makes its system known with an entry point in the {GROUP!r} group.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    listing = commands.add_parser(
        "list",
        help="the installed systems and their environment variables",
        description="List the installed systems: each with its environment variables and how many "
        "components and artifacts it registers. A system that cannot be loaded is listed with the "
        "error; the others still are, and the exit status is 0.",
    )
    listing.set_defaults(run=_list, parser=listing)

    helping = commands.add_parser(
        "help",
        help="a system's help message",
        description="Print a system's help message: the text {P}_LOGS=help shows. Without SYSTEM: "
        "the one installed system besides logdial's demo (the demo when it is the only one).",
    )
    helping.add_argument(
        "system", metavar="SYSTEM", nargs="?", default=None, help="an installed system (see: logdial list)"
    )
    helping.add_argument("--all", action="store_true", help="list every artifact, as {P}_LOGS=+help does")
    helping.set_defaults(run=_help, parser=helping)

    explaining = commands.add_parser(
        "explain",
        help="what a setting does to a system, and why",
        description="Explain what a settings string does: the level of every component's loggers and where "
        "it comes from, whether each artifact shows and why, and the modules it names. Without SETTINGS, "
        "the system's {P}_LOGS variable is read from the environment. SETTINGS may start with '-' "
        "('-dynamo,+inductor'). An invalid setting prints the error and the exit status is 1.",
    )
    explaining.add_argument("system", metavar="SYSTEM", help="an installed system (see: logdial list)")
    explaining.add_argument("settings", metavar="SETTINGS", nargs="?", help="e.g. '+dynamo,aot' (default: {P}_LOGS)")
    explaining.add_argument("--json", action="store_true", help="print the explanation as JSON, for scripts")
    explaining.add_argument(
        "--logger",
        metavar="NAME",
        action="append",
        default=[],
        type=_logger_name,
        help="a logger the program creates when it runs, so that a setting may name it as init() would "
        "accept it (repeatable)",
    )
    explaining.set_defaults(run=_explain, parser=explaining, extra_settings=True)

    reporting = commands.add_parser(
        "report",
        help="an HTML report of structured traces",
        description="Write an HTML report of one or more structured trace files (or directories of them, "
        "one file per rank) into the directory OUT, and print the path of its index.html.",
    )
    reporting.add_argument("traces", metavar="TRACE", nargs="+", type=Path, help="a trace file or a directory")
    reporting.add_argument("-o", "--out", metavar="OUT", type=Path, required=True, help="the report's directory")
    reporting.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: only when stderr is a terminal)",
    )
    reporting.set_defaults(run=_report, parser=reporting)
    add_commands(commands)
    add_rank_commands(commands, _run)
    return parser


def _logger_name(text: str) -> str:
    try:
        check_logger_name(text)
    except RegistrationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _load(name: str) -> LogSystem:
    try:
        return find(name).load()
    except UnknownSystemError as exc:
        raise _UserError(str(exc), USAGE) from None
    except PluginError as exc:
        raise _UserError(str(exc)) from None


def _only_system() -> str:
    # The system a command means when none is named: the one installed besides logdial's
    # demo, else the demo; with several, the user must say which.
    plugins = [p for p in discover() if not p.shadowed]
    names = [p.name for p in plugins]
    others = [p.name for p in plugins if not p.module.startswith("logdial.demo")]
    if len(others) == 1:
        return others[0]
    if not others and names:
        return names[0]
    if not names:
        raise _UserError(f"no logdial systems are installed (a library registers one in {GROUP!r})", USAGE)
    raise _UserError(f"name a system: installed: {', '.join(names)}", USAGE)


# -- the commands ------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    plugins = discover()
    if not plugins:
        print(f"No logdial systems are installed (a library registers one in the entry point group {GROUP!r}).")
        return OK
    out = sys.stdout
    for plugin in plugins:
        where = plugin.value + (f", from {plugin.distribution}" if plugin.distribution else "")
        if plugin.shadowed:
            out.write(f"{plugin.name}: shadowed ({where}): a distribution earlier on sys.path registers this name\n")
            continue
        try:
            system = plugin.load()
        except PluginError as exc:
            out.write(f"{plugin.name}: error: {exc}\n")
            continue
        registry = system.registry
        counts = f"{_count(len(registry.components), 'component')}, {_count(len(registry.artifacts), 'artifact')}"
        out.write(f"{plugin.name}: {counts} ({where})\n")
        out.write(f"  variables: {' '.join(variables(system))}\n")
        if plugin.module.startswith("logdial.demo"):  # it shares TORCH_LOGS with torch's system
            out.write("  logdial's demo: its variables are read only by `python -m logdial.demo`\n")
    return OK


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _help(args: argparse.Namespace) -> int:
    system = _load(args.system if args.system is not None else _only_system())
    sys.stdout.write(system.help_message(verbose=args.all))
    return OK


def _explain(args: argparse.Namespace) -> int:
    system = _load(args.system)
    for name in args.logger:
        logging.getLogger(name)  # what the program does when it runs: the name is now an existing logger
    source: Source
    if args.settings is not None:
        text, source = args.settings, "argument"
    elif system.var in os.environ:
        text, source = os.environ[system.var], "environment"
    else:
        text, source = "", "unset"
    try:
        explanation = explain(system, text, source=source)
    except SettingsError as exc:
        raise _UserError(str(exc)) from None
    sys.stdout.write(explanation.to_json() + "\n" if args.json else explanation.to_text())
    return OK


def _report(args: argparse.Namespace) -> int:
    # Imported here: the report is the only command that needs it, and importing logdial
    # (or running the other commands) must not import it.
    from ._report import write_report

    try:
        index = write_report(args.traces, args.out, progress=args.progress)
    except LogdialError as exc:  # a malformed trace (TraceFormatError), bad inputs or OUT (ReportError)
        raise _UserError(" ".join(str(exc).split())) from None
    except OSError as exc:
        raise _UserError(_os_error(exc)) from None
    print(index)
    return OK


def _run(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        args.parser.error("name the command to run after --: logdial run -- torchrun --nproc-per-node 4 train.py")
    name = args.system if args.system is not None else _only_system()
    system = _load(name)
    torch = find(name).module.startswith("logdial.pytorch")
    try:
        return run(
            command,
            (args.out if args.out is not None else default_out()).absolute(),
            prefix=system.var.removesuffix("_LOGS"),
            torch=torch,
            settings=args.settings,
            say=lambda text: print(f"logdial run: {text}", file=sys.stderr),
        )
    except LogdialError as exc:
        raise _UserError(" ".join(str(exc).split())) from None
    except OSError as exc:
        raise _UserError(_os_error(exc)) from None


def _os_error(exc: OSError) -> str:
    if exc.strerror and exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    return " ".join(str(exc).split())
