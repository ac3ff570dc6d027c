"""The registry of components and artifacts: immutable snapshots, lookup, wildcards, suggestions."""

from __future__ import annotations

from types import MappingProxyType

from ._errors import RegistrationError
from ._frozen import Frozen

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Final, TypeVar

    _V = TypeVar("_V")

__all__ = ["RESERVED", "RESERVED_NAMES", "Artifact", "Component", "Registry", "check_logger_name"]

#: Names the grammar gives a meaning of its own; nothing can be registered under them.
RESERVED: Final = frozenset({"all", "help"})


#: Names trace_structured refuses (here, with the other rules on names, not with the trace
#: writer, which is imported only when a program traces): tlparse (or torch) gives these keys a meaning of their own;
#: logdial_label (_context.LABEL_KEY) carries a trace context's label.
RESERVED_NAMES: Final = frozenset(
    {
        "rank", "compiled_autograd_id", "frame_id", "frame_compile_id", "attempt", "severity",
        "timestamp", "pathname", "thread", "lineno", "subgraph_name", "has_payload", "stack",
        "str", "payload_filename", "logdial_label",
    }
)  # fmt: skip


class Component(Frozen):
    """
    A named component: an alias for one or more stdlib logger names.
    """

    __slots__ = ("loggers", "name")
    _fields = ("name", "loggers")
    name: str
    loggers: tuple[str, ...]

    def __init__(self, name: str, loggers: tuple[str, ...]) -> None:
        self._set(name=name, loggers=loggers)


class Artifact(Frozen):
    """
    A named artifact: one kind of debug output that can be switched on alone.

    Attributes:
        name: the artifact's name, as written in the settings.
        description: one sentence, shown in the help message.
        visible: listed by ``help`` (all artifacts are listed by ``+help``).
        off_by_default: shown only when named, never because its component is at DEBUG.
        log_format: a %-style format string for this artifact's records, or ``None``.
    """

    __slots__ = ("description", "log_format", "name", "off_by_default", "visible")
    _fields = ("name", "description", "visible", "off_by_default", "log_format")
    name: str
    description: str
    visible: bool
    off_by_default: bool
    log_format: str | None

    def __init__(
        self,
        name: str,
        description: str,
        visible: bool = False,
        off_by_default: bool = False,
        log_format: str | None = None,
    ) -> None:
        self._set(
            name=name, description=description, visible=visible, off_by_default=off_by_default, log_format=log_format
        )


def copy_mapping(mapping: Mapping[str, _V]) -> dict[str, _V]:
    # A dict of ``mapping``. A proxy's copy() copies the dict below it at once; dict(proxy) goes key by key, 30
    # times slower, which made each registration cost time in proportion to the others.
    return mapping.copy() if isinstance(mapping, MappingProxyType) else dict(mapping)


