"""
Promise 1, load from threads: 8 threads of 20,000 enabled records each to ``{P}_LOGS_OUT`` and
the console while another thread changes the settings and registers components in a loop.
Every record lands once in each output, whole, at its level; nothing raises; logdial's
handlers are neither duplicated nor leaked.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.reliability._support import logdial_handlers, messages

from logdial import LogSystem

THREADS = 8
RECORDS = 20_000


class TestThreadsUnderLoad:
    """
    Records from many threads while ``set_logs``, ``override`` and ``register_log`` run in a loop.
    """

    def test_every_record_once_and_whole(self, system: LogSystem, tmp_path: Path) -> None:
        """
        160,000 records all reach the file and the console (a real file standing in for
        stderr) exactly once, each as one whole line with its level's letter: half are
        DEBUG records of ``core``, which every setting the changer uses keeps at DEBUG (a
        change passing through a state that drops them would lose some); half are
        WARNING records of ``io``, whose level the settings move between DEBUG, INFO and
        WARNING under the writers (the level caches cleared as they read them). The
        changer also registers components inside ``override``, and really ran; no thread
        saw an exception; and the system ends with the handlers it started with, on the
        one logger.
        """
        out = tmp_path / "out.log"
        console = tmp_path / "console.log"
        errors: list[BaseException] = []
        stop = threading.Event()
        changes = [0]

        def change() -> None:
            choices = [
                "+core",
                "+core,graph",
                "+core,io=warning,-testsys.net",
                "core=DEBUG,io=INFO,schedule",
                "+core,+io,graph_code=off",
                "+all,schedule=off",
            ]
            try:
                while not stop.is_set():
                    i = changes[0]
                    system.set_logs(choices[i % len(choices)])
                    with system.override("+core,graph=off"):
                        system.set_logs(core=logging.DEBUG, graph=True)
                        system.register_log(f"late{i % 7}", [f"testsys.late{i % 7}"])
                    changes[0] += 1
                    # A pause that lets go of the GIL: a thread that never does would
                    # starve the writers (each write releases the GIL and waits up to
                    # sys.getswitchinterval() to get it back), and the test would measure
                    # the GIL's convoy effect, not logdial.
                    stop.wait(0.0005)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        def work(n: int) -> None:
            if n % 2:
                log, emit = logging.getLogger(f"testsys.io.worker{n}"), logging.Logger.warning
            else:
                log, emit = logging.getLogger(f"testsys.core.worker{n}"), logging.Logger.debug
            try:
                for i in range(RECORDS):
                    emit(log, "worker %d record %d", n, i)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        with open(console, "w", encoding="utf-8") as stream, contextlib.redirect_stderr(stream):
            system.init({"TESTSYS_LOGS_OUT": str(out), "TESTSYS_LOGS": ""})
            system.set_logs("+core")
            before = logdial_handlers()
            changer = threading.Thread(target=change)
            workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
            changer.start()
            for t in workers:
                t.start()
            for t in workers:
                t.join()
            stop.set()
            changer.join()
            after = logdial_handlers()

        expected = collections.Counter(
            ("W" if n % 2 else "V", f"worker {n} record {i}") for n in range(THREADS) for i in range(RECORDS)
        )
        assert [] == errors
        assert [("testsys", "ConsoleHandler"), ("testsys", "FileHandler")] == before
        assert before == after
        assert changes[0] > 100
        for path in (out, console):
            text = path.read_text(encoding="utf-8")
            lines = messages(text)  # each line whole, or an AssertionError naming the first that is not
            letters = [line[:1] for line in text.splitlines()]
            assert expected == collections.Counter(zip(letters, lines, strict=True)), path.name


class _Watched(logging.Logger):
    """
    A logger that, each time its level is set, runs ``on_level`` (a record of another
    logger, made in the state the applier has reached): the exact point of the race.
    """

    on_level: Callable[[], None] = staticmethod(lambda: None)

    @property  # type: ignore[override]  # (a data descriptor over Logger's plain attribute)
    def level(self) -> int:
        level: int = self.__dict__["level"]
        return level

    @level.setter
    def level(self, value: int) -> None:
        self.__dict__["level"] = value
        type(self).on_level()


class TestLevelChangesLoseNothing:
    """
    A setting that keeps a logger's records passing keeps them passing while it is applied.
    """

    def test_records_pass_between_two_levels_set(self, system: LogSystem, monkeypatch: pytest.MonkeyPatch) -> None:
        """
        From "+all" (``testsys`` at DEBUG, ``core`` unset) to "+core" (``testsys`` at
        WARNING, ``core`` at DEBUG) and back, the DEBUG records of a plain logger below
        ``core`` pass in every state the applier goes through, one level set at a time
        (whichever of the two it sets first). Levels set one by one in the settings'
        order went through "``testsys`` at WARNING, ``core`` unset": the record made
        there was lost, and so were the logger's later ones until the caches were
        cleared (CI: the last 2,549 records of a thread).
        """
        worker = logging.getLogger("testsys.core.worker")
        collected: list[str] = []
        handler = _Collector(collected)
        system.init({"TESTSYS_LOGS": ""})
        logging.getLogger("testsys").addHandler(handler)
        made = [0]

        def record() -> None:  # the stdlib's own method: its level cache, as the threads use it
            made[0] += 1
            worker._cache.clear()  # type: ignore[attr-defined]  # (as any setLevel elsewhere does)
            logging.Logger.debug(worker, "made after level %d", made[0])

        for name in ("testsys", "testsys.core"):
            logging.getLogger(name).__class__ = _Watched
        monkeypatch.setattr(_Watched, "on_level", staticmethod(record))
        try:
            for settings in ("+all", "+core", "+all", "+core"):
                system.set_logs(settings)
                logging.Logger.debug(worker, "after %s", settings)
        finally:
            monkeypatch.undo()
            for name in ("testsys", "testsys.core"):
                logger = logging.getLogger(name)
                level = logger.level
                logger.__class__ = logging.Logger
                logger.level = level
            logging.getLogger("testsys").removeHandler(handler)
        assert made[0] >= 6  # (two levels change at each of the four)
        expected = [f"made after level {i}" for i in range(1, made[0] + 1)]
        assert expected == [m for m in collected if m.startswith("made")]
        assert ["after +all", "after +core"] * 2 == [m for m in collected if m.startswith("after")]


class _Collector(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__()
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())
