"""What the tests of the plan, the filters and the applier share: a registry, a plan over it, a record."""

from __future__ import annotations

import logging

from logdial._plan import Plan
from logdial._registry import Artifact, Registry
from logdial._settings import Settings

DEBUG, INFO, WARNING, ERROR = logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR
#: The system's root logger in these tests.
ROOT = "ap"
#: A component under the root, one outside it, an artifact and one that is off by default.
REGISTRY = (
    Registry()
    .with_component("core", ["ap.core"])
    .with_component("outside", ["ext.pkg"])
    .with_artifact(Artifact("graph", "The graph."))
    .with_artifact(Artifact("schedule", "The schedule.", off_by_default=True))
)
ARTIFACT_LOGGERS = {"ap.core.__graph": "graph", "ap.core.__schedule": "schedule"}


def plan(**settings: object) -> Plan:
    """
    The plan for ``Settings(**settings)`` over REGISTRY and ARTIFACT_LOGGERS.
    """
    return Plan(Settings(**settings), REGISTRY, ARTIFACT_LOGGERS, ROOT)  # type: ignore[arg-type]


def record(name: str, level: int = INFO, msg: str = "hello") -> logging.LogRecord:
    """
    A record of logger ``name`` at ``level``.
    """
    return logging.LogRecord(name, level, __file__, 1, msg, None, None)
