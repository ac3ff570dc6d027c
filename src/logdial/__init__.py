"""logdial: named components and artifacts over stdlib logging, set by one variable or one call."""

from __future__ import annotations

from ._errors import FormatError, LogdialError, RegistrationError, SettingsError
from ._fast import FastLogger
from ._formatting import GlogFormatter
from ._lazy import LazyString, warning_once
from ._registry import Artifact, Component, Registry
from ._settings import Settings
from ._system import LogSystem

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._grammar import Item

__all__ = [
    "Artifact",
    "Component",
    "FastLogger",
    "FormatError",
    "GlogFormatter",
    "Item",
    "LazyString",
    "LogSystem",
    "LogdialError",
    "RegistrationError",
    "Registry",
    "Settings",
    "SettingsError",
    "warning_once",
]

__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # ``Item`` comes from the grammar, which only a program that parses settings needs:
    # it is imported on first use, not with logdial.
    if name == "Item":
        from ._grammar import Item

        globals()["Item"] = Item
        return Item
    raise AttributeError(f"module 'logdial' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
