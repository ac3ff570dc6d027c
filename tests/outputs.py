"""
What the tests of logdial's handlers, the console, the log file and a system's output
share: a hand-built record, a console handler, a warning logged from a known line and
the glog line it makes, the fields a format may use, and the messages of glog lines.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from pathlib import Path

from logdial import GlogFormatter
from logdial._console import ConsoleHandler
from logdial._formatting import PercentFormatter

#: A glog time stamp, for lines whose time is the real one.
STAMP = r"\d{4} \d\d:\d\d:\d\d\.\d{6}"
PID = os.getpid()
#: What the formatters below make of ``record()``.
PLAIN = "WARNING testsys.core: hello"
COLORED = "\x1b[33mW\x1b[0m"
#: The fields a format may use on this Python.
KNOWN = (
    "args, artifact, asctime, created, exc_info, exc_text, filename, funcName, glog_level, levelname, "
    "levelno, lineno, message, module, msecs, msg, name, pathname, process, processName, rank, relativeCreated, "
    "relpath, stack_info, " + ("taskName, " if sys.version_info >= (3, 12) else "") + "thread, threadName, trace_id"
)
#: How records logged by ``warn()`` name their file, with the tests directory on sys.path
#: (the ``here`` fixture).
_THIS_FILE = re.escape(Path(__file__).name)


def record(msg: str = "hello", name: str = "testsys.core", level: int = logging.WARNING) -> logging.LogRecord:
    """
    A record with a fixed time, process and place.
    """
    rec = logging.LogRecord(name, level, "/nowhere/mod.py", 7, msg, None, None)
    rec.created, rec.msecs, rec.process = 1_700_000_000.5, 500.0, 1
    return rec


def console(which: str = "stderr", color: bool = True) -> ConsoleHandler:
    """
    A console handler whose plain output is ``PLAIN`` and whose colour output starts
    with the coloured glog letter.
    """
    plain = PercentFormatter("%(levelname)s %(name)s: %(message)s")
    return ConsoleHandler("testsys", which, plain, GlogFormatter(color=True) if color else None)  # type: ignore[arg-type]


def warn(name: str, msg: str = "hello") -> None:
    """
    Log a warning on logger ``name``, from line ``WARN_LINE``.
    """
    logging.getLogger(name).warning(msg)


WARN_LINE = warn.__code__.co_firstlineno + 4


def glog(msg: str = "hello", letter: str = "W", tag: str = "") -> str:
    """
    The regex of one glog line made by ``warn()`` in this process.
    """
    return rf"{letter}{STAMP} {PID} {_THIS_FILE}:{WARN_LINE}\] {re.escape(tag + msg)}\n"


def messages(text: str) -> list[str]:
    """
    The messages of glog lines: everything after the ``] `` of the prefix.
    """
    return [line.split("] ", 1)[1] for line in text.splitlines()]
