"""A base for small immutable value classes, without importing dataclasses (import time)."""

from __future__ import annotations

from types import MappingProxyType

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import TypeVar

    F = TypeVar("F", bound="Frozen")

__all__ = ["Frozen"]


def _rebuild(cls: type[Frozen], values: dict[str, object], proxied: tuple[str, ...]) -> Frozen:
    # Unpickling: the fields by keyword (every Frozen takes its fields so), read-only
    # mappings made read-only again.
    for name in proxied:
        values[name] = MappingProxyType(values[name])  # type: ignore[arg-type]
    return cls(**values)


class Frozen:
    """
    Immutable slotted values: equality, hash and repr over ``_fields``.

    Subclasses list their slots, set them in ``__init__`` with ``self._set(...)``, and may
    leave fields out of comparisons with ``_compare``. ``dataclasses`` would do the same,
    but importing it (and ``inspect``) costs more than importing ``logging`` itself.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _compare: tuple[str, ...] | None = None  # None: all of _fields

    def _set(self, **values: object) -> None:
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def _replace(self: F, **changes: object) -> F:
        # A copy with ``changes``: the fields by keyword, as every Frozen takes them.
        make: Callable[..., F] = type(self)
        return make(**{name: changes.get(name, getattr(self, name)) for name in self._fields})

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def _key(self) -> tuple[object, ...]:
        fields = self._fields if self._compare is None else self._compare
        return tuple(getattr(self, name) for name in fields)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, Frozen)
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({args})"

    def __copy__(self) -> Frozen:
        return self  # immutable: a copy is the value itself, as for a tuple

    def __deepcopy__(self, memo: dict[int, object]) -> Frozen:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        values = {name: getattr(self, name) for name in self._fields}
        proxied = tuple(name for name, value in values.items() if isinstance(value, MappingProxyType))
        for name in proxied:
            values[name] = dict(values[name])  # (a mappingproxy cannot be pickled)
        return (_rebuild, (type(self), values, proxied))
