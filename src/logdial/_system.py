"""LogSystem: the one stateful object; owns the registry, the settings in force and the handlers."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping

from . import _lazy
from ._apply import Applier, Plan, clear_caches_below
from ._env import EnvConfig, expand_path, parse_others
from ._errors import RegistrationError, SettingsError
from ._fast import FastLogger, fast_logger
from ._forks import in_forked_child
from ._handlers import retire_handler
from ._inputs import A_LEVEL, MAX_SETTINGS_LENGTH, api_items, level_of, too_long
from ._levels import OFF
from ._notices import Notices, notice
from ._output import UNSET, Outputs, check_choices, check_console, make_formatter, on_capture_change
from ._ranks import RankWatch
from ._registry import RESERVED_NAMES, Artifact, Registry, check_logger_name
from ._settings import Settings, Unfolded, format_problems, merge_name, resolve, resolve_name

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal

    from ._console import Console
    from ._context import TraceContext
    from ._fields import RecordFields
    from ._grammar import Item, ParseResult, Problem, RankSet
    from ._tracing import Encoding, Tracer, _no_payload

    Precedence = Literal["env", "api"]
    Placement = Literal["top", "components"]
    Source = Literal["default", "env", "api", "override"]

__all__ = ["LogSystem", "live_systems"]


_DEFAULTS: Final = Settings()


def _why(exc: OSError) -> str:
    return f"cannot load a part of logdial ({exc.strerror or exc})"


# The systems of this process (logdial's pytest fixture reaches them all).
_SYSTEMS: weakref.WeakSet[LogSystem] = weakref.WeakSet()


def live_systems() -> list[LogSystem]:
    """
    The systems of this process that are still alive.
    """
    return list(_SYSTEMS)


def _track(system: LogSystem) -> None:
    _SYSTEMS.add(system)
    in_forked_child(system._after_fork)
    _lazy.hook_fork()  # warning_once's lock too, even if it was never called here


class LogSystem:
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
        self._settings_now: Settings = _DEFAULTS
        # What registrations under a wildcard added and _settings has not folded in yet.
        self._unfolded: Unfolded | None = None
        self._source: Source = "default"
        self._api_settings: Settings = _DEFAULTS
        self._env = EnvConfig(prefix)
        self._env_parsed: ParseResult | None = None
        self._pending: tuple[Item, ...] = ()
        self._notices = Notices(name)
        self._warned_precedence = False
        self._initialized = False
        self._outputs = Outputs(name, console, propagate)  # its choices, its handlers
        on_capture_change(self._remake_outputs)
        # Where records that could not be formatted were logged, shared by the handlers
        # so that each bad call is reported once (see _handlers.ReportsOnce).
        self._error_sites: set[tuple[str, int]] = set()
        # Made on first use (see _trace_api): a program that never traces nor opens a
        # trace context does not import the tracing modules.
        self._tracer: Tracer | None = None
        #: Where log lines take their trace id from before the system's own contexts
        #: (logdial.pytorch: torch's compile id); returns None when it has none.
        self._trace_id_source: Callable[[], str | None] | None = None
        self._ranks = RankWatch()
        # logdial's fields as record attributes (for handlers that are not logdial's).
        self._applier.make_fields = self._make_fields
        # The rank filter, (the ranks that log, the level the others need or None for
        # silent): from set_ranks() (None until it is called), and from the environment.
        self._explicit_ranks: tuple[RankSet | None, int | None] | None = None
        self._env_ranks: tuple[RankSet | None, int | None] = (None, logging.ERROR)
        self._tracing = False  # may be on: set with the trace directory
        self._trace_explicit = False
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
        """
        The name of the settings variable, ``{P}_LOGS``.
        """
        return f"{self.env_prefix}_LOGS"

    @property
    def registry(self) -> Registry:
        """
        A snapshot of the registrations (immutable; later registrations do not change it).
        """
        return self._registry

    @property
    def settings(self) -> Settings:
        """
        The settings in force (immutable).
        """
        return self._settings

    @property
    def _settings(self) -> Settings:
        # The settings in force, with what registrations under a wildcard added folded in.
        if self._unfolded is not None:
            with self._lock:
                unfolded, self._unfolded = self._unfolded, None
                if unfolded is not None:
                    self._settings_now = unfolded.fold(self._settings_now)
        return self._settings_now

    @_settings.setter
    def _settings(self, value: Settings) -> None:
        # (every value set was made from the settings as read, or replaces them whole)
        self._settings_now, self._unfolded = value, None

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
        # Called under the lock after a registration. The variable may name it (a plugin's
        # name, kept pending since init: resolve it all again) or match it with a wildcard
        # (work out what it makes of this name alone: registering stays linear).
        self._forget_fields()
        loggers = tuple(loggers)
        parsed = self._env_parsed
        if parsed is not None and (
            any(item.name == name or item.has_wildcard for item in self._pending)
            or any(logger in self._applier.owned for logger in loggers)  # (shared with another component)
        ):
            settings, _ = self._resolve_env(parsed)
            if self._source == "env" and settings != self._settings:
                self._settings = settings
                if self._initialized:
                    self._apply()
                    return
        elif parsed is not None and self._source == "env" and any(item.has_wildcard for item in parsed.items):
            component = self._registry.components.get(name)
            own = component.loggers if component is not None else ()
            part = resolve_name(
                parsed, self._registry, name, root=self.root, exists=self._exists, rank=self._ranks.current()
            )
            base = self._settings_now
            if self._initialized and not any(k in part.floors or k in base.levels for k in own):
                # The usual case: only additions, kept apart until the settings are read
                # next (one copy of their maps for a whole burst of registrations).
                if self._unfolded is None:
                    self._unfolded = Unfolded()
                self._unfolded.add(part, name, own)
                if loggers:  # (an artifact registered before its loggers are made has none)
                    plan = Plan(self._unfolded.over(base, name), self._registry, self._artifact_loggers, self.root)
                    self._applier.add(plan, loggers)
                return
            settings = merge_name(self._settings, part, name, own)
            if settings is not self._settings:
                floors_moved = settings.floors is not self._settings.floors
                self._settings = settings
                if self._initialized and floors_moved:  # the floor filter takes floors from a full apply
                    self._apply()
                    return
        self._configure_new(loggers)

    def _configure_new(self, loggers: Iterable[str]) -> None:
        names = list(loggers)
        if self._initialized:
            self._applier.add(self._plan(), names)
        else:  # before init only artifact loggers are set, so an off one stays quiet
            plan = self._plan()
            changed = set()
            for name in names:
                level = plan.level(name)
                logger = logging.getLogger(name)
                if name in self._artifact_loggers and logger.level != level:
                    logger.level = level  # not setLevel: it clears every logger's cache
                    changed.add(name)
            clear_caches_below(changed)

    # -- settings -----------------------------------------------------------------

    def _exists(self, name: str) -> bool:
        from ._modules import module_exists  # when used, not at import

        return name in logging.Logger.manager.loggerDict or module_exists(name)

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
        from ._grammar import parse_items  # when used, not at import

        if not isinstance(settings, str):
            raise SettingsError(f"settings must be a string, not {type(settings).__name__}")
        if rank is not None and (not isinstance(rank, int) or isinstance(rank, bool)):
            raise TypeError(f"rank must be an int or None, not {rank!r}")
        if rank is not None and rank < 0:
            raise ValueError(f"rank must be 0 or more, not {rank}")
        self._check_length(settings, f"{self.name} settings")
        resolution = resolve(parse_items(settings), self._registry, root=self.root, exists=self._exists, rank=rank)
        if resolution.problems:
            raise self._error(resolution.problems, f"{self.name} settings")
        return resolution.settings

    def _check_length(self, settings: str, where: str) -> None:
        problem = too_long(settings)
        if problem is not None:
            raise self._error((problem,), where)

    def _error(self, problems: tuple[Problem, ...], where: str) -> SettingsError:
        message = format_problems(problems, where, f"{self.var}=help lists all names.")
        return SettingsError(message, tuple(f"{p.text}: {p.reason}" for p in problems))

    def _build(
        self, settings: str | None, modules: Mapping[str, int | str] | None, values: Mapping[str, object]
    ) -> Settings:
        if settings is not None and not isinstance(settings, str):
            raise SettingsError(
                f"set_logs() takes a settings string as its first argument, not {type(settings).__name__}; "
                "give levels and switches as keywords, e.g. set_logs(dynamo=logging.DEBUG, graph_code=True)"
            )
        self._check_length(settings or "", "set_logs() settings")
        combined, module_names = api_items(settings, modules, values, self._registry)

        def exists(name: str) -> bool:  # names given in modules= are taken as they are
            return name in module_names or self._exists(name)

        resolution = resolve(combined, self._registry, root=self.root, exists=exists, rank=self._ranks.current())
        if resolution.problems:
            raise self._error(resolution.problems, "set_logs() settings")
        return resolution.settings

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
        new = self._build(settings, modules, values)
        with self._lock:
            self._ensure_init()
            if new.help is not None:
                notice(self.help_message(verbose=new.help == "full"))
                return
            self._api_settings = new
            if self.precedence == "env" and self._env.logs is not None:
                if not self._warned_precedence:
                    self._warned_precedence = True
                    warnings.warn(
                        f"{self.name}: set_logs() is ignored because {self.var} is set; unset {self.var}, "
                        "or create the LogSystem with precedence='api' to let set_logs() win",
                        UserWarning,
                        stacklevel=2,
                    )
                self._applier.recheck()  # the variable's settings stand: shown, whatever dictConfig did
                return
            self._settings, self._source = new, "api"
            self._apply()

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
        new = self._build(settings, modules, values)
        with self._lock:
            self._ensure_init()
            previous = (self._settings, self._source)
            self._settings, self._source = new, "override"
            self._apply()
        try:
            yield new
        finally:
            with self._lock:
                # For the rank as it is now: it may have become known inside the block.
                self._settings, self._source = self._for_rank(previous[0]), previous[1]
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
            settings = self._read_settings(env.logs, strict)
            self._env_ranks = self._read_ranks(env, strict)
            self._api_settings = self._for_rank(self._api_settings)
            self._env = env
            if settings is not None:
                self._settings, self._source = settings, "env"
            elif self._source == "env":  # the variable went away: back to what the API asked for
                self._settings = self._api_settings
                self._source = "api" if self._api_settings is not _DEFAULTS else "default"
            self._settings = self._for_rank(self._settings)
            self._make_handlers(strict)
            if not self._trace_explicit:
                try:
                    if env.trace is not None or self._tracer is not None:
                        self._trace_api().writer.set_dir(env.trace)
                    self._tracing = env.trace is not None
                except OSError as exc:  # the tracing modules cannot be read (no descriptor left)
                    self._report_once(f"{self.env_prefix}_TRACE cannot be used now: {_why(exc)}; tracing is off")
            self._initialized = True
            self._apply(self._outputs.handlers)

    def _read_settings(self, logs: str | None, strict: bool) -> Settings | None:
        # {P}_LOGS as init() reads it: the settings it gives (None when it is unset or
        # cannot be used), its problems reported (raised in strict mode), help printed.
        if logs is not None and len(logs) > MAX_SETTINGS_LENGTH:
            try:
                self._check_length(logs, self.var)
            except SettingsError as too_long:
                if strict:
                    raise
                self._report_once(f"{too_long}\nNone of its items is applied.")
            logs = None
        self._env_parsed, self._pending = None, ()
        if logs is None:
            return None
        try:
            from ._grammar import parse_items  # only with settings to parse: not at import

            parsed = parse_items(logs)
            settings, problems = self._resolve_env(parsed)
        except OSError as exc:  # a module loaded on first use cannot be read (no descriptor left)
            self._report_once(f"{self.var} cannot be read now: {_why(exc)}; the defaults apply")
            return None
        if settings.help is not None:
            notice(self.help_message(verbose=settings.help == "full"))
            raise SystemExit(0)
        if problems:
            error = self._error(problems, f"{self.var}={logs!r}")
            if strict:
                raise error
            self._report_once(f"{error}\nThe other items are applied; names not registered yet are kept "
                              "for plugins that register them later.")  # fmt: skip
        self._env_parsed = parsed
        return settings

    def _resolve_env(self, parsed: ParseResult) -> tuple[Settings, tuple[Problem, ...]]:
        resolution = resolve(parsed, self._registry, root=self.root, exists=self._exists, rank=self._ranks.current())
        self._pending = resolution.unknown
        return resolution.settings, resolution.problems

    def _ensure_init(self) -> None:
        if not self._initialized:
            self.init()

    def _report_once(self, message: str) -> None:
        self._notices.once(message)

    def set_output(
        self,
        *,
        console: Console | object = UNSET,
        file: str | object | None = UNSET,
        format: str | object | None = UNSET,  # noqa: A002 (the variable's name)
        propagate: bool | object = UNSET,
    ) -> None:
        """
        Choose where records go; what is given here wins over the environment.

        Args:
            console: ``"stderr"``, ``"stdout"`` or ``"none"``.
            file: a path to append the logs to as well, or ``None`` for no file.
            format: a %-style format, ``"short"``, or ``None`` for the glog-style default.
            propagate: let records go on to the parent loggers (for applications and
                pytest's caplog that handle records themselves; combine with
                ``console="none"`` to avoid printing them twice).

        Raises:
            FormatError: for an invalid format.
            ValueError: for an unknown console.
        """
        given = check_choices(
            console,
            file,
            format,
            propagate,
            check_format=lambda fmt: self._formatter(fmt, color=False),
            out_path=self._out_path,
        )
        with self._lock:
            self._outputs.explicit.update(given)
            self._remake_outputs()

    def reset_output(self) -> None:
        """
        Forget what ``set_output`` chose: the environment (``{P}_LOGS_OUT``,
        ``{P}_LOGS_FORMAT``, ``{P}_LOGS_CONSOLE``) and the defaults choose again.
        """
        with self._lock:
            self._outputs.explicit.clear()
            self._remake_outputs()

    def _remake_outputs(self) -> None:
        with self._lock:
            if self._initialized:
                # What set_output gave was checked there; what the environment gave was
                # already reported by init(), so it is not an error here.
                self._make_handlers(self.strict or self._env.strict)
                self._apply(self._outputs.handlers)

    def _make_handlers(self, strict: bool) -> None:
        self._outputs.build(
            self._env,
            strict,
            formatter=lambda fmt, color: self._formatter(fmt, color=color),
            logger_formats=self._logger_formats.get,
            error_sites=self._error_sites,
            out_path=self._out_path,
            report=self._report_once,
        )
        self._applier.propagate = self._outputs.propagate

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
        return Plan(self._settings, self._registry, self._artifact_loggers, self.root)

    def _apply(self, handlers: tuple[logging.Handler, ...] | None = None) -> None:
        self._applier.rank_level = self._rank_level()
        # While the rank is unknown, each record looks for it (see _poll_rank).
        self._applier.floor_filter.poll = self._poll_rank if self._ranks.rank is None else None
        self._applier.apply(self._plan(), handlers)
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
            for handler in self._outputs.handlers:
                retire_handler(handler)  # (records on their way to it in other threads still land)
            self._outputs.handlers = ()
            self._settings, self._source, self._api_settings = _DEFAULTS, "default", _DEFAULTS
            self._env, self._env_parsed, self._pending = EnvConfig(self.env_prefix), None, ()
            self._notices.forget()
            self._error_sites.clear()
            self._outputs.explicit.clear()
            self._explicit_ranks, self._env_ranks = None, (None, logging.ERROR)
            self._ranks.forget()
            self._ranks.environ = None
            self._warned_precedence = False
            self._initialized = False
            if self._tracer is not None:
                self._tracer.writer.set_dir(None)
            self._trace_explicit = self._tracing = False

    # -- ranks ----------------------------------------------------------------------

    def rank(self) -> int | None:
        """
        This process's rank, or ``None`` for a single process: from the provider (see
        ``set_rank_provider``), else ``torch.distributed`` when the program has imported
        and initialised it, else the launchers' variables.

        Detected at ``init()`` and kept once known. While it is unknown, each record looks
        again, cheaply: a rank that ``torch.distributed`` learns after ``init()`` reaches
        the ``[rankN]:`` prefix, the rank filter and the items with ranks from the first
        record made after it (a ``{P}_LOGS_OUT`` file already open keeps its name).

        Read when the trace file is opened: the file name carries it
        (``dedicated_log_torch_trace_rank_<R>_*.log``, for ``tlparse --all-ranks-html``)
        and so does every record of the file, as tlparse requires.
        """
        return self._ranks.current()

    def set_rank_provider(self, provider: Callable[[], int | None] | None) -> None:
        """
        Say how to find this process's rank, before ``torch.distributed`` and the
        launchers' variables (``RANK``, ``SLURM_PROCID``, ``OMPI_COMM_WORLD_RANK``,
        ``PMI_RANK``, ``JAX_PROCESS_ID``) are consulted; ``None`` removes it. The rank is
        found again at once. The provider returns an ``int`` >= 0, or ``None`` while it
        does not know; while it does not, it is asked again at each record.
        """
        if provider is not None and not callable(provider):
            raise TypeError(f"a rank provider must be callable, not {provider!r}")
        with self._lock:
            self._ranks.set_provider(provider)
            if self._initialized:
                self._ranks.current()  # detected again now (the variables too), not at some record
                self._rank_settled()

    def set_ranks(
        self, ranks: str | int | Iterable[int] | None, /, *, others: int | str | None = logging.ERROR
    ) -> None:
        """
        Let only ``ranks`` log to logdial's console and file: on the other ranks the
        handlers pass only records at ``others`` and above (``logging.ERROR`` by default,
        so that a crash still shows), or none for ``others=None``.

        ``ranks`` is a string as ``{P}_LOGS_RANKS`` takes it (``"0,2-3"``), a rank, ranks
        (``[0, 2, 3]``, ``range(4)``), or ``None``: every rank logs. This wins over
        ``{P}_LOGS_RANKS`` and ``{P}_LOGS_RANKS_OTHERS`` until ``reset()``. A process
        without a rank is never filtered. The structured trace is not filtered.

        Raises:
            SettingsError: for a string that is not a list of ranks.
            ValueError: for a rank that is not an int >= 0, or an ``others`` that is
                neither a level (an int >= 0) nor ``None``.

        >>> import logging
        >>> logs = LogSystem("example_ranks")
        >>> logs.set_rank_provider(lambda: 1)  # as if the launcher had set RANK=1
        >>> logs.set_ranks("0,2-3")  # rank 1 logs its errors only
        >>> logs.set_output(console="stdout")
        >>> logs.init()
        >>> logging.getLogger("example_ranks").warning("not shown on rank 1")
        >>> logs.reset()
        """
        from ._grammar import RankSet, parse_ranks  # when used, not at import

        chosen: RankSet | None = None
        if isinstance(ranks, str):
            try:
                chosen = parse_ranks(ranks)
            except ValueError as exc:
                raise SettingsError(f"invalid set_ranks({ranks!r}): {exc}") from None
        elif isinstance(ranks, int):  # one rank (True is refused as a rank)
            chosen = RankSet.of([ranks])
        elif ranks is not None:
            chosen = RankSet.of(ranks)
        if others is not None:
            level = level_of(others)
            if level is None:
                raise ValueError(f"others must be {A_LEVEL}, or None for silence, not {others!r}")
            others = level
        with self._lock:
            self._explicit_ranks = (chosen, others)
            if self._initialized:
                self._apply()

    def _read_ranks(self, env: EnvConfig, strict: bool) -> tuple[RankSet | None, int | None]:
        # {P}_LOGS_RANKS and {P}_LOGS_RANKS_OTHERS; an invalid one is reported and ignored.
        ranks: RankSet | None = None
        others: int | None = logging.ERROR
        if env.ranks is not None:
            from ._grammar import parse_ranks  # when used, not at import

            try:
                ranks = parse_ranks(env.ranks)
            except ValueError as exc:
                self._bad_variable(env.name("RANKS"), env.ranks, exc, strict, "it is ignored: every rank logs")
        if env.ranks_others is not None:
            try:
                others = parse_others(env.ranks_others)
            except ValueError as exc:
                self._bad_variable(env.name("RANKS_OTHERS"), env.ranks_others, exc, strict, "using error")
        return ranks, others

    def _bad_variable(self, name: str, value: str, exc: ValueError, strict: bool, fallback: str) -> None:
        error = SettingsError(f"invalid {name}={value!r}: {exc}")
        if strict:
            raise error from None
        self._report_once(f"{error}; {fallback}")

    def _rank_level(self) -> int:
        # The level logdial's handlers pass on this rank: all (0) but on a rank the filter leaves out.
        ranks, others = self._env_ranks if self._explicit_ranks is None else self._explicit_ranks
        rank = self._ranks.rank
        if ranks is None or rank is None or rank in ranks:
            return logging.NOTSET
        return OFF if others is None else others

    def _poll_rank(self) -> None:
        # Before each record while the rank is unknown (FloorFilter.poll), in the thread
        # that logs, with no handler's lock held. Once the rank is known, apply what
        # depends on it; while another thread holds the system's lock (it is changing the
        # configuration), the next record tries again, so that logging never waits here.
        ranks = self._ranks
        if ranks.provider is None and "torch.distributed" not in sys.modules:
            return  # nothing could know it yet (current() would say so, at the cost of a call)
        if ranks.current() is None or not self._lock.acquire(blocking=False):
            return
        try:
            if self._initialized:
                self._rank_settled()
        finally:
            self._lock.release()

    def _rank_settled(self) -> None:
        # Under the lock, once the rank changed: the items with ranks, the rank filter.
        self._settings = self._for_rank(self._settings)
        self._api_settings = self._for_rank(self._api_settings)
        self._apply()

    def _for_rank(self, settings: Settings) -> Settings:
        # ``settings`` resolved again for the current rank, if it has items with ranks.
        # Every item in it was valid once, so a module it names is taken as it is.
        if not any(item.ranks is not None for item in settings.items):
            return settings
        from ._grammar import ParseResult  # loaded: the items were parsed

        parsed = ParseResult(settings.items, ())
        rank = self._ranks.current()
        return resolve(parsed, self._registry, root=self.root, exists=lambda name: True, rank=rank).settings

    # -- structured trace ----------------------------------------------------------

    def _trace_api(self) -> Tracer:
        # The system's tracer, made (and the tracing modules imported) on first use.
        tracer = self._tracer
        if tracer is None:
            with self._lock:
                tracer = self._tracer
                if tracer is None:
                    from ._tracing import Tracer

                    tracer = Tracer(self.name, self.env_prefix, self._report_once)
                    tracer.writer.rank_of = self.rank
                    self._tracer = tracer
        return tracer

    def _trace_display(self) -> str:
        # The trace id a log line shows ("[0/1]"): the source's, else the current
        # context's; "" outside any (and before any context was ever opened).
        source = self._trace_id_source
        if source is not None:
            try:
                shown = source()
            except Exception:  # a record must never fail for want of its trace id
                shown = None
            if shown is not None:
                return shown
        tracer = self._tracer
        return "" if tracer is None else tracer.display()

    def _current_context(self) -> TraceContext | None:
        # The current trace context (JSON lines carry its ids); None before any.
        tracer = self._tracer
        return None if tracer is None else tracer.context.get()

    def set_trace_id_source(self, source: Callable[[], str | None] | None) -> None:
        """
        For integrations whose own code knows the trace id (``logdial.pytorch``: the compile
        id Dynamo is working on): log lines show what ``source()`` returns (``"[0/1]"``),
        else, when it returns None or raises, the system's own trace context. ``None``
        removes it. It is called for every line the default format writes: keep it cheap.
        """
        if source is not None and not callable(source):
            raise TypeError(f"a trace id source must be callable or None, not {source!r}")
        self._trace_id_source = source

    def set_trace_dir(self, path: str | os.PathLike[str] | None) -> None:
        """
        Write the structured trace into directory ``path`` (``None``: stop tracing); this
        wins over ``{P}_TRACE``. The file is created on the first record, not now.
        """
        if path is not None or self._tracer is not None:
            self._trace_api().writer.set_dir(None if path is None else os.fspath(path))
        self._trace_explicit, self._tracing = True, path is not None

    @property
    def trace_file(self) -> str | None:
        """
        The path of this process's trace file, once a record has created it.
        """
        tracer = self._tracer
        return None if tracer is None else tracer.writer.path

    @property
    def tracing(self) -> bool:
        """
        Whether trace records are being written (``{P}_TRACE`` or ``set_trace_dir``).
        """
        tracer = self._tracer
        return tracer is not None and tracer.writer.dir is not None

    if TYPE_CHECKING:  # the signature type checkers see; the one below is the fast one

        def trace_structured(
            self,
            name: str,
            metadata_fn: Callable[[], Mapping[str, object]] = dict,
            *,
            payload_fn: Callable[[], object] = _no_payload,
            suppress_context: bool = False,
            expect_trace_id: bool = True,
        ) -> None:
            """
            Write a structured trace record (see the runtime docstring).
            """

    else:

        def trace_structured(self, name, metadata_fn=dict, **options):
            """
            Write a structured trace record ``{name: metadata_fn()}`` with an optional payload.

            ``metadata_fn`` and ``payload_fn`` are called only while tracing is on; when it is
            off the call returns at once. The metadata is a JSON object; the payload is a
            string or a JSON-serialisable value (lists and dicts are written one value per
            line). The record carries the ids of the current ``trace_context`` (unless
            ``suppress_context``), and, made outside any context with ``expect_trace_id``,
            the caller's stack. Nothing a trace call does raises into the caller, except a
            reserved ``name`` (a programming error): a failing callback or file is reported
            once on stderr and the record skipped.

            Raises:
                ValueError: for a reserved or empty name (``rank``, ``frame_id``, ``str``, ...).

            >>> logs = LogSystem("example_trace")
            >>> logs.trace_structured("mylib_step", lambda: {"step": 1})  # tracing is off: nothing happens
            """
            # Keyword options travel in **options: a signature with keyword-only
            # defaults costs a fifth more per call, and this is the hot path
            # (benchmarks/RESULTS.md). The flag is true while tracing may be on.
            if not self._tracing:
                if name in RESERVED_NAMES:
                    self._trace_api().trace_structured(name)  # raises the error for a reserved name
                return
            self._trace_api().trace_structured(name, metadata_fn, stacklevel=2, **options)

    def trace_artifact(self, name: str, payload_fn: Callable[[], object], *, encoding: Encoding = "string") -> None:
        """
        An ``artifact`` trace record that tlparse lists under the current context:
        ``payload_fn()`` is the text (``encoding="string"``) or a JSON value (``"json"``).

        Raises:
            ValueError: for a name that is not ``[A-Za-z0-9_.-]+`` or another encoding.
        """
        self._trace_api().artifact(name, encoding, payload_fn, stacklevel=2)

    def trace_stack(self) -> list[dict[str, object]]:
        """
        The caller's stack as trace frames (``filename`` interned, ``line``, ``name``), for
        events such as ``dynamo_start``; call it inside a ``metadata_fn``.
        """
        return self._trace_api().stack()

    def trace_context(
        self,
        *,
        frame_id: int | None = None,
        frame_compile_id: int | None = None,
        attempt: int | None = None,
        compiled_autograd_id: int | None = None,
        label: str | None = None,
    ) -> contextlib.AbstractContextManager[TraceContext]:
        """
        A ``with`` block whose trace records (and log lines) carry these ids.

        Contexts nest (an inner one replaces only the ids it gives) and follow threads and
        asyncio tasks, as ``contextvars`` do. Log lines show the compile id as torch does,
        ``[0/1]``, ``[0/1_2]`` for an attempt; ``label`` shows instead for systems without
        compile ids (``label="step 7"`` shows ``[step 7]``).

        Raises:
            ValueError: for an id that is not an int in [0, 2**32), or a bad label.

        >>> logs = LogSystem("example_context")
        >>> with logs.trace_context(frame_id=0, frame_compile_id=1) as outer:
        ...     with logs.trace_context(attempt=2) as inner:
        ...         outer.display(), inner.display()
        ('[0/1]', '[0/1_2]')
        """
        tracer = self._trace_api()
        from ._context import TraceContext  # loaded with the tracer

        # Built now, so a bad id raises here rather than when the block is entered.
        return tracer.scope(TraceContext(frame_id, frame_compile_id, attempt, compiled_autograd_id, label))

    def trace_overhead(self) -> dict[str, float]:
        """
        Seconds spent in structured logging so far, by context (``"[0/1]"``; ``""`` for
        records made outside any). A copy: changing it changes nothing.
        """
        tracer = self._tracer
        return {} if tracer is None else tracer.overhead()

    def help_message(self, verbose: bool = False) -> str:
        """
        The help text: ``all``, every component, the artifacts (every one when
        ``verbose``), with examples in the system's own variable names.
        """
        from ._help import help_message  # help is rare: imported here, not at import

        return help_message(self.name, self.root, self.var, self._registry, verbose=verbose)

    def __repr__(self) -> str:
        return f"LogSystem({self.name!r}, root={self.root!r}, env_prefix={self.env_prefix!r})"


#: What a level may be, as errors say it.