class Registry(Frozen):
    """
    An immutable snapshot of a system's registrations. ``with_*`` return new snapshots.
    """

    __slots__ = ("artifacts", "components")
    _fields = ("components", "artifacts")
    components: Mapping[str, Component]
    artifacts: Mapping[str, Artifact]

    def __init__(
        self, components: Mapping[str, Component] | None = None, artifacts: Mapping[str, Artifact] | None = None
    ) -> None:
        self._set(
            components=MappingProxyType({}) if components is None else components,
            artifacts=MappingProxyType({}) if artifacts is None else artifacts,
        )

    def with_component(self, name: str, loggers: str | Iterable[str]) -> Registry:
        """
        Return a registry in which component ``name`` also covers ``loggers``.

        Registering a component again adds logger names to it, so a plugin can attach
        its own loggers to a component it does not own. A single ``str`` is one logger
        name (not its characters).
        """
        _check_name(name, "component")
        if name in self.artifacts:
            raise RegistrationError(f"{name!r} is already registered as an artifact; choose another component name")
        names = (loggers,) if isinstance(loggers, str) else tuple(dict.fromkeys(loggers))
        if not names:
            raise RegistrationError(f"component {name!r} needs at least one logger name")
        for logger_name in names:
            check_logger_name(logger_name)
        old = self.components.get(name)
        merged = tuple(dict.fromkeys((*old.loggers, *names))) if old else names
        components = copy_mapping(self.components)
        components[name] = Component(name, merged)
        return Registry(MappingProxyType(components), self.artifacts)

    def with_artifact(self, artifact: Artifact) -> Registry:
        """
        Return a registry that also holds ``artifact``.

        Registering the same artifact twice with the same fields is allowed; with
        different fields it is a ``RegistrationError``.
        """
        _check_name(artifact.name, "artifact")
        if artifact.name in self.components:
            raise RegistrationError(
                f"{artifact.name!r} is already registered as a component; choose another artifact name"
            )
        old = self.artifacts.get(artifact.name)
        if old == artifact:
            return self
        if old is not None:
            raise RegistrationError(f"artifact {artifact.name!r} is already registered with other fields: {old!r}")
        artifacts = copy_mapping(self.artifacts)
        artifacts[artifact.name] = artifact
        return Registry(self.components, MappingProxyType(artifacts))

    def match(self, pattern: str, only: str | None = None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """
        The components and the artifacts whose names match the wildcard ``pattern``
        (with ``only``: of that name alone, in time independent of the registry's size).
        """
        names = (only,) if only is not None else (*self.components, *self.artifacts)
        # Every character but "*" stands for exactly one character of a name: a pattern
        # with more of them than the longest name matches nothing, and is not compiled
        # (fnmatch would build, and cache, a regex as long as the pattern).
        longest = max(map(len, names), default=0)
        if len(pattern) - pattern.count("*") > longest:
            return (), ()
        import fnmatch  # only for wildcards: not at import

        if only is not None:
            found = fnmatch.fnmatchcase(only, pattern)
            return ((only,) if found and only in self.components else ()), (
                (only,) if found and only in self.artifacts else ()
            )
        components = tuple(n for n in self.components if fnmatch.fnmatchcase(n, pattern))
        artifacts = tuple(n for n in self.artifacts if fnmatch.fnmatchcase(n, pattern))
        return components, artifacts

    def suggest(self, name: str) -> list[str]:
        """
        Up to three registered names (or ``all``) close to ``name``, best first, ignoring
        case, signs and wildcards.
        """
        names = ["all", *self.components, *self.artifacts]
        if len(name) > 2 * max(map(len, names)):  # nothing that long is a typo of a name here
            return []
        lowered = {n.lower(): n for n in names}
        key = name.lower().lstrip("+-").replace("*", "").replace("?", "")
        import difflib  # only on an error: it is slow to import

        return [lowered[m] for m in difflib.get_close_matches(key, list(lowered), n=3, cutoff=0.6)]

    def did_you_mean(self, name: str) -> str:
        """
        ``did you mean 'a' or 'b'?`` for the names ``suggest`` finds, or ``""``: the
        one wording every error that suggests a name uses.
        """
        matches = self.suggest(name)
        return f"did you mean {' or '.join(map(repr, matches))}?" if matches else ""

    @property
    def logger_names(self) -> frozenset[str]:
        """
        Every logger name a component covers.
        """
        return frozenset(n for c in self.components.values() for n in c.loggers)


def _check_name(name: object, kind: str) -> None:
    if not isinstance(name, str) or not name.isidentifier():
        raise RegistrationError(
            f"{kind} name {name!r} is not valid: use letters, digits and '_', starting with a letter or '_'"
        )
    if name in RESERVED:
        raise RegistrationError(
            f"{kind} name {name!r} is reserved by the settings grammar ({', '.join(sorted(RESERVED))})"
        )


def check_logger_name(name: object) -> None:
    """
    Raise ``RegistrationError`` unless ``name`` is a dotted name of identifiers.
    """
    if not isinstance(name, str) or not all(part.isidentifier() for part in name.split(".")):
        raise RegistrationError(f"logger name {name!r} is not valid: use dotted identifiers, e.g. 'mylib.module'")
