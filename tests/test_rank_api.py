"""``logdial._rank_api`` and ``_ranks.RankWatch.look``: a rank learned after ``init()`` is pushed to the system."""

from __future__ import annotations

import logging
import threading

import pytest

from logdial import LogSystem
from logdial._levels import OFF
from logdial._ranks import RankFilter, RankWatch


def _watch(box: dict[str, int | None], answers: list[bool]) -> tuple[RankWatch, list[int]]:
    watch, told = RankWatch(), []

    def on_rank(rank: int) -> bool:
        told.append(rank)
        return answers.pop(0) if answers else True

    watch.on_rank = on_rank
    watch.set_provider(lambda: box["rank"])
    watch.detect(environ={})
    return watch, told


class TestLook:
    """
    The watch's look, made before each record while the rank is unknown.
    """

    def test_a_rank_found_is_pushed_once(self) -> None:
        """
        While the provider knows nothing, nothing is pushed; the rank it then gives is
        pushed once, not at every later look.
        """
        box: dict[str, int | None] = {"rank": None}
        watch, told = _watch(box, [])
        watch.look()
        box["rank"] = 2
        watch.look()
        watch.look()
        assert ([2], 2, "[rank2]:") == (told, watch.rank, watch.prefix)

    def test_a_refused_push_is_made_again(self) -> None:
        """
        When the system cannot take the rank now (another thread is configuring it), the
        next look pushes it again, until it is taken.
        """
        box: dict[str, int | None] = {"rank": None}
        watch, told = _watch(box, [False, True])
        box["rank"] = 3
        for _ in range(4):
            watch.look()
        assert [3, 3] == told

    def test_a_rank_known_at_detection_is_not_pushed(self) -> None:
        """
        The rank detected at ``init()`` (or by a new provider) is applied by its caller:
        the look pushes nothing.
        """
        watch, told = _watch({"rank": 5}, [])
        watch.look()
        assert ([], 5) == (told, watch.rank)


class TestFilter:
    """
    ``RankFilter``: the level logdial's handlers pass on a rank.
    """

    @pytest.mark.parametrize(
        ("ranks", "others", "rank", "level"),
        [
            (None, logging.ERROR, 3, logging.NOTSET),
            ("0,2", logging.ERROR, 2, logging.NOTSET),
            ("0,2", logging.ERROR, 1, logging.ERROR),
            ("0,2", None, 1, OFF),
            ("0,2", "warning", None, logging.NOTSET),
        ],
    )
    def test_level(self, ranks: str | None, others: int | str | None, rank: int | None, level: int) -> None:
        """
        Every rank passes everything without a filter, or on a rank that logs; the others
        pass ``others`` and above, nothing for ``None``; a process without a rank is never filtered.
        """
        assert level == RankFilter.chosen(ranks, others).level(rank)


def test_rank_pushed_while_the_system_is_busy(capsys: pytest.CaptureFixture[str]) -> None:
    """
    A rank learned while another thread holds the system's lock is applied at the next
    record (the one at hand is not held up waiting for the lock): on rank 1, with only
    rank 0 logging, the warning made while busy passes, the one after does not.
    """
    logs = LogSystem("busysys")
    logs.register_log("core", ["busysys.core"])
    box: dict[str, int | None] = {"rank": None}
    logs.set_rank_provider(lambda: box["rank"])
    logs.init({"BUSYSYS_LOGS_RANKS": "0"})
    try:
        log = logging.getLogger("busysys.core")
        held, release = threading.Event(), threading.Event()

        def hold() -> None:
            with logs._lock:
                held.set()
                release.wait(10)

        holder = threading.Thread(target=hold)
        holder.start()
        assert held.wait(10)
        box["rank"] = 1
        log.warning("while busy")
        release.set()
        holder.join(10)
        log.warning("after")
        log.error("an error")
        err = capsys.readouterr().err
        assert (["while busy", "an error"], ["[rank1]:W", "[rank1]:E"]) == (
            [line.rsplit("] ", 1)[1] for line in err.splitlines()],
            [line[:9] for line in err.splitlines()],
        )
    finally:
        logs.reset()


def test_a_provider_is_not_asked_before_init() -> None:
    """
    ``set_rank_provider`` before ``init()`` only records the provider: it is first asked
    when ``init()`` detects the rank.
    """
    logs = LogSystem("earlysys")
    asked: list[int] = []
    logs.set_rank_provider(lambda: asked.append(1) or 2)
    before = len(asked)
    logs.init({})
    try:
        assert (0, True, 2) == (before, len(asked) > 0, logs.rank())
    finally:
        logs.reset()
