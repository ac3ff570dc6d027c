"""The README's Python examples run as shown."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.DOTALL)


class TestReadme:
    """
    Each ``python`` block of the README runs in a fresh interpreter without error.
    """

    def test_has_examples(self) -> None:
        """
        The README shows Python examples at all.
        """
        assert len(BLOCKS) >= 4

    @pytest.mark.parametrize(
        "code",
        [pytest.param(b, marks=pytest.mark.torch) if "import torch" in b else b for b in BLOCKS],
        ids=[f"block{i}" for i in range(len(BLOCKS))],
    )
    def test_block_runs(self, code: str) -> None:
        """
        The block exits 0 and prints no traceback.
        """
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
        assert (0, "") == (result.returncode, result.stderr if "Traceback" in result.stderr else "")

    def test_set_logs_error_text(self) -> None:
        """
        The error the README quotes is the error logdial gives.
        """
        block = next(b for b in BLOCKS if "oders" in b)
        out = subprocess.run([sys.executable, "-c", block], capture_output=True, text=True, check=True).stdout
        assert "oders=10: unknown keyword; did you mean 'orders'? accepted: all, orders, sql, modules" in out
