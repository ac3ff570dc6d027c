"""logdial: named components and artifacts over stdlib logging, set by one variable or one call."""

from __future__ import annotations

from ._errors import FormatError, LogdialError, RegistrationError, SettingsError
from ._formatting import GlogFormatter
from ._grammar import Item
from ._lazy import LazyString, warning_once
from ._registry import Artifact, Component, Registry
from ._settings import Settings
from ._system import LogSystem

__all__ = [
    "Artifact",
    "Component",
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
