"""What logdial needs from ``torch._logging``, checked before anything is changed."""

from __future__ import annotations

import logging
import sys
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType

__all__ = [
    "ArtifactSpec",
    "TorchLogging",
    "TorchRegistry",
    "UnexpectedTorchError",
    "inspect_torch",
    "read_registry",
]

# The functions logdial replaces or calls, in torch._logging and in its _internal module.
_PACKAGE_FUNCTIONS = ("_init_logs", "set_logs", "getArtifactLogger")
_INTERNAL_FUNCTIONS = (
    "_init_logs",
    "set_logs",
    "getArtifactLogger",
    "register_log",
    "register_artifact",
    "_update_log_state_from_env",
    "_get_log_state",
    "_set_log_state",
)
# Names torch's _init_logs must read through its module globals, so that logdial can
# keep the rest of it (its TORCH_TRACE handler) while it takes TORCH_LOGS and
# TORCH_LOGS_OUT away from it: a torch whose _init_logs reads them otherwise would print
# its own logs beside logdial's, or raise at import for a typo.
_INIT_LOGS_READS = ("_reset_logs", "_update_log_state_from_env", "LOG_OUT_ENV_VAR")


class UnexpectedTorchError(Exception):
    """
    torch's internals are not what logdial.pytorch knows; the message says what differs.
    """


@dataclass(frozen=True, slots=True)
class ArtifactSpec:
    """
    One artifact of torch's registry, in logdial's terms.
    """

    name: str
    description: str
    visible: bool
    off_by_default: bool
    log_format: str | None


@dataclass(frozen=True, slots=True)
class TorchRegistry:
    """
    A snapshot of torch's registry: components (alias → logger names), artifacts, the
    artifact loggers torch has handed out so far, and every logger name torch registered
    (its components' and the modules it took as logs of their own).
    """

    components: tuple[tuple[str, tuple[str, ...]], ...]
    artifacts: tuple[ArtifactSpec, ...]
    artifact_loggers: frozenset[str]
    log_qnames: frozenset[str]


@dataclass(frozen=True, slots=True)
class TorchLogging:
    """
    The checked parts of an imported ``torch._logging``.

    Attributes:
        package: ``torch._logging``.
        internal: ``torch._logging._internal``.
        version: ``torch.__version__`` (``"unknown"`` while torch is still importing).
        registry: torch's ``LogRegistry`` instance (read with ``read_registry``).
        handlers: torch's ``WeakSet`` of the handlers it made, the only ones removed.
        trace_log: torch's structured trace logger, ``torch.__trace``, left as torch sets it.
        trace_id: ``torch._guards.CompileContext.current_trace_id``, when there is one.
    """

    package: ModuleType
    internal: ModuleType
    version: str
    registry: object
    handlers: weakref.WeakSet[logging.Handler]
    trace_log: logging.Logger
    trace_id: Callable[[], object] | None


def _version() -> str:
    torch = sys.modules.get("torch")
    version = getattr(torch, "__version__", None)
    return str(version) if version is not None else "unknown"


def inspect_torch(package: ModuleType) -> TorchLogging:
    """
    Check the internals of ``torch._logging`` that logdial uses, and read them.

    Raises:
        UnexpectedTorchError: naming the first internal that is missing or of another kind.
    """
    internal = getattr(package, "_internal", None) or sys.modules.get("torch._logging._internal")
    if not isinstance(internal, ModuleType):
        raise UnexpectedTorchError("torch._logging has no _internal module")
    for where, module, names in (
        ("torch._logging", package, _PACKAGE_FUNCTIONS),
        ("torch._logging._internal", internal, _INTERNAL_FUNCTIONS),
    ):
        for name in names:
            if not callable(getattr(module, name, None)):
                raise UnexpectedTorchError(f"{where}.{name} is missing or not a function")
    init_logs = internal._init_logs
    reads = set(getattr(getattr(init_logs, "__code__", None), "co_names", ()))
    missing = [name for name in _INIT_LOGS_READS if name not in reads]
    if missing:
        raise UnexpectedTorchError(f"torch._logging._internal._init_logs no longer reads {', '.join(missing)}")
    if not isinstance(getattr(internal, "LOG_OUT_ENV_VAR", None), str):
        raise UnexpectedTorchError("torch._logging._internal.LOG_OUT_ENV_VAR is missing or not a str")
    handlers = getattr(internal, "handlers", None)
    if not isinstance(handlers, weakref.WeakSet):
        raise UnexpectedTorchError("torch._logging._internal.handlers is missing or not a WeakSet")
    trace_log = getattr(internal, "trace_log", None)
    if not isinstance(trace_log, logging.Logger):
        raise UnexpectedTorchError("torch._logging._internal.trace_log is missing or not a Logger")
    state = getattr(internal, "log_state", None)
    if state is None or not callable(getattr(state, "is_artifact_enabled", None)):
        raise UnexpectedTorchError("torch._logging._internal.log_state is missing or has no is_artifact_enabled")
    registry = getattr(internal, "log_registry", None)
    read_registry(registry)  # raises UnexpectedTorchError for a registry of another shape
    guards = sys.modules.get("torch._guards")
    trace_id = getattr(getattr(guards, "CompileContext", None), "current_trace_id", None)
    return TorchLogging(
        package=package,
        internal=internal,
        version=_version(),
        registry=registry,
        handlers=handlers,
        trace_log=trace_log,
        trace_id=trace_id if callable(trace_id) else None,
    )


