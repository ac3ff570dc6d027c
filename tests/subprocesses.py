"""Shared helpers for tests that run Python (the demo, scripts) in real subprocesses."""

from __future__ import annotations

import os
from typing import NamedTuple


class Output(NamedTuple):
    """
    What one run printed, and how it ended.
    """

    returncode: int
    stdout: str
    stderr: str


def is_logging_var(name: str) -> bool:
    """
    Whether ``name`` is a variable logdial reads, including the launchers' rank variables
    (tests clear them; a user's shell or a CI runner may set them).
    """
    ranks = {"RANK", "LOCAL_RANK", "WORLD_SIZE", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK", "JAX_PROCESS_ID"}
    return "_LOGS" in name or name.endswith("_TRACE") or name in {"NO_COLOR", *ranks}


def child_environ(**extra: str) -> dict[str, str]:
    """
    ``os.environ`` without the logging variables, with PYTHONPATH made absolute (the
    child runs in another directory), plus ``extra``.
    """
    env = {k: v for k, v in os.environ.items() if not is_logging_var(k)}
    if env.get("PYTHONPATH"):
        env["PYTHONPATH"] = os.pathsep.join(os.path.abspath(p) for p in env["PYTHONPATH"].split(os.pathsep) if p)
    env.update(extra)
    return env
