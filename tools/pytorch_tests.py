"""
Run PyTorch's own logging tests on plain torch and under ``logdial.pytorch``, and print
where the two runs differ, test by test.

    python tools/pytorch_tests.py FOLDER [--venv DIR] [--python PYTHON] [-k EXPR]

FOLDER holds copies of torch's ``test/dynamo/test_logging.py``,
``test/dynamo/test_structured_trace.py`` and ``test/test_logging.py`` (laid out as upstream
does, or side by side): this repository never holds PyTorch's test code
(``../shared/PYTORCH_TESTS.md`` says which copies match torch 2.13.0). The script

1. makes (or reuses) a virtualenv with ``torch==2.13.0`` and what the tests import, and
   installs logdial from this checkout into it (not editable);
2. copies the three files into a scratch tree laid out as upstream
   (``test/dynamo/...``: the expected texts hold file names and line numbers);
3. runs each file with pytest (``-p no:logging``: pytest's logging plugin breaks torch's
   harness on plain torch too), once on plain torch and once with the README's ``.pth``
   line in the venv, so that every interpreter the tests start is taken over too; each
   run gets a fresh ``TORCHINDUCTOR_CACHE_DIR``;
4. prints, per file, the counts of each run and every test whose outcome differs.

It exits 0 when every test that passes on plain torch passes under the takeover (but for
``EXPECTED_DIFFERENCES``, each with its reason), 1 otherwise, 2 for a usage error. It is a
tool for developers, not part of ``make test``: CI has no copy of PyTorch's tests.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Where each file sits in PyTorch's tree.
FILES = {
    "test_logging.py (dynamo)": "test/dynamo/test_logging.py",
    "test_structured_trace.py": "test/dynamo/test_structured_trace.py",
    "test_logging.py": "test/test_logging.py",
}

#: Tests whose outcome differs under the takeover on purpose, with the reason.
EXPECTED_DIFFERENCES = {
    "test_invalid_artifact_flag_error_msg": (
        "checks the exact text of torch's invalid-settings dump (a ValueError at import with a list of "
        "70 names); logdial reports each bad item with its position and a suggestion, and goes on"
    ),
}

TORCH = "torch==2.13.0"  # pinned exactly: the local CPU build; unpinned, pip fetches a CUDA build of GBs
PACKAGES = (TORCH, "numpy", "pytest", "pytest-timeout", "expecttest", "hypothesis", "tlparse==0.4.3")
PTH_NAME = "logdial-pytorch.pth"
PTH_LINE = "import _logdial_pth; _logdial_pth.install()\n"


def find_tests(folder: Path) -> dict[str, Path]:
    """
    The three files in ``folder``: at their upstream paths, or by name.
    """
    found: dict[str, Path] = {}
    for label, upstream in FILES.items():
        candidates = [folder / upstream]
        if label.endswith("(dynamo)"):
            candidates += [folder / "dynamo" / "test_logging.py", folder / "dynamo_test_logging.py"]
        elif upstream.startswith("test/dynamo"):
            candidates += [folder / "dynamo" / Path(upstream).name, folder / Path(upstream).name]
        else:
            candidates += [folder / "test_logging.py"]
        path = next((c for c in candidates if c.is_file()), None)
        if path is None:
            where = ", ".join(str(c) for c in candidates)
            raise SystemExit(f"pytorch_tests: {label} not found (looked at {where})")
        found[label] = path
    return found


def run(command: list[str], **kwargs: object) -> None:
    """
    Run ``command``, failing with its output when it fails.
    """
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if done.returncode != 0:
        raise SystemExit(f"pytorch_tests: {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def prepare_venv(venv: Path, python: str) -> Path:
    """
    The venv's interpreter, with torch, the tests' packages and this checkout's logdial.
    """
    interpreter = venv / "bin" / "python"
    if not interpreter.exists():
        print(f"making {venv} with {python}", flush=True)
        run([python, "-m", "venv", str(venv)])
    run([str(interpreter), "-m", "pip", "install", "--quiet", *PACKAGES])
    run([str(interpreter), "-m", "pip", "install", "--quiet", "--no-deps", "--force-reinstall", str(ROOT)])
    return interpreter


def site_packages(interpreter: Path) -> Path:
    """
    Where the venv's ``.pth`` files go.
    """
    code = "import sysconfig; print(sysconfig.get_path('purelib'))"
    out = subprocess.run([str(interpreter), "-c", code], capture_output=True, text=True, check=True).stdout
    return Path(out.strip())


def outcomes(report: Path) -> dict[str, str]:
    """
    Test name → passed, failed, error or skipped, from a JUnit XML report.
    """
    results: dict[str, str] = {}
    if not report.exists():
        return results
    for case in ET.parse(report).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error", "skipped"):
                outcome = {"failure": "failed"}.get(child.tag, child.tag)
                break
        results[name] = outcome
    return results


def run_file(interpreter: Path, tree: Path, upstream: str, report: Path, extra: list[str]) -> float:
    """
    Run one test file with pytest in ``tree``; return the seconds it took.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TORCH", "COVERAGE_", "PYTEST_"))}
    env.pop("PYTHONPATH", None)
    # The venv's scripts first: the structured-trace tests look for `tlparse` on PATH.
    env["PATH"] = os.pathsep.join([str(interpreter.parent), env.get("PATH", "")])
    with tempfile.TemporaryDirectory(prefix="inductor-cache-") as cache:
        env["TORCHINDUCTOR_CACHE_DIR"] = cache
        command = [
            str(interpreter), "-m", "pytest", upstream, "-p", "no:logging", "-p", "no:cacheprovider",
            "-q", "--timeout", "900", f"--junitxml={report}", *extra,
        ]  # fmt: skip
        start = time.monotonic()
        subprocess.run(command, cwd=tree, env=env, capture_output=True, check=False)
        return time.monotonic() - start


