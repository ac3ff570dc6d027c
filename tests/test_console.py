"""The console handler (``_console``): the stream as it is at each record, colour only on a terminal."""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys

import pytest
from tests.outputs import COLORED, PLAIN, console, record
from tests.subprocesses import read_pty


class TestConsoleHandler:
    """
    ConsoleHandler: finds sys.stderr / sys.stdout at emit time; colours only on a terminal.
    """

    def test_stderr_at_emit_time(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        The handler writes to whatever sys.stderr is when the record comes, so
        contextlib.redirect_stderr captures it (torch binds the stream once and does not).
        """
        handler = console()
        buffer = io.StringIO()
        with contextlib.redirect_stderr(buffer):
            handler.handle(record("redirected"))
        handler.handle(record("captured"))
        assert ("WARNING testsys.core: redirected\n", ("", "WARNING testsys.core: captured\n")) == (
            buffer.getvalue(),
            tuple(capsys.readouterr()),
        )

    def test_stdout(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``stdout`` writes to sys.stdout as it is at emit time.
        """
        handler = console("stdout")
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            handler.handle(record("redirected"))
        handler.handle(record())
        assert ("WARNING testsys.core: redirected\n", (PLAIN + "\n", "")) == (
            buffer.getvalue(),
            tuple(capsys.readouterr()),
        )

    def test_stream_cannot_be_pinned(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        ``setStream`` (which logging calls on StreamHandlers) does not pin a stream.
        """
        handler = console()
        handler.setStream(io.StringIO())
        handler.handle(record())
        assert (sys.stderr, ("", PLAIN + "\n")) == (handler.stream, tuple(capsys.readouterr()))

    def test_multi_line_record_written_whole(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A multi-line record comes out as its formatted lines and one terminator.
        """
        console().handle(record("a\nb"))
        assert "WARNING testsys.core: a\nWARNING testsys.core: b\n" == capsys.readouterr().err

    def test_plain_when_not_a_tty(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        On a stream that is not a terminal the plain formatter is used.
        """
        console().handle(record())
        assert PLAIN + "\n" == capsys.readouterr().err

    def test_color_on_a_tty(self, terminal: tuple[int, io.TextIOWrapper]) -> None:
        """
        On a real terminal the colour formatter is used.
        """
        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            console().handle(record())
        expected = rf"{re.escape(COLORED)}1114 22:13:20\.500000 1 /nowhere/mod\.py:7\] hello\r\n"
        assert re.fullmatch(expected, read_pty(master).decode()), expected

    def test_tty_then_not(self, terminal: tuple[int, io.TextIOWrapper]) -> None:
        """
        The terminal check follows the stream: after a terminal, a plain stream gets
        plain text again.
        """
        master, stream = terminal
        handler = console()
        buffer = io.StringIO()
        with contextlib.redirect_stderr(stream):
            handler.handle(record())
        with contextlib.redirect_stderr(buffer):
            handler.handle(record())
        assert (True, PLAIN + "\n") == (read_pty(master).startswith(COLORED.encode()), buffer.getvalue())

    def test_no_color_formatter_on_a_tty(self, terminal: tuple[int, io.TextIOWrapper]) -> None:
        """
        Without a colour formatter (NO_COLOR, or a custom format) a terminal gets plain text.
        """
        master, stream = terminal
        with contextlib.redirect_stderr(stream):
            console(color=False).handle(record())
        assert (PLAIN + "\r\n").encode() == read_pty(master)

    def test_closed_stream(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        A closed sys.stderr is no terminal, and a record to it is dropped without an
        exception (logging's own error report would write to that same closed stream
        and raise out of the caller's log call); logging goes on once it is back.
        """
        handler = console()
        closed = io.StringIO()
        closed.close()
        with contextlib.redirect_stderr(closed):
            formatted = handler.format(record())
            handler.handle(record("lost"))
        handler.handle(record())
        assert (PLAIN, ("", PLAIN + "\n")) == (formatted, tuple(capsys.readouterr()))

    def test_closed_stream_through_a_logger(self) -> None:
        """
        A log call never raises because sys.stderr was closed.
        """
        handler = console()
        logger = logging.getLogger("testsys.closed")
        logger.addHandler(handler)
        logger.propagate = False
        closed = io.StringIO()
        closed.close()
        with contextlib.redirect_stderr(closed):
            logger.warning("nowhere to go")
        assert [handler] == logger.handlers

    def test_no_stream(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        With sys.stderr set to None (pythonw), records are dropped quietly.
        """
        handler = console()
        with contextlib.redirect_stderr(None):  # type: ignore[type-var]
            handler.handle(record("lost"))
        handler.handle(record())
        assert ("", PLAIN + "\n") == tuple(capsys.readouterr())

    def test_stream_without_isatty(self) -> None:
        """
        A file-like object without ``isatty`` is no terminal.
        """

        class Sink:
            def __init__(self) -> None:
                self.text = ""

            def write(self, text: str) -> None:
                self.text += text

            def flush(self) -> None:
                pass

        sink = Sink()
        with contextlib.redirect_stderr(sink):  # type: ignore[type-var]
            console().handle(record())
        assert PLAIN + "\n" == sink.text


class TestUserFormatterOnTheConsole:
    """
    A formatter set on a console handler (``setFormatter``) replaces logdial's layout.
    """

    def test_restyles(self, capsys: pytest.CaptureFixture[str]) -> None:
        """
        Off a terminal the text is kept as written.
        """
        handler = console(color=True)
        handler.setFormatter(logging.Formatter("MINE %(levelname)s: %(message)s"))
        handler.handle(record("a \x1b[2J b"))
        assert "MINE WARNING: a \x1b[2J b\n" == capsys.readouterr().err

    def test_escaped_on_a_terminal(self, terminal: tuple[int, io.TextIOWrapper]) -> None:
        """
        On a terminal the user's formatter gets the record with its control characters
        escaped, and no colour is added.
        """
        master, stream = terminal
        handler = console(color=True)
        handler.setFormatter(logging.Formatter("MINE %(levelname)s: %(message)s"))
        with contextlib.redirect_stderr(stream):
            handler.handle(record("a \x1b[2J b"))
            stream.flush()
        assert b"MINE WARNING: a \\x1b[2J b\r\n" == read_pty(master, timeout=5)
