"""
What the rank, JSON-format and path-template tests share: hand-built records made at a
fixed time by a fixed pid, a rank watch, the process's time zone, a small registry, and
the glog lines a system writes.
"""

from __future__ import annotations

import logging
import os
import re
import time
from types import TracebackType

from logdial._ranks import RankWatch
from logdial._registry import Artifact, Registry

#: 2023-11-14 22:13:20.123456 UTC.
CREATED = 1_700_000_000.123456
PID = 4242
NOWHERE = "/nonexistent-logdial-root"
#: The registry the resolver and JSON-format tests use.
REGISTRY = (
    Registry()
    .with_component("core", ["t.core"])
    .with_component("io", ["t.io", "t.net"])
    .with_artifact(Artifact("graph", "The graph."))
)
#: One text line of logdial's default format, as it comes out of a system.
LINE = re.compile(r"^(?P<rank>\[rank\d+\]:)?(?P<letter>[VIWEC])\d{4} [\d:.]+ \d+ \S+:\d+\] (?P<message>.*)$")

ExcInfo = tuple[type[BaseException], BaseException, TracebackType]


def set_tz(value: str | None) -> None:
    """
    Set the process's time zone (``None``: unset it).
    """
    if value is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = value
    time.tzset()


def watch(rank: int | None) -> RankWatch:
    """
    A rank watch that knows ``rank`` (``None``: no rank).
    """
    ranks = RankWatch()
    ranks.set_provider(lambda: rank)
    ranks.detect({})
    return ranks


def record(
    msg: str = "hello",
    *,
    name: str = "t.core",
    level: int = logging.INFO,
    args: tuple[object, ...] | None = None,
    exc_info: ExcInfo | None = None,
    stack_info: str | None = None,
) -> logging.LogRecord:
    """
    A hand-built record made at CREATED by PID, in a file outside every sys.path entry.
    """
    made = logging.LogRecord(name, level, f"{NOWHERE}/pkg/mod.py", 12, msg, args, exc_info)
    made.created, made.msecs, made.process = CREATED, 123.456, PID
    made.stack_info = stack_info
    return made


def error_info() -> ExcInfo:
    """
    The exc_info of a real ValueError("bad").
    """
    try:
        raise ValueError("bad")
    except ValueError as exc:
        return (ValueError, exc, exc.__traceback__)  # type: ignore[return-value]


def lines(text: str) -> list[tuple[str, str, str]]:
    """
    (rank prefix, level letter, message) of each glog line of ``text``.
    """
    out = []
    for line in text.splitlines():
        match = LINE.match(line)
        assert match is not None, line
        out.append((match["rank"] or "", match["letter"], match["message"]))
    return out