def _field(registry: object, name: str, kind: type) -> object:
    value = getattr(registry, name, None)
    if not isinstance(value, kind):
        raise UnexpectedTorchError(f"torch._logging._internal.log_registry.{name} is missing or not a {kind.__name__}")
    return value


def _strings(value: object, where: str) -> frozenset[str]:
    assert isinstance(value, (set, frozenset, list, tuple))
    if not all(isinstance(item, str) for item in value):
        raise UnexpectedTorchError(f"torch._logging._internal.log_registry.{where} holds something else than names")
    return frozenset(value)


def _log_format(formatter: object) -> str | None:
    # torch keeps an artifact's format as a logging.Formatter built from a %-style string.
    style = getattr(formatter, "_style", None)
    fmt = getattr(style, "_fmt", None)
    if isinstance(formatter, logging.Formatter) and isinstance(style, logging.PercentStyle) and isinstance(fmt, str):
        return fmt
    return None


def read_registry(registry: object) -> TorchRegistry:
    """
    Read torch's ``LogRegistry``: its components, artifacts and artifact loggers.

    Module names torch registered as logs of their own (a ``TORCH_LOGS`` item such as
    ``+json`` makes ``json`` an alias of itself) are not components: logdial takes them as
    modules, as written.

    Raises:
        UnexpectedTorchError: for a registry without these fields, or fields of another kind.
    """
    aliases = _field(registry, "log_alias_to_log_qnames", dict)
    names = _strings(_field(registry, "artifact_names", set), "artifact_names")
    visible = _strings(_field(registry, "visible_artifacts", set), "visible_artifacts")
    off = _strings(_field(registry, "off_by_default_artifact_names", set), "off_by_default_artifact_names")
    descriptions = _field(registry, "artifact_descriptions", dict)
    formatters = _field(registry, "artifact_log_formatters", dict)
    loggers = _strings(_field(registry, "artifact_log_qnames", set), "artifact_log_qnames")
    assert isinstance(aliases, Mapping)
    assert isinstance(descriptions, Mapping)
    assert isinstance(formatters, Mapping)
    components: list[tuple[str, tuple[str, ...]]] = []
    log_qnames: set[str] = set()
    for alias, value in aliases.items():
        listed = (value,) if isinstance(value, str) else value
        if not isinstance(alias, str) or not isinstance(listed, (list, tuple)):
            raise UnexpectedTorchError("torch's log_registry.log_alias_to_log_qnames does not map aliases to names")
        qnames = tuple(listed)
        if not all(isinstance(q, str) for q in qnames):
            raise UnexpectedTorchError(f"torch's component {alias!r} has logger names that are not strings")
        log_qnames.update(qnames)
        if not alias.isidentifier() or (qnames == (alias,) and alias != "torch"):
            continue  # a module torch registered under its own name
        components.append((alias, qnames))
    artifacts = []
    # In the order torch registered them (its descriptions are a dict), the rest after.
    ordered = [n for n in descriptions if n in names] + sorted(names.difference(descriptions))
    for name in ordered:
        description = descriptions.get(name, "")
        artifacts.append(
            ArtifactSpec(
                name=name,
                description=description if isinstance(description, str) else "",
                visible=name in visible,
                off_by_default=name in off,
                log_format=_log_format(formatters.get(name)),
            )
        )
    return TorchRegistry(tuple(components), tuple(artifacts), loggers, frozenset(log_qnames))
