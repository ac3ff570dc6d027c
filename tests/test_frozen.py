"""
Immutable values (``_frozen``): equality, hash and repr over ``_fields`` (or ``_compare``),
assignment and deletion refused with their messages, ``copy`` and ``deepcopy`` giving the
value itself, and ``pickle`` rebuilding it; on logdial's own values and a small subclass.
"""

from __future__ import annotations

import copy
import inspect
import pickle
from collections.abc import Callable
from types import MappingProxyType

import pytest
from tests.package import subclasses_in_source

from logdial import Component, Item, LogSystem, Registry
from logdial._context import TraceContext
from logdial._frozen import Frozen


class Pair(Frozen):
    """
    Two compared fields, and a note that comparisons leave out.
    """

    __slots__ = ("left", "note", "right")
    _fields = ("left", "right", "note")
    _compare = ("left", "right")

    def __init__(self, left: object, right: object, note: str = "") -> None:
        self._set(left=left, right=right, note=note)


class OtherPair(Pair):
    """
    The same fields in another class.
    """

    __slots__ = ()


def frozen_classes() -> list[type[Frozen]]:
    """
    Every class in logdial's sources written as ``class X(Frozen)``.
    """
    found = subclasses_in_source("Frozen")
    # (A finder that finds nothing would let the tests below pass for nothing.)
    assert {"Component", "Item", "Registry", "Settings", "TraceContext"} <= {cls.__name__ for cls in found}
    return found


class TestEquality:
    """
    Values are equal, and hash alike, when their compared fields are; only within one class.
    """

    @pytest.mark.parametrize(
        "make",
        [
            lambda: Component("core", ("a.b",)),
            lambda: Item("+", "dynamo", None, 3),
            lambda: TraceContext(0, 1, label="x"),
            lambda: Pair(1, (2, 3)),
        ],
        ids=["Component", "Item", "TraceContext", "Pair"],
    )
    def test_equal_fields_equal_values(self, make: Callable[[], object]) -> None:
        """
        Two values made alike are two objects, equal, with one hash (usable as set members).
        """
        first, second = make(), make()
        assert (False, True, hash(first), 1) == (first is second, first == second, hash(second), len({first, second}))

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (Component("core", ("a.b",)), Component("core", ("a.c",))),
            (Item("+", "dynamo", None, 3), Item("+", "dynamo", None, 4)),
            (TraceContext(0, 1), TraceContext(0, 1, 0)),
            (Pair(1, 2), Pair(2, 1)),
        ],
        ids=["Component", "Item", "TraceContext", "Pair"],
    )
    def test_one_field_apart(self, first: object, second: object) -> None:
        """
        One compared field apart, values are not equal (a TraceContext's attempt 0 and
        none show alike, but are different fields).
        """
        assert (False, True) == (first == second, first != second)

    def test_compare_leaves_fields_out(self, system: LogSystem) -> None:
        """
        Fields not in ``_compare`` make no difference to equality or hash: settings made
        from other items that mean the same are equal.
        """
        first, second = Pair(1, 2, "first"), Pair(1, 2, "second")
        assert (True, hash(first)) == (first == second, hash(second))
        debug, plus = system.parse("core=debug"), system.parse("+core")
        assert (True, True) == (debug.items != plus.items, debug == plus)

    def test_other_classes_are_never_equal(self) -> None:
        """
        Equality needs the same class: a subclass with the same fields, or a tuple of
        the fields, is not equal either way round (``__eq__`` gives ``NotImplemented``).
        """
        pair = Pair(1, 2)
        assert [False, False, False, True, NotImplemented] == [
            pair == OtherPair(1, 2),
            OtherPair(1, 2) == pair,
            pair == (1, 2),
            pair != OtherPair(1, 2),
            pair.__eq__((1, 2)),
        ]


#: Values and attribute names: fields, a field comparisons leave out, a derived slot, a new name.
ATTRIBUTES = [
    (Pair(1, 2), "left"),
    (Pair(1, 2, "n"), "note"),
    (Item("+", "dynamo", None), "name"),
    (TraceContext(0, 1), "shown"),
    (Component("core", ("a",)), "anything"),
]
ATTRIBUTE_IDS = ["field", "not_compared", "Item", "derived", "new_name"]


class TestImmutability:
    """
    A value cannot be changed: assigning or deleting any attribute raises ``AttributeError``.
    """

    @pytest.mark.parametrize(("value", "name"), ATTRIBUTES, ids=ATTRIBUTE_IDS)
    def test_assignment_refused(self, value: object, name: str) -> None:
        """
        ``cannot assign to field '<name>'``, and the attribute keeps its value.
        """
        before = getattr(value, name, None)
        with pytest.raises(AttributeError, match=f"^cannot assign to field '{name}'$"):
            setattr(value, name, "changed")
        assert before == getattr(value, name, None)

    @pytest.mark.parametrize(("value", "name"), ATTRIBUTES, ids=ATTRIBUTE_IDS)
    def test_deletion_refused(self, value: object, name: str) -> None:
        """
        ``cannot delete field '<name>'``, and the attribute keeps its value.
        """
        before = getattr(value, name, None)
        with pytest.raises(AttributeError, match=f"^cannot delete field '{name}'$"):
            delattr(value, name)
        assert before == getattr(value, name, None)


