"""logdial's fields as record attributes, exported by the real OpenTelemetry SDK (an in-memory exporter).

OpenTelemetry's stdlib logging handler (``opentelemetry-instrumentation-logging``) turns
every attribute of a record that is not one of the stdlib's into an attribute of the log it
exports. These tests put it on the root logger, as an application does, and read what it
exported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.instrumentation.logging import LoggingInstrumentor
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider

from logdial import LogSystem
from logdial._fast import FastLogger


@pytest.fixture
def exported() -> Iterator[InMemoryLogRecordExporter]:
    """
    OpenTelemetry's logging handler on the root logger, exporting to memory.
    """
    exporter = InMemoryLogRecordExporter()
    provider = LoggerProvider()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    handler = LoggingHandler(level=logging.NOTSET, logger_provider=provider)
    root = logging.getLogger()
    root.addHandler(handler)
    yield exporter
    root.removeHandler(handler)
    provider.shutdown()


@pytest.fixture
def shop() -> Iterator[LogSystem]:
    """
    A system whose records go on to the application's handlers (OpenTelemetry's).
    """
    logs = LogSystem("otshop")
    logs.register_log("orders", ["otshop.orders"])
    logs.register_artifact("sql", "The SQL sent.")
    logs.set_output(console="none", propagate=True)
    logs.init({"OTSHOP_LOGS": "+orders,sql"})
    yield logs
    logs.reset()


def _logs(exporter: InMemoryLogRecordExporter) -> list[tuple[Any, dict[str, Any]]]:
    return [(d.log_record.body, dict(d.log_record.attributes or {})) for d in exporter.get_finished_logs()]


def test_fields_are_exported_as_attributes(exported: InMemoryLogRecordExporter, shop: LogSystem) -> None:
    """
    A plain module logger's record, a FastLogger's and an artifact's each carry the
    system, component, artifact and rank, and the trace context's ids, as attributes.
    """
    shop.set_rank_provider(lambda: 3)
    logging.getLogger("otshop.orders").info("placed %s", 7)
    shop.getLogger("otshop.orders.fast").info("fast")
    with shop.trace_context(frame_id=2, frame_compile_id=1, label="step 3"):
        shop.getArtifactLogger("otshop.orders", "sql").debug("select")
    base = {"logdial.system": "otshop", "logdial.component": "orders", "logdial.rank": 3}
    context = {"logdial.frame_id": 2, "logdial.frame_compile_id": 1, "logdial.label": "step 3"}
    assert [
        ("placed 7", base),
        ("fast", base),
        ("select", {**base, "logdial.artifact": "sql", **context}),
    ] == _logs(exported)


def test_names_cannot_collide_with_opentelemetrys(exported: InMemoryLogRecordExporter, shop: LogSystem) -> None:
    """
    Inside a span, the exported log carries the span's trace and span ids (OpenTelemetry's
    own fields) and logdial's attributes beside them, each under its own name; a
    program's ``extra`` keys stay as they were.
    """
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("place-order") as span:
        logging.getLogger("otshop.orders").info("in a span", extra={"order_id": 42, "component": "theirs"})
    (data,) = exported.get_finished_logs()
    record = data.log_record
    assert (span.get_span_context().trace_id, span.get_span_context().span_id) == (record.trace_id, record.span_id)
    expected = {"order_id": 42, "component": "theirs", "logdial.system": "otshop", "logdial.component": "orders"}
    assert expected == dict(record.attributes or {})


def test_no_attribute_is_none(exported: InMemoryLogRecordExporter, shop: LogSystem) -> None:
    """
    Fields without a value (no rank, no context, a logger of no component) are left out,
    not exported as None (which OpenTelemetry drops with a warning: pytest fails on any).
    """
    logging.getLogger("otshop").warning("the system's root logger")
    assert [("the system's root logger", {"logdial.system": "otshop"})] == _logs(exported)


def test_task_contexts_are_per_task(exported: InMemoryLogRecordExporter, shop: LogSystem) -> None:
    """
    The context's ids are those of the task that logged, read as the record passes.
    """
    log = shop.getLogger("otshop.orders.tasks")

    async def job(frame: int) -> None:
        with shop.trace_context(frame_id=frame, frame_compile_id=0):
            await asyncio.sleep(0)
            log.info("job %s", frame)

    async def main() -> None:
        await asyncio.gather(job(1), job(2))

    asyncio.run(main())
    frames = {body: attributes["logdial.frame_id"] for body, attributes in _logs(exported)}
    assert {"job 1": 1, "job 2": 2} == frames


def test_record_factory_of_the_instrumentation(exported: InMemoryLogRecordExporter, shop: LogSystem) -> None:
    """
    OpenTelemetry's ``LoggingInstrumentor`` installs a record factory (adding
    ``otelTraceID`` and others): a FastLogger's records then go through it (logdial's
    own record builder steps aside), and carry its fields and logdial's.
    """
    instrumentor = LoggingInstrumentor()
    instrumentor.instrument(
        tracer_provider=TracerProvider(), inject_trace_context=True, enable_log_auto_instrumentation=False
    )
    try:
        log = shop.getLogger("otshop.orders.instrumented")
        assert isinstance(log, FastLogger)
        log.info("through the factory")
    finally:
        instrumentor.uninstrument()
    ((body, attributes),) = _logs(exported)
    assert ("through the factory", "otshop", "orders") == (
        body,
        attributes["logdial.system"],
        attributes["logdial.component"],
    )
    assert {"otelTraceID", "otelSpanID", "otelServiceName"} <= set(attributes)


def test_fields_only_while_records_propagate(tmp_path: Path) -> None:
    """
    The fields are given while records go on to the application's handlers
    (``propagate=True``); while only logdial's handlers see them, records are left as
    the stdlib made them (the fields would cost every record for nobody).
    """
    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    logs = LogSystem("otprop")
    logs.register_log("core", ["otprop.core"])
    logs.set_output(console="none", file=str(tmp_path / "out.log"))
    logs.init({"OTPROP_LOGS": "+core"})
    keep = Keep()
    logging.getLogger("otprop.core").addHandler(keep)  # a handler of the program's own, below logdial's
    try:
        log = logging.getLogger("otprop.core")
        log.info("not propagating")
        logs.set_output(propagate=True)
        log.info("propagating")
        logs.set_output(propagate=False)
        log.info("not again")
    finally:
        logging.getLogger("otprop.core").removeHandler(keep)
        logs.reset()
    # (logdial's handlers sit above the program's: the record reaches them after.)
    assert [False, True, False] == ["logdial.system" in r.__dict__ for r in seen]
    assert 3 == len((tmp_path / "out.log").read_text(encoding="utf-8").splitlines())
