"""JSON lines: one JSON object per record (``{P}_LOGS_FORMAT=json``), for log shippers."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

from ._context import CONTEXT_FIELDS, EMPTY, TraceContext
from ._fields import ComponentIndex
from ._formatting import NO_RANK, format_traceback, relative_path
from ._registry import Registry

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

    from ._formatting import ArtifactOf, RankView

__all__ = ["CONTEXT_FIELDS", "ComponentIndex", "JsonFormatter"]


_EMPTY_REGISTRY: Final = Registry()


def _no_artifact(name: str) -> str | None:
    return None


def _no_context() -> TraceContext:
    return EMPTY


class JsonFormatter(logging.Formatter):
    """
    One JSON object per record, on one line (newlines in the message are escaped, as JSON
    writes them; the text is ASCII, so no reader splits or misreads a line). Its keys:

    - ``time``: ISO 8601 local time with microseconds and UTC offset,
      ``2024-12-01T07:00:21.665000+01:00``;
    - ``level`` (``INFO``, ...), ``logger``, ``component`` (or ``null``), ``artifact`` (or
      ``null``), ``rank`` (or ``null``), ``pid``;
    - the trace context's ``frame_id``, ``frame_compile_id``, ``attempt``,
      ``compiled_autograd_id`` and ``label``, each only when set;
    - ``message`` (the message with its arguments), then ``exception`` (the traceback)
      and ``stack`` when the record has them;
    - ``file`` (relative to ``sys.path``, as in the text lines) and ``line``.
    """

    def __init__(
        self,
        *,
        artifact_of: ArtifactOf = _no_artifact,
        ranks: RankView = NO_RANK,
        registry_of: Callable[[], Registry] | None = None,
        trace_context: Callable[[], TraceContext | None] | None = None,
    ) -> None:
        super().__init__()
        self._artifact_of = artifact_of
        self._ranks = ranks
        self._component_of = ComponentIndex(registry_of or (lambda: _EMPTY_REGISTRY))
        self._trace_context = trace_context or _no_context
        # (second, its "YYYY-MM-DDTHH:MM:SS", its "+HH:MM"), one attribute (see GlogFormatter).
        self._stamp: tuple[int, str, str] = (-1, "", "")

    def _time(self, created: float) -> str:
        micros = int(created * 1_000_000 + 0.5)  # rounded, as GlogFormatter does
        second = micros // 1_000_000
        cached, stamp, offset = self._stamp
        if second != cached:  # one localtime per second, not per record
            local = time.localtime(second)
            minutes = (local.tm_gmtoff or 0) // 60
            sign = "-" if minutes < 0 else "+"
            offset = f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", local)
            self._stamp = (second, stamp, offset)
        return f"{stamp}.{micros - second * 1_000_000:06d}{offset}"

    def format(self, record: logging.LogRecord) -> str:
        """
        The record as one line of JSON; the record is not modified.
        """
        name = record.name
        out: dict[str, object] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": name,
            "component": self._component_of(name),
            "artifact": self._artifact_of(name),
            "rank": self._ranks.rank,
            "pid": record.process,
        }
        context = self._trace_context()
        if context is not None and context is not EMPTY:
            for key in CONTEXT_FIELDS:
                value = getattr(context, key)
                if value is not None:
                    out[key] = value
        out["message"] = record.getMessage()
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        out["file"] = relative_path(record.pathname)
        out["line"] = record.lineno
        return json.dumps(out, default=str)

    def formatException(self, ei: logging._SysExcInfoType) -> str:  # noqa: N802 (stdlib name)
        """
        The traceback of ``ei`` without a trailing newline.
        """
        return format_traceback(ei)
