"""The environment variables of a system, read from an injected mapping at ``init()``."""

from __future__ import annotations

import os

from ._frozen import Frozen

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["EnvConfig"]

_TRUE = frozenset({"1", "true", "yes", "on"})


class EnvConfig(Frozen):
    """
    What the environment says, for the variables of prefix ``P``.

    Attributes:
        logs: ``{P}_LOGS``, the settings (``None`` when unset or blank).
        out: ``{P}_LOGS_OUT``, a file to write the logs to as well.
        format: ``{P}_LOGS_FORMAT``, a %-style format, or ``short``/``basic``.
        console: ``{P}_LOGS_CONSOLE``: ``stderr``, ``stdout`` or ``none`` (read in any
            case, around spaces ignored; another value is kept for ``init()`` to report).
        strict: ``{P}_LOGS_STRICT`` is ``1``/``true``/``yes``/``on``.
        no_color: ``NO_COLOR`` is set to anything non-empty.
        trace: ``{P}_TRACE``, a directory to write the structured trace into.
    """

    __slots__ = ("console", "format", "logs", "no_color", "out", "prefix", "strict", "trace")
    _fields = ("prefix", "logs", "out", "format", "console", "strict", "no_color", "trace")
    prefix: str
    logs: str | None
    out: str | None
    format: str | None
    console: str | None
    strict: bool
    no_color: bool
    trace: str | None

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
        )

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

        strict = get("LOGS_STRICT")
        console = get("LOGS_CONSOLE")
        return cls(
            prefix=prefix,
            logs=get("LOGS"),
            out=get("LOGS_OUT"),
            format=get("LOGS_FORMAT"),
            console=None if console is None else console.strip().lower(),
            strict=strict is not None and strict.strip().lower() in _TRUE,
            no_color=bool(env.get("NO_COLOR")),
            trace=get("TRACE"),
        )

    def name(self, suffix: str = "") -> str:
        """
        The full name of a variable: ``name("OUT")`` is ``{P}_LOGS_OUT``.
        """
        return f"{self.prefix}_LOGS" + (f"_{suffix}" if suffix else "")
