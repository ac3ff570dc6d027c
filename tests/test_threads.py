"""
Thread-safety of registration. (Logging from many threads while another one changes the
settings and registers is promise 1: tests/reliability/test_load_threads.py.)
"""

from __future__ import annotations

import logging
import threading

from logdial import LogSystem

THREADS = 6


class TestConcurrentRegistration:
    """
    Registrations from many threads at once all land.
    """

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
