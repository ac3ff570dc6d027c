"""The structured-trace half of ``LogSystem``'s API: records, artifacts, contexts.

``TraceMethods`` is a base of ``LogSystem``: these methods are the system's own (one
object, one API), kept here so that ``_system`` holds the settings and outputs. The
tracer and the tracing modules are made on first use: a program that never traces nor
opens a trace context does not import them.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Mapping

from ._notices import cannot_load
from ._registry import RESERVED_NAMES

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._context import TraceContext
    from ._tracing import Encoding, Tracer, _no_payload

__all__ = ["TraceMethods"]

#: ``payload_fn`` not given (``None`` given is the caller's mistake, reported as before).
_NOT_GIVEN = object()


class TraceMethods:
    """
    The structured-trace methods of ``LogSystem`` (see its documentation).
    """

    _lock: threading.RLock

    def _init_trace(
        self, name: str, prefix: str, report: Callable[[str], None], rank_of: Callable[[], int | None]
    ) -> None:
        # What the tracer is made with, on first use (see _trace_api).
        self._trace_owner = (name, prefix, report, rank_of)
        self._tracer: Tracer | None = None
        #: Where log lines take their trace id from before the system's own contexts
        #: (logdial.pytorch: torch's compile id); returns None when it has none.
        self._trace_id_source: Callable[[], str | None] | None = None
        self._tracing = False  # may be on: set with the trace directory
        self._trace_explicit = False

    def _read_trace_dir(self, directory: str | None) -> None:
        # {P}_TRACE as init() read it, unless set_trace_dir() chose.
        if self._trace_explicit:
            return
        _, prefix, report, _ = self._trace_owner
        try:
            if directory is not None or self._tracer is not None:
                self._trace_api().writer.set_dir(directory)
            self._tracing = directory is not None
        except OSError as exc:  # the tracing modules cannot be read (no descriptor left)
            report(f"{prefix}_TRACE cannot be used now: {cannot_load(exc)}; tracing is off")

    def _stop_tracing(self) -> None:
        # reset(): no directory, none chosen.
        if self._tracer is not None:
            self._tracer.writer.set_dir(None)
        self._trace_explicit = self._tracing = False

    def _trace_api(self) -> Tracer:
        # The system's tracer, made (and the tracing modules imported) on first use.
        tracer = self._tracer
        if tracer is None:
            with self._lock:
                tracer = self._tracer
                if tracer is None:
                    from ._tracing import Tracer

                    name, prefix, report, rank_of = self._trace_owner
                    tracer = Tracer(name, prefix, report)
                    tracer.writer.rank_of = rank_of
                    self._tracer = tracer
        return tracer

    def _trace_display(self) -> str:
        # The trace id a log line shows ("[0/1]"): the source's, else the current
        # context's; "" outside any (and before any context was ever opened).
        source = self._trace_id_source
        if source is not None:
            try:
                shown = source()
            except Exception:  # a record must never fail for want of its trace id
                shown = None
            if shown is not None:
                return shown
        tracer = self._tracer
        return "" if tracer is None else tracer.display()

    def _current_context(self) -> TraceContext | None:
        # The current trace context (JSON lines carry its ids); None before any.
        tracer = self._tracer
        return None if tracer is None else tracer.context.get()

    def set_trace_id_source(self, source: Callable[[], str | None] | None) -> None:
        """
        For integrations whose own code knows the trace id (``logdial.pytorch``: the compile
        id Dynamo is working on): log lines show what ``source()`` returns (``"[0/1]"``),
        else, when it returns None or raises, the system's own trace context. ``None``
        removes it. It is called for every line the default format writes: keep it cheap.
        """
        if source is not None and not callable(source):
            raise TypeError(f"a trace id source must be callable or None, not {source!r}")
        self._trace_id_source = source

    def set_trace_dir(self, path: str | os.PathLike[str] | None) -> None:
        """
        Write the structured trace into directory ``path`` (``None``: stop tracing); this
        wins over ``{P}_TRACE``. The file is created on the first record, not now.
        """
        if path is not None or self._tracer is not None:
            self._trace_api().writer.set_dir(None if path is None else os.fspath(path))
        self._trace_explicit, self._tracing = True, path is not None

    @property
    def trace_file(self) -> str | None:
        """
        The path of this process's trace file, once a record has created it.
        """
        tracer = self._tracer
        return None if tracer is None else tracer.writer.path

    @property
    def tracing(self) -> bool:
        """
        Whether trace records are being written (``{P}_TRACE`` or ``set_trace_dir``).
        """
        tracer = self._tracer
        return tracer is not None and tracer.writer.dir is not None

    if TYPE_CHECKING:  # the signature type checkers see; the one below is the fast one

        def trace_structured(
            self,
            name: str,
            metadata_fn: Callable[[], Mapping[str, object]] = dict,
            *,
            payload_fn: Callable[[], object] = _no_payload,
            suppress_context: bool = False,
            expect_trace_id: bool = True,
        ) -> None:
            """
            Write a structured trace record (see the runtime docstring).
            """

    else:

        def trace_structured(
            self, name, metadata_fn=dict, payload_fn=_NOT_GIVEN, suppress_context=False, expect_trace_id=True
        ):
            """
            Write a structured trace record ``{name: metadata_fn()}`` with an optional payload.

            ``metadata_fn`` and ``payload_fn`` are called only while tracing is on; when it is
            off the call returns at once. The metadata is a JSON object; the payload is a
            string or a JSON-serialisable value (lists and dicts are written one value per
            line). The record carries the ids of the current ``trace_context`` (unless
            ``suppress_context``), and, made outside any context with ``expect_trace_id``,
            the caller's stack. Nothing a trace call does raises into the caller, except a
            reserved ``name`` (a programming error): a failing callback or file is reported
            once on stderr and the record skipped.

            Raises:
                ValueError: for a reserved or empty name (``rank``, ``frame_id``, ``str``, ...).

            >>> from logdial import LogSystem
            >>> logs = LogSystem("example_trace")
            >>> logs.trace_structured("mylib_step", lambda: {"step": 1})  # tracing is off: nothing happens
            """
            # The hot path, off: PyTorch's call sites pass payload_fn by keyword. Named
            # parameters bind it without the dict that **options made (half the cost of
            # the call); keyword-only ones cost a tenth more (benchmarks/RESULTS.md). The
            # type checkers' signature above keeps the options keyword-only. The flag is
            # true while tracing may be on.
            if not self._tracing:
                if name in RESERVED_NAMES:
                    self._trace_api().trace_structured(name)  # raises the error for a reserved name
                return
            options = {"suppress_context": suppress_context, "expect_trace_id": expect_trace_id}
            if payload_fn is not _NOT_GIVEN:
                options["payload_fn"] = payload_fn
            self._trace_api().trace_structured(name, metadata_fn, stacklevel=2, **options)

    def trace_artifact(self, name: str, payload_fn: Callable[[], object], *, encoding: Encoding = "string") -> None:
        """
        An ``artifact`` trace record that tlparse lists under the current context:
        ``payload_fn()`` is the text (``encoding="string"``) or a JSON value (``"json"``).

        Raises:
            ValueError: for a name that is not ``[A-Za-z0-9_.-]+`` or another encoding.
        """
        self._trace_api().artifact(name, encoding, payload_fn, stacklevel=2)

    def trace_stack(self) -> list[dict[str, object]]:
        """
        The caller's stack as trace frames (``filename`` interned, ``line``, ``name``), for
        events such as ``dynamo_start``; call it inside a ``metadata_fn``.
        """
        return self._trace_api().stack()

    def trace_context(
        self,
        *,
        frame_id: int | None = None,
        frame_compile_id: int | None = None,
        attempt: int | None = None,
        compiled_autograd_id: int | None = None,
        label: str | None = None,
    ) -> contextlib.AbstractContextManager[TraceContext]:
        """
        A ``with`` block whose trace records (and log lines) carry these ids.

        Contexts nest (an inner one replaces only the ids it gives) and follow threads and
        asyncio tasks, as ``contextvars`` do. Log lines show the compile id as torch does,
        ``[0/1]``, ``[0/1_2]`` for an attempt; ``label`` shows instead for systems without
        compile ids (``label="step 7"`` shows ``[step 7]``).

        Raises:
            ValueError: for an id that is not an int in [0, 2**32), or a bad label.

        >>> from logdial import LogSystem
        >>> logs = LogSystem("example_context")
        >>> with logs.trace_context(frame_id=0, frame_compile_id=1) as outer:
        ...     with logs.trace_context(attempt=2) as inner:
        ...         outer.display(), inner.display()
        ('[0/1]', '[0/1_2]')
        """
        tracer = self._trace_api()
        from ._context import TraceContext  # loaded with the tracer

        # Built now, so a bad id raises here rather than when the block is entered.
        return tracer.scope(TraceContext(frame_id, frame_compile_id, attempt, compiled_autograd_id, label))

    def trace_overhead(self) -> dict[str, float]:
        """
        Seconds spent in structured logging so far, by context (``"[0/1]"``; ``""`` for
        records made outside any). A copy: changing it changes nothing.
        """
        tracer = self._tracer
        return {} if tracer is None else tracer.overhead()
