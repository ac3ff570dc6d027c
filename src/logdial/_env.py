"""The environment variables of a system, read from an injected mapping at ``init()``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["EnvConfig"]

_TRUE = frozenset({"1", "true", "yes", "on"})


@dataclass(frozen=True, slots=True)
class EnvConfig:
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
    """

    prefix: str
    logs: str | None = None
    out: str | None = None
    format: str | None = None
    console: str | None = None
    strict: bool = False
    no_color: bool = False

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
        )

    def name(self, suffix: str = "") -> str:
        """
        The full name of a variable: ``name("OUT")`` is ``{P}_LOGS_OUT``.
        """
        return f"{self.prefix}_LOGS" + (f"_{suffix}" if suffix else "")
