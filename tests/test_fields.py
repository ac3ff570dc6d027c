"""
logdial's fields (``_fields``): ``ComponentIndex``, the component a logger belongs to.

The fields as record attributes (``RecordFields``) are tested end to end, exported by the
real OpenTelemetry SDK, in tests/test_opentelemetry.py.
"""

from __future__ import annotations

from logdial._fields import ComponentIndex
from logdial._registry import Registry


class TestComponentIndex:
    """
    ``ComponentIndex``: the component whose logger is a logger's nearest ancestor-or-self.
    """

    def test_nearest(self) -> None:
        """
        The deepest registered logger above (or equal to) the name decides.
        """
        registry = Registry().with_component("outer", ["a"]).with_component("inner", ["a.b"])
        index = ComponentIndex(lambda: registry)
        assert ["outer", "inner", "inner", "outer", None, None] == [
            index(n) for n in ("a", "a.b", "a.b.c.__graph", "a.bc", "ab", "z")
        ]

    def test_follows_the_registry(self) -> None:
        """
        A new registration is seen at once.
        """
        box = {"registry": Registry()}
        index = ComponentIndex(lambda: box["registry"])
        before = index("a.b")
        box["registry"] = box["registry"].with_component("late", ["a"])
        assert (None, "late") == (before, index("a.b"))
