"""``logdial.testing.LogCapture`` as a ``with`` block, outside pytest's fixture."""

from __future__ import annotations

import logging

import pytest

from logdial import LogSystem
from logdial.testing import LogCapture


def test_a_with_block_captures_and_undoes(capsys: pytest.CaptureFixture[str]) -> None:
    """
    Inside the block the system's records are captured and not printed, and ``set``
    applies settings; after it, the settings before and the console come back.
    """
    logs = LogSystem("withcap")
    logs.register_log("core", ["withcap.core"])
    logs.init({})
    log = logging.getLogger("withcap.core")
    try:
        with LogCapture() as capture:
            capture.set(logs, "+core")
            log.debug("inside")
            inside = (capsys.readouterr().err, logs.settings.to_string())
        log.debug("hidden after")
        log.warning("shown after")
        after = [line.rsplit("] ", 1)[1] for line in capsys.readouterr().err.splitlines()]
        assert (["inside"], ("", "+core"), "", ["shown after"]) == (
            capture.messages,
            inside,
            logs.settings.to_string(),
            after,
        )
    finally:
        logs.reset()


def test_captures_nest() -> None:
    """
    A ``with LogCapture()`` inside another capture (the fixture's) collects too, and its end
    leaves the outer capture on: records still reach the root logger, nothing the console.
    """
    logs = LogSystem("nestcap")
    logs.register_log("core", ["nestcap.core"])
    logs.init({})
    log = logging.getLogger("nestcap.core")
    try:
        with LogCapture() as outer:
            with LogCapture() as inner:
                log.warning("both")
            log.warning("outer only")
        log.warning("neither")
        assert (["both", "outer only"], ["both"]) == (outer.messages, inner.messages)
    finally:
        logs.reset()
