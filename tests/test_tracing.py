"""
The tracer (``_tracing``): what one ``trace_structured`` record carries (the context's ids
inside a context, the caller's stack outside), and a failing callback skipping its record.

Real files in ``tmp_path``, read back with the trace reader; no mocks.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from tests.traces import events, line_of_next, unresolved_stack_frames

from logdial import LogSystem
from logdial._report._tracefile import read_trace


def boom() -> dict[str, object]:
    """
    A callback with a bug.
    """
    raise RuntimeError("boom")


def circular() -> dict[str, object]:
    """
    A dict that holds itself.
    """
    value: dict[str, object] = {}
    value["self"] = value
    return value


class TestCallbackFailures:
    """
    A callback that fails, or metadata with no JSON form, skips the record with one
    message on stderr; no exception reaches the caller and tracing goes on.
    """

    @pytest.mark.parametrize(
        ("kwargs", "why"),
        [
            ({"metadata_fn": boom}, "its metadata_fn or payload_fn raised RuntimeError: boom"),
            ({"payload_fn": boom}, "its metadata_fn or payload_fn raised RuntimeError: boom"),
            ({"metadata_fn": lambda: [1, 2]}, "metadata_fn returned list, not a mapping with str keys"),
            ({"metadata_fn": lambda: {1: 2}}, "metadata_fn returned dict, not a mapping with str keys"),
            ({"metadata_fn": lambda: None}, "metadata_fn returned NoneType, not a mapping with str keys"),
            (
                {"metadata_fn": lambda: {"a": {(1, 2): 3}}},
                "its metadata or payload cannot be written as JSON "
                "(TypeError: keys must be str, int, float, bool or None, not tuple)",
            ),
            (
                {"payload_fn": circular},
                "its metadata or payload cannot be written as JSON (ValueError: Circular reference detected)",
            ),
        ],
        ids=["metadata_raises", "payload_raises", "list", "int_keys", "none", "tuple_key", "circular"],
    )
    def test_skipped_once(
        self,
        system: LogSystem,
        trace_dir: Path,
        capsys: pytest.CaptureFixture[str],
        kwargs: dict[str, object],
        why: str,
    ) -> None:
        """
        The same failure twice: one message naming the variable, the event and the
        reason; neither record is written; the next good record is.
        """
        system.set_trace_dir(trace_dir)
        for _ in range(2):
            system.trace_structured("mylib_bad", suppress_context=True, **kwargs)  # type: ignore[arg-type]
        system.trace_structured("mylib_good", suppress_context=True)
        expected = f"TESTSYS_TRACE: trace_structured('mylib_bad') skipped a record: {why}\n"
        assert (expected, True) == (capsys.readouterr().err, system.tracing)
        assert ["mylib_good"] == [r.name for r in events(system.trace_file)]


class TestRecordIds:
    """
    What a record carries: the context's ids inside one, the caller's stack outside.
    """

    def test_inside_a_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        frame_id, frame_compile_id and attempt (0 when the context has none), and no stack.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=2, frame_compile_id=5):
            system.trace_structured("mylib_a", lambda: {"x": 1})
        with system.trace_context(compiled_autograd_id=1):
            system.trace_structured("mylib_b")
        expected = [
            {"mylib_a": {"x": 1}, "frame_id": 2, "frame_compile_id": 5, "attempt": 0},
            {"mylib_b": {}, "compiled_autograd_id": 1},
        ]
        assert expected == [r.envelope for r in read_trace(str(system.trace_file))]

    def test_outside_a_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        Outside any context a record carries the caller's stack, outermost first, ending
        at the caller, without logdial's frames; file names are interned, each by a
        ``str`` record before its first use, and only once.
        """
        system.set_trace_dir(trace_dir)
        line = line_of_next()
        system.trace_structured("mylib_a")
        system.trace_structured("mylib_b")
        path = Path(str(system.trace_file))
        records = list(read_trace(path))
        table = {r.metadata[1]: r.metadata[0] for r in records if r.name == "str"}
        first = next(r for r in records if r.name == "mylib_a")
        frames = first.envelope["stack"]
        assert isinstance(frames, list)
        assert ({"line": line, "name": "test_outside_a_context"}, __file__) == (
            {k: frames[-1][k] for k in ("line", "name")},
            table[frames[-1]["filename"]],
        )
        logdial_dir = str(Path(sys.modules["logdial"].__file__ or "").parent)
        assert [] == [f for f in frames if os.path.dirname(str(table[f["filename"]])) == logdial_dir]
        assert [] == unresolved_stack_frames(path)
        names = [r.metadata[0] for r in records if r.name == "str"]
        assert sorted(set(names)) == sorted(names)
        assert records.index(first) > max(i for i, r in enumerate(records) if r.name == "str")

    def test_suppress_context(self, system: LogSystem, trace_dir: Path) -> None:
        """
        suppress_context=True: neither ids nor stack, inside a context or not;
        expect_trace_id=False: no stack outside a context.
        """
        system.set_trace_dir(trace_dir)
        with system.trace_context(frame_id=0, frame_compile_id=0):
            system.trace_structured("mylib_a", suppress_context=True)
        system.trace_structured("mylib_b", suppress_context=True)
        system.trace_structured("mylib_c", expect_trace_id=False)
        assert [{"mylib_a": {}}, {"mylib_b": {}}, {"mylib_c": {}}] == [
            r.envelope for r in read_trace(str(system.trace_file))
        ]

    def test_trace_stack(self, system: LogSystem, trace_dir: Path) -> None:
        """
        trace_stack() (for dynamo_start) gives the user's frames up to the call into
        logdial: the caller of trace_structured last, not the metadata_fn lambda.
        """
        system.set_trace_dir(trace_dir)
        line = line_of_next()
        with system.trace_context(frame_id=0, frame_compile_id=0):
            system.trace_structured("dynamo_start", lambda: {"stack": system.trace_stack()})
        (record,) = events(system.trace_file)
        frames = record.metadata["stack"]
        assert (line + 1, "test_trace_stack") == (frames[-1]["line"], frames[-1]["name"])
        assert [] == unresolved_stack_frames(Path(str(system.trace_file)))
