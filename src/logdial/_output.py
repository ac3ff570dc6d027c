"""Where a system's records go: the output choices, and the handlers and formatters made from them.

Four sources choose, the first that says wins: a test's capture (logdial's pytest fixture,
``capturing``), ``set_output``, the environment (``{P}_LOGS_CONSOLE``, ``{P}_LOGS_OUT``,
``{P}_LOGS_FORMAT``), the system's defaults. ``Outputs.build`` turns the choice into
logdial's handlers (reusing the file handler when the file is the same); ``make_formatter``
turns a format into a formatter.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterator

from ._console import CONSOLES, ConsoleHandler
from ._env import EnvConfig
from ._errors import FormatError
from ._files import FileHandler
from ._forks import Callbacks
from ._formatting import NO_RANK, GlogFormatter, PercentFormatter, escape_controls, is_json, no_context
from ._handlers import NullHandler, RoutingFormatter

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, TypedDict, TypeGuard

    from ._console import Console
    from ._context import TraceContext
    from ._formatting import ArtifactOf, ContextOf, RankView
    from ._registry import Registry

    class Choices(TypedDict, total=False):
        """
        Output choices, by name: only those made (by ``set_output``, or a capture).
        """

        console: Console
        file: str | None
        format: str | None
        propagate: bool


__all__ = ["UNSET", "Outputs", "capturing", "check_choices", "make_formatter"]

#: A keyword ``set_output`` was not given.
UNSET: Final = object()
_BASIC_NAMES: Final = frozenset({"short", "basic"})

#: Output choices that win over every system's own while logdial's pytest fixture is
#: active (see ``capturing``): empty otherwise.
_CAPTURE: Choices = {}
#: How many captures are active (they nest: a ``with LogCapture()`` inside the fixture).
_CAPTURES = [0]
#: What to call when the capture starts or ends: each system's rebuild, held weakly.
_REBUILDS = Callbacks()


def on_capture_change(rebuild: Callable[[], None]) -> None:
    """
    Call the bound method ``rebuild`` (held weakly) when a capture starts or ends.
    """
    _REBUILDS.add(rebuild)


@contextlib.contextmanager
def capturing() -> Iterator[None]:
    """
    For logdial's pytest fixture: while active, every system (and every one initialised
    meanwhile) writes nothing to the console and lets its records propagate to the root
    logger's handlers (pytest's caplog, the fixture's own); its file output stays. Undone
    at exit; captures nest (the outermost one's end undoes it).
    """
    _CAPTURES[0] += 1
    if _CAPTURES[0] == 1:
        _CAPTURE.update({"console": "none", "propagate": True})
        _rebuild_all()
    try:
        yield
    finally:
        _CAPTURES[0] -= 1
        if not _CAPTURES[0]:  # the outermost capture ends
            del _CAPTURE["console"], _CAPTURE["propagate"]
            _rebuild_all()


def _rebuild_all() -> None:
    _REBUILDS.run()


def is_console(value: object) -> TypeGuard[Console]:
    """
    Whether ``value`` is one of ``CONSOLES``.
    """
    return value in CONSOLES


def check_console(console: object) -> Console:
    """
    ``console``, checked.

    Raises:
        ValueError: for a console that is not one of ``CONSOLES``.
    """
    if not is_console(console):
        raise ValueError(f"console must be one of {', '.join(CONSOLES)}, not {console!r}")
    return console


def check_choices(
    console: object,
    file: object,
    format: object,  # noqa: A002 (set_output's keyword)
    propagate: object,
    *,
    check_format: Callable[[str], object],
    out_path: Callable[[str], str],
) -> Choices:
    """
    ``set_output``'s arguments checked (the file opened once, so that a path that cannot
    be opened is the caller's error, said now): the choices given, by name.

    Raises:
        FormatError, ValueError, TypeError, OSError: naming the argument and what is wrong.
    """
    given: Choices = {}
    if console is not UNSET:
        given["console"] = check_console(console)
    if isinstance(format, str):
        check_format(format)
    elif format is not UNSET and format is not None:
        raise FormatError(f"format must be a string or None, not {format!r}")
    if propagate is not UNSET and not isinstance(propagate, bool):
        raise TypeError(f"propagate must be a bool, not {propagate!r}")
    if file is not UNSET and file is not None:
        if not isinstance(file, (str, os.PathLike)):
            raise TypeError(f"file must be a path or None, not {file!r}")
        try:
            with open(out_path(os.fspath(file)), "a", encoding="utf-8"):
                pass
        except OSError as exc:
            message = f"set_output(file=...) cannot open the log file: {exc.strerror}"
            raise OSError(exc.errno, message, file) from None
        given["file"] = os.fspath(file)
    elif file is None:
        given["file"] = None
    if format is None or isinstance(format, str):
        given["format"] = format
    if isinstance(propagate, bool):
        given["propagate"] = propagate
    return given


def make_formatter(
    fmt: str | None,
    *,
    artifact_of: ArtifactOf,
    color: bool,
    context_of: ContextOf = no_context,
    ranks: RankView = NO_RANK,
    registry_of: Callable[[], Registry] | None = None,
    trace_context: Callable[[], TraceContext | None] | None = None,
) -> logging.Formatter:
    """
    The formatter for ``fmt``: glog-style when ``None``, ``logging.BASIC_FORMAT`` for
    ``short`` or ``basic`` (any case), one JSON object per record for ``json`` (its
    ``component`` from ``registry_of()``, its context ids from ``trace_context()``), else
    a validated %-style format.

    Raises:
        FormatError: for an invalid format.
    """
    if fmt is None:
        return GlogFormatter(artifact_of=artifact_of, color=color, context_of=context_of, ranks=ranks)
    if is_json(fmt):
        from ._jsonformat import JsonFormatter  # only for this format

        return JsonFormatter(artifact_of=artifact_of, ranks=ranks, registry_of=registry_of, trace_context=trace_context)
    if isinstance(fmt, str) and fmt.strip().lower() in _BASIC_NAMES:
        fmt = logging.BASIC_FORMAT
    return PercentFormatter(fmt, artifact_of=artifact_of, context_of=context_of, ranks=ranks)


class Outputs:
    """
    One system's output choices and the handlers made from them.

    Attributes:
        explicit: what ``set_output`` chose, by name (``console``, ``file``, ``format``,
            ``propagate``).
        handlers: the handlers made last (placed by the applier).
        retired: the handlers the last ``build`` replaced, for the system to retire once
            the new ones are in place.
    """

    def __init__(
        self,
        name: str,
        console: str,
        propagate: bool,
        *,
        formatter: Callable[[str | None, bool], logging.Formatter],
        logger_formats: Callable[[str], logging.Formatter | None],
        out_path: Callable[[str], str],
        report: Callable[[str], None],
    ) -> None:
        self.name = name
        self.formatter = formatter
        self._logger_formats = logger_formats
        self.out_path = out_path
        self._report = report
        #: Where records that could not be formatted were logged, shared by the handlers
        #: so that each bad call is reported once (see _handlers.ReportsOnce).
        self.error_sites: set[tuple[str, int]] = set()
        self._console, self._propagate = console, propagate
        self.explicit: Choices = {}
        self.handlers: tuple[logging.Handler, ...] = ()
        self.retired: list[logging.Handler] = []

    def _chosen(self) -> Choices:
        if not _CAPTURE:
            return self.explicit
        chosen: Choices = {**self.explicit}
        chosen.update(_CAPTURE)
        return chosen

    @property
    def propagate(self) -> bool:
        """
        Whether records go on to the parent loggers.
        """
        return self._chosen().get("propagate", self._propagate)

    def build(self, env: EnvConfig, strict: bool) -> tuple[logging.Handler, ...]:
        """
        The handlers for the choices in force and ``env``; what the environment gives
        that cannot be used is reported and replaced by the default, unless ``strict``
        (then a bad format raises). Sets ``handlers`` and ``retired``.

        Raises:
            FormatError: for an invalid format, when ``strict``.
        """
        formatter, logger_formats, error_sites = self.formatter, self._logger_formats, self.error_sites
        out_path, report = self.out_path, self._report
        chosen = self._chosen()
        wanted = chosen.get("console", env.console or self._console)
        console: Console = "stderr"
        if is_console(wanted):
            console = wanted
        else:
            report(f"{env.name('CONSOLE')}={wanted!r} is not valid: use stderr, stdout or none; using stderr")
        fmt = chosen.get("format", env.format)
        try:
            plain = formatter(fmt, False)
        except FormatError as exc:
            if strict:
                raise
            report(f"{env.name('FORMAT')}: {exc}; using the default format")
            fmt, plain = None, formatter(None, False)
        color = None  # NO_COLOR wins; FORCE_COLOR beats TERM=dumb (see EnvConfig)
        if fmt is None and not env.no_color and (env.force_color or not env.dumb_terminal):
            color = RoutingFormatter(formatter(None, True), logger_formats)
        if not is_json(fmt):  # JSON lines stay JSON: an artifact's own log_format does not apply
            plain = RoutingFormatter(plain, logger_formats)
        handlers: list[logging.Handler] = []
        if console != "none":
            forced = env.force_color and not env.no_color
            handlers.append(ConsoleHandler(self.name, console, plain, color, error_sites=error_sites, forced=forced))
        path = chosen.get("file", env.out)
        if path is not None:
            path = out_path(path)
            old = next((h for h in self.handlers if isinstance(h, FileHandler)), None)
            if old is not None and old.baseFilename == os.path.abspath(str(path)) and old.same_file():
                old.setFormatter(plain)  # (a file rotated away since is opened anew, below)
                handlers.append(old)
            else:
                try:
                    handlers.append(FileHandler(self.name, str(path), plain, error_sites=error_sites))
                except OSError as exc:
                    rest = "logging to the console only" if console != "none" else "no log output is left"
                    shown = escape_controls(str(path), newlines=False)
                    report(f"{env.name('OUT')}={shown}: cannot open the log file ({exc.strerror}); {rest}")
        made = tuple(handlers) or (NullHandler(self.name),)
        self.retired = [h for h in self.handlers if h not in made]
        self.handlers = made
        return made

    def reset(self) -> tuple[logging.Handler, ...]:
        """
        Forget the choices of ``set_output`` and the sites of bad records; return the
        handlers made last, which it no longer holds, for the system to retire.
        """
        handlers, self.handlers = self.handlers, ()
        self.explicit = {}
        self.error_sites.clear()
        return handlers
