"""Trace contexts: the ids (compile id, attempt, ...) of the work in progress, per task."""

from __future__ import annotations

import contextvars
from collections.abc import Mapping
from types import MappingProxyType

from ._frozen import Frozen

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = ["CONTEXT_FIELDS", "CONTEXT_KEYS", "LABEL_KEY", "TraceContext"]

#: The envelope keys a context contributes to each trace record, in tlparse's names.
CONTEXT_KEYS: Final = ("compiled_autograd_id", "frame_id", "frame_compile_id", "attempt")
#: The fields of a context a log record carries (JSON lines, record attributes), in this
#: order, when they are set.
CONTEXT_FIELDS: Final = ("frame_id", "frame_compile_id", "attempt", "compiled_autograd_id", "label")
#: The envelope key that carries a context's label when it has no compile ids, so the
#: report files the record under the label. Neither torch nor tlparse uses the key: tlparse
#: 0.4.3 counts it as an unknown field and keeps it in raw.jsonl (no failure, the same ``ok``).
LABEL_KEY: Final = "logdial_label"

_U32: Final = 1 << 32


class TraceContext(Frozen):
    """
    The ids of the work in progress. Every field is optional; ``label`` replaces the
    compile-id display (``[0/1]``) with one of the program's own (``[step 3]``).

    Attributes:
        shown: the form log lines show (``display()``), computed once.
        ids: the ids as trace-record keys (``envelope()``, read-only, not copied).
    """

    __slots__ = (
        "_empty",
        "attempt",
        "compiled_autograd_id",
        "frame_compile_id",
        "frame_id",
        "ids",
        "label",
        "shown",
    )
    _fields = ("frame_id", "frame_compile_id", "attempt", "compiled_autograd_id", "label")
    frame_id: int | None
    frame_compile_id: int | None
    attempt: int | None
    compiled_autograd_id: int | None
    label: str | None
    shown: str
    _empty: bool
    ids: Mapping[str, int]

    def __init__(
        self,
        frame_id: int | None = None,
        frame_compile_id: int | None = None,
        attempt: int | None = None,
        compiled_autograd_id: int | None = None,
        label: str | None = None,
    ) -> None:
        ids = {
            "compiled_autograd_id": compiled_autograd_id,
            "frame_id": frame_id,
            "frame_compile_id": frame_compile_id,
            "attempt": attempt,
        }
        for key, value in ids.items():
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _U32):
                raise ValueError(f"trace context {key} must be an int in [0, 2**32), not {value!r}")
        if label is not None and (not isinstance(label, str) or not label.isprintable()):
            raise ValueError(f"trace context label must be a printable string, not {label!r}")
        self._set(**ids, label=label)
        # Once: every log line made in the context shows it, every trace record carries it.
        envelope = {k: v for k, v in ids.items() if v is not None}
        if "frame_compile_id" in envelope and "attempt" not in envelope:
            envelope["attempt"] = 0
        self._set(_empty=label is None and not envelope, ids=MappingProxyType(envelope))
        self._set(shown=self._render())

    def merged(self, other: TraceContext) -> TraceContext:
        """
        This context with the fields ``other`` sets replaced (its ``None`` fields keep ours).

        >>> TraceContext(0, 9).merged(TraceContext(frame_compile_id=1, attempt=2)).display()
        '[0/1_2]'
        """
        values = [getattr(self, f) if getattr(other, f) is None else getattr(other, f) for f in self._fields]
        return TraceContext(*values)

    @property
    def empty(self) -> bool:
        """
        Whether the context carries nothing at all.
        """
        return self._empty

    def display(self) -> str:
        """
        The form shown in log lines, as torch shows a compile id (computed once).

        >>> TraceContext(0, 1).display(), TraceContext(0, 1, 2).display(), TraceContext(3).display()
        ('[0/1]', '[0/1_2]', '[3/-]')
        >>> TraceContext(compiled_autograd_id=0).display(), TraceContext(label="step 7").display()
        ('[!0/-/-]', '[step 7]')
        """
        return self.shown

    def _render(self) -> str:
        if self.label is not None:
            return f"[{self.label}]"
        if self.empty:
            return ""
        head = f"!{self.compiled_autograd_id}/" if self.compiled_autograd_id is not None else ""
        frame = "-" if self.frame_id is None else str(self.frame_id)
        compile_ = "-" if self.frame_compile_id is None else str(self.frame_compile_id)
        tail = f"_{self.attempt}" if self.attempt else ""
        return f"[{head}{frame}/{compile_}{tail}]"

    def envelope(self) -> dict[str, int]:
        """
        The ids as trace-record keys; ``attempt`` defaults to 0 beside a compile id, as
        tlparse files a record by all four.
        """
        return dict(self.ids)


EMPTY: Final = TraceContext()


def new_var(name: str) -> contextvars.ContextVar[TraceContext]:
    """
    A context variable for one system's trace context.
    """
    return contextvars.ContextVar(f"logdial_trace_context_{name}", default=EMPTY)
