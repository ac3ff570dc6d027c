"""The trace API of a system: trace_structured, artifacts, contexts, stacks, overhead."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping

from ._context import LABEL_KEY, TraceContext, new_var
from ._forks import held, in_forked_child
from ._registry import RESERVED_NAMES
from ._trace import TraceWriter, caller_location, metadata_object, render_payload

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal

    Encoding = Literal["string", "json"]

__all__ = ["COMPLAINT_LIMIT", "OVERHEAD_LIMIT", "Tracer"]

#: How many entries trace_overhead() holds; the time of contexts past the last but one is summed
#: under "(other contexts)".
OVERHEAD_LIMIT: Final = 4096
#: How many distinct failing callbacks are remembered (and reported); the system's own
#: notices stop at 100 too.
COMPLAINT_LIMIT: Final = 100

_ARTIFACT_NAME: Final = r"[A-Za-z0-9_.-]+"  # compiled by re's cache on first use
_PACKAGE_DIR: Final = os.path.dirname(os.path.abspath(__file__))


def _no_payload() -> None:
    return None


class Tracer:
    """
    One system's structured trace: the writer, the context variable, the overhead sums.
    """

    def __init__(self, system: str, prefix: str, report: Callable[[str], None]) -> None:
        self.var = f"{prefix}_TRACE"
        self.writer = TraceWriter(self.var, report)
        self.context = new_var(system)
        self._report = report
        self._overhead: dict[str, float] = {}
        self._lock = threading.RLock()  # re-entrant: a signal handler may trace while it is held
        self._complaints: set[tuple[str, str]] = set()
        in_forked_child(self._after_fork)

    def _after_fork(self) -> None:
        # A new lock in a forked child (see logdial._forks); the writer has its own hook.
        self._lock = threading.RLock()

    def held(self) -> bool:
        """
        Whether this thread is inside the tracer or its writer (holds one of their locks):
        a signal handler that interrupted it must not change them now.
        """
        return held(self._lock) or self.writer.held()

    def display(self) -> str:
        """
        The display form of the current context, ``""`` outside any.
        """
        return self.context.get().shown  # computed once per context

    def trace_structured(
        self,
        name: str,
        metadata_fn: Callable[[], Mapping[str, object]] = dict,
        *,
        payload_fn: Callable[[], object] = _no_payload,
        suppress_context: bool = False,
        expect_trace_id: bool = True,
        stacklevel: int = 1,
    ) -> None:
        """
        Write one record; see ``LogSystem.trace_structured``.
        """
        if not isinstance(name, str) or not name or name in RESERVED_NAMES:
            raise ValueError(
                f"trace_structured name {name!r} is reserved or empty; reserved: {', '.join(sorted(RESERVED_NAMES))}"
            )
        if self.writer.dir is None:
            return
        start = time.perf_counter()
        context = self.context.get()
        try:
            metadata = metadata_fn()
            payload = payload_fn()
        except Exception as exc:  # the caller's callback; its bug must not become ours
            self._complain(name, f"its metadata_fn or payload_fn raised {type(exc).__name__}: {exc}")
            return
        envelope = metadata_object(metadata)
        if envelope is None:
            self._complain(name, f"metadata_fn returned {type(metadata).__name__}, not a mapping with str keys")
            return
        record: dict[str, object] = {name: envelope}
        if not suppress_context:
            record.update(context.ids)  # (envelope() without its copy)
            if context.label is not None and not context.ids:  # a system's own contexts: the report files by label
                record[LABEL_KEY] = context.label
            elif expect_trace_id and context.empty:
                record["stack"] = self.stack()
        try:
            text = None if payload is None else render_payload(payload)
            self.writer.write(record, text, caller_location(stacklevel))
        except Exception as exc:  # no JSON form (a circular reference, a tuple key), or a repr() that raised
            self._complain(name, f"its metadata or payload cannot be written as JSON ({type(exc).__name__}: {exc})")
            return
        key = context.display()
        with self._lock:
            if key not in self._overhead and len(self._overhead) >= OVERHEAD_LIMIT - 1:
                key = "(other contexts)"  # a label per step must not grow this without bound
            self._overhead[key] = self._overhead.get(key, 0.0) + time.perf_counter() - start

    def artifact(self, name: str, encoding: Encoding, payload_fn: Callable[[], object], stacklevel: int) -> None:
        """
        An ``artifact`` record: ``{"artifact": {"name", "encoding"}}`` and its payload.
        """
        if not isinstance(name, str) or re.fullmatch(_ARTIFACT_NAME, name) is None:
            raise ValueError(f"trace artifact name {name!r} is not valid: use letters, digits, '_', '.' and '-'")
        if encoding not in ("string", "json"):
            raise ValueError(f"trace artifact encoding must be 'string' or 'json', not {encoding!r}")
        if self.writer.dir is None:
            return

        def payload() -> object:
            value = payload_fn()
            return value if encoding == "json" or isinstance(value, str) or value is None else str(value)

        self.trace_structured(
            "artifact", lambda: {"name": name, "encoding": encoding}, payload_fn=payload, stacklevel=stacklevel + 1
        )

    def stack(self) -> list[dict[str, object]]:
        """
        The caller's stack (outermost first, up to the call into logdial), with the file
        names interned: the frames of a ``dynamo_start`` event or of a record's ``stack``.
        """
        frames = []
        for frame in traceback.extract_stack():
            if os.path.dirname(frame.filename) == _PACKAGE_DIR:
                break  # from logdial's own frames on (and the metadata_fn they call) it is not the user's stack
            frames.append(frame)
        caller = (frames[-1].filename, frames[-1].lineno or 0) if frames else ("?", 0)
        return [
            {"line": f.lineno or 0, "name": f.name, "filename": self.writer.intern(f.filename, caller)} for f in frames
        ]

    @contextlib.contextmanager
    def scope(self, new_ids: TraceContext) -> Iterator[TraceContext]:
        """
        Enter the current context with the ids ``new_ids`` gives replaced.
        """
        new = self.context.get().merged(new_ids)
        token = self.context.set(new)
        try:
            yield new
        finally:
            self.context.reset(token)

    def overhead(self) -> dict[str, float]:
        """
        Seconds spent writing trace records, by context display form (``""``: outside any).
        """
        with self._lock:
            return dict(self._overhead)

    def _complain(self, name: str, why: str) -> None:
        key = (name, why)
        if key in self._complaints:
            return
        if len(self._complaints) < COMPLAINT_LIMIT:  # past it, the system's bounded notices dedupe
            self._complaints.add(key)
        self._report(f"{self.var}: trace_structured({name!r}) skipped a record: {why}")
