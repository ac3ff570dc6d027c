"""
Promises 4 and 7 for ``logdial report``: whatever it is given (a FIFO, a device behind a
symlink, a gigabyte of NUL bytes, JSON nested past Python's limits, a file name that is
not UTF-8, a full stdout), it reports in one line and ends, in memory that does not grow
with the size of its input; and a link in a trace cannot lead out of the report by
looking relative.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.subprocesses import Output, child_environ

from logdial import LogSystem
from logdial._report._html import safe_url
from logdial._report._model import STRINGS_LIMIT, TOO_DEEP, Summary

TIMEOUT = 120
LOGDIAL = str(Path(sys.executable).parent / "logdial")

#: Runs write_report in a child and prints what it raised and its peak memory (KiB):
#: VmHWM, which starts afresh at exec (ru_maxrss keeps the forking parent's peak).
MEASURED = """
    import json, sys
    from logdial._report import write_report
    try:
        write_report(sys.argv[1:-1], sys.argv[-1], progress=False)
        outcome = "ok"
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {exc}"
    with open("/proc/self/status", encoding="ascii") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
    print(json.dumps([outcome, peak]))
"""


def measured(*args: str) -> tuple[str, int]:
    """
    (what ``write_report(args[:-1], args[-1])`` raised or ``"ok"``, peak RSS in KiB).
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(MEASURED), *args],
        capture_output=True,
        encoding="utf-8",
        env=child_environ(),
        timeout=TIMEOUT,
        check=True,
    )
    outcome, peak = json.loads(done.stdout)
    return outcome, peak


def command(*args: str, stdout: int | None = subprocess.PIPE) -> Output:
    """
    ``logdial ARGS``, bounded in time.
    """
    done = subprocess.run(
        [LOGDIAL, *args], stdout=stdout, stderr=subprocess.PIPE, env=child_environ(), timeout=TIMEOUT, check=False
    )
    out = done.stdout.decode() if isinstance(done.stdout, bytes) else ""
    return Output(done.returncode, out, done.stderr.decode("utf-8", "replace"))


class TestNotARegularFile:
    """
    Inputs that would block the reader or never end.
    """

    def test_fifo(self, tmp_path: Path) -> None:
        """
        A FIFO (no writer: opening it would wait for one) is refused at once.
        """
        fifo = tmp_path / "trace.log"
        os.mkfifo(fifo)
        done = command("report", str(fifo), "-o", str(tmp_path / "out"))
        assert (1, f"logdial: {fifo}: not a regular file (a trace is one)\n") == (done.returncode, done.stderr)

    def test_device_behind_a_symlink_in_a_directory(self, tmp_path: Path) -> None:
        """
        ``dedicated_log_torch_trace_x.log`` linking to ``/dev/zero``, found in a directory.
        """
        traces = tmp_path / "traces"
        traces.mkdir()
        link = traces / "dedicated_log_torch_trace_x.log"
        link.symlink_to("/dev/zero")
        done = command("report", str(traces), "-o", str(tmp_path / "out"))
        assert (1, f"logdial: {link}: not a regular file (a trace is one)\n") == (done.returncode, done.stderr)


class TestBoundedMemory:
    """
    What the report holds while it reads does not grow with the file.
    """

    def test_a_gigabyte_of_nul_bytes(self, tmp_path: Path) -> None:
        """
        A 1 GiB file with no line break (sparse: no disk used): refused at its first
        64 KiB, in the memory of an empty run.
        """
        empty, zeros = tmp_path / "empty.log", tmp_path / "zeros.log"
        good = LogSystem("reportmem")
        good.set_trace_dir(tmp_path / "good")
        good.trace_structured("mylib_event", dict)
        assert good.trace_file is not None
        empty.write_bytes(Path(good.trace_file).read_bytes())
        good.reset()
        with open(zeros, "wb") as stream:
            stream.truncate(1 << 30)
        baseline = measured(str(empty), str(tmp_path / "out_empty"))
        outcome, peak = measured(str(zeros), str(tmp_path / "out_zeros"))
        assert "ok" == baseline[0]
        assert outcome.startswith(f"TraceFormatError: {zeros}:1: not a trace record header: '\\x00\\x00")
        assert peak < baseline[1] + 16 * 1024  # KiB: the 64 KiB chunk and its decoding, not the gigabyte

    def test_a_large_payload(self, tmp_path: Path) -> None:
        """
        One 50 MB payload (500,000 lines): the report's peak memory grows by about twice
        the payload (its bytes, then its text), not by a string per line.
        """
        big = LogSystem("reportbig")
        big.set_trace_dir(tmp_path / "big")
        big.trace_artifact("big", lambda: ("x" * 99 + "\n") * 500_000)
        assert big.trace_file is not None
        trace = big.trace_file
        big.reset()
        small = LogSystem("reportsmall")
        small.set_trace_dir(tmp_path / "small")
        small.trace_artifact("small", lambda: "x" * 99)
        assert small.trace_file is not None
        baseline = measured(small.trace_file, str(tmp_path / "out_small"))
        small.reset()
        outcome, peak = measured(trace, str(tmp_path / "out_big"))
        assert ("ok", "ok") == (baseline[0], outcome)
        payload_kib = 50_000_000 // 1024
        assert peak - baseline[1] < 2.5 * payload_kib, (peak, baseline[1])

    def test_string_table_is_bounded(self) -> None:
        """
        A trace that interns ever new strings: the report keeps ``STRINGS_LIMIT`` of them
        (the newest), per trace file.
        """
        summary = Summary()
        for n in range(STRINGS_LIMIT + 1000):
            assert summary.intern(0, [f"file{n}.py", n])  # (a str record's metadata: [string, id])
        assert summary.events == 0  # the string table is not events
        (table,) = summary.strings.values()
        assert STRINGS_LIMIT == len(table)
        assert (f"file{STRINGS_LIMIT + 999}.py", None) == (table[STRINGS_LIMIT + 999], table.get(0))


