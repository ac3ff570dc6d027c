"""logdial in charge of torch's logging: the system built from torch's registry, and what it replaces in torch."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from types import ModuleType

from .._errors import FormatError, RegistrationError, SettingsError
from .._forks import held
from .._notices import notice as _notice
from .._system import LogSystem
from . import TESTED_TORCH_VERSIONS
from ._internals import ArtifactSpec, TorchLogging, TorchRegistry, UnexpectedTorchError, inspect_torch, read_registry
from ._stand_ins import LiveLogState, TorchSetLogs

__all__ = ["Bridge", "TorchSystem", "current", "notice", "set_trace_dir", "take_over"]

#: What torch's _init_logs reads instead of "TORCH_LOGS_OUT" while logdial is in charge:
#: a name no environment holds, so that torch opens no file handlers of its own (33 of
#: them on one file, and a FileNotFoundError at import for a missing directory); logdial
#: reads TORCH_LOGS_OUT itself.
_OUT_UNUSED = "TORCH_LOGS_OUT (read by logdial.pytorch, not by torch)"

_PREFIX = "logdial.pytorch: "

#: The arguments of one ``set_logs`` call: the settings string, ``modules``, the keywords.
_Call = tuple[str | None, Mapping[str, int | bool] | None, dict[str, int | bool | None]]


def notice(message: str) -> None:
    """
    Say something in one line on stderr, outside logging (see ``_notices.notice``).
    """
    _notice(_PREFIX + " ".join(message.split()))


def _assign(module: ModuleType, name: str, value: object) -> None:
    setattr(module, name, value)


def _no_env_parse() -> None:
    """
    Stands in for torch's ``_update_log_state_from_env``: logdial reads ``TORCH_LOGS``.
    """


def _show_trace_ids(system: LogSystem, current_trace_id: Callable[[], object] | None) -> None:
    # torch's lines carry the compile id ("[0/1]") while Dynamo compiles: the system's
    # formatters ask torch first, through its trace id source (a failing source, or
    # None, gives the system's own trace context instead).
    if current_trace_id is None:
        return

    def source() -> str | None:
        trace_id = current_trace_id()
        return None if trace_id is None else f"[{trace_id}]"

    system.set_trace_id_source(source)


class Bridge:
    """
    Everything logdial replaces in torch's logging, and undoes if it must give it back.

    Attributes:
        view: the checked internals of torch._logging.
        system: logdial's system for torch: root ``torch``, prefix ``TORCH``.
        live: what ``torch._logging._internal.log_state`` is while logdial is in charge.
        set_logs_function: what ``torch._logging.set_logs`` is.
    """

    def __init__(self, view: TorchLogging) -> None:
        self.view = view
        # Handlers on every logger torch registers, each its own objects, as torch places
        # them: torch's test harness and users' code look for them there.
        self.system: LogSystem = TorchSystem("torch", root="torch", env_prefix="TORCH", placement="components")
        self._lock = threading.RLock()
        self._patched: list[tuple[ModuleType, str, object]] = []
        self._adopted: set[str] = set()
        self._complaints: set[str] = set()
        self.live = LiveLogState(self.system)
        self.set_logs_function = TorchSetLogs(self)
        internal = view.internal
        self._torch_init_logs: Callable[[], None] = internal._init_logs
        self._torch_get_artifact_logger: Callable[[str, str], logging.Logger] = internal.getArtifactLogger
        self._torch_register_log: Callable[..., None] = internal.register_log
        self._torch_register_artifact: Callable[..., None] = internal.register_artifact
        #: What torch's code reads the settings from: its module global ``log_state``.
        self._internal = internal
        # torch's LogState is where set_logs keeps what it was asked; a state swapped in
        # and swapped back restores it at the next _init_logs. The arguments of the last
        # set_logs (settings, modules, keywords), and those saved at each swap.
        self._last_call: _Call = (None, None, {})
        self._saved_calls: list[_Call] = []
        self._restore: _Call | None = None
        _show_trace_ids(self.system, view.trace_id)  # before any formatter is made
        # TORCH_TRACE is torch's: its writer keeps it (see the README). logdial's own
        # writer for this system must not read the variable as well.
        self.system.set_trace_dir(None)
        self.sync_registry(strict=True)

    # -- registrations ------------------------------------------------------------

    def sync_registry(self, *, strict: bool = False) -> TorchRegistry:
        """
        Register with logdial what torch registers and logdial does not have yet.

        Raises:
            UnexpectedTorchError: for a registry logdial cannot read, or (``strict``) a name it
                cannot take.
        """
        snapshot = read_registry(self.view.registry)
        system = self.system
        with self._lock:
            current = system.registry
            for alias, loggers in snapshot.components:
                have = current.components.get(alias)
                if have is None or not set(loggers).issubset(have.loggers):
                    self._register(strict, alias, system.register_log, alias, loggers)
            for spec in snapshot.artifacts:
                if spec.name not in current.artifacts:
                    self._register(strict, spec.name, self._register_artifact, spec)
        return snapshot

    def _register(self, strict: bool, name: str, register: Callable[..., None], *args: object) -> None:
        try:
            register(*args)
        except RegistrationError as exc:
            if strict:
                raise UnexpectedTorchError(f"logdial cannot register torch's {name!r}: {exc}") from None
            self._complain(f"torch registered {name!r}, which logdial cannot take: {exc}")

    def _register_artifact(self, spec: ArtifactSpec) -> None:
        register = self.system.register_artifact
        visible, off = spec.visible, spec.off_by_default
        try:
            register(spec.name, spec.description, visible=visible, off_by_default=off, log_format=spec.log_format)
        except FormatError:  # a format logdial refuses: the artifact's records get the usual lines
            register(spec.name, spec.description, visible=visible, off_by_default=off)

    def _sync_quietly(self) -> None:
        try:
            self.sync_registry()
        except UnexpectedTorchError as exc:
            self._complain(f"cannot read torch's registry any more: {exc}")

    def _complain(self, message: str) -> None:
        if message not in self._complaints:
            self._complaints.add(message)
            notice(message)

    def register_log(self, setting_name: str, log_name: str | list[str]) -> None:
        """
        ``torch._logging._internal.register_log``: torch's, then logdial's.
        """
        self._torch_register_log(setting_name, log_name)
        self._sync_quietly()

    def register_artifact(
        self,
        setting_name: str,
        description: str,
        visible: bool = False,
        off_by_default: bool = False,
        log_format: str | None = None,
    ) -> None:
        """
        ``torch._logging._internal.register_artifact``: torch's, then logdial's.
        """
        self._torch_register_artifact(setting_name, description, visible, off_by_default, log_format)
        self._sync_quietly()

    # -- artifact loggers ---------------------------------------------------------

    def get_artifact_logger(self, module_qname: str, artifact_name: str) -> logging.Logger:
        """
        ``torch._logging.getArtifactLogger``: the logger ``<module>.__<artifact>``,
        registered with torch (which checks the name and raises as it always has) and
        with logdial (which sets its level, and tags its records ``[__artifact]``).
        """
        system = self.system
        with self._lock:
            if artifact_name not in system.registry.artifacts:
                self._sync_quietly()
            if artifact_name in system.registry.artifacts and isinstance(module_qname, str):
                # First, so that a logger nobody made yet is one of logdial's fast ones; a
                # module name logdial cannot take is left to torch, below.
                with contextlib.suppress(RegistrationError):
                    system.getArtifactLogger(module_qname, artifact_name)
            logger = self._torch_get_artifact_logger(module_qname, artifact_name)
            self._adopt(logger)
        return logger

    def _adopt(self, logger: logging.Logger) -> None:
        # torch sets propagate=False on an off-by-default artifact's logger, so that its
        # records skip torch's handlers; logdial keeps such a logger silent by its level
        # instead, and its handler sits on "torch", which the records must reach.
        logger.propagate = True
        name = logger.name
        if name in self._adopted:
            return
        module, sep, artifact = name.rpartition(".__")
        artifact = getattr(logger, "artifact_name", artifact)
        if not sep or not isinstance(artifact, str) or artifact not in self.system.registry.artifacts:
            return
        try:
            self.system.getArtifactLogger(module, artifact)
        except RegistrationError:
            return
        self._adopted.add(name)

    def adopt_artifact_loggers(self) -> None:
        """
        Register with logdial the artifact loggers torch handed out before (or by ways
        around ``getArtifactLogger``, such as a reference taken before ``install()``).
        """
        names = getattr(self.view.registry, "artifact_log_qnames", ())
        existing = logging.Logger.manager.loggerDict
        with self._lock:
            for name in list(names):
                logger = existing.get(name)
                if isinstance(logger, logging.Logger):
                    self._adopt(logger)

    # -- settings -----------------------------------------------------------------

    def keep_live_state(self) -> None:
        """
        Make ``torch._logging._internal.log_state`` logdial's again: torch's call sites
        read that global (``log_state.is_artifact_enabled("recompiles")``), and torch's
        test harness swaps a ``LogState()`` of its own in.
        """
        _assign(self._internal, "log_state", self.live)

    def get_log_state(self) -> LiveLogState:
        """
        ``torch._logging._internal._get_log_state``: logdial's live state.
        """
        return self.live

    def set_log_state(self, state: object) -> None:
        """
        ``torch._logging._internal._set_log_state``, as torch's test harness uses it:
        ``prev = _get_log_state()``, ``_set_log_state(LogState())``, settings, the test,
        ``_set_log_state(prev)``, ``_init_logs()``.

        torch's code keeps asking logdial's live state throughout. A state swapped in
        saves the ``set_logs`` call in force and asks for what it holds (see
        ``LiveLogState.request_from``); swapping logdial's state back makes the next
        ``_init_logs`` restore that call, as torch's ``_init_logs`` re-applies the state
        swapped back.
        """
        with self._lock:
            if state is not self.live:
                self._saved_calls.append(self._last_call)
                self.live.request_from(state)
            elif self._saved_calls:
                self._restore = self._saved_calls.pop()
            self.keep_live_state()

    def set_logs(
        self, settings: str | None, modules: Mapping[str, int | bool] | None, values: Mapping[str, int | bool | None]
    ) -> None:
        """
        The body of ``torch._logging.set_logs`` under logdial (see ``TorchSetLogs``).
        """
        self._sync_quietly()
        self.adopt_artifact_loggers()
        self.keep_live_state()
        registry = self.system.registry
        keywords = dict(values)
        module_levels: Mapping[str, int] | None = modules
        if isinstance(modules, Mapping):
            module_levels = {}
            for key, value in modules.items():
                if isinstance(key, str) and (key == "all" or key in registry.components or key in registry.artifacts):
                    keywords[key] = value  # torch takes aliases and artifacts in modules= too
                else:
                    module_levels[key] = value
        self.system.set_logs(settings, modules=module_levels, **keywords)
        self._last_call = (settings, None if modules is None else dict(modules), dict(values))  # it was valid

    def init_logs(self, log_file_name: str | None = None) -> None:
        """
        ``torch._logging._init_logs``, which ``import torch`` calls last: torch's own (its
        ``TORCH_TRACE`` handler, levels reset) without its parse of ``TORCH_LOGS`` and
        without its handlers, then logdial's ``init()``.

        Raises:
            SystemExit: with status 0, after printing logdial's help for ``TORCH_LOGS=help``.
            logdial.SettingsError: only in strict mode (``TORCH_LOGS_STRICT=1``), for an
                invalid ``TORCH_LOGS``.
        """
        try:
            with self._lock:
                self.keep_live_state()  # torch's tests put in a LogState of their own
                self.sync_registry()
                self._torch_init_logs()
                self._strip_torch_handlers()
                self.adopt_artifact_loggers()
                if log_file_name is not None:
                    self.system.set_output(file=log_file_name)
        except Exception as exc:
            self.give_back(f"could not take over torch's logging ({type(exc).__name__}: {exc})")
            return
        try:
            self.system.init()
        except (SettingsError, FormatError):
            raise  # strict mode asked for it
        except Exception as exc:
            self.give_back(f"logdial's init() failed ({type(exc).__name__}: {exc})")
            return
        requested, restore = self.live.take_requested(), self._restore
        self._restore = None
        if requested is not None:  # torch's own set_logs (an old reference), or a state swapped in
            levels, artifacts = requested
            self.set_logs(None, levels, dict.fromkeys(artifacts, True))
        elif restore is not None and "TORCH_LOGS" not in os.environ:  # (else the variable wins anyway)
            self.set_logs(*restore)

    def _strip_torch_handlers(self) -> None:
        # Only the handlers torch made (its WeakSet of them), and not the one on its trace
        # logger: TORCH_TRACE stays torch's. The application's handlers are not touched.
        tracked = self.view.handlers
        trace_log = self.view.trace_log
        manager = logging.Logger.manager
        known = list(manager.loggerDict.values())
        loggers = [logging.getLogger(), *(lg for lg in known if isinstance(lg, logging.Logger))]
        for logger in loggers:
            if logger is trace_log:
                continue
            for handler in list(logger.handlers):
                if handler in tracked:
                    logger.removeHandler(handler)
                    handler.close()
        # torch stops every registered logger's records at its own handler (propagate
        # False); without that handler they must go on up to logdial's, on "torch".
        for name in read_registry(self.view.registry).log_qnames:
            if name != self.system.root:
                logging.getLogger(name).propagate = True

    # -- install and give back ----------------------------------------------------

    def commit(self) -> None:
        """
        Replace torch's functions with logdial's; undone at once if anything fails.
        """
        package, internal = self.view.package, self.view.internal
        patches: list[tuple[ModuleType, str, object]] = [
            (package, "_init_logs", self.init_logs),
            (internal, "_init_logs", self.init_logs),
            (package, "set_logs", self.set_logs_function),
            (internal, "set_logs", self.set_logs_function),
            (package, "getArtifactLogger", self.get_artifact_logger),
            (internal, "getArtifactLogger", self.get_artifact_logger),
            (internal, "register_log", self.register_log),
            (internal, "register_artifact", self.register_artifact),
            (internal, "_update_log_state_from_env", _no_env_parse),
            (internal, "LOG_OUT_ENV_VAR", _OUT_UNUSED),
            (internal, "log_state", self.live),
            (internal, "_get_log_state", self.get_log_state),
            (internal, "_set_log_state", self.set_log_state),
        ]
        with self._lock:
            try:
                for module, name, value in patches:
                    self._patched.append((module, name, getattr(module, name)))
                    _assign(module, name, value)
                self.adopt_artifact_loggers()
            except Exception:
                self.rollback()
                raise

    def rollback(self) -> None:
        """
        Put torch's functions back and remove logdial's handlers.
        """
        with self._lock:
            for module, name, value in reversed(self._patched):
                _assign(module, name, value)
            self._patched.clear()
            self.system.reset()

    def give_back(self, why: str) -> None:
        """
        Hand torch's logging back to torch, say why, and let torch set it up again.
        """
        global _current  # noqa: PLW0603 (the one bridge of the process)
        notice(f"{why}; torch's own logging is back in charge")
        self.rollback()
        if _current is self:
            _current = None
        self._torch_init_logs()


_current: Bridge | None = None
_declined: str | None = None
_taking_over = False
_install_lock = threading.RLock()  # re-entrant: an install() from a signal handler must not hang


def current() -> Bridge | None:
    """
    The bridge in place, if logdial has taken over.
    """
    return _current


def take_over(package: ModuleType, *, init_now: bool) -> bool:
    """
    Check torch's internals, build logdial's system and replace torch's functions; with
    ``init_now`` (torch is imported already) also set up the handlers now, else torch's
    own call of ``_init_logs`` at the end of ``import torch`` does. Never raises for
    torch's sake: anything unexpected is said in one line and changes nothing.

    Returns:
        whether logdial is in charge.
    """
    global _current, _declined, _taking_over  # noqa: PLW0603 (the one bridge of the process)
    with _install_lock:
        if _current is not None or _taking_over:  # (taking over: called again from inside, e.g. a signal handler)
            return True
        if _declined is not None:
            return False
        try:
            _taking_over = True
            bridge = Bridge(inspect_torch(package))
            bridge.commit()
        except Exception as exc:  # UnexpectedTorchError, or anything else a torch of another shape does
            reason = str(exc) if isinstance(exc, UnexpectedTorchError) else f"{type(exc).__name__}: {exc}"
            version = getattr(sys.modules.get("torch"), "__version__", "unknown")
            _declined = reason
            notice(
                f"not installed, torch's own logging stays in charge: {reason} "
                f"(tested with torch {', '.join(TESTED_TORCH_VERSIONS)}; this is torch {version})"
            )
            return False
        finally:
            _taking_over = False
        _current = bridge
    if init_now:
        bridge.init_logs()
    return _current is bridge


class TorchSystem(LogSystem):
    """
    logdial's system for torch: a ``LogSystem`` whose structured trace, for ``logdial
    trace torch``, is torch's own (the writer ``TORCH_TRACE`` starts, which tlparse reads).
    """

    def _trace_into(self, directory: str | None) -> None:
        set_trace_dir(directory)

    def _control_busy(self) -> bool:
        bridge = _current
        handler = None if bridge is None else getattr(bridge.view.internal, "LOG_TRACE_HANDLER", None)
        return super()._control_busy() or held(getattr(handler, "lock", None))


def set_trace_dir(path: str | os.PathLike[str] | None) -> None:
    """
    Point torch's own trace handler at ``path`` (see ``logdial.pytorch.set_trace_dir``).
    """
    bridge = _current
    if bridge is None:
        raise RuntimeError("logdial.pytorch is not in charge of torch's logging: call install() and import torch first")
    internal, trace_log = bridge.view.internal, bridge.view.trace_log
    handler = getattr(internal, "LOG_TRACE_HANDLER", None)
    close = getattr(handler, "_close_stream", None)
    if not isinstance(handler, logging.StreamHandler) or not hasattr(handler, "root_dir") or not callable(close):
        raise RuntimeError(
            "torch's trace handler (torch._logging._internal.LOG_TRACE_HANDLER) is not the LazyTraceHandler "
            f"logdial knows (tested with torch {', '.join(TESTED_TORCH_VERSIONS)})"
        )
    directory = None if path is None else os.fspath(path)
    handler.acquire()
    try:
        if handler.stream is not None:
            close()  # the next record opens a new file, in the new directory
        handler.root_dir = directory
    finally:
        handler.release()
    if directory is None:
        trace_log.removeHandler(handler)  # torch's trace_structured then returns at once
    elif handler not in trace_log.handlers:  # it removes itself when it had no directory
        trace_log.addHandler(handler)
