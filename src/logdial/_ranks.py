"""Which rank this process is, from the program, torch.distributed, or the launcher's variables."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Iterable, Mapping

from ._errors import SettingsError
from ._frozen import Frozen
from ._inputs import A_LEVEL, level_of
from ._levels import OFF

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._grammar import RankSet

__all__ = ["RANK_VARIABLES", "RankFilter", "RankWatch", "detect_rank"]

#: The variables launchers set, in the order they are read: torchrun, accelerate and
#: DeepSpeed set RANK; Slurm SLURM_PROCID; Open MPI OMPI_COMM_WORLD_RANK; MPICH and
#: Intel MPI PMI_RANK; JAX's launcher JAX_PROCESS_ID.
RANK_VARIABLES = ("RANK", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "JAX_PROCESS_ID")


def detect_rank(
    provider: Callable[[], int | None] | None = None, environ: Mapping[str, str] | None = None
) -> int | None:
    """
    This process's rank, or ``None`` for a single process.

    In this order: ``provider()`` when the program installed one; ``torch.distributed``
    when it is already imported (logdial never imports torch), available and initialised;
    then the first of ``RANK_VARIABLES`` that holds a non-negative integer.

    >>> detect_rank(environ={"SLURM_PROCID": "3"}), detect_rank(lambda: 5), detect_rank(environ={})
    (3, 5, None)
    """
    if provider is not None:
        return provider()
    rank = _torch_rank()
    if rank is not None:
        return rank
    env = os.environ if environ is None else environ
    for name in RANK_VARIABLES:
        value = env.get(name, "").strip()
        if value.isascii() and value.isdigit():
            return int(value)
    return None


def _torch_rank() -> int | None:
    # torch.distributed's rank, if the program imported it and initialised the default
    # group. Called before every record while no rank is known, so it is kept cheap (two
    # calls into torch, each a few attribute reads). A half-initialised torch must not
    # break logging: any error means "no rank here".
    dist = sys.modules.get("torch.distributed")
    if dist is None:
        return None
    try:
        if dist.is_available() and dist.is_initialized():
            return int(dist.get_rank())
    except Exception:
        return None
    return None


def _valid(rank: object) -> int | None:
    return rank if isinstance(rank, int) and not isinstance(rank, bool) and rank >= 0 else None


class RankWatch:
    """
    This process's rank as a system's outputs use it: detected at ``init()`` (see
    ``detect_rank``) and kept once known, so that a record pays one attribute read for it.

    While it is unknown, ``current()`` looks again only where it can appear later without
    a new ``init()``: the program's provider, or ``torch.distributed`` once the program has
    imported it (it may be initialised after ``init()``); otherwise the look costs one
    dictionary lookup in ``sys.modules``.

    Attributes:
        rank: the rank, once known; ``None`` until then.
        prefix: what text log lines start with: ``"[rank3]:"`` once the rank is known,
            ``""`` until then (torch's form).
        provider: the program's rank provider, or ``None``.
        environ: the variables ``init()`` was given (``None``: ``os.environ``): a later
            detection reads the launchers' variables there too.
    """

    __slots__ = ("_detected", "_told", "environ", "on_rank", "prefix", "provider", "rank")

    def __init__(self) -> None:
        self.provider: Callable[[], int | None] | None = None
        self.rank: int | None = None
        self.prefix = ""
        self.environ: Mapping[str, str] | None = None
        #: Told the rank when a look after detection finds it (see ``look``); returns
        #: whether it took it (else it is told again at the next look).
        self.on_rank: Callable[[int], bool] | None = None
        self._detected = False
        self._told = True

    def look(self) -> None:
        """
        Before each record while the rank is unknown (``FloorFilter.poll``): look where a
        rank can appear after ``init()`` (the provider, ``torch.distributed`` once imported),
        and push a rank found to ``on_rank``. Costs one dictionary lookup while nothing
        could know it; never raises.
        """
        rank = self.rank
        if rank is None:
            if self.provider is None and "torch.distributed" not in sys.modules:
                return  # nothing could know it yet (current() would say so, at the cost of a call)
            rank = self.current()
            if rank is None:
                return
        if not self._told:
            told = self.on_rank
            self._told = told is None or told(rank)

    def detect(self, environ: Mapping[str, str] | None = None) -> int | None:
        """
        Detect the rank now, from the provider, ``torch.distributed`` or the launchers'
        variables in ``environ`` (when given, it becomes the ``environ`` attribute; that
        attribute's ``None`` is ``os.environ``), and keep it.

        Raises:
            Exception: whatever the provider raises.
        """
        if environ is not None:
            self.environ = environ
        self._detected = True
        return self._keep(detect_rank(self.provider, self.environ))

    def current(self) -> int | None:
        """
        The rank: the one kept, else a new look (see the class); never raises.
        """
        rank = self.rank
        if rank is not None:
            return rank
        try:
            if not self._detected:
                return self.detect()
            # Looking again: the provider, or torch.distributed only (the launchers'
            # variables were read at detection and do not change).
            provider = self.provider
            rank = _torch_rank() if provider is None else provider()
            if rank is None:
                return None
            self._told = False  # learned after detection: to be pushed (see look)
            return self._keep(rank)
        except Exception:  # a failing provider, a half-initialised torch: no rank, for now
            return None

    def _keep(self, rank: object) -> int | None:
        kept = _valid(rank)
        self.prefix = "" if kept is None else f"[rank{kept}]:"  # first: whoever sees the rank sees its prefix
        self.rank = kept
        return kept

    def forget(self) -> None:
        """
        Forget the rank: the next ``current()`` detects it afresh.
        """
        self.rank, self.prefix, self._detected, self._told = None, "", False, True

    def set_provider(self, provider: Callable[[], int | None] | None) -> None:
        """
        Use ``provider`` (``None``: none) from now on, and forget the rank found before.
        """
        self.provider = provider
        self.forget()


class RankFilter(Frozen):
    """
    Which ranks log to logdial's console and file, and what the others pass.

    Attributes:
        ranks: the ranks that log, or ``None`` for every rank.
        others: the level the other ranks need, or ``None`` for silence.
    """

    __slots__ = ("others", "ranks")
    _fields = ("ranks", "others")
    ranks: RankSet | None
    others: int | None

    def __init__(self, ranks: RankSet | None = None, others: int | None = logging.ERROR) -> None:
        self._set(ranks=ranks, others=others)

    @classmethod
    def chosen(cls, ranks: str | int | Iterable[int] | None, others: object) -> RankFilter:
        """
        The filter ``set_ranks(ranks, others=others)`` asks for.

        Raises:
            SettingsError: for a string that is not a list of ranks.
            ValueError: for a rank that is not an int >= 0, or another ``others`` than a
                level or ``None``.
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
        level = None if others is None else level_of(others)
        if others is not None and level is None:
            raise ValueError(f"others must be {A_LEVEL}, or None for silence, not {others!r}")
        return cls(chosen, level)

    def level(self, rank: int | None) -> int:
        """
        The level logdial's handlers pass on ``rank``: all (0) but on a rank left out.
        """
        ranks = self.ranks
        if ranks is None or rank is None or rank in ranks:
            return logging.NOTSET
        return OFF if self.others is None else self.others
