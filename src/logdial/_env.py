"""The environment variables of a system, read from an injected mapping at ``init()``."""

from __future__ import annotations

import os
import re

from ._frozen import Frozen
from ._levels import parse_level

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Final

__all__ = ["NO_RANK_TEXT", "SUFFIXES", "EnvConfig", "expand_path", "parse_others"]

_TRUE = frozenset({"1", "true", "yes", "on"})

#: What ``%r`` becomes in a ``{P}_LOGS_OUT`` template while no rank is known.
NO_RANK_TEXT: Final = "norank"
# A pattern, not a compiled regex: compiled on first use, not when logdial is imported.
_TEMPLATE: Final = "%([rp%])"


def _forces(value: str | None) -> bool:
    # FORCE_COLOR / CLICOLOR_FORCE: set, and not to "" (force-color.org), "0" or "false"
    # (what CLICOLOR_FORCE and Node's tools take as "no").
    return value is not None and value.strip().lower() not in ("", "0", "false")


#: The variables a system of prefix P reads (``{P}_<suffix>``), in the README's order: the
#: one list (``EnvConfig.from_environ`` reads them, ``logdial list`` and the help name them;
#: the tests pin the three together).
SUFFIXES: Final = (
    "LOGS",
    "LOGS_OUT",
    "LOGS_FORMAT",
    "LOGS_CONSOLE",
    "LOGS_STRICT",
    "LOGS_RANKS",
    "LOGS_RANKS_OTHERS",
    "LOGS_CONTROL",
    "TRACE",
)


