"""LogSystem: the one stateful object; owns the registry, the settings in force and the handlers."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping

from ._apply import Applier, Plan
from ._context import TraceContext
from ._env import EnvConfig
from ._errors import FormatError, RegistrationError, SettingsError
from ._fast import fast_logger
from ._formatting import make_formatter
from ._grammar import Item, ParseResult, Problem, parse_items
from ._handlers import CONSOLES, ConsoleHandler, FileHandler, NullHandler, RoutingFormatter
from ._help import help_message
from ._modules import module_exists
from ._ranks import detect_rank
from ._registry import Artifact, Registry, check_logger_name
from ._settings import Settings, format_problems, resolve
from ._trace import RESERVED_NAMES
from ._tracing import Tracer, _no_payload

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final, Literal

    from ._handlers import Console
    from ._tracing import Encoding

    Precedence = Literal["env", "api"]
    Source = Literal["default", "env", "api", "override"]

__all__ = ["LogSystem"]


_UNSET: Final = object()
_DEFAULTS: Final = Settings()


def _report(message: str) -> None:
    """
    Tell the user something about their settings, on stderr, outside logging.
    """
    stream = sys.stderr
    if stream is not None:
        with contextlib.suppress(OSError, ValueError):  # a closed stderr loses the notice, not the program
            stream.write(message if message.endswith("\n") else message + "\n")
            stream.flush()


class LogSystem:
    """
    A configurable logging system: named components and artifacts over stdlib loggers,
    controlled by ``{P}_LOGS`` and ``set_logs``.

    Args:
        name: the system's name, shown in help.
        root: the qualified name of its root logger (default: ``name``).
        env_prefix: prefix of its environment variables (default: ``name.upper()``):
            ``{P}_LOGS``, ``{P}_LOGS_OUT``, ``{P}_LOGS_FORMAT``, ``{P}_LOGS_CONSOLE``,
            ``{P}_LOGS_STRICT``.
        strict: raise ``SettingsError`` at ``init()`` for an invalid ``{P}_LOGS``, instead
            of reporting it on stderr and applying the valid items.
        precedence: ``"env"`` (default, as torch): while ``{P}_LOGS`` is set, ``set_logs``
            is ignored with a warning (once). ``"api"``: ``set_logs`` replaces it.
        console: ``"stderr"`` (default), ``"stdout"`` or ``"none"``; ``{P}_LOGS_CONSOLE``
            overrides it, and ``set_output`` overrides both.
        propagate: let records go on to the loggers above the system's (for applications
            and pytest's caplog that handle records themselves).

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
    ) -> None:
        root = name if root is None else root
        check_logger_name(root)
        prefix = name.upper() if env_prefix is None else env_prefix
        if not prefix.replace("_", "a").isalnum():
            raise RegistrationError(f"env_prefix {prefix!r} is not valid: use letters, digits and '_'")
        if precedence not in ("env", "api"):
            raise ValueError(f"precedence must be 'env' or 'api', not {precedence!r}")
        _check_console(console)
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
        self._applier = Applier(root)
        self._settings: Settings = _DEFAULTS
        self._source: Source = "default"
        self._api_settings: Settings = _DEFAULTS
        self._env = EnvConfig(prefix)
        self._env_parsed: ParseResult | None = None
        self._pending: tuple[Item, ...] = ()
        self._reported: set[str] = set()
        self._warned_precedence = False
        self._initialized = False
        self._output: dict[str, object] = {"console": console, "propagate": propagate}
        self._explicit_output: dict[str, object] = {}
        self._handlers: tuple[logging.Handler, ...] = ()
        self._tracer = Tracer(name, prefix, self._report_once)
        self._rank_provider: Callable[[], int | None] | None = None
        self._tracer.writer.rank_of = self.rank
        self._tracing = False  # may be on: set with the trace directory
        self._trace_explicit = False

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
            log_format: a %-style format for this artifact's records.

        Raises:
            RegistrationError: for an invalid name, or one registered as a component or
                as an artifact with other fields.
            FormatError: for an invalid ``log_format``.
        """
        formatter = None
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

    def getArtifactLogger(self, module_qname: str, artifact: str) -> logging.Logger:  # noqa: N802 (torch's name)
        """
        The logger for ``artifact`` records made by module ``module_qname``.

        It is the child ``{module_qname}.__{artifact}`` of the module's logger, so the
        artifact follows the component whose namespace logs it. Also available as
        ``artifact_logger`` (this name mirrors torch's).

        Raises:
            RegistrationError: when ``artifact`` is not registered.
        """
        check_logger_name(module_qname)
        if artifact not in self._registry.artifacts:
            hint = self._registry.suggest(artifact)
            did = f"; did you mean {' or '.join(map(repr, hint))}?" if hint else ""
            raise RegistrationError(
                f"artifact {artifact!r} is not registered{did} Register it with register_artifact() first."
            )
        logger_name = f"{module_qname}.__{artifact}"
        logger = fast_logger(logger_name, self._applier.floor_filter.floor)  # before anything creates it
        with self._lock:
            if self._artifact_loggers.get(logger_name) != artifact:
                self._artifact_loggers[logger_name] = artifact
                formatter = self._artifact_formats.get(artifact)
                if formatter is not None:
                    self._logger_formats[logger_name] = formatter
                self._configure_new([logger_name])
        return logger

    artifact_logger = getArtifactLogger

    def getLogger(self, name: str) -> logging.Logger:  # noqa: N802 (the stdlib's name)
        """
        ``logging.getLogger(name)``, with logdial's fast paths when logdial creates it.

        A logger made here is a ``FastLogger``: a disabled call costs about half of a
        stdlib one, and ``log.enabled`` says whether DEBUG records pass, cheaply enough to
        guard expensive debug output. Call it at import (``log = logs.getLogger(__name__)``)
        before anything else asks for the same name; a logger that already exists is
        returned as it is. Also available as ``get_logger``.
        """
        check_logger_name(name)
        return fast_logger(name, self._applier.floor_filter.floor)

    get_logger = getLogger

    def _registered(self, name: str, loggers: Iterable[str]) -> None:
        # Called under the lock after a registration. The variable may name it (a plugin's
        # name, kept pending since init) or match it with a wildcard: resolve it again.
        parsed = self._env_parsed
        if parsed is not None and (
            any(item.name == name or item.has_wildcard for item in self._pending)
            or any(item.has_wildcard for item in parsed.items)
        ):
            settings, _ = self._resolve_env(parsed)
            if self._source == "env" and settings != self._settings:
                self._settings = settings
                if self._initialized:
                    self._apply()
                    return
        self._configure_new(loggers)

    def _configure_new(self, loggers: Iterable[str]) -> None:
        names = list(loggers)
        if self._initialized:
            self._applier.add(self._plan(), names)
        else:  # before init only artifact loggers are set, so an off one stays quiet
            plan = self._plan()
            for name in names:
                level = plan.level(name)
                logger = logging.getLogger(name)
                if name in self._artifact_loggers and logger.level != level:
                    logger.setLevel(level)

    # -- settings -----------------------------------------------------------------

    def _exists(self, name: str) -> bool:
        return name in logging.Logger.manager.loggerDict or module_exists(name)

    def parse(self, settings: str) -> Settings:
        """
        Resolve a settings string against the registrations. Pure: it imports no module,
        creates no logger and changes no setting.

        ``parse("help")`` returns settings whose ``help`` is ``"brief"`` (``"full"`` for
        ``+help``); show ``help_message()`` for them.

        Raises:
            SettingsError: naming every invalid item, its position, and the closest names.
        """
        if not isinstance(settings, str):
            raise SettingsError(f"settings must be a string, not {type(settings).__name__}")
        resolution = resolve(parse_items(settings), self._registry, root=self.root, exists=self._exists)
        if resolution.problems:
            raise self._error(resolution.problems, f"{self.name} settings")
        return resolution.settings

    def _error(self, problems: tuple[Problem, ...], where: str) -> SettingsError:
        message = format_problems(problems, where, f"{self.var}=help lists all names.")
        return SettingsError(message, tuple(f"{p.text}: {p.reason}" for p in problems))

    def _build(self, settings: str | None, modules: Mapping[str, int] | None, values: Mapping[str, object]) -> Settings:
        if settings is not None and not isinstance(settings, str):
            raise SettingsError(
                f"set_logs() takes a settings string as its first argument, not {type(settings).__name__}; "
                "give levels and switches as keywords, e.g. set_logs(dynamo=logging.DEBUG, graph_code=True)"
            )
        parsed = parse_items(settings or "")
        extra: list[Item] = []
        problems: list[Problem] = []
        for key, value in values.items():
            item = self._keyword_item(key, value, problems)
            if item is not None:
                extra.append(item)
        module_names: set[str] = set()
        if modules is not None:
            if not isinstance(modules, Mapping):
                problems.append(Problem(-1, "modules", f"must be a mapping of module name to level, not {modules!r}"))
                modules = {}
            for key, value in modules.items():
                if not isinstance(key, str) or not all(p.isidentifier() for p in key.split(".")):
                    problems.append(Problem(-1, f"modules[{key!r}]", "is not a dotted module name"))
                elif not _is_level(value):
                    problems.append(Problem(-1, f"modules[{key!r}]={value!r}", "must be a level (an int)"))
                elif value is not None:
                    module_names.add(key)
                    extra.append(Item("", key, str(value), -1))
        combined = ParseResult((*parsed.items, *extra), (*parsed.problems, *problems))

        def exists(name: str) -> bool:  # names given in modules= are taken as they are
            return name in module_names or self._exists(name)

        resolution = resolve(combined, self._registry, root=self.root, exists=exists)
        if resolution.problems:
            raise self._error(resolution.problems, "set_logs() settings")
        return resolution.settings

    def _keyword_item(self, key: str, value: object, problems: list[Problem]) -> Item | None:
        registry = self._registry
        if key == "all" or key in registry.components:
            if not _is_level(value):
                problems.append(
                    Problem(-1, f"{key}={value!r}", "must be a level (an int such as logging.DEBUG) or None")
                )
            elif value is not None:
                return Item("", key, str(value), -1)
        elif key in registry.artifacts:
            if value is not None and not isinstance(value, bool):
                problems.append(Problem(-1, f"{key}={value!r}", "must be True or False (or None)"))
            elif value is not None:
                return Item("", key, "on" if value else "off", -1)
        else:
            hint = registry.suggest(key)
            did = f"did you mean {' or '.join(map(repr, hint))}? " if hint else ""
            accepted = ", ".join(["all", *registry.components, *registry.artifacts, "modules"])
            problems.append(Problem(-1, f"{key}={value!r}", f"unknown keyword; {did}accepted: {accepted}"))
        return None

    def set_logs(
        self,
        settings: str | None = None,
        /,
        *,
        modules: Mapping[str, int] | None = None,
        **values: int | bool | None,
    ) -> None:
        """
        Replace the settings in force (not cumulative): ``set_logs()`` restores the defaults.

        Takes a settings string in the grammar of ``{P}_LOGS``, keywords (a level for a
        component or ``all``, a bool for an artifact; ``None`` leaves it at its default),
        and ``modules`` (module name → level), applied in that order. While ``{P}_LOGS``
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
                _report(self.help_message(verbose=new.help == "full"))
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
                return
            self._settings, self._source = new, "api"
            self._apply()

    @contextlib.contextmanager
    def override(
        self,
        settings: str | None = None,
        /,
        *,
        modules: Mapping[str, int] | None = None,
        **values: int | bool | None,
    ) -> Iterator[Settings]:
        """
        Apply settings for the duration of a ``with`` block, then restore the previous ones.

        Takes what ``set_logs`` takes. It applies whatever ``precedence`` says, since it is
        explicit and scoped (tests, notebooks). The settings are process-wide, not
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
                self._settings, self._source = previous
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

        Raises:
            SettingsError: in strict mode, for an invalid ``{P}_LOGS``.
            FormatError: in strict mode, for an invalid ``{P}_LOGS_FORMAT``.
            SystemExit: with status 0, after printing help for ``{P}_LOGS=help``.
        """
        with self._lock:
            env = EnvConfig.from_environ(environ, prefix=self.env_prefix)
            strict = self.strict or env.strict
            settings: Settings | None = None
            if env.logs is not None:
                parsed = parse_items(env.logs)
                settings, problems = self._resolve_env(parsed)
                if settings.help is not None:
                    _report(self.help_message(verbose=settings.help == "full"))
                    raise SystemExit(0)
                if problems:
                    error = self._error(problems, f"{self.var}={env.logs!r}")
                    if strict:
                        raise error
                    self._report_once(f"{error}\nThe other items are applied; names not registered yet are kept "
                                      "for plugins that register them later.")  # fmt: skip
                self._env_parsed = parsed
            else:
                self._env_parsed, self._pending = None, ()
            self._env = env
            if settings is not None:
                self._settings, self._source = settings, "env"
            elif self._source == "env":  # the variable went away: back to what the API asked for
                self._settings = self._api_settings
                self._source = "api" if self._api_settings is not _DEFAULTS else "default"
            self._handlers = self._make_handlers(strict)
            if not self._trace_explicit:
                self._tracer.writer.set_dir(env.trace)
                self._tracing = env.trace is not None
            self._initialized = True
            self._apply(self._handlers)

    def _resolve_env(self, parsed: ParseResult) -> tuple[Settings, tuple[Problem, ...]]:
        resolution = resolve(parsed, self._registry, root=self.root, exists=self._exists)
        self._pending = resolution.unknown
        return resolution.settings, resolution.problems

    def _ensure_init(self) -> None:
        if not self._initialized:
            self.init()

    def _report_once(self, message: str) -> None:
        if message not in self._reported:
            self._reported.add(message)
            _report(message)

    def set_output(
        self,
        *,
        console: Console | object = _UNSET,
        file: str | object | None = _UNSET,
        format: str | object | None = _UNSET,  # noqa: A002 (the variable's name)
        propagate: bool | object = _UNSET,
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
        if console is not _UNSET:
            _check_console(console)
        if isinstance(format, str):
            self._formatter(format, color=False)
        elif format is not _UNSET and format is not None:
            raise FormatError(f"format must be a string or None, not {format!r}")
        if propagate is not _UNSET and not isinstance(propagate, bool):
            raise TypeError(f"propagate must be a bool, not {propagate!r}")
        if file is not _UNSET and file is not None:
            if not isinstance(file, (str, os.PathLike)):
                raise TypeError(f"file must be a path or None, not {file!r}")
            try:  # an explicit file that cannot be opened is the caller's error, said now
                with open(file, "a", encoding="utf-8"):
                    pass
            except OSError as exc:
                message = f"set_output(file=...) cannot open the log file: {exc.strerror}"
                raise OSError(exc.errno, message, file) from None
            file = os.fspath(file)
        with self._lock:
            for key, value in (("console", console), ("file", file), ("format", format), ("propagate", propagate)):
                if value is not _UNSET:
                    self._explicit_output[key] = value
            if self._initialized:
                # What this call gave was checked above; what the environment gave was
                # already reported by init(), so it is not an error here.
                self._handlers = self._make_handlers(self.strict or self._env.strict)
                self._apply(self._handlers)

    def _make_handlers(self, strict: bool) -> tuple[logging.Handler, ...]:
        env = self._env
        explicit = self._explicit_output
        console = explicit.get("console", env.console or self._output["console"])
        if console not in CONSOLES:
            self._report_once(
                f"{env.name('CONSOLE')}={console!r} is not valid: use stderr, stdout or none; using stderr"
            )
            console = "stderr"
        fmt = explicit.get("format", env.format)
        assert fmt is None or isinstance(fmt, str)
        try:
            plain = self._formatter(fmt, color=False)
        except FormatError as exc:
            if strict:
                raise
            self._report_once(f"{env.name('FORMAT')}: {exc}; using the default format")
            fmt, plain = None, self._formatter(None, color=False)
        color = None
        if fmt is None and not env.no_color:
            color = RoutingFormatter(self._formatter(None, color=True), self._logger_formats.get)
        plain = RoutingFormatter(plain, self._logger_formats.get)
        handlers: list[logging.Handler] = []
        if console != "none":
            handlers.append(ConsoleHandler(self.name, console, plain, color))  # type: ignore[arg-type]
        path = explicit.get("file", env.out)
        if path is not None:
            old = next((h for h in self._handlers if isinstance(h, FileHandler)), None)
            if old is not None and old.baseFilename == os.path.abspath(str(path)):
                old.setFormatter(plain)
                handlers.append(old)
            else:
                try:
                    handlers.append(FileHandler(self.name, str(path), plain))
                except OSError as exc:
                    rest = "logging to the console only" if console != "none" else "no log output is left"
                    self._report_once(f"{env.name('OUT')}={path!s}: cannot open the log file ({exc.strerror}); {rest}")
        for stale in self._handlers:
            if isinstance(stale, FileHandler) and stale not in handlers:
                stale.close()
        self._applier.propagate = bool(explicit.get("propagate", self._output["propagate"]))
        return tuple(handlers) or (NullHandler(self.name),)

    def _formatter(self, fmt: str | None, *, color: bool) -> logging.Formatter:
        return make_formatter(fmt, artifact_of=self._artifact_loggers.get, color=color, context_of=self._tracer.display)

    def _plan(self) -> Plan:
        return Plan(self._settings, self._registry, self._artifact_loggers, self.root)

    def _apply(self, handlers: tuple[logging.Handler, ...] | None = None) -> None:
        self._applier.apply(self._plan(), handlers)

    def reset(self) -> None:
        """
        Undo everything: remove logdial's handlers, give every logger back its level and
        propagation, forget the settings and the environment. Registrations are kept.
        The next ``init()`` or ``set_logs()`` starts afresh.
        """
        with self._lock:
            self._applier.release_all()
            for handler in self._handlers:
                handler.close()
            self._handlers = ()
            self._settings, self._source, self._api_settings = _DEFAULTS, "default", _DEFAULTS
            self._env, self._env_parsed, self._pending = EnvConfig(self.env_prefix), None, ()
            self._reported.clear()
            self._explicit_output.clear()
            self._warned_precedence = False
            self._initialized = False
            self._tracer.writer.set_dir(None)
            self._trace_explicit = self._tracing = False

    # -- structured trace ----------------------------------------------------------

    def rank(self) -> int | None:
        """
        This process's rank (see ``set_rank_provider``), or ``None`` for a single process.

        Read when the trace file is opened: the file name carries it
        (``dedicated_log_torch_trace_rank_<R>_*.log``, for ``tlparse --all-ranks-html``)
        and so does every record of the file, as tlparse requires.
        """
        return detect_rank(self._rank_provider)

    def set_rank_provider(self, provider: Callable[[], int | None] | None) -> None:
        """
        Say how to find this process's rank, before ``torch.distributed`` and the
        launchers' variables (``RANK``, ``SLURM_PROCID``, ``OMPI_COMM_WORLD_RANK``,
        ``PMI_RANK``, ``JAX_PROCESS_ID``) are consulted; ``None`` removes it.
        """
        if provider is not None and not callable(provider):
            raise TypeError(f"a rank provider must be callable, not {provider!r}")
        self._rank_provider = provider

    def set_trace_dir(self, path: str | os.PathLike[str] | None) -> None:
        """
        Write the structured trace into directory ``path`` (``None``: stop tracing); this
        wins over ``{P}_TRACE``. The file is created on the first record, not now.
        """
        self._tracer.writer.set_dir(None if path is None else os.fspath(path))
        self._trace_explicit, self._tracing = True, path is not None

    @property
    def trace_file(self) -> str | None:
        """
        The path of this process's trace file, once a record has created it.
        """
        return self._tracer.writer.path

    @property
    def tracing(self) -> bool:
        """
        Whether trace records are being written (``{P}_TRACE`` or ``set_trace_dir``).
        """
        return self._tracer.writer.dir is not None

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
                    self._tracer.trace_structured(name)  # raises the error for a reserved name
                return
            self._tracer.trace_structured(name, metadata_fn, stacklevel=2, **options)

    def trace_artifact(self, name: str, payload_fn: Callable[[], object], *, encoding: Encoding = "string") -> None:
        """
        An ``artifact`` trace record that tlparse lists under the current context:
        ``payload_fn()`` is the text (``encoding="string"``) or a JSON value (``"json"``).

        Raises:
            ValueError: for a name that is not ``[A-Za-z0-9_.-]+`` or another encoding.
        """
        self._tracer.artifact(name, encoding, payload_fn, stacklevel=2)

    def trace_stack(self) -> list[dict[str, object]]:
        """
        The caller's stack as trace frames (``filename`` interned, ``line``, ``name``), for
        events such as ``dynamo_start``; call it inside a ``metadata_fn``.
        """
        return self._tracer.stack()

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
        # Built now, so a bad id raises here rather than when the block is entered.
        return self._tracer.scope(TraceContext(frame_id, frame_compile_id, attempt, compiled_autograd_id, label))

    def trace_overhead(self) -> dict[str, float]:
        """
        Seconds spent in structured logging so far, by context (``"[0/1]"``; ``""`` for
        records made outside any). A copy: changing it changes nothing.
        """
        return self._tracer.overhead()

    def help_message(self, verbose: bool = False) -> str:
        """
        The help text: ``all``, every component, the artifacts (every one when
        ``verbose``), with examples in the system's own variable names.
        """
        return help_message(self.name, self.root, self.var, self._registry, verbose=verbose)

    def __repr__(self) -> str:
        return f"LogSystem({self.name!r}, root={self.root!r}, env_prefix={self.env_prefix!r})"


def _is_level(value: object) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _check_console(console: object) -> None:
    if console not in CONSOLES:
        raise ValueError(f"console must be one of {', '.join(CONSOLES)}, not {console!r}")