def write_trace(path: Path, header: str, payload: list[str] | None = None) -> None:
    """
    A one-record trace file with JSON ``header`` (and a payload, with its MD5).
    """
    import hashlib

    lines = ""
    if payload is not None:
        text = "\n".join(payload)
        envelope = json.loads(header) if len(header) < 10_000 else None
        digest = hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
        if envelope is not None:
            envelope["has_payload"] = digest
            header = json.dumps(envelope)
        lines = "".join(f"\t{line}\n" for line in payload)
    path.write_text(f"V1205 00:00:00.000000 1 x.py:1] {header}\n{lines}", encoding="utf-8")


class TestDeepJson:
    """
    JSON nested deeper than Python's encoder or decoder go.
    """

    def test_header_too_deep_to_parse(self, tmp_path: Path) -> None:
        """
        A header nested 100,000 deep: a one-line error naming the line.
        """
        trace = tmp_path / "deep.log"
        write_trace(trace, '{"mylib_event": ' + "[" * 100_000 + "]" * 100_000 + "}")
        done = command("report", str(trace), "-o", str(tmp_path / "out"))
        assert (1, f"logdial: {trace}:1: the record's JSON is nested too deeply\n") == (done.returncode, done.stderr)

    @pytest.mark.parametrize("depth", [5_000, 100_000])
    def test_payload_too_deep(self, tmp_path: Path, depth: int) -> None:
        """
        A payload of JSON nested ``depth`` deep: the report is made; the payload is
        shown as text.
        """
        trace = tmp_path / "deep.log"
        write_trace(trace, '{"mylib_event": {}}', ["[" * depth + "]" * depth])
        done = command("report", str(trace), "-o", str(tmp_path / "out"))
        assert (0, "") == (done.returncode, done.stderr)

    def test_metadata_too_deep_to_write(self) -> None:
        """
        A value nested deeper than the encoder goes (the report runs deeper in the stack
        than the reader that decoded it): its detail shows ``TOO_DEEP``.
        """
        from logdial._report._detail import _pretty

        deep: list[object] = []
        for _ in range(200_000):  # past the Python encoder's limit (3.10, 3.11) and the C one's (3.12+)
            deep = [deep]
        assert TOO_DEEP == _pretty({"mylib_event": deep})


class TestNames:
    """
    File names that are not UTF-8 (bytes a file system allows).
    """

    def test_report_of_a_non_utf8_name(self, tmp_path: Path) -> None:
        """
        The report is made; the name is shown with the byte escaped.
        """
        traces = tmp_path / "traces"
        traces.mkdir()
        name = os.fsdecode(b"dedicated_log_torch_trace_\xff.log")
        write_trace(traces / name, '{"mylib_event": {}}')
        done = command("report", str(traces), "-o", str(tmp_path / "out"))
        assert (0, "") == (done.returncode, done.stderr)
        assert "dedicated_log_torch_trace_\\udcff.log" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")


class TestFullOutput:
    """
    The command's own output going nowhere.
    """

    def test_stdout_on_dev_full(self) -> None:
        """
        ``logdial help minitorch > /dev/full``: one line, status 1, no traceback.
        """
        with open("/dev/full", "wb") as full:
            done = command("help", "minitorch", stdout=full.fileno())
        assert (1, "logdial: cannot write the output (No space left on device)\n") == (done.returncode, done.stderr)


class TestLinks:
    """
    A link record whose URL looks relative but names another host.
    """

    @pytest.mark.parametrize("url", ["//evil.example/", "/\\/evil.example/", "\\\\evil.example/", "\\/evil.example/"])
    def test_not_followed(self, url: str) -> None:
        """
        Browsers read a backslash as a slash: all of these lead to ``evil.example``.
        """
        assert safe_url(url) is None


class TestMessages:
    """
    A file name from outside, quoted in the command's one-line error.
    """

    def test_name_with_escapes(self, tmp_path: Path) -> None:
        """
        A trace named with a clear-screen sequence and a newline: the sequence escaped,
        the message on one line.
        """
        name = tmp_path / "a\x1b[2J\nb.log"
        os.mkfifo(name)
        done = command("report", str(name), "-o", str(tmp_path / "out"))
        shown = str(name).replace("\x1b", "\\x1b").replace("\n", " ")
        assert (1, f"logdial: {shown}: not a regular file (a trace is one)\n") == (done.returncode, done.stderr)
