"""LogSystem: the one stateful object; owns the registry, the settings in force and the handlers.

Each public method checks its arguments, asks a pure builder for the new value (``_inputs``
and ``_settings`` for settings, ``_sources`` for where they came from, ``_ranks`` for the
rank filter, ``_output`` for the handlers), swaps it in under the lock and applies it
(``_apply``). The structured-trace methods are in ``_trace_api``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import warnings
import weakref
from collections.abc import Iterable, Iterator, Mapping

from . import _lazy
from ._apply import Applier
from ._control_api import ControlMethods
from ._env import EnvConfig, expand_path
from ._errors import RegistrationError, SettingsError
from ._fast import FastLogger, fast_logger
from ._forks import in_forked_child
from ._handlers import retire_handler
from ._inputs import Inputs
from ._notices import Notices, notice
from ._output import Outputs, check_console, make_formatter
from ._output_api import OutputMethods
from ._plan import Plan
from ._rank_api import RankMethods
from ._registry import Artifact, Registry, check_logger_name
from ._settings import Settings
from ._sources import Sources, registration_change
from ._trace_api import TraceMethods

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal

    from ._console import Console
    from ._fields import RecordFields
    from ._sources import Unfolded

    Precedence = Literal["env", "api"]
    Placement = Literal["top", "components"]

__all__ = ["LogSystem", "live_systems", "plan_for"]


# The systems of this process (logdial's pytest fixture reaches them all).
_SYSTEMS: weakref.WeakSet[LogSystem] = weakref.WeakSet()


def live_systems() -> list[LogSystem]:
    """
    The systems of this process that are still alive.
    """
    return list(_SYSTEMS)


def plan_for(system: LogSystem, settings: Settings) -> Plan:
    """
    The plan ``system`` would apply for ``settings``, with what is registered now (``explain``).
    """
    return Plan(settings, system.registry, system._artifact_loggers.copy(), system.root)  # (a copy: threads)


def _track(system: LogSystem) -> None:
    _SYSTEMS.add(system)
    in_forked_child(system._after_fork)
    _lazy.hook_fork()  # warning_once's lock too, even if it was never called here


class LogSystem(OutputMethods, RankMethods, TraceMethods, ControlMethods):
    """
    A configurable logging system: named components and artifacts over stdlib loggers,
    controlled by ``{P}_LOGS`` and ``set_logs``.

    Args:
        name: the system's name, shown in help.
        root: the qualified name of its root logger (default: ``name``).
        env_prefix: prefix of its environment variables (default: ``name.upper()``):
            ``{P}_LOGS``, ``{P}_LOGS_OUT``, ``{P}_LOGS_FORMAT``, ``{P}_LOGS_CONSOLE``,
            ``{P}_LOGS_STRICT``, ``{P}_LOGS_RANKS``, ``{P}_LOGS_RANKS_OTHERS``.
        strict: raise ``SettingsError`` at ``init()`` for an invalid ``{P}_LOGS``, instead
            of reporting it on stderr and applying the valid items.
        precedence: ``"env"`` (default, as torch): while ``{P}_LOGS`` is set, ``set_logs``
            is ignored with a warning (once). ``"api"``: ``set_logs`` replaces it.
        console: ``"stderr"`` (default), ``"stdout"`` or ``"none"``; ``{P}_LOGS_CONSOLE``
            overrides it, and ``set_output`` overrides both.
        propagate: let records go on to the loggers above the system's (for applications
            and pytest's caplog that handle records themselves).
        placement: where logdial's handlers go. ``"top"`` (default): on the topmost
            loggers the system owns, one set of handlers for all. ``"components"``:
            every logger a component registers also carries handler objects of its own
            (writing to the same outputs) and stops propagation itself, as torch's
            loggers do, so that code that looks for handlers on those loggers (to
            restyle them with ``setFormatter``, or to watch them) finds them; each record
            is still written once, also with ``propagate=True``.

    >>> logs = LogSystem("example")
    >>> logs.register_log("core", ["example.core"])
    >>> logs.parse("+core").levels["example.core"]
    10
    """

    def __init__(
        self,
        name: str,
        *,
        root: str | None = None,
        env_prefix: str | None = None,
        strict: bool = False,
        precedence: Precedence = "env",
        console: Console = "stderr",
        propagate: bool = False,
        placement: Placement = "top",
    ) -> None:
        root = name if root is None else root
        check_logger_name(root)
        prefix = name.upper() if env_prefix is None else env_prefix
        if not prefix.replace("_", "a").isalnum():
            raise RegistrationError(f"env_prefix {prefix!r} is not valid: use letters, digits and '_'")
        if precedence not in ("env", "api"):
            raise ValueError(f"precedence must be 'env' or 'api', not {precedence!r}")
        check_console(console)
        if placement not in ("top", "components"):
            raise ValueError(f"placement must be 'top' or 'components', not {placement!r}")
        self.name: Final = name
        self.root: Final = root
        self.env_prefix: Final = prefix
        self.strict = strict
        self.precedence: Precedence = precedence
        self._lock = threading.RLock()
        self._registry = Registry()
        # artifact logger name -> artifact. Only written under the lock; readers (the
        # formatter, per record) do a single dict lookup, which is atomic.
        self._artifact_loggers: dict[str, str] = {}
        self._artifact_formats: dict[str, logging.Formatter] = {}
        # artifact logger name -> its artifact's own formatter, read per record like the above.
        self._logger_formats: dict[str, logging.Formatter] = {}
        self._applier = Applier(root, placement)
        self._applier.make_fields = self._make_fields  # logdial's fields as record attributes
        # The settings in force and where they came from, swapped whole under the lock.
        self._sources = Sources(EnvConfig(prefix))
        # What registrations under a wildcard added and _sources has not folded in yet.
        self._unfolded: Unfolded | None = None
        self._notices = Notices(name)
        self._inputs = Inputs(name, self.var, root, lambda: self._registry, lambda: self._ranks.current())  # noqa: PLW0108 (made below)
        self._init_outputs(
            Outputs(
                name,
                console,
                propagate,
                formatter=lambda fmt, color: self._formatter(fmt, color=color),
                logger_formats=self._logger_formats.get,
                out_path=self._out_path,
                report=self._notices.once,
            )
        )
        self._init_ranks(self._notices.once)
        self._init_trace(name, prefix, self._notices.once, self.rank)
        _track(self)

    def _after_fork(self) -> None:
        # In a forked child: a thread of the parent may have held a lock when it forked,
        # and that thread does not exist here to release it. A new lock (not a reset one:
        # the thread that forked may be inside a `with` block of the old lock). The tracer
        # and its writer have their own hooks (see logdial._forks); logging resets the
        # handlers' locks.
        self._lock = threading.RLock()

    # -- registration -------------------------------------------------------------

    @property
    def var(self) -> str:
        """The name of the settings variable, ``{P}_LOGS``."""
        return f"{self.env_prefix}_LOGS"

    @property
    def registry(self) -> Registry:
        """A snapshot of the registrations (immutable; later registrations do not change it)."""
        return self._registry

    @property
    def settings(self) -> Settings:
        """The settings in force (immutable)."""
        return self._now().settings

    def _now(self) -> Sources:
        # The sources, with what registrations under a wildcard added folded in.
        if self._unfolded is not None:
            with self._lock:
                unfolded, self._unfolded = self._unfolded, None
                if unfolded is not None:
                    self._sources = self._sources.with_settings(unfolded.fold(self._sources.settings))
        return self._sources

    def _swap(self, sources: Sources) -> None:
        # Under the lock: every value swapped in was made from the sources as read (folded).
        self._sources, self._unfolded = sources, None

    def register_log(self, alias: str, logger_names: str | Iterable[str]) -> None:
        """
        Register component ``alias`` for one or more stdlib logger names.

        Registering an alias again adds logger names to it. After ``init()`` the loggers
        are configured at once under the settings in force.

        Raises:
            RegistrationError: for an invalid name, or one registered as an artifact.
        """
        names = [logger_names] if isinstance(logger_names, str) else list(logger_names)
        with self._lock:
            self._registry = self._registry.with_component(alias, names)
            self._registered(alias, self._registry.components[alias].loggers)

    def register_artifact(
        self,
        name: str,
        description: str,
        *,
        visible: bool = False,
        off_by_default: bool = False,
        log_format: str | None = None,
    ) -> None:
        """
        Register artifact ``name``: one kind of debug output that can be switched on alone.

        Args:
            name: the name used in the settings.
            description: one sentence for the help message.
            visible: listed by ``help`` (``+help`` lists every artifact).
            off_by_default: shown only when named, not when its component is at DEBUG.
            log_format: a %-style format for this artifact's records; ``""`` means the
                message alone (``"%(message)s"``), as for ``logging.Formatter`` and torch.

        Raises:
            RegistrationError: for an invalid name, or one registered as a component or
                as an artifact with other fields.
            FormatError: for an invalid ``log_format``.
        """
        formatter = None
        if log_format == "":  # the stdlib's (and torch's) meaning of an empty format
            log_format = "%(message)s"
        if log_format is not None:  # the same names as {P}_LOGS_FORMAT ("short", "basic")
            formatter = self._formatter(log_format, color=False)
        artifact = Artifact(name, description, bool(visible), bool(off_by_default), log_format)
        with self._lock:
            self._registry = self._registry.with_artifact(artifact)
            loggers = [n for n, a in self._artifact_loggers.items() if a == name]
            if formatter is not None:
                self._artifact_formats[name] = formatter
                self._logger_formats.update(dict.fromkeys(loggers, formatter))
            self._registered(name, loggers)

    def getArtifactLogger(self, module_qname: str, artifact: str) -> FastLogger:  # noqa: N802 (torch's name)
        """
        The logger for ``artifact`` records made by module ``module_qname``.

        It is the child ``{module_qname}.__{artifact}`` of the module's logger, so the
        artifact follows the component whose namespace logs it. Also available as
        ``artifact_logger`` (this name mirrors torch's). It is a ``FastLogger``, as
        ``getLogger`` says.

        Raises:
            RegistrationError: when ``artifact`` is not registered.
        """
        check_logger_name(module_qname)
        if artifact not in self._registry.artifacts:
            did = self._registry.did_you_mean(artifact)
            did = f"; {did}" if did else ""
            raise RegistrationError(
                f"artifact {artifact!r} is not registered{did} Register it with register_artifact() first."
            )
        logger_name = f"{module_qname}.__{artifact}"
        logger = fast_logger(logger_name, self._applier.floor_filter.floor)  # before anything creates it
        with self._lock:
            if self._artifact_loggers.get(logger_name) != artifact:
                self._artifact_loggers[logger_name] = artifact
                self._forget_fields()
                formatter = self._artifact_formats.get(artifact)
                if formatter is not None:
                    self._logger_formats[logger_name] = formatter
                self._configure_new([logger_name])
        return logger

    artifact_logger = getArtifactLogger

    def getLogger(self, name: str) -> FastLogger:  # noqa: N802 (the stdlib's name)
        """
        ``logging.getLogger(name)``, with logdial's fast paths: a ``FastLogger``.

        A disabled call costs about half of a stdlib one, and ``log.enabled`` says whether
        DEBUG records pass, cheaply enough to guard expensive debug output. Call it at
        import (``log = logs.getLogger(__name__)``). If ``logging.getLogger`` (or another
        logger class) made the logger first, that same object is made a ``FastLogger`` in
        place: whoever holds it keeps it, with its handlers, filters and level, and now
        with the fast paths (a logger class of the program's own keeps its own methods).
        Also available as ``get_logger``.

        Raises:
            RegistrationError: when the logger exists as an object whose class Python
                cannot change to a FastLogger (a logger class that refuses subclasses, say).
        """
        check_logger_name(name)
        return fast_logger(name, self._applier.floor_filter.floor)

    get_logger = getLogger

    def _make_fields(self) -> RecordFields:
        from ._fields import RecordFields  # only once records propagate

        return RecordFields(
            self.name,
            artifact_of=self._artifact_loggers.get,
            ranks=self._ranks,
            registry_of=lambda: self._registry,
            trace_context=self._current_context,
        )

    def _forget_fields(self) -> None:
        # A component or artifact may be new: the fields remembered per logger may change.
        fields = self._applier.fields
        if fields is not None:
            fields.forget()

    def _registered(self, name: str, loggers: Iterable[str]) -> None:
        # Under the lock, after a registration: what the settings make of the new name.
        self._forget_fields()
        loggers = tuple(loggers)
        component = self._registry.components.get(name)
        change = registration_change(
            self._sources,
            self._unfolded,
            name,
            component.loggers if component is not None else (),
            shared=any(logger in self._applier.owned for logger in loggers),
            resolver=self._inputs.resolve,
            resolve_one=self._inputs.resolve_one,
        )
        self._sources, self._unfolded = change.sources, change.unfolded
        if change.apply == "unfolded":
            if loggers and change.unfolded is not None:  # (an artifact registered before its loggers has none)
                settings = change.unfolded.over(self._sources.settings, name)
                self._applier.add(Plan(settings, self._registry, self._artifact_loggers, self.root), loggers)
        elif change.apply == "all" and self._sources.initialized:
            self._apply()
        else:
            self._configure_new(loggers)

    def _configure_new(self, loggers: Iterable[str]) -> None:
        if self._sources.initialized:
            self._applier.add(self._plan(), loggers)
        else:  # before init only artifact loggers are set, so an off one stays quiet
            self._applier.preset(self._plan(), loggers)

    # -- settings -----------------------------------------------------------------

    def parse(self, settings: str, *, rank: int | None = None) -> Settings:
        """
        Resolve a settings string against the registrations. Pure: it reads no
        environment, imports no module, creates no logger and changes no setting.

        ``rank`` is the rank to resolve for: an item with ranks (``+core@1-3``) applies
        only on those; ``None`` (the default) is a single process, which counts as rank 0.
        For the settings this process would apply, pass ``rank=logs.rank()``.

        ``parse("help")`` returns settings whose ``help`` is ``"brief"`` (``"full"`` for
        ``+help``); show ``help_message()`` for them.

        Raises:
            SettingsError: naming every invalid item, its position, and the closest names.
            TypeError: for a rank that is not an int or None; ValueError: for a negative one.
        """
        return self._inputs.parse(settings, rank)

    def set_logs(
        self,
        settings: str | None = None,
        /,
        *,
        modules: Mapping[str, int | str] | None = None,
        **values: int | str | bool | None,
    ) -> None:
        """
        Replace the settings in force (not cumulative): ``set_logs()`` restores the defaults.

        Takes a settings string in the grammar of ``{P}_LOGS``, keywords (a level for a
        component or ``all``: an int or a name such as ``"debug"``; a bool for an
        artifact; ``None`` leaves it at its default), and ``modules`` (module name →
        level), applied in that order. While ``{P}_LOGS``
        is set and ``precedence`` is ``"env"``, the call is ignored with one warning per
        system. ``set_logs("help")`` prints the help message to stderr and changes nothing.

        Raises:
            SettingsError: for unknown keywords, values of the wrong type, or invalid items.

        >>> import logging
        >>> logs = LogSystem("example_set")
        >>> logs.register_log("core", ["example_set.core"])
        >>> logs.set_logs(core=logging.DEBUG)
        >>> logging.getLogger("example_set.core").level
        10
        >>> logs.reset()
        """
        new = self._inputs.from_api(settings, modules, values)
        with self._lock:
            self._ensure_init()
            if new.help is not None:
                notice(self.help_message(verbose=new.help == "full"))
                return
            sources = self._now()
            self._swap(sources.asked(new, self.precedence))
            if not sources.ignores_api(self.precedence):
                self._apply()
                return
            if self._notices.first("precedence"):
                warnings.warn(
                    f"{self.name}: set_logs() is ignored because {self.var} is set; unset {self.var}, "
                    "or create the LogSystem with precedence='api' to let set_logs() win",
                    UserWarning,
                    stacklevel=2,
                )
            self._applier.recheck()  # the variable's settings stand: shown, whatever dictConfig did

    @contextlib.contextmanager
    def override(
        self,
        settings: str | None = None,
        /,
        *,
        modules: Mapping[str, int | str] | None = None,
        **values: int | str | bool | None,
    ) -> Iterator[Settings]:
        """
        Apply settings for the duration of a ``with`` block, then restore the previous ones.

        Takes what ``set_logs`` takes. Like ``set_logs``, it *replaces* the settings in
        force for the block (it does not add to them: ``override("+core")`` inside a
        ``+io`` run shows ``core`` alone); to add, name both, or read ``settings`` and
        extend ``settings.to_string()``. It applies whatever ``precedence`` says, since it
        is explicit and scoped (tests, notebooks). The settings are process-wide, not
        per-thread.

        >>> logs = LogSystem("example_override")
        >>> logs.register_log("core", ["example_override.core"])
        >>> with logs.override("+core") as s:
        ...     s.levels
        mappingproxy({'example_override.core': 10})
        >>> logs.settings.levels
        mappingproxy({})
        >>> logs.reset()
        """
        new = self._inputs.from_api(settings, modules, values)
        with self._lock:
            self._ensure_init()
            previous = self._now()
            self._swap(previous.overriding(new))
            self._apply()
        try:
            yield new
        finally:
            with self._lock:
                # For the rank as it is now: it may have become known inside the block.
                self._swap(self._now().restored(previous).for_rank(self._inputs.for_rank))
                self._apply()

    # -- init and output -------------------------------------------------------------

    def init(self, environ: Mapping[str, str] | None = None) -> None:
        """
        Read the environment, apply ``{P}_LOGS`` (or the defaults) and install the
        handlers. Idempotent: calling it again re-reads the environment and never adds
        a second handler.

        An invalid ``{P}_LOGS`` is reported once on stderr and its valid items applied,
        unless strict mode (``strict=True`` or ``{P}_LOGS_STRICT=1``) raises instead. A
        name no one has registered yet is kept, and applied if a plugin registers it
        later. ``{P}_LOGS=help`` prints the help message to stderr and exits with 0.

        Args:
            environ: where to read the variables (default ``os.environ``).

        It also detects this process's rank (see ``set_rank_provider``), which items with
        ranks (``+dynamo@0``), ``{P}_LOGS_RANKS`` and ``{P}_LOGS_OUT``'s ``%r`` depend on.

        Raises:
            SettingsError: in strict mode, for an invalid ``{P}_LOGS``, ``{P}_LOGS_RANKS``
                or ``{P}_LOGS_RANKS_OTHERS``.
            FormatError: in strict mode, for an invalid ``{P}_LOGS_FORMAT``.
            SystemExit: with status 0, after printing help for ``{P}_LOGS=help``.
        """
        with self._lock:
            env = EnvConfig.from_environ(environ, prefix=self.env_prefix)
            strict = self.strict or env.strict
            self._ranks.environ = environ  # (a later detection reads the same variables)
            self._ranks.detect()  # first: the settings may name ranks
            reading = self._inputs.variable(env.logs, strict, self._notices.once)
            if reading.settings is not None and reading.settings.help is not None:
                notice(self.help_message(verbose=reading.settings.help == "full"))
                raise SystemExit(0)
            self._read_ranks(env, strict)
            sources = self._now().read(env, reading).for_rank(self._inputs.for_rank)
            self._outputs.build(env, strict)  # first: a strict format error leaves the system uninitialised
            self._swap(sources)
            self._read_trace_dir(env.trace)
            self._apply()
        if env.control and not self._controlled:
            self.enable_control()

    def _control_variable(self, env: EnvConfig, *, strict: bool) -> None:
        # Under the lock (ControlMethods: logdial set and reset): ``env`` read as init() reads it.
        reading = self._inputs.variable(env.logs, strict, self._notices.once)
        if reading.settings is not None and reading.settings.help is not None:
            raise SettingsError("'help' is not a setting: `logdial help SYSTEM` lists the names")
        self._swap(self._now().remote(env, reading).for_rank(self._inputs.for_rank))
        self._apply()

    def _ensure_init(self) -> None:
        if not self._sources.initialized:
            self.init()

    def _on_outputs(self) -> None:
        # Under the lock, once the output choices changed (see OutputMethods).
        sources = self._sources
        if sources.initialized:
            # What set_output gave was checked there; what the environment gave was
            # already reported by init(), so it is not an error here.
            self._outputs.build(sources.env, self.strict or sources.env.strict)
            self._apply()

    def _formatter(self, fmt: str | None, *, color: bool) -> logging.Formatter:
        return make_formatter(
            fmt,
            artifact_of=self._artifact_loggers.get,
            color=color,
            context_of=self._trace_display,
            ranks=self._ranks,
            registry_of=lambda: self._registry,
            trace_context=self._current_context,
        )

    def _out_path(self, template: str) -> str:
        # {P}_LOGS_OUT and set_output(file=) as a template: %r the rank, %p the pid.
        return expand_path(template, self._ranks.current(), os.getpid())

    def _plan(self) -> Plan:
        return Plan(self._now().settings, self._registry, self._artifact_loggers, self.root)

    def _apply(self) -> None:
        # Under the lock: the settings, the rank filter and the handlers, to the loggers.
        self._applier.rank_level = self._rank_level()
        # While the rank is unknown, each record looks for it (the watch pushes it: _rank_learned).
        self._applier.floor_filter.poll = self._ranks.look if self._ranks.rank is None else None
        self._applier.propagate = self._outputs.propagate
        self._applier.apply(self._plan(), self._outputs.handlers)
        # Only now that the new handlers are in place: a record logged meanwhile went to
        # the old ones, which still write it.
        for stale in self._outputs.retired:
            retire_handler(stale)
        self._outputs.retired = []

    def reset(self) -> None:
        """
        Undo everything: remove logdial's handlers, give every logger back its level and
        propagation, forget the settings and the environment. Registrations are kept.
        The next ``init()`` or ``set_logs()`` starts afresh.
        """
        with self._lock:
            self._applier.release_all()
            for handler in self._outputs.reset():
                retire_handler(handler)  # (records on their way to it in other threads still land)
            self._swap(Sources(EnvConfig(self.env_prefix)))
            self._notices.forget()
            self._forget_ranks()
            self._stop_tracing()

    def _on_ranks(self, *, settings: bool, detect: bool) -> None:
        # Under the lock, once the rank or the rank filter changed (see RankMethods).
        if self._sources.initialized:
            if detect:
                self._ranks.current()  # detected again now (the variables too), not at some record
            if settings:
                self._swap(self._now().for_rank(self._inputs.for_rank))
            self._apply()

    def help_message(self, verbose: bool = False) -> str:
        """
        The help text: ``all``, every component, the artifacts (every one when
        ``verbose``), with examples in the system's own variable names.
        """
        from ._help import help_message  # help is rare: imported here, not at import

        return help_message(self.name, self.root, self.var, self._registry, verbose=verbose)

    def __repr__(self) -> str:
        return f"LogSystem({self.name!r}, root={self.root!r}, env_prefix={self.env_prefix!r})"
