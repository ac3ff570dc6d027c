"""The one table of level names, numbers and glog letters."""

from __future__ import annotations

import logging
from types import MappingProxyType

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

__all__ = ["LEVEL_NAMES", "OFF", "glog_letter", "level_name", "parse_level"]

#: Level names accepted in ``name=LEVEL`` (any case), and their numbers.
LEVEL_NAMES: Final = MappingProxyType(
    {
        "debug": logging.DEBUG,
        "info": logging.INFO,
        "warning": logging.WARNING,
        "warn": logging.WARNING,
        "error": logging.ERROR,
        "critical": logging.CRITICAL,
        "fatal": logging.CRITICAL,
    }
)

#: A level no record reaches: the level of an artifact logger that must stay silent.
OFF: Final = 1 << 30

_CANONICAL: Final = MappingProxyType(
    {
        logging.DEBUG: "debug",
        logging.INFO: "info",
        logging.WARNING: "warning",
        logging.ERROR: "error",
        logging.CRITICAL: "critical",
    }
)

# glog's letters; torch prints DEBUG as "V" (verbose).
_LETTERS: Final = ("V", "I", "W", "E", "C")


def parse_level(text: str) -> int | None:
    """
    Return the level that ``text`` names (a level name in any case, or a non-negative
    integer), or ``None`` when it names none.

    >>> parse_level("Warn"), parse_level("15"), parse_level("loud")
    (30, 15, None)
    """
    key = text.strip().lower()
    if key in LEVEL_NAMES:
        return LEVEL_NAMES[key]
    if key.isascii() and key.isdigit() and len(key) <= 9:
        return int(key)
    return None


def level_name(level: int) -> str:
    """
    The canonical lower-case name of ``level``, or its number as a string.

    >>> level_name(10), level_name(15)
    ('debug', '15')
    """
    return _CANONICAL.get(level, str(level))


def glog_letter(level: int) -> str:
    """
    The glog letter of ``level``: V below INFO, then I, W, E and C.

    >>> [glog_letter(n) for n in (5, 10, 20, 25, 30, 40, 50, 60)]
    ['V', 'V', 'I', 'I', 'W', 'E', 'C', 'C']
    """
    if level < logging.INFO:
        return _LETTERS[0]
    if level < logging.WARNING:
        return _LETTERS[1]
    if level < logging.ERROR:
        return _LETTERS[2]
    if level < logging.CRITICAL:
        return _LETTERS[3]
    return _LETTERS[4]
