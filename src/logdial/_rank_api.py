"""The rank half of ``LogSystem``'s API: which rank this process is, and which ranks log.

``RankMethods`` is a base of ``LogSystem``: it owns the rank watch (``_ranks.RankWatch``)
and the rank filters (``_ranks.RankFilter``: from ``set_ranks`` and from the environment),
and tells the system, through ``_on_ranks``, when what depends on the rank must be
applied again. A rank learned after ``init()`` is pushed by the watch (``_rank_learned``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from ._env import EnvConfig, parse_others
from ._errors import SettingsError
from ._ranks import RankFilter, RankWatch

__all__ = ["RankMethods"]


class RankMethods:
    """
    The rank methods of ``LogSystem`` (see its documentation).
    """

    _lock: threading.RLock

    def _init_ranks(self, report: Callable[[str], None]) -> None:
        self._ranks = RankWatch()
        self._ranks.on_rank = self._rank_learned  # pushed a rank learned after init()
        # The rank filter: from set_ranks() (None until it is called), and from the environment.
        self._explicit_ranks: RankFilter | None = None
        self._env_ranks = RankFilter()
        self._rank_report = report

    def _on_ranks(self, *, settings: bool, detect: bool) -> None:
        # The system's, under the lock: once initialised, detect the rank again (``detect``:
        # a new provider), apply the rank filter again (and, with ``settings``, the items
        # with ranks).
        raise NotImplementedError

    def _rank_level(self) -> int:
        # The level logdial's handlers pass on this rank.
        chosen = self._env_ranks if self._explicit_ranks is None else self._explicit_ranks
        return chosen.level(self._ranks.rank)

    def _forget_ranks(self) -> None:
        # reset(): no filter chosen, no rank known, the environment forgotten.
        self._explicit_ranks, self._env_ranks = None, RankFilter()
        self._ranks.forget()
        self._ranks.environ = None

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
            self._on_ranks(settings=True, detect=True)

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
        >>> from logdial import LogSystem
        >>> logs = LogSystem("example_ranks")
        >>> logs.set_rank_provider(lambda: 1)  # as if the launcher had set RANK=1
        >>> logs.set_ranks("0,2-3")  # rank 1 logs its errors only
        >>> logs.set_output(console="stdout")
        >>> logs.init()
        >>> logging.getLogger("example_ranks").warning("not shown on rank 1")
        >>> logs.reset()
        """
        chosen = RankFilter.chosen(ranks, others)
        with self._lock:
            self._explicit_ranks = chosen
            self._on_ranks(settings=False, detect=False)

    def _read_ranks(self, env: EnvConfig, strict: bool) -> None:
        # {P}_LOGS_RANKS and {P}_LOGS_RANKS_OTHERS; an invalid one is reported and ignored.
        chosen = RankFilter()
        if env.ranks is not None:
            from ._grammar import parse_ranks  # when used, not at import

            try:
                chosen = RankFilter(parse_ranks(env.ranks), chosen.others)
            except ValueError as exc:
                self._bad_variable(env.name("RANKS"), env.ranks, exc, strict, "it is ignored: every rank logs")
        if env.ranks_others is not None:
            try:
                chosen = RankFilter(chosen.ranks, parse_others(env.ranks_others))
            except ValueError as exc:
                self._bad_variable(env.name("RANKS_OTHERS"), env.ranks_others, exc, strict, "using error")
        self._env_ranks = chosen

    def _bad_variable(self, name: str, value: str, exc: ValueError, strict: bool, fallback: str) -> None:
        error = SettingsError(f"invalid {name}={value!r}: {exc}")
        if strict:
            raise error from None
        self._rank_report(f"{error}; {fallback}")

    def _rank_learned(self, rank: int) -> bool:
        # Pushed by the rank watch when it learns the rank after init() (a process group
        # made later), in the thread that logs, with no handler's lock held: apply what
        # depends on it. While another thread holds the lock (it is changing the
        # configuration), say so: the watch pushes again at the next record, so that
        # logging never waits here.
        if not self._lock.acquire(blocking=False):
            return False
        try:
            self._on_ranks(settings=True, detect=False)
            return True
        finally:
            self._lock.release()