class EnvConfig(Frozen):
    """
    What the environment says, for the variables of prefix ``P``.

    Attributes:
        logs: ``{P}_LOGS``, the settings (``None`` when unset or blank).
        out: ``{P}_LOGS_OUT``, a file to write the logs to as well: a template in which
            ``%r`` is the rank and ``%p`` the process id (see ``expand_path``).
        format: ``{P}_LOGS_FORMAT``, a %-style format, or ``short``/``basic``.
        console: ``{P}_LOGS_CONSOLE``: ``stderr``, ``stdout`` or ``none`` (read in any
            case, around spaces ignored; another value is kept for ``init()`` to report).
        strict: ``{P}_LOGS_STRICT`` is ``1``/``true``/``yes``/``on``.
        no_color: ``NO_COLOR`` is set to anything non-empty: never colour (it wins).
        force_color: ``FORCE_COLOR`` or ``CLICOLOR_FORCE`` is set, to anything but empty,
            ``0`` or ``false``: colour the console even when it is not a terminal (piped
            to ``less -R``, a CI log that shows colours).
        dumb_terminal: ``TERM=dumb``: a terminal that shows no colour.
        trace: ``{P}_TRACE``, a directory to write the structured trace into.
        ranks: ``{P}_LOGS_RANKS``, the ranks that log (``0,2-3``), as written; ``init()``
            checks it.
        ranks_others: ``{P}_LOGS_RANKS_OTHERS``, what the other ranks log (``error``,
            ``silent`` or a level), as written; ``init()`` checks it.
        control: ``{P}_LOGS_CONTROL`` is ``1``/``true``/``yes``/``on``: ``logdial set``
            may change the settings while the program runs (see ``enable_control``).
    """

    __slots__ = (
        "console",
        "control",
        "dumb_terminal",
        "force_color",
        "format",
        "logs",
        "no_color",
        "out",
        "prefix",
        "ranks",
        "ranks_others",
        "strict",
        "trace",
    )
    _fields = (
        "prefix",
        "logs",
        "out",
        "format",
        "console",
        "strict",
        "no_color",
        "trace",
        "ranks",
        "ranks_others",
        "force_color",
        "dumb_terminal",
        "control",
    )
    prefix: str
    logs: str | None
    out: str | None
    format: str | None
    console: str | None
    strict: bool
    no_color: bool
    force_color: bool
    dumb_terminal: bool
    trace: str | None
    ranks: str | None
    ranks_others: str | None
    control: bool

    def __init__(
        self,
        prefix: str,
        *,
        logs: str | None = None,
        out: str | None = None,
        format: str | None = None,  # noqa: A002 (the variable's name)
        console: str | None = None,
        strict: bool = False,
        no_color: bool = False,
        trace: str | None = None,
        ranks: str | None = None,
        ranks_others: str | None = None,
        force_color: bool = False,
        dumb_terminal: bool = False,
        control: bool = False,
    ) -> None:
        self._set(
            prefix=prefix,
            logs=logs,
            out=out,
            format=format,
            console=console,
            strict=strict,
            no_color=no_color,
            trace=trace,
            ranks=ranks,
            ranks_others=ranks_others,
            force_color=force_color,
            dumb_terminal=dumb_terminal,
            control=control,
        )

    def with_logs(self, logs: str | None) -> EnvConfig:
        """
        The same variables, with ``{P}_LOGS`` set to ``logs`` (``logdial set``).
        """
        return self._replace(logs=logs)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None, *, prefix: str) -> EnvConfig:
        """
        Read the variables of ``prefix`` from ``environ`` (default ``os.environ``).

        >>> EnvConfig.from_environ({"X_LOGS": "+a", "X_LOGS_STRICT": "1"}, prefix="X").logs
        '+a'
        """
        env = os.environ if environ is None else environ

        def get(suffix: str) -> str | None:
            value = env.get(f"{prefix}_{suffix}")
            return value if value is not None and value.strip() else None

        def switched_on(suffix: str) -> bool:  # 1, true, yes, on (any case, around spaces)
            value = get(suffix)
            return value is not None and value.strip().lower() in _TRUE

        console = get("LOGS_CONSOLE")
        return cls(
            prefix=prefix,
            logs=get("LOGS"),
            out=get("LOGS_OUT"),
            format=get("LOGS_FORMAT"),
            console=None if console is None else console.strip().lower(),
            strict=switched_on("LOGS_STRICT"),
            no_color=bool(env.get("NO_COLOR")),
            trace=get("TRACE"),
            ranks=get("LOGS_RANKS"),
            ranks_others=get("LOGS_RANKS_OTHERS"),
            force_color=any(_forces(env.get(name)) for name in ("FORCE_COLOR", "CLICOLOR_FORCE")),
            dumb_terminal=env.get("TERM", "").strip().lower() == "dumb",
            control=switched_on("LOGS_CONTROL"),
        )

    def name(self, suffix: str = "") -> str:
        """
        The full name of a variable: ``name("OUT")`` is ``{P}_LOGS_OUT``.
        """
        return f"{self.prefix}_LOGS" + (f"_{suffix}" if suffix else "")


def expand_path(template: str, rank: int | None, pid: int) -> str:
    """
    ``template`` with ``%r`` replaced by the rank (``norank`` when there is none), ``%p``
    by the process id and ``%%`` by ``%``, as ``GST_DEBUG_FILE`` does; any other ``%``
    stays as written, so that a path which worked before keeps working.

    >>> expand_path("/logs/run_%r.%p.log", 3, 4242), expand_path("100%_%%r_%r", None, 1)
    ('/logs/run_3.4242.log', '100%_%r_norank')
    """
    if "%" not in template:
        return template
    values = {"r": NO_RANK_TEXT if rank is None else str(rank), "p": str(pid), "%": "%"}
    return re.sub(_TEMPLATE, lambda m: values[m[1]], template)


def parse_others(text: str) -> int | None:
    """
    What ``{P}_LOGS_RANKS_OTHERS`` says the other ranks log: the level they need (a name
    or a number, ``error`` by default), or ``None`` for ``silent``.

    >>> parse_others("error"), parse_others("Warning"), parse_others("silent"), parse_others("45")
    (40, 30, None, 45)

    Raises:
        ValueError: for anything else.
    """
    if text.strip().lower() == "silent":
        return None
    level = parse_level(text)
    if level is None:
        raise ValueError(
            f"{text!r} is not a level: use error (the default), silent, or a level "
            "(debug, info, warning, error, critical or a number)"
        )
    return level
