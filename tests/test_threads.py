"""Thread-safety: logging from many threads while another one changes the settings."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from logdial import LogSystem
from logdial._handlers import is_logdial_handler

THREADS = 6
RECORDS = 1500


class TestConcurrentSettings:
    """
    Records logged while settings change are never lost, torn or duplicated.
    """

    def test_logging_while_set_logs_runs(self, system: LogSystem, tmp_path: Path) -> None:
        """
        Warnings (passed by every setting used) from many threads all reach the file once,
        while another thread keeps calling set_logs and override; no exception escapes
        and logdial ends with the one handler set it started with.
        """
        out = tmp_path / "out.log"
        system.set_output(console="none", file=str(out))
        system.init({})
        errors: list[BaseException] = []
        stop = threading.Event()

        def churn() -> None:
            choices = ["+core", "-io,graph", "core=warning", "+all,schedule=off", ""]
            i = 0
            try:
                while not stop.is_set():
                    system.set_logs(choices[i % len(choices)])
                    with system.override("+io"):
                        system.register_log(f"late{i % 7}", [f"testsys.late{i % 7}"])
                    i += 1
                    stop.wait(0.0005)  # let the writers run: without a pause the GIL starves them
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        def work(n: int) -> None:
            log = logging.getLogger(f"testsys.core.worker{n}")
            try:
                for i in range(RECORDS):
                    log.warning("worker %d record %d", n, i)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        changer = threading.Thread(target=churn)
        workers = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        changer.start()
        for t in workers:
            t.start()
        for t in workers:
            t.join()
        stop.set()
        changer.join()

        assert [] == errors
        lines = out.read_text(encoding="utf-8").splitlines()
        messages = sorted(line.split("] ", 1)[1] for line in lines)
        expected = sorted(f"worker {n} record {i}" for n in range(THREADS) for i in range(RECORDS))
        assert expected == messages
        assert all(line.startswith("W") for line in lines)
        loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
        ours = [
            (lg.name, type(h).__name__)
            for lg in loggers
            if isinstance(lg, logging.Logger)
            for h in lg.handlers
            if is_logdial_handler(h)
        ]
        assert [("testsys", "FileHandler")] == ours

    def test_registration_from_threads(self, system: LogSystem) -> None:
        """
        Components and artifact loggers registered from many threads at once all land.
        """
        system.init({"TESTSYS_LOGS": "graph"})
        barrier = threading.Barrier(THREADS)

        def register(n: int) -> None:
            barrier.wait()
            for i in range(50):
                system.register_log(f"c{n}_{i}", [f"testsys.c{n}.m{i}"])
                system.getArtifactLogger(f"testsys.c{n}.m{i}", "graph")

        threads = [threading.Thread(target=register, args=(n,)) for n in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert THREADS * 50 + 2 == len(system.registry.components)
        levels = {logging.getLogger(f"testsys.c{n}.m{i}.__graph").level for n in range(THREADS) for i in range(50)}
        assert {logging.DEBUG} == levels
