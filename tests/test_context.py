"""Trace contexts (``_context``): ``TraceContext``'s display forms, envelope keys and validation."""

from __future__ import annotations

import re

import pytest

from logdial._context import CONTEXT_KEYS, TraceContext


class TestTraceContext:
    """
    TraceContext: display forms, envelope keys, validation.
    """

    @pytest.mark.parametrize(
        ("context", "display"),
        [
            (TraceContext(0, 1), "[0/1]"),
            (TraceContext(0, 1, 2), "[0/1_2]"),
            (TraceContext(0, 1, 0), "[0/1]"),
            (TraceContext(3), "[3/-]"),
            (TraceContext(frame_compile_id=4), "[-/4]"),
            (TraceContext(compiled_autograd_id=0), "[!0/-/-]"),
            (TraceContext(0, 1, compiled_autograd_id=2), "[!2/0/1]"),
            (TraceContext(label="step 7"), "[step 7]"),
            (TraceContext(0, 1, label="request abc"), "[request abc]"),
            (TraceContext(), ""),
        ],
    )
    def test_display(self, context: TraceContext, display: str) -> None:
        """
        As torch shows a compile id; a label replaces it; an empty context shows nothing.
        """
        assert display == context.display()

    @pytest.mark.parametrize(
        ("context", "envelope"),
        [
            (TraceContext(0, 1), {"frame_id": 0, "frame_compile_id": 1, "attempt": 0}),
            (TraceContext(0, 1, 2), {"frame_id": 0, "frame_compile_id": 1, "attempt": 2}),
            (TraceContext(3), {"frame_id": 3}),
            (TraceContext(compiled_autograd_id=5), {"compiled_autograd_id": 5}),
            (TraceContext(label="step 7"), {}),
        ],
    )
    def test_envelope(self, context: TraceContext, envelope: dict[str, int]) -> None:
        """
        The ids in tlparse's names; attempt 0 is added beside a frame_compile_id.
        """
        assert envelope == context.envelope()

    def test_merged(self) -> None:
        """
        merged() replaces the fields it is given and keeps the others.
        """
        assert TraceContext(0, 1, 2, 3, "x") == TraceContext(0, 9, None, 3, "x").merged(
            TraceContext(frame_compile_id=1, attempt=2)
        )

    @pytest.mark.parametrize("value", [True, False, -1, 2**32, "0", 1.0])
    @pytest.mark.parametrize("key", CONTEXT_KEYS)
    def test_bad_id(self, key: str, value: object) -> None:
        """
        An id that is a bool, negative, 2**32 or more, or not an int is refused.
        """
        message = f"trace context {key} must be an int in [0, 2**32), not {value!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            TraceContext(**{key: value})  # type: ignore[arg-type]

    @pytest.mark.parametrize("key", CONTEXT_KEYS)
    def test_bounds(self, key: str) -> None:
        """
        0 and 2**32 - 1 are accepted.
        """
        assert [0, 2**32 - 1] == [getattr(TraceContext(**{key: v}), key) for v in (0, 2**32 - 1)]

    @pytest.mark.parametrize("label", ["two\nlines", "tab\there", 7])
    def test_bad_label(self, label: object) -> None:
        """
        A label that is not a printable string is refused.
        """
        message = f"trace context label must be a printable string, not {label!r}"
        with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
            TraceContext(label=label)  # type: ignore[arg-type]
