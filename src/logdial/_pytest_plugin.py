"""logdial's pytest plugin (entry point ``pytest11``): the ``logdial_logs`` fixture, nothing else.

pytest loads this module in every project of an environment where logdial is installed,
so it defines one fixture and no hook, and imports logdial only when a test asks for the
fixture: a project that never does sees no change at all.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .testing import LogCapture


@pytest.fixture
def logdial_logs() -> Iterator[LogCapture]:
    """
    The records logdial's systems make during this test, and settings for this test
    alone (``logdial_logs.set(system, "+orders")``): see ``logdial.testing.LogCapture``.
    While it is active, logdial prints nothing to the console and every record reaches
    the root logger's handlers once, so ``caplog`` sees each record exactly once.
    """
    from .testing import LogCapture

    with LogCapture() as capture:
        yield capture
