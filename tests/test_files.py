"""The file handler (``_files``): appends to the log file, in UTF-8."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.outputs import record

from logdial import GlogFormatter
from logdial._files import FileHandler
from logdial._formatting import PercentFormatter


class TestFileHandler:
    """
    FileHandler: appends to the file, in UTF-8.
    """

    def test_appends(self, tmp_path: Path) -> None:
        """
        Existing content is kept; each record adds its lines.
        """
        path = tmp_path / "out.log"
        path.write_text("preexisting\n", encoding="utf-8")
        handler = FileHandler("testsys", str(path), PercentFormatter("%(levelname)s %(message)s"))
        try:
            handler.handle(record("one\ntwo"))
            handler.handle(record("three"))
        finally:
            handler.close()
        assert "preexisting\nWARNING one\nWARNING two\nWARNING three\n" == path.read_text(encoding="utf-8")

    def test_utf8(self, tmp_path: Path) -> None:
        """
        The file is UTF-8 whatever the locale.
        """
        path = tmp_path / "out.log"
        handler = FileHandler("testsys", str(path), PercentFormatter("%(message)s"))
        try:
            handler.handle(record("café ✓ 日本 \U0001f600"))
        finally:
            handler.close()
        assert "café ✓ 日本 \U0001f600\n".encode() == path.read_bytes()

    def test_missing_directory(self, tmp_path: Path) -> None:
        """
        A path in a missing directory fails when the handler is made, not at a record.
        """
        with pytest.raises(FileNotFoundError):
            FileHandler("testsys", str(tmp_path / "missing" / "out.log"), GlogFormatter())
