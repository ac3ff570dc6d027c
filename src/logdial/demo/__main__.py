"""``python -m logdial.demo``: the toy compile pipeline under ``TORCH_LOGS``."""

from __future__ import annotations

import logging

from ._pipeline import run
from ._registrations import system


def main() -> None:
    """
    Build the system, apply ``TORCH_LOGS`` (and the other ``TORCH_LOGS_*`` variables), run.
    """
    # The application's own logging, as a program would set it up. logdial leaves it be:
    # records of loggers that logdial does not own (the user's some.random.module) go
    # here, until TORCH_LOGS names them.
    logging.basicConfig(format="app: %(levelname)s %(name)s: %(message)s")
    logging.getLogger("some.random.module")  # the user's module, which TORCH_LOGS may name
    logs = system
    logs.init()
    run(logs)


if __name__ == "__main__":
    main()
