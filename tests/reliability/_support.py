"""
Shared helpers of the reliability tests: the handlers logdial has placed, whole-line
checks, and the bodies of the child processes (importable by name, so
that ``spawn`` children can run them).
"""

from __future__ import annotations

import logging
import os
import re

from logdial import LogSystem
from logdial._handlers import is_logdial_handler

#: One glog line as logdial writes it: letter, time, pid, path:line, then the message.
GLOG_LINE = re.compile(
    r"(?P<letter>[VIWEC])\d{4} \d\d:\d\d:\d\d\.\d{6} (?P<pid>\d+) (?P<path>[^ ]+):(?P<line>\d+)\] (?P<msg>.*)"
)
#: A record of the child processes: long enough that a torn write would show.
PADDING = "x" * 300


def logdial_handlers() -> list[tuple[str, str]]:
    """
    (logger name, handler class) of every logdial handler on any logger, sorted.
    """
    loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return sorted(
        (lg.name, type(h).__name__)
        for lg in loggers
        if isinstance(lg, logging.Logger)
        for h in lg.handlers
        if is_logdial_handler(h)
    )


def messages(text: str) -> list[str]:
    """
    The message of every line of ``text``; an ``AssertionError`` names the first line
    that is not one whole glog line.
    """
    out = []
    for number, line in enumerate(text.split("\n")[:-1], 1):
        match = GLOG_LINE.fullmatch(line)
        assert match is not None, f"line {number} is not a whole record: {line[:200]!r}"
        out.append(match["msg"])
    assert text.endswith("\n") or not text, f"the last line is cut short: {text[-200:]!r}"
    return out


def process_system() -> LogSystem:
    """
    The system the child processes log with: ``proc``, one component, one artifact.
    """
    logs = LogSystem("proc")
    logs.register_log("core", ["proc.core"])
    logs.register_artifact("graph", "A graph.")
    return logs


def log_and_trace(logs: LogSystem, who: str, records: int) -> None:
    """
    ``records`` log records on ``proc.core`` and as many trace records, half in a
    trace context, with multi-line payloads.
    """
    log = logging.getLogger("proc.core")
    graph = logs.getArtifactLogger("proc.core", "graph")
    for i in range(records):
        log.info("%s record %d %s", who, i, PADDING)
        if i % 2:
            with logs.trace_context(frame_id=i % 3, frame_compile_id=i % 2):
                logs.trace_structured("proc_step", lambda i=i: {"who": who, "i": i}, payload_fn=lambda i=i: f"a\n{i}")
                logs.trace_artifact("plan", lambda i=i: f"scan\n{i}")
        else:
            logs.trace_structured("proc_step", lambda i=i: {"who": who, "i": i})
        if i % 50 == 0:
            graph.debug("%s graph %d", who, i)


def spawned_child(out: str, trace_dir: str, who: str, records: int) -> None:
    """
    The body of a ``spawn`` child: a system of its own, initialised from the variables,
    appending to the shared ``out`` and tracing into ``trace_dir``.
    """
    logs = process_system()
    logs.init({"PROC_LOGS": "+core,graph", "PROC_LOGS_OUT": out, "PROC_LOGS_CONSOLE": "none", "PROC_TRACE": trace_dir})
    log_and_trace(logs, who, records)
    logs.reset()


#: The parent's system in the fork test, which forked children inherit.
FORKED: list[LogSystem] = []


def forked_child(who: str, records: int) -> None:
    """
    The body of a ``fork`` child: the parent's system as inherited (its file handler's
    descriptor, its trace writer), which must open a trace file of its own.
    """
    logs = FORKED[0]
    parent_trace = logs.trace_file
    log_and_trace(logs, who, records)
    if logs.trace_file in (None, parent_trace):
        os._exit(3)  # the child wrote into its parent's trace file
