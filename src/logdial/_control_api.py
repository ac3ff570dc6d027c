"""The live-control half of ``LogSystem``'s API: ``enable_control`` and what the channel asks.

``ControlMethods`` is a base of ``LogSystem``. ``enable_control()`` (or ``{P}_LOGS_CONTROL=1``
at ``init()``) adds the system to this process's channel (``_control``); the channel then
calls ``_control_status``, ``_control_set``, ``_control_reset`` and ``_control_trace`` in the
main thread, at a point where the interrupted code holds none of the system's locks. A
remote ``set`` acts as ``{P}_LOGS`` would at start: the system's ``_control_variable`` hook
reads it as ``init()`` reads the variable.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref

from ._errors import SettingsError
from ._forks import held

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from typing import Final

    from ._env import EnvConfig
    from ._notices import Notices
    from ._output import Outputs
    from ._plan import Plan
    from ._sources import Sources
    from ._tracing import Tracer

__all__ = ["JOB_VARIABLES", "ControlMethods", "Controlled"]

#: Where a launcher puts the id of the job a process belongs to, in the order looked at:
#: Slurm, torchrun (torchelastic's run id), PBS, LSF, Flux.
JOB_VARIABLES: Final = ("SLURM_JOB_ID", "TORCHELASTIC_RUN_ID", "PBS_JOBID", "LSB_JOBID", "FLUX_JOB_ID")


def job_id() -> str | None:
    """
    The id of this process's job, from the launchers' variables, or ``None``.
    """
    for name in JOB_VARIABLES:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


class ControlMethods:
    """
    The live-control methods of ``LogSystem`` (see its documentation).
    """

    name: str
    _lock: threading.RLock
    _sources: Sources
    _notices: Notices
    _outputs: Outputs
    _tracer: Tracer | None

    #: The variables as init() read them before the first remote change: reset() goes back to them.
    _control_start: EnvConfig | None = None
    #: The variables a remote change put in force (their ``logs`` is what it set), or None.
    _control_env: EnvConfig | None = None
    _controlled = False

    def enable_control(self) -> bool:
        """
        Let ``logdial set``, ``logdial reset`` and ``logdial trace`` change this system's
        settings (and start or stop its structured trace) while the program runs, and
        ``logdial ps`` list it; ``{P}_LOGS_CONTROL=1`` does the same at ``init()``.

        Only the same user (or root) can reach it: the channel is a socket in a directory
        only this user can enter. Nothing runs in the background: a request arrives as a
        signal (``SIGIO``) that Python handles in the main thread, which must therefore be
        the thread that calls this. A forked child is not controllable (it closes its copy
        of the channel); a child that calls this itself, or a spawned one that inherits
        ``{P}_LOGS_CONTROL=1`` and calls ``init()``, is controllable on its own.

        Returns:
            ``True`` when the system is controllable; ``False`` when this process cannot
            be (said in one line on stderr: not the main thread, not Linux, a ``SIGIO``
            handler installed outside Python).
        """
        from . import _control

        try:
            _control.add(Controlled(self))
        except (_control.ControlError, OSError) as exc:
            self._notices.once(f"{self.name}: live control is off: {exc}")
            return False
        self._controlled = True
        return True

    def _control_busy(self) -> bool:
        # Whether this thread holds a lock of the system's (its settings, handlers, trace).
        tracer, handlers = self._tracer, self._outputs.handlers
        return held(self._lock) or any(held(h.lock) for h in handlers) or (tracer is not None and tracer.held())

    def _plan(self) -> Plan:
        raise NotImplementedError  # (the system's: the plan of the settings in force)

    def _control_variable(self, env: EnvConfig, *, strict: bool) -> None:
        # The system's, under its lock: read ``env`` as init() reads the variables (its
        # ``logs`` the settings) and apply.
        raise NotImplementedError

    def _changed_remotely(self) -> bool:
        # Under the lock: whether the variables in force are those a remote change made.
        return self._control_env is not None and self._sources.env is self._control_env

    def _control_status(self) -> dict[str, object]:
        """
        What ``logdial ps`` shows of this system.
        """
        with self._lock:
            sources = self._sources
            remote = self._changed_remotely() and sources.source == "env"
            status: dict[str, object] = {
                "system": self.name,
                "settings": sources.settings.to_string(),
                "source": "logdial set" if remote else sources.source,
            }
        status.update(rank=self.rank(), job=job_id())  # type: ignore[attr-defined]  # (RankMethods)
        return status

    def _control_set(self, text: str) -> list[str]:
        """
        ``logdial set``: ``text`` in force as if the program had started with
        ``{P}_LOGS=text``, whole or not at all; what changed, one line each.

        Raises:
            SettingsError: for an invalid item, or a name this system has not registered.
        """
        with self._lock:
            if not self._sources.initialized:
                raise SettingsError(
                    f"{self.name} is not initialised (init() has not run, or reset() undid it): nothing to change yet"
                )
            env = self._sources.env
            if not self._changed_remotely():  # (none yet, or init() read the variables anew since)
                self._control_start = env
            before = self._describe()
            new_env = env.with_logs(text if text.strip() else None)
            self._control_variable(new_env, strict=True)
            self._control_env = new_env
            return _changes(before, self._describe())

    def _control_reset(self) -> list[str]:
        """
        ``logdial reset``: the settings of the variables the program started with.
        """
        with self._lock:
            start = self._control_start
            if start is None or not self._changed_remotely():
                return []  # (no remote change in force: init() or reset() came after it)
            before = self._describe()
            self._control_variable(start, strict=False)
            self._control_env = self._control_start = None
            return _changes(before, self._describe())

    def _control_trace(self, directory: str | None) -> None:
        """
        ``logdial trace``: write the structured trace into ``directory`` from now on
        (``None``: stop).
        """
        if directory is not None and not os.path.isdir(directory):
            raise SettingsError(f"trace directory {directory!r} is not a directory")
        self._trace_into(directory)

    def _trace_into(self, directory: str | None) -> None:
        # Where a trace command goes: the system's own trace (logdial.pytorch: torch's).
        self.set_trace_dir(directory)  # type: ignore[attr-defined]  # (TraceMethods)

    def _describe(self) -> dict[str, str]:
        # What the settings in force make of each component and artifact, in explain's words.
        plan = self._plan()
        shown: dict[str, str] = {}
        at_debug = []
        for name, component in plan.registry.components.items():
            levels = {logger: plan.effective_level(logger) for logger in component.loggers}
            texts = {_level(None if found is None else found[0]) for found in levels.values()}
            if len(texts) > 1:  # (its loggers differ: each named)
                texts = {f"{logger} {_level(None if f is None else f[0])}" for logger, f in levels.items()}
            shown[f"component {name}"] = ", ".join(sorted(texts))
            if all(f is not None and f[0] <= logging.DEBUG for f in levels.values()):
                at_debug.append(name)
        for artifact in plan.registry.artifacts:
            switch = plan.switch(artifact)
            if switch is None:
                state = f"on under {', '.join(at_debug)}" if at_debug else "off (follows its component)"
            else:
                state = "on" if switch <= logging.DEBUG else "off"
            shown[f"artifact {artifact}"] = state
        return shown


def _level(level: int | None) -> str:
    return "the application's" if level is None else logging.getLevelName(level)


class Controlled:
    """
    What the channel reaches of a controllable system, held weakly: a system the program
    dropped is no longer listed.

    Attributes:
        name: the system's name.
    """

    def __init__(self, system: ControlMethods) -> None:
        self.name = system.name
        self._system = weakref.ref(system)

    def same(self, other: Controlled) -> bool:
        """
        Whether ``other`` is a handle of the same system.
        """
        return self._system() is other._system()

    def alive(self) -> bool:
        """
        Whether the system still exists.
        """
        return self._system() is not None

    def _get(self) -> ControlMethods:
        system = self._system()
        if system is None:
            raise SettingsError(f"system {self.name!r} no longer exists in this process")
        return system

    def busy(self) -> bool:
        """
        Whether the code the signal interrupted holds a lock of the system's.
        """
        system = self._system()
        return system is not None and system._control_busy()

    def status(self) -> dict[str, object]:
        """
        What ``logdial ps`` shows of the system.
        """
        return self._get()._control_status()

    def set(self, settings: str) -> list[str]:
        """
        ``logdial set``: see ``ControlMethods._control_set``.
        """
        return self._get()._control_set(settings)

    def reset(self) -> list[str]:
        """
        ``logdial reset``: see ``ControlMethods._control_reset``.
        """
        return self._get()._control_reset()

    def trace(self, directory: str | None) -> None:
        """
        ``logdial trace``: see ``ControlMethods._control_trace``.
        """
        self._get()._control_trace(directory)


def _changes(before: dict[str, str], after: dict[str, str]) -> list[str]:
    # What changed, one line per component or artifact.
    return [f"{name}: {before.get(name, '-')} -> {after[name]}" for name in after if before.get(name) != after[name]]
