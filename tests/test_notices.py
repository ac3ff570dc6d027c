"""``logdial._notices``: what logdial says on stderr, outside logging."""

from __future__ import annotations

import io
import sys

import pytest

from logdial._notices import NOTICE_LIMIT, Notices, notice


def test_notice_escapes_each_line(capsys: pytest.CaptureFixture[str]) -> None:
    """
    Each line of a notice has its control characters escaped: a quoted setting cannot
    clear the terminal or make a line of its own.
    """
    notice("bad value '\x1b[2J'\nsecond line\r")
    assert "bad value '\\x1b[2J'\nsecond line\\x0d\n" == capsys.readouterr().err


def test_a_stderr_that_fails_loses_the_notice_not_the_program(monkeypatch: pytest.MonkeyPatch) -> None:
    """
    A stderr that raises, or none at all, loses the notice; nothing is raised.
    """

    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("gone")

    monkeypatch.setattr(sys, "stderr", Broken())
    notice("lost")
    monkeypatch.setattr(sys, "stderr", None)
    notice("lost too")


def test_each_message_once_then_capped(capsys: pytest.CaptureFixture[str]) -> None:
    """
    A system says each distinct message once, up to ``NOTICE_LIMIT`` messages, then one
    line says the rest are not shown; ``forget`` starts afresh.
    """
    notices = Notices("capsys")
    notices.once("same")
    notices.once("same")
    for n in range(NOTICE_LIMIT + 5):
        notices.once(f"message {n}")
    lines = capsys.readouterr().err.splitlines()
    assert ["same", "message 0"] == lines[:2]
    assert NOTICE_LIMIT + 1 == len(lines)
    assert f"capsys: {NOTICE_LIMIT} different notices so far; later ones are not shown" == lines[-1]
    notices.forget()
    notices.once("same")
    assert "same\n" == capsys.readouterr().err