def counts(results: dict[str, str]) -> str:
    """
    "63 passed, 6 skipped": the outcomes of one run.
    """
    tally: dict[str, int] = {}
    for outcome in results.values():
        tally[outcome] = tally.get(outcome, 0) + 1
    return ", ".join(f"{n} {o}" for o, n in sorted(tally.items())) or "no test ran"


def main(argv: list[str] | None = None) -> int:
    """
    See the module's docstring.
    """
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("folder", type=Path, help="the folder holding the three test files")
    parser.add_argument("--venv", type=Path, default=Path(tempfile.gettempdir()) / "logdial-pytorch-tests-venv")
    parser.add_argument("--python", default="python3.11", help="the Python of a new venv (torch's local wheel: 3.11)")
    parser.add_argument("-k", dest="keyword", help="pytest's -k, to run some tests only")
    parser.add_argument("--keep", type=Path, help="keep the JUnit reports in this folder")
    args = parser.parse_args(argv)
    tests = find_tests(args.folder)
    interpreter = prepare_venv(args.venv, args.python)
    pth = site_packages(interpreter) / PTH_NAME
    extra = ["-k", args.keyword] if args.keyword else []
    failed = False
    with tempfile.TemporaryDirectory(prefix="pytorch-tests-") as scratch:
        tree = Path(scratch) / "tree"
        for label, path in tests.items():
            target = tree / FILES[label]
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        reports = args.keep or Path(scratch) / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        for upstream in FILES.values():
            stem = upstream.replace("/", "_").removesuffix(".py")
            pth.unlink(missing_ok=True)
            plain_time = run_file(interpreter, tree, upstream, reports / f"{stem}.plain.xml", extra)
            try:
                pth.write_text(PTH_LINE, encoding="utf-8")
                logdial_time = run_file(interpreter, tree, upstream, reports / f"{stem}.logdial.xml", extra)
            finally:
                pth.unlink(missing_ok=True)
            plain = outcomes(reports / f"{stem}.plain.xml")
            taken = outcomes(reports / f"{stem}.logdial.xml")
            print(f"{upstream}")
            print(f"  plain torch:      {counts(plain)} ({plain_time:.0f} s)")
            print(f"  logdial.pytorch:  {counts(taken)} ({logdial_time:.0f} s)")
            for name in sorted(set(plain) | set(taken)):
                before, after = plain.get(name, "absent"), taken.get(name, "absent")
                if before == after:
                    continue
                test = name.rpartition("::")[2]
                reason = EXPECTED_DIFFERENCES.get(test)
                mark = "expected" if reason else "DIFFERS"
                print(f"  {mark}: {name}: {before} on plain torch, {after} under logdial")
                if reason:
                    print(f"    ({reason})")
                elif before == "passed":
                    failed = True
    print("every test that passes on plain torch passes under logdial.pytorch" if not failed else "differences found")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
