"""
The wheel as pip builds it from this checkout (hatch_build.py): with a C compiler it carries
``logdial._speedups``, the C ``LazyString``, and is tagged for this Python; without one (no
compiler, a compiler that fails, or ``LOGDIAL_NO_EXTENSIONS=1``) it is pure Python, says
why, and its ``LazyString`` is the pure-Python type, which works the same.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.subprocesses import child_environ

#: Run from the unpacked wheel: which type LazyString is, and that it works through logging.
PROBE = (
    "import logging, sys, logdial, logdial._lazy\n"
    "assert logdial.__file__.startswith(sys.argv[1]), logdial.__file__\n"
    "log = logging.getLogger('probe'); log.addHandler(logging.StreamHandler(sys.stdout)); log.setLevel(20)\n"
    "log.debug('%s', logdial.LazyString(sys.exit, 'called for a hidden record'))\n"
    "log.info('%s', logdial.LazyString(str.upper, 'shown'))\n"
    "print(logdial.LazyString.__name__, logdial.LazyString.__module__,"
    " logdial.LazyString is logdial._lazy.PyLazyString)\n"
)


def build(out: Path, **env: str) -> tuple[Path, str]:
    """
    ``pip wheel`` of this checkout into ``out`` (no network: hatchling is installed with
    the test dependencies), with ``env`` added; the wheel and pip's verbose output.
    """
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation", "-w", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        env=child_environ(PIP_DISABLE_PIP_VERSION_CHECK="1", **env),
        timeout=300,
        check=False,
    )
    assert 0 == done.returncode, done.stdout[-3000:] + done.stderr[-3000:]
    (wheel,) = out.glob("logdial-*.whl")
    return wheel, done.stdout + done.stderr


def probe(wheel: Path, where: Path) -> str:
    """
    What ``PROBE`` prints with the wheel unpacked in ``where`` first on the path.
    """
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(where)
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(where)],
        capture_output=True,
        text=True,
        env=child_environ(PYTHONPATH=str(where)),
        timeout=60,
        check=False,
    )
    assert ("", 0) == (done.stderr, done.returncode)
    return done.stdout


def test_with_a_compiler(tmp_path: Path) -> None:
    """
    The wheel carries the compiled module (not its C source), is tagged for this Python
    and platform, and its ``LazyString`` is the C type.
    """
    wheel, output = build(tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    tag = f"cp{sys.version_info.major}{sys.version_info.minor}"
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    assert (True, True, False, True, True) == (
        f"-{tag}-{tag}-" in wheel.name,
        f"logdial/_speedups{suffix}" in names,
        "logdial/_speedups.c" in names,
        "logdial/_speedups.pyi" in names,
        "logdial: built src/logdial/_speedups.c" in output,
    )
    assert "SHOWN\nLazyString logdial False\n" == probe(wheel, tmp_path / "site")


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"CC": "/nonexistent/cc"}, "no C compiler ("),
        ({"CC": "false"}, "compiling src/logdial/_speedups.c failed"),
        ({"LOGDIAL_NO_EXTENSIONS": "1"}, "LOGDIAL_NO_EXTENSIONS=1, building the pure-Python wheel"),
    ],
    ids=["no-compiler", "compiler-fails", "asked"],
)
def test_without_the_c_module(tmp_path: Path, env: dict[str, str], said: str) -> None:
    """
    Without a working compiler, or when asked, the build still succeeds: the wheel is
    pure Python (``py3-none-any``, no compiled file), the build says why, and
    ``LazyString`` is the pure-Python type, working the same.
    """
    wheel, output = build(tmp_path / "dist", **env)
    names = zipfile.ZipFile(wheel).namelist()
    assert (True, [], True) == (
        wheel.name.endswith("-py3-none-any.whl"),
        [n for n in names if "_speedups" in n and not n.endswith(".pyi")],
        said in output,
    )
    assert "SHOWN\nPyLazyString logdial._lazy True\n" == probe(wheel, tmp_path / "site")