class TestRepr:
    """
    The repr is the class name and every field, compared or not, in ``_fields``' order.
    """

    def test_fields_in_order(self) -> None:
        """
        Fields comparisons leave out are shown; slots that are not fields (a context's
        ``shown`` and ``ids``) are not.
        """
        assert [
            "Pair(left=1, right='two', note='n')",
            "Component(name='core', loggers=('a.b',))",
            "TraceContext(frame_id=0, frame_compile_id=1, attempt=None, compiled_autograd_id=None, label=None)",
        ] == [repr(Pair(1, "two", "n")), repr(Component("core", ("a.b",))), repr(TraceContext(0, 1))]


class TestCopyAndPickle:
    """
    ``copy`` and ``deepcopy`` give the value itself; ``pickle`` rebuilds it.
    """

    def test_values_copy_deepcopy_and_pickle(self) -> None:
        """
        The immutable values (settings, registrations, items, contexts) survive ``copy``,
        ``deepcopy`` and ``pickle`` equal, read-only mappings read-only again; a copy of an
        immutable value is the value itself, as for a tuple.
        """
        import copy
        import pickle
        from types import MappingProxyType

        from logdial import LogSystem
        from logdial._context import TraceContext

        logs = LogSystem("copysys")
        logs.register_log("core", ["copysys.core"])
        logs.register_artifact("graph", "The graph.")
        settings = logs.parse("+core,graph,copysys.other=info")
        values = [
            settings,
            logs.registry,
            logs.registry.components["core"],
            settings.items[0],
            TraceContext(frame_id=1),
        ]
        for value in values:
            assert (value, value, value) == (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value)))
            assert copy.copy(value) is value
        restored = pickle.loads(pickle.dumps(settings))
        assert isinstance(restored.levels, MappingProxyType)
        assert isinstance(pickle.loads(pickle.dumps(logs.registry)).components, MappingProxyType)

    def test_deepcopy_is_the_value(self) -> None:
        """
        ``deepcopy`` gives the value itself, also inside a container it copies.
        """
        values = [Pair(1, "two"), Item("+", "dynamo", None), Registry().with_component("core", ["a"]), TraceContext(1)]
        copied = copy.deepcopy({"values": values})["values"]
        assert [True] * 4 == [after is before for after, before in zip(copied, values, strict=True)]

    @pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
    def test_every_pickle_protocol(self, system: LogSystem, protocol: int) -> None:
        """
        Every protocol, the oldest too (slotted values without ``__reduce__`` cannot use
        them), gives back an equal value of the same class.
        """
        values = [system.parse("+core,graph"), system.registry, Item("+", "dynamo", None, 2), TraceContext(0, 1, 2)]
        restored = [pickle.loads(pickle.dumps(value, protocol=protocol)) for value in values]
        assert [(type(v), v) for v in values] == [(type(r), r) for r in restored]

    def test_pickle_keeps_fields_left_out_of_comparisons(self, system: LogSystem) -> None:
        """
        Every field comes back, not only the compared ones: a settings' items (equality
        would not notice them missing).
        """
        settings = system.parse("+core,graph")
        restored = pickle.loads(pickle.dumps(settings))
        assert (("+core", "graph"), settings.items) == (tuple(i.text for i in restored.items), restored.items)

    def test_pickle_rebuilds_through_init(self) -> None:
        """
        A value is rebuilt by its class from its fields, so what ``__init__`` derives
        from them comes back too: a context's display form and its read-only ids.
        """
        restored = pickle.loads(pickle.dumps(TraceContext(0, 1, 2)))
        assert ("[0/1_2]", {"frame_id": 0, "frame_compile_id": 1, "attempt": 2}, True) == (
            restored.display(),
            dict(restored.ids),
            isinstance(restored.ids, MappingProxyType),
        )


class TestLogdialValues:
    """
    What every value class of logdial must do for the base to work.
    """

    def test_fields_are_keywords_of_init(self) -> None:
        """
        Unpickling calls ``cls(**fields)``: each class takes each of its ``_fields`` as a
        keyword, and compares only fields it has.
        """
        problems = {}
        for cls in frozen_classes():
            parameters = inspect.signature(cls.__init__).parameters
            keywords = {n for n, p in parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
            wrong = [f for f in cls._fields if f not in keywords]
            wrong += [f for f in cls._compare or () if f not in cls._fields]
            if wrong:
                problems[cls.__qualname__] = wrong
        assert {} == problems

    def test_slotted(self) -> None:
        """
        Each class lists its slots, so that its values have no ``__dict__`` to write to
        behind ``__setattr__``'s back.
        """
        assert [] == [cls.__qualname__ for cls in frozen_classes() if "__slots__" not in vars(cls)]
