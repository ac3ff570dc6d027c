"""Which rank this process is, from the program, torch.distributed, or the launcher's variables."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping

__all__ = ["RANK_VARIABLES", "detect_rank"]

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
    dist = sys.modules.get("torch.distributed")
    if dist is not None:
        # A half-initialised torch must not break logging: any error means "no rank here".
        with contextlib.suppress(Exception):
            if dist.is_available() and dist.is_initialized():
                return int(dist.get_rank())
    env = os.environ if environ is None else environ
    for name in RANK_VARIABLES:
        value = env.get(name, "").strip()
        if value.isascii() and value.isdigit():
            return int(value)
    return None
