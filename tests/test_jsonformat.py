"""The JSON-lines format: ``JsonFormatter`` on hand-built records, and ``json`` on a system."""

from __future__ import annotations

import json
import logging

import pytest
from tests.records import NOWHERE, REGISTRY, error_info, record, set_tz, watch

from logdial import LogSystem
from logdial._context import TraceContext
from logdial._jsonformat import JsonFormatter
from logdial._output import make_formatter

pytestmark = pytest.mark.usefixtures("utc")


class TestJsonFormatter:
    """
    ``JsonFormatter``: one JSON object per record, on one line.
    """

    @staticmethod
    def parse(text: str) -> dict[str, object]:
        """
        The one line ``text`` is, as JSON.
        """
        assert "\n" not in text
        value = json.loads(text)
        assert isinstance(value, dict)
        return value

    def test_fields(self) -> None:
        """
        Every field, in order, for a plain record with rank, component and artifact.
        """
        formatter = JsonFormatter(artifact_of=lambda n: "graph", ranks=watch(2), registry_of=lambda: REGISTRY)
        expected = {
            "time": "2023-11-14T22:13:20.123456+00:00",
            "level": "INFO",
            "logger": "t.core.__graph",
            "component": "core",
            "artifact": "graph",
            "rank": 2,
            "pid": 4242,
            "message": "5 rows",
            "file": f"{NOWHERE}/pkg/mod.py",
            "line": 12,
        }
        text = formatter.format(record("%d rows", name="t.core.__graph", args=(5,)))
        assert (expected, list(expected)) == (self.parse(text), list(self.parse(text)))

    def test_nulls(self) -> None:
        """
        No rank, no component, no artifact: ``null``; no context: no context keys.
        """
        value = self.parse(JsonFormatter().format(record(name="other")))
        assert (
            None,
            None,
            None,
            ["time", "level", "logger", "component", "artifact", "rank", "pid", "message", "file", "line"],
        ) == (value["rank"], value["component"], value["artifact"], list(value))

    @pytest.mark.parametrize(
        ("context", "keys"),
        [
            (TraceContext(0, 1), {"frame_id": 0, "frame_compile_id": 1}),
            (TraceContext(0, 1, 2), {"frame_id": 0, "frame_compile_id": 1, "attempt": 2}),
            (TraceContext(compiled_autograd_id=3), {"compiled_autograd_id": 3}),
            (TraceContext(label="step 7"), {"label": "step 7"}),
            (TraceContext(), {}),
        ],
    )
    def test_context_ids(self, context: TraceContext, keys: dict[str, object]) -> None:
        """
        The trace context's ids, only those set, between ``pid`` and ``message``.
        """
        value = self.parse(JsonFormatter(trace_context=lambda: context).format(record()))
        names = list(value)
        assert (keys, names[names.index("pid") + 1 : names.index("message")]) == (
            {k: value[k] for k in keys},
            list(keys),
        )

    def test_exception_and_stack(self) -> None:
        """
        The traceback goes in ``exception`` and the stack in ``stack``, not in the message.
        """
        value = self.parse(JsonFormatter().format(record("failed", exc_info=error_info(), stack_info="Stack:\n  x")))
        exception = value["exception"]
        assert isinstance(exception, str)
        assert ("failed", True, "ValueError: bad", "Stack:\n  x") == (
            value["message"],
            exception.startswith("Traceback (most recent call last):\n"),
            exception.split("\n")[-1],
            value["stack"],
        )

    def test_exc_text(self) -> None:
        """
        A record whose traceback is already text (``exc_text``) keeps it.
        """
        made = record("failed")
        made.exc_text = "Traceback: earlier"
        assert "Traceback: earlier" == self.parse(JsonFormatter().format(made))["exception"]

    def test_one_ascii_line(self) -> None:
        """
        Line breaks of any kind and other characters are escaped: one ASCII line, read back as written.
        """
        message = "a\nb\r\nc\u2028d\x85e \u00e9\U0001f600 \x1b[31m"
        text = JsonFormatter().format(record(message))
        assert (True, 1, message) == (text.isascii(), len(text.splitlines()), self.parse(text)["message"])

    @pytest.mark.parametrize(
        ("tz", "stamp"),
        [
            ("UTC0", "2023-11-14T22:13:20.123456+00:00"),
            ("CET-1", "2023-11-14T23:13:20.123456+01:00"),
            ("EST5", "2023-11-14T17:13:20.123456-05:00"),
            ("IST-5:30", "2023-11-15T03:43:20.123456+05:30"),
        ],
    )
    def test_time(self, tz: str, stamp: str) -> None:
        """
        Local time, microseconds and the UTC offset, as ISO 8601 (and RFC 3339) write them.
        """
        set_tz(tz)
        assert stamp == self.parse(JsonFormatter().format(record()))["time"]

    def test_time_rounds(self) -> None:
        """
        The microseconds are rounded, as the text format's are, and carry into the second.
        """
        made = record()
        made.created = 1_700_000_000.9999996
        assert "2023-11-14T22:13:21.000000+00:00" == self.parse(JsonFormatter().format(made))["time"]

    @pytest.mark.parametrize("name", ["json", "JSON", " json "])
    def test_make_formatter(self, name: str) -> None:
        """
        ``json`` in any case names this format.
        """
        assert JsonFormatter is type(make_formatter(name, artifact_of=lambda n: None, color=False))

    def test_record_unchanged(self) -> None:
        """
        Formatting does not modify the record.
        """
        made = record("%d rows", args=(5,), exc_info=error_info())
        before = dict(made.__dict__)
        JsonFormatter().format(made)
        assert before == made.__dict__


class TestJsonOutput:
    """
    ``{P}_LOGS_FORMAT=json`` and ``set_output(format="json")`` on a system.
    """

    def test_variable(self, ranked: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Every record is one JSON line, with the system's rank, component, artifact and context.
        """
        ranked.init({"TESTSYS_LOGS_FORMAT": "json", "TESTSYS_LOGS": "+core"})
        graph = ranked.getArtifactLogger("testsys.core", "graph")
        with ranked.trace_context(frame_id=0, frame_compile_id=1):
            graph.debug("node\nnode")
        logging.getLogger("testsys.io").warning("slow")
        out = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
        assert [
            ("DEBUG", "testsys.core.__graph", "core", "graph", 1, 0, 1, "node\nnode"),
            ("WARNING", "testsys.io", "io", None, 1, None, None, "slow"),
        ] == [
            (
                o["level"],
                o["logger"],
                o["component"],
                o["artifact"],
                o["rank"],
                o.get("frame_id"),
                o.get("frame_compile_id"),
                o["message"],
            )
            for o in out
        ]

    def test_set_output_and_artifact_formats(self, system: LogSystem, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``set_output(format="json")`` does the same, and an artifact's own log_format
        does not turn a record into text.
        """
        system.register_artifact("plain", "A plain artifact.", log_format="%(message)s!")
        plain = system.getArtifactLogger("testsys.core", "plain")
        system.set_output(format="json")
        system.init({"TESTSYS_LOGS": "plain"})
        plain.debug("x")
        (line,) = capsys.readouterr().err.splitlines()
        assert ("x", "plain", None) == (
            json.loads(line)["message"],
            json.loads(line)["artifact"],
            json.loads(line)["rank"],
        )
